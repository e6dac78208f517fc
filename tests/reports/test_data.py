"""The query layer's numbers against the known month (see report_history)."""

from __future__ import annotations

import datetime as dt

import pytest
from report_history import (
    DOWN_POLLS,
    FAN_POLLS,
    HOT_POLLS,
    PERIOD,
    POLLS,
    day,
    poll_time,
)

from agent.reports.data import ReportData


def test_availability_is_the_share_of_answered_polls(known_data: ReportData) -> None:
    fw = known_data.health["fw-1"]
    assert (fw.samples, fw.reachable_samples) == (POLLS, POLLS - len(DOWN_POLLS))
    assert fw.availability == pytest.approx(117 / 120)
    assert known_data.health["av-1"].availability == 1.0
    assert known_data.fleet_availability == pytest.approx((3 * 120 - 3) / 360)


def test_cpu_average_and_peak_count_answered_polls_only(known_data: ReportData) -> None:
    fw = known_data.health["fw-1"]
    answered = POLLS - len(DOWN_POLLS)
    expected = (0.9 * len(HOT_POLLS) + 0.2 * (answered - len(HOT_POLLS))) / answered
    assert fw.cpu_avg == pytest.approx(expected)
    assert fw.cpu_max == pytest.approx(0.9)
    assert known_data.health["av-1"].memory_avg == pytest.approx(0.6)
    assert known_data.health["av-1"].temperature_max == pytest.approx(45.0)
    assert len(fw.daily) == 30 and fw.daily[0].day == dt.date(2026, 4, 1)


def test_an_outage_runs_from_the_first_unanswered_poll_to_the_next_answer(
    known_data: ReportData,
) -> None:
    (outage,) = known_data.outages
    assert outage.device == "fw-1"
    assert outage.start == poll_time(min(DOWN_POLLS))
    assert outage.end == poll_time(max(DOWN_POLLS) + 1)
    assert outage.duration(PERIOD.end) == dt.timedelta(hours=18)


def test_a_fan_fault_clears_at_the_next_good_reading(known_data: ReportData) -> None:
    (fault,) = known_data.faults
    assert (fault.device, fault.kind, fault.name) == ("av-1", "fan", "Fan 1")
    assert fault.failed_samples == len(FAN_POLLS)
    assert fault.first_failed == poll_time(min(FAN_POLLS))
    assert fault.cleared_at == poll_time(max(FAN_POLLS) + 1)


def test_config_changes_approvals_and_drift(known_data: ReportData) -> None:
    changes = known_data.config_changes
    assert [(c.device, c.sequence, c.approved) for c in changes] == [
        ("sw-1", 2, True),
        ("sw-1", 3, False),
    ]
    assert changes[0].approved_by == "运维主管"
    assert changes[0].approval_note == "新增 VLAN 20（工单 7）"
    assert (changes[0].lines_added, changes[0].lines_removed) == (1, 0)
    assert changes[0].changed_lines == ("+vlan 20",)
    (drift,) = known_data.drift
    assert (drift.device, drift.sequence, drift.baseline_sequence) == ("sw-1", 3, 2)


def test_upgrades_are_changes_against_the_previous_row(known_data: ReportData) -> None:
    rows = [(u.category, u.item, u.from_value, u.to_value) for u in known_data.upgrades]
    assert rows == [
        ("signature", "av", "v1", "v2"),
        ("licence", "av-subscription", "2026-04-20", "2027-04-20"),
        ("signature", "av", "v2", "v3"),
    ]
    assert known_data.upgrades[0].at == day(10)
    (current_av,) = [s for s in known_data.signatures if s.library == "av"]
    assert (current_av.version, current_av.age_days) == ("v3", 10)
    (licence,) = known_data.licences
    assert licence.expires_on == dt.date(2027, 4, 20)


def test_events_raised_closed_and_open_respect_the_period(known_data: ReportData) -> None:
    assert [e.kind for e in known_data.events] == ["fan-failed", "device-down", "config-changed"]
    assert [e.kind for e in known_data.events_closed] == ["fan-failed", "device-down"]
    assert [e.kind for e in known_data.events_open] == ["config-changed"]
    down = known_data.events[1]
    assert down.duration(PERIOD.end) == dt.timedelta(hours=18)


def test_interface_problems_and_records(known_data: ReportData) -> None:
    (port,) = known_data.interfaces
    assert (port.device, port.name, port.down_samples) == ("sw-1", "GE1/0/2", 2)
    assert [(r.device, r.kind, r.state) for r in known_data.records] == [
        ("av-1", "repair", "closed"),
        ("sw-1", "tuning", "closed"),
        (None, "duty", "closed"),
        ("fw-1", "incident", "closed"),
        ("fw-1", "upgrade", "closed"),
        ("sw-1", "incident", "open"),
    ]


def test_a_period_without_rows_has_no_data(known_store) -> None:  # type: ignore[no-untyped-def]
    from agent.reports.build import read_data
    from agent.reports.period import month_period

    empty = read_data(known_store, month_period("2025-01", PERIOD.tz))
    assert not empty.has_data
    assert empty.devices == []  # the devices were first synced in March 2026
