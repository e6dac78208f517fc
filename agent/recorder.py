"""Collector results into the store: the one place that turns a ``HealthSnapshot`` into rows.

Each health collection is a run (ok, partial when something could not be read, failed when
the device did not answer) with one health sample and its component and interface readings.
An identity mismatch (the box says it is something else than the inventory says) becomes an
event once per process and device, not one per poll. The chassis serial number is kept as a
``device-serial`` event the first time a source (SNMP, CLI) gives it; a different serial later
from the same source (this process or after a restart, read back from those events) is a
``device-replaced`` warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.store import repository as repo
from agent.store.engine import Store, StoreError
from agent.store.models import CollectionRun, Device, Event
from agent.writer import AfterCommit
from collectors.base import HealthSnapshot

log = logging.getLogger(__name__)


def health_reading(snapshot: HealthSnapshot) -> repo.HealthReading:
    components = [
        repo.ComponentState("temperature", sensor.name, "ok", sensor.celsius)
        for sensor in snapshot.temperatures
    ]
    components += [repo.ComponentState("fan", fan.name, fan.state) for fan in snapshot.fans]
    components += [
        repo.ComponentState("psu", psu.name, psu.state) for psu in snapshot.power_supplies
    ]
    interfaces = [
        repo.InterfaceState(
            if_index=port.index,
            name=port.name,
            admin_up=port.admin_up,
            oper_up=port.oper_up,
            speed_bps=port.speed_bps,
            in_octets=port.in_octets,
            out_octets=port.out_octets,
            in_errors=port.in_errors,
            out_errors=port.out_errors,
            in_discards=port.in_discards,
            out_discards=port.out_discards,
            alias=port.alias or None,
        )
        for port in snapshot.interfaces
    ]

    def milliseconds(seconds: float | None) -> float | None:
        return None if seconds is None else seconds * 1000

    return repo.HealthReading(
        reachable=snapshot.reachable,
        rtt_snmp_ms=milliseconds(snapshot.snmp_rtt_seconds),
        rtt_ssh_ms=milliseconds(snapshot.ssh_rtt_seconds),
        uptime_s=None if snapshot.uptime_seconds is None else int(snapshot.uptime_seconds),
        cpu_ratio=snapshot.cpu_ratio,
        memory_ratio=snapshot.memory_ratio,
        disk_ratio=snapshot.disk_ratio,
        sessions=snapshot.sessions,
        new_sessions_per_s=snapshot.new_sessions_per_second,
        ha_role=snapshot.ha_role,
        components=components,
        interfaces=interfaces,
    )


def run_status(snapshot: HealthSnapshot) -> tuple[str, str | None]:
    """(status, error text) of the run that produced ``snapshot``."""
    problems = "; ".join(f"{what}: {why}" for what, why in sorted(snapshot.failures().items()))
    if not snapshot.reachable:
        return "failed", problems or "no answer"
    return ("partial", problems) if problems else ("ok", None)


INTERFACE_FIELDS = tuple(field.name for field in fields(repo.InterfaceState))


@dataclass(frozen=True)
class HealthWrite:
    """Everything one health run puts into the store, decided when the poll lands, so that
    the write itself can wait: in the daemon's queue, or in a spool file while the store is
    down (``to_json``/``from_json``)."""

    device: str
    started_at: datetime
    sampled_at: datetime
    status: str
    error: str | None
    reading: repo.HealthReading
    # An identity-mismatch event to add with this sample: (message, details), or None.
    mismatch: tuple[str, dict[str, Any]] | None = None
    # The chassis serial, set when this process sees it first or sees it change: the write
    # compares it with the store's and records "device-serial" or "device-replaced".
    serial: str | None = None
    # Which source gave it ("snmp" / "cli"; None from a writer older than this field).
    serial_source: str | None = None

    def to_json(self) -> dict[str, Any]:
        reading = asdict(self.reading)
        # Interfaces as rows under one list of field names: a 48-port sample's JSON is less
        # than half as large as with the names repeated in every row.
        reading["interfaces"] = {
            "fields": list(INTERFACE_FIELDS),
            "rows": [[port[name] for name in INTERFACE_FIELDS] for port in reading["interfaces"]],
        }
        return {
            "device": self.device,
            "started_at": self.started_at.isoformat(),
            "sampled_at": self.sampled_at.isoformat(),
            "status": self.status,
            "error": self.error,
            "reading": reading,
            "mismatch": None if self.mismatch is None else list(self.mismatch),
            "serial": self.serial,
            "serial_source": self.serial_source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HealthWrite:
        reading = dict(data["reading"])
        reading["components"] = [repo.ComponentState(**c) for c in reading["components"]]
        table = reading["interfaces"]
        reading["interfaces"] = [
            repo.InterfaceState(**dict(zip(table["fields"], row, strict=True)))
            for row in table["rows"]
        ]
        mismatch = data.get("mismatch")
        return cls(
            device=data["device"],
            started_at=datetime.fromisoformat(data["started_at"]),
            sampled_at=datetime.fromisoformat(data["sampled_at"]),
            status=data["status"],
            error=data["error"],
            reading=repo.HealthReading(**reading),
            mismatch=None if mismatch is None else (mismatch[0], mismatch[1]),
            serial=data.get("serial"),
            serial_source=data.get("serial_source"),
        )


def write_health(session: Session, item: HealthWrite) -> None:
    """Put one health run into ``session``; the caller's transaction commits it."""
    write_health_batch(session, [item])


@dataclass(frozen=True, slots=True)
class _StoredRun:
    """A run row inserted with Core: what ``repo.add_health_samples`` needs of it."""

    id: int
    device_id: int
    started_at: datetime


def write_health_batch(session: Session, items: Sequence[HealthWrite]) -> None:
    """Put many health runs into ``session`` with Core executemany: one query for the
    devices' ids, one insert of the finished runs, one of the raw samples and one upsert per
    roll-up table (``repo.add_health_samples``), whatever the number of items. The rare
    identity and serial events go through the ORM, item by item. The caller's transaction
    commits it all; a device the store does not know, or a status that is not a finished
    one, fails the whole batch (the write-behind queue then writes its items one by one)."""
    if not items:
        return
    names = sorted({item.device for item in items})
    ids = {
        name: device_id
        for name, device_id in session.execute(
            select(Device.name, Device.id).where(Device.name.in_(names))
        )
    }
    for item in items:
        if item.device not in ids:
            raise StoreError(
                f"device {item.device!r} is not in the store; the inventory was not synced"
            )
        if item.status not in repo.FINISHED_STATUSES:
            raise ValueError(
                f"run status {item.status!r} is not one of {', '.join(repo.FINISHED_STATUSES)}"
            )
    # One finishing time for the batch: the moment it is written, as ``finish_run`` does.
    finished_at = repo.utcnow()
    runs = CollectionRun.__table__
    rows = [
        {
            "device_id": ids[item.device],
            "kind": "health",
            "started_at": item.started_at,
            "finished_at": finished_at,
            "status": item.status,
            "error": item.error,
            "duration_s": (finished_at - item.started_at).total_seconds(),
        }
        for item in items
    ]
    session.flush()  # anything the ORM holds goes first, so the batch sees a settled session
    run_ids = session.scalars(
        runs.insert().returning(runs.c.id, sort_by_parameter_order=True), rows
    ).all()
    repo.add_health_samples(
        session,
        [
            repo.HealthItem(
                _StoredRun(run_id, row["device_id"], item.started_at), item.reading, item.sampled_at
            )
            for run_id, row, item in zip(run_ids, rows, items, strict=True)
        ],
    )
    for item in items:
        if item.mismatch is not None:
            message, details = item.mismatch
            repo.add_event(
                session,
                "identity-mismatch",
                "warning",
                message,
                device=item.device,
                details=details,
            )
        if item.serial:
            _check_serial(session, item.device, item.serial, item.serial_source)


def _check_serial(session: Session, device: str, serial: str, source: str | None) -> None:
    """Record a serial seen for the first time, or a replaced box.

    A serial is compared only with the last one the same source gave: SNMP's chassis
    entPhysicalSerialNum and Comware's `display device manuinfo` are not known to print the
    same string for one box (docs/sources/snmp-h3c-huawei.md [comware-serial-sources]), so
    SNMP going silent and the CLI standing in (or back) is not a replacement. The first serial
    of a new source is recorded as a plain ``device-serial`` event naming its source: that is
    the baseline its later serials are compared with. A serial without a source (an event
    stored, or a sample spooled, before sources were kept) is never part of a replacement; see
    _comparable."""
    history = _stored_serials(session, device)
    details: dict[str, Any] = {"serial": serial}
    if source:
        details["source"] = source
    same = next((known for known in history if _comparable(known, source)), None)
    if same is not None and same["serial"] == serial:
        return
    if same is not None:
        repo.add_event(
            session,
            "device-replaced",
            "warning",
            f"{device}: serial number changed from {same['serial']} to {serial}: "
            "the box was replaced",
            device=device,
            details={**details, "previous_serial": same["serial"]},
        )
        return
    if not source and any(known["serial"] == serial for known in history):
        # An unsourced sample (spooled before the upgrade) of a serial already known: it can be
        # no one's baseline, so a second event would only be noise.
        return
    where = f" (from {source})" if source else ""
    repo.add_event(
        session,
        "device-serial",
        "info",
        f"{device}: serial number {serial}{where}",
        device=device,
        details=details,
    )


def _comparable(known: dict[str, Any], source: str | None) -> bool:
    """Whether a stored serial may be the basis of a replacement of the new one: only when both
    name the same source. A serial without a source may have come from SNMP or from the CLI
    (both gave serials before sources were kept), which is the very comparison that cannot be
    trusted: so a legacy serial is never the basis of a replacement, and after an upgrade the
    first sourced serial is a plain baseline; a new serial without a source (a sample spooled
    before the upgrade, replayed from the write queue) is never called a replacement either."""
    return bool(source) and known.get("source") == source


def _stored_serials(session: Session, device: str) -> list[dict[str, Any]]:
    """The serial events' details the store knows for ``device``, newest first."""
    row = repo.get_device(session, device)
    rows = session.scalars(
        select(Event.details)
        .where(Event.device_id == row.id, Event.kind.in_(("device-serial", "device-replaced")))
        .order_by(Event.occurred_at.desc(), Event.id.desc())
    )
    return [dict(details) for details in rows if details and details.get("serial")]


class Recorder:
    """Turns health snapshots into ``HealthWrite`` items (``prepare``) and writes them, either
    at once in a transaction of their own (``save_health``, for the CLI) or into a session
    the caller holds (``write_health``, for the daemon's batched writer)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._reported_mismatch: dict[str, str] = {}
        self._serials: dict[str, tuple[str, str | None]] = {}

    def prepare(self, snapshot: HealthSnapshot, started_at: datetime) -> HealthWrite:
        status, error = run_status(snapshot)
        event: tuple[str, dict[str, Any]] | None = None
        mismatch = snapshot.identity.mismatch
        if mismatch and self._reported_mismatch.get(snapshot.device) != mismatch:
            event = (
                f"{snapshot.device}: {mismatch}",
                {
                    "sys_object_id": snapshot.identity.sys_object_id,
                    "sys_descr": snapshot.identity.sys_descr,
                    "detected_model": snapshot.identity.detected_model,
                },
            )
            self._reported_mismatch[snapshot.device] = mismatch
        serial = snapshot.identity.serial_number
        source = snapshot.identity.serial_source
        if serial and self._serials.get(snapshot.device) != (serial, source):
            self._serials[snapshot.device] = (serial, source)
        else:
            serial = None
        return HealthWrite(
            device=snapshot.device,
            started_at=started_at,
            sampled_at=snapshot.collected_at,
            status=status,
            error=error,
            reading=health_reading(snapshot),
            mismatch=event,
            serial=serial,
            serial_source=source if serial else None,
        )

    def save_health(self, snapshot: HealthSnapshot, started_at: datetime) -> None:
        item = self.prepare(snapshot, started_at)
        try:
            with self.store.session() as session:
                write_health(session, item)
        except BaseException:
            # Not stored: report the mismatch again with the next sample that is.
            if item.mismatch is not None:
                self._reported_mismatch.pop(snapshot.device, None)
            if item.serial is not None:
                self._serials.pop(snapshot.device, None)
            raise


class HealthCodec:
    """``HealthWrite`` items for the daemon's write-behind queue (``agent.writer``)."""

    def write_batch(self, session: Session, items: Sequence[HealthWrite]) -> list[AfterCommit]:
        write_health_batch(session, items)
        return []

    def encode(self, item: HealthWrite) -> dict[str, Any]:
        return item.to_json()

    def decode(self, data: dict[str, Any]) -> HealthWrite:
        return HealthWrite.from_json(data)

    def describe(self, item: HealthWrite) -> str:
        return f"health sample of {item.device} at {item.sampled_at.isoformat()}"
