"""Typed schema of a vendor profile's ``models.toml`` and ``snmp.toml``, checked at load.

A profile is data that changes the collector's behaviour, so a typo must not become a silent
default: every table refuses keys it does not know (``aggregte`` is an error), every OID is
dotted decimal, every enumerated value is one of the documented ones, and every fact says where
it comes from (``source``) or that it is assumed (``unverified``). A failure is a
``ProfileSchemaError`` naming the file and the dotted key path, e.g.
``collectors/profiles/h3c/snmp.toml: health.cpu.aggregte: unknown key``.

The schema is the one documented in ``collectors/profiles/SNMP_PROFILE.md``; ``cli.toml`` has
its own module. Validation only checks: the loaders keep the plain TOML tables they read, so
``collectors/snmp/plan.py`` and ``collectors/identify.py`` are unchanged consumers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

DEVICE_KINDS = Literal[
    "firewall",
    "ids",
    "av-gateway",
    "vpn",
    "behaviour-management",
    "network-audit",
    "security-audit",
    "switch",
]
NUMBER_NAMES = (
    "cpu",
    "memory",
    "memory_total",
    "memory_free",
    "temperature",
    "sessions",
    "new_sessions",
)
STATE_NAMES = ("fans", "psus", "ha_role")
# Our states a raw value may map to, per state table (collectors/snmp/plan.py reads them).
# "unknown" may be listed for fans/PSUs so that a value the MIB defines as "cannot say"
# (entPhySensorOperStatus unavailable(2)) is mapped on purpose, documented in the profile,
# rather than left to the catch-all for values nobody foresaw; both read "unknown".
ALLOWED_STATES = {
    "fans": ("ok", "failed", "absent", "unknown"),
    "psus": ("ok", "failed", "absent", "unknown"),
    "ha_role": ("active", "standby", "init"),
}
HEALTH_NAMES = (*NUMBER_NAMES, *STATE_NAMES, "disk")

Oid = Annotated[str, StringConstraints(pattern=r"^\.?\d+(\.\d+)+$")]
Text = Annotated[str, StringConstraints(min_length=1)]


class ProfileSchemaError(ValueError):
    """A profile file that does not follow the schema; the message names file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Sourced(_Strict):
    """Every fact carries its origin: a citation or the assumption it rests on."""

    source: Text | None = None
    unverified: Text | None = None

    @model_validator(mode="after")
    def _has_origin(self) -> _Sourced:
        if self.source is None and self.unverified is None:
            raise ValueError("needs 'source' or 'unverified'")
        return self


class _Applies(_Strict):
    kinds: list[DEVICE_KINDS] | None = None
    models: list[Text] | None = None


class WhereFilter(_Strict):
    column: Oid
    equals: list[int | Oid] = Field(min_length=1)
    if_missing: Literal["no-rows", "all-rows"] = "no-rows"


class RowStatus(_Strict):
    """A per-row status column beside a value column (entPhySensorOperStatus beside
    entPhySensorValue): a row's value is a reading only while its status is one of ``ok``."""

    column: Oid
    ok: list[int] = Field(min_length=1)
    # Status value -> its MIB name, for the ``unreadable`` reason. TOML keys are text, so the
    # keys are checked to be integers: ``names = { 2 = "unavailable" }``.
    names: dict[str, Text] = {}

    @field_validator("names")
    @classmethod
    def _integer_keys(cls, names: dict[str, str]) -> dict[str, str]:
        bad = [key for key in names if re.fullmatch(r"-?\d+", key) is None]
        if bad:
            raise ValueError(f"keys must be status values (integers), not {', '.join(bad)}")
        return names


class EntitySensorScale(_Strict):
    """Per-row EntitySensorDataScale and EntitySensorPrecision columns (RFC 3433) that say how
    the row's integer value is turned into the unit."""

    scale_column: Oid
    precision_column: Oid


class NumberSource(_Sourced):
    """One place a number is read from: a scalar ``oid`` or a ``column``."""

    oid: Oid | None = None
    column: Oid | None = None
    where: WhereFilter | None = None
    aggregate: Literal["max", "mean", "first"] = "first"
    scale: float | int = 1
    unit: Text | None = None
    value_format: Literal["integer", "decimal-text", "percent-text"] = "integer"
    counter: bool = False
    name_column: Oid | None = None
    sentinels: list[int | float] = []
    valid_range: list[int | float] | None = Field(default=None, min_length=2, max_length=2)
    status: RowStatus | None = None
    entity_sensor_scale: EntitySensorScale | None = None

    @model_validator(mode="after")
    def _one_place(self) -> NumberSource:
        if (self.oid is None) == (self.column is None):
            raise ValueError("needs exactly one of 'oid' or 'column'")
        # Both are read per row, on the value's own index: a scalar has no row to look up.
        for key in ("status", "entity_sensor_scale"):
            if getattr(self, key) is not None and self.column is None:
                raise ValueError(f"'{key}' needs 'column' (it is read on the value's row)")
        if self.valid_range is not None and self.valid_range[0] >= self.valid_range[1]:
            raise ValueError(f"valid_range {list(self.valid_range)} is empty")
        return self


class NumberEntry(NumberSource, _Applies):
    fallback: list[NumberSource] = []


class StateSource(_Sourced):
    oid: Oid | None = None
    state_column: Oid | None = None
    name_column: Oid | None = None
    where: WhereFilter | None = None
    states: dict[str, list[int]]
    absent_column: Oid | None = None
    absent_values: list[int] = []

    @model_validator(mode="after")
    def _one_place(self) -> StateSource:
        if (self.oid is None) == (self.state_column is None):
            raise ValueError("needs exactly one of 'oid' or 'state_column'")
        return self


class StateEntry(StateSource, _Applies):
    fallback: list[StateSource] = []


class DiskEntry(_Sourced, _Applies):
    descr_column: Oid
    units_column: Oid
    size_column: Oid
    used_column: Oid
    where: WhereFilter | None = None


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"pattern {pattern!r} is not a regular expression: {error}") from None
    return pattern


class SerialSource(_Sourced):
    """[recognition.serial]: the column holding the chassis serial, on the rows ``where`` picks."""

    column: Oid
    where: WhereFilter | None = None


class Recognition(_Sourced):
    sys_object_id_prefixes: list[Text] = []
    sys_descr_patterns: list[Text] = []
    serial: SerialSource | None = None

    @field_validator("sys_descr_patterns")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        return [_compiles(p) for p in patterns]


class ModelRecognition(_Sourced):
    sys_object_id: Oid | None = None
    sys_object_ids: list[Oid] = []
    sys_descr_pattern: Text | None = None

    @field_validator("sys_descr_pattern")
    @classmethod
    def _pattern(cls, pattern: str | None) -> str | None:
        return None if pattern is None else _compiles(pattern)


class SnmpProfile(_Strict):
    recognition: Recognition
    models: dict[str, ModelRecognition] = {}
    health: dict[str, dict[str, Any]] = {}


class ModelEntry(_Strict):
    kind: DEVICE_KINDS
    family: str = ""
    max_sessions: int | None = Field(default=None, gt=0)


class ModelsFile(_Strict):
    vendor: Text
    display_name: Text | None = None
    models: dict[str, ModelEntry] = {}


# Pydantic names the member of a union (``int``, ``constrained-str`` ...) in an error's path;
# these are not TOML keys, so they are left out of the path a user reads.
_TYPE_TAGS = ("int", "float", "str", "bool", "constrained-str", "list", "dict", "tuple")


def _key(error: Any, prefix: tuple[str | int, ...]) -> str:
    parts = [
        str(p)
        for p in (*prefix, *error["loc"])
        if isinstance(p, int) or (p not in _TYPE_TAGS and "[" not in p)
    ]
    return ".".join(parts) or "(top level)"


def _fail(path: str, error: ValidationError, prefix: tuple[str | int, ...] = ()) -> None:
    messages: dict[str, list[str]] = {}
    for item in error.errors():
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        messages.setdefault(_key(item, prefix), []).append(message)
    problems = "; ".join(f"{key}: {' or '.join(dict.fromkeys(m))}" for key, m in messages.items())
    raise ProfileSchemaError(f"{path}: {problems}") from None


def _health_model(name: str) -> type[_Strict]:
    if name in NUMBER_NAMES:
        return NumberEntry
    if name in STATE_NAMES:
        return StateEntry
    if name == "disk":
        return DiskEntry
    raise ProfileSchemaError(f"health.{name}: unknown value name; known: {', '.join(HEALTH_NAMES)}")


def check_snmp_profile(data: dict[str, Any], path: str) -> None:
    """Raises ProfileSchemaError naming ``path`` and the key when ``data`` breaks the schema."""
    try:
        SnmpProfile.model_validate(data)
    except ValidationError as error:
        _fail(path, error)
    for name, entry in data.get("health", {}).items():
        try:
            model = _health_model(name)
        except ProfileSchemaError as error:
            raise ProfileSchemaError(f"{path}: {error}") from None
        try:
            model.model_validate(entry)
        except ValidationError as error:
            _fail(path, error, ("health", name))
        if name in ALLOWED_STATES:
            for where, source in [("", entry), *_fallbacks(entry)]:
                unknown = sorted(set(source["states"]) - set(ALLOWED_STATES[name]))
                if unknown:
                    raise ProfileSchemaError(
                        f"{path}: health.{name}{where}.states: {', '.join(unknown)} is not one "
                        f"of {', '.join(ALLOWED_STATES[name])}"
                    )


def _fallbacks(entry: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f".fallback.{i}", f) for i, f in enumerate(entry.get("fallback", ()))]


def check_models_file(data: dict[str, Any], path: str) -> None:
    """Raises ProfileSchemaError naming ``path`` and the key when ``data`` breaks the schema."""
    try:
        ModelsFile.model_validate(data)
    except ValidationError as error:
        _fail(path, error)
