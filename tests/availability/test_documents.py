"""The scripted history (availability_history) read back by the documents: outage count,
durations and availability per device, maintenance windows and netmon's downtime, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from availability_history import GAP, GENERATED_AT, WINDOW, at, backend_url, build_history

from agent.reports.data import ReportData, load_report_data
from agent.reports.period import day_period, month_period, report_timezone
from agent.store import Store, open_store
from agent.store.schema import upgrade

TZ = report_timezone("Asia/Shanghai")
MONTH = month_period("2026-12", TZ)
DAY = day_period("2026-12-15", TZ)
SIX_HOURS = dt.timedelta(hours=6).total_seconds()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The history, built once per backend for the module: 1,440 polls through the writer
    take tens of seconds on a loaded machine, and every test here only reads it."""
    directory = tmp_path_factory.mktemp("history")
    with backend_url(request.param, directory) as url:
        upgrade(url)
        store = open_store(url)
        try:
            build_history(store, directory / "spool")
            yield store
        finally:
            store.close()


def read(store: Store, period: object) -> ReportData:
    with store.session(read_only=True) as session:
        return load_report_data(session, period, GENERATED_AT)  # type: ignore[arg-type]


def test_documents_count_the_outages_the_alert_waits_for(history: Store) -> None:
    for period in (MONTH, DAY):
        data = read(history, period)
        shown = [(o.device, o.start, o.end, o.duration(period.end)) for o in data.outages]
        assert shown == [
            # fw-a's 20 s silence (one missed poll) is no outage; 90 s and 2 h are.
            ("fw-a", at(2, 0, 5), at(2, 1, 35), dt.timedelta(seconds=90)),
            ("fw-a", at(3, 0, 5), at(5, 0, 5), dt.timedelta(hours=2)),
            # fw-b's silence inside its maintenance window is none; the open one runs to the
            # generation time, not the end of the month.
            ("fw-b", at(5, 30, 5), None, dt.timedelta(minutes=29, seconds=55)),
        ], period


def test_availability_is_over_monitored_time(history: Store) -> None:
    data = read(history, MONTH)
    fw_a, fw_b = data.health["fw-a"], data.health["fw-b"]
    assert fw_a.availability == pytest.approx(1 - (90 + 7200) / SIX_HOURS)
    assert fw_a.uptime is not None and fw_a.uptime.monitored == dt.timedelta(hours=6)
    # fw-b: 30 min of maintenance and 5 min of netmon's downtime are not monitored time.
    assert fw_b.uptime is not None
    assert fw_b.uptime.maintenance == dt.timedelta(minutes=30)
    assert fw_b.uptime.netmon_down == dt.timedelta(minutes=5)
    assert fw_b.uptime.monitored == dt.timedelta(hours=6, minutes=-35)
    assert fw_b.availability == pytest.approx(1 - 1795 / (SIX_HOURS - 2100))
    assert data.fleet_availability == pytest.approx(1 - (90 + 7200 + 1795) / (2 * SIX_HOURS - 2100))


def test_windows_and_netmon_downtime_reach_the_report_data(history: Store) -> None:
    data = read(history, MONTH)
    (window,) = data.maintenance_windows
    assert (window.device, window.starts_at, window.ends_at) == ("fw-b", *WINDOW)
    assert (window.reason, window.created_by) == ("更换电源模块", "二线组")
    (gap,) = data.monitoring_gaps
    assert (gap.device, gap.start, gap.end, gap.reason) == ("fw-b", *GAP, "overload")


def test_a_report_made_later_sees_the_open_outage_longer(history: Store) -> None:
    later = GENERATED_AT + dt.timedelta(hours=1)
    with history.session(read_only=True) as session:
        data = load_report_data(session, MONTH, later)
    (open_one,) = [o for o in data.outages if o.end is None]
    assert open_one.duration(MONTH.end) == dt.timedelta(hours=1, minutes=29, seconds=55)
