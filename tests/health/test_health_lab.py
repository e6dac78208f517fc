"""Health of every model, polled over real SNMP from the lab, checked against its recording.

Expected values are read straight from the model's recording file (not over the wire), with
the moving values' amplitude from the vendor's lab file as tolerance; the snapshot must agree
after the whole path: pysnmp client -> UDP -> lab agent -> reader -> normalisation.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

import pytest

from agent.lab.device import TAG_OCTET_STRING, RecordedValue, SimulatedDevice
from collectors.health import HealthCollector
from collectors.profiles import load_profiles
from collectors.snmp.plan import OID, RowFilter, plan_for

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.lab.lab import Lab

pytestmark = pytest.mark.lab

MODELS = [(vendor, model) for vendor, p in load_profiles().items() for model in p.models]
IF_INDEX: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)


def _number(value: RecordedValue) -> float:
    if value.tag == TAG_OCTET_STRING:
        assert isinstance(value.value, bytes)
        # Numbers sent as text, as real agents send them: "123", "23%", "mem:41%".
        text = re.fullmatch(r"(?:[A-Za-z]\w*:)?([\d.]+)%?", value.value.decode())
        assert text is not None, value
        return float(text.group(1))
    assert isinstance(value.value, int)
    return float(value.value)


def _column(sim: SimulatedDevice, column: OID, where: RowFilter | None) -> dict[OID, float]:
    rows = {
        oid[len(column) :]: value
        for oid, value in sim.recording.items()
        if oid[: len(column)] == column
    }
    if where is not None and not (
        where.if_missing == "all-rows"
        and not any(oid[: len(where.column)] == where.column for oid in sim.recording)
    ):
        rows = {
            index: value
            for index, value in rows.items()
            if (selector := sim.recording.get(where.column + index)) is not None
            and selector.value in where.equals
        }
    return {index: _number(value) for index, value in rows.items()}


def _sentinel_rows(sim: SimulatedDevice) -> dict[str, int]:
    """``name[index]`` -> recorded sentinel, for every column row the profile calls no reading."""
    plan = plan_for(sim.vendor, sim.model, sim.kind)
    found = {}
    for name, spec in plan.numbers.items():
        if spec.column is None or not spec.validity.sentinels:
            continue
        for index, value in _column(sim, spec.column, spec.where).items():
            if value in spec.validity.sentinels:
                found[f"{name}[{'.'.join(map(str, index))}]"] = int(value)
    return found


def _recorded(sim: SimulatedDevice, name: str) -> tuple[list[float], float]:
    """The recorded readings of a plan entry (sentinels left out), and the tolerance its lab
    wobble allows."""
    spec = plan_for(sim.vendor, sim.model, sim.kind).numbers[name]
    moving = sim.behaviour.moving
    if spec.oid is not None:
        return [_number(sim.recording[spec.oid])], moving.get(spec.oid, 0) + 0.5
    assert spec.column is not None
    values = {
        index: value
        for index, value in _column(sim, spec.column, spec.where).items()
        if value not in spec.validity.sentinels
    }
    wobble = max(
        (a for oid, a in moving.items() if oid[: len(spec.column)] == spec.column), default=0
    )
    return [values[i] for i in sorted(values)], wobble + 0.5


def _device_of(model: str, lab_devices: list[Device]) -> Device:
    return next(d for d in lab_devices if d.model == model)


def _poll(device: Device) -> object:
    return asyncio.run(HealthCollector().collect(device))


@pytest.mark.parametrize(("vendor", "model"), MODELS)
def test_health_of_every_model_matches_its_recording(
    vendor: str, model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = _device_of(model, lab_devices)
    sim = clean_lab.devices[device.name]
    plan = plan_for(vendor, model, sim.kind)
    snapshot = asyncio.run(HealthCollector().collect(device))

    assert snapshot.reachable, snapshot.unreadable
    # The only unreadable entries allowed are the rows the recording marks as "no sensor" with
    # the profile's sentinel (real Comware and VRP shapes): named per row, never exported.
    sentinel_rows = _sentinel_rows(sim)
    assert snapshot.unreadable == {
        key: f"not supported (sentinel {value})" for key, value in sentinel_rows.items()
    }
    assert snapshot.identity.mismatch is None
    assert snapshot.identity.detected_model == model
    assert snapshot.uptime_seconds is not None and snapshot.uptime_seconds > 0

    cpu, tolerance = _recorded(sim, "cpu")
    expected_cpu = max(cpu) if plan.numbers["cpu"].aggregate == "max" else sum(cpu) / len(cpu)
    if plan.numbers["cpu"].aggregate == "first":
        expected_cpu = cpu[0]
    assert snapshot.cpu_ratio == pytest.approx(expected_cpu / 100, abs=tolerance / 100)

    if "memory" in plan.numbers:
        memory, tolerance = _recorded(sim, "memory")
        assert snapshot.memory_ratio == pytest.approx(max(memory) / 100, abs=tolerance / 100)
    else:
        (total,), _ = _recorded(sim, "memory_total")
        (free,), free_tolerance = _recorded(sim, "memory_free")
        assert snapshot.memory_ratio == pytest.approx(
            (total - free) / total, abs=free_tolerance / total
        )

    temperatures, tolerance = _recorded(sim, "temperature")
    assert [s.celsius for s in snapshot.temperatures] == pytest.approx(temperatures, abs=tolerance)
    assert all(s.name and not s.name.startswith("sensor ") for s in snapshot.temperatures)
    assert len({s.name for s in snapshot.temperatures}) == len(snapshot.temperatures)

    assert len(snapshot.fans) >= 1 and all(f.state == "ok" for f in snapshot.fans)
    assert len(snapshot.power_supplies) >= 1
    assert all(p.state == "ok" for p in snapshot.power_supplies)

    if_rows = [oid for oid in sim.recording if oid[: len(IF_INDEX)] == IF_INDEX]
    assert len(snapshot.interfaces) == len(if_rows)
    assert any(port.oper_up for port in snapshot.interfaces)
    assert all(port.in_octets is not None for port in snapshot.interfaces)

    if "sessions" in plan.numbers:
        (sessions,), tolerance = _recorded(sim, "sessions")
        assert snapshot.sessions == pytest.approx(sessions, abs=tolerance)
        assert snapshot.new_sessions_per_second is not None
    else:
        assert snapshot.sessions is None
    if "ha_role" in plan.states:
        assert snapshot.ha_role == "active"
    if plan.disk is not None:
        sizes = _column(sim, plan.disk.size_column, plan.disk.where)
        used = _column(sim, plan.disk.used_column, None)
        expected = max(used[i] / size for i, size in sizes.items())
        assert snapshot.disk_ratio == pytest.approx(expected, abs=0.01)
    else:
        assert snapshot.disk_ratio is None


@pytest.mark.parametrize("model", ["S5500", "S5700", "NGFW4000", "USG-1008DP", "SASNX3-GL2100"])
def test_hardware_faults_show_in_the_snapshot(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = _device_of(model, lab_devices)
    clean_lab.set_fault(device.name, "fan-fail")
    clean_lab.set_fault(device.name, "psu-fail")
    clean_lab.set_fault(device.name, "cpu-high")
    snapshot = asyncio.run(HealthCollector().collect(device))
    assert snapshot.cpu_ratio == pytest.approx(0.97)
    assert snapshot.fans[0].state == "failed"
    assert all(f.state == "ok" for f in snapshot.fans[1:])
    assert snapshot.power_supplies[1].state == "failed"
    assert snapshot.power_supplies[0].state == "ok"


def test_an_unreachable_device_never_delays_the_others(
    clean_lab: Lab, lab_devices: list[Device]
) -> None:
    down = [d for d in lab_devices if d.vendor == "h3c"][:2]
    for device in down:
        clean_lab.set_fault(device.name, "down")
    clean_lab.set_fault(lab_devices[0].name, "snmp-timeout")
    started = time.monotonic()
    snapshots = asyncio.run(HealthCollector().collect_all(lab_devices))
    elapsed = time.monotonic() - started
    dead = {d.name for d in down}
    for device, snapshot in zip(lab_devices, snapshots, strict=True):
        if device.name in dead:
            assert not snapshot.reachable
            assert "timeout" in snapshot.unreadable["snmp"]
        elif device.name == lab_devices[0].name:
            # SNMP is silent but SSH answers: up, with SNMP's failure said and the CLI's values.
            assert snapshot.reachable
            assert "timeout" in snapshot.unreadable["snmp"]
            assert snapshot.cpu_ratio is not None
        else:
            assert snapshot.reachable, (device.name, snapshot.unreadable)
            # Only the per-row "no sensor" entries of the real Comware/VRP shapes, nothing else.
            assert all(
                "[" in key and why.startswith("not supported (sentinel ")
                for key, why in snapshot.unreadable.items()
            ), (device.name, snapshot.unreadable)
            assert snapshot.cpu_ratio is not None
    # The dead ones cost their own timeout (2 s x 2 attempts), in parallel with the rest: the
    # whole fleet is not serialised behind them. Generous bound: this is not a timing test.
    assert elapsed < 30


def test_a_slow_device_still_answers(clean_lab: Lab, lab_devices: list[Device]) -> None:
    device = _device_of("NGFW4000", lab_devices)
    clean_lab.set_fault(device.name, "slow")
    snapshot = asyncio.run(HealthCollector().collect(device))
    assert snapshot.reachable
    assert snapshot.snmp_rtt_seconds is not None and snapshot.snmp_rtt_seconds >= 1.0


@pytest.mark.parametrize("model", ["S5500", "LS-5560-54C-EI", "S5700", "NGFW4000", "SASNX3-GL2100"])
def test_first_contact_reads_the_software_version_over_ssh(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = _device_of(model, lab_devices)
    snapshot = asyncio.run(HealthCollector().collect(device))
    assert snapshot.identity.software_version
    assert snapshot.identity.mismatch is None
    assert snapshot.ssh_rtt_seconds is not None


def test_without_snmp_the_cli_fills_in_the_health(
    clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = _device_of("USG-FW-310-T-NF1600", lab_devices)
    clean_lab.set_fault(device.name, "snmp-timeout")
    clean_lab.set_fault(device.name, "fan-fail")
    snapshot = asyncio.run(HealthCollector().collect(device))
    assert snapshot.reachable  # SSH answers
    assert "timeout" in snapshot.unreadable["snmp"]
    assert snapshot.cpu_ratio is not None and 0 < snapshot.cpu_ratio < 1
    assert snapshot.memory_ratio is not None
    assert snapshot.temperatures
    assert snapshot.fans[0].state == "failed"
    assert {"cpu", "memory", "temperature", "fans", "psus"}.isdisjoint(snapshot.unreadable)


def test_a_down_device_is_down_on_both_protocols(clean_lab: Lab, lab_devices: list[Device]) -> None:
    device = _device_of("S3600", lab_devices)
    clean_lab.set_fault(device.name, "down")
    snapshot = asyncio.run(HealthCollector().collect(device))
    assert not snapshot.reachable
    assert "snmp" in snapshot.unreadable and "software_version" in snapshot.unreadable
