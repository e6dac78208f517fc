"""The lab's SSH servers as a raw SSH client (paramiko) sees them: one device per vendor.

Prompts, banners, the pager before and not after the paging-off command, the vendor's error
text, Huawei's re-encrypted secrets, and every fault the SSH side plays.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import paramiko
import pytest

from agent.lab.cli.render import bump_version, expand_interfaces, render
from agent.lab.cli.spec import CliDataError, load_cli_spec
from agent.lab.device import (
    SLOW_DELAY_SECONDS,
    Fault,
    SimulatedDevice,
)
from tests.lab.ssh_support import CREDENTIALS, SshLab, make_sim

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def ssh_lab() -> Iterator[SshLab]:
    lab = SshLab()
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture
def serve(
    ssh_lab: SshLab,
) -> Callable[..., tuple[SimulatedDevice, int]]:
    def start(vendor: str, model: str, *faults: Fault) -> tuple[SimulatedDevice, int]:
        sim = make_sim(vendor, model)
        for fault in faults:
            sim.set_fault(fault)
        return sim, ssh_lab.serve(sim)

    return start


# -- a raw interactive client -----------------------------------------------------------------
class Shell:
    def __init__(self, port: int, password: str = CREDENTIALS.ssh_password) -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            "127.0.0.1",
            port=port,
            username=CREDENTIALS.ssh_username,
            password=password,
            look_for_keys=False,
            allow_agent=False,
            timeout=10,
            banner_timeout=10,
            auth_timeout=10,
        )
        self.channel = self.client.invoke_shell(term="vt100", width=511, height=1000)
        self.channel.settimeout(10)

    def read_until(self, pattern: str, timeout: float = 15) -> str:
        """Everything received until ``pattern`` (a regex) matches; fails after timeout."""
        data = ""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, data):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in {data[-500:]!r}")
            if self.channel.recv_ready():
                data += self.channel.recv(65536).decode("utf-8", "replace")
            elif self.channel.closed or self.channel.exit_status_ready():
                data += self.channel.recv(65536).decode("utf-8", "replace")
                if not re.search(pattern, data):
                    raise AssertionError(f"closed before {pattern!r}: {data[-500:]!r}")
            else:
                time.sleep(0.01)
        return data

    def send(self, text: str) -> None:
        self.channel.send(text.encode())

    def command(self, line: str, prompt: str) -> str:
        self.send(line + "\n")
        return self.read_until(re.escape(line) + r"\r\n(.*\n)*?.*" + re.escape(prompt))

    def close(self) -> None:
        self.client.close()


# Per vendor: model, prompt after login, running-config command, paging-off command,
# pager text (regex), error text for an unknown command, text printed before the first prompt.
VENDORS: dict[str, dict[str, Any]] = {
    "h3c": dict(
        model="S5500",
        prompt="<{name}>",
        config="display current-configuration",
        paging_off="screen-length disable",
        pager=r"  ---- More ----",
        error=" % Unrecognized command found at '^' position.",
        login="Hangzhou H3C Tech. Co., Ltd.",
    ),
    "huawei": dict(
        model="S5700",
        prompt="<{name}>",
        config="display current-configuration",
        paging_off="screen-length 0 temporary",
        pager=r"  ---- More ----",
        error="Error: Unrecognized command found at '^' position.",
        login="Info: The max number of VTY users is",
    ),
    "topsec": dict(
        model="NGFW4000",
        prompt="{name}# ",
        config="show-running",
        paging_off="terminal length 0",
        pager=r" --More-- ",
        error="error -8010 : unknown command",
        login="",
    ),
    "venustech": dict(
        model="USG-FW-310-T-NF1600",
        prompt="{name}> ",  # USG prompts end with a space (issue 11)
        config="show running-config",
        paging_off="terminal length 0",
        pager=r"--More-- \(\d+% of \d+ bytes\)",
        error="% Unknown command.",
        login="",
    ),
    "leadsec": dict(
        model="PowerV6000-F2350",
        prompt="{name}#",
        config="show running-config",
        paging_off="terminal length 0",
        pager=r"--More--",
        error="^ Invalid command.",  # PowerV6000 errors start with `^` (issue 11)
        login="",
    ),
    "nsfocus": dict(
        model="SASNX3-GL2100",
        prompt="[{name}]$ ",
        config="show config",
        paging_off="set pager off",
        pager=r"--More--",
        error="Unknown command, type 'help'",
        login="",
    ),
}


def _login(vendor: str, port: int, sim: SimulatedDevice) -> tuple[Shell, str, str]:
    """A shell at the vendor's working prompt (after `enable` on Venustech)."""
    shell = Shell(port)
    prompt = VENDORS[vendor]["prompt"].format(name=sim.name)
    greeting = shell.read_until(re.escape(prompt) + "$")
    if vendor == "venustech":
        prompt = f"{sim.name}# "
        shell.command("enable", prompt)
    return shell, prompt, greeting


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_login_shows_the_vendor_greeting_and_prompt(vendor: str, serve: Callable) -> None:
    sim, port = serve(vendor, VENDORS[vendor]["model"])
    shell, _, greeting = _login(vendor, port, sim)
    try:
        assert greeting.endswith(VENDORS[vendor]["prompt"].format(name=sim.name))
        assert VENDORS[vendor]["login"] in greeting
    finally:
        shell.close()


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_paging_stops_long_output_until_paging_is_turned_off(vendor: str, serve: Callable) -> None:
    spec = VENDORS[vendor]
    sim, port = serve(vendor, spec["model"])
    shell, prompt, _ = _login(vendor, port, sim)
    try:
        shell.send(spec["config"] + "\n")
        paged = shell.read_until(spec["pager"])
        assert re.search(re.escape(prompt) + r"\s*$", paged) is None  # stopped mid-output
        while True:  # space pages on until the prompt returns
            shell.send(" ")
            chunk = shell.read_until(spec["pager"] + "|" + re.escape(prompt) + "$")
            paged += chunk
            if chunk.endswith(prompt):
                break
        shell.command(spec["paging_off"], prompt)
        whole = shell.command(spec["config"], prompt)
        assert re.search(spec["pager"], whole) is None
        assert len(whole.splitlines()) > 24
    finally:
        shell.close()


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_unknown_command_gets_the_vendor_error_text(vendor: str, serve: Callable) -> None:
    sim, port = serve(vendor, VENDORS[vendor]["model"])
    shell, prompt, _ = _login(vendor, port, sim)
    try:
        answer = shell.command("frobnicate now", prompt)
        assert VENDORS[vendor]["error"] in answer
        if vendor in ("h3c", "huawei"):  # the caret points at the unknown word
            caret_line = next(line for line in answer.splitlines() if line.strip() == "^")
            assert caret_line.index("^") == len(prompt)
    finally:
        shell.close()


def test_pager_keys_enter_shows_one_line_and_q_quits(serve: Callable) -> None:
    sim, port = serve("h3c", "LS-5560-54C-EI")
    shell, prompt, _ = _login("h3c", port, sim)
    try:
        shell.send("display current-configuration\n")
        shell.read_until("---- More ----")
        shell.send("\r")
        one_more = shell.read_until("---- More ----")
        printed = [line for line in re.sub(r"\x1b\[\d+D", "\n", one_more).splitlines() if line]
        assert len([line for line in printed if line.strip(" -More")]) == 1
        shell.send("q")
        shell.read_until(re.escape(prompt) + "$")
    finally:
        shell.close()


def test_comware_system_view_and_back(serve: Callable) -> None:
    sim, port = serve("h3c", "S3600")
    shell, prompt, _ = _login("h3c", port, sim)
    try:
        entered = shell.command("system-view", f"[{sim.name}]")
        assert "System View: return to User View with Ctrl+Z." in entered
        shell.command("quit", prompt)
    finally:
        shell.close()


def test_huawei_prints_fresh_ciphers_on_every_display(serve: Callable) -> None:
    sim, port = serve("huawei", "S5700")
    shell, prompt, _ = _login("huawei", port, sim)
    try:
        shell.command("screen-length 0 temporary", prompt)
        first = shell.command("display current-configuration", prompt)
        second = shell.command("display current-configuration", prompt)
    finally:
        shell.close()
    ciphers_first = re.findall(r"%\^%#.*?%\^%#", first)
    ciphers_second = re.findall(r"%\^%#.*?%\^%#", second)
    assert len(ciphers_first) == len(ciphers_second) >= 3
    assert not set(ciphers_first) & set(ciphers_second)
    masked = [re.sub(r"%\^%#.*?%\^%#", "%^%#***%^%#", text) for text in (first, second)]
    assert masked[0] == masked[1]


def test_topsec_asks_to_save_at_logout(serve: Callable) -> None:
    sim, port = serve("topsec", "TopVPN 6000")
    shell, _, _ = _login("topsec", port, sim)
    try:
        shell.send("exit\n")
        shell.read_until(re.escape("Save system config?[y/n]: ") + "$")
        shell.send("n\n")
        shell.channel.recv_exit_status()
        assert shell.channel.exit_status_ready()
    finally:
        shell.close()


def test_exec_request_runs_one_command(serve: Callable) -> None:
    _sim, port = serve("venustech", "USG-1008DP")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=port,
        username=CREDENTIALS.ssh_username,
        password=CREDENTIALS.ssh_password,
        look_for_keys=False,
        allow_agent=False,
    )
    try:
        _, stdout, _ = client.exec_command("show version", timeout=10)
        assert "Model: USG-1008DP" in stdout.read().decode()
        assert stdout.channel.recv_exit_status() == 0
    finally:
        client.close()


def test_nsfocus_sends_a_pre_login_banner(serve: Callable) -> None:
    _, port = serve("nsfocus", "SASNX3-GL2100")
    shell = Shell(port)
    try:
        banner = shell.client.get_transport().get_banner()  # type: ignore[union-attr]
        assert banner is not None and b"NSFOCUS SAS" in banner
    finally:
        shell.close()


# -- faults -------------------------------------------------------------------------------------
def test_auth_fail_rejects_the_right_password(serve: Callable) -> None:
    _, port = serve("h3c", "S5500", Fault.AUTH_FAIL)
    with pytest.raises(paramiko.AuthenticationException):
        Shell(port)


def test_wrong_password_is_rejected_without_faults(serve: Callable) -> None:
    _, port = serve("huawei", "S5700")
    with pytest.raises(paramiko.AuthenticationException):
        Shell(port, password="not-the-lab-password")


def test_down_closes_the_connection_at_once(serve: Callable) -> None:
    _, port = serve("topsec", "NGFW4000", Fault.DOWN)
    with pytest.raises((paramiko.SSHException, EOFError, ConnectionResetError)):
        Shell(port)


def test_slow_delays_each_command(serve: Callable) -> None:
    sim, port = serve("huawei", "S5700", Fault.SLOW)
    shell, prompt, _ = _login("huawei", port, sim)
    try:
        started = time.monotonic()
        shell.command("display cpu-usage", prompt)
        # A lower bound only: the output cannot come before the delay has passed.
        assert time.monotonic() - started >= SLOW_DELAY_SECONDS * 0.95
    finally:
        shell.close()


def _exec(port: int, command: str, vendor: str = "h3c", model: str = "S5500") -> str:
    """One command over an exec channel, decoded as the vendor's box encodes (Topsec: Latin-1)."""
    encoding = load_cli_spec(vendor, model).encoding
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=port,
        username=CREDENTIALS.ssh_username,
        password=CREDENTIALS.ssh_password,
        look_for_keys=False,
        allow_agent=False,
    )
    try:
        _, stdout, _ = client.exec_command(command, timeout=10)
        return stdout.read().decode(encoding)
    finally:
        client.close()


@pytest.mark.parametrize(
    ("vendor", "model", "command", "added"),
    [
        ("h3c", "S5500", "display current-configuration", " rule 5 permit source 10.99.0.0"),
        ("huawei", "S5700", "display current-configuration", " rule 10 permit source 10.99"),
        ("topsec", "NGFW4000", "show-running", "ID 1005 firewall policy add"),
        ("venustech", "USG-1008DP", "show running-config", "rule id 15 action permit"),
        ("leadsec", "TD3000-FS1200", "show running-config", "policy 6 permit"),
        ("nsfocus", "SASNX3-GL2100", "show config", "audit policy add name lab-added"),
    ],
)
def test_config_change_adds_one_line(
    vendor: str, model: str, command: str, added: str, serve: Callable
) -> None:
    sim, port = serve(vendor, model)
    before = _exec(port, command, vendor, model).splitlines()
    sim.set_fault(Fault.CONFIG_CHANGE)
    after = _exec(port, command, vendor, model).splitlines()
    new_lines = [line for line in after if line not in before]
    assert len(after) == len(before) + 1
    assert any(line.startswith(added) for line in new_lines)


def _signature_rows(text: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^(\S+)\s+(\S*\d\S*)\s+(\d{4}-\d{2}-\d{2})", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3))
    return rows


@pytest.mark.parametrize(
    ("vendor", "model", "command"),
    [
        ("topsec", "NGFW4000-UF", "system update show"),
        ("venustech", "USG-FW-310-T-NF1800R", "show signature version"),
        ("leadsec", "PowerV6000-A3320", "show update version"),
        ("nsfocus", "SASNX3-GL2100", "show rule version"),
    ],
)
def test_signature_update_bumps_versions_to_today(
    vendor: str, model: str, command: str, serve: Callable
) -> None:
    sim, port = serve(vendor, model)
    before = _signature_rows(_exec(port, command, vendor, model))
    sim.set_fault(Fault.SIGNATURE_UPDATE)
    after = _signature_rows(_exec(port, command, vendor, model))
    assert before and before.keys() == after.keys()
    today = date.today().isoformat()
    for library, (version, released) in before.items():
        assert released < today
        assert after[library] == (bump_version(version), today)


@pytest.mark.parametrize(
    ("vendor", "model", "command"),
    [
        ("topsec", "TopFilter 8000", "system license show"),
        ("venustech", "USG-4000-N-1000DNR", "show license"),
        ("leadsec", "LeadsecACM-C4510", "show license"),
        ("nsfocus", "SASNX3-GL2100", "show license"),
    ],
)
def test_licence_expiring_moves_expiry_within_seven_days(
    vendor: str, model: str, command: str, serve: Callable
) -> None:
    sim, port = serve(vendor, model)

    def expiries() -> list[date]:
        text = _exec(port, command, vendor, model)
        return [date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", text)]

    normal = expiries()
    assert normal and min(normal) > date.today() + timedelta(days=60)
    sim.set_fault(Fault.LICENCE_EXPIRING)
    expiring = expiries()
    assert expiring and all(d <= date.today() + timedelta(days=7) for d in expiring)


@pytest.mark.parametrize(
    ("vendor", "model", "command", "failed"),
    [
        ("h3c", "S5500", "display fan", r"Fan\s+1 State: Fault"),
        ("huawei", "S5700", "display fan", r"^0\s+1\s+Present\s+Abnormal"),
        ("topsec", "NGFW4000", "system hardware", r"^fan1\s+failure"),
    ],
)
def test_fan_fail_shows_the_first_fan_failed(
    vendor: str, model: str, command: str, failed: str, serve: Callable
) -> None:
    sim, port = serve(vendor, model)
    assert not re.search(failed, _exec(port, command, vendor, model), re.M)
    sim.set_fault(Fault.FAN_FAIL)
    assert re.search(failed, _exec(port, command, vendor, model), re.M)


def test_psu_fail_and_cpu_high_show_on_the_cli(serve: Callable) -> None:
    sim, port = serve("h3c", "LS-5560-54C-EI")
    sim.set_fault(Fault.PSU_FAIL)
    sim.set_fault(Fault.CPU_HIGH)
    power = _exec(port, "display power")
    assert re.search(r"^ 1\s+Normal", power, re.M) and re.search(r"^ 2\s+Fault", power, re.M)
    assert "97% in last 5 seconds" in _exec(port, "display cpu-usage")


# -- templates ----------------------------------------------------------------------------------
def test_template_helpers() -> None:
    assert bump_version("3.0.2610.0099") == "3.0.2610.0100"
    assert bump_version("V5.6R11F02") == "V5.6R11F03"
    assert expand_interfaces(["Gi1/0/{1-3}", "MEth0/0/1"]) == [
        "Gi1/0/1",
        "Gi1/0/2",
        "Gi1/0/3",
        "MEth0/0/1",
    ]
    text = render(
        "a {{ x:>3 }}\n  {{ rows }}\n{{ empty }}\nz",
        {"x": 7, "rows": "r1\nr2", "empty": ""},
        "test",
    )
    assert text == "a   7\n  r1\n  r2\nz"
    with pytest.raises(CliDataError, match="unknown placeholder"):
        render("{{ nope }}", {}, "test")
