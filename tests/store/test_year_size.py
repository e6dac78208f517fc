"""A contract year under 1 GB (issue 10, migration 0010): daily roll-ups are the documents'
days (UTC+8), the documents read whole days of per-port figures from ``interface_daily``, and
per-port hourly rows can therefore go after ``interface_hourly_days`` with the documents
unchanged. Each case runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from store_support import FLEET

from agent.commands.run import store_retention
from agent.reports.data import load_report_data
from agent.reports.period import CHINA_STANDARD_TIME, Period, range_period
from agent.settings import load_settings
from agent.store import Store, open_store
from agent.store import repository as repo
from agent.store.models import (
    HealthDaily,
    HealthHourly,
    InterfaceDaily,
    InterfaceHourly,
    TemperatureDaily,
)
from agent.store.rollup import day_of, enforce_retention, whole_days
from agent.store.schema import alembic_config, upgrade

# 10:00 UTC on 6 March (18:00 in Beijing) to 02:00 UTC on 10 March: partial report days at
# both ends, three whole ones (7, 8 and 9 March, Beijing time) between them.
FIRST = dt.datetime(2026, 3, 6, 10, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=30)
POLLS = 184
DEVICE = "sw-hq-1"


def port_states(i: int) -> list[repo.InterfaceState]:
    """Poll ``i``: Gi1 gains an input error every 5th poll; the described Gi2 is down 4 polls
    in 24; Gi3 (undescribed) is never up: unused; Gi4 is quiet."""
    return [
        repo.InterfaceState(1, "Gi1", True, True, 10**9, 1_000 * i, 0, i // 5, 0, 0, 0),
        repo.InterfaceState(2, "Gi2", True, i % 24 >= 4, 10**9, 0, 0, 0, 0, 0, 0, alias="to core"),
        repo.InterfaceState(3, "Gi3", True, False, 10**9, 0, 0, 0, 0, 0, 0),
        repo.InterfaceState(4, "Gi4", True, True, 10**9, 0, 0, 0, 0, 0, 0),
    ]


def reading(i: int) -> repo.HealthReading:
    return repo.HealthReading(
        reachable=True,
        cpu_ratio=(i % 7) / 10,
        memory_ratio=0.4 + (i % 3) / 10,
        components=[repo.ComponentState("temperature", "board", "ok", 30.0 + i % 11)],
        interfaces=port_states(i),
    )


def moment(i: int) -> dt.datetime:
    return FIRST + i * STEP


def write_history(store: Store) -> None:
    with store.session() as session:
        repo.sync_devices(session, FLEET, now=FIRST - dt.timedelta(days=1))
    for first in range(0, POLLS, 40):
        with store.session() as session:
            items = [
                repo.HealthItem(repo.start_run(session, DEVICE, "health", moment(i)), reading(i))
                for i in range(first, min(first + 40, POLLS))
            ]
            repo.add_health_samples(session, items)


def expected_ports(period: Period) -> tuple[dict[int, tuple[int, int, int]], int]:
    """From the polls themselves: per problem port (samples, down, errors added) in the
    period, and how many ports were unused."""
    inside = [i for i in range(POLLS) if period.start <= moment(i) < period.end]
    down = sum(1 for i in inside if i % 24 < 4)
    errors = sum(i // 5 - (i - 1) // 5 for i in inside if i > 0)
    return {1: (len(inside), 0, errors), 2: (len(inside), down, 0)}, 1


def document_ports(store: Store, period: Period) -> tuple[dict[int, tuple[int, int, int]], int]:
    with store.session() as session:
        data = load_report_data(session, period)
    problems = {
        port.if_index: (port.samples, port.down_samples, port.errors_added)
        for port in data.interfaces
        if port.device == DEVICE
    }
    return problems, data.unused_ports.get(DEVICE, 0)


@pytest.fixture
def history(store: Store) -> Store:
    write_history(store)
    return store


def test_daily_rollups_are_the_documents_days(history: Store) -> None:
    with history.session() as session:
        days = session.scalars(select_days(InterfaceDaily)).all()
        health = session.scalars(select_days(HealthDaily)).all()
    beijing = sorted({moment(i).astimezone(CHINA_STANDARD_TIME).date() for i in range(POLLS)})
    assert days == health == beijing
    # 18:00 on 6 March in Beijing is still the 6th; 16:00 UTC is already the 7th there.
    assert day_of(FIRST) == dt.date(2026, 3, 6)
    assert day_of(dt.datetime(2026, 3, 6, 16, 0, tzinfo=dt.UTC)) == dt.date(2026, 3, 7)


def select_days(model: type) -> sa.Select[tuple[dt.date]]:
    return sa.select(model.day).distinct().order_by(model.day)  # type: ignore[attr-defined]


def test_whole_days_of_a_period() -> None:
    beijing = range_period("2026-03-07", "2026-03-09", CHINA_STANDARD_TIME)
    assert whole_days(beijing.start, beijing.end) == (dt.date(2026, 3, 7), dt.date(2026, 3, 10))
    utc = range_period("2026-03-07", "2026-03-09", dt.UTC)
    assert whole_days(utc.start, utc.end) == (dt.date(2026, 3, 8), dt.date(2026, 3, 10))
    hours = FIRST, FIRST + 5 * STEP
    assert whole_days(*hours) is None


def test_documents_give_the_same_ports_after_the_hours_are_gone(history: Store) -> None:
    beijing = range_period("2026-03-07", "2026-03-09", CHINA_STANDARD_TIME)
    # A UTC period: its whole Beijing days from the daily rows, its edges from hourly ones.
    utc = range_period("2026-03-07", "2026-03-09", dt.UTC)
    for period in (beijing, utc):
        assert document_ports(history, period) == expected_ports(period)
    later = moment(POLLS) + dt.timedelta(days=62, hours=1)
    with history.session() as session:
        result = enforce_retention(session, later, raw_days=14, rollup_days=731)
        assert result.rollup_rows > 0
        assert session.scalar(sa.select(sa.func.count()).select_from(InterfaceHourly)) == 0
        # Other hourly roll-ups stay for the whole roll-up window.
        assert session.scalar(sa.select(sa.func.count()).select_from(HealthHourly)) > 0
    assert document_ports(history, beijing) == expected_ports(beijing)


def test_interface_hours_are_kept_for_their_own_window(history: Store) -> None:
    with history.session() as session:
        hours = session.scalar(sa.select(sa.func.count()).select_from(InterfaceHourly))
        enforce_retention(session, FIRST + dt.timedelta(days=62), 14, 731, interface_hourly_days=60)
        left = session.scalar(sa.select(sa.func.count()).select_from(InterfaceHourly))
    # Hours before FIRST + 2 days (6 March 10:00 .. 8 March 10:00 UTC) are gone, later ones kept.
    assert 0 < left < hours
    with pytest.raises(ValueError, match="interface_hourly_days"), history.session() as s:
        enforce_retention(s, FIRST, 14, 731, interface_hourly_days=0)


def count(store: Store, model: type) -> int:
    with store.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_the_daemon_applies_netmon_toml_hourly_window(history: Store, tmp_path: Path) -> None:
    """``netmon run``'s hourly pass takes ``interface_hourly_days`` from netmon.toml (the
    history is from March 2026; the clock is the real one, so the windows are far apart)."""
    path = tmp_path / "netmon.toml"
    path.write_text("[retention]\nrollup_days = 100000\ninterface_hourly_days = 100000\n")
    store_retention(history, load_settings(path))()
    hours = count(history, InterfaceHourly)
    assert hours > 0
    path.write_text("[retention]\nrollup_days = 100000\ninterface_hourly_days = 1\n")
    store_retention(history, load_settings(path))()
    assert count(history, InterfaceHourly) == 0
    assert count(history, HealthHourly) > 0 and count(history, InterfaceDaily) > 0


def daily_rows(url: str) -> dict[str, list[dict[str, object]]]:
    with open_store(url, require_schema=False) as store, store.session() as session:
        return {
            model.__tablename__: [
                # Sums of floats added in another order (per hour, not per poll) may differ
                # in the last bits.
                {k: round(v, 9) if isinstance(v, float) else v for k, v in row._mapping.items()}
                for row in session.execute(
                    sa.select(*model.__table__.c).order_by(*model.__table__.primary_key.columns)
                )
            ]
            for model in (HealthDaily, TemperatureDaily, InterfaceDaily)
        }


def downgrade(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        # A session far east of UTC (UTC+14): timestamptz comes back as the next day there at
        # 10:00 UTC, so the downgrade must take the UTC date of its first hour, not the local one.
        @sa.event.listens_for(engine, "connect")
        def far_east(connection: object, _record: object) -> None:
            with connection.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute("SET TIME ZONE 'Pacific/Kiritimati'")

    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def test_0010_rebuilds_the_days_from_the_hours(db_url: str) -> None:
    upgrade(db_url)
    with open_store(db_url) as store:
        write_history(store)
    written = daily_rows(db_url)
    assert all(written.values())
    # Back to UTC days, as a 0009 store holds them: other days, same totals.
    downgrade(db_url, "0009")
    utc = daily_rows(db_url)
    per_utc_day = {row["day"]: row["samples"] for row in utc["interface_daily"]}  # one port
    polls_per_utc_day = {
        day: sum(1 for i in range(POLLS) if moment(i).date() == day) for day in per_utc_day
    }
    assert per_utc_day == polls_per_utc_day
    assert per_utc_day[dt.date(2026, 3, 6)] == 28  # 10:00 .. 23:30 UTC; 12 in Beijing
    for column in ("samples", "down_samples", "in_octets", "in_errors"):
        assert sum(row[column] for row in utc["interface_daily"]) == sum(
            row[column] for row in written["interface_daily"]
        )
    utc_days = {row["day"] for row in utc["health_daily"]}
    assert utc_days == {moment(i).date() for i in range(POLLS)}
    # The migration folds the hours exactly as the writer folds polls (min, max, newest).
    assert upgrade(db_url) == ("0009", "0010")
    assert daily_rows(db_url) == written
