"""Engineers' records: what was done by hand, entered with ``netmon record``.

One model (``MaintenanceRecord``, table ``maintenance_records``) for six kinds:

- ``maintenance``: routine maintenance or an inspection (日常维护/巡检);
- ``repair``: a repair, printed as the repair sheet (《安全设备维修单》); closing one needs
  what was done (``action``);
- ``tuning``: a policy tuning (策略调优);
- ``upgrade``: a signature or software upgrade done on the box by hand;
- ``incident``: an emergency response (应急响应), timed by when it was reported
  (``reported_at``), when an engineer responded (``started_at``: the contract's 10-minute
  response), arrived on site (``arrived_at``: 2 h city / 4 h suburban) and resolved it
  (``resolved_at``, also its ``ended_at``); closing one needs what was done;
- ``duty``: a duty note (值班记录), which needs no device; an incident may name one or
  concern the network as a whole.

A record is open until it has an end (``ended_at``; for an incident, ``resolved_at``). Every
rule is checked here, before the database sees the row, and a broken rule raises
``RecordError`` naming the field (as the command line spells it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from agent.errors import NetmonError
from agent.store.models import RECORD_KINDS, Device, MaintenanceRecord

DEVICE_KINDS = ("maintenance", "repair", "tuning", "upgrade")  # a device is required
ACTION_TO_CLOSE = ("repair", "incident")  # what was done is required to close
# A clock a little ahead of the database's is not "the future"; an hour ahead is a typo.
FUTURE_SLACK = dt.timedelta(minutes=5)
LABEL_MAX = 64
# An engineer label is a team or a call sign: an e-mail address or a phone number is
# personal data and has no place in a record that is printed and handed over.
_PERSONAL = re.compile(r"@|\d{7,}")


class RecordError(NetmonError):
    """A record that breaks a rule; the message names the field."""


@dataclass(frozen=True)
class NewRecord:
    """A record as entered; times are timezone-aware (naive ones are refused)."""

    kind: str
    summary: str
    engineer: str
    device: str | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    reported_at: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    responded_at: dt.datetime | None = None  # an incident's start: when an engineer responded
    action: str | None = None
    outcome: str | None = None


def check_label(label: str, field: str = "--by") -> str:
    label = label.strip()
    if not label:
        raise RecordError(f"{field}: an engineer label (team or call sign) is required")
    if len(label) > LABEL_MAX:
        raise RecordError(f"{field}: {label[:20]!r}... is longer than {LABEL_MAX} characters")
    if _PERSONAL.search(label):
        raise RecordError(
            f"{field}: {label!r} looks like an e-mail address or phone number; give a team "
            "or call sign (personal data does not belong in the records)"
        )
    return label


def _text(value: str | None, field: str, *, required: bool = False) -> str | None:
    value = None if value is None else value.strip()
    if not value:
        if required:
            raise RecordError(f"{field}: must not be empty")
        return None
    return value


def _aware(value: dt.datetime | None, field: str, now: dt.datetime) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise RecordError(f"{field}: {value.isoformat()} has no time zone")
    if value > now + FUTURE_SLACK:
        raise RecordError(f"{field}: {value.isoformat()} is in the future")
    return value.astimezone(dt.UTC)


def _in_order(*pairs: tuple[str, dt.datetime | None]) -> None:
    """Each given time is not before the previous given one."""
    given = [(field, value) for field, value in pairs if value is not None]
    for (before, earlier), (after, later) in pairwise(given):
        if later < earlier:
            raise RecordError(
                f"{after}: {later.isoformat()} is before {before} {earlier.isoformat()}"
            )


def find_device(session: Session, name: str) -> Device | None:
    return session.scalar(select(Device).where(Device.name == name))


def add_record(
    session: Session,
    new: NewRecord,
    *,
    recorded_by: str,
    now: dt.datetime | None = None,
) -> MaintenanceRecord:
    """Validate ``new`` and store it (flushed, not committed). The device must be in the
    store (the command syncs the inventory first when it is not)."""
    now = now or dt.datetime.now(dt.UTC)
    if new.kind not in RECORD_KINDS:
        raise RecordError(f"kind: {new.kind!r} is not one of {', '.join(RECORD_KINDS)}")
    summary = _text(new.summary, "--summary", required=True)
    action = _text(new.action, "--action")
    outcome = _text(new.outcome, "--outcome")
    engineer = check_label(new.engineer)
    times = {
        "--from": _aware(new.started_at, "--from", now),
        "--to": _aware(new.ended_at, "--to", now),
        "--reported": _aware(new.reported_at, "--reported", now),
        "--arrived": _aware(new.arrived_at, "--arrived", now),
        "--resolved": _aware(new.resolved_at, "--resolved", now),
        "--responded": _aware(new.responded_at, "--responded", now),
    }

    device: Device | None = None
    if new.device is not None:
        device = find_device(session, new.device)
        if device is None:
            raise RecordError(f"--device: {new.device!r} is neither in the store nor the inventory")
    elif new.kind in DEVICE_KINDS:
        raise RecordError(f"--device: a {new.kind} record needs the device it was done on")

    if new.kind == "incident":
        for field in ("--from", "--to"):
            if times[field] is not None:
                raise RecordError(
                    f"{field}: an incident is timed by --reported, --responded, --arrived "
                    "and --resolved"
                )
        for field, why in (
            ("--reported", "it was reported"),
            ("--responded", "an engineer responded"),
        ):
            if times[field] is None:
                raise RecordError(f"{field}: an incident needs the time {why}")
        _in_order(("--reported", times["--reported"]), ("--responded", times["--responded"]))
        _in_order(
            ("--responded", times["--responded"]),
            ("--arrived", times["--arrived"]),
            ("--resolved", times["--resolved"]),
        )
        started, ended = times["--responded"], times["--resolved"]
    else:
        for field in ("--reported", "--responded", "--arrived", "--resolved"):
            if times[field] is not None:
                raise RecordError(f"{field}: only an incident has {field[2:]} time")
        started, ended = times["--from"] or now, times["--to"]
        _in_order(("--from", started), ("--to", ended))
    if ended is not None and new.kind in ACTION_TO_CLOSE and action is None:
        raise RecordError(f"--action: a finished {new.kind} needs what was done")

    assert summary is not None and started is not None
    record = MaintenanceRecord(
        device=device,
        kind=new.kind,
        state="open" if ended is None else "closed",
        summary=summary,
        action=action,
        outcome=outcome,
        engineer=engineer,
        started_at=started,
        ended_at=ended,
        reported_at=times["--reported"],
        arrived_at=times["--arrived"],
        resolved_at=times["--resolved"],
        recorded_at=now,
        recorded_by=recorded_by,
    )
    session.add(record)
    session.flush()
    return record


def get_record(session: Session, record_id: int) -> MaintenanceRecord:
    record = session.get(MaintenanceRecord, record_id)
    if record is None:
        raise RecordError(f"ID: there is no record {record_id}")
    return record


def close_record(
    session: Session,
    record_id: int,
    *,
    at: dt.datetime | None = None,
    action: str | None = None,
    outcome: str | None = None,
    arrived_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> MaintenanceRecord:
    """End an open record at ``at`` (default now); an incident is resolved then."""
    now = now or dt.datetime.now(dt.UTC)
    record = get_record(session, record_id)
    if record.state == "closed":
        raise RecordError(f"ID: record {record_id} is already closed")
    ended = _aware(at, "--at", now) or now
    arrived = _aware(arrived_at, "--arrived", now)
    if arrived is not None and record.kind != "incident":
        raise RecordError("--arrived: only an incident has an arrival time")
    if record.kind == "incident":
        arrived = arrived or record.arrived_at
        _in_order(("responded", record.started_at), ("--arrived", arrived), ("--at", ended))
        record.arrived_at = arrived
        record.resolved_at = ended
    else:
        _in_order(("started", record.started_at), ("--at", ended))
    action = _text(action, "--action") or record.action
    if record.kind in ACTION_TO_CLOSE and action is None:
        raise RecordError(f"--action: closing a {record.kind} needs what was done")
    record.action = action
    record.outcome = _text(outcome, "--outcome") or record.outcome
    record.ended_at = ended
    record.state = "closed"
    session.flush()
    return record


def records_between(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    *,
    kind: str | None = None,
    device: str | None = None,
    open_only: bool = False,
) -> list[MaintenanceRecord]:
    """Records whose time overlaps ``[start, end)``: begun (an incident: reported) before
    ``end`` and not ended before ``start`` (open ones run on), oldest first."""
    begun = func.coalesce(MaintenanceRecord.reported_at, MaintenanceRecord.started_at)
    query = (
        select(MaintenanceRecord)
        .where(
            begun < end,
            or_(MaintenanceRecord.ended_at.is_(None), MaintenanceRecord.ended_at >= start),
        )
        .options(selectinload(MaintenanceRecord.device))
        .order_by(MaintenanceRecord.started_at, MaintenanceRecord.id)
    )
    if kind is not None:
        if kind not in RECORD_KINDS:
            raise RecordError(f"--kind: {kind!r} is not one of {', '.join(RECORD_KINDS)}")
        query = query.where(MaintenanceRecord.kind == kind)
    if device is not None:
        row = find_device(session, device)
        if row is None:
            raise RecordError(f"--device: {device!r} is not in the store")
        query = query.where(MaintenanceRecord.device_id == row.id)
    if open_only:
        query = query.where(MaintenanceRecord.state == "open")
    return list(session.scalars(query))


EXPORT_FIELDS = (
    "id",
    "kind",
    "state",
    "device",
    "engineer",
    "summary",
    "action",
    "outcome",
    "started_at",
    "ended_at",
    "reported_at",
    "arrived_at",
    "resolved_at",
    "recorded_at",
    "recorded_by",
)


def export_row(record: MaintenanceRecord) -> dict[str, Any]:
    """One record as plain values (times in ISO 8601 UTC), for CSV and JSON."""
    row: dict[str, Any] = {}
    for field in EXPORT_FIELDS:
        value = record.device.name if field == "device" and record.device else None
        if field != "device":
            value = getattr(record, field)
        row[field] = value.isoformat() if isinstance(value, dt.datetime) else value
    return row
