"""Per-row status and RFC 3433 scale/precision of a number column (no network: the reader is
given the walked table directly).

ENTITY-SENSOR-MIB [rfc3433-entity-sensor-mib]: entPhySensorValue is meaningful only while
entPhySensorOperStatus is ok(1), and is value x 10^(EntitySensorDataScale exponent) /
10^EntitySensorPrecision (for a precision of 1..9).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from collectors.base import HealthSnapshot
from collectors.counters import CounterTracker
from collectors.snmp.client import SnmpClient
from collectors.snmp.health import SnmpHealthReader, Table
from collectors.snmp.plan import (
    OID,
    NumberSpec,
    RowStatus,
    SensorScale,
    Validity,
    _number,
    parse_oid,
    plan_for,
)

SENSOR = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1)
TYPE, SCALE, PRECISION, VALUE, STATUS = ((*SENSOR, c) for c in (1, 2, 3, 4, 5))
STATUS_SPEC = RowStatus(STATUS, frozenset({1}), {2: "unavailable", 3: "nonoperational"})
SCALE_SPEC = SensorScale(SCALE, PRECISION)


def _spec(name: str = "temperature", aggregate: str = "max", **changes: Any) -> NumberSpec:
    fields: dict[str, Any] = {
        "name": name,
        "oid": None,
        "column": VALUE,
        "where": None,
        "aggregate": aggregate,
        "scale": 1.0,
        "unit": "celsius",
        "decimal_text": False,
        "counter": False,
        "name_column": None,
        "validity": Validity(valid_range=(-40.0, 150.0)),
        "status": STATUS_SPEC,
        "sensor_scale": SCALE_SPEC,
    }
    fields.update(changes)
    return NumberSpec(**fields)


def _table(rows: dict[int, tuple[Any, ...]]) -> Table:
    """``{index: (value, status, scale, precision)}``; None leaves the cell out."""
    table: Table = {VALUE: {}, STATUS: {}, SCALE: {}, PRECISION: {}}
    for index, cells in rows.items():
        for column, cell in zip((VALUE, STATUS, SCALE, PRECISION), cells, strict=True):
            if cell is not None:
                table[column][(index,)] = cell
    return table


def _read(spec: NumberSpec, table: Table) -> HealthSnapshot:
    snapshot = HealthSnapshot(device="box", collected_at=datetime.now(UTC), reachable=True)
    reader = SnmpHealthReader(SnmpClient(), CounterTracker())
    reader._apply_number(snapshot, spec, {}, table, 0.0)
    return snapshot


def _celsius(snapshot: HealthSnapshot) -> list[float]:
    return [sensor.celsius for sensor in snapshot.temperatures]


def test_only_an_ok_sensor_is_a_reading_and_the_others_are_named_quietly() -> None:
    table = _table({6: (45, 1, 9, 0), 7: (0, 2, 9, 0), 8: (47, 3, 9, 0)})
    snapshot = _read(_spec(), table)
    assert _celsius(snapshot) == [45.0]
    assert snapshot.unreadable == {
        "temperature[7]": "not available (status unavailable(2))",
        "temperature[8]": "not available (status nonoperational(3))",
    }
    # The agent said so itself: said, but not a failed (partial) poll.
    assert snapshot.failures() == {}


def test_a_status_without_a_name_and_a_status_that_is_no_number() -> None:
    table = _table({1: (40, 7, 9, 0), 2: (41, b"ok", 9, 0), 3: (42, 1, 9, 0)})
    snapshot = _read(_spec(), table)
    assert _celsius(snapshot) == [42.0]
    assert snapshot.unreadable["temperature[1]"] == "not available (status 7)"
    assert snapshot.unreadable["temperature[2]"] == "not a number: status b'ok'"
    assert snapshot.failures() == {"temperature[2]": "not a number: status b'ok'"}


def test_every_sensor_unavailable_leaves_the_value_unreadable_but_quiet() -> None:
    snapshot = _read(_spec(), _table({6: (0, 2, 9, 0)}))
    assert snapshot.temperatures == []
    assert snapshot.unreadable == {"temperature": "not available (status unavailable(2))"}
    assert snapshot.failures() == {}


@pytest.mark.parametrize(
    ("value", "scale", "precision", "celsius"),
    [
        (45123, 8, 0, 45.123),  # milli(8): 10^-3
        (451, 9, 1, 45.1),  # units(9), one decimal place
        (4512, 9, 2, 45.12),
        (45, 9, 0, 45.0),
        (45, 9, -2, 45.0),  # -8..-1 counts accurate digits: the point does not move
        (45123000, 7, 0, 45.123),  # micro(7): 10^-6
        (45123, 7, -3, 0.045123),
        (4512, 8, 1, 0.4512),  # milli and one decimal place
    ],
)
def test_scale_and_precision_give_the_exact_value(
    value: int, scale: int, precision: int, celsius: float
) -> None:
    snapshot = _read(_spec(), _table({6: (value, 1, scale, precision)}))
    assert _celsius(snapshot) == [celsius]
    assert snapshot.unreadable == {}


def test_absent_scale_and_precision_cells_read_units_and_precision_0() -> None:
    table = _table({6: (45, 1, None, None), 7: (451, 1, None, 1), 8: (45123, 1, 8, None)})
    assert _celsius(_read(_spec(), table)) == [45.0, 45.1, 45.123]
    # A table without the columns at all (an agent that does not implement them), and a row
    # without a status: read as before.
    bare = {VALUE: {(6,): 45}}
    assert _celsius(_read(_spec(), bare)) == [45.0]


@pytest.mark.parametrize(
    ("scale", "exponent"),
    [(1, -24), (8, -3), (9, 0), (10, 3), (13, 12), (14, 15), (15, 18), (17, 24)],
)
def test_the_scale_exponents_are_the_mibs(scale: int, exponent: int) -> None:
    # RFC 3433 comments: exa(14) -- 10^15 and peta(15) -- 10^18 (names swapped against SI,
    # the numbers monotonic): the enumeration value decides.
    assert SCALE_SPEC.exponent(scale, 0) == exponent


@pytest.mark.parametrize(
    ("scale", "precision", "why"),
    [
        (0, 0, "out of range (scale 0 not in 1..17)"),
        (18, 0, "out of range (scale 18 not in 1..17)"),
        (9, 10, "out of range (precision 10 not in -8..9)"),
        (9, -9, "out of range (precision -9 not in -8..9)"),
        (b"units", 0, "not a number: scale b'units'"),
    ],
)
def test_an_impossible_scale_or_precision_is_a_broken_row(
    scale: Any, precision: Any, why: str
) -> None:
    table = _table({6: (45, 1, scale, precision), 7: (38, 1, 9, 0)})
    snapshot = _read(_spec(), table)
    assert _celsius(snapshot) == [38.0]
    assert snapshot.unreadable == {"temperature[6]": why}
    assert snapshot.failures() == {"temperature[6]": why}


def test_the_range_is_checked_after_scaling_and_sentinels_before() -> None:
    spec = _spec(validity=Validity(frozenset({65535.0}), (-40.0, 150.0)))
    table = _table({6: (45123, 1, 8, 0), 7: (65535, 1, 8, 0), 8: (451000, 1, 8, 0)})
    snapshot = _read(spec, table)
    assert _celsius(snapshot) == [45.123]
    assert snapshot.unreadable == {
        "temperature[7]": "not supported (sentinel 65535)",
        "temperature[8]": "out of range (451 not in -40..150)",
    }


def test_one_unavailable_row_does_not_hide_the_other_rows_of_an_aggregated_value() -> None:
    # A value made of several rows (the max CPU of a stack) is dropped whole for a garbage
    # row, but a row its agent marks as not ok is left out quietly, like a sentinel.
    spec = _spec("cpu", unit="percent", validity=Validity(valid_range=(0.0, 100.0)))
    snapshot = _read(spec, _table({1: (30, 1, 9, 0), 2: (0, 2, 9, 0), 3: (55, 1, 9, 0)}))
    assert snapshot.cpu_ratio == 0.55
    assert snapshot.unreadable == {"cpu[2]": "not available (status unavailable(2))"}
    broken = _read(spec, _table({1: (30, 1, 9, 0), 2: (b"x", 1, 9, 0), 3: (55, 1, 9, 0)}))
    assert broken.cpu_ratio is None
    assert broken.unreadable == {"cpu": "not a number: bytes b'x' (row 2)"}


def test_the_status_is_asked_before_the_value_is_parsed() -> None:
    # An unavailable sensor may answer anything; it is not a reading, nor garbage.
    snapshot = _read(_spec(), _table({6: (b"", 2, 9, 0), 7: (40, 1, 9, 0)}))
    assert snapshot.unreadable == {"temperature[6]": "not available (status unavailable(2))"}


def _columns(vendor: str, model: str, kind: str) -> list[OID]:
    return plan_for(vendor, model, kind).columns()


@pytest.mark.parametrize(
    ("vendor", "model", "kind"),
    [
        ("topsec", "NGFW4000", "firewall"),
        ("leadsec", "TD3000-FS1200", "ids"),
        ("nsfocus", "SASNX3-GL2100", "security-audit"),
    ],
)
def test_the_appliance_plans_walk_status_scale_and_precision(
    vendor: str, model: str, kind: str
) -> None:
    spec = plan_for(vendor, model, kind).numbers["temperature"]
    assert spec.column == VALUE and spec.status == STATUS_SPEC and spec.sensor_scale == SCALE_SPEC
    assert {TYPE, SCALE, PRECISION, VALUE, STATUS} <= set(_columns(vendor, model, kind))


def test_a_plan_refuses_status_or_scale_on_a_scalar() -> None:
    status = {"column": "1.3.6.1.2.1.99.1.1.1.5", "ok": [1]}
    with pytest.raises(ValueError, match="need 'column'"):
        _number("temperature", {"oid": "1.3.6.1.4.1.1.0", "status": status})
    parsed = _number("temperature", {"column": "1.3.6.1.2.1.99.1.1.1.4", "status": status})
    assert parsed.status == RowStatus(parse_oid(status["column"]), frozenset({1}), {})
