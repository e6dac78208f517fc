"""Templates against the layouts real boxes print (fixtures written by us in the shapes of
public outputs: ntc-templates' raw test files, vendor command references; see
docs/sources/cli-and-config.md), and one failing section costing only its own values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.cli.parse import parse, to_bytes
from collectors.drivers.vendors import HuaweiVrpDriver

COMWARE7_ENVIRONMENT_IRF = """
 System temperature information (degree centigrade):
 ----------------------------------------------------------------------
 Slot  Sensor       Temperature  Lower  Warning  Alarm  Shutdown
 1/0   hotspot 1    41           0      80       100    NA
 1/0   inflow 1     29           0      55       65     NA
 1/0   Vent         33           0      60       70     NA
 2/0   hotspot 1    44           0      80       100    NA
 2/0   Vent         35           0      60       70     NA
"""

COMWARE5_MEMORY_IN_KB = """
Memory statistics are measured in KB:
Slot 1:
             Total      Used      Free    Shared   Buffers    Cached   FreeRatio
Mem:        480512    301856    178656         0      1240     40112       37.2%
-/+ Buffers/Cache:    260504    220008
Swap:            0         0         0
"""

COMWARE_VERSIONS = {
    "HPE 5130 48G 4SFP+ 1-slot HI Switch JH324A": "comware7",
    "HP A3600-24 Switch": "comware5",
    "H3C S7510E": "comware5",
    "H3C S5500-28C-EI": "comware5",
}

DATA = Path(__file__).resolve().parents[1] / "data" / "cli"

HUAWEI_STACK_POWER = """
--------------------------------------------------------------------------
Slot    PowerID  Online   Mode   State      Power(W)
--------------------------------------------------------------------------
0       PWR1     Present  AC     Supply     500.00
0       PWR2     Absent   -      -          -
1       PWR1     Present  AC     NotSupply  -
"""


def test_comware7_environment_keeps_vent_rows_and_irf_slots() -> None:
    rows = parse("h3c", "temperature", COMWARE7_ENVIRONMENT_IRF, family="Comware7")
    got = [(r["slot"], r["sensor"], r["celsius"]) for r in rows]
    assert got == [
        ("1/0", "hotspot 1", "41"),
        ("1/0", "inflow 1", "29"),
        ("1/0", "Vent", "33"),
        ("2/0", "hotspot 1", "44"),
        ("2/0", "Vent", "35"),
    ]


@pytest.mark.parametrize("family", ["Comware5", "Comware7"])
def test_memory_measured_in_kb_is_read_as_kb(family: str) -> None:
    row = parse("h3c", "memory", COMWARE5_MEMORY_IN_KB, family=family)[0]
    assert row["memory_unit"] == "KB"
    assert to_bytes(row["memory_total"], row["memory_unit"]) == 480512 * 1024
    assert to_bytes(row["memory_used"], row["memory_unit"]) == 301856 * 1024


@pytest.mark.parametrize(("model", "family"), sorted(COMWARE_VERSIONS.items()))
def test_model_names_from_display_version_are_kept_whole(model: str, family: str) -> None:
    brand, name = model.split(" ", 1)
    version = "7.1.045, Release 1118P02" if family == "comware7" else "5.20, Release 2215P02"
    text = (
        f"{brand} Comware Software, Version {version}\n"
        f"Copyright (c) 2004-2015 public example. All rights reserved.\n"
        f"{model} uptime is 49 weeks, 5 days, 15 hours, 4 minutes\n"
    )
    row = parse("h3c", "version", text, family=family)[0]
    assert row["model"] == name


def test_huawei_stack_power_rows_with_a_slot_column() -> None:
    rows = parse("huawei", "power", HUAWEI_STACK_POWER)
    assert [(r["slot"], r["psu"], r["status"], r["power_w"]) for r in rows] == [
        ("0", "PWR1", "Supply", "500.00"),
        ("0", "PWR2", "-", "-"),
        ("1", "PWR1", "NotSupply", "-"),
    ]


class _Replayed(HuaweiVrpDriver):
    """The Huawei driver reading recorded outputs instead of a session (a parsing test)."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1", "u", "p", optional_args={"device_name": "sw-stack"})
        self.outputs: dict[str, str] = {}

    def run(self, command_name: str, *, read_timeout: float | None = None) -> str:
        return self.outputs[command_name]


def test_one_failing_section_costs_only_its_own_values() -> None:
    """A power layout no template knows: fans, temperature, CPU and memory still read."""
    driver = _Replayed()
    driver.outputs = {
        name: (DATA / "huawei" / f"s5700_{name}.txt").read_text(encoding="utf-8")
        for name in ("fans", "temperature", "cpu", "memory")
    }
    driver.outputs["power"] = "PowerNo  Present  Mode  Status\n 1  yes  AC  ??\n"
    environment: dict[str, Any] = driver.get_environment()
    assert environment["power"] == {}
    assert set(driver.environment_errors) == {"power"}
    assert "huawei/power.textfsm" in driver.environment_errors["power"]
    assert environment["fans"] and environment["cpu"] and environment["temperature"]
    assert environment["memory"]["available_ram"] > 0


def test_the_reason_reaches_the_snapshot_only_for_values_snmp_missed() -> None:
    from collectors.base import HealthSnapshot
    from collectors.cli_health import SECTION_ERRORS, fill_from_environment

    snapshot = HealthSnapshot.__new__(HealthSnapshot)
    snapshot.__dict__.update(
        {"unreadable": {"psus": "snmp: no such object", "cpu": "snmp: timeout"}}
    )
    snapshot.reachable = True
    environment = {
        "cpu": {0: {"%usage": 12.0}},
        "power": {},
        SECTION_ERRORS: {"power": "template did not match", "fans": "refused"},
    }
    assert fill_from_environment(snapshot, environment) == ["cpu"]
    assert snapshot.cpu_ratio == pytest.approx(0.12)
    assert snapshot.unreadable == {"psus": "cli: template did not match"}  # fans: SNMP had them


def test_an_empty_slot_reads_absent_and_a_dead_supply_failed() -> None:
    """Issue 11: `Absent` in the Online column (dashes elsewhere) is an empty slot, not a
    failed supply; a present supply that does not supply is failed. The words come from the
    profile's [states.psus] table."""
    driver = _Replayed()
    driver.outputs = {"power": HUAWEI_STACK_POWER}
    power = driver.environment_power()
    assert [(name, entry["state"], entry["status"]) for name, entry in power.items()] == [
        ("Slot 0 PWR1", "ok", True),
        ("Slot 0 PWR2", "absent", False),
        ("Slot 1 PWR1", "failed", False),
    ]
    # A word the profile does not list falls back to the shared words, else unknown.
    assert driver.component_state("psus", {"online": "Present", "status": "Sleep"}) == "unknown"
    assert driver.component_state("psus", {"online": "Present", "status": "故障"}) == "failed"
    assert driver.component_state("psus", {"online": "Present", "status": "??"}) == "unknown"


def test_comware7_power_with_a_fan_direction_column() -> None:
    """Newer Comware 7 boxes print a FanDirection column after Power(W); the rows still parse
    (and an empty slot keeps its State word)."""
    text = (
        "Slot 1:\n"
        "PowerID State    Mode   Current(A)  Voltage(V)  Power(W)  FanDirection\n"
        "1       Normal   AC     2.10        12.00       25.20     Back-to-front\n"
        "2       Absent   --     --          --          --        --\n"
    )
    rows = parse("h3c", "power", text, family="Comware7")
    assert [(r["slot"], r["psu"], r["status"], r["power_w"], r["fan_direction"]) for r in rows] == [
        ("1", "1", "Normal", "25.20", "Back-to-front"),
        ("1", "2", "Absent", "--", "--"),
    ]
