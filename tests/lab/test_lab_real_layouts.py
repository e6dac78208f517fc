"""The lab plays the real CLI layouts of issue 11 as device variants: a Comware 7 IRF stack
(`display environment` with `1/0` slots and `Vent` rows, `display memory` in KB) and a Huawei
stack (`display power` with a Slot column). Polled over real SSH on loopback through the CLI
fallback (SNMP switched off by the lab's snmp-timeout fault), each gives the snapshot the text
fixtures of tests/cli/test_real_layouts.py give."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from agent.lab.cli.spec import CliDataError, load_cli_spec
from agent.lab.device import Fault
from agent.lab.lab import Lab, LabError, LabThread
from collectors.base import HealthSnapshot
from collectors.cli_health import CLI_FILLABLE, fill_from_environment
from collectors.component_names import component_namer
from collectors.drivers.vendors import H3cComwareDriver, HuaweiVrpDriver
from collectors.health import HealthCollector
from tests.cli.test_real_layouts import (
    COMWARE5_MEMORY_IN_KB,
    COMWARE7_ENVIRONMENT_IRF,
    DATA,
    HUAWEI_STACK_POWER,
)

if TYPE_CHECKING:
    from agent.inventory import Device, Inventory

pytestmark = pytest.mark.lab

VARIANTS = {"h3c-s5560-01": "irf", "huawei-s5700-01": "stack"}


@pytest.fixture(scope="module")
def stacks(
    inventory: Inventory,
) -> Iterator[tuple[Lab, dict[str, Device]]]:
    devices = [d for d in inventory.devices if d.name in VARIANTS]
    port = random.randint(20000, 39999)
    lab = Lab(
        devices,
        base_address=f"127.{random.randint(40, 250)}.2.1",
        snmp_port=port,
        ssh_port=port + 20000,
        cli_variants=VARIANTS,
    )
    with LabThread(lab):
        for name in VARIANTS:
            lab.set_fault(name, Fault.SNMP_TIMEOUT.value)
        yield lab, {d.name: d for d in lab.lab_inventory_devices(inventory)}


def _replayed(driver: Any, outputs: dict[str, str]) -> HealthSnapshot:
    """The snapshot the same driver code gives on the text fixtures (no session)."""
    driver.run = lambda name, **_: outputs.get(name, "")  # other sections: not compared
    snapshot = HealthSnapshot("fixture", datetime.now(UTC), reachable=True)
    snapshot.unreadable = dict.fromkeys(CLI_FILLABLE, "snmp: timeout")
    fill_from_environment(snapshot, driver.get_environment(), rename=component_namer(driver.vendor))
    return snapshot


def test_the_irf_stack_layouts_poll_to_the_fixture_values(
    stacks: tuple[Lab, dict[str, Device]],
) -> None:
    _, devices = stacks
    snapshot = asyncio.run(HealthCollector().collect(devices["h3c-s5560-01"]))
    assert snapshot.reachable  # on SSH: SNMP is silent
    assert not set(CLI_FILLABLE) & set(snapshot.unreadable), snapshot.unreadable
    got = [(s.name, s.celsius) for s in snapshot.temperatures]
    assert [value for _, value in got] == [41.0, 29.0, 33.0, 44.0, 35.0]
    assert any("Vent" in name for name, _ in got)
    assert len({name for name, _ in got}) == 5  # the two members' sensors stay apart
    assert snapshot.memory_ratio == pytest.approx(301856 / 480512)

    # The sections the variant changes, read by the same driver code from the text fixtures.
    outputs = {"temperature": COMWARE7_ENVIRONMENT_IRF, "memory": COMWARE5_MEMORY_IN_KB}
    driver = H3cComwareDriver("127.0.0.1", "u", "p", optional_args={"model": "LS-5560-54C-EI"})
    fixture = _replayed(driver, outputs)
    assert snapshot.temperatures == fixture.temperatures
    assert snapshot.memory_ratio == fixture.memory_ratio


def test_the_huawei_stack_power_layout_polls_to_the_fixture_values(
    stacks: tuple[Lab, dict[str, Device]],
) -> None:
    _, devices = stacks
    snapshot = asyncio.run(HealthCollector().collect(devices["huawei-s5700-01"]))
    assert snapshot.reachable
    assert "psus" not in snapshot.unreadable
    got = [(c.name, c.state) for c in snapshot.power_supplies]
    # Named as SNMP names them (collectors/profiles/huawei/cli.toml [components]): slot.psu.
    assert got == [
        ("power supply 0.0", "ok"),
        # PWR2 prints `Absent` in the Online column: an empty slot, not a failed supply (issue 11).
        ("power supply 0.1", "absent"),
        ("power supply 1.0", "failed"),
    ]

    outputs = {
        name: (DATA / "huawei" / f"s5700_{name}.txt").read_text(encoding="utf-8")
        for name in ("fans", "temperature", "cpu", "memory")
    }
    outputs["power"] = HUAWEI_STACK_POWER
    driver = HuaweiVrpDriver("127.0.0.1", "u", "p", optional_args={"model": "S5700"})
    fixture = _replayed(driver, outputs)
    assert snapshot.power_supplies == fixture.power_supplies


def test_an_unknown_variant_is_an_error_naming_the_file() -> None:
    with pytest.raises(CliDataError, match=r"agent/lab/cli/h3c\.toml: no \[variants\.stak\]"):
        load_cli_spec("h3c", "LS-5560-54C-EI", variant="stak")


def test_a_lab_refuses_an_unknown_variant_or_device_before_serving(
    inventory: Inventory,
) -> None:
    devices = [d for d in inventory.devices if d.name == "h3c-s5560-01"]
    with pytest.raises(LabError, match=r"h3c-s5560-01: agent/lab/cli/h3c\.toml: no \[variants"):
        Lab(devices, cli_variants={"h3c-s5560-01": "stack"})  # Huawei's, not H3C's
    with pytest.raises(LabError, match="no such device"):
        Lab(devices, cli_variants={"huawei-s5700-01": "stack"})
