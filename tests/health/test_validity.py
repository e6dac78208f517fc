"""The validity layer: sentinels, physical ranges, SNMP type bounds and unique labels."""

from __future__ import annotations

import pytest

from collectors.snmp.health import NotANumber, _number, _rows, _unique_labels
from collectors.snmp.plan import RowFilter, Validity, plan_for

CLASS = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 5)
VALUE = (1, 3, 6, 1, 4, 1, 9, 9)


def test_a_sentinel_is_not_supported_and_a_wild_value_out_of_range() -> None:
    validity = Validity(sentinels=frozenset({65535.0}), valid_range=(-40.0, 150.0))
    assert validity.problem(65535, 65535) == "not supported (sentinel 65535)"
    assert validity.problem(151, 151) == "out of range (151 not in -40..150)"
    assert validity.problem(-41, -41) is not None
    assert validity.problem(42, 42) is None


def test_percent_and_counts_get_a_default_range() -> None:
    # Venustech/Topsec entries give no valid_range: the unit alone bounds them.
    plan = plan_for("topsec", "NGFW4000", "firewall")
    assert plan.numbers["cpu"].validity.valid_range == (0.0, 100.0)
    assert plan.numbers["sessions"].validity.problem(-1, -1) is not None


@pytest.mark.parametrize("raw", [2**64, -(2**31) - 1, b"1" * 65])
def test_values_no_snmp_type_can_carry_are_not_numbers(raw: object) -> None:
    with pytest.raises(NotANumber):
        _number(raw, decimal_text=True)


def test_a_missing_selector_column_keeps_every_row_only_when_the_profile_says_so() -> None:
    table = {VALUE: {(1,): 10, (2,): 20}}
    assert _rows(table, VALUE, RowFilter(CLASS, frozenset({9}))) == {}
    assert _rows(table, VALUE, RowFilter(CLASS, frozenset({9}), "all-rows")) == table[VALUE]
    # When the column exists, the filter applies even with all-rows.
    table[CLASS] = {(1,): 9, (2,): 7}
    assert _rows(table, VALUE, RowFilter(CLASS, frozenset({9}), "all-rows")) == {(1,): 10}


def test_repeated_names_get_their_index() -> None:
    labels = [((12,), "virtue Board"), ((13,), "virtue Board"), ((14,), "MPU")]
    assert _unique_labels(labels) == ["virtue Board (12)", "virtue Board (13)", "MPU"]
