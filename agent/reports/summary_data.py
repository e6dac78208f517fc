"""The figures of the work summary (《工作总结》): one ``load_report_data`` per calendar month,
joined into the whole period.

A nine-month summary reads nine months through the same query layer as the monthly report
(SQL aggregates over roll-ups, outages and episodes, ``agent.reports.data``), one month at a
time, so its cost grows with the months and never loads raw polls. Whole-period figures are
sums of the monthly ones (availability: outage time / monitored time over the months, as
``agent.availability`` defines them, exact, not a mean of monthly percentages). Outages and
hardware faults that run across a month's end appear in both months' data; they are joined
here into one spell, so the whole period counts them once.

Incidents are what production stores, not alert events (only the demo generator writes
those): the outages ``agent.availability`` counts (silent longer than the DeviceDown rule
waits, outside maintenance and netmon's own downtime) and the hardware faults (failure
episodes of fans and power supplies), each merged with the engineer's incident record
(``netmon record add incident``) of the same device that overlaps it in time. Response
(reported -> responded, contract: 10 minutes) and on-site arrival (reported -> arrived, 2 h
city / 4 h suburban) come from that record only; without one they are "not recorded", never
estimated. An incident record that matches nothing netmon saw (a user's report, a
network-wide problem) is an incident of its own. Temperature sensors are stored "ok" (no
threshold is read) and the HA role only per raw poll, so neither yields an incident here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from agent.reports.data import (
    ComponentFault,
    ConfigChangeRow,
    ConfigDrift,
    DeviceHealth,
    DeviceInfo,
    EventRow,
    LicenceRow,
    Outage,
    RecordRow,
    ReportData,
    SignatureRow,
    UpgradeRow,
    devices_in_period,
    load_report_data,
)
from agent.reports.period import Period, months_of
from agent.store import repository as repo

# The contract's service levels (contract-scope.md, "Service levels").
RESPONSE_TARGET = dt.timedelta(minutes=10)  # respond within 10 minutes of a request
LOCATE_TARGET = dt.timedelta(hours=2)  # not located within 2 h: a senior engineer goes on site
ONSITE_TARGETS = {"city": dt.timedelta(hours=2), "suburban": dt.timedelta(hours=4)}


@dataclass(frozen=True)
class Incident:
    """One incident of the period: an outage or hardware fault netmon saw, with the
    engineer's record of it when one overlaps; or an engineer's record netmon saw nothing of
    (category ``reported``)."""

    device: str | None
    category: str  # down | hardware | reported
    start: dt.datetime
    end: dt.datetime | None  # None: not over when the summary was made
    duration: dt.timedelta  # an open one: so far
    record: RecordRow | None = None
    component: tuple[str, str] | None = None  # (kind, name) of a hardware fault
    failed_polls: int = 0  # of an outage

    @property
    def response(self) -> dt.timedelta | None:
        """Reported -> an engineer responded (the record's start); None: no record."""
        return None if self.record is None else self.record.started_at - self.record.begun_at

    @property
    def response_met(self) -> bool | None:
        return None if self.response is None else self.response <= RESPONSE_TARGET

    @property
    def recovered_in_time(self) -> bool:
        """Over within the 2 hours after which a senior engineer must be on site."""
        return self.end is not None and self.duration <= LOCATE_TARGET


@dataclass(frozen=True)
class MonthData:
    label: str  # YYYY-MM
    data: ReportData

    def availability(self, devices: Iterable[str]) -> float | None:
        return availability(self.data, devices)


@dataclass
class SummaryData:
    period: Period
    generated_at: dt.datetime
    devices: list[DeviceInfo]
    months: list[MonthData]
    outages: list[Outage] = field(default_factory=list)
    faults: list[ComponentFault] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def as_of(self) -> dt.datetime:
        """Open items run to when the summary was made, or to the period's end if earlier."""
        return min(self.generated_at, self.period.end)

    @property
    def has_data(self) -> bool:
        return any(month.data.has_data for month in self.months)

    @property
    def last(self) -> ReportData:
        return self.months[-1].data

    def availability(self, devices: Iterable[str]) -> float | None:
        names = set(devices)
        return pooled_availability(
            month.data.health[name]
            for month in self.months
            for name in names
            if name in month.data.health
        )

    @property
    def total_samples(self) -> int:
        return sum(month.data.total_samples for month in self.months)

    @property
    def events(self) -> list[EventRow]:
        return [event for month in self.months for event in month.data.events]

    @property
    def upgrades(self) -> list[UpgradeRow]:
        return [row for month in self.months for row in month.data.upgrades]

    @property
    def config_changes(self) -> list[ConfigChangeRow]:
        return [row for month in self.months for row in month.data.config_changes]

    @property
    def records(self) -> list[RecordRow]:
        """Engineers' records overlapping the period, each once (a record across a month's
        end is in both months' data)."""
        unique: dict[int, RecordRow] = {}
        for month in self.months:
            for row in month.data.records:
                unique.setdefault(row.id, row)
        return sorted(unique.values(), key=lambda row: (row.begun_at, row.id))

    @property
    def drift(self) -> list[ConfigDrift]:
        return self.last.drift

    @property
    def signatures(self) -> list[SignatureRow]:
        return self.last.signatures

    @property
    def licences(self) -> list[LicenceRow]:
        return self.last.licences

    def site_label(self, site: str) -> str:
        """What the summary prints for a site code: the inventory's display name, else the
        code (the inventory gives a site one name, so any of its devices tells it)."""
        return next((info.site_label for info in self.devices if info.site == site), site)

    def sites(self) -> dict[str, list[str]]:
        """Site code -> its devices' names."""
        sites: dict[str, list[str]] = {}
        for info in self.devices:
            sites.setdefault(info.site, []).append(info.name)
        return sites


def availability(data: ReportData, devices: Iterable[str]) -> float | None:
    return pooled_availability(data.health[name] for name in devices if name in data.health)


def pooled_availability(figures: Iterable[DeviceHealth]) -> float | None:
    """Availability as every document and the DeviceDown rule count it (agent.availability):
    outage time over monitored time, both summed over the devices and months given (exact,
    not a mean of percentages). Figures built by hand without times fall back to answered
    polls over all polls."""
    chosen = list(figures)
    timed = [health.uptime for health in chosen if health.uptime is not None]
    if chosen and len(timed) == len(chosen):
        monitored = sum((uptime.monitored for uptime in timed), dt.timedelta(0))
        down = sum((uptime.down for uptime in timed), dt.timedelta(0))
        return max(0.0, 1.0 - down / monitored) if monitored > dt.timedelta(0) else None
    samples = sum(health.samples for health in chosen)
    reachable = sum(health.reachable_samples for health in chosen)
    return reachable / samples if samples else None


def load_summary_data(
    session: Session, period: Period, generated_at: dt.datetime | None = None
) -> SummaryData:
    """The summary's figures for ``period``: the query layer run once per calendar month."""
    made = generated_at or repo.utcnow()
    months = [
        MonthData(month.label, load_report_data(session, month, made))
        for month in months_of(period)
    ]
    summary = SummaryData(
        period=period,
        generated_at=made,
        devices=devices_in_period(session, period.start, period.end),
        months=months,
    )
    summary.outages = join_outages([m.data for m in months])
    summary.faults = join_faults([m.data for m in months])
    summary.incidents = incidents(summary.outages, summary.faults, summary.records, summary.as_of)
    return summary


def join_outages(months: Sequence[ReportData]) -> list[Outage]:
    """Outages of consecutive months as one list, a spell still down at one month's end and
    shown from the next month's start being the same outage."""
    joined: list[Outage] = []
    running: dict[str, int] = {}  # device -> index in joined of its outage still down
    for data in months:
        carried = dict(running)
        running.clear()
        for outage in data.outages:
            index = carried.pop(outage.device, None)
            if index is not None and outage.start == data.period.start:
                first = joined[index]
                joined[index] = Outage(
                    outage.device, first.start, outage.end, outage.failed_samples
                )
            else:
                index = len(joined)
                joined.append(outage)
            if joined[index].end is None:
                running[outage.device] = index
    return joined


def join_faults(months: Sequence[ReportData]) -> list[ComponentFault]:
    """Hardware fault episodes of consecutive months, joined like ``join_outages``."""
    joined: list[ComponentFault] = []
    running: dict[tuple[str, str, str], int] = {}
    for data in months:
        carried = dict(running)
        running.clear()
        for fault in data.faults:
            key = (fault.device, fault.kind, fault.name)
            index = carried.pop(key, None)
            if index is not None and fault.first_failed == data.period.start:
                first = joined[index]
                joined[index] = ComponentFault(
                    fault.device,
                    fault.kind,
                    fault.name,
                    first.first_failed,
                    fault.last_failed,
                    fault.failed_samples,
                    fault.cleared_at,
                )
            else:
                index = len(joined)
                joined.append(fault)
            if joined[index].cleared_at is None:
                running[key] = index
    return joined


def incidents(
    outages: Sequence[Outage],
    faults: Sequence[ComponentFault],
    records: Sequence[RecordRow],
    as_of: dt.datetime,
) -> list[Incident]:
    """The period's incidents as known at ``as_of``: outages and hardware faults, each with
    the incident record of its device that overlaps it, then the records that matched
    nothing."""
    found = [
        Incident(
            outage.device,
            "down",
            outage.start,
            outage.end,
            outage.duration(as_of),
            failed_polls=outage.failed_samples,
        )
        for outage in outages
    ]
    found += [
        Incident(
            fault.device,
            "hardware",
            fault.first_failed,
            fault.cleared_at,
            (fault.cleared_at or as_of) - fault.first_failed,
            component=(fault.kind, fault.name),
        )
        for fault in faults
    ]
    reports = sorted(
        (r for r in records if r.kind == "incident" and r.begun_at <= as_of),
        key=lambda r: (r.begun_at, r.id),
    )
    unmatched: list[RecordRow] = []
    for report in reports:
        # The spells of the record's device that its time [reported, resolved] meets (a user
        # may call before the rule's minute has passed, or report a fault netmon saw start
        # hours earlier); of those, the one that began nearest the report, so a fault left
        # open for months does not take the record of an outage on the same box. Each record
        # is one incident's; a spell keeps the earliest report (the first call).
        meeting = [
            index
            for index, spell in enumerate(found)
            if spell.device == report.device
            and spell.record is None
            and spell.start <= (report.resolved_at or as_of)
            and report.begun_at <= (spell.end or as_of)
        ]
        if not meeting:
            unmatched.append(report)
            continue
        nearest = min(meeting, key=lambda i: (abs(found[i].start - report.begun_at), i))
        found[nearest] = replace(found[nearest], record=report)
    for report in unmatched:
        resolved = report.resolved_at
        if resolved is not None and resolved > as_of:
            resolved = None  # not known yet when the summary was made
        found.append(
            Incident(
                report.device,
                "reported",
                report.begun_at,
                resolved,
                (resolved or as_of) - report.begun_at,
                report,
            )
        )
    found.sort(key=lambda incident: (incident.start, incident.device or "", incident.category))
    return found
