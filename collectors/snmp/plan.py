"""What to ask a device over SNMP for its health: the vendor profile's ``snmp.toml`` made typed.

``plan_for(vendor, model, kind)`` keeps only the ``[health.*]`` entries that apply to that model
and kind, parses OIDs once, and tells the collector which scalars to GET and which table columns
to walk. The schema is documented in ``collectors/profiles/SNMP_PROFILE.md``; this module is the
one place that reads it, so a typo in a profile fails here with the file and entry named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from collectors.base import NOT_AVAILABLE, NOT_SUPPORTED
from collectors.profiles import get_profile

OID = tuple[int, ...]
Aggregate = Literal["max", "mean", "first"]

COMPONENT_STATES = ("ok", "failed", "absent", "unknown")
ROLE_STATES = ("active", "standby", "init")


class ProfileError(ValueError):
    """A vendor profile that does not follow SNMP_PROFILE.md; names the file and entry."""


def parse_oid(text: str) -> OID:
    return tuple(int(part) for part in str(text).strip().strip(".").split("."))


def _match_value(raw: Any) -> int | str:
    """``equals`` values are ints or dotted OIDs; both compare against what the client returns."""
    return raw if isinstance(raw, int) else str(raw).strip(".")


# What a row filter does when the agent has no value at all in its selector column (a Huawei
# agent without entPhysicalClass): keep no row (the default) or every row, leaving sentinels and
# ranges to drop the rows that are not real readings.
IfMissing = Literal["no-rows", "all-rows"]


@dataclass(frozen=True)
class RowFilter:
    column: OID
    equals: frozenset[int | str]
    if_missing: IfMissing = "no-rows"


@dataclass(frozen=True)
class Validity:
    """Which raw values are readings: not a sentinel, and (once scaled) inside the range."""

    sentinels: frozenset[float] = frozenset()
    valid_range: tuple[float, float] | None = None

    def problem(self, raw: float, scaled: float) -> str | None:
        """Why this value is not a reading, or None if it is one."""
        if raw in self.sentinels:
            return f"{NOT_SUPPORTED} (sentinel {_plain(raw)})"
        if self.valid_range is not None:
            low, high = self.valid_range
            if not low <= scaled <= high:
                return f"out of range ({_plain(scaled)} not in {_plain(low)}..{_plain(high)})"
        return None


@dataclass(frozen=True)
class RowStatus:
    """A per-row status column: the row's value is a reading only while its status is ``ok``.
    RFC 3433 entPhySensorValue is only meaningful while entPhySensorOperStatus is ok(1); an
    unavailable(2) or nonoperational(3) sensor usually answers 0 or a stale value."""

    column: OID
    ok: frozenset[int]
    names: dict[int, str] = field(default_factory=dict)

    def problem(self, raw: Any) -> str | None:
        """Why a row with this status holds no reading, or None if it does. A row without a
        status value is read as before: the agent did not say the value is bad."""
        if raw is None:
            return None
        if not isinstance(raw, int) or isinstance(raw, bool):
            return f"not a number: status {_short(raw)}"
        if raw in self.ok:
            return None
        name = self.names.get(raw)
        return f"{NOT_AVAILABLE} (status {f'{name}({raw})' if name else raw})"


# EntitySensorDataScale (RFC 3433): enumeration value -> power of ten. The MIB comments give
# yocto(1) 10^-24 up to yotta(17) 10^24 in steps of 10^3, units(9) being 10^0; it labels 14
# "exa" with 10^15 and 15 "peta" with 10^18 (SI says the reverse), so the number, not the
# name, decides: 3 * (value - 9) for every value.
SCALE_UNITS = 9
SCALE_RANGE = (1, 17)
# EntitySensorPrecision (RFC 3433): Integer32 (-8..9).
PRECISION_RANGE = (-8, 9)


@dataclass(frozen=True)
class SensorScale:
    """Per-row EntitySensorDataScale and EntitySensorPrecision columns (RFC 3433): the reading
    is value x 10^(scale exponent) / 10^precision, for a precision of 1..9."""

    scale_column: OID
    precision_column: OID

    def exponent(self, scale: Any, precision: Any) -> int | str:
        """The power of ten that turns the row's raw value into its unit, or why there is none.
        A missing cell is units(9) / precision 0, which is what every value assumed before."""
        scale = SCALE_UNITS if scale is None else scale
        precision = 0 if precision is None else precision
        for what, value, (low, high) in (
            ("scale", scale, SCALE_RANGE),
            ("precision", precision, PRECISION_RANGE),
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                return f"not a number: {what} {_short(value)}"
            if not low <= value <= high:
                return f"out of range ({what} {value} not in {low}..{high})"
        # Precision 1..9 is the number of decimal places. -8..-1 is the number of accurate
        # digits of a value that is still an integer, and 0 means not fixed-point: neither
        # moves the decimal point.
        return 3 * (scale - SCALE_UNITS) - max(precision, 0)


def _short(value: Any) -> str:
    """A bad cell for a reason: its repr, bounded."""
    return repr(value)[:32]


def _plain(number: float) -> str:
    """65535, not 65535.0 or 6.5535e+04: the value as the agent sent it."""
    number = float(number)
    return str(int(number)) if number.is_integer() else f"{number:g}"


@dataclass(frozen=True)
class NumberSpec:
    """A number: a scalar (``oid``) or a column reduced by ``aggregate`` (or listed per row)."""

    name: str
    oid: OID | None
    column: OID | None
    where: RowFilter | None
    aggregate: Aggregate
    scale: float
    unit: str
    decimal_text: bool
    counter: bool
    name_column: OID | None
    validity: Validity = Validity()
    # Tried in order when this source gives no valid value (e.g. the vendor's own table).
    fallbacks: tuple[NumberSpec, ...] = ()
    # Per-row columns beside ``column``: which rows hold a reading, and their decimal scale.
    status: RowStatus | None = None
    sensor_scale: SensorScale | None = None


@dataclass(frozen=True)
class StateSpec:
    """Fans, power supplies (a table) or the HA role (usually a scalar), mapped to our states."""

    name: str
    oid: OID | None
    state_column: OID | None
    name_column: OID | None
    where: RowFilter | None
    states: dict[int, str]
    absent_column: OID | None
    absent_values: frozenset[int]
    # Tried in order when this source has no rows (e.g. hh3cdevMFanStatusTable on Comware).
    fallbacks: tuple[StateSpec, ...] = ()


@dataclass(frozen=True)
class DiskSpec:
    descr_column: OID
    units_column: OID
    size_column: OID
    used_column: OID
    where: RowFilter | None


@dataclass(frozen=True)
class SerialSpec:
    """The chassis serial number: a column (entPhysicalSerialNum) on the rows ``where`` picks."""

    column: OID
    where: RowFilter | None


@dataclass(frozen=True)
class HealthPlan:
    vendor: str
    model: str
    kind: str
    numbers: dict[str, NumberSpec] = field(default_factory=dict)
    states: dict[str, StateSpec] = field(default_factory=dict)
    disk: DiskSpec | None = None
    serial: SerialSpec | None = None  # from [recognition.serial]

    def _all_numbers(self) -> list[NumberSpec]:
        return [s for spec in self.numbers.values() for s in (spec, *spec.fallbacks)]

    def _all_states(self) -> list[StateSpec]:
        return [s for spec in self.states.values() for s in (spec, *spec.fallbacks)]

    def scalar_oids(self) -> list[OID]:
        oids = [spec.oid for spec in self._all_numbers() if spec.oid is not None]
        oids += [spec.oid for spec in self._all_states() if spec.oid is not None]
        return list(dict.fromkeys(oids))

    def columns(self) -> list[OID]:
        wanted: list[OID | None] = []
        for spec in self._all_numbers():
            wanted += [spec.column, spec.name_column, spec.where.column if spec.where else None]
            wanted.append(spec.status.column if spec.status else None)
            if spec.sensor_scale is not None:
                wanted += [spec.sensor_scale.scale_column, spec.sensor_scale.precision_column]
        for state in self._all_states():
            wanted += [state.state_column, state.name_column, state.absent_column]
            wanted.append(state.where.column if state.where else None)
        if self.disk is not None:
            disk = self.disk
            wanted += [disk.descr_column, disk.units_column, disk.size_column, disk.used_column]
            wanted.append(disk.where.column if disk.where else None)
        if self.serial is not None:
            wanted += [self.serial.column, self.serial.where.column if self.serial.where else None]
        return list(dict.fromkeys(c for c in wanted if c is not None))


def _applies(entry: dict[str, Any], model: str, kind: str) -> bool:
    kinds = entry.get("kinds")
    models = entry.get("models")
    return (kinds is None or kind in kinds) and (models is None or model in models)


def _oid_or_none(entry: dict[str, Any], key: str) -> OID | None:
    return parse_oid(entry[key]) if key in entry else None


def _row_filter(entry: dict[str, Any]) -> RowFilter | None:
    where = entry.get("where")
    if where is None:
        return None
    return RowFilter(
        parse_oid(where["column"]),
        frozenset(_match_value(v) for v in where["equals"]),
        where.get("if_missing", "no-rows"),
    )


# Units whose values can never be negative (a count, a size, a share): a negative raw value is
# an agent error whatever the profile says. Percentages cannot exceed 100 either.
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "percent": (0.0, 100.0),
    "kilobytes": (0.0, float("inf")),
    "bytes": (0.0, float("inf")),
    "sessions": (0.0, float("inf")),
    "sessions_per_second": (0.0, float("inf")),
}


def _validity(entry: dict[str, Any]) -> Validity:
    valid_range = entry.get("valid_range") or DEFAULT_RANGES.get(str(entry.get("unit", "")))
    return Validity(
        sentinels=frozenset(float(v) for v in entry.get("sentinels", ())),
        valid_range=(float(valid_range[0]), float(valid_range[1])) if valid_range else None,
    )


def _row_status(entry: dict[str, Any]) -> RowStatus | None:
    status = entry.get("status")
    if status is None:
        return None
    return RowStatus(
        column=parse_oid(status["column"]),
        ok=frozenset(int(v) for v in status["ok"]),
        names={int(raw): str(name) for raw, name in status.get("names", {}).items()},
    )


def _sensor_scale(entry: dict[str, Any]) -> SensorScale | None:
    scale = entry.get("entity_sensor_scale")
    if scale is None:
        return None
    return SensorScale(parse_oid(scale["scale_column"]), parse_oid(scale["precision_column"]))


def _number(name: str, entry: dict[str, Any]) -> NumberSpec:
    oid, column = _oid_or_none(entry, "oid"), _oid_or_none(entry, "column")
    if (oid is None) == (column is None):
        raise ValueError("needs exactly one of 'oid' or 'column'")
    aggregate = entry.get("aggregate", "first")
    if aggregate not in ("max", "mean", "first"):
        raise ValueError(f"aggregate {aggregate!r} is not max, mean or first")
    if column is None and ("status" in entry or "entity_sensor_scale" in entry):
        raise ValueError("'status' and 'entity_sensor_scale' need 'column'")
    value_format = entry.get("value_format", "integer")
    if value_format not in ("integer", "decimal-text", "percent-text"):
        raise ValueError(
            f"value_format {value_format!r} is not integer, decimal-text or percent-text"
        )
    return NumberSpec(
        name=name,
        oid=oid,
        column=column,
        where=_row_filter(entry),
        aggregate=aggregate,
        scale=float(entry.get("scale", 1)),
        unit=str(entry.get("unit", "")),
        decimal_text=value_format in ("decimal-text", "percent-text"),
        counter=bool(entry.get("counter", False)),
        name_column=_oid_or_none(entry, "name_column"),
        validity=_validity(entry),
        fallbacks=tuple(_number(name, fallback) for fallback in entry.get("fallback", ())),
        status=_row_status(entry),
        sensor_scale=_sensor_scale(entry),
    )


def _state(name: str, entry: dict[str, Any], allowed: tuple[str, ...]) -> StateSpec:
    oid, column = _oid_or_none(entry, "oid"), _oid_or_none(entry, "state_column")
    if (oid is None) == (column is None):
        raise ValueError("needs exactly one of 'oid' or 'state_column'")
    mapping: dict[int, str] = {}
    for state, raw_values in entry["states"].items():
        if state not in allowed:
            raise ValueError(f"state {state!r} is not one of {', '.join(allowed)}")
        for raw in raw_values:
            mapping[int(raw)] = state
    return StateSpec(
        name=name,
        oid=oid,
        state_column=column,
        name_column=_oid_or_none(entry, "name_column"),
        where=_row_filter(entry),
        states=mapping,
        absent_column=_oid_or_none(entry, "absent_column"),
        absent_values=frozenset(int(v) for v in entry.get("absent_values", ())),
        fallbacks=tuple(_state(name, fallback, allowed) for fallback in entry.get("fallback", ())),
    )


def _disk(entry: dict[str, Any]) -> DiskSpec:
    return DiskSpec(
        descr_column=parse_oid(entry["descr_column"]),
        units_column=parse_oid(entry["units_column"]),
        size_column=parse_oid(entry["size_column"]),
        used_column=parse_oid(entry["used_column"]),
        where=_row_filter(entry),
    )


@cache
def plan_for(vendor: str, model: str, kind: str) -> HealthPlan:
    """The health plan of one model; ProfileError names the profile file and entry at fault."""
    profile = get_profile(vendor)
    plan = HealthPlan(vendor=vendor, model=model, kind=kind)
    for name, entry in profile.snmp.get("health", {}).items():
        if not _applies(entry, model, kind):
            continue
        try:
            if name in ("fans", "psus"):
                plan.states[name] = _state(name, entry, COMPONENT_STATES)
            elif name == "ha_role":
                plan.states[name] = _state(name, entry, ROLE_STATES)
            elif name == "disk":
                object.__setattr__(plan, "disk", _disk(entry))
            else:
                plan.numbers[name] = _number(name, entry)
        except (KeyError, ValueError, TypeError) as error:
            raise ProfileError(
                f"collectors/profiles/{vendor}/snmp.toml [health.{name}]: {error}"
            ) from None
    serial = profile.snmp.get("recognition", {}).get("serial")
    if serial is not None:
        try:
            spec = SerialSpec(parse_oid(serial["column"]), _row_filter(serial))
        except (KeyError, ValueError, TypeError) as error:
            raise ProfileError(
                f"collectors/profiles/{vendor}/snmp.toml [recognition.serial]: {error}"
            ) from None
        object.__setattr__(plan, "serial", spec)
    return plan
