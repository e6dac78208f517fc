"""`netmon lab` as a person runs it: a separate process serving the whole inventory.toml
fleet on loopback, read by net-snmp's snmpget and by netmiko, faults switched from another
shell with `netmon lab fault` / `clear`."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.lab.device import format_oid, load_vendor_behaviour, model_slug, parse_snmprec
from collectors.cli import CliError, cli_profile, open_cli
from tests.support import require_tool

ROOT = Path(__file__).resolve().parents[2]
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    lab_dir = tmp_path_factory.mktemp("lab")
    snmp_port = random.randint(20000, 29999)
    ssh_port = snmp_port + 10000
    command = [
        sys.executable,
        "-m",
        "agent.cli",
        "lab",
        "--inventory",
        str(ROOT / "inventory.toml"),
        "--lab-dir",
        str(lab_dir),
        "--base-address",
        "127.30.0.1",
        "--snmp-port",
        str(snmp_port),
        "--ssh-port",
        str(ssh_port),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    printed: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        printed.append(line)
        if "running until Ctrl-C" in line:
            break
    else:
        process.kill()
    if not printed or "running until Ctrl-C" not in printed[-1]:
        process.kill()
        pytest.fail("netmon lab did not start:\n" + "".join(printed))
    state = json.loads((lab_dir / "lab.json").read_text())
    state["lab_dir"] = lab_dir
    state["printed"] = "".join(printed)
    try:
        yield state
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _netmon(lab: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "lab", "--lab-dir", str(lab["lab_dir"]), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _snmpget(lab: dict, endpoint: dict, oid: str) -> str:
    result = subprocess.run(
        [
            "snmpget",
            "-v2c",
            "-c",
            lab["credentials"]["community"],
            "-On",
            "-Oqv",
            "-t",
            "2",
            "-r",
            "1",
            f"{endpoint['address']}:{endpoint['snmp_port']}",
            oid,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "MIBS": ""},
    )
    return result.stdout.strip() if result.returncode == 0 else f"ERROR {result.stderr.strip()}"


def _recorded(endpoint: dict, oid: str) -> str:
    text = (ROOT / "agent/lab/recordings" / f"{model_slug(endpoint['model'])}.snmprec").read_text()
    value = parse_snmprec(text)[tuple(int(p) for p in oid.split("."))].value
    return value.decode() if isinstance(value, bytes) else str(value)


def test_the_lab_prints_where_every_device_listens(lab: dict) -> None:
    assert len(lab["devices"]) == 40
    for endpoint in lab["devices"]:
        assert endpoint["address"].startswith("127.")
        assert endpoint["name"] in lab["printed"]
        assert f"{endpoint['address']}:{endpoint['snmp_port']}" in lab["printed"]


def test_snmpget_reads_sys_object_id_from_every_device(lab: dict) -> None:
    require_tool("snmpget", "snmp")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda e: _snmpget(lab, e, SYS_OBJECT_ID), lab["devices"]))
    for endpoint, answer in zip(lab["devices"], answers, strict=True):
        expected = _recorded(endpoint, SYS_OBJECT_ID)
        assert answer.lstrip(".") == expected.lstrip("."), endpoint["name"]


def _cli(lab: dict, endpoint: dict, *, timeout: float = 20) -> object:
    credentials = lab["credentials"]
    return open_cli(
        endpoint["vendor"],
        endpoint["address"],
        endpoint["ssh_port"],
        credentials["ssh_username"],
        credentials["ssh_password"],
        timeout=timeout,
        device_name=endpoint["name"],
    )


def _version(lab: dict, endpoint: dict) -> str:
    connection = _cli(lab, endpoint)
    try:
        command = cli_profile(endpoint["vendor"]).commands["version"]
        return str(connection.send_command(command))  # type: ignore[attr-defined]
    finally:
        connection.disconnect()  # type: ignore[attr-defined]


def test_netmiko_runs_the_version_command_on_every_device(lab: dict) -> None:
    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(lambda e: _version(lab, e), lab["devices"]))
    for endpoint, output in zip(lab["devices"], outputs, strict=True):
        words = endpoint["model"].replace("LS-", "").split()
        assert all(word in output for word in words), (endpoint["name"], output[:300])


def _first(lab: dict, vendor: str) -> dict:
    return next(e for e in lab["devices"] if e["vendor"] == vendor)


def test_a_fault_switched_from_another_shell_is_seen_over_snmp_and_ssh(lab: dict) -> None:
    require_tool("snmpget", "snmp")
    endpoint = _first(lab, "venustech")
    cpu_oid = format_oid(load_vendor_behaviour("venustech").metrics["cpu"])
    # Venustech sends cpuUsage as text with a percent sign ("23%"), as real USG boxes do.
    assert _snmpget(lab, endpoint, cpu_oid) != '"97%"'

    switched = _netmon(lab, "fault", endpoint["name"], "cpu-high")
    assert switched.returncode == 0, switched.stderr
    assert _snmpget(lab, endpoint, cpu_oid) == '"97%"'
    status = _netmon(lab, "status")
    assert f"{endpoint['name']}: cpu-high" in status.stdout

    assert _netmon(lab, "fault", endpoint["name"], "auth-fail").returncode == 0
    with pytest.raises(CliError) as failure:
        _cli(lab, endpoint)
    assert failure.value.reason == "auth"
    assert endpoint["name"] in str(failure.value)

    assert _netmon(lab, "fault", endpoint["name"], "down").returncode == 0
    assert _snmpget(lab, endpoint, SYS_OBJECT_ID).startswith("ERROR")

    cleared = _netmon(lab, "clear", endpoint["name"])
    assert cleared.returncode == 0, cleared.stderr
    assert _snmpget(lab, endpoint, cpu_oid) != '"97%"'
    assert "USG" in _version(lab, endpoint)


def test_lab_control_errors_are_clear_and_without_traceback(lab: dict) -> None:
    unknown = _netmon(lab, "fault", "no-such-device", "down")
    assert unknown.returncode != 0
    assert "no device 'no-such-device'" in unknown.stderr
    assert "Traceback" not in unknown.stderr + unknown.stdout
    bad_kind = _netmon(lab, "fault", lab["devices"][0]["name"], "melted")
    assert bad_kind.returncode != 0
    assert "Traceback" not in bad_kind.stderr


def test_fault_without_a_running_lab_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "lab", "--lab-dir", str(tmp_path), "clear", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "no running lab found" in result.stderr


def test_netmon_poll_reads_a_lab_twin_and_stores_the_sample(lab: dict, tmp_path: Path) -> None:
    def netmon(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "agent.cli", "--state-dir", str(tmp_path), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert netmon("db", "upgrade").returncode == 0
    endpoint = _first(lab, "nsfocus")
    polled = netmon("poll", "--lab", "--lab-dir", str(lab["lab_dir"]), endpoint["name"])
    assert polled.returncode == 0, polled.stderr
    assert "reachable   yes" in polled.stdout
    assert "disk" in polled.stdout and "UNREADABLE" not in polled.stdout

    assert _netmon(lab, "fault", endpoint["name"], "down").returncode == 0
    try:
        dead = netmon("poll", "--lab", "--lab-dir", str(lab["lab_dir"]), endpoint["name"])
    finally:
        _netmon(lab, "clear", endpoint["name"])
    assert dead.returncode == 1
    assert "reachable   NO" in dead.stdout and "timeout" in dead.stdout

    from agent.store import open_store
    from agent.store.repository import health_samples

    with open_store(f"sqlite:///{tmp_path / 'netmon.db'}") as store, store.session() as session:
        now = datetime.now(UTC)
        samples = health_samples(session, endpoint["name"], now - timedelta(hours=1), now)
        assert [s.reachable for s in samples] == [True, False]
