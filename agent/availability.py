"""The one definition of a device's outage and availability, for every document and the alerts.

- **Silence**: a spell of unanswered health polls, from the first missed answer to the first
  answer after it (the store's ``outages`` rows, written by ``agent.store.rollup``); still
  open while no answer has come.
- **Outage**: a silence longer than ``DEVICE_DOWN_AFTER`` (30 s), the ``for:`` of the shipped
  ``NetmonDeviceDown`` rule (tests/availability check the rule file against this constant).
  A silence is measured to within the daemon's health retry (``[scheduler] health_retry``,
  10 s): a device whose poll failed is re-polled that often until it answers, so one missed
  poll is a silence of one retry (about 10 s), never an outage and never a page, while a box
  that stays silent is confirmed down 30 s after its first missed answer. Strictly longer:
  the rule fires only when two evaluations ``for`` apart both saw the device down.
- **Excluded time**: a maintenance window of the device (``netmon maintenance``) and netmon's
  own downtime (``monitoring_gaps``: the daemon was not running, or the device's polls were
  skipped or late because netmon was overloaded). Excluded time is cut out of a silence before
  it is judged, as the rule's ``unless ... netmon_device_maintenance`` restarts its ``for:``
  timer: each remaining piece longer than ``DEVICE_DOWN_AFTER`` is one outage.
- **Open items** run to ``until``: the document's generation time, or the period's end if that
  is earlier.
- **Availability** = 1 - outage time / monitored time, where monitored time is the part of the
  period (up to ``until``) in which the device was in the inventory, minus its excluded time.
  A device with no monitored time has no availability (None), not 0 %.

The store is asked only for spells that can matter (overlapping the period and, in SQL, longer
than the threshold or still open), windows and gaps: a handful of rows per device, never raw
polls; the interval arithmetic on those rows is done here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from agent.store.models import Device, MaintenanceWindow, MonitoringGap
from agent.store.models import Outage as SilenceRow

log = logging.getLogger(__name__)

# The ``for:`` of NetmonDeviceDown in deploy/prometheus/rules/netmon.rules.yml.
# 30 s, not the 1 minute of a rule without retries: the retries make a single missed poll a
# 10 s silence, so the threshold no longer has to span two 30 s polls (README, "Alerts").
DEVICE_DOWN_AFTER = dt.timedelta(seconds=30)
DEVICE_DOWN_RULE = "NetmonDeviceDown"

Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True, slots=True)
class CountedOutage:
    """One outage as the documents count it (``start``/``end`` already outside maintenance
    and netmon's downtime). ``end`` None: still down at ``until``."""

    device: str
    start: dt.datetime
    end: dt.datetime | None
    failed_samples: int
    duration: dt.timedelta


@dataclass(frozen=True, slots=True)
class WindowRow:
    id: int
    device: str
    starts_at: dt.datetime
    ends_at: dt.datetime  # the effective end (an early end replaces the planned one)
    planned_end: dt.datetime
    reason: str
    created_by: str


@dataclass(frozen=True, slots=True)
class GapRow:
    device: str | None  # None: the whole fleet (the daemon was not running)
    start: dt.datetime
    end: dt.datetime
    reason: str  # not_running | overload


@dataclass(frozen=True, slots=True)
class DeviceAvailability:
    device: str
    monitored: dt.timedelta
    down: dt.timedelta
    maintenance: dt.timedelta
    netmon_down: dt.timedelta

    @property
    def availability(self) -> float | None:
        if self.monitored <= dt.timedelta(0):
            return None
        return max(0.0, 1.0 - self.down / self.monitored)


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the documents say about availability for one period."""

    until: dt.datetime
    outages: list[CountedOutage] = field(default_factory=list)
    devices: dict[str, DeviceAvailability] = field(default_factory=dict)
    windows: list[WindowRow] = field(default_factory=list)
    gaps: list[GapRow] = field(default_factory=list)

    def fleet_availability(self, names: Iterable[str] | None = None) -> float | None:
        chosen = (
            self.devices.values()
            if names is None
            else [self.devices[n] for n in names if n in self.devices]
        )
        monitored = sum((d.monitored for d in chosen), dt.timedelta(0))
        down = sum((d.down for d in chosen), dt.timedelta(0))
        return 1.0 - down / monitored if monitored > dt.timedelta(0) else None


# --- interval arithmetic -------------------------------------------------------------------


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping union of ``spans`` (empty ones dropped)."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(span: Span, holes: Sequence[Span]) -> list[Span]:
    """The parts of ``span`` outside ``holes`` (merged, sorted)."""
    pieces: list[Span] = []
    start, end = span
    for hole_start, hole_end in holes:
        if hole_end <= start or hole_start >= end:
            continue
        if hole_start > start:
            pieces.append((start, hole_start))
        start = max(start, hole_end)
    if end > start:
        pieces.append((start, end))
    return pieces


def overlap(span: Span, spans: Sequence[Span]) -> dt.timedelta:
    total = dt.timedelta(0)
    for start, end in spans:
        low, high = max(span[0], start), min(span[1], end)
        if high > low:
            total += high - low
    return total


def is_outage(silence: dt.timedelta) -> bool:
    return silence > DEVICE_DOWN_AFTER


# --- queries -------------------------------------------------------------------------------


def _longer_than(
    session: Session, start: object, end: object, limit: dt.timedelta
) -> ColumnElement[bool]:
    """SQL: ``end - start > limit`` on either backend (SQLite keeps datetimes as text)."""
    if session.get_bind().dialect.name == "sqlite":
        seconds = (func.julianday(end) - func.julianday(start)) * 86400.0
        # julianday keeps milliseconds: allow for its rounding, the exact test is in Python.
        return seconds > limit.total_seconds() - 0.01
    return (end - start) > limit  # type: ignore[operator]


def maintenance_windows(session: Session, start: dt.datetime, end: dt.datetime) -> list[WindowRow]:
    """Windows whose effective time overlaps ``[start, end)``, oldest first."""
    effective = func.coalesce(MaintenanceWindow.ended_early_at, MaintenanceWindow.ends_at)
    query = (
        select(MaintenanceWindow, Device.name)
        .join(Device, MaintenanceWindow.device_id == Device.id)
        .where(MaintenanceWindow.starts_at < end, effective > start)
        .order_by(MaintenanceWindow.starts_at, Device.name, MaintenanceWindow.id)
    )
    return [_window_row(window, name) for window, name in session.execute(query)]


def _window_row(window: MaintenanceWindow, name: str) -> WindowRow:
    effective = window.ends_at
    if window.ended_early_at is not None and window.ended_early_at < effective:
        effective = max(window.ended_early_at, window.starts_at)
    return WindowRow(
        window.id,
        name,
        window.starts_at,
        effective,
        window.ends_at,
        window.reason,
        window.created_by,
    )


def monitoring_gaps(session: Session, start: dt.datetime, end: dt.datetime) -> list[GapRow]:
    query = (
        select(Device.name, MonitoringGap.started_at, MonitoringGap.ended_at, MonitoringGap.reason)
        .outerjoin(Device, MonitoringGap.device_id == Device.id)
        .where(MonitoringGap.started_at < end, MonitoringGap.ended_at > start)
        .order_by(MonitoringGap.started_at, MonitoringGap.id)
    )
    return [
        GapRow(name, started, ended, reason)
        for name, started, ended, reason in session.execute(query)
    ]


def assess(session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Assessment:
    """Outages, availability per device, maintenance windows and netmon's downtime in
    ``[start, end)`` as of ``now`` (open items run to ``min(now, end)``)."""
    until = max(start, min(end, now))
    windows = maintenance_windows(session, start, until)
    gaps = monitoring_gaps(session, start, until)
    fleet_gaps = [(g.start, g.end) for g in gaps if g.device is None]
    maintenance_of: dict[str, list[Span]] = defaultdict(list)
    for window in windows:
        maintenance_of[window.device].append((window.starts_at, window.ends_at))
    netmon_of: dict[str, list[Span]] = defaultdict(list)
    for gap in gaps:
        if gap.device is not None:
            netmon_of[gap.device].append((gap.start, gap.end))

    def excluded(device: str) -> list[Span]:
        return merge([*maintenance_of[device], *netmon_of[device], *fleet_gaps])

    outages = _outages(session, start, until, excluded)
    down: dict[str, dt.timedelta] = defaultdict(dt.timedelta)
    for outage in outages:
        down[outage.device] += outage.duration
    devices: dict[str, DeviceAvailability] = {}
    life = select(Device.name, Device.first_seen, Device.retired_at).where(
        Device.first_seen < until, or_(Device.retired_at.is_(None), Device.retired_at > start)
    )
    for name, first_seen, retired_at in session.execute(life):
        span = (max(start, first_seen), min(until, retired_at or until))
        if span[1] <= span[0]:
            continue
        holes = excluded(name)
        maintenance = overlap(span, merge(maintenance_of[name]))
        netmon = overlap(span, merge([*netmon_of[name], *fleet_gaps]))
        monitored = (span[1] - span[0]) - overlap(span, holes)
        devices[name] = DeviceAvailability(name, monitored, down[name], maintenance, netmon)
    return Assessment(until, outages, devices, windows, gaps)


def _outages(
    session: Session, start: dt.datetime, until: dt.datetime, excluded: Callable[[str], list[Span]]
) -> list[CountedOutage]:
    query = (
        select(Device.name, SilenceRow.started_at, SilenceRow.ended_at, SilenceRow.failed_samples)
        .join(Device, SilenceRow.device_id == Device.id)
        .where(
            SilenceRow.started_at < until,
            or_(SilenceRow.ended_at.is_(None), SilenceRow.ended_at > start),
            or_(
                SilenceRow.ended_at.is_(None),
                _longer_than(
                    session, SilenceRow.started_at, SilenceRow.ended_at, DEVICE_DOWN_AFTER
                ),
            ),
        )
        .order_by(SilenceRow.started_at, Device.name)
    )
    outages: list[CountedOutage] = []
    for name, started, ended_at, failed in session.execute(query):
        silence_end = ended_at if ended_at is not None and ended_at <= until else until
        for piece_start, piece_end in subtract((started, silence_end), excluded(name)):
            if not is_outage(piece_end - piece_start):
                continue
            shown_start, shown_end = max(piece_start, start), min(piece_end, until)
            if shown_end <= shown_start:
                continue
            still_open = piece_end == silence_end and (ended_at is None or ended_at > until)
            outages.append(
                CountedOutage(
                    name,
                    shown_start,
                    None if still_open else shown_end,
                    int(failed),
                    shown_end - shown_start,
                )
            )
    outages.sort(key=lambda outage: (outage.start, outage.device))
    return outages


# --- maintenance windows and netmon's downtime in the store ---------------------------------


class WindowError(ValueError):
    """A maintenance window that cannot be stored as asked (the message names what)."""


def add_window(
    session: Session,
    devices: Sequence[str],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    created_by: str,
    now: dt.datetime,
) -> list[MaintenanceWindow]:
    """One window per device, all with the same times; every name must be a current device."""
    if not devices:
        raise WindowError("no device given (name devices or a site)")
    if ends_at <= starts_at:
        raise WindowError(
            f"the window ends ({ends_at.isoformat()}) before it starts ({starts_at.isoformat()})"
        )
    if ends_at <= now:
        raise WindowError(f"the window ends in the past ({ends_at.isoformat()})")
    if not reason.strip():
        raise WindowError("a reason is required (what is being done)")
    known = {
        device.name: device
        for device in session.scalars(
            select(Device).where(Device.name.in_(devices), Device.retired_at.is_(None))
        )
    }
    unknown = [name for name in devices if name not in known]
    if unknown:
        raise WindowError(f"unknown or retired device(s): {', '.join(unknown)}")
    windows = [
        MaintenanceWindow(
            device=known[name],
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip(),
            created_by=created_by,
            created_at=now,
        )
        for name in dict.fromkeys(devices)
    ]
    session.add_all(windows)
    session.flush()
    log.info(
        "maintenance window added",
        extra={
            "devices": list(dict.fromkeys(devices)),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "by": created_by,
        },
    )
    return windows


def end_window(session: Session, window_id: int, now: dt.datetime) -> WindowRow:
    """End a window now (or cancel it if it has not started)."""
    found = session.execute(
        select(MaintenanceWindow, Device.name)
        .join(Device, MaintenanceWindow.device_id == Device.id)
        .where(MaintenanceWindow.id == window_id)
    ).first()
    if found is None:
        raise WindowError(f"no maintenance window with id {window_id}")
    window, name = found
    current = _window_row(window, name)
    if current.ends_at <= now:
        raise WindowError(
            f"window {window_id} ({name}) already ended {current.ends_at.isoformat()}"
        )
    window.ended_early_at = max(now, window.starts_at)
    session.flush()
    log.info("maintenance window ended", extra={"window": window_id, "device": name})
    return _window_row(window, name)


def windows_to_list(session: Session, now: dt.datetime, everything: bool) -> list[WindowRow]:
    """Active and planned windows (all of them with ``everything``), oldest first."""
    start = dt.datetime.min.replace(tzinfo=dt.UTC) if everything else now
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return maintenance_windows(session, start, far)


def devices_in_maintenance(session: Session, now: dt.datetime) -> frozenset[str]:
    """Names of the devices inside an active window at ``now``."""
    return frozenset(
        window.device
        for window in maintenance_windows(session, now, now + dt.timedelta(microseconds=1))
        if window.starts_at <= now < window.ends_at
    )


def record_device_gaps(session: Session, spans: dict[str, list[Span]], reason: str) -> None:
    """``record_gap`` for many devices' spans at once, in a fixed number of statements
    whatever their count (an overloaded daemon at 5,000 devices loses thousands of polls a
    pass): a span that touches or overlaps one stored for its device extends it."""
    wanted = [(d, s, e) for d, device_spans in spans.items() for s, e in device_spans if e > s]
    if not wanted:
        return
    ids: dict[str, int] = {
        name: id_ for name, id_ in session.execute(select(Device.name, Device.id))
    }
    earliest = min(start for _, start, _ in wanted)
    latest = max(end for _, _, end in wanted)
    gaps = MonitoringGap.__table__
    stored: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(
        select(gaps.c.id, gaps.c.device_id, gaps.c.started_at, gaps.c.ended_at).where(
            gaps.c.device_id.is_not(None),
            gaps.c.reason == reason,
            gaps.c.ended_at >= earliest,
            gaps.c.started_at <= latest,
        )
    ).mappings():
        stored[row["device_id"]].append(dict(row))
    changed: dict[int, dict[str, Any]] = {}
    added: list[dict[str, Any]] = []
    for device, start, end in wanted:
        device_id = ids.get(device)
        if device_id is None:
            continue  # removed from the inventory meanwhile: nothing to account for
        near = [g for g in stored[device_id] if g["ended_at"] >= start and g["started_at"] <= end]
        if near:
            gap = max(near, key=lambda g: g["ended_at"])
            gap["started_at"] = min(gap["started_at"], start)
            gap["ended_at"] = max(gap["ended_at"], end)
            if gap["id"] is not None:
                changed[gap["id"]] = gap
        else:
            gap = {"id": None, "device_id": device_id, "started_at": start, "ended_at": end}
            stored[device_id].append(gap)
            added.append(gap)
    if changed:
        session.execute(
            update(gaps)
            .where(gaps.c.id == bindparam("gap_id"))
            .values(started_at=bindparam("start"), ended_at=bindparam("end")),
            [
                {"gap_id": gap_id, "start": gap["started_at"], "end": gap["ended_at"]}
                for gap_id, gap in changed.items()
            ],
        )
    if added:
        session.execute(
            gaps.insert(),
            [
                {
                    "device_id": g["device_id"],
                    "started_at": g["started_at"],
                    "ended_at": g["ended_at"],
                    "reason": reason,
                }
                for g in added
            ],
        )


def record_gap(
    session: Session,
    device: str | None,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    reason: str,
) -> None:
    """Store a span netmon did not watch (``device`` None: the whole fleet). A device gap
    that touches or overlaps the device's newest one of the same reason extends it, so a
    long overload is one row, not one per lost poll."""
    if ended_at <= started_at:
        return
    device_id = None
    if device is not None:
        device_id = session.scalar(select(Device.id).where(Device.name == device))
        if device_id is None:
            return  # removed from the inventory meanwhile: nothing to account for
    newest = session.scalars(
        select(MonitoringGap)
        .where(
            MonitoringGap.device_id.is_(None)
            if device_id is None
            else MonitoringGap.device_id == device_id,
            MonitoringGap.reason == reason,
            MonitoringGap.ended_at >= started_at,
            MonitoringGap.started_at <= ended_at,
        )
        .order_by(MonitoringGap.ended_at.desc())
        .limit(1)
    ).first()
    if newest is not None:
        newest.started_at = min(newest.started_at, started_at)
        newest.ended_at = max(newest.ended_at, ended_at)
    else:
        session.add(
            MonitoringGap(
                device_id=device_id, started_at=started_at, ended_at=ended_at, reason=reason
            )
        )
    session.flush()


def record_daemon_downtime(
    session: Session, now: dt.datetime, tolerance: dt.timedelta
) -> GapRow | None:
    """At daemon start: the time since the last health poll the store holds (any device) is
    netmon's downtime, when longer than ``tolerance`` (a restart's usual pause is not)."""
    from agent.store.models import HealthHourly

    last = session.scalar(select(func.max(HealthHourly.last_at)))
    if last is None or now - last <= tolerance:
        return None
    record_gap(session, None, last, now, "not_running")
    log.info(
        "netmon downtime recorded",
        extra={"from": last.isoformat(), "to": now.isoformat(), "reason": "not_running"},
    )
    return GapRow(None, last, now, "not_running")


class DaemonAccounting:
    """What the daemon tells the store about availability, each call in its own transaction
    (called in the daemon's writer thread): which devices are in a window now, that it started
    (the time since the last stored poll is netmon's downtime), and polls its overload lost."""

    # A restart's usual pause, and a poll's own spread, are not downtime.
    RESTART_TOLERANCE = dt.timedelta(minutes=2)

    def __init__(self, store: object) -> None:
        self.store = store

    def maintenance_now(self) -> frozenset[str]:
        with self.store.session(read_only=True) as session:  # type: ignore[attr-defined]
            return devices_in_maintenance(session, dt.datetime.now(dt.UTC))

    def daemon_started(self) -> None:
        with self.store.session() as session:  # type: ignore[attr-defined]
            record_daemon_downtime(session, dt.datetime.now(dt.UTC), self.RESTART_TOLERANCE)

    def polls_lost(self, spans: dict[str, list[Span]]) -> None:
        """Store the spans ``LostPolls.take`` gave, all devices in one transaction."""
        with self.store.session() as session:  # type: ignore[attr-defined]
            record_device_gaps(session, spans, "overload")


Span = tuple[dt.datetime, dt.datetime]


class LostPolls:
    """Health polls the daemon lost to overload, per device, until they are stored.

    Spans of one device that touch or overlap are merged here (as ``record_gap`` merges them
    in the store), so a device that keeps losing polls costs one span per pass, whatever its
    interval. Used from the event loop's thread only."""

    def __init__(self) -> None:
        self._spans: dict[str, list[Span]] = {}

    def add(self, device: str, start: dt.datetime, end: dt.datetime) -> None:
        if end <= start:
            return
        spans = self._spans.setdefault(device, [])
        if spans and start <= spans[-1][1] and end >= spans[-1][0]:
            first, last = spans[-1]
            spans[-1] = (min(first, start), max(last, end))
        else:
            spans.append((start, end))

    def take(self) -> dict[str, list[Span]]:
        """What was lost since the last call; forgotten here once taken."""
        spans, self._spans = self._spans, {}
        return spans
