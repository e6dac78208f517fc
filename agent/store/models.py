"""The tables netmon keeps, as SQLAlchemy 2 typed models (portable: SQLite and PostgreSQL).

What each table backs in the contract's documents:

- ``devices``: the fleet as the inventory last listed it; removed devices are retired, never
  deleted, so their history stays reportable.
- ``collection_runs``: one row per poll of a device (health, config or signatures), with its
  outcome and cost: the poller's own health and the "gather time" per device.
- ``health_samples`` (+ ``component_readings``, ``interface_readings``): the monthly
  inspection report (availability, max/avg CPU and memory, failed fans/PSUs/sensors).
- ``config_versions`` (+ ``config_texts``): every change of a device's (redacted)
  configuration, its text stored once by SHA-256, and the approved baseline, for tuning
  records and change detection.
- ``signature_versions``, ``licences``: the licence and upgrade record.
- ``events``: the daily duty report and incident records.
- ``maintenance_records``: the maintenance / tuning record sheet and repair sheet entries.

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
MAINTENANCE_KINDS = ("repair", "upgrade", "tuning", "inspection")


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
    # Service scope from the contract tables, e.g. ["HW", "SIG", "TUNE"].
    services: Mapped[list[str]]
    address: Mapped[str | None] = mapped_column(String(64))
    # When the inventory first / last listed the device (reachability lives in health_samples).
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class CollectionRun(Base):
    """One poll of one device; ``status`` stays ``running`` until ``finish_run``."""

    __tablename__ = "collection_runs"
    __table_args__ = (
        CheckConstraint(_one_of("kind", RUN_KINDS), name="kind"),
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        Index(None, "device_id", "started_at"),
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
    __table_args__ = (Index(None, "device_id", "sampled_at"),)

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
    components: Mapped[list[ComponentReading]] = relationship(
        back_populates="sample", cascade="all, delete-orphan", passive_deletes=True
    )
    interfaces: Mapped[list[InterfaceReading]] = relationship(
        back_populates="sample", cascade="all, delete-orphan", passive_deletes=True
    )


class ComponentReading(Base):
    """A temperature sensor, fan or power supply as one health poll saw it."""

    __tablename__ = "component_readings"
    __table_args__ = (
        CheckConstraint(_one_of("kind", COMPONENT_KINDS), name="kind"),
        CheckConstraint(_one_of("status", COMPONENT_STATUSES), name="status"),
        UniqueConstraint("sample_id", "kind", "name"),
        # Failed components of a month: few rows per status, so filter by status first.
        Index(None, "status", "sample_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("health_samples.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    # Degrees Celsius for temperature, RPM for fans, watts for PSUs when the device says.
    value: Mapped[float | None] = mapped_column(Float)

    sample: Mapped[HealthSample] = relationship(back_populates="components")


class InterfaceReading(Base):
    """One interface's state and counters (64-bit SNMP counters fit a signed BIGINT for
    centuries of traffic at 100 Gbit/s, so no unsigned type is needed)."""

    __tablename__ = "interface_readings"
    __table_args__ = (UniqueConstraint("sample_id", "if_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("health_samples.id", ondelete="CASCADE"))
    if_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    admin_up: Mapped[bool | None] = mapped_column(Boolean)
    oper_up: Mapped[bool | None] = mapped_column(Boolean)
    speed_bps: Mapped[int | None] = mapped_column(BigInteger)
    in_octets: Mapped[int | None] = mapped_column(BigInteger)
    out_octets: Mapped[int | None] = mapped_column(BigInteger)
    in_errors: Mapped[int | None] = mapped_column(BigInteger)
    out_errors: Mapped[int | None] = mapped_column(BigInteger)
    in_discards: Mapped[int | None] = mapped_column(BigInteger)
    out_discards: Mapped[int | None] = mapped_column(BigInteger)

    sample: Mapped[HealthSample] = relationship(back_populates="interfaces")


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
    """A line of the maintenance / tuning record sheet (or a repair / upgrade done by hand).
    ``engineer`` is a label (team or call sign), not personal data."""

    __tablename__ = "maintenance_records"
    __table_args__ = (
        CheckConstraint(_one_of("kind", MAINTENANCE_KINDS), name="kind"),
        Index(None, "performed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(_device_fk())
    performed_on: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    engineer: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[dt.datetime]

    device: Mapped[Device] = relationship()


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
