"""Staleness and expiry rules (collectors/signatures/staleness.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from collectors.signatures.staleness import (
    library_stale,
    licence_expiring,
    staleness_rules,
)

TODAY = date(2026, 11, 25)


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@pytest.mark.parametrize(
    ("kind", "age", "stale"),
    [
        ("av", 7, False),
        ("av", 8, True),
        ("ips", 14, False),
        ("ips", 15, True),
        ("ids", 15, True),  # IDS rules follow the IPS rule
        ("url", 30, False),
        ("url", 31, True),
        ("app", 31, True),
        ("audit", 31, True),  # default
        ("engine", 400, False),  # no limit on engines and software by default
        ("software", 400, False),
    ],
)
def test_default_rules(kind: str, age: int, stale: bool) -> None:
    assert library_stale(kind, days_ago(age), TODAY) is stale


def test_rules_come_from_a_plain_mapping() -> None:
    settings_like = {"av": 1, "ips": 2, "url": 3, "app": 4, "default": 5}
    assert library_stale("av", days_ago(2), TODAY, settings_like)
    assert not library_stale("url", days_ago(3), TODAY, settings_like)
    rules = staleness_rules({"av": 0, "engine": 90}, licence_warning_days=10)
    assert library_stale("av", days_ago(1), TODAY, rules)
    assert not library_stale("av", TODAY, TODAY, rules)
    assert library_stale("engine", days_ago(91), TODAY, rules)
    assert licence_expiring(TODAY + timedelta(days=10), TODAY, rules)
    assert not licence_expiring(TODAY + timedelta(days=11), TODAY, rules)


def test_unknown_age_and_permanent_licences_are_never_marked() -> None:
    assert not library_stale("av", None, TODAY)
    assert not licence_expiring(None, TODAY)


def test_licences_within_thirty_days_or_expired_are_expiring() -> None:
    assert licence_expiring(TODAY + timedelta(days=30), TODAY)
    assert not licence_expiring(TODAY + timedelta(days=31), TODAY)
    assert licence_expiring(TODAY - timedelta(days=3), TODAY)


def test_silenced_devices_are_never_stale_or_expiring() -> None:
    rules = staleness_rules(silenced={"venus-1008dp-01"})
    old = days_ago(400)
    assert not library_stale("av", old, TODAY, rules, device="venus-1008dp-01")
    assert library_stale("av", old, TODAY, rules, device="venus-1008dp-02")
    assert not licence_expiring(TODAY, TODAY, rules, device="venus-1008dp-01")


@pytest.mark.parametrize("bad", [-1, "7", True])
def test_bad_rule_values_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="'av'"):
        staleness_rules({"av": bad})  # type: ignore[dict-item]
