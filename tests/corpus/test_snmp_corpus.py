"""The real-shaped SNMP corpus: every recording served over real SNMP on loopback, polled by the
real health reader, compared with the expected snapshot beside it (see tests/corpus/README.md).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from agent.lab.device import LabCredentials, SimulatedDevice, VendorBehaviour, parse_snmprec
from agent.lab.snmp_agent import start_snmp_agent
from collectors.base import HealthSnapshot
from collectors.counters import CounterTracker
from collectors.profiles import get_profile
from collectors.snmp.client import SnmpClient, SnmpTarget
from collectors.snmp.health import SnmpHealthReader
from collectors.snmp.plan import parse_oid, plan_for

CORPUS = Path(__file__).parent / "snmp"
CASES = sorted(path.stem for path in CORPUS.glob("*.snmprec"))
ADDRESS = "127.46.0.1"
CREDENTIALS = LabCredentials()
COVERED_VENDORS = ("h3c", "huawei")


def _expected(case: str) -> dict[str, Any]:
    return json.loads((CORPUS / f"{case}.json").read_text(encoding="utf-8"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((ADDRESS, 0))
        return int(probe.getsockname()[1])


def _poll(case: str) -> HealthSnapshot:
    expected = _expected(case)
    vendor, model, kind = expected["vendor"], expected["model"], expected["kind"]
    path = CORPUS / f"{case}.snmprec"

    async def run() -> HealthSnapshot:
        sim = SimulatedDevice(
            name=case,
            vendor=vendor,
            model=model,
            kind=kind,
            address=ADDRESS,
            snmp_port=_free_port(),
            ssh_port=0,
            recording=parse_snmprec(path.read_text(encoding="utf-8"), str(path)),
            # No lab behaviour: the recorded values are served as they are, never moved.
            behaviour=VendorBehaviour(vendor, {}, {}, {}, {}),
        )
        handle = await start_snmp_agent(sim, CREDENTIALS)
        try:
            target = SnmpTarget(ADDRESS, sim.snmp_port, community=CREDENTIALS.community)
            reader = SnmpHealthReader(SnmpClient(), CounterTracker())
            return await reader.read(case, vendor, model, target, plan_for(vendor, model, kind))
        finally:
            await handle.close()

    return asyncio.run(run())


def _observed(snapshot: HealthSnapshot) -> dict[str, Any]:
    return {
        "serial_number": snapshot.identity.serial_number,
        "cpu_ratio": None if snapshot.cpu_ratio is None else round(snapshot.cpu_ratio, 6),
        "memory_ratio": None if snapshot.memory_ratio is None else round(snapshot.memory_ratio, 6),
        "temperatures": [[s.name, s.celsius] for s in snapshot.temperatures],
        "fans": [[c.name, c.state, c.raw] for c in snapshot.fans],
        "power_supplies": [[c.name, c.state, c.raw] for c in snapshot.power_supplies],
        "interfaces": [i.name for i in snapshot.interfaces],
        "unreadable": snapshot.unreadable,
    }


@pytest.mark.parametrize("case", CASES)
def test_the_snapshot_of_each_recording_is_exactly_the_expected_one(case: str) -> None:
    snapshot = _poll(case)
    assert snapshot.reachable
    assert _observed(snapshot) == _expected(case)["snapshot"]
    # Whatever the case, no sentinel or impossible value is ever a reading.
    assert all(-40 <= s.celsius <= 150 and s.celsius != 0 for s in snapshot.temperatures)
    labels = [s.name for s in snapshot.temperatures]
    assert len(labels) == len(set(labels))
    for parts in (snapshot.fans, snapshot.power_supplies):
        assert len({c.name for c in parts}) == len(parts)


def _entry(vendor: str, covered: str) -> dict[str, Any]:
    """The profile table a ``covers`` item names: ``fans`` or ``fans.fallback.0``."""
    name, *rest = covered.split(".")
    entry: dict[str, Any] = get_profile(vendor).snmp["health"][name]
    if rest:
        assert rest[0] == "fallback", covered
        entry = entry["fallback"][int(rest[1])]
    return entry


def _rows(case: str, column: str) -> int:
    prefix = parse_oid(column)
    text = (CORPUS / f"{case}.snmprec").read_text(encoding="utf-8")
    recording = parse_snmprec(text, case)
    return sum(1 for oid in recording if oid[: len(prefix)] == prefix)


@pytest.mark.parametrize("vendor", COVERED_VENDORS)
def test_every_health_entry_and_fallback_is_covered_by_a_case(vendor: str) -> None:
    wanted = set()
    for name, entry in get_profile(vendor).snmp["health"].items():
        wanted.add(name)
        wanted.update(f"{name}.fallback.{i}" for i in range(len(entry.get("fallback", ()))))
    covered: dict[str, list[str]] = {}
    for case in CASES:
        expected = _expected(case)
        if expected["vendor"] == vendor:
            for item in expected["covers"]:
                covered.setdefault(item, []).append(case)
    assert wanted <= set(covered), f"not covered: {sorted(wanted - set(covered))}"


@pytest.mark.parametrize("case", CASES)
def test_a_case_covers_an_entry_only_if_its_recording_holds_that_entrys_rows(case: str) -> None:
    # Every vendor's cases, the appliances' too: their profiles are not required to be fully
    # covered (no public recording shape for most of their objects), but what a case claims holds.
    expected = _expected(case)
    for item in expected["covers"]:
        entry = _entry(expected["vendor"], item)
        column = entry.get("column") or entry.get("state_column") or entry.get("oid")
        assert _rows(case, column) > 0, f"{case} claims {item} but has no {column} rows"
        # The per-row columns a number is read with (status, RFC 3433 scale and precision).
        beside = [entry["status"]["column"]] if "status" in entry else []
        beside += list(entry.get("entity_sensor_scale", {}).values())
        for other in beside:
            assert _rows(case, other) > 0, f"{case} claims {item} but has no {other} rows"


def test_a_fallback_case_really_lacks_the_primary_rows() -> None:
    # The Comware 7 case proves the vendor tables are used only because hh3cEntityExtErrorStatus
    # has no fan/PSU rows: it must answer for the other entities (so the walk is not empty).
    case = "comware7-s5560-class8-sensors-vendor-fan-power"
    primary = _entry("h3c", "fans")["state_column"]
    assert _rows(case, primary) > 0
    recording = parse_snmprec((CORPUS / f"{case}.snmprec").read_text(encoding="utf-8"), case)
    fan_rows = [
        oid[-1:]
        for oid, value in recording.items()
        if oid[:-1] == parse_oid("1.3.6.1.2.1.47.1.1.1.1.5") and value.value in (6, 7)
    ]
    status = parse_oid(primary)
    assert fan_rows and all(status + index not in recording for index in fan_rows)


SOURCES = Path(__file__).parents[2] / "docs" / "sources"
CITATION = re.compile(r"\[([a-z0-9][a-z0-9-]*)\]")
DEFINITION = re.compile(r"^- \*\*\[([a-z0-9][a-z0-9-]*)\]\*\*", re.MULTILINE)


def test_every_source_a_case_cites_resolves_inside_the_repository() -> None:
    defined = [
        match.group(1)
        for page in sorted(SOURCES.glob("*.md"))
        for match in DEFINITION.finditer(page.read_text(encoding="utf-8"))
    ]
    for case in CASES:
        header = [
            line
            for line in (CORPUS / f"{case}.snmprec").read_text(encoding="utf-8").splitlines()
            if line.startswith("#")
        ]
        cited = {m.group(1) for line in header for m in CITATION.finditer(line)}
        assert cited, f"{case} cites no source"
        assert cited <= set(defined), f"{case}: undefined {sorted(cited - set(defined))}"
