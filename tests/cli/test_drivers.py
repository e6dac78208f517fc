"""The NAPALM drivers against the loopback lab, for all 20 models of the fleet.

Every test reads through a real SSH session (netmiko -> the lab's asyncssh server) and the
TextFSM templates; what the driver reports is compared with what the simulated device holds.
The lab is shared by the whole test session: tests that switch faults use ``clean_lab``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from napalm.base import NetworkDriver

from agent.lab.cli.render import DeviceView
from agent.lab.cli.spec import load_cli_spec
from collectors.cli import CliError
from collectors.drivers import DRIVERS, DriverError, driver_for_device, get_driver, library_kind
from collectors.drivers.base import NetmonCliDriver
from collectors.profiles import load_profiles

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.lab.device import SimulatedDevice
    from agent.lab.lab import Lab

pytestmark = pytest.mark.lab

ALL_MODELS = [
    (vendor, model)
    for vendor, profile in sorted(load_profiles().items())
    for model in sorted(profile.models)
]
SECURITY_VENDORS = ("topsec", "leadsec", "venustech", "nsfocus")
MODEL_IDS = [model for _, model in ALL_MODELS]
VOLATILE = re.compile(r"\d\d:\d\d:\d\d|%\^%#")


def device_of(lab_devices: list[Device], model: str) -> Device:
    return next(d for d in lab_devices if d.model == model)


def view_of(lab: Lab, device: Device) -> tuple[SimulatedDevice, DeviceView]:
    sim = lab.device(device.name)
    return sim, DeviceView(sim, load_cli_spec(device.vendor, device.model))


def printed_model(vendor: str, model: str) -> str:
    """What the version output names: the lab data's product where it has one (the switches
    print "S5500-28C-EI" for the inventory's "S5500", "S5560-54C-EI" for "LS-5560-54C-EI"),
    the inventory model otherwise."""
    return str(load_cli_spec(vendor, model).values.get("product", model))


@pytest.fixture
def opened(request: pytest.FixtureRequest, lab_devices: list[Device]) -> Iterator[NetmonCliDriver]:
    driver = driver_for_device(device_of(lab_devices, request.param))
    driver.open()
    try:
        yield driver
    finally:
        driver.close()


# -- registry ----------------------------------------------------------------------------------
def test_every_vendor_has_a_napalm_driver() -> None:
    assert set(DRIVERS) == set(load_profiles())
    for vendor in load_profiles():
        cls = get_driver(vendor)
        assert issubclass(cls, NetworkDriver)
        assert cls.vendor == vendor


def test_unknown_vendor_is_a_driver_error() -> None:
    with pytest.raises(DriverError, match=r"no driver for vendor 'acme' \(known: h3c, huawei"):
        get_driver("acme")


def test_driver_for_device_takes_the_inventory_fields(lab_devices: list[Device]) -> None:
    device = device_of(lab_devices, "S5500")
    driver = driver_for_device(device)
    assert isinstance(driver, get_driver("h3c"))
    assert (driver.hostname, driver.port, driver.username) == (
        device.address,
        device.ssh.port,
        device.ssh.username,
    )
    assert driver.password == device.ssh.password.reveal()
    assert driver.device_name == device.name
    assert driver.family == "Comware5"  # from the inventory model, via the profile


def test_library_kinds() -> None:
    names = [
        "ips-rules",
        "IPS",
        "ids-rules",
        "av-virus",
        "virus",
        "AV",
        "url-lib",
        "app",
        "anti-spam",
        "audit-rules",
        "病毒库",
        "engine",
        "geoip",
    ]
    assert [library_kind(n) for n in names] == [
        "ips", "ips", "ids", "av", "av", "av", "url", "app", "spam", "audit", "av", "engine",
        "other",
    ]  # fmt: skip


# -- every model: facts, environment, configuration -------------------------------------------
@pytest.mark.parametrize("opened", MODEL_IDS, indirect=True)
def test_facts_environment_and_config_agree_with_the_lab(
    opened: NetmonCliDriver, lab: Lab, lab_devices: list[Device]
) -> None:
    device = device_of(lab_devices, opened.model)
    sim, view = view_of(lab, device)
    spec = view.spec

    assert opened.is_alive() == {"is_alive": True}
    facts = opened.get_facts()
    assert facts["model"] == printed_model(device.vendor, device.model)
    assert facts["os_version"] == spec.values["software"]
    assert facts["hostname"] == device.name
    assert facts["vendor"] == load_profiles()[device.vendor].display_name.split()[0]
    assert abs(facts["uptime"] - sim.uptime_seconds()) <= 120  # printed to the minute
    if "serial" in spec.values:
        assert facts["serial_number"] == spec.values["serial"]
    assert facts["interface_list"]

    environment = opened.get_environment()
    cpu_now = view.cpu()
    assert set(environment["cpu"]) == {0}
    assert abs(environment["cpu"][0]["%usage"] - cpu_now) <= 12  # the lab's CPU moves
    fans = environment["fans"]
    assert len(fans) == int(spec.values.get("fan_count", 2))
    assert all(fan["status"] is True for fan in fans.values())
    power = environment["power"]
    assert len(power) == int(spec.values.get("psu_count", 2))
    assert all(psu["status"] is True for psu in power.values())
    (sensor,) = environment["temperature"].values()
    assert abs(sensor["temperature"] - float(view.context()["temperature"])) <= 6
    assert sensor["is_critical"] is False
    used_percent, total, _ = view.memory()
    memory = environment["memory"]
    assert memory["available_ram"] == pytest.approx(total, rel=0.001)
    assert 100 * memory["used_ram"] / memory["available_ram"] == pytest.approx(used_percent, abs=10)

    config = opened.get_config(retrieve="running")
    assert set(config) == {"running", "startup", "candidate"}
    assert config["startup"] == config["candidate"] == ""
    running = config["running"]
    expected = [line for line in view.output("running_config").splitlines() if line.strip()]
    lines = [line for line in running.splitlines() if line.strip()]
    assert len(lines) == len(expected)  # the whole configuration, not one page of it
    for got, want in zip(lines, expected, strict=True):
        if not VOLATILE.search(want):  # a clock time, or a secret VRP re-encrypts per display
            assert got.strip() == want.strip()
    assert "More" not in running and "\x1b" not in running and "\b" not in running
    assert not any(
        line.rstrip().endswith(
            (f"{device.name}>", f"{device.name}#", f"{device.name}]", f"{device.name}]$")
        )
        for line in lines
    )  # no prompt


@pytest.mark.parametrize("opened", ["S5500", "S5700"], indirect=True)
def test_switches_have_no_signatures_licences_or_sessions(opened: NetmonCliDriver) -> None:
    assert opened.get_signatures() == []
    assert opened.get_licences() == []
    assert opened.get_sessions() is None


@pytest.mark.parametrize(
    "opened", ["NGFW4000", "PowerV6000-A2350", "USG-1008DP", "SASNX3-GL2100"], indirect=True
)
def test_security_boxes_report_their_sessions(
    opened: NetmonCliDriver, lab: Lab, lab_devices: list[Device]
) -> None:
    _, view = view_of(lab, device_of(lab_devices, opened.model))
    sessions = opened.get_sessions()
    expected = int(view.context()["sessions"])
    assert sessions is not None
    assert sessions == pytest.approx(expected, rel=0.25, abs=10)  # the lab's count moves


# -- faults ------------------------------------------------------------------------------------
def _read(driver: NetmonCliDriver) -> dict:
    driver.open()
    try:
        return driver.get_environment()
    finally:
        driver.close()


@pytest.mark.parametrize("model", MODEL_IDS)
def test_fan_psu_and_cpu_faults_show_in_the_environment(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = device_of(lab_devices, model)
    for fault in ("fan-fail", "psu-fail", "cpu-high"):
        clean_lab.set_fault(device.name, fault)
    environment = _read(driver_for_device(device))
    fans = list(environment["fans"].values())
    assert fans[0]["status"] is False
    assert all(fan["status"] is True for fan in fans[1:])
    assert [psu["status"] for psu in environment["power"].values()] == [True, False]
    assert environment["cpu"][0]["%usage"] == 97.0


SIGNATURE_MODELS = [
    model
    for vendor, model in ALL_MODELS
    if vendor in SECURITY_VENDORS and load_cli_spec(vendor, model).signatures
]


@pytest.mark.parametrize("model", SIGNATURE_MODELS)
def test_signature_update_raises_versions_and_dates_them_today(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = device_of(lab_devices, model)
    driver = driver_for_device(device)
    driver.open()
    try:
        before = driver.get_signatures()
        clean_lab.set_fault(device.name, "signature-update")
        after = driver.get_signatures()
    finally:
        driver.close()
    spec = load_cli_spec(device.vendor, model)
    assert [s["raw"] for s in before] == [str(entry["name"]) for entry in spec.signatures]
    assert [s["version"] for s in before] == [str(entry["version"]) for entry in spec.signatures]
    today = date.today()
    for old, new, entry in zip(before, after, spec.signatures, strict=True):
        released = today - timedelta(days=int(entry["age_days"]))
        assert old["release_date"] == released.isoformat()
        assert old["library"] in ("ips", "ids", "av", "url", "app", "spam", "audit")
        assert new["raw"] == old["raw"]
        assert new["version"] != old["version"]
        assert new["release_date"] == today.isoformat()


@pytest.mark.parametrize(
    "model", [model for vendor, model in ALL_MODELS if vendor in SECURITY_VENDORS]
)
def test_licence_expiring_shows_an_expiry_within_a_week(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = device_of(lab_devices, model)
    driver = driver_for_device(device)
    driver.open()
    try:
        normal = driver.get_licences()
        clean_lab.set_fault(device.name, "licence-expiring")
        expiring = driver.get_licences()
    finally:
        driver.close()
    today = date.today()
    assert normal and all(
        date.fromisoformat(str(entry["expires"])) > today + timedelta(days=30) for entry in normal
    )
    assert [entry["feature"] for entry in expiring] == [entry["feature"] for entry in normal]
    for entry in expiring:
        expires = date.fromisoformat(str(entry["expires"]))
        assert today < expires <= today + timedelta(days=7)
        assert entry["status"] == "expiring"


# -- sessions and errors -----------------------------------------------------------------------
def test_comware_family_is_detected_without_an_inventory_model(
    lab_devices: list[Device],
) -> None:
    device = device_of(lab_devices, "LS-5560-54C-EI")
    driver = get_driver("h3c")(
        device.address,
        device.ssh.username,
        device.ssh.password.reveal(),
        timeout=10,
        optional_args={"port": device.ssh.port},
    )
    assert driver.family == ""
    driver.open()
    try:
        facts = driver.get_facts()
        fans = driver.get_environment()["fans"]
    finally:
        driver.close()
    assert driver.family == "Comware7"
    assert facts["model"] == "S5560-54C-EI"
    assert list(fans) == ["Slot 1 Fan 1", "Slot 1 Fan 2"]


def test_close_ends_the_session(lab_devices: list[Device]) -> None:
    driver = driver_for_device(device_of(lab_devices, "NGFW4000"))
    assert driver.is_alive() == {"is_alive": False}
    driver.open()
    assert driver.is_alive() == {"is_alive": True}
    driver.close()
    assert driver.is_alive() == {"is_alive": False}
    with pytest.raises(CliError, match="no open session"):
        driver.get_facts()


def test_wrong_password_is_a_cli_error_naming_the_device(lab_devices: list[Device]) -> None:
    device = device_of(lab_devices, "S5700")
    driver = driver_for_device(device)
    driver.password = "not-the-password"
    with pytest.raises(CliError) as caught:
        driver.open()
    assert caught.value.reason == "auth"
    assert device.name in str(caught.value)


def test_bad_retrieve_is_a_driver_error(lab_devices: list[Device]) -> None:
    driver = driver_for_device(device_of(lab_devices, "S5700"))
    with pytest.raises(DriverError, match="retrieve='saved'"):
        driver.get_config(retrieve="saved")


def test_refused_command_is_a_driver_error(lab_devices: list[Device]) -> None:
    """A profile command the box does not know: the vendor's error line, not empty rows."""
    device = device_of(lab_devices, "USG-1008DP")
    driver = driver_for_device(device)
    driver.profile = replace(
        driver.profile, commands={**driver.profile.commands, "cpu": "show cpu-usages now"}
    )
    driver.open()
    try:
        with pytest.raises(DriverError, match=r"'show cpu-usages now' was refused: % Unknown"):
            driver.environment_cpu()
        # In the environment it costs only the CPU (issue 11: per-section parsing), with why.
        environment = driver.get_environment()
        assert environment["cpu"] == {}
        assert "'show cpu-usages now' was refused: % Unknown" in driver.environment_errors["cpu"]
        assert set(driver.environment_errors) == {"cpu"}
        assert environment["fans"] and environment["temperature"]
        assert environment["memory"]["available_ram"] > 0
    finally:
        driver.close()
