"""Numbers sent as text: Venustech's percent strings and net-snmp's decimal text."""

from __future__ import annotations

import pytest

from collectors.snmp.health import NotANumber, _number
from collectors.snmp.plan import plan_for


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"45", 45.0),
        (b"45%", 45.0),
        (b" 45 % ", 45.0),
        (b"cpu: 45 %", 45.0),
        (b"mem:41%", 41.0),
        (b"12.5%", 12.5),
        (23, 23.0),  # an agent that sends an integer after all
    ],
)
def test_percent_and_decimal_text_are_read(raw: bytes | int, expected: float) -> None:
    assert _number(raw, decimal_text=True) == expected


@pytest.mark.parametrize("raw", [b"", b"%", b"45 kbps", b"45%%", b"high", b"4 5", b"\xff45"])
def test_other_text_is_not_a_number(raw: bytes) -> None:
    with pytest.raises(NotANumber):
        _number(raw, decimal_text=True)


def test_text_is_not_read_where_the_profile_expects_an_integer() -> None:
    with pytest.raises(NotANumber):
        _number(b"45%", decimal_text=False)


def test_venustech_cpu_and_memory_are_read_as_percent_text() -> None:
    plan = plan_for("venustech", "USG-FW-310-T-NF1600", "firewall")
    assert plan.numbers["cpu"].decimal_text and plan.numbers["memory"].decimal_text
    assert plan.numbers["cpu"].oid == (1, 3, 6, 1, 4, 1, 15227, 1, 3, 1, 1, 1, 0)


def test_topsec_reads_the_tos_layout_public_pollers_use() -> None:
    numbers = plan_for("topsec", "NGFW4000", "firewall").numbers
    tos = (1, 3, 6, 1, 4, 1, 14331, 5, 5, 1, 4)
    assert numbers["cpu"].oid == (*tos, 5, 0)
    assert numbers["sessions"].oid == (*tos, 9, 0)
    assert numbers["new_sessions"].oid == (*tos, 10, 0)
