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
from operator import add, attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table, and_, bindparam, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agent.store.bulk import BulkStatement
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


_SERIES_PARTS = ("count", "sum", "min", "max", "last")


@dataclass(slots=True)
class _HealthBucket:
    samples: int = 0
    reachable: int = 0
    cpu: _Series = field(default_factory=_Series)
    memory: _Series = field(default_factory=_Series)
    disk_max: float | None = None
    last_at: dt.datetime | None = None

    COLUMNS = (
        "samples",
        "reachable",
        *(f"{prefix}_{part}" for prefix in ("cpu", "memory") for part in _SERIES_PARTS),
        "disk_max",
        "last_at",
    )

    def values(self) -> tuple[Any, ...]:
        """The bucket's figures in ``COLUMNS`` order."""
        return (
            self.samples,
            self.reachable,
            *_series_values(self.cpu),
            *_series_values(self.memory),
            self.disk_max,
            self.last_at,
        )


def _series_values(series: _Series) -> tuple[Any, ...]:
    """A series' figures in ``_SERIES_PARTS`` order."""
    return (series.count, series.total, series.low, series.high, series.last)


@dataclass(slots=True)
class _TemperatureBucket:
    series: _Series = field(default_factory=_Series)
    last_at: dt.datetime | None = None

    COLUMNS = (*_SERIES_PARTS, "last_at")

    def values(self) -> tuple[Any, ...]:
        """The bucket's figures in ``COLUMNS`` order."""
        return (*_series_values(self.series), self.last_at)


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

    COLUMNS = ("samples", "down_samples", "admin_down_samples", "status_changes", *COUNTERS)

    def values(self) -> tuple[Any, ...]:
        """The bucket's figures in ``COLUMNS`` order."""
        return (
            self.samples,
            self.down_samples,
            self.admin_down_samples,
            self.status_changes,
            *self.growth,
        )


def _bucket(buckets: dict[Any, _B], key: Any, make: Callable[[], _B]) -> _B:
    """``buckets[key]``, made on first use. Not ``setdefault(key, make())``: that builds (and
    throws away) a bucket per port per poll, which was a tenth of the daemon's CPU at scale."""
    found = buckets.get(key)
    if found is None:
        found = buckets[key] = make()
    return found


def _refuse_counters(port: Any, counters: tuple[Any, ...]) -> None:
    for counter, value in zip(COUNTERS, counters, strict=True):
        if value is not None and not 0 <= value < COUNTER64_MODULUS:
            raise ValueError(
                f"interface {port.name} (ifIndex {port.if_index}): {counter} {value} is "
                "outside the Counter64 range 0..2**64-1"
            )


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
        # A port's state is a tuple in ``port_columns`` order (sampled_at last): ~50 per poll
        # at 5,000 switches, where a dict per port cost more than the arithmetic.
        self.port_columns = tuple(c for c in _PORT_COLUMNS if c not in absent)
        self.read_port = attrgetter(*self.port_columns[:-1])
        self.oper_at = self.port_columns.index("oper_up")
        first = self.port_columns.index(COUNTERS[0])
        self.counters = slice(first, first + len(COUNTERS))
        assert self.port_columns[self.counters] == COUNTERS, self.port_columns
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
        self.ports: dict[tuple[int, int], tuple[Any, ...]] = {
            (row[0], row[1]): tuple(row)[2:]
            for row in session.execute(select(*wanted).where(ports.c.device_id.in_(ids)))
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
        # The hot loop of the store at scale (~50 ports per poll): written out rather than
        # through helpers, which cost a third of its time in calls.
        index = port.if_index
        key = (device, index)
        previous = self.ports.get(key)
        current = (*self.read_port(port), at)
        counters = current[self.counters]
        for value in counters:
            if value is not None and not 0 <= value < COUNTER64_MODULUS:
                _refuse_counters(port, counters)
        down = 1 if port.oper_up is False and port.admin_up is not False else 0
        admin_down = 1 if port.admin_up is False else 0
        grown = None
        changed = 0
        if previous is not None:
            changed = 1 if previous[self.oper_at] != port.oper_up else 0
            # counter_growth, inline: a smaller value is a restart, its growth the new value.
            grown = [
                0 if value is None or old is None else value - old if value >= old else value
                for old, value in zip(previous[self.counters], counters, strict=True)
            ]
        hour_bucket = self.port_hours.get((hour, device, index))
        if hour_bucket is None:
            hour_bucket = self.port_hours[(hour, device, index)] = _InterfaceBucket()
        day_bucket = self.port_days.get((day, device, index))
        if day_bucket is None:
            day_bucket = self.port_days[(day, device, index)] = _InterfaceBucket()
        for bucket in (hour_bucket, day_bucket):
            bucket.samples += 1
            bucket.down_samples += down
            bucket.admin_down_samples += admin_down
            bucket.status_changes += changed
            if grown is not None:
                bucket.growth = list(map(add, bucket.growth, grown))
        self.ports[key] = current
        self.touched_ports.add(key)

    def write(self) -> None:
        session = self.session
        for table, keys, buckets, bucket_type in (
            (HealthHourly.__table__, ("hour_start", "device_id"), self.health_hours, _HealthBucket),
            (HealthDaily.__table__, ("day", "device_id"), self.health_days, _HealthBucket),
            (TemperatureHourly.__table__, _HOUR_SENSOR, self.temp_hours, _TemperatureBucket),
            (TemperatureDaily.__table__, _DAY_SENSOR, self.temp_days, _TemperatureBucket),
            (InterfaceHourly.__table__, _HOUR_PORT, self.port_hours, _InterfaceBucket),
            (InterfaceDaily.__table__, _DAY_PORT, self.port_days, _InterfaceBucket),
        ):
            _upsert_buckets(session, table, keys, bucket_type.COLUMNS, buckets, self.absent)
        _write_spells(
            session, ComponentEpisode.__table__, [*self.closed_episodes, *self.episodes.values()]
        )
        _write_spells(session, Outage.__table__, [*self.closed_outages, *self.outages.values()])
        if self.touched_ports:
            names = ("device_id", "if_index", *self.port_columns)
            table = InterfaceState.__table__
            port_columns = self.port_columns

            def upsert() -> Any:
                insert = _insert(session, table)
                return insert.on_conflict_do_update(
                    index_elements=["device_id", "if_index"],
                    set_={column: insert.excluded[column] for column in port_columns},
                )

            # Through the ORM table's types, so Counter64 values are stored as such.
            statement = _prepared(session, table, names, upsert)
            statement.execute(
                session.connection(),
                [key + self.ports[key] for key in sorted(self.touched_ports)],
            )


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
# One rule per bucket column name, whichever table it is in (``last_at`` has its own).
_RULES = {
    "samples": _ADD,
    "reachable": _ADD,
    "disk_max": _HIGH,
    **{
        f"{prefix}_{part}": rule
        for prefix in ("cpu", "memory")
        for part, rule in zip(_SERIES_PARTS, (_ADD, _ADD, _LOW, _HIGH, _NEWER), strict=True)
    },
    # temperatures
    **dict(zip(_SERIES_PARTS, (_ADD, _ADD, _LOW, _HIGH, _NEWER), strict=True)),
    # interfaces
    "down_samples": _ADD,
    "admin_down_samples": _ADD,
    "status_changes": _ADD,
    **dict.fromkeys(COUNTERS, _ADD),
}
_HOUR_SENSOR = ("hour_start", "device_id", "sensor")
_DAY_SENSOR = ("day", "device_id", "sensor")
_HOUR_PORT = ("hour_start", "device_id", "if_index")
_DAY_PORT = ("day", "device_id", "if_index")


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"the store supports SQLite and PostgreSQL, not {dialect}")


# Statements by driver, table and the names their rows give: building one (its ``excluded``
# columns and a CASE per merged column) and compiling it cost more CPU than executing it for a
# batch of one poll, and it is the same statement every time (the rows are parameters). The
# names differ when a migration folds history into an older schema (``absent`` columns).
_PREPARED: dict[tuple[str, str, Table, tuple[str, ...]], BulkStatement] = {}


def _prepared(
    session: Session,
    table: Table,
    names: tuple[str, ...],
    make: Callable[[], Any],
) -> BulkStatement:
    """The statement ``make`` builds for ``table``, compiled once per driver, ready for rows
    in ``names``' order."""
    dialect = session.get_bind().dialect
    key = (dialect.name, dialect.driver, table, names)
    statement = _PREPARED.get(key)
    if statement is None:
        statement = _PREPARED[key] = BulkStatement(make(), names, dialect)
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
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    buckets: dict[tuple[Any, ...], Any],
    absent: frozenset[str] = frozenset(),
) -> None:
    """Add ``buckets`` (key: values of ``keys``; bucket: ``values()`` in ``columns`` order) to
    what ``table`` holds, by the merge rule of each column."""
    if not buckets:
        return
    kept = tuple(position for position, column in enumerate(columns) if column not in absent)
    names = (*keys, *(columns[position] for position in kept))
    if len(kept) == len(columns):
        rows = [key + bucket.values() for key, bucket in buckets.items()]
    else:
        rows = []
        for key, bucket in buckets.items():
            values = bucket.values()
            rows.append(key + tuple(values[position] for position in kept))
    merged = [column for column in names[len(keys) :] if column != "last_at"]

    def build(statement: Any) -> Any:
        excluded = statement.excluded
        values = {column: _merge(table, excluded, column, _RULES[column]) for column in merged}
        if "last_at" in names:
            values["last_at"] = case(
                (excluded["last_at"] > table.c["last_at"], excluded["last_at"]),
                else_=table.c["last_at"],
            )
        return statement.on_conflict_do_update(index_elements=list(keys), set_=values)

    _prepared(session, table, names, lambda: build(_insert(session, table))).execute(
        session.connection(), rows
    )


def _write_spells(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert new episodes / outages and update the ones already stored, each in one
    executemany."""
    new = [{k: v for k, v in row.items() if k != "id"} for row in rows if row["id"] is None]
    old = [row for row in rows if row["id"] is not None]
    if new:
        session.execute(table.insert(), new)
    if old:
        columns = tuple(column.name for column in table.c if column.name != "id")
        names = ("spell_id", *(f"new_{column}" for column in columns))
        statement = _prepared(
            session,
            table,
            names,
            lambda: (
                update(table)
                .where(table.c.id == bindparam("spell_id"))
                .values({column: bindparam(f"new_{column}") for column in columns})
            ),
        )
        statement.execute(
            session.connection(),
            [(row["id"], *(row[column] for column in columns)) for row in old],
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
