"""The tables netmon keeps, as SQLAlchemy 2 typed models (portable: SQLite and PostgreSQL).

What each table backs in the contract's documents:

- ``devices``: the fleet as the inventory last listed it; removed devices are retired, never
  deleted, so their history stays reportable.
- ``collection_runs``: one row per poll of a device (health, config or signatures), with its
  outcome and cost: the poller's own health and the "gather time" per device.
- ``health_samples``: the raw health polls, kept for a short window (``[retention]
  raw_days``, 14 by default) and then deleted; full-resolution history is Prometheus' job.
- ``health_hourly`` / ``health_daily``, ``temperature_*``, ``interface_*``: roll-ups written
  as samples arrive and kept for the contract period and a year (``[retention]
  rollup_days``; per-port hours only ``interface_hourly_days``, the documents read whole days
  from ``interface_daily``): the monthly inspection report and the work summary read these.
- ``component_episodes`` and ``outages``: fan / PSU / sensor states and unreachable spells as
  changes with a start and an end, not a row per poll; ``interface_states``: each port's
  newest counters, from which the roll-ups' growth is computed.
- ``config_versions`` (+ ``config_texts``): every change of a device's (redacted)
  configuration, its text stored once by SHA-256, and the approved baseline, for tuning
  records and change detection.
- ``signature_versions``, ``licences``: the licence and upgrade record.
- ``events``: the daily duty report and incident records.
- ``maintenance_records``: what engineers did by hand (``netmon record``): maintenance and
  inspections, repairs (the repair sheet), tuning, manual upgrades, incidents with their
  reported / arrived / resolved times, and duty notes.

Every timestamp is timezone-aware UTC (``UTCDateTime``); a naive datetime is refused rather
than guessed at. Enumerations are short strings guarded by CHECK constraints (no PostgreSQL
ENUM types, which would complicate migrations). Device foreign keys are ``ON DELETE RESTRICT``:
a device with history cannot be deleted by accident; retire it instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Named constraints: Alembic's batch mode (SQLite) can only alter what has a name, and the
# names stay identical on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_KINDS = ("health", "config", "signatures")
RUN_STATUSES = ("running", "ok", "partial", "failed")
COMPONENT_KINDS = ("temperature", "fan", "psu")
COMPONENT_STATUSES = ("ok", "warning", "failed", "absent", "unknown")
SEVERITIES = ("info", "warning", "minor", "major", "critical")
EVENT_STATES = ("open", "acknowledged", "closed")
RECORD_KINDS = ("maintenance", "repair", "tuning", "upgrade", "incident", "duty")
RECORD_STATES = ("open", "closed")
COUNTER64_MODULUS = 2**64
# Tables keyed by their primary key alone: on SQLite the rows live in the key's own B-tree
# (WITHOUT ROWID), with no second copy of the key in an index: the roll-ups, the store's
# largest tables over a year, take about a third less space.
COMPACT: tuple[dict[str, Any]] = ({"sqlite_with_rowid": False},)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zone type, so the value is stored as
    naive UTC text and UTC is attached again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; netmon stores UTC only")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dt.date: Date(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


def _device_fk() -> Any:
    return ForeignKey("devices.id", ondelete="RESTRICT")


class Device(Base):
    """One unit of the fleet, keyed by its inventory name."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    vendor: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(128))
    # The site's display name from the inventory ("城区支队"); documents print it, not the code.
    site_name: Mapped[str | None] = mapped_column(String(128))
    # Service scope from the contract tables, e.g. ["HW", "SIG", "TUNE"].
    services: Mapped[list[str]]
    # The inventory's uplink interface names: a port with this role that goes down is a fault
    # even when it stays down all period (reports, issue 12).
    uplinks: Mapped[list[str]] = mapped_column(default=list, server_default=sql_text("'[]'"))
    address: Mapped[str | None] = mapped_column(String(64))
    # When the inventory first / last listed the device (reachability: outages, roll-ups).
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class CollectionRun(Base):
    """One poll of one device; ``status`` stays ``running`` until ``finish_run``."""

    __tablename__ = "collection_runs"
    __table_args__ = (
        CheckConstraint(_one_of("kind", RUN_KINDS), name="kind"),
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        # Retention deletes by time; rows arrive in time order, so BRIN on PostgreSQL
        # (migration 0009: the B-tree was a tenth of a poll's bytes).
        Index(None, "started_at", postgresql_using="brin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(16), server_default=sql_text("'running'"))
    error: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)

    device: Mapped[Device] = relationship()


class HealthSample(Base):
    """What one health poll saw. ``device_id`` and ``sampled_at`` are copied from the run so
    that month-long per-device aggregates read one index range without a join."""

    __tablename__ = "health_samples"
    __table_args__ = (Index(None, "device_id", "sampled_at", postgresql_using="brin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("collection_runs.id", ondelete="CASCADE"), unique=True
    )
    device_id: Mapped[int] = mapped_column(_device_fk())
    sampled_at: Mapped[dt.datetime]
    # The one definition of "up" for alerts and reports: the device answered this poll.
    reachable: Mapped[bool] = mapped_column(Boolean)
    rtt_snmp_ms: Mapped[float | None] = mapped_column(Float)
    rtt_ssh_ms: Mapped[float | None] = mapped_column(Float)
    uptime_s: Mapped[int | None] = mapped_column(BigInteger)
    # Ratios in 0..1 (not percent), whatever scale the vendor reports.
    cpu_ratio: Mapped[float | None] = mapped_column(Float)
    memory_ratio: Mapped[float | None] = mapped_column(Float)
    disk_ratio: Mapped[float | None] = mapped_column(Float)
    sessions: Mapped[int | None] = mapped_column(BigInteger)
    new_sessions_per_s: Mapped[float | None] = mapped_column(Float)
    ha_role: Mapped[str | None] = mapped_column(String(32))

    run: Mapped[CollectionRun] = relationship()


class Counter64(TypeDecorator[int]):
    """An SNMP Counter64 (0 .. 2**64-1) in a signed 64-bit column on every backend.

    SQLite's INTEGER and PostgreSQL's BIGINT stop at 2**63-1, so values above it are stored in
    two's complement (the same 8 bytes) and turned back on the way out. Only equality and the
    unsigned arithmetic done in Python (``agent.store.rollup``) use these columns; SQL never
    compares or subtracts them.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not 0 <= value < COUNTER64_MODULUS:
            raise ValueError(f"counter value {value} is outside the Counter64 range 0..2**64-1")
        return value - COUNTER64_MODULUS if value >= 2**63 else value

    def process_result_value(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value + COUNTER64_MODULUS if value < 0 else value


class ComponentEpisode(Base):
    """A temperature sensor, fan or power supply holding one status from ``started_at`` (the
    first poll that saw it) until ``ended_at`` (the first poll that saw another status; NULL
    while it lasts). One row per change, not per poll: ``samples`` counts the polls."""

    __tablename__ = "component_episodes"
    __table_args__ = (
        CheckConstraint(_one_of("kind", COMPONENT_KINDS), name="kind"),
        CheckConstraint(_one_of("status", COMPONENT_STATUSES), name="status"),
        Index(None, "device_id", "kind", "name", "started_at"),
        # Faults of a period: few rows per status, so filter by status first.
        Index(None, "status", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    samples: Mapped[int] = mapped_column(Integer)
    # The newest value seen (degrees C, RPM or watts) for a glance; history is in roll-ups.
    last_value: Mapped[float | None] = mapped_column(Float)


class Outage(Base):
    """Consecutive unreachable health polls of a device: from the first of them to the next
    reachable poll (``ended_at`` NULL while still down)."""

    __tablename__ = "outages"
    __table_args__ = (Index(None, "device_id", "started_at"), Index(None, "started_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    started_at: Mapped[dt.datetime]
    last_failed: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    failed_samples: Mapped[int] = mapped_column(Integer)


class InterfaceState(Base):
    """Each interface's newest state and raw counters: one row per port, updated in place by
    every poll, so the next poll's growth can be computed (the growth goes to roll-ups)."""

    __tablename__ = "interface_states"
    __table_args__ = COMPACT

    device_id: Mapped[int] = mapped_column(_device_fk(), primary_key=True)
    if_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    alias: Mapped[str | None] = mapped_column(String(64))  # ifAlias: the operator's description
    admin_up: Mapped[bool | None] = mapped_column(Boolean)
    oper_up: Mapped[bool | None] = mapped_column(Boolean)
    speed_bps: Mapped[int | None] = mapped_column(Counter64)
    in_octets: Mapped[int | None] = mapped_column(Counter64)
    out_octets: Mapped[int | None] = mapped_column(Counter64)
    in_errors: Mapped[int | None] = mapped_column(Counter64)
    out_errors: Mapped[int | None] = mapped_column(Counter64)
    in_discards: Mapped[int | None] = mapped_column(Counter64)
    out_discards: Mapped[int | None] = mapped_column(Counter64)
    sampled_at: Mapped[dt.datetime]


class _HealthFigures:
    """Per device per bucket: polls, answered polls, and count/sum/min/max/last of CPU and
    memory (sum and count rather than a mean, so longer periods average exactly)."""

    device_id: Mapped[int] = mapped_column(_device_fk(), primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)
    reachable: Mapped[int] = mapped_column(Integer)
    cpu_count: Mapped[int] = mapped_column(Integer)
    cpu_sum: Mapped[float] = mapped_column(Float)
    cpu_min: Mapped[float | None] = mapped_column(Float)
    cpu_max: Mapped[float | None] = mapped_column(Float)
    cpu_last: Mapped[float | None] = mapped_column(Float)
    memory_count: Mapped[int] = mapped_column(Integer)
    memory_sum: Mapped[float] = mapped_column(Float)
    memory_min: Mapped[float | None] = mapped_column(Float)
    memory_max: Mapped[float | None] = mapped_column(Float)
    memory_last: Mapped[float | None] = mapped_column(Float)
    disk_max: Mapped[float | None] = mapped_column(Float)
    last_at: Mapped[dt.datetime]


class _TemperatureFigures:
    device_id: Mapped[int] = mapped_column(_device_fk(), primary_key=True)
    sensor: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    sum: Mapped[float] = mapped_column(Float)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    last: Mapped[float | None] = mapped_column(Float)
    last_at: Mapped[dt.datetime]


class _InterfaceFigures:
    """Growth of an interface's counters within the bucket (no poll time: these are the
    largest roll-ups, and growth is only ever summed; 64-bit deltas: an hour at
    100 Gbit/s is 4.5e13 octets, far below 2**63), polls, polls down and status changes."""

    device_id: Mapped[int] = mapped_column(_device_fk(), primary_key=True)
    if_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)
    down_samples: Mapped[int] = mapped_column(Integer)
    # Polls with ifAdminStatus down: a shut port, never a fault (not in down_samples).
    admin_down_samples: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    status_changes: Mapped[int] = mapped_column(Integer)
    in_octets: Mapped[int] = mapped_column(BigInteger)
    out_octets: Mapped[int] = mapped_column(BigInteger)
    in_errors: Mapped[int] = mapped_column(BigInteger)
    out_errors: Mapped[int] = mapped_column(BigInteger)
    in_discards: Mapped[int] = mapped_column(BigInteger)
    out_discards: Mapped[int] = mapped_column(BigInteger)


# Roll-up keys lead with the bucket: reports read a time range for the whole fleet.
class HealthHourly(_HealthFigures, Base):
    __tablename__ = "health_hourly"
    __table_args__ = COMPACT
    hour_start: Mapped[dt.datetime] = mapped_column(primary_key=True)


class HealthDaily(_HealthFigures, Base):
    __tablename__ = "health_daily"
    __table_args__ = COMPACT
    # The documents' day (UTC+8, agent.store.rollup.DAY_ZONE; UTC days before migration 0010).
    day: Mapped[dt.date] = mapped_column(primary_key=True)


class TemperatureHourly(_TemperatureFigures, Base):
    __tablename__ = "temperature_hourly"
    __table_args__ = COMPACT
    hour_start: Mapped[dt.datetime] = mapped_column(primary_key=True)


class TemperatureDaily(_TemperatureFigures, Base):
    __tablename__ = "temperature_daily"
    __table_args__ = COMPACT
    day: Mapped[dt.date] = mapped_column(primary_key=True)


class InterfaceHourly(_InterfaceFigures, Base):
    __tablename__ = "interface_hourly"
    __table_args__ = COMPACT
    hour_start: Mapped[dt.datetime] = mapped_column(primary_key=True)


class InterfaceDaily(_InterfaceFigures, Base):
    __tablename__ = "interface_daily"
    __table_args__ = COMPACT
    day: Mapped[dt.date] = mapped_column(primary_key=True)


class ConfigText(Base):
    """One configuration text (normalised and redacted by the collector), stored once and
    addressed by its SHA-256: a device that goes back to an earlier configuration, or two
    versions with the same text, share one row."""

    __tablename__ = "config_texts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[dt.datetime]


class ConfigVersion(Base):
    """A configuration of a device as it changed over time: ``sequence`` counts 1, 2, 3 ...
    per device, one row per change (going back to an earlier text is a change too), and the
    text itself lives once in ``config_texts``. At most one row per device is the approved
    baseline (partial unique index)."""

    __tablename__ = "config_versions"
    __table_args__ = (
        UniqueConstraint("device_id", "sequence"),
        Index(
            "uq_config_versions_one_baseline",
            "device_id",
            unique=True,
            sqlite_where=sql_text("is_baseline"),
            postgresql_where=sql_text("is_baseline"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    sequence: Mapped[int] = mapped_column(Integer)
    # First collection that found this version (the change was seen then).
    collected_at: Mapped[dt.datetime]
    # Last collection that still found this text (dedupe bumps it instead of adding a row).
    last_seen: Mapped[dt.datetime]
    sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("config_texts.sha256", ondelete="RESTRICT")
    )
    # Unified diff against the previous version of the same device; NULL for the first.
    diff: Mapped[str | None] = mapped_column(Text)
    is_baseline: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    approved_at: Mapped[dt.datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approval_note: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device] = relationship()
    content: Mapped[ConfigText] = relationship(lazy="joined")

    @hybrid_property
    def text(self) -> str:
        return self.content.text

    @text.inplace.setter
    def _text_setter(self, value: str) -> None:
        # For code that builds a version by hand; add_config_version reuses a stored text.
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
        self.content = ConfigText(sha256=digest, text=value, stored_at=dt.datetime.now(dt.UTC))
        self.sha256 = digest

    @text.inplace.expression
    @classmethod
    def _text_expression(cls) -> Any:
        return select(ConfigText.text).where(ConfigText.sha256 == cls.sha256).scalar_subquery()


class SignatureVersion(Base):
    """One version of one signature library (ips, av, url, app, engine, ...) as seen on a
    device from ``first_seen`` to ``last_seen``. A changed version is a new row, so the table
    is the upgrade history."""

    __tablename__ = "signature_versions"
    __table_args__ = (Index(None, "device_id", "library", "last_seen"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    library: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(128))
    release_date: Mapped[dt.date | None]
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]

    device: Mapped[Device] = relationship()


class Licence(Base):
    """A licence / feature subscription of a device and its expiry (NULL: perpetual), seen
    from ``first_seen`` to ``last_seen``; a renewal (new expiry) is a new row."""

    __tablename__ = "licences"
    __table_args__ = (Index(None, "device_id", "feature", "last_seen"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    feature: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[dt.date | None]
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]

    device: Mapped[Device] = relationship()


class Event(Base):
    """Something the duty engineer should know: a device went down, a fan failed, the config
    changed, a licence expires. ``state`` follows open -> acknowledged -> closed."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
        CheckConstraint(_one_of("state", EVENT_STATES), name="state"),
        Index(None, "occurred_at"),
        Index(None, "device_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime]
    device_id: Mapped[int | None] = mapped_column(_device_fk())
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), server_default=sql_text("'open'"))
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    closed_at: Mapped[dt.datetime | None]

    device: Mapped[Device | None] = relationship()


class MaintenanceRecord(Base):
    """Something an engineer did by hand, entered with ``netmon record``: routine maintenance
    or an inspection, a repair (the repair sheet), a tuning, an upgrade done on the box, an
    incident (reported / arrived on site / resolved) or a duty note (no device needed).

    ``engineer`` is a label (team or call sign), never personal data; ``recorded_by`` is the
    account that typed the record. Validation lives in ``agent.records``; the CHECKs here are
    the last line (kinds, states, times in order)."""

    __tablename__ = "maintenance_records"
    __table_args__ = (
        CheckConstraint(_one_of("kind", RECORD_KINDS), name="kind"),
        CheckConstraint(_one_of("state", RECORD_STATES), name="state"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_start"),
        Index(None, "started_at"),
        Index(None, "device_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int | None] = mapped_column(_device_fk())
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), server_default=sql_text("'open'"))
    summary: Mapped[str] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    engineer: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    reported_at: Mapped[dt.datetime | None]
    arrived_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[str] = mapped_column(String(128))

    device: Mapped[Device | None] = relationship()


class UpgradeRecord(Base):
    """One change of a signature library or of the system software on a device, as netmon
    saw it: from / to version, when it was first seen, the release date the box printed, and
    whether the version went backwards (a rollback, by the vendor's version rule)."""

    __tablename__ = "upgrade_records"
    __table_args__ = (
        Index(None, "seen_at"),
        Index(None, "device_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    library: Mapped[str] = mapped_column(String(32))
    from_version: Mapped[str] = mapped_column(String(128))
    to_version: Mapped[str] = mapped_column(String(128))
    seen_at: Mapped[dt.datetime]
    release_date: Mapped[dt.date | None]
    rollback: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))

    device: Mapped[Device] = relationship()


GAP_REASONS = ("not_running", "overload")


class MaintenanceWindow(Base):
    """A planned stop of one device, from ``starts_at`` to ``ends_at`` (``netmon
    maintenance``): its time counts neither as monitored nor as an outage, and the daemon
    exports ``netmon_device_maintenance`` 1 while it is active, which silences the alerts.
    ``ended_early_at`` is set when the work finished before the planned end."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index(None, "device_id", "starts_at"),
        Index(None, "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    ended_early_at: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime]

    device: Mapped[Device] = relationship()


class MonitoringGap(Base):
    """Time netmon itself did not watch: the daemon was not running (``device_id`` NULL: the
    whole fleet) or a device's poll was skipped or late because netmon was overloaded. It is
    netmon's downtime, never the device's outage."""

    __tablename__ = "monitoring_gaps"
    __table_args__ = (
        CheckConstraint(_one_of("reason", GAP_REASONS), name="reason"),
        CheckConstraint("ended_at > started_at", name="ends_after_start"),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int | None] = mapped_column(_device_fk())
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(String(16))
