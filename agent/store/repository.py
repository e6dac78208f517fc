"""The reads and writes the daemon and the reports use, on a session from ``Store.session()``.

Nothing here imports the inventory or the collectors: callers pass plain values, the small
dataclasses below, or anything shaped like ``InventoryDevice``. A device is named either by
its ``Device`` row or by its inventory name. Time ranges are half-open, ``[start, end)``, and
every datetime is timezone-aware (naive ones are refused). Functions flush but never commit:
the ``with store.session()`` block is the transaction.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from agent.store import rollup
from agent.store.engine import StoreError
from agent.store.models import (
    EVENT_STATES,
    RUN_KINDS,
    SEVERITIES,
    CollectionRun,
    ComponentEpisode,
    ConfigText,
    ConfigVersion,
    Device,
    Event,
    HealthHourly,
    HealthSample,
    Licence,
    SignatureVersion,
    UpgradeRecord,
)
from agent.store.models import InterfaceState as InterfaceStateRow

DeviceRef = Device | str
FINISHED_STATUSES = ("ok", "partial", "failed")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _require(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return value


# --- devices -------------------------------------------------------------------------------


class InventoryDevice(Protocol):
    """What the store needs of an inventory device (``agent.inventory.Device`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def vendor(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def site(self) -> str: ...
    @property
    def services(self) -> Sequence[str]: ...
    @property
    def address(self) -> str | IPv4Address | IPv6Address | None: ...


@dataclass
class SyncResult:
    """Names of the devices ``sync_devices`` added, changed, retired, or brought back."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)


def get_device(session: Session, device: DeviceRef) -> Device:
    if isinstance(device, Device):
        return device
    row = session.scalar(select(Device).where(Device.name == device))
    if row is None:
        raise StoreError(f"device {device!r} is not in the store; the inventory was not synced")
    return row


def sync_devices(
    session: Session, devices: Iterable[InventoryDevice], now: dt.datetime | None = None
) -> SyncResult:
    """Make the devices table match the inventory: add new devices, update changed ones,
    retire those the inventory no longer lists (never delete: their history stays)."""
    now = now or utcnow()
    result = SyncResult()
    stored = {row.name: row for row in session.scalars(select(Device))}
    listed: set[str] = set()
    for device in devices:
        if device.name in listed:
            raise StoreError(f"device {device.name!r} is listed twice")
        listed.add(device.name)
        values: dict[str, Any] = {
            "vendor": device.vendor,
            "model": device.model,
            "kind": device.kind,
            "site": device.site,
            # getattr: older callers pass device-shaped objects without a display name.
            "site_name": getattr(device, "site_name", None),
            "services": list(device.services),
            "uplinks": list(getattr(device, "uplinks", ())),
            "address": None if device.address is None else str(device.address),
        }
        row = stored.get(device.name)
        if row is None:
            session.add(Device(name=device.name, first_seen=now, last_seen=now, **values))
            result.added.append(device.name)
            continue
        if any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            result.updated.append(device.name)
        if row.retired_at is not None:
            row.retired_at = None
            result.returned.append(device.name)
        row.last_seen = now
    for name, row in stored.items():
        if name not in listed and row.retired_at is None:
            row.retired_at = now
            result.retired.append(name)
    session.flush()
    return result


def active_devices(session: Session) -> list[Device]:
    return list(
        session.scalars(select(Device).where(Device.retired_at.is_(None)).order_by(Device.name))
    )


# --- collection runs and health ------------------------------------------------------------


def start_run(
    session: Session, device: DeviceRef, kind: str, started_at: dt.datetime | None = None
) -> CollectionRun:
    run = CollectionRun(
        device=get_device(session, device),
        kind=_require(kind, RUN_KINDS, "run kind"),
        started_at=started_at or utcnow(),
        status="running",
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run: CollectionRun,
    status: str,
    error: str | None = None,
    finished_at: dt.datetime | None = None,
) -> CollectionRun:
    run.status = _require(status, FINISHED_STATUSES, "run status")
    run.error = error
    run.finished_at = finished_at or utcnow()
    run.duration_s = (run.finished_at - run.started_at).total_seconds()
    session.flush()
    return run


@dataclass(frozen=True, slots=True)
class ComponentState:
    kind: str  # temperature | fan | psu
    name: str
    status: str  # ok | warning | failed | absent | unknown
    value: float | None = None  # degrees C, RPM or watts


@dataclass(frozen=True, slots=True)
class InterfaceState:
    if_index: int
    name: str
    admin_up: bool | None = None
    oper_up: bool | None = None
    speed_bps: int | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None
    alias: str | None = None  # ifAlias, the port's description


@dataclass(frozen=True, slots=True)
class HealthReading:
    """One health poll's result; ratios are 0..1."""

    reachable: bool
    rtt_snmp_ms: float | None = None
    rtt_ssh_ms: float | None = None
    uptime_s: int | None = None
    cpu_ratio: float | None = None
    memory_ratio: float | None = None
    disk_ratio: float | None = None
    sessions: int | None = None
    new_sessions_per_s: float | None = None
    ha_role: str | None = None
    components: Sequence[ComponentState] = ()
    interfaces: Sequence[InterfaceState] = ()


_SAMPLE_FIELDS = (
    "reachable",
    "rtt_snmp_ms",
    "rtt_ssh_ms",
    "uptime_s",
    "cpu_ratio",
    "memory_ratio",
    "disk_ratio",
    "sessions",
    "new_sessions_per_s",
    "ha_role",
)


def add_health_sample(
    session: Session,
    run: CollectionRun,
    reading: HealthReading,
    sampled_at: dt.datetime | None = None,
) -> HealthSample:
    """Store a health poll's result under its run (``sampled_at`` defaults to the run start):
    the raw sample (kept for the raw window) and its fold into roll-ups, component episodes,
    outages and interface states (``agent.store.rollup``)."""
    at = sampled_at or run.started_at
    sample = HealthSample(
        run=run,
        device_id=run.device_id,
        sampled_at=at,
        **{name: getattr(reading, name) for name in _SAMPLE_FIELDS},
    )
    session.add(sample)
    session.flush()
    rollup.fold_polls(session, [rollup.PollInput(run.device_id, at, reading)])
    return sample


class RunRef(Protocol):
    """What a batch write needs of a run: a ``CollectionRun`` fits, or a row a batch writer
    inserted itself with Core."""

    @property
    def id(self) -> int: ...
    @property
    def device_id(self) -> int: ...
    @property
    def started_at(self) -> dt.datetime: ...


@dataclass(frozen=True, slots=True)
class HealthItem:
    """One poll for ``add_health_samples``: its (flushed) run, reading and sample time."""

    run: RunRef
    reading: HealthReading
    sampled_at: dt.datetime | None = None


def add_health_samples(session: Session, items: Sequence[HealthItem]) -> int:
    """Store many health polls at once: one Core executemany for the raw samples and one
    upsert per roll-up table, whatever the number of polls. Returns how many were stored."""
    if not items:
        return 0
    session.flush()
    polls = [
        rollup.PollInput(item.run.device_id, item.sampled_at or item.run.started_at, item.reading)
        for item in items
    ]
    session.execute(
        HealthSample.__table__.insert(),
        [
            {
                "run_id": item.run.id,
                "device_id": poll.device_id,
                "sampled_at": poll.sampled_at,
                **{name: getattr(item.reading, name) for name in _SAMPLE_FIELDS},
            }
            for item, poll in zip(items, polls, strict=True)
        ],
    )
    rollup.fold_polls(session, polls)
    return len(items)


def health_samples(
    session: Session, device: DeviceRef, start: dt.datetime, end: dt.datetime
) -> list[HealthSample]:
    """A device's raw samples in ``[start, end)``, oldest first (only the raw window is
    kept: older polls live on in the roll-ups)."""
    row = get_device(session, device)
    query = (
        select(HealthSample)
        .where(
            HealthSample.device_id == row.id,
            HealthSample.sampled_at >= start,
            HealthSample.sampled_at < end,
        )
        .order_by(HealthSample.sampled_at, HealthSample.id)
    )
    return list(session.scalars(query))


def component_episodes(
    session: Session, device: DeviceRef, start: dt.datetime, end: dt.datetime
) -> list[ComponentEpisode]:
    """A device's component states that held at some time in ``[start, end)``."""
    row = get_device(session, device)
    return list(
        session.scalars(
            select(ComponentEpisode)
            .where(
                ComponentEpisode.device_id == row.id,
                ComponentEpisode.started_at < end,
                ComponentEpisode.last_seen >= start,
            )
            .order_by(ComponentEpisode.kind, ComponentEpisode.name, ComponentEpisode.started_at)
        )
    )


def interface_states(session: Session, device: DeviceRef) -> list[InterfaceStateRow]:
    """A device's interfaces as the newest poll saw them, by ifIndex."""
    row = get_device(session, device)
    return list(
        session.scalars(
            select(InterfaceStateRow)
            .where(InterfaceStateRow.device_id == row.id)
            .order_by(InterfaceStateRow.if_index)
        )
    )


@dataclass(frozen=True, slots=True)
class DeviceHealthSummary:
    """One device's line of the monthly inspection report."""

    device: str
    samples: int
    reachable_samples: int
    cpu_max: float | None
    cpu_avg: float | None
    memory_max: float | None
    memory_avg: float | None
    disk_max: float | None

    @property
    def availability(self) -> float | None:
        """Share of polls the device answered (None: never polled in the range)."""
        return self.reachable_samples / self.samples if self.samples else None


def _ratio(total: Any, count: Any) -> float | None:
    return float(total) / int(count) if count else None


def health_summary(
    session: Session, start: dt.datetime, end: dt.datetime
) -> list[DeviceHealthSummary]:
    """Availability and CPU / memory / disk peaks and means per device over ``[start, end)``,
    summed in the database from the hourly roll-ups (so whole hours: a range that cuts an
    hour counts that hour's polls whole). Lists every device that was in the inventory during
    the range, polled or not."""
    in_range = and_(
        HealthHourly.device_id == Device.id,
        HealthHourly.hour_start >= rollup.hour_of(start),
        HealthHourly.hour_start < end,
    )
    query = (
        select(
            Device.name,
            func.coalesce(func.sum(HealthHourly.samples), 0),
            func.coalesce(func.sum(HealthHourly.reachable), 0),
            func.max(HealthHourly.cpu_max),
            func.sum(HealthHourly.cpu_sum),
            func.sum(HealthHourly.cpu_count),
            func.max(HealthHourly.memory_max),
            func.sum(HealthHourly.memory_sum),
            func.sum(HealthHourly.memory_count),
            func.max(HealthHourly.disk_max),
        )
        .select_from(Device)
        .outerjoin(HealthHourly, in_range)
        .where(
            Device.first_seen < end,
            or_(Device.retired_at.is_(None), Device.retired_at >= start),
        )
        .group_by(Device.id, Device.name)
        .order_by(Device.name)
    )
    return [
        DeviceHealthSummary(
            device=name,
            samples=int(samples),
            reachable_samples=int(reachable),
            cpu_max=cpu_max,
            cpu_avg=_ratio(cpu_sum, cpu_count),
            memory_max=memory_max,
            memory_avg=_ratio(memory_sum, memory_count),
            disk_max=disk_max,
        )
        for (
            name,
            samples,
            reachable,
            cpu_max,
            cpu_sum,
            cpu_count,
            memory_max,
            memory_sum,
            memory_count,
            disk_max,
        ) in session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class FailedComponent:
    device: str
    kind: str
    name: str
    failed_samples: int
    first_failed: dt.datetime
    last_failed: dt.datetime


def failed_components(
    session: Session, start: dt.datetime, end: dt.datetime
) -> list[FailedComponent]:
    """Every fan, PSU or sensor that reported ``failed`` in ``[start, end)``, per device,
    summed over its failure episodes in the database."""
    query = (
        select(
            Device.name,
            ComponentEpisode.kind,
            ComponentEpisode.name,
            func.sum(ComponentEpisode.samples),
            func.min(ComponentEpisode.started_at),
            func.max(ComponentEpisode.last_seen),
        )
        .join(Device, ComponentEpisode.device_id == Device.id)
        .where(
            ComponentEpisode.status == "failed",
            ComponentEpisode.started_at < end,
            ComponentEpisode.last_seen >= start,
        )
        .group_by(Device.name, ComponentEpisode.kind, ComponentEpisode.name)
        .order_by(Device.name, ComponentEpisode.kind, ComponentEpisode.name)
    )
    # min() and max() keep the column's type, so the times come back UTC-aware.
    return [
        FailedComponent(device, kind, name, int(count), first, last)
        for device, kind, name, count, first, last in session.execute(query)
    ]


# --- configurations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigChange:
    version: ConfigVersion
    created: bool  # False: same text as the latest version, only last_seen moved


def latest_config(session: Session, device: DeviceRef) -> ConfigVersion | None:
    row = get_device(session, device)
    return session.scalar(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == row.id)
        .order_by(ConfigVersion.sequence.desc())
        .limit(1)
    )


def baseline_config(session: Session, device: DeviceRef) -> ConfigVersion | None:
    row = get_device(session, device)
    return session.scalar(
        select(ConfigVersion).where(ConfigVersion.device_id == row.id, ConfigVersion.is_baseline)
    )


def config_text(session: Session, text: str, stored_at: dt.datetime | None = None) -> ConfigText:
    """The stored row of ``text`` (content-addressed by SHA-256), created if it is new."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    row = session.get(ConfigText, digest)
    if row is None:
        row = ConfigText(sha256=digest, text=text, stored_at=stored_at or utcnow())
        session.add(row)
        session.flush()
    return row


def add_config_version(
    session: Session, device: DeviceRef, text: str, collected_at: dt.datetime | None = None
) -> ConfigChange:
    """Store a configuration (already normalised and redacted by the collector) unless it is
    the same as the device's latest version, in which case only ``last_seen`` moves. The
    text is stored once however many versions (of any device) carry it."""
    row = get_device(session, device)
    collected_at = collected_at or utcnow()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    latest = latest_config(session, row)
    if latest is not None and latest.sha256 == digest:
        latest.last_seen = max(latest.last_seen, collected_at)
        session.flush()
        return ConfigChange(latest, created=False)
    diff = None
    if latest is not None:
        diff = "\n".join(
            difflib.unified_diff(
                latest.text.splitlines(),
                text.splitlines(),
                fromfile=f"{row.name} v{latest.sequence}",
                tofile=f"{row.name} v{latest.sequence + 1}",
                lineterm="",
            )
        )
    version = ConfigVersion(
        device=row,
        sequence=1 if latest is None else latest.sequence + 1,
        collected_at=collected_at,
        last_seen=collected_at,
        content=config_text(session, text, collected_at),
        diff=diff,
        is_baseline=False,
    )
    session.add(version)
    session.flush()
    return ConfigChange(version, created=True)


def config_version(session: Session, device: DeviceRef, sequence: int) -> ConfigVersion | None:
    row = get_device(session, device)
    return session.scalar(
        select(ConfigVersion).where(
            ConfigVersion.device_id == row.id, ConfigVersion.sequence == sequence
        )
    )


def config_versions(session: Session, device: DeviceRef) -> list[ConfigVersion]:
    """Every version of a device, oldest first."""
    row = get_device(session, device)
    return list(
        session.scalars(
            select(ConfigVersion)
            .where(ConfigVersion.device_id == row.id)
            .order_by(ConfigVersion.sequence)
        )
    )


def approve_baseline(
    session: Session,
    device: DeviceRef,
    approved_by: str,
    sequence: int | None = None,
    note: str | None = None,
    approved_at: dt.datetime | None = None,
) -> ConfigVersion:
    """Make one version (default: the latest) the device's approved baseline; the previous
    baseline keeps its approval details but is no longer the baseline."""
    row = get_device(session, device)
    if sequence is None:
        target = latest_config(session, row)
    else:
        target = config_version(session, row, sequence)
    if target is None:
        which = "any configuration" if sequence is None else f"configuration version {sequence}"
        raise StoreError(f"device {row.name!r} has no stored {which} to approve")
    # Clear the old baseline first: the one-baseline index must never see two at once.
    session.execute(
        update(ConfigVersion)
        .where(ConfigVersion.device_id == row.id, ConfigVersion.is_baseline)
        .values(is_baseline=False)
    )
    target.is_baseline = True
    target.approved_at = approved_at or utcnow()
    target.approved_by = approved_by
    target.approval_note = note
    session.flush()
    return target


# --- signature libraries and licences ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignatureReading:
    library: str  # ips | av | url | app | engine | ...
    version: str
    release_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class LicenceReading:
    feature: str
    expires_on: dt.date | None  # None: perpetual


Sighting = TypeVar("Sighting", SignatureVersion, Licence)


def _latest_sighting(
    session: Session,
    model: type[Sighting],
    device: Device,
    key: InstrumentedAttribute[str],
    key_value: str,
) -> Sighting | None:
    return session.scalar(
        select(model)
        .where(model.device_id == device.id, key == key_value)
        .order_by(model.last_seen.desc(), model.id.desc())
        .limit(1)
    )


def record_signature_versions(
    session: Session,
    device: DeviceRef,
    readings: Iterable[SignatureReading],
    seen_at: dt.datetime | None = None,
) -> list[SignatureVersion]:
    """Note the library versions a device reports now; returns the rows that are new (a
    library seen for the first time, or a version different from the last one seen)."""
    row = get_device(session, device)
    seen_at = seen_at or utcnow()
    created = []
    for reading in readings:
        last = _latest_sighting(
            session, SignatureVersion, row, SignatureVersion.library, reading.library
        )
        if last is not None and last.version == reading.version:
            last.last_seen = max(last.last_seen, seen_at)
            last.release_date = reading.release_date or last.release_date
            continue
        new = SignatureVersion(
            device=row,
            library=reading.library,
            version=reading.version,
            release_date=reading.release_date,
            first_seen=seen_at,
            last_seen=seen_at,
        )
        session.add(new)
        created.append(new)
    session.flush()
    return created


def record_licences(
    session: Session,
    device: DeviceRef,
    readings: Iterable[LicenceReading],
    seen_at: dt.datetime | None = None,
) -> list[Licence]:
    """Note the licences a device reports now; a new feature or a new expiry is a new row."""
    row = get_device(session, device)
    seen_at = seen_at or utcnow()
    created = []
    for reading in readings:
        last = _latest_sighting(session, Licence, row, Licence.feature, reading.feature)
        if last is not None and last.expires_on == reading.expires_on:
            last.last_seen = max(last.last_seen, seen_at)
            continue
        new = Licence(
            device=row,
            feature=reading.feature,
            expires_on=reading.expires_on,
            first_seen=seen_at,
            last_seen=seen_at,
        )
        session.add(new)
        created.append(new)
    session.flush()
    return created


def _latest_per_key(
    model: type[Sighting], key: InstrumentedAttribute[str], device_id: int | None = None
) -> Select[tuple[Sighting]]:
    """The newest row of ``model`` per (device, key), with its device loaded; with
    ``device_id``, the ranking itself reads only that device's rows (O(1) in the fleet)."""
    rank = (
        func.row_number()
        .over(
            partition_by=(model.device_id, key),
            order_by=(model.last_seen.desc(), model.id.desc()),
        )
        .label("rank")
    )
    ranked_rows = select(model.id, rank)
    if device_id is not None:
        ranked_rows = ranked_rows.where(model.device_id == device_id)
    ranked = ranked_rows.subquery()
    return (
        select(model)
        .join(ranked, and_(ranked.c.id == model.id, ranked.c.rank == 1))
        .options(selectinload(model.device))
    )


def latest_signature_versions(
    session: Session, device: DeviceRef | None = None
) -> list[SignatureVersion]:
    """The current version of every library, per device (or of one device)."""
    device_id = None if device is None else get_device(session, device).id
    query = _latest_per_key(SignatureVersion, SignatureVersion.library, device_id)
    query = query.join(Device, SignatureVersion.device_id == Device.id).order_by(
        Device.name, SignatureVersion.library
    )
    return list(session.scalars(query))


def signature_history(
    session: Session, start: dt.datetime, end: dt.datetime, device: DeviceRef | None = None
) -> list[SignatureVersion]:
    """Library versions first seen in ``[start, end)``: the upgrades of that period."""
    query = (
        select(SignatureVersion)
        .where(SignatureVersion.first_seen >= start, SignatureVersion.first_seen < end)
        .options(selectinload(SignatureVersion.device))
        .order_by(SignatureVersion.first_seen, SignatureVersion.id)
    )
    if device is not None:
        query = query.where(SignatureVersion.device_id == get_device(session, device).id)
    return list(session.scalars(query))


def current_licences(
    session: Session, expiring_before: dt.date | None = None, device: DeviceRef | None = None
) -> list[Licence]:
    """The latest licence row per device and feature (or of one device); with
    ``expiring_before``, only those that expire before that date."""
    device_id = None if device is None else get_device(session, device).id
    query = _latest_per_key(Licence, Licence.feature, device_id)
    if expiring_before is not None:
        query = query.where(Licence.expires_on < expiring_before)
    query = query.join(Device, Licence.device_id == Device.id).order_by(
        Device.name, Licence.feature
    )
    return list(session.scalars(query))


def record_upgrade(
    session: Session,
    device: DeviceRef,
    library: str,
    from_version: str,
    to_version: str,
    seen_at: dt.datetime | None = None,
    release_date: dt.date | None = None,
    rollback: bool = False,
) -> UpgradeRecord:
    """Note one version change of a library (or the software) of a device."""
    record = UpgradeRecord(
        device=get_device(session, device),
        library=library,
        from_version=from_version,
        to_version=to_version,
        seen_at=seen_at or utcnow(),
        release_date=release_date,
        rollback=rollback,
    )
    session.add(record)
    session.flush()
    return record


def upgrades_between(
    session: Session, start: dt.datetime, end: dt.datetime, device: DeviceRef | None = None
) -> list[UpgradeRecord]:
    """Upgrade records seen in ``[start, end)``, oldest first."""
    return _between(session, UpgradeRecord, UpgradeRecord.seen_at, start, end, device)


# --- events --------------------------------------------------------------------------------


def add_event(
    session: Session,
    kind: str,
    severity: str,
    message: str,
    device: DeviceRef | None = None,
    details: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
) -> Event:
    event = Event(
        occurred_at=occurred_at or utcnow(),
        device=None if device is None else get_device(session, device),
        kind=kind,
        severity=_require(severity, SEVERITIES, "severity"),
        message=message,
        details=details or {},
        state="open",
    )
    session.add(event)
    session.flush()
    return event


def _get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise StoreError(f"there is no event {event_id}")
    return event


def acknowledge_event(
    session: Session, event_id: int, by: str, at: dt.datetime | None = None
) -> Event:
    event = _get_event(session, event_id)
    if event.state == "open":
        event.state = "acknowledged"
        event.acknowledged_at = at or utcnow()
        event.acknowledged_by = by
        session.flush()
    return event


def close_event(session: Session, event_id: int, at: dt.datetime | None = None) -> Event:
    event = _get_event(session, event_id)
    if event.state != "closed":
        event.state = "closed"
        event.closed_at = at or utcnow()
        session.flush()
    return event


def events_between(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    device: DeviceRef | None = None,
    states: Sequence[str] = EVENT_STATES,
) -> list[Event]:
    """Events that occurred in ``[start, end)`` (the duty report), oldest first."""
    return _between(session, Event, Event.occurred_at, start, end, device, Event.state.in_(states))


def open_events(session: Session) -> list[Event]:
    """Events not closed yet, whenever they occurred."""
    query = (
        select(Event)
        .where(Event.state != "closed")
        .options(selectinload(Event.device))
        .order_by(Event.occurred_at, Event.id)
    )
    return list(session.scalars(query))


def _between(
    session: Session,
    model: Any,
    column: Any,
    start: Any,
    end: Any,
    device: DeviceRef | None,
    *conditions: Any,
) -> list[Any]:
    """Rows of ``model`` whose ``column`` is in ``[start, end)``, oldest first, with their
    device loaded; optionally of one device only."""
    query = (
        select(model)
        .where(column >= start, column < end, *conditions)
        .options(selectinload(model.device))
        .order_by(column, model.id)
    )
    if device is not None:
        query = query.where(model.device_id == get_device(session, device).id)
    return list(session.scalars(query))
