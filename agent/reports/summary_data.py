"""The figures of the work summary (《工作总结》): one ``load_report_data`` per calendar month,
joined into the whole period.

A nine-month summary reads nine months through the same query layer as the monthly report
(SQL aggregates over roll-ups, outages and episodes, ``agent.reports.data``), one month at a
time, so its cost grows with the months and never loads raw polls. Whole-period figures are
sums of the monthly ones (availability: outage time / monitored time over the months, as
``agent.availability`` defines them, exact, not a mean of monthly percentages). Outages and
hardware faults that run across a month's end appear in both months' data; they are joined
here into one spell, so the whole period counts them once.

Incidents are the events a duty engineer must respond to: a device down, a failed fan or
power supply, a replaced box, and anything raised as critical. Their response time is
acknowledged - occurred and their resolution time closed - occurred, measured against the
contract's targets (``RESPONSE_TARGET``, ``LOCATE_TARGET``). On-site arrival (2 h for city,
4 h for suburban branches) needs the engineers' own records (reported / arrived / resolved
times), which the events do not hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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
# Event kinds that are incidents whatever their severity; "critical" events are too.
INCIDENT_KINDS = {
    "device-down": "down",
    "fan-failed": "hardware",
    "psu-failed": "hardware",
    "component-failed": "hardware",
    "device-replaced": "hardware",
}


@dataclass(frozen=True)
class Incident:
    event: EventRow
    category: str  # down | hardware | other
    response: dt.timedelta | None  # None: no acknowledgement recorded
    resolution: dt.timedelta | None  # None: not closed when the summary was made

    @property
    def response_met(self) -> bool | None:
        return None if self.response is None else self.response <= RESPONSE_TARGET

    @property
    def resolution_met(self) -> bool | None:
        return None if self.resolution is None else self.resolution <= LOCATE_TARGET


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
    summary.incidents = incidents(summary.events, made)
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


def incident_category(event: EventRow) -> str | None:
    category = INCIDENT_KINDS.get(event.kind)
    if category is None and event.severity == "critical":
        return "other"
    return category


def incidents(events: Iterable[EventRow], as_of: dt.datetime) -> list[Incident]:
    """The incidents among ``events``, with response and resolution times as known at
    ``as_of`` (an acknowledgement or closure after it is not known yet)."""
    found = []
    for event in events:
        category = incident_category(event)
        if category is None:
            continue
        acknowledged = event.acknowledged_at
        response = (
            acknowledged - event.occurred_at
            if acknowledged is not None and acknowledged <= as_of
            else None
        )
        closed = event.closed_at
        resolution = closed - event.occurred_at if closed is not None and closed <= as_of else None
        found.append(Incident(event, category, response, resolution))
    found.sort(key=lambda incident: (incident.event.occurred_at, incident.event.id))
    return found
