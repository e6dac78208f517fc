"""The one query layer every report reads: the store's rows for a period, as typed models.

``load_report_data(session, period)`` returns a ``ReportData`` holding everything any report
needs; report modules never touch SQLAlchemy. Every query aggregates in the database (GROUP
BY, a window function for the newest component episode) and reads roll-ups, episodes and
outages (``agent.store.rollup``), never raw polls: a month and nine months cost the same
kind of query, and months older than the raw window give the same numbers. Definitions the
documents state and the tests check:

- availability and outages: ``agent.availability`` (the one definition, shared with the
  NetmonDeviceDown rule): an outage is a silence longer than the rule's ``for:``, from the
  first missed answer to the first answer, outside maintenance windows and netmon's own
  downtime; availability is 1 - outage time / monitored time. Open outages run to the
  generation time (or the period's end if earlier);
- CPU / memory average and peak: mean and maximum of the sampled ratios (0..1), from the
  roll-ups' sums, counts and maxima (so the mean is exact, not a mean of means);
- a configuration change: a stored configuration version other than a device's first, with
  its collection time in the period; approved when it carries an approval;
- an upgrade: a signature-library / software row (``signature_versions``) or a licence row
  (``licences``) that follows an earlier row of the same device and library / feature, first
  seen in the period. The first row ever seen for a library is where history starts, not an
  upgrade. This reads the history tables only, so it works whether or not a separate upgrade
  log exists;
- a hardware fault: an episode of a fan or power supply reading ``failed``; it clears at the
  next poll where the same component reads anything else;
- an interface problem: polls administratively up (or unknown) but operationally down, or
  growth of the error / discard counters between consecutive polls, in the period;
- an engineer's record (``netmon record``) belongs to a period when its time overlaps it:
  started before the period's end and not ended before its start (an open one runs on).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from agent.availability import Assessment, DeviceAvailability, GapRow, WindowRow, assess
from agent.event_kinds import is_informational
from agent.records import records_between
from agent.reports.period import Period
from agent.reports.uplinks import UplinkDown, uplinks_down, with_port_state
from agent.reports.version_order import version_direction
from agent.store import repository as repo
from agent.store.models import (
    ComponentEpisode,
    ConfigVersion,
    Device,
    Event,
    HealthHourly,
    InterfaceDaily,
    InterfaceHourly,
    Licence,
    SignatureVersion,
    TemperatureHourly,
    UTCDateTime,
)
from agent.store.models import InterfaceState as InterfaceStateRow
from agent.store.rollup import day_start, whole_days

# Libraries that are software (system image, detection engine) rather than signature data.
SOFTWARE_LIBRARIES = frozenset({"software", "firmware", "system", "os", "engine"})
# Inventory scope names and the contract's short codes mean the same service.
SERVICE_ALIASES = {
    "hardware": "HW",
    "signatures": "SIG",
    "tuning": "TUNE",
    "HW": "HW",
    "SIG": "SIG",
    "TUNE": "TUNE",
}
CHANGED_LINES_SHOWN = 5
DAYS_PER_QUERY = 400


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    vendor: str
    model: str
    kind: str
    site: str
    services: tuple[str, ...]  # contract codes: HW, SIG, TUNE
    site_name: str | None = None  # the inventory's display name for the site

    @property
    def site_label(self) -> str:
        """What documents print for the site: the display name, else the code."""
        return self.site_name or self.site

    def has_service(self, code: str) -> bool:
        return code in self.services


@dataclass(frozen=True)
class DailyFigures:
    day: dt.date
    cpu_avg: float | None
    cpu_max: float | None
    memory_avg: float | None
    memory_max: float | None


@dataclass(frozen=True)
class ComponentStatus:
    kind: str  # fan | psu
    name: str
    status: str  # the last status seen in the period


@dataclass(frozen=True)
class DeviceHealth:
    device: str
    samples: int
    reachable_samples: int
    cpu_avg: float | None
    cpu_max: float | None
    memory_avg: float | None
    memory_max: float | None
    temperature_max: float | None
    daily: tuple[DailyFigures, ...] = ()
    components: tuple[ComponentStatus, ...] = ()
    # Monitored, outage, maintenance and netmon-down time (agent.availability); None only for
    # figures built by hand, which then fall back to the share of answered polls.
    uptime: DeviceAvailability | None = None

    @property
    def availability(self) -> float | None:
        if self.uptime is not None:
            return self.uptime.availability
        return self.reachable_samples / self.samples if self.samples else None


@dataclass(frozen=True)
class Outage:
    device: str
    start: dt.datetime
    end: dt.datetime | None  # None: still down when the document was made (or period end)
    failed_samples: int
    # The counted length (agent.availability: open outages run to the generation time).
    length: dt.timedelta | None = None

    def duration(self, until: dt.datetime) -> dt.timedelta:
        if self.length is not None:
            return self.length
        return (self.end or until) - self.start


@dataclass(frozen=True)
class ComponentFault:
    """One episode of a fan or power supply reading ``failed``."""

    device: str
    kind: str
    name: str
    first_failed: dt.datetime
    last_failed: dt.datetime
    failed_samples: int
    cleared_at: dt.datetime | None  # None: still failed at the end of the period


@dataclass(frozen=True)
class InterfaceProblem:
    device: str
    if_index: int
    name: str
    samples: int
    down_samples: int  # administratively up (or unknown) but operationally down
    errors_added: int  # growth of in+out error counters over the period
    discards_added: int
    alias: str = ""  # ifAlias: the description the operator gave the port
    uplink: bool = False  # one of the device's uplinks in the inventory
    admin_down_samples: int = 0  # polls with the port shut by the operator

    @property
    def is_problem(self) -> bool:
        """Errors or discards grew; or it went down and matters: an uplink (even down all
        period), or a described port that was up at some time in the period."""
        if self.errors_added > 0 or self.discards_added > 0:
            return True
        if self.down_samples == 0:
            return False
        if self.uplink:
            return True
        return bool(self.alias) and self.down_samples + self.admin_down_samples < self.samples


@dataclass(frozen=True)
class ConfigChangeRow:
    device: str
    sequence: int
    collected_at: dt.datetime
    lines_added: int
    lines_removed: int
    changed_lines: tuple[str, ...]
    approved_at: dt.datetime | None
    approved_by: str | None
    approval_note: str | None

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


@dataclass(frozen=True)
class ConfigDrift:
    """A device whose newest configuration (at the end of the period) was never approved."""

    device: str
    sequence: int
    collected_at: dt.datetime
    baseline_sequence: int | None


@dataclass(frozen=True)
class SignatureRow:
    device: str
    library: str
    version: str
    release_date: dt.date | None
    updated_at: dt.datetime  # when netmon first saw this version
    age_days: int  # on the day the report is made, from the release date (else updated_at)

    @property
    def software(self) -> bool:
        return self.library in SOFTWARE_LIBRARIES


@dataclass(frozen=True)
class UpgradeRow:
    device: str
    category: str  # signature | software | licence
    item: str  # library or licence feature
    from_value: str
    to_value: str
    at: dt.datetime
    # Which way it went: "upgrade" / "rollback" for a version (by the version's order, not
    # its text), "extended" / "shortened" for a licence expiry.
    change: str = "upgrade"

    @property
    def rollback(self) -> bool:
        return self.change == "rollback"

    @property
    def upgrade(self) -> bool:
        return self.change == "upgrade"


@dataclass(frozen=True)
class LicenceRow:
    device: str
    feature: str
    expires_on: dt.date | None  # None: perpetual
    days_left: int | None  # on the day the report is made


@dataclass(frozen=True)
class EventRow:
    id: int
    device: str | None
    kind: str
    severity: str
    message: str
    occurred_at: dt.datetime
    state: str
    closed_at: dt.datetime | None
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None = None  # response time: acknowledged - occurred
    # What documents word the event from (agent.reports.event_text); ``message`` is for logs.
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def informational(self) -> bool:
        """A recorded fact, not a problem: never an open item or a finding."""
        return is_informational(self.kind, self.severity)

    def closed_before(self, moment: dt.datetime) -> bool:
        return self.closed_at is not None and self.closed_at < moment

    def duration(self, until: dt.datetime) -> dt.timedelta:
        end = self.closed_at if self.closed_before(until) else until
        return end - self.occurred_at  # type: ignore[operator]


@dataclass(frozen=True)
class RecordRow:
    """An engineer's record (``agent.records``), with the model's field names."""

    id: int
    device: str | None  # None: a duty note or an incident of the network as a whole
    kind: str  # maintenance, repair, tuning, upgrade, incident, duty
    state: str  # open, closed
    summary: str
    action: str | None
    outcome: str | None
    engineer: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    reported_at: dt.datetime | None
    arrived_at: dt.datetime | None
    resolved_at: dt.datetime | None
    recorded_at: dt.datetime

    @property
    def begun_at(self) -> dt.datetime:
        """When the record's time begins: an incident's report, else its start (an
        incident's ``started_at`` is when an engineer responded)."""
        return self.reported_at or self.started_at

    def open_at(self, moment: dt.datetime) -> bool:
        """Begun and not ended at ``moment``: open, or ended only later."""
        return self.begun_at <= moment and (self.ended_at is None or self.ended_at > moment)


@dataclass
class ReportData:
    period: Period
    generated_at: dt.datetime
    devices: list[DeviceInfo]
    health: dict[str, DeviceHealth]
    outages: list[Outage] = field(default_factory=list)
    faults: list[ComponentFault] = field(default_factory=list)
    interfaces: list[InterfaceProblem] = field(default_factory=list)
    config_changes: list[ConfigChangeRow] = field(default_factory=list)
    drift: list[ConfigDrift] = field(default_factory=list)
    signatures: list[SignatureRow] = field(default_factory=list)
    upgrades: list[UpgradeRow] = field(default_factory=list)
    licences: list[LicenceRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)  # raised in the period
    events_closed: list[EventRow] = field(default_factory=list)  # closed in the period
    events_open: list[EventRow] = field(default_factory=list)  # not closed at the end
    maintenance_windows: list[WindowRow] = field(default_factory=list)
    monitoring_gaps: list[GapRow] = field(default_factory=list)  # netmon's own downtime
    uptime: Assessment | None = None
    records: list[RecordRow] = field(default_factory=list)  # overlapping the period
    # Per device: ports down or shut all period without an uplink role (not faults).
    unused_ports: dict[str, int] = field(default_factory=dict)
    # The uplinks among ``interfaces`` that went down, with when (agent.reports.uplinks).
    uplinks_down: list[UplinkDown] = field(default_factory=list)

    @property
    def until(self) -> dt.datetime:
        """Where open items stop counting: the generation time, or the period's end if the
        report is made after it (a 10-minute-old open event lasts 10 minutes, not a month)."""
        return min(self.generated_at, self.period.end)

    @property
    def has_data(self) -> bool:
        """False when the store holds nothing at all for this period."""
        return bool(
            any(h.samples for h in self.health.values())
            or self.config_changes
            or self.upgrades
            or self.events
            or self.events_closed
            or self.records
        )

    @property
    def total_samples(self) -> int:
        return sum(h.samples for h in self.health.values())

    @property
    def fleet_availability(self) -> float | None:
        if self.uptime is not None:
            return self.uptime.fleet_availability(self.health)
        total = self.total_samples
        up = sum(h.reachable_samples for h in self.health.values())
        return up / total if total else None

    def for_device(self, name: str) -> DeviceSlice:
        def mine(rows: Iterable[object]) -> list:  # type: ignore[type-arg]
            return [row for row in rows if getattr(row, "device", None) == name]

        return DeviceSlice(
            outages=mine(self.outages),
            faults=mine(self.faults),
            interfaces=mine(self.interfaces),
            config_changes=mine(self.config_changes),
            drift=mine(self.drift),
            signatures=mine(self.signatures),
            upgrades=mine(self.upgrades),
            licences=mine(self.licences),
            events=mine(self.events),
            records=mine(self.records),
        )


@dataclass(frozen=True)
class DeviceSlice:
    outages: list[Outage]
    faults: list[ComponentFault]
    interfaces: list[InterfaceProblem]
    config_changes: list[ConfigChangeRow]
    drift: list[ConfigDrift]
    signatures: list[SignatureRow]
    upgrades: list[UpgradeRow]
    licences: list[LicenceRow]
    events: list[EventRow]
    records: list[RecordRow]


def load_report_data(
    session: Session, period: Period, generated_at: dt.datetime | None = None
) -> ReportData:
    """Everything the reports show for ``period``, read in one transaction."""
    start, end = period.start, period.end
    generated_at = generated_at or repo.utcnow()
    devices = devices_in_period(session, start, end)
    names = {device.name for device in devices}
    uptime = assess(session, start, end, generated_at)
    outages = [
        Outage(o.device, o.start, o.end, o.failed_samples, o.duration) for o in uptime.outages
    ]
    daily = _daily(session, period)
    components, faults = _components(session, start, end)
    health = {
        summary.device: DeviceHealth(
            device=summary.device,
            samples=summary.samples,
            reachable_samples=summary.reachable_samples,
            cpu_avg=summary.cpu_avg,
            cpu_max=summary.cpu_max,
            memory_avg=summary.memory_avg,
            memory_max=summary.memory_max,
            temperature_max=temperature,
            daily=tuple(daily.get(summary.device, ())),
            components=tuple(components.get(summary.device, ())),
            uptime=uptime.devices.get(summary.device),
        )
        for summary, temperature in _with_temperatures(session, start, end)
        if summary.device in names
    }
    changes, drift = config_changes(session, start, end)
    generated_at = generated_at or repo.utcnow()
    # Ages and days left count to the day the report is made, as `netmon signatures` counts
    # them (on the UTC date), so the document and the command agree.
    as_of = generated_at.astimezone(dt.UTC).date()
    events, closed, still_open = _events(session, start, end)
    interfaces = _interface_problems(session, start, end)
    until = min(generated_at, end)
    return ReportData(
        period=period,
        generated_at=generated_at,
        devices=devices,
        health=health,
        outages=outages,
        faults=faults,
        interfaces=interfaces,
        uplinks_down=uplinks_down(session, interfaces, start, end, until),
        unused_ports=_unused_ports(session, start, end),
        config_changes=changes,
        drift=drift,
        signatures=_signatures_at(session, end, as_of),
        upgrades=_upgrades(session, start, end),
        licences=_licences_at(session, end, as_of),
        events=events,
        events_closed=closed,
        events_open=still_open,
        maintenance_windows=[w for w in uptime.windows if w.device in names],
        monitoring_gaps=[g for g in uptime.gaps if g.device is None or g.device in names],
        uptime=uptime,
        records=_records(session, start, end),
    )


# --- devices and health --------------------------------------------------------------------


def _services(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(SERVICE_ALIASES.get(value, value) for value in values)


def devices_in_period(session: Session, start: dt.datetime, end: dt.datetime) -> list[DeviceInfo]:
    """Devices the inventory listed at some time during ``[start, end)``, by name."""
    query = (
        select(Device)
        .where(
            Device.first_seen < end, or_(Device.retired_at.is_(None), Device.retired_at >= start)
        )
        .order_by(Device.name)
    )
    return [
        DeviceInfo(
            row.name,
            row.vendor,
            row.model,
            row.kind,
            row.site,
            _services(row.services),
            site_name=row.site_name,
        )
        for row in session.scalars(query)
    ]


def _with_temperatures(
    session: Session, start: dt.datetime, end: dt.datetime
) -> list[tuple[repo.DeviceHealthSummary, float | None]]:
    peaks = dict(
        session.execute(
            select(Device.name, func.max(TemperatureHourly.max))
            .join(Device, TemperatureHourly.device_id == Device.id)
            .where(TemperatureHourly.hour_start >= start, TemperatureHourly.hour_start < end)
            .group_by(Device.name)
        ).all()
    )
    return [
        (summary, peaks.get(summary.device)) for summary in repo.health_summary(session, start, end)
    ]


def _ratio(total: Any, count: Any) -> float | None:
    return float(total) / int(count) if count else None


def _local_days(days: Sequence[dt.date], tz: dt.tzinfo) -> Any:
    """Local days as a derived table (day, day_start, day_end in UTC), so that the database
    groups hours into the agency's days whatever its time zone rules. A UNION ALL of one-row
    SELECTs: SQLite cannot name a VALUES list's columns."""
    rows = []
    for day in days:
        first = dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)
        after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
        rows.append(
            select(
                literal(day.isoformat()).label("day"),
                literal(first, UTCDateTime()).label("day_start"),
                literal(after, UTCDateTime()).label("day_end"),
            )
        )
    return union_all(*rows).subquery("local_days")


def _daily(session: Session, period: Period) -> dict[str, list[DailyFigures]]:
    """Per device per local day: CPU and memory mean and peak, summed from hourly roll-ups."""
    first, last = period.local_start.date(), period.last_day
    all_days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    daily: dict[str, list[DailyFigures]] = defaultdict(list)
    # SQLite allows 500 terms in a compound SELECT: long ranges go in chunks of days.
    for chunk in range(0, len(all_days), DAYS_PER_QUERY):
        for name, figures in _daily_chunk(
            session, period, all_days[chunk : chunk + DAYS_PER_QUERY]
        ):
            daily[name].append(figures)
    return {name: sorted(rows, key=lambda row: row.day) for name, rows in daily.items()}


def _daily_chunk(
    session: Session, period: Period, chunk: Sequence[dt.date]
) -> Iterable[tuple[str, DailyFigures]]:
    days = _local_days(chunk, period.tz)
    query = (
        select(
            Device.name,
            days.c.day,
            func.sum(HealthHourly.cpu_sum),
            func.sum(HealthHourly.cpu_count),
            func.max(HealthHourly.cpu_max),
            func.sum(HealthHourly.memory_sum),
            func.sum(HealthHourly.memory_count),
            func.max(HealthHourly.memory_max),
        )
        .select_from(HealthHourly)
        .join(Device, HealthHourly.device_id == Device.id)
        .join(
            days,
            and_(
                HealthHourly.hour_start >= days.c.day_start,
                HealthHourly.hour_start < days.c.day_end,
            ),
        )
        .where(HealthHourly.hour_start >= period.start, HealthHourly.hour_start < period.end)
        .group_by(Device.name, days.c.day)
    )
    for name, day, cpu_sum, cpu_count, cpu_max, mem_sum, mem_count, mem_max in session.execute(
        query
    ):
        yield (
            name,
            DailyFigures(
                dt.date.fromisoformat(str(day)),
                _ratio(cpu_sum, cpu_count),
                cpu_max,
                _ratio(mem_sum, mem_count),
                mem_max,
            ),
        )


def _components(
    session: Session, start: dt.datetime, end: dt.datetime
) -> tuple[dict[str, list[ComponentStatus]], list[ComponentFault]]:
    """Each fan's and power supply's last status in the period (the newest episode seen in
    it, picked by a window function) and its failure episodes."""
    in_period = and_(
        ComponentEpisode.kind.in_(("fan", "psu")),
        ComponentEpisode.started_at < end,
        ComponentEpisode.last_seen >= start,
    )
    newest = (
        select(
            ComponentEpisode.device_id,
            ComponentEpisode.kind,
            ComponentEpisode.name,
            ComponentEpisode.status,
            func.row_number()
            .over(
                partition_by=(
                    ComponentEpisode.device_id,
                    ComponentEpisode.kind,
                    ComponentEpisode.name,
                ),
                order_by=ComponentEpisode.started_at.desc(),
            )
            .label("rank"),
        )
        .where(in_period)
        .subquery()
    )
    statuses: dict[str, list[ComponentStatus]] = defaultdict(list)
    for device, kind, name, status in session.execute(
        select(Device.name, newest.c.kind, newest.c.name, newest.c.status)
        .join(Device, newest.c.device_id == Device.id)
        .where(newest.c.rank == 1)
        .order_by(Device.name, newest.c.kind, newest.c.name)
    ):
        statuses[device].append(ComponentStatus(kind, name, status))
    faults = [
        ComponentFault(
            device,
            kind,
            name,
            max(first, start),
            last,
            int(samples),
            cleared if cleared is not None and cleared < end else None,
        )
        for device, kind, name, first, last, samples, cleared in session.execute(
            select(
                Device.name,
                ComponentEpisode.kind,
                ComponentEpisode.name,
                ComponentEpisode.started_at,
                ComponentEpisode.last_seen,
                ComponentEpisode.samples,
                ComponentEpisode.ended_at,
            )
            .join(Device, ComponentEpisode.device_id == Device.id)
            .where(in_period, ComponentEpisode.status == "failed")
        )
    ]
    faults.sort(key=lambda fault: (fault.first_failed, fault.device, fault.kind, fault.name))
    return dict(statuses), faults


_PORT_FIGURES = (
    "samples",
    "down_samples",
    "admin_down_samples",
    "in_errors",
    "out_errors",
    "in_discards",
    "out_discards",
)


def _port_rows(start: dt.datetime, end: dt.datetime) -> Any:
    """Per-port roll-up rows covering ``[start, end)`` exactly: the whole days from
    ``interface_daily`` and the partial days at either edge (none when the period is in the
    daily buckets' time zone) from ``interface_hourly``, which is kept only a short while
    (``[retention] interface_hourly_days``)."""

    def hourly(since: dt.datetime, until: dt.datetime) -> Any:
        return select(
            InterfaceHourly.device_id,
            InterfaceHourly.if_index,
            *[getattr(InterfaceHourly, name) for name in _PORT_FIGURES],
        ).where(InterfaceHourly.hour_start >= since, InterfaceHourly.hour_start < until)

    days = whole_days(start, end)
    if days is None:
        return hourly(start, end).subquery()
    first, after = days
    parts = [
        select(
            InterfaceDaily.device_id,
            InterfaceDaily.if_index,
            *[getattr(InterfaceDaily, name) for name in _PORT_FIGURES],
        ).where(InterfaceDaily.day >= first, InterfaceDaily.day < after)
    ]
    if start < day_start(first):
        parts.append(hourly(start, day_start(first)))
    if day_start(after) < end:
        parts.append(hourly(day_start(after), end))
    return union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


def _interface_problems(
    session: Session, start: dt.datetime, end: dt.datetime
) -> list[InterfaceProblem]:
    """Interfaces that are problems in ``[start, end)``, summed from the per-port roll-ups.

    A port is a problem when its error or discard counters grew, or when it went down
    (operationally down while administratively up) and it matters: an uplink of the inventory
    (down at any time, even all period), or a port the operator described (ifAlias) that was
    down for part of the period. A port shut by the operator (admin-down) never counts as down,
    and an undescribed, non-uplink port that went down is not a fault: unused ports are only
    counted (``_unused_ports``)."""
    rows = _port_rows(start, end)
    errors = func.sum(rows.c.in_errors + rows.c.out_errors)
    discards = func.sum(rows.c.in_discards + rows.c.out_discards)
    down = func.sum(rows.c.down_samples)
    totals = (
        select(
            rows.c.device_id,
            rows.c.if_index,
            func.sum(rows.c.samples).label("samples"),
            down.label("down"),
            func.sum(rows.c.admin_down_samples).label("admin_down"),
            errors.label("errors"),
            discards.label("discards"),
        )
        .group_by(rows.c.device_id, rows.c.if_index)
        .having(or_(down > 0, errors > 0, discards > 0))
        .subquery()
    )
    query = with_port_state(
        select(
            Device.name,
            Device.uplinks,
            totals.c.if_index,
            InterfaceStateRow.name,
            InterfaceStateRow.alias,
            totals.c.samples,
            totals.c.down,
            totals.c.admin_down,
            totals.c.errors,
            totals.c.discards,
        ).join(Device, totals.c.device_id == Device.id),
        totals,
    ).order_by(Device.name, totals.c.if_index)
    problems = []
    for row in session.execute(query):
        device, uplinks, if_index, name, alias, samples, down_n, admin_n, err, disc = row
        port = InterfaceProblem(
            device,
            if_index,
            name or f"ifIndex {if_index}",
            int(samples),
            int(down_n or 0),
            int(err or 0),
            int(disc or 0),
            alias=alias or "",
            uplink=bool(name) and name in (uplinks or ()),
            admin_down_samples=int(admin_n or 0),
        )
        if port.is_problem:
            problems.append(port)
    return problems


def _unused_ports(session: Session, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Per device, the ports down or shut in every poll of ``[start, end)`` that are not
    uplinks: reported as a count ("unused ports: N"), never as faults."""
    rows = _port_rows(start, end)
    totals = (
        select(rows.c.device_id, rows.c.if_index)
        .group_by(rows.c.device_id, rows.c.if_index)
        .having(
            func.sum(rows.c.down_samples + rows.c.admin_down_samples) >= func.sum(rows.c.samples)
        )
        .subquery()
    )
    query = with_port_state(
        select(Device.name, Device.uplinks, InterfaceStateRow.name)
        .select_from(totals)
        .join(Device, totals.c.device_id == Device.id),
        totals,
    )
    unused: dict[str, int] = defaultdict(int)
    for device, uplinks, name in session.execute(query):
        if not (name and name in (uplinks or ())):
            unused[device] += 1
    return dict(unused)


# --- configurations (kept in one place: the config storage may change under issue 4) -----


def _diff_summary(diff: str | None) -> tuple[int, int, tuple[str, ...]]:
    added = removed = 0
    shown: list[str] = []
    for line in (diff or "").splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith(("+", "-")):
            if line.startswith("+"):
                added += 1
            else:
                removed += 1
            if len(shown) < CHANGED_LINES_SHOWN:
                shown.append(line)
    return added, removed, tuple(shown)


def config_changes(
    session: Session, start: dt.datetime, end: dt.datetime
) -> tuple[list[ConfigChangeRow], list[ConfigDrift]]:
    """Configuration changes collected in ``[start, end)`` with their approvals, and the
    devices whose newest configuration at ``end`` is an unapproved change."""
    versions = session.execute(
        select(ConfigVersion, Device.name)
        .join(Device, ConfigVersion.device_id == Device.id)
        .where(ConfigVersion.collected_at < end)
        .order_by(Device.name, ConfigVersion.sequence)
    ).all()
    changes: list[ConfigChangeRow] = []
    newest: dict[str, ConfigVersion] = {}
    baseline: dict[str, int] = {}
    for version, device in versions:
        newest[device] = version
        if version.approved_at is not None and version.approved_at < end:
            baseline[device] = version.sequence
        if version.sequence == 1 or version.collected_at < start:
            continue
        added, removed, shown = _diff_summary(version.diff)
        approved = version.approved_at is not None and version.approved_at < end
        changes.append(
            ConfigChangeRow(
                device=device,
                sequence=version.sequence,
                collected_at=version.collected_at,
                lines_added=added,
                lines_removed=removed,
                changed_lines=shown,
                approved_at=version.approved_at if approved else None,
                approved_by=version.approved_by if approved else None,
                approval_note=version.approval_note if approved else None,
            )
        )
    drift = [
        ConfigDrift(device, version.sequence, version.collected_at, baseline.get(device))
        for device, version in newest.items()
        if version.sequence > 1 and baseline.get(device) != version.sequence
    ]
    changes.sort(key=lambda change: (change.collected_at, change.device))
    return changes, drift


# --- signature libraries, software and licences --------------------------------------------


def _age(as_of: dt.date, release: dt.date | None, seen: dt.datetime) -> int:
    return (as_of - (release or seen.date())).days


def _latest_before(
    session: Session, model: Any, key: str, end: dt.datetime
) -> dict[tuple[str, str], Any]:
    """(device, library or feature) -> the newest row first seen before ``end``."""
    current: dict[tuple[str, str], Any] = {}
    for row, device in session.execute(
        select(model, Device.name)
        .join(Device, model.device_id == Device.id)
        .where(model.first_seen < end)
        .order_by(model.first_seen, model.id)
    ):
        current[(device, getattr(row, key))] = row
    return current


def _signatures_at(session: Session, end: dt.datetime, as_of: dt.date) -> list[SignatureRow]:
    """Each device's library versions as they stood at ``end``."""
    current = _latest_before(session, SignatureVersion, "library", end)
    return [
        SignatureRow(
            device,
            library,
            row.version,
            row.release_date,
            row.first_seen,
            _age(as_of, row.release_date, row.first_seen),
        )
        for (device, library), row in sorted(current.items())
    ]


def _licences_at(session: Session, end: dt.datetime, as_of: dt.date) -> list[LicenceRow]:
    current = _latest_before(session, Licence, "feature", end)
    return [
        LicenceRow(
            device,
            feature,
            row.expires_on,
            None if row.expires_on is None else (row.expires_on - as_of).days,
        )
        for (device, feature), row in sorted(current.items())
    ]


def _upgrades(session: Session, start: dt.datetime, end: dt.datetime) -> list[UpgradeRow]:
    upgrades = _version_changes(session, start, end) + _licence_changes(session, start, end)
    upgrades.sort(key=lambda upgrade: (upgrade.device, upgrade.at, upgrade.category, upgrade.item))
    return upgrades


def _version_changes(session: Session, start: dt.datetime, end: dt.datetime) -> list[UpgradeRow]:
    """Library and software versions that differ from the device's previous row, each an
    upgrade or a rollback by the versions' order; the same version written differently
    (1.2 / 1.2.0) is no change."""
    changes: list[UpgradeRow] = []
    previous: dict[tuple[str, str], str] = {}
    for row, device, vendor in session.execute(
        select(SignatureVersion, Device.name, Device.vendor)
        .join(Device, SignatureVersion.device_id == Device.id)
        .where(SignatureVersion.first_seen < end)
        .order_by(SignatureVersion.first_seen, SignatureVersion.id)
    ):
        key = (device, row.library)
        before = previous.get(key)
        previous[key] = row.version
        if before is None or row.first_seen < start:
            continue
        direction = version_direction(vendor, row.library, before, row.version)
        if direction == 0:
            continue
        category = "software" if row.library in SOFTWARE_LIBRARIES else "signature"
        change = "upgrade" if direction > 0 else "rollback"
        changes.append(
            UpgradeRow(device, category, row.library, before, row.version, row.first_seen, change)
        )
    return changes


def _licence_changes(session: Session, start: dt.datetime, end: dt.datetime) -> list[UpgradeRow]:
    """Licence expiries that differ from the feature's previous row: extended (a later date,
    or perpetual) or shortened."""
    changes: list[UpgradeRow] = []
    expiries: dict[tuple[str, str], dt.date | None] = {}
    for row, device in session.execute(
        select(Licence, Device.name)
        .join(Device, Licence.device_id == Device.id)
        .where(Licence.first_seen < end)
        .order_by(Licence.first_seen, Licence.id)
    ):
        key = (device, row.feature)
        if key in expiries and row.first_seen >= start and expiries[key] != row.expires_on:
            before = expiries[key]
            longer = _expiry_order(row.expires_on) > _expiry_order(before)
            changes.append(
                UpgradeRow(
                    device,
                    "licence",
                    row.feature,
                    _expiry_text(before),
                    _expiry_text(row.expires_on),
                    row.first_seen,
                    "extended" if longer else "shortened",
                )
            )
        expiries[key] = row.expires_on
    return changes


def _expiry_order(expires_on: dt.date | None) -> dt.date:
    """A perpetual licence (no expiry) outlasts every dated one."""
    return dt.date.max if expires_on is None else expires_on


def _expiry_text(expires_on: dt.date | None) -> str:
    return "-" if expires_on is None else expires_on.isoformat()


# --- events and engineers' records ----------------------------------------------------------------


def _event_row(event: Event) -> EventRow:
    return EventRow(
        id=event.id,
        device=None if event.device is None else event.device.name,
        kind=event.kind,
        severity=event.severity,
        message=event.message,
        occurred_at=event.occurred_at,
        state=event.state,
        closed_at=event.closed_at,
        acknowledged_by=event.acknowledged_by,
        details=dict(event.details or {}),
        acknowledged_at=event.acknowledged_at,
    )


def _events(
    session: Session, start: dt.datetime, end: dt.datetime
) -> tuple[list[EventRow], list[EventRow], list[EventRow]]:
    raised = [_event_row(event) for event in repo.events_between(session, start, end)]
    closed = [
        _event_row(event)
        for event in session.scalars(
            select(Event)
            .where(Event.closed_at >= start, Event.closed_at < end)
            .order_by(Event.closed_at, Event.id)
        )
    ]
    still_open = [
        _event_row(event)
        for event in session.scalars(
            select(Event)
            .where(Event.occurred_at < end, or_(Event.closed_at.is_(None), Event.closed_at >= end))
            .order_by(Event.occurred_at, Event.id)
        )
    ]
    return raised, closed, still_open


def _records(session: Session, start: dt.datetime, end: dt.datetime) -> list[RecordRow]:
    return [
        RecordRow(
            id=record.id,
            device=None if record.device is None else record.device.name,
            kind=record.kind,
            state=record.state,
            summary=record.summary,
            action=record.action,
            outcome=record.outcome,
            engineer=record.engineer,
            started_at=record.started_at,
            ended_at=record.ended_at,
            reported_at=record.reported_at,
            arrived_at=record.arrived_at,
            resolved_at=record.resolved_at,
            recorded_at=record.recorded_at,
        )
        for record in records_between(session, start, end)
    ]
