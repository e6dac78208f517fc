"""netmiko sessions through ``collectors.cli.open_cli`` against the lab, for all 20 models.

netmiko's own drivers (hp_comware for Comware 5 and 7, huawei for VRP) run unchanged; the
four security vendors use our classes. Each session must read the version (naming the model)
and the whole running configuration in one piece (paging turned off by the class).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from agent.lab.cli.render import DeviceView
from agent.lab.cli.spec import load_cli_spec
from agent.lab.device import Fault, SimulatedDevice
from collectors.cli import CliError, cli_profile, open_cli, open_cli_for_device
from collectors.profiles import load_profiles
from tests.lab.ssh_support import CREDENTIALS, SshLab, make_sim

pytestmark = pytest.mark.lab
ALL_MODELS = [
    (vendor, model)
    for vendor, profile in sorted(load_profiles().items())
    for model in sorted(profile.models)
]


@pytest.fixture(scope="module")
def fleet() -> Iterator[tuple[SshLab, dict[str, tuple[SimulatedDevice, int]]]]:
    lab = SshLab()
    devices = {}
    for vendor, model in ALL_MODELS:
        sim = make_sim(vendor, model)
        devices[model] = (sim, lab.serve(sim))
    try:
        yield lab, devices
    finally:
        lab.close()


def _product(vendor: str, model: str) -> str:
    """The name the version output prints: the model, or the lab data's `product` for it."""
    spec = load_cli_spec(vendor, model)
    product = str(spec.values.get("product", model))
    return model if model in product else product


def _session(vendor: str, model: str, port: int) -> tuple[str, str]:
    profile = cli_profile(vendor)
    connection = open_cli(
        vendor, "127.0.0.1", port, CREDENTIALS.ssh_username, CREDENTIALS.ssh_password, timeout=10
    )
    try:
        version = connection.send_command(profile.commands["version"])
        config = connection.send_command(profile.commands["running_config"], read_timeout=30)
    finally:
        connection.disconnect()
    return version, config


def test_every_model_answers_version_and_whole_config_over_netmiko(fleet: Any) -> None:
    _, devices = fleet
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {
            model: pool.submit(_session, vendor, model, devices[model][1])
            for vendor, model in ALL_MODELS
        }
        results = {model: future.result() for model, future in futures.items()}
    assert len(results) == 20
    for vendor, model in ALL_MODELS:
        version, config = results[model]
        sim = devices[model][0]
        assert _product(vendor, model) in version, model
        expected = DeviceView(sim, load_cli_spec(vendor, model)).output("running_config")
        lines = [line for line in config.splitlines() if line.strip()]
        expected_lines = [line for line in expected.splitlines() if line.strip()]
        assert "More" not in config, model
        assert len(lines) == len(expected_lines), model
        assert lines[-1].strip() == expected_lines[-1].strip(), model
        # Every model's configuration passes the last check, and no canary survives it.
        from datetime import UTC, datetime

        from collectors.config import Redactor, prepare

        kept = prepare(model, vendor, config, Redactor(b"k" * 32), datetime.now(UTC)).text
        spec = load_cli_spec(vendor, model)
        canaries = [
            line.strip()
            for entry in spec.secrets.values()
            for line in str(entry.get("value", "")).splitlines()
            if line.strip()
        ]
        assert canaries and not [c for c in canaries if c in kept], model
        assert f"sysname {sim.name}" in config or sim.name in config, model


def test_profiles_name_a_command_for_every_collected_item() -> None:
    for vendor in load_profiles():
        commands = cli_profile(vendor).commands
        wanted = {"version", "cpu", "memory", "fans", "power", "temperature", "running_config"}
        if vendor not in ("h3c", "huawei"):
            wanted |= {"signatures", "licences"}
        assert wanted <= commands.keys(), vendor
        spec = load_cli_spec(vendor, next(iter(load_profiles()[vendor].models)))
        for name in wanted:
            assert " ".join(commands[name].split()) in spec.commands, (vendor, name)


@pytest.mark.parametrize("vendor", ["topsec", "venustech", "nsfocus"])
def test_health_commands_read_the_cli_values(vendor: str, fleet: Any) -> None:
    _, devices = fleet
    model = next(m for v, m in ALL_MODELS if v == vendor)
    _sim, port = devices[model]
    profile = cli_profile(vendor)
    connection = open_cli(
        vendor, "127.0.0.1", port, CREDENTIALS.ssh_username, CREDENTIALS.ssh_password
    )
    try:
        cpu_text = connection.send_command(profile.commands["cpu"])
        unknown = connection.send_command("no such command here")
    finally:
        connection.disconnect()
    assert re.search(r"\b\d{1,3}%", cpu_text)
    assert any(re.search(p, unknown, re.M) for p in profile.error_patterns), unknown


# -- errors ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_auth_failure_is_a_cli_error_naming_the_device() -> None:
    lab = SshLab()
    try:
        sim = make_sim("huawei", "S5700")
        sim.set_fault(Fault.AUTH_FAIL)
        port = lab.serve(sim)
        with pytest.raises(CliError) as caught:
            open_cli(
                "huawei",
                "127.0.0.1",
                port,
                "netmon",
                CREDENTIALS.ssh_password,
                device_name="sw-lab-1",
            )
        assert caught.value.reason == "auth"
        assert "sw-lab-1" in str(caught.value)
    finally:
        lab.close()


def test_down_device_is_a_cli_error() -> None:
    lab = SshLab()
    try:
        sim = make_sim("topsec", "NGFW4000")
        sim.set_fault(Fault.DOWN)
        port = lab.serve(sim)
        with pytest.raises(CliError) as caught:
            open_cli("topsec", "127.0.0.1", port, "netmon", CREDENTIALS.ssh_password, timeout=5)
        assert caught.value.reason in ("closed", "timeout")
        assert f"127.0.0.1:{port}" in str(caught.value)
    finally:
        lab.close()


def test_refused_port_is_a_cli_error() -> None:
    port = _free_port()
    with pytest.raises(CliError) as caught:
        open_cli("h3c", "127.0.0.1", port, "netmon", "x", timeout=5)
    assert caught.value.reason == "refused"


def test_unknown_vendor_is_a_cli_error() -> None:
    with pytest.raises(CliError, match="no vendor profile"):
        open_cli("acme", "127.0.0.1", 22, "netmon", "x")


@dataclass
class _Secret:
    value: str

    def reveal(self) -> str:
        return self.value


@dataclass
class _Ssh:
    port: int
    username: str
    password: _Secret
    timeout: float = 10


@dataclass
class _Device:
    name: str
    vendor: str
    address: str
    ssh: _Ssh


def test_open_cli_for_device_uses_the_inventory_fields(fleet: Any) -> None:
    _, devices = fleet
    sim, port = devices["LS-5560-54C-EI"]
    device = _Device(
        "sw-lab-5560",
        "h3c",
        "127.0.0.1",
        _Ssh(port, CREDENTIALS.ssh_username, _Secret(CREDENTIALS.ssh_password)),
    )
    connection = open_cli_for_device(device)
    try:
        assert connection.base_prompt == sim.name
        assert "Comware Software, Version 7.1" in connection.send_command("display version")
    finally:
        connection.disconnect()
