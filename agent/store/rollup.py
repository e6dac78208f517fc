"""Roll-ups, episodes and retention: what lets the SQL store hold a contract year.

Every health poll is folded, in the same transaction that stores it, into:

- per device hourly (UTC hours) and daily (``DAY_ZONE`` days) figures: polls, answered
  polls, count/sum/min/max/last of CPU and memory, peak disk (``health_hourly`` / ``health_daily``);
- per temperature sensor hourly and daily count/sum/min/max/last (``temperature_*``);
- per interface hourly and daily growth of octets, errors and discards, polls, polls down and
  status changes (``interface_*``), computed from the port's previous counters
  (``interface_states``) with unsigned 64-bit arithmetic;
- component episodes (one row per status change of a sensor, fan or power supply) and
  outages (one row per spell of unreachable polls).

Buckets are written with an upsert that adds to what is there, so a batch of polls, polls
arriving in several batches, and the migration of an old store all give the same rows.
Polls of one device must arrive in time order (the daemon polls a device one at a time).

Days are the documents' days (China Standard Time, UTC+8, the contract's time zone), so a
report's whole days come from the daily rows alone; per-port hourly rows, the store's largest
table, are then only needed for a short while (``interface_hourly_days``), which is what keeps
a contract year of PostgreSQL under 1 GB (README, "Limits of one host").

``enforce_retention`` deletes raw health polls older than the raw window, per-port hourly rows
older than their window, and other roll-ups and closed episodes older than the roll-up
window; the daemon runs it every hour.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table, and_, bindparam, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agent.store.models import (
    COMPONENT_KINDS,
    COMPONENT_STATUSES,
    COUNTER64_MODULUS,
    CollectionRun,
    ComponentEpisode,
    HealthDaily,
    HealthHourly,
    HealthSample,
    InterfaceDaily,
    InterfaceHourly,
    InterfaceState,
    Outage,
    TemperatureDaily,
    TemperatureHourly,
)

if TYPE_CHECKING:
    from agent.store.repository import HealthReading

log = logging.getLogger(__name__)

DEFAULT_RAW_DAYS = 14
# The contract runs March to December; its roll-ups stay for that year and one more.
DEFAULT_ROLLUP_DAYS = 731
# Per-port hourly rows are ~70 % of a year's roll-ups (48-port switches); documents read their
# whole days from interface_daily, so two months of hours suffice: yesterday's daily report,
# last month's monthly report, and a period in another time zone than DAY_ZONE (whose edges
# are partial days) made within that window.
DEFAULT_INTERFACE_HOURLY_DAYS = 62
# The day of the daily roll-ups: China Standard Time has no daylight saving, so every day is
# 24 whole UTC hours and the hourly rows fold into days exactly (migration 0010 re-bucketed
# the UTC days of older stores).
DAY_ZONE = dt.timezone(dt.timedelta(hours=8), "CST")
_B = TypeVar("_B")
COUNTERS = ("in_octets", "out_octets", "in_errors", "out_errors", "in_discards", "out_discards")


@dataclass(frozen=True, slots=True)
class PollInput:
    """One health poll to fold in: the device's id, when it was sampled, what it read."""

    device_id: int
    sampled_at: dt.datetime
    reading: HealthReading


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def day_of(moment: dt.datetime) -> dt.date:
    """The daily roll-ups' day of a moment: its date in ``DAY_ZONE``."""
    return moment.astimezone(DAY_ZONE).date()


def day_start(day: dt.date) -> dt.datetime:
    """When a daily roll-up's day begins, in UTC."""
    return dt.datetime.combine(day, dt.time(), DAY_ZONE).astimezone(dt.UTC)


def whole_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """The daily buckets lying wholly inside ``[start, end)``, as (first, after the last),
    or None when there is none: the rest of the period is read from hourly rows."""
    first = day_of(start)
    if day_start(first) < start:
        first += dt.timedelta(days=1)
    after = day_of(end)
    return (first, after) if first < after else None


@dataclass(slots=True)
class _Series:
    """count / sum / min / max / last of one measured value within a bucket."""

    count: int = 0
    total: float = 0.0
    low: float | None = None
    high: float | None = None
    last: float | None = None

    def add(self, value: float | None) -> None:
        if value is None:
            return
        self.count += 1
        self.total += value
        self.low = value if self.low is None else min(self.low, value)
        self.high = value if self.high is None else max(self.high, value)
        self.last = value


@dataclass(slots=True)
class _HealthBucket:
    samples: int = 0
    reachable: int = 0
    cpu: _Series = field(default_factory=_Series)
    memory: _Series = field(default_factory=_Series)
    disk_max: float | None = None
    last_at: dt.datetime | None = None

    def row(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "reachable": self.reachable,
            **_series_row("cpu", self.cpu),
            **_series_row("memory", self.memory),
            "disk_max": self.disk_max,
            "last_at": self.last_at,
        }


def _series_row(prefix: str, series: _Series) -> dict[str, Any]:
    return {
        f"{prefix}_count": series.count,
        f"{prefix}_sum": series.total,
        f"{prefix}_min": series.low,
        f"{prefix}_max": series.high,
        f"{prefix}_last": series.last,
    }


@dataclass(slots=True)
class _TemperatureBucket:
    series: _Series = field(default_factory=_Series)
    last_at: dt.datetime | None = None

    def row(self) -> dict[str, Any]:
        s = self.series
        return {
            "count": s.count,
            "sum": s.total,
            "min": s.low,
            "max": s.high,
            "last": s.last,
            "last_at": self.last_at,
        }


class _InterfaceBucket:
    """One port's hour or day. A plain class: two are made per port per poll, and a
    dataclass with a factory default cost a tenth of the daemon's CPU at 1,000 switches."""

    __slots__ = ("admin_down_samples", "down_samples", "growth", "samples", "status_changes")

    def __init__(self) -> None:
        self.samples = 0
        self.down_samples = 0
        self.admin_down_samples = 0
        self.status_changes = 0
        self.growth = [0] * len(COUNTERS)  # in COUNTERS' order

    def row(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "down_samples": self.down_samples,
            "admin_down_samples": self.admin_down_samples,
            "status_changes": self.status_changes,
            **dict(zip(COUNTERS, self.growth, strict=True)),
        }


def _bucket(buckets: dict[Any, _B], key: Any, make: Callable[[], _B]) -> _B:
    """``buckets[key]``, made on first use. Not ``setdefault(key, make())``: that builds (and
    throws away) a bucket per port per poll, which was a tenth of the daemon's CPU at scale."""
    found = buckets.get(key)
    if found is None:
        found = buckets[key] = make()
    return found


def counter_growth(previous: int | None, current: int | None) -> int:
    """How much a counter grew between two polls. A smaller value means the counter restarted
    (a reboot or a cleared counter): the growth is then the new value. Wrap-around of a
    Counter64 is not distinguished from a restart: at 100 Gbit/s it takes 46 years."""
    if current is None or previous is None:
        return 0
    if not 0 <= current < COUNTER64_MODULUS:
        raise ValueError(f"counter value {current} is outside the Counter64 range 0..2**64-1")
    return current - previous if current >= previous else current


class _Fold:
    """The state of the devices in one batch, loaded once, updated in memory, written once."""

    def __init__(
        self, session: Session, device_ids: set[int], absent: frozenset[str] = frozenset()
    ) -> None:
        self.session = session
        # Columns the schema does not have yet (the 0004 migration folds before 0007).
        self.absent = absent
        self.port_columns = tuple(c for c in _PORT_COLUMNS if c not in absent)
        self.health_hours: dict[tuple[dt.datetime, int], _HealthBucket] = {}
        self.health_days: dict[tuple[dt.date, int], _HealthBucket] = {}
        self.temp_hours: dict[tuple[dt.datetime, int, str], _TemperatureBucket] = {}
        self.temp_days: dict[tuple[dt.date, int, str], _TemperatureBucket] = {}
        self.port_hours: dict[tuple[dt.datetime, int, int], _InterfaceBucket] = {}
        self.port_days: dict[tuple[dt.date, int, int], _InterfaceBucket] = {}
        ids = sorted(device_ids)
        self.episodes: dict[tuple[int, str, str], dict[str, Any]] = {
            (row["device_id"], row["kind"], row["name"]): dict(row)
            for row in session.execute(
                select(ComponentEpisode.__table__).where(
                    ComponentEpisode.device_id.in_(ids), ComponentEpisode.ended_at.is_(None)
                )
            ).mappings()
        }
        self.closed_episodes: list[dict[str, Any]] = []
        self.outages: dict[int, dict[str, Any]] = {
            row["device_id"]: dict(row)
            for row in session.execute(
                select(Outage.__table__).where(Outage.device_id.in_(ids), Outage.ended_at.is_(None))
            ).mappings()
        }
        self.closed_outages: list[dict[str, Any]] = []
        ports = InterfaceState.__table__
        wanted = [ports.c[column] for column in ("device_id", "if_index", *self.port_columns)]
        self.ports: dict[tuple[int, int], dict[str, Any]] = {
            (row["device_id"], row["if_index"]): {c: row[c] for c in self.port_columns}
            for row in session.execute(select(*wanted).where(ports.c.device_id.in_(ids))).mappings()
        }
        self.touched_ports: set[tuple[int, int]] = set()

    def add(self, poll: PollInput) -> None:
        reading, at, device = poll.reading, poll.sampled_at, poll.device_id
        hour, day = hour_of(at), day_of(at)
        for bucket in (
            _bucket(self.health_hours, (hour, device), _HealthBucket),
            _bucket(self.health_days, (day, device), _HealthBucket),
        ):
            bucket.samples += 1
            bucket.reachable += 1 if reading.reachable else 0
            bucket.cpu.add(reading.cpu_ratio)
            bucket.memory.add(reading.memory_ratio)
            if reading.disk_ratio is not None:
                bucket.disk_max = max(bucket.disk_max or reading.disk_ratio, reading.disk_ratio)
            bucket.last_at = at
        self._reachability(device, at, reading.reachable)
        for part in reading.components:
            self._component(device, at, part.kind, part.name, part.status, part.value)
            if part.kind == "temperature" and part.value is not None:
                for temp in (
                    _bucket(self.temp_hours, (hour, device, part.name), _TemperatureBucket),
                    _bucket(self.temp_days, (day, device, part.name), _TemperatureBucket),
                ):
                    temp.series.add(part.value)
                    temp.last_at = at
        for port in reading.interfaces:
            self._interface(device, at, hour, day, port)

    def _reachability(self, device: int, at: dt.datetime, reachable: bool) -> None:
        current = self.outages.get(device)
        if not reachable:
            if current is None:
                self.outages[device] = {
                    "id": None,
                    "device_id": device,
                    "started_at": at,
                    "last_failed": at,
                    "ended_at": None,
                    "failed_samples": 1,
                }
            else:
                current["last_failed"] = at
                current["failed_samples"] += 1
        elif current is not None:
            current["ended_at"] = at
            self.closed_outages.append(self.outages.pop(device))

    def _component(
        self, device: int, at: dt.datetime, kind: str, name: str, status: str, value: float | None
    ) -> None:
        if kind not in COMPONENT_KINDS:
            raise ValueError(f"component kind {kind!r} is not one of {', '.join(COMPONENT_KINDS)}")
        if status not in COMPONENT_STATUSES:
            raise ValueError(
                f"component status {status!r} is not one of {', '.join(COMPONENT_STATUSES)}"
            )
        key = (device, kind, name)
        current = self.episodes.get(key)
        if current is not None and current["status"] == status:
            current["last_seen"] = at
            current["samples"] += 1
            current["last_value"] = value
            return
        if current is not None:
            current["ended_at"] = at
            self.closed_episodes.append(current)
        self.episodes[key] = {
            "id": None,
            "device_id": device,
            "kind": kind,
            "name": name,
            "status": status,
            "started_at": at,
            "last_seen": at,
            "ended_at": None,
            "samples": 1,
            "last_value": value,
        }

    def _interface(
        self, device: int, at: dt.datetime, hour: dt.datetime, day: dt.date, port: Any
    ) -> None:
        key = (device, port.if_index)
        previous = self.ports.get(key)
        current = {
            column: getattr(port, column) for column in self.port_columns if column != "sampled_at"
        }
        current["sampled_at"] = at
        for counter in COUNTERS:
            value = current[counter]
            if value is not None and not 0 <= value < COUNTER64_MODULUS:
                raise ValueError(
                    f"interface {port.name} (ifIndex {port.if_index}): {counter} {value} is "
                    "outside the Counter64 range 0..2**64-1"
                )
        down = 1 if port.oper_up is False and port.admin_up is not False else 0
        admin_down = 1 if port.admin_up is False else 0
        changed = 1 if previous is not None and previous["oper_up"] != port.oper_up else 0
        grown = (
            [counter_growth(previous[counter], current[counter]) for counter in COUNTERS]
            if previous is not None
            else None
        )
        for bucket in (
            _bucket(self.port_hours, (hour, device, port.if_index), _InterfaceBucket),
            _bucket(self.port_days, (day, device, port.if_index), _InterfaceBucket),
        ):
            bucket.samples += 1
            bucket.down_samples += down
            bucket.admin_down_samples += admin_down
            bucket.status_changes += changed
            if grown is not None:
                growth = bucket.growth
                for position, amount in enumerate(grown):
                    growth[position] += amount
        self.ports[key] = current
        self.touched_ports.add(key)

    def write(self) -> None:
        session = self.session
        _upsert_health(session, HealthHourly.__table__, "hour_start", self.health_hours)
        _upsert_health(session, HealthDaily.__table__, "day", self.health_days)
        _upsert_buckets(
            session,
            TemperatureHourly.__table__,
            ("hour_start", "device_id", "sensor"),
            self.temp_hours,
            _TEMPERATURE_RULES,
        )
        _upsert_buckets(
            session,
            TemperatureDaily.__table__,
            ("day", "device_id", "sensor"),
            self.temp_days,
            _TEMPERATURE_RULES,
        )
        _upsert_buckets(
            session,
            InterfaceHourly.__table__,
            ("hour_start", "device_id", "if_index"),
            self.port_hours,
            _INTERFACE_RULES,
            self.absent,
        )
        _upsert_buckets(
            session,
            InterfaceDaily.__table__,
            ("day", "device_id", "if_index"),
            self.port_days,
            _INTERFACE_RULES,
            self.absent,
        )
        _write_spells(
            session, ComponentEpisode.__table__, [*self.closed_episodes, *self.episodes.values()]
        )
        _write_spells(session, Outage.__table__, [*self.closed_outages, *self.outages.values()])
        if self.touched_ports:
            rows = [
                {"device_id": device, "if_index": index, **self.ports[(device, index)]}
                for device, index in sorted(self.touched_ports)
            ]
            table = InterfaceState.__table__
            # Through the ORM table's types, so Counter64 values are stored as such.
            port_columns = self.port_columns
            statement = _cached_upsert(
                session,
                table,
                lambda insert: insert.on_conflict_do_update(
                    index_elements=["device_id", "if_index"],
                    set_={column: insert.excluded[column] for column in port_columns},
                ),
                self.absent,
            )
            session.execute(statement, rows)


_PORT_COLUMNS = (
    "name",
    "alias",
    "admin_up",
    "oper_up",
    "speed_bps",
    *COUNTERS,
    "sampled_at",
)

# How a bucket column merges with a row already stored: add, keep the lower or higher, or
# take the newer poll's value.
_ADD, _LOW, _HIGH, _NEWER = "add", "low", "high", "newer"
_HEALTH_RULES = {
    "samples": _ADD,
    "reachable": _ADD,
    "disk_max": _HIGH,
    **{
        f"{prefix}_{part}": rule
        for prefix in ("cpu", "memory")
        for part, rule in (
            ("count", _ADD),
            ("sum", _ADD),
            ("min", _LOW),
            ("max", _HIGH),
            ("last", _NEWER),
        )
    },
}
_TEMPERATURE_RULES = {"count": _ADD, "sum": _ADD, "min": _LOW, "max": _HIGH, "last": _NEWER}
_INTERFACE_RULES = {
    "samples": _ADD,
    "down_samples": _ADD,
    "admin_down_samples": _ADD,
    "status_changes": _ADD,
    **dict.fromkeys(COUNTERS, _ADD),
}


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"the store supports SQLite and PostgreSQL, not {dialect}")


# Upsert statements by (dialect, table): building one (its ``excluded`` columns and a CASE
# per merged column) cost more CPU than executing it for a batch of one poll, and it is the
# same statement every time (the rows are bound parameters).
_UPSERTS: dict[tuple[str, Table, frozenset[str]], Any] = {}


def _cached_upsert(
    session: Session,
    table: Table,
    build: Callable[[Any], Any],
    absent: frozenset[str] = frozenset(),
) -> Any:
    # Keyed by the columns left out too: a migration folding history into an older schema
    # builds other statements than the daemon.
    key = (session.get_bind().dialect.name, table, absent)
    statement = _UPSERTS.get(key)
    if statement is None:
        statement = _UPSERTS[key] = build(_insert(session, table))
    return statement


def _merge(table: Table, excluded: Any, column: str, rule: str) -> Any:
    old, new = table.c[column], excluded[column]
    if rule == _ADD:
        return old + new
    if rule in (_LOW, _HIGH):
        better = new < old if rule == _LOW else new > old
        # NULL means "not measured": either side's value wins over it.
        return case((old.is_(None), new), (new.is_(None), old), (better, new), else_=old)
    newer = and_(new.is_not(None), excluded["last_at"] >= table.c["last_at"])
    return case((newer, new), else_=old)


def _upsert_buckets(
    session: Session,
    table: Table,
    keys: Sequence[str],
    buckets: dict[tuple[Any, ...], Any],
    rules: dict[str, str],
    absent: frozenset[str] = frozenset(),
) -> None:
    if not buckets:
        return
    rules = {column: rule for column, rule in rules.items() if column not in absent}
    rows = [
        dict(zip(keys, key, strict=True))
        | {column: value for column, value in bucket.row().items() if column not in absent}
        for key, bucket in buckets.items()
    ]

    def build(statement: Any) -> Any:
        excluded = statement.excluded
        values = {column: _merge(table, excluded, column, rule) for column, rule in rules.items()}
        if "last_at" in table.c:
            values["last_at"] = case(
                (excluded["last_at"] > table.c["last_at"], excluded["last_at"]),
                else_=table.c["last_at"],
            )
        return statement.on_conflict_do_update(index_elements=list(keys), set_=values)

    session.execute(_cached_upsert(session, table, build, absent), rows)


def _upsert_health(
    session: Session, table: Table, bucket_column: str, buckets: dict[tuple[Any, int], Any]
) -> None:
    _upsert_buckets(session, table, (bucket_column, "device_id"), buckets, _HEALTH_RULES)


def _write_spells(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert new episodes / outages and update the ones already stored, each in one
    executemany."""
    new = [{k: v for k, v in row.items() if k != "id"} for row in rows if row["id"] is None]
    old = [row for row in rows if row["id"] is not None]
    if new:
        session.execute(table.insert(), new)
    if old:
        columns = [column for column in old[0] if column != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("spell_id"))
            .values({column: bindparam(f"new_{column}") for column in columns})
        )
        session.connection().execute(
            statement,
            [{"spell_id": row["id"], **{f"new_{c}": row[c] for c in columns}} for row in old],
        )


# Columns later migrations added to the tables the fold writes: the 0004 migration replays
# history through this fold before they exist, so it folds without them.
ADDED_AFTER_0004 = frozenset({"alias", "admin_down_samples"})  # 0007_interface_roles


def fold_polls(
    session: Session, polls: Sequence[PollInput], absent: frozenset[str] = frozenset()
) -> None:
    """Fold health polls into roll-ups, episodes, outages and interface states (flushes, never
    commits). Polls of one device must be in time order and newer than what is stored.
    ``absent``: columns the schema does not have yet (a migration folding history)."""
    if not polls:
        return
    session.flush()
    fold = _Fold(session, {poll.device_id for poll in polls}, absent)
    for poll in sorted(polls, key=lambda poll: (poll.device_id, poll.sampled_at)):
        fold.add(poll)
    fold.write()


# --- retention -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetentionResult:
    raw_samples: int
    runs: int
    rollup_rows: int
    spells: int


def enforce_retention(
    session: Session,
    now: dt.datetime,
    raw_days: float = DEFAULT_RAW_DAYS,
    rollup_days: float = DEFAULT_ROLLUP_DAYS,
    interface_hourly_days: float = DEFAULT_INTERFACE_HOURLY_DAYS,
) -> RetentionResult:
    """Delete raw health polls (and their runs) older than ``raw_days``, per-port hourly
    rows older than ``interface_hourly_days`` and other roll-ups, closed episodes and closed
    outages older than ``rollup_days``. The roll-ups already hold what the raw rows said
    (and interface_daily what the hours said), so documents for those months give the same
    numbers."""
    if raw_days <= 0 or rollup_days < raw_days or interface_hourly_days <= 0:
        raise ValueError(
            f"retention: raw_days ({raw_days}) and interface_hourly_days "
            f"({interface_hourly_days}) must be > 0 and rollup_days ({rollup_days}) at "
            "least raw_days"
        )
    raw_cutoff = now - dt.timedelta(days=raw_days)
    rollup_cutoff = now - dt.timedelta(days=rollup_days)
    port_hours_cutoff = now - dt.timedelta(days=min(interface_hourly_days, rollup_days))
    old_runs = select(CollectionRun.id).where(
        CollectionRun.kind == "health", CollectionRun.started_at < raw_cutoff
    )
    samples = session.execute(
        delete(HealthSample).where(
            or_(HealthSample.sampled_at < raw_cutoff, HealthSample.run_id.in_(old_runs))
        )
    ).rowcount
    runs = session.execute(
        delete(CollectionRun).where(
            CollectionRun.kind == "health", CollectionRun.started_at < raw_cutoff
        )
    ).rowcount
    rollups = 0
    for model, cutoff in (
        (HealthHourly, rollup_cutoff),
        (TemperatureHourly, rollup_cutoff),
        (InterfaceHourly, port_hours_cutoff),
    ):
        rollups += session.execute(delete(model).where(model.hour_start < cutoff)).rowcount
    for daily in (HealthDaily, TemperatureDaily, InterfaceDaily):
        rollups += session.execute(delete(daily).where(daily.day < day_of(rollup_cutoff))).rowcount
    spells = session.execute(
        delete(ComponentEpisode).where(ComponentEpisode.ended_at < rollup_cutoff)
    ).rowcount
    spells += session.execute(delete(Outage).where(Outage.ended_at < rollup_cutoff)).rowcount
    result = RetentionResult(samples, runs, rollups, spells)
    log.info(
        "retention applied",
        extra={
            "raw_cutoff": raw_cutoff.isoformat(),
            "rollup_cutoff": rollup_cutoff.isoformat(),
            "interface_hourly_cutoff": port_hours_cutoff.isoformat(),
            "raw_samples_deleted": samples,
            "runs_deleted": runs,
            "rollup_rows_deleted": rollups,
            "spells_deleted": spells,
        },
    )
    return result
