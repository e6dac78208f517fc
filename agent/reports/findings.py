"""What needs attention in a period, as findings a reader can use.

Each finding is one fact about one device (a stale library, an expiring licence, a fault
still open) with a kind and a severity. Documents show them grouped per device and per kind,
with counts, most serious first; the summary gives one line per kind. A device "has
problems" when it has at least one finding: informational events (a first configuration, an
upgrade) and a single missed poll are not findings.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from agent.reports.data import ReportData
from agent.reports.event_text import event_text
from agent.reports.settings import ReportSettings
from agent.reports.text import Text
from collectors.library_kinds import library_kind

LOW_AVAILABILITY = 0.99
HIGH_CPU = 0.90
RECURRING = 2  # episodes of the same fault in one period
NAMES_IN_SUMMARY = 5  # devices named on a summary line before "and N more"

SEVERITY_ORDER = ("critical", "major", "minor", "warning")

# Finding kind -> (severity, advice key). The order here breaks ties between equally severe
# kinds in the documents.
KINDS: dict[str, tuple[str, str]] = {
    "not_polled": ("major", "advice.not_polled"),
    "fault_open": ("major", "advice.fault"),
    "licence_expired": ("major", "advice.licence"),
    "outages": ("major", "advice.availability"),
    "low_availability": ("major", "advice.availability"),
    "open_events": ("minor", "advice.open_events"),
    "recurring_fault": ("minor", "advice.fault"),
    "drift": ("minor", "advice.drift"),
    "stale": ("minor", "advice.stale"),
    "licence_soon": ("warning", "advice.licence"),
    "cpu": ("warning", "advice.cpu"),
    "interfaces": ("warning", "advice.interfaces"),
}


# An open alert of these kinds says what a finding of that kind already says.
ALERT_COVERED_BY: dict[str, str] = {
    "fan-failed": "fault_open",
    "psu-failed": "fault_open",
    "licence-expiring": "licence_soon",
    "device-down": "outages",
    "config-drift": "drift",
    "config-change": "drift",
    "cpu-high": "cpu",
    "interface-down": "interfaces",
}


@dataclass(frozen=True)
class Finding:
    device: str
    kind: str  # a key of KINDS
    detail: str  # one line in the document's language

    @property
    def severity(self) -> str:
        return KINDS[self.kind][0]


@dataclass(frozen=True)
class FindingGroup:
    """The findings of one kind on one device."""

    device: str
    kind: str
    severity: str
    details: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.details)


@dataclass(frozen=True)
class KindSummary:
    """One kind over the fleet: how many findings on how many devices."""

    kind: str
    severity: str
    count: int
    devices: tuple[str, ...]


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _kind_rank(kind: str) -> tuple[int, int]:
    return _rank(KINDS[kind][0]), list(KINDS).index(kind)


def collect(data: ReportData, text: Text, settings: ReportSettings) -> list[Finding]:
    """Every finding of the period, in no particular order."""
    found: list[Finding] = []
    end = data.until

    def add(device: str, kind: str, key: str, **values: object) -> None:
        found.append(Finding(device, kind, text(key, device=device, **values)))

    polled = {name for name, health in data.health.items() if health.samples}
    for info in data.devices:
        if info.name not in polled:
            add(info.name, "not_polled", "finding.not_polled")
    for fault in data.faults:
        if fault.cleared_at is None:
            add(
                fault.device,
                "fault_open",
                "finding.fault_open",
                component=text.component(fault.kind, fault.name),
            )
    episodes = Counter((fault.device, fault.kind, fault.name) for fault in data.faults)
    for (device, kind, name), count in sorted(episodes.items()):
        if count >= RECURRING:
            add(
                device,
                "recurring_fault",
                "finding.recurring_fault",
                component=text.component(kind, name),
                count=count,
            )
    outages: dict[str, list[dt.timedelta]] = defaultdict(list)
    for outage in data.outages:
        outages[outage.device].append(outage.duration(end))
    for device, spans in sorted(outages.items()):
        total = sum(spans, start=dt.timedelta())
        add(
            device,
            "outages",
            "finding.outages",
            count=len(spans),
            duration=text.duration(total),
        )
    for name, health in sorted(data.health.items()):
        if health.availability is not None and health.availability < LOW_AVAILABILITY:
            add(
                name,
                "low_availability",
                "finding.low_availability",
                value=text.availability(health.availability),
            )
        if health.cpu_max is not None and health.cpu_max >= HIGH_CPU:
            add(
                name,
                "cpu",
                "finding.cpu",
                peak=text.pct(health.cpu_max),
                avg=text.pct(health.cpu_avg),
            )
    for row in data.licences:
        if row.days_left is None or row.expires_on is None:
            continue
        if row.days_left < 0:
            add(
                row.device,
                "licence_expired",
                "finding.licence_expired",
                feature=row.feature,
                date=text.date(row.expires_on),
            )
        elif row.days_left <= settings.licence_warning_days:
            add(
                row.device,
                "licence_soon",
                "finding.licence_soon",
                feature=row.feature,
                date=text.date(row.expires_on),
                days=row.days_left,
            )
    for drift in data.drift:
        add(
            drift.device,
            "drift",
            "finding.drift",
            sequence=drift.sequence,
            time=text.time(drift.collected_at),
        )
    signature_devices = {info.name for info in data.devices if info.has_service("SIG")}
    rules = settings.staleness()
    for row in data.signatures:
        if row.device not in signature_devices or row.software:
            continue
        limit = rules.limit(library_kind(row.library))
        if limit is not None and row.age_days > limit.days:
            add(
                row.device,
                "stale",
                "finding.stale",
                library=text.library(row.library),
                age=row.age_days,
                version=row.version,
            )
    for port in data.interfaces:
        add(
            port.device,
            "interfaces",
            "finding.interfaces",
            name=port.name,
            down=port.down_samples,
            errors=port.errors_added,
        )
    # Alerts still open at the end, other than informational events (facts, not issues).
    covered = {(f.device, f.kind) for f in found}
    for event in data.events_open:
        if event.device is None or event.informational:
            continue
        if (event.device, ALERT_COVERED_BY.get(event.kind)) in covered:
            continue  # the same problem is already a finding (a fault still open, ...)
        add(
            event.device,
            "open_events",
            "finding.open_event",
            what=event_text(text, event.kind, event.details),
            since=text.time(event.occurred_at),
        )
    return found


def grouped(findings: list[Finding]) -> list[FindingGroup]:
    """Per device and kind, with counts: the most serious device first (its worst finding,
    then how many it has), and within a device the most serious kind first."""
    details: dict[tuple[str, str], list[str]] = defaultdict(list)
    for finding in findings:
        details[(finding.device, finding.kind)].append(finding.detail)
    groups = [
        FindingGroup(device, kind, KINDS[kind][0], tuple(lines))
        for (device, kind), lines in details.items()
    ]
    worst: dict[str, tuple[int, int, int]] = {}
    for group in groups:
        total = sum(g.count for g in groups if g.device == group.device)
        key = (*_kind_rank(group.kind), -total)
        worst[group.device] = min(worst.get(group.device, key), key)
    return sorted(
        groups,
        key=lambda g: (worst[g.device], g.device, _kind_rank(g.kind), -g.count),
    )


def by_kind(findings: list[Finding]) -> list[KindSummary]:
    """One line per kind for the summary: most serious kind first, then the largest."""
    devices: dict[str, list[str]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for finding in findings:
        counts[finding.kind] += 1
        if finding.device not in devices[finding.kind]:
            devices[finding.kind].append(finding.device)
    summaries = [
        KindSummary(kind, KINDS[kind][0], counts[kind], tuple(sorted(devices[kind])))
        for kind in counts
    ]
    return sorted(summaries, key=lambda s: (_kind_rank(s.kind)[0], -s.count, _kind_rank(s.kind)))


def advice(findings: list[Finding], text: Text, settings: ReportSettings) -> list[str]:
    """What to do, once per advice, in the order of the most serious kind needing it."""
    keys: list[str] = []
    for summary in by_kind(findings):
        key = KINDS[summary.kind][1]
        if key not in keys:
            keys.append(key)
    limits = text("list.sep").join(
        text("advice.stale_limit", library=text.library(kind), days=f"{days:g}")
        for kind, days in sorted(settings.staleness().library_days.items())
    )
    return [text(key, limits=limits) if key == "advice.stale" else text(key) for key in keys]


def summary_line(summary: KindSummary, text: Text) -> str:
    names = list(summary.devices[:NAMES_IN_SUMMARY])
    more = len(summary.devices) - len(names)
    listed = text("list.sep").join(names)
    if more:
        listed = text("findings.more", names=listed, more=more)
    return text(
        "findings.kind_line",
        kind=text(f"findings.kind.{summary.kind}"),
        devices=len(summary.devices),
        count=summary.count,
        names=listed,
    )


def problem_devices(findings: list[Finding]) -> list[str]:
    """Devices with at least one finding, most serious first."""
    seen: list[str] = []
    for group in grouped(findings):
        if group.device not in seen:
            seen.append(group.device)
    return seen
