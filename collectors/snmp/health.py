"""Health over SNMP: one GET for the system group and the profile's scalars, GETBULK walks for
the interface table and the profile's columns, then values normalised into a HealthSnapshot.

Whatever cannot be read is named in ``snapshot.unreadable`` with the reason (timeout,
noSuchObject, no rows, not a number, unknown state ...) and the rest of the snapshot is kept.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from collectors.base import Component, HealthSnapshot, Identity, Interface, Sensor
from collectors.counters import COUNTER64_MODULUS, CounterTracker
from collectors.identify import mismatch, recognise
from collectors.snmp.client import SnmpClient, SnmpError, SnmpTarget, SnmpTimeout
from collectors.snmp.plan import OID, HealthPlan, NumberSpec, RowFilter, StateSpec

# SNMPv2-MIB system group (RFC 3418).
SYS_DESCR: OID = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: OID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME: OID = (1, 3, 6, 1, 2, 1, 1, 3, 0)

# IF-MIB (RFC 2863) ifTable and ifXTable columns.
IF_DESCR: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_SPEED: OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5)
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
INTERFACE_COLUMNS: tuple[OID, ...] = (
    IF_DESCR, IF_SPEED, IF_OPER_STATUS, IF_IN_OCTETS, IF_IN_DISCARDS, IF_IN_ERRORS,
    IF_OUT_OCTETS, IF_OUT_DISCARDS, IF_OUT_ERRORS, IF_NAME, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
)  # fmt: skip

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
        return float(value)
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


def _rows(table: Table, column: OID, where: RowFilter | None) -> dict[OID, Any]:
    rows = table.get(column, {})
    if where is None:
        return rows
    selector = table.get(where.column, {})
    return {index: v for index, v in rows.items() if selector.get(index) in where.equals}


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
        if isinstance(uptime, int):
            snapshot.uptime_seconds = uptime / 100
        else:
            snapshot.unreadable["uptime"] = "noSuchObject" if uptime is None else "not a number"

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
            return await self.client.bulk_walk(target, list(columns))
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
        descr_text = _text(sys_descr) if sys_descr is not None else None
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
            snapshot.identity = replace(snapshot.identity, serial_number=serial)

    def _interfaces(self, snapshot: HealthSnapshot, table: Table, now: float) -> None:
        oper = table.get(IF_OPER_STATUS, {})
        if not oper:
            if "interfaces" not in snapshot.unreadable:
                snapshot.unreadable["interfaces"] = "no rows in ifTable"
            return
        uptime = snapshot.uptime_seconds or 0.0
        for index in sorted(oper):
            if len(index) != 1:
                continue
            if_index = index[0]

            def cell(column: OID, index: OID = index) -> int | None:
                value = table.get(column, {}).get(index)
                return value if isinstance(value, int) and not isinstance(value, bool) else None

            name = table.get(IF_NAME, {}).get(index) or table.get(IF_DESCR, {}).get(index)
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
            snapshot.interfaces.append(
                Interface(
                    index=if_index,
                    name=_text(name) or f"ifIndex {if_index}",
                    oper_up=oper[index] == 1,
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
        return rows or "no rows"

    def _apply_number(
        self,
        snapshot: HealthSnapshot,
        spec: NumberSpec,
        scalars: dict[OID, Any],
        table: Table,
        now: float,
    ) -> None:
        values = self._values(spec, scalars, table)
        if isinstance(values, str):
            snapshot.unreadable[spec.name] = values
            return
        try:
            numbers = {i: _number(v, spec.decimal_text) * spec.scale for i, v in values.items()}
        except NotANumber as error:
            snapshot.unreadable[spec.name] = f"not a number: {error}"
            return
        if spec.name == "temperature":
            names = table.get(spec.name_column, {}) if spec.name_column else {}
            for index, value in sorted(numbers.items()):
                label = _text(names.get(index)) or (
                    f"sensor {_index_text(index)}" if index else "temperature"
                )
                snapshot.temperatures.append(Sensor(label, value))
            return
        ordered = [numbers[i] for i in sorted(numbers)]
        if spec.aggregate == "max":
            value = max(ordered)
        elif spec.aggregate == "mean":
            value = sum(ordered) / len(ordered)
        else:
            value = ordered[0]
        if spec.name == "cpu":
            snapshot.cpu_ratio = value / 100 if spec.unit == "percent" else value
        elif spec.name == "memory":
            snapshot.memory_ratio = value / 100 if spec.unit == "percent" else value
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
        total_values = self._values(total_spec, scalars, table)
        free_values = self._values(free_spec, scalars, table)
        if isinstance(total_values, str) or isinstance(free_values, str):
            snapshot.unreadable["memory"] = "memory_total or memory_free: noSuchObject"
            return
        try:
            total = sum(_number(v, total_spec.decimal_text) for v in total_values.values())
            free = sum(_number(v, free_spec.decimal_text) for v in free_values.values())
        except NotANumber as error:
            snapshot.unreadable["memory"] = f"not a number: {error}"
            return
        if total <= 0:
            snapshot.unreadable["memory"] = "total memory reads 0"
            return
        snapshot.memory_ratio = (total - free) / total

    def _apply_state(
        self, snapshot: HealthSnapshot, spec: StateSpec, scalars: dict[OID, Any], table: Table
    ) -> None:
        if spec.oid is not None:
            raw = scalars.get(spec.oid)
            if raw is None:
                snapshot.unreadable[spec.name] = "noSuchObject"
                return
            rows: dict[OID, Any] = {(): raw}
        else:
            assert spec.state_column is not None
            rows = _rows(table, spec.state_column, spec.where)
            if not rows:
                snapshot.unreadable[spec.name] = "no rows"
                return
        if spec.name == "ha_role":
            raw = next(iter(rows.values()))
            snapshot.ha_role = spec.states.get(raw, "unknown") if isinstance(raw, int) else None
            if snapshot.ha_role is None:
                snapshot.unreadable["ha_role"] = f"not a number: {raw!r}"
            return
        names = table.get(spec.name_column, {}) if spec.name_column else {}
        presence = table.get(spec.absent_column, {}) if spec.absent_column else {}
        label = "fan" if spec.name == "fans" else "power supply"
        components = []
        for index, raw in sorted(rows.items()):
            name = _text(names.get(index)) or f"{label} {_index_text(index)}"
            if presence.get(index) in spec.absent_values:
                state = "absent"
            elif isinstance(raw, int):
                state = spec.states.get(raw, "unknown")
            else:
                state = "unknown"
            components.append(Component(name=name, state=state, raw=str(raw)))  # type: ignore[arg-type]
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
