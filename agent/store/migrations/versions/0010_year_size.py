"""A contract year under 1 GB on PostgreSQL (issue 10): daily roll-ups on the documents' days.

The daily roll-ups were UTC days, so a report day (China Standard Time, UTC+8) straddled two
of them and the documents read per-port figures from the hourly rows: 512 ports x 24 rows a
day for the contract fleet, ~70 % of a year's roll-ups (``benchmarks/store.py``: 0.59 of the
1.19 GiB projected on PostgreSQL). With days in UTC+8 (``agent.store.rollup.DAY_ZONE``; no
daylight saving, so a day is 24 whole UTC hours) a report's whole days come from
``interface_daily`` alone, and ``enforce_retention`` keeps per-port hours only for
``[retention] interface_hourly_days`` (62 by default).

This revision rebuilds the three daily tables from their hourly rows, which the roll-up
window keeps as long as the daily ones (no schema change: the tables keep their columns;
``models.py`` is unchanged apart from comments). Downgrading rebuilds UTC days the same way;
per-port days older than the hourly window cannot be rebuilt then and are left as they are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 19:30:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from agent.store.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")

# How the hours of one day combine into it (as the writer's upserts combine polls).
ADD, LOW, HIGH, NEWER, LATEST = "add", "low", "high", "newer", "latest"
HEALTH = {
    "samples": ADD,
    "reachable": ADD,
    "cpu_count": ADD,
    "cpu_sum": ADD,
    "cpu_min": LOW,
    "cpu_max": HIGH,
    "cpu_last": NEWER,
    "memory_count": ADD,
    "memory_sum": ADD,
    "memory_min": LOW,
    "memory_max": HIGH,
    "memory_last": NEWER,
    "disk_max": HIGH,
    "last_at": LATEST,
}
TEMPERATURE = {
    "count": ADD,
    "sum": ADD,
    "min": LOW,
    "max": HIGH,
    "last": NEWER,
    "last_at": LATEST,
}
INTERFACE = (
    "samples",
    "down_samples",
    "admin_down_samples",
    "status_changes",
    "in_octets",
    "out_octets",
    "in_errors",
    "out_errors",
    "in_discards",
    "out_discards",
)


def _table(name: str, keys: Sequence[str], figures: Sequence[str], bucket: str) -> sa.TableClause:
    columns = [sa.column(bucket, UTCDateTime() if bucket == "hour_start" else sa.Date())]
    columns += [sa.column(key) for key in keys]
    columns += [
        sa.column(figure, UTCDateTime()) if figure == "last_at" else sa.column(figure)
        for figure in figures
    ]
    return sa.table(name, *columns)


def _combine(rules: dict[str, str], day: dict[str, Any], hour: dict[str, Any]) -> None:
    """Fold one hour (read in time order) into its day."""
    for column, rule in rules.items():
        old, new = day[column], hour[column]
        if rule == ADD:
            day[column] = old + new
        elif rule in (LOW, HIGH):
            if old is None or (new is not None and (new < old if rule == LOW else new > old)):
                day[column] = new
        elif new is not None:  # NEWER, LATEST: hours arrive in time order
            day[column] = new


def _rebuild(family: str, keys: Sequence[str], rules: dict[str, str], zone: dt.tzinfo) -> None:
    """health / temperature: few rows (one per device or sensor and hour), folded here so
    that min, max and the newest value follow the writer's rules exactly."""
    hourly = _table(f"{family}_hourly", keys, list(rules), "hour_start")
    daily = _table(f"{family}_daily", keys, list(rules), "day")
    connection = op.get_bind()
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    # Streamed (a year is ~2 M temperature hours); only the per-day folds stay in memory.
    query = (
        sa.select(hourly)
        .order_by(*[hourly.c[key] for key in keys], hourly.c.hour_start)
        .execution_options(yield_per=10_000)
    )
    for row in connection.execute(query).mappings():
        hour = dict(row)
        day = hour.pop("hour_start").astimezone(zone).date()
        key = (day, *[hour[name] for name in keys])
        if key in days:
            _combine(rules, days[key], hour)
        else:
            days[key] = hour
    connection.execute(daily.delete())
    rows = [{"day": key[0], **figures} for key, figures in days.items()]
    for first in range(0, len(rows), 5_000):
        connection.execute(daily.insert(), rows[first : first + 5_000])


def _rebuild_interfaces(hours_ahead_of_utc: int, since: dt.date | None) -> None:
    """Per-port days summed in the database (the largest table: no rows through Python)."""
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        day = (
            f"CAST((hour_start AT TIME ZONE 'UTC') + INTERVAL '{hours_ahead_of_utc} hours' AS DATE)"
        )
    else:
        day = f"date(hour_start, '{hours_ahead_of_utc:+d} hours')"
    sums = ", ".join(f"SUM({column})" for column in INTERFACE)
    where = ""
    if since is not None:
        # Only the days the hourly rows cover whole; older days stay as they are.
        connection.execute(
            sa.text("DELETE FROM interface_daily WHERE day >= :since"), {"since": since}
        )
        where = f"WHERE {day} >= :since"
    else:
        connection.execute(sa.text("DELETE FROM interface_daily"))
    connection.execute(
        sa.text(
            f"INSERT INTO interface_daily (day, device_id, if_index, {', '.join(INTERFACE)}) "
            f"SELECT {day}, device_id, if_index, {sums} FROM interface_hourly {where} "
            f"GROUP BY {day}, device_id, if_index"
        ),
        {"since": since} if since is not None else {},
    )


def upgrade() -> None:
    _rebuild("health", ["device_id"], HEALTH, CHINA_STANDARD_TIME)
    _rebuild("temperature", ["device_id", "sensor"], TEMPERATURE, CHINA_STANDARD_TIME)
    _rebuild_interfaces(8, None)


def downgrade() -> None:
    _rebuild("health", ["device_id"], HEALTH, dt.UTC)
    _rebuild("temperature", ["device_id", "sensor"], TEMPERATURE, dt.UTC)
    first = op.get_bind().execute(sa.text("SELECT MIN(hour_start) FROM interface_hourly")).scalar()
    if first is None:
        return
    if isinstance(first, str):  # SQLite: naive UTC text
        first = dt.datetime.fromisoformat(first)
    # PostgreSQL hands timestamptz back in the session's time zone: its date is not the UTC day.
    first = first.replace(tzinfo=dt.UTC) if first.tzinfo is None else first.astimezone(dt.UTC)
    # From the UTC day of the first hour left: exact when the hours reach back to the first
    # poll (as before 0010); after interface_hourly_days pruned them, that first day loses
    # the hours before them, and older per-port days stay in UTC+8.
    _rebuild_interfaces(0, first.date())
