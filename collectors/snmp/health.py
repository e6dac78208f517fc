"""Health over SNMP: one GET for the system group and the profile's scalars, GETBULK walks for
the interface table and the profile's columns, then values normalised into a HealthSnapshot.

Whatever cannot be read is named in ``snapshot.unreadable`` with the reason (timeout,
noSuchObject, no rows, not a number, unknown state ...) and the rest of the snapshot is kept.

Values are checked at this boundary before they become readings: a number outside every SNMP
integer type, or text too long to be one, is "not a number"; a profile's ``sentinels`` (Comware's
65535 "no sensor", Huawei's 0 on sensor-less cards) and ``valid_range`` turn a raw value into an
``unreadable`` entry (``temperature[12]: not supported (sentinel 65535)``), never a reading.
A profile's per-row ``status`` column does the same for a row the agent marks unreadable
(``temperature[6]: not available (status unavailable(2))``), and ``entity_sensor_scale`` applies
each row's RFC 3433 scale and precision (45123 milli is 45.123).
When a source gives no valid value, the profile's ``fallback`` sources are tried in order.
Component labels that repeat within a device get the row index appended, so every per-component
label set exported from a snapshot is unique.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from collectors.base import (
    Component,
    HealthSnapshot,
    Identity,
    Interface,
    Sensor,
    is_quiet,
)
from collectors.counters import COUNTER64_MODULUS, CounterTracker
from collectors.identify import mismatch, recognise
from collectors.snmp.client import SnmpClient, SnmpError, SnmpTarget, SnmpTimeout
from collectors.snmp.plan import OID, HealthPlan, NumberSpec, RowFilter, StateSpec

# Bounds of what an SNMP agent can legitimately send (RFC 2578): Integer32 is the only signed
# type, Counter64 the widest unsigned one. A decoded value outside them is garbage.
SNMP_INT_MIN = -(2**31)
SNMP_INT_MAX = 2**64 - 1
# A number sent as text ("45", "45.5") is short; anything longer is not a number.
MAX_NUMBER_TEXT = 64
# Labels become Prometheus label values and report cells: cut long names, drop control bytes.
MAX_LABEL_CHARS = 128
MAX_DESCR_CHARS = 1024
# More rows than this in one column is not a switch or an appliance but a broken agent (or a
# walk that never ends); the value is refused instead of filling memory and labels.
MAX_TABLE_ROWS = 10_000

# SNMPv2-MIB system group (RFC 3418).
SYS_DESCR: OID = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: OID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME: OID = (1, 3, 6, 1, 2, 1, 1, 3, 0)

# IF-MIB (RFC 2863) ifTable and ifXTable columns.
IF_DESCR: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_SPEED: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5)
IF_ADMIN_STATUS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)  # up(1), down(2), testing(3) [if-mib]
IF_OPER_STATUS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)  # up(1)
IF_IN_OCTETS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 10)
IF_IN_DISCARDS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 13)
IF_IN_ERRORS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 14)
IF_OUT_OCTETS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 16)
IF_OUT_DISCARDS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 19)
IF_OUT_ERRORS: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 20)
IF_NAME: OID = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
IF_HC_IN_OCTETS: OID = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)
IF_HC_OUT_OCTETS: OID = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10)
IF_HIGH_SPEED: OID = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15)  # Mbit/s
IF_ALIAS: OID = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18)  # DisplayString (SIZE(0..64)) [if-mib]
INTERFACE_COLUMNS: tuple[OID, ...] = (
    IF_DESCR, IF_SPEED, IF_ADMIN_STATUS, IF_OPER_STATUS, IF_IN_OCTETS, IF_IN_DISCARDS,
    IF_IN_ERRORS, IF_OUT_OCTETS, IF_OUT_DISCARDS, IF_OUT_ERRORS, IF_NAME, IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS, IF_HIGH_SPEED, IF_ALIAS,
)  # fmt: skip
# ifAlias is at most 64 octets (IF-MIB); a longer value is cut, not refused.
MAX_ALIAS_CHARS = 64

Table = dict[OID, dict[OID, Any]]  # column -> {row index: value}


class NotANumber(ValueError):
    pass


# A number sent as text: "45", "45.5", "45%", "cpu: 45 %" (Venustech sends percentages so).
# The label and the percent sign are the only decorations accepted, so any other text is
# still "not a number" rather than a guess.
_NUMBER_TEXT = re.compile(r"\s*(?:[A-Za-z][\w ]*:)?\s*(-?\d+(?:\.\d+)?)\s*%?\s*")


def _number(value: Any, decimal_text: bool = False) -> float:
    if isinstance(value, bool) or value is None:
        raise NotANumber(repr(value))
    if isinstance(value, int):
        if not SNMP_INT_MIN <= value <= SNMP_INT_MAX:
            raise NotANumber(f"{value} is outside every SNMP integer type")
        return float(value)
    if isinstance(value, bytes) and len(value) > MAX_NUMBER_TEXT:
        raise NotANumber(f"text of {len(value)} bytes")
    if isinstance(value, bytes) and decimal_text:
        try:
            match = _NUMBER_TEXT.fullmatch(value.decode("ascii"))
        except UnicodeDecodeError:
            match = None
        if match is None:
            raise NotANumber(repr(value))
        return float(match.group(1))
    raise NotANumber(f"{type(value).__name__} {value!r}")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _label(value: Any) -> str:
    """A component name fit for a label: printable, bounded, stripped."""
    text = "".join(c if c.isprintable() else " " for c in _text(value)).strip()
    return text[:MAX_LABEL_CHARS]


def _rows(table: Table, column: OID, where: RowFilter | None) -> dict[OID, Any]:
    rows = table.get(column, {})
    if where is None:
        return rows
    selector = table.get(where.column, {})
    if not selector and where.if_missing == "all-rows":
        # The agent does not implement the selector column at all: the profile says every row
        # is a candidate, and sentinels / ranges drop the ones that are not readings.
        return rows
    return {index: v for index, v in rows.items() if selector.get(index) in where.equals}


def _unique_labels(labels: list[tuple[OID, str]]) -> list[str]:
    """Names that repeat within the device (eleven ``virtue Board`` rows) get their index."""
    counts: dict[str, int] = {}
    for _, name in labels:
        counts[name] = counts.get(name, 0) + 1
    return [
        f"{name} ({_index_text(index)})" if counts[name] > 1 and index else name
        for index, name in labels
    ]


def _one_reason(reasons: list[str]) -> str:
    """The reasons of every source tried, each said once, in the order tried."""
    return "; then ".join(dict.fromkeys(reasons))


@dataclass
class _Reading:
    """One number source read: valid values by row, the rows that are not readings, or why
    there is no value at all."""

    values: dict[OID, float] = field(default_factory=dict)
    rejected: dict[OID, str] = field(default_factory=dict)
    why: str | None = None


def _index_text(index: OID) -> str:
    return ".".join(str(part) for part in index)


class SnmpHealthReader:
    """Reads one device's health over SNMP; shares one client and one counter tracker."""

    def __init__(self, client: SnmpClient, counters: CounterTracker) -> None:
        self.client = client
        self.counters = counters

    async def read(
        self, device: str, vendor: str, model: str, target: SnmpTarget, plan: HealthPlan
    ) -> HealthSnapshot:
        collected_at = datetime.now(UTC)
        snapshot = HealthSnapshot(device=device, collected_at=collected_at, reachable=False)
        started = time.monotonic()
        scalar_oids = [SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, *plan.scalar_oids()]
        try:
            scalars = await self.client.get(target, scalar_oids)
        except SnmpTimeout as error:
            snapshot.unreadable["snmp"] = f"timeout: {error}"
            return snapshot
        except SnmpError as error:
            snapshot.unreadable["snmp"] = f"error: {error}"
            return snapshot
        snapshot.reachable = True
        snapshot.snmp_rtt_seconds = time.monotonic() - started
        self._identity(snapshot, vendor, model, scalars)
        uptime = scalars.get(SYS_UPTIME)
        if isinstance(uptime, int) and not isinstance(uptime, bool) and 0 <= uptime < 2**32:
            snapshot.uptime_seconds = uptime / 100
        elif uptime is None:
            snapshot.unreadable["uptime"] = "noSuchObject"
        else:
            # TimeTicks is unsigned 32-bit: anything else (text, a negative) is garbage.
            snapshot.unreadable["uptime"] = f"not a number: {_label(uptime)[:32]!r}"

        interfaces = await self._walk(snapshot, target, INTERFACE_COLUMNS, "interfaces")
        columns = plan.columns()
        table = await self._walk(snapshot, target, columns, "tables") if columns else {}
        now = time.time()
        self._interfaces(snapshot, interfaces, now)
        for spec in plan.numbers.values():
            self._apply_number(snapshot, spec, scalars, table, now)
        for state in plan.states.values():
            self._apply_state(snapshot, state, scalars, table)
        if plan.disk is not None:
            self._apply_disk(snapshot, plan, table)
        self._memory_from_total_free(snapshot, plan, scalars, table)
        self._serial(snapshot, plan, table)
        return snapshot

    # -- fetching ----------------------------------------------------------------------
    async def _walk(
        self, snapshot: HealthSnapshot, target: SnmpTarget, columns: Iterable[OID], what: str
    ) -> Table:
        try:
            # One row more than accepted: a longer table is refused below, not cut silently.
            return await self.client.bulk_walk(target, list(columns), MAX_TABLE_ROWS + 1)
        except SnmpError as error:
            # The device answered the GET, so this is a table-specific failure (an agent that
            # ignores GETBULK, a timeout on a big table): keep the scalars, say what is missing.
            snapshot.unreadable[what] = f"walk failed: {error}"
            return {}

    # -- interpretation ------------------------------------------------------------------
    def _identity(
        self, snapshot: HealthSnapshot, vendor: str, model: str, scalars: dict[OID, Any]
    ) -> None:
        sys_object_id = scalars.get(SYS_OBJECT_ID)
        sys_descr = scalars.get(SYS_DESCR)
        oid_text = sys_object_id if isinstance(sys_object_id, str) else None
        # Bounded: sysDescr is DisplayString (SIZE (0..255)); a longer one is cut, not stored whole.
        descr_text = _text(sys_descr)[:MAX_DESCR_CHARS] if sys_descr is not None else None
        seen = recognise(oid_text, descr_text)
        snapshot.identity = Identity(
            sys_object_id=oid_text,
            sys_descr=descr_text,
            detected_model=seen.model,
            mismatch=mismatch(vendor, model, seen),
        )

    def _serial(self, snapshot: HealthSnapshot, plan: HealthPlan, table: Table) -> None:
        """The chassis serial (first non-empty row), kept with the identity. An agent without
        the column is no error: many boxes leave entPhysicalSerialNum empty."""
        if plan.serial is None:
            return
        rows = _rows(table, plan.serial.column, plan.serial.where)
        serial = next((_text(rows[i]).strip() for i in sorted(rows) if _text(rows[i]).strip()), "")
        if serial:
            snapshot.identity = replace(
                snapshot.identity, serial_number=serial, serial_source="snmp"
            )

    def _interfaces(self, snapshot: HealthSnapshot, table: Table, now: float) -> None:
        oper = table.get(IF_OPER_STATUS, {})
        if not oper:
            if "interfaces" not in snapshot.unreadable:
                snapshot.unreadable["interfaces"] = "no rows in ifTable"
            return
        if len(oper) > MAX_TABLE_ROWS:
            snapshot.unreadable["interfaces"] = (
                f"not a number: {len(oper)} rows, more than {MAX_TABLE_ROWS}"
            )
            return
        uptime = snapshot.uptime_seconds or 0.0
        for index in sorted(oper):
            if len(index) != 1:
                continue
            if_index = index[0]

            def cell(column: OID, index: OID = index) -> int | None:
                # Speeds, counters and errors are unsigned: a negative or oversized value (or
                # text) is garbage, left out rather than exported.
                value = table.get(column, {}).get(index)
                if isinstance(value, int) and not isinstance(value, bool):
                    return value if 0 <= value <= SNMP_INT_MAX else None
                return None

            name = _label(table.get(IF_NAME, {}).get(index)) or _label(
                table.get(IF_DESCR, {}).get(index)
            )
            high_speed = cell(IF_HIGH_SPEED)
            speed = high_speed * 1_000_000 if high_speed else cell(IF_SPEED)
            octets = {}
            for direction, hc_column, column in (
                ("in", IF_HC_IN_OCTETS, IF_IN_OCTETS),
                ("out", IF_HC_OUT_OCTETS, IF_OUT_OCTETS),
            ):
                hc = cell(hc_column)
                if hc is not None:
                    octets[direction] = self.counters.update(
                        snapshot.device,
                        f"if{if_index}.{direction}.hc",
                        hc,
                        uptime=uptime,
                        at=now,
                        modulus=COUNTER64_MODULUS,
                    ).total
                elif (raw := cell(column)) is not None:
                    # Only 32-bit counters: made monotonic here so a wrap is not a reset.
                    octets[direction] = self.counters.update(
                        snapshot.device, f"if{if_index}.{direction}", raw, uptime=uptime, at=now
                    ).total
            # Only up(1) and down(2) decide; testing(3) or garbage leaves it unknown.
            admin = table.get(IF_ADMIN_STATUS, {}).get(index)
            snapshot.interfaces.append(
                Interface(
                    index=if_index,
                    name=name or f"ifIndex {if_index}",
                    oper_up=oper[index] == 1,
                    admin_up={1: True, 2: False}.get(admin) if isinstance(admin, int) else None,
                    alias=_label(table.get(IF_ALIAS, {}).get(index))[:MAX_ALIAS_CHARS],
                    speed_bps=speed,
                    in_octets=octets.get("in"),
                    out_octets=octets.get("out"),
                    in_errors=cell(IF_IN_ERRORS),
                    out_errors=cell(IF_OUT_ERRORS),
                    in_discards=cell(IF_IN_DISCARDS),
                    out_discards=cell(IF_OUT_DISCARDS),
                )
            )

    def _values(
        self, spec: NumberSpec, scalars: dict[OID, Any], table: Table
    ) -> dict[OID, Any] | str:
        """Raw values keyed by row index (``()`` for a scalar), or why there are none."""
        if spec.oid is not None:
            value = scalars.get(spec.oid)
            return {(): value} if value is not None else "noSuchObject"
        assert spec.column is not None
        rows = _rows(table, spec.column, spec.where)
        if len(rows) > MAX_TABLE_ROWS:
            return f"not a number: {len(rows)} rows, more than {MAX_TABLE_ROWS}"
        return rows or "no rows"

    def _row_value(self, spec: NumberSpec, index: OID, raw: Any, table: Table) -> float | str:
        """One row's value in the spec's unit, or why the row is not a reading. The status is
        asked first: a sensor that is not ok answers 0 or a stale number, never a reading."""
        if spec.status is not None:
            problem = spec.status.problem(table.get(spec.status.column, {}).get(index))
            if problem is not None:
                return problem
        try:
            number = _number(raw, spec.decimal_text)
        except NotANumber as error:
            return f"not a number: {error}"
        scaled = number * spec.scale
        if spec.sensor_scale is not None:
            columns = spec.sensor_scale
            exponent = columns.exponent(
                table.get(columns.scale_column, {}).get(index),
                table.get(columns.precision_column, {}).get(index),
            )
            if isinstance(exponent, str):
                return exponent
            # Dividing by an exact power of ten keeps 45123 milli at 45.123, where multiplying
            # by 0.001 would give 45.123000000000005.
            scaled = scaled * 10**exponent if exponent >= 0 else scaled / 10**-exponent
        # Sentinels are raw values as the agent sends them; the range is in the unit.
        problem = spec.validity.problem(number, scaled)
        return scaled if problem is None else problem

    def _read_source(self, spec: NumberSpec, scalars: dict[OID, Any], table: Table) -> _Reading:
        values = self._values(spec, scalars, table)
        if isinstance(values, str):
            return _Reading(why=values)
        reading = _Reading()
        for index, raw in values.items():
            value = self._row_value(spec, index, raw, table)
            if isinstance(value, str):
                reading.rejected[index] = value
            else:
                reading.values[index] = value
        broken = {index: why for index, why in reading.rejected.items() if not is_quiet(why)}
        if broken and spec.name != "temperature":
            # One value made of several rows (the max CPU of a stack): a garbage or impossible
            # row makes the whole value unknown; dropping it would under-report the others'
            # maximum. Rows that merely have no sensor/CPU (sentinels) or that the agent marks
            # as holding no reading (a status other than ok) are left out quietly: the agent
            # said so itself, and that says nothing against the other rows.
            index = min(broken)
            suffix = f" (row {_index_text(index)})" if index else ""
            return _Reading(why=broken[index] + suffix)
        if not reading.values:
            reading.why = _one_reason([reading.rejected[i] for i in sorted(reading.rejected)])
        return reading

    def _read_number(
        self, snapshot: HealthSnapshot, spec: NumberSpec, scalars: dict[OID, Any], table: Table
    ) -> dict[OID, float] | None:
        """The valid values of the first source (the entry, then its fallbacks) that has any;
        rows of that source that are not readings are named in ``unreadable``."""
        reasons = []
        for source in (spec, *spec.fallbacks):
            reading = self._read_source(source, scalars, table)
            if reading.values:
                for index, why in sorted(reading.rejected.items()):
                    snapshot.unreadable[f"{spec.name}[{_index_text(index)}]"] = why
                return reading.values
            reasons.append(reading.why or "no rows")
        snapshot.unreadable[spec.name] = _one_reason(reasons)
        return None

    def _apply_number(
        self,
        snapshot: HealthSnapshot,
        spec: NumberSpec,
        scalars: dict[OID, Any],
        table: Table,
        now: float,
    ) -> None:
        numbers = self._read_number(snapshot, spec, scalars, table)
        if numbers is None:
            return
        if spec.name == "temperature":
            names = table.get(spec.name_column, {}) if spec.name_column else {}
            for source in spec.fallbacks:
                if source.name_column and not names:
                    names = table.get(source.name_column, {})
            labelled = [
                (
                    index,
                    _label(names.get(index))
                    or (f"sensor {_index_text(index)}" if index else "temperature"),
                )
                for index in sorted(numbers)
            ]
            for (index, _), label in zip(labelled, _unique_labels(labelled), strict=True):
                snapshot.temperatures.append(Sensor(label, numbers[index]))
            return
        ordered = [numbers[i] for i in sorted(numbers)]
        if spec.aggregate == "max":
            value = max(ordered)
        elif spec.aggregate == "mean":
            value = sum(ordered) / len(ordered)
        else:
            value = ordered[0]
        if spec.name in ("cpu", "memory"):
            ratio = value / 100 if spec.unit == "percent" else value
            if not 0 <= ratio <= 1:
                # A ratio above 1 (or below 0) is an agent error, never a reading.
                snapshot.unreadable[spec.name] = f"out of range (ratio {ratio:g})"
                return
            if spec.name == "cpu":
                snapshot.cpu_ratio = ratio
            else:
                snapshot.memory_ratio = ratio
        elif spec.name == "sessions":
            snapshot.sessions = int(value)
        elif spec.name == "new_sessions":
            if spec.counter:
                reading = self.counters.update(
                    snapshot.device,
                    "new_sessions",
                    int(value),
                    uptime=snapshot.uptime_seconds or 0.0,
                    at=now,
                )
                snapshot.new_sessions_per_second = reading.rate
            else:
                snapshot.new_sessions_per_second = value
        # memory_total / memory_free are combined in _memory_from_total_free.

    def _memory_from_total_free(
        self, snapshot: HealthSnapshot, plan: HealthPlan, scalars: dict[OID, Any], table: Table
    ) -> None:
        total_spec = plan.numbers.get("memory_total")
        free_spec = plan.numbers.get("memory_free")
        if total_spec is None or free_spec is None or "memory" in plan.numbers:
            return
        readings = [self._read_source(spec, scalars, table) for spec in (total_spec, free_spec)]
        for reading in readings:
            if reading.why is not None:
                snapshot.unreadable["memory"] = f"memory_total or memory_free: {reading.why}"
                return
        total, free = (sum(reading.values.values()) for reading in readings)
        if total <= 0:
            snapshot.unreadable["memory"] = "total memory reads 0"
            return
        if free > total:
            why = f"out of range (free {free:.0f} above total {total:.0f})"
            snapshot.unreadable["memory"] = why
            return
        snapshot.memory_ratio = (total - free) / total

    def _state_rows(
        self, spec: StateSpec, scalars: dict[OID, Any], table: Table
    ) -> tuple[StateSpec, dict[OID, Any]] | str:
        """The rows of the first source (the entry, then its fallbacks) that has any."""
        reasons = []
        for source in (spec, *spec.fallbacks):
            if source.oid is not None:
                raw = scalars.get(source.oid)
                if raw is not None:
                    return source, {(): raw}
                reasons.append("noSuchObject")
                continue
            assert source.state_column is not None
            rows = _rows(table, source.state_column, source.where)
            if len(rows) > MAX_TABLE_ROWS:
                reasons.append(f"not a number: {len(rows)} rows, more than {MAX_TABLE_ROWS}")
            elif rows:
                return source, rows
            else:
                reasons.append("no rows")
        return _one_reason(reasons)

    def _apply_state(
        self, snapshot: HealthSnapshot, spec: StateSpec, scalars: dict[OID, Any], table: Table
    ) -> None:
        found = self._state_rows(spec, scalars, table)
        if isinstance(found, str):
            snapshot.unreadable[spec.name] = found
            return
        source, rows = found
        if spec.name == "ha_role":
            raw = next(iter(rows.values()))
            snapshot.ha_role = source.states.get(raw, "unknown") if isinstance(raw, int) else None
            if snapshot.ha_role is None:
                snapshot.unreadable["ha_role"] = f"not a number: {raw!r}"
            return
        names = table.get(source.name_column, {}) if source.name_column else {}
        presence = table.get(source.absent_column, {}) if source.absent_column else {}
        label = "fan" if spec.name == "fans" else "power supply"
        labelled = [
            (index, _label(names.get(index)) or f"{label} {_index_text(index)}")
            for index in sorted(rows)
        ]
        components = []
        for (index, _), name in zip(labelled, _unique_labels(labelled), strict=True):
            raw = rows[index]
            if presence.get(index) in source.absent_values:
                state = "absent"
            elif isinstance(raw, int) and not isinstance(raw, bool):
                state = source.states.get(raw, "unknown")
            else:
                state = "unknown"
            raw_text = _label(raw)[:32]
            components.append(Component(name=name, state=state, raw=raw_text))  # type: ignore[arg-type]
        if spec.name == "fans":
            snapshot.fans = components
        else:
            snapshot.power_supplies = components

    def _apply_disk(self, snapshot: HealthSnapshot, plan: HealthPlan, table: Table) -> None:
        disk = plan.disk
        assert disk is not None
        sizes = _rows(table, disk.size_column, disk.where)
        if not sizes:
            snapshot.unreadable["disk"] = "no disk rows"
            return
        ratios = []
        for index, size in sizes.items():
            used = table.get(disk.used_column, {}).get(index)
            if isinstance(size, int) and isinstance(used, int) and size > 0:
                ratios.append(used / size)
        if not ratios:
            snapshot.unreadable["disk"] = "disk rows have no size or used value"
            return
        # The fullest disk is what fills the log store first, and what alerts care about.
        snapshot.disk_ratio = max(ratios)
