"""《月巡检报告》: the monthly inspection report.

Fleet at a glance, then one section per device (availability, CPU / memory with a trend chart,
temperature, fans and power supplies, interfaces, alerts and outages, configuration changes
with approvals, signature libraries, licences), then findings and recommendations that follow
from the same data.
"""

from __future__ import annotations

from collections import Counter

from agent.reports import charts
from agent.reports.common import (
    add_empty_notice,
    changes_table,
    device_heading,
    event_rows,
    events_table,
    new_document,
)
from agent.reports.data import DeviceInfo, ReportData
from agent.reports.document import BulletList, Chart, Document, Paragraph, Section, Table
from agent.reports.settings import ReportSettings
from agent.reports.text import Text
from collectors.drivers import library_kind

LOW_AVAILABILITY = 0.99
HIGH_CPU = 0.90
RECURRING = 2  # episodes of the same fault, or outages, in one period


def build(data: ReportData, text: Text, settings: ReportSettings) -> Document:
    document = new_document("monthly", data, text, settings)
    if not data.has_data:
        return add_empty_notice(document, text).numbered()
    _about(document.section(text("about.title")), data, text)
    _fleet(document.section(text("fleet.title")), data, text, settings)
    devices = document.section(text("devices.title"))
    chart_text = Text(charts.chart_language(text.lang), text.period)
    for info in data.devices:
        _device(devices.sub(device_heading(info, text)), info, data, text, chart_text)
    _findings(document.section(text("findings.title")), data, text, settings)
    return document.numbered()


def _about(section: Section, data: ReportData, text: Text) -> None:
    section.add(
        Paragraph(text("about.scope", devices=len(data.devices), period=text.period_text())),
        Paragraph(text("about.availability")),
        Paragraph(text("about.upgrades")),
        Paragraph(text("about.interval", samples=data.total_samples)),
    )


def device_problems(
    info: DeviceInfo, data: ReportData, text: Text, settings: ReportSettings
) -> list[str]:
    """Short phrases for the "devices with problems" table (empty: the device is fine)."""
    health = data.health.get(info.name)
    mine = data.for_device(info.name)
    problems = []
    if health is None or not health.samples:
        problems.append(text("problem.not_polled"))
    else:
        if health.availability is not None and health.availability < 1:
            problems.append(
                text("problem.availability", value=text.availability(health.availability))
            )
        if health.cpu_max is not None and health.cpu_max >= HIGH_CPU:
            problems.append(text("problem.cpu", value=text.pct(health.cpu_max)))
    if mine.outages:
        problems.append(text("problem.outages", count=len(mine.outages)))
    for component in sorted({(fault.kind, fault.name) for fault in mine.faults}):
        problems.append(text("problem.fault", component=text.component(*component)))
    if mine.interfaces:
        problems.append(text("problem.interfaces", count=len(mine.interfaces)))
    if mine.drift:
        problems.append(text("problem.drift"))
    still_open = [e for e in data.events_open if e.device == info.name]
    if still_open:
        problems.append(text("problem.open_events", count=len(still_open)))
    return problems


def _fleet(section: Section, data: ReportData, text: Text, settings: ReportSettings) -> None:
    counts = Counter((info.vendor, info.kind) for info in data.devices)
    rows = [
        (text.vendor(vendor), text.kind(kind), str(count))
        for (vendor, kind), count in sorted(counts.items())
    ]
    rows.append((text("fleet.total"), "", str(len(data.devices))))
    section.add(
        Table(
            (text("fleet.vendor"), text("fleet.kind"), text("fleet.count")),
            tuple(rows),
            caption=text("fleet.by_vendor"),
        )
    )
    approved = sum(1 for change in data.config_changes if change.approved)
    figures = (
        (text("fleet.devices"), str(len(data.devices))),
        (text("fleet.samples"), str(data.total_samples)),
        (text("fleet.availability"), text.availability(data.fleet_availability)),
        (text("fleet.outages"), str(len(data.outages))),
        (text("fleet.faults"), str(len(data.faults))),
        (
            text("fleet.changes"),
            text(
                "fleet.changes_value",
                total=len(data.config_changes),
                approved=approved,
                unapproved=len(data.config_changes) - approved,
            ),
        ),
        (text("fleet.upgrades"), str(len(data.upgrades))),
        (text("fleet.alerts"), str(len(data.events))),
    )
    section.add(
        Table((text("fleet.metric"), text("fleet.value")), figures, caption=text("fleet.figures"))
    )
    polled = [
        (name, health.availability)
        for name, health in sorted(data.health.items())
        if health.availability is not None
    ]
    if polled:
        chart_text = Text(charts.chart_language(text.lang), text.period)
        section.add(
            Chart(
                charts.availability_chart(polled, chart_text("chart.availability_axis")),
                caption=text("chart.availability"),
                points=len(polled),
            )
        )
    problem_rows = []
    for info in data.devices:
        problems = device_problems(info, data, text, settings)
        if problems:
            problem_rows.append((info.name, text("list.sep").join(problems)))
    if problem_rows:
        section.add(
            Table(
                (text("events.device"), text("fleet.problem")),
                tuple(problem_rows),
                caption=text("fleet.problems"),
            )
        )
    else:
        section.add(Paragraph(text("fleet.no_problems")))


def _components_text(statuses: list[tuple[str, str]], text: Text) -> str:
    if not statuses:
        return text("device.components_none")
    bad = [f"{name} {text.component_status(status)}" for name, status in statuses if status != "ok"]
    if not bad:
        return text("device.components_ok", count=len(statuses))
    return text("device.components_bad", count=len(statuses), bad=", ".join(bad))


def _device(
    section: Section, info: DeviceInfo, data: ReportData, text: Text, chart_text: Text
) -> None:
    health = data.health.get(info.name)
    mine = data.for_device(info.name)
    rows: list[tuple[str, str]] = [
        (text("device.kind"), text.kind(info.kind)),
        (text("device.site"), info.site),
        (
            text("device.services"),
            text("list.sep").join(text.service(code) for code in info.services),
        ),
    ]
    if health is None or not health.samples:
        rows.append((text("device.availability"), text("not_polled")))
    else:
        rows += [
            (
                text("device.availability"),
                text(
                    "device.availability_value",
                    value=text.availability(health.availability),
                    samples=health.samples,
                    down=health.samples - health.reachable_samples,
                ),
            ),
            (
                text("device.cpu"),
                text("device.avg_max", avg=text.pct(health.cpu_avg), max=text.pct(health.cpu_max)),
            ),
            (
                text("device.memory"),
                text(
                    "device.avg_max",
                    avg=text.pct(health.memory_avg),
                    max=text.pct(health.memory_max),
                ),
            ),
            (
                text("device.temperature"),
                text("dash")
                if health.temperature_max is None
                else text("device.temperature_value", value=f"{health.temperature_max:.0f}"),
            ),
        ]
        for kind, label in (("fan", "device.fans"), ("psu", "device.psus")):
            statuses = [(c.name, c.status) for c in health.components if c.kind == kind]
            rows.append((text(label), _components_text(statuses, text)))
    section.add(Table((text("device.item"), text("device.result")), tuple(rows)))
    if health is not None and any(point.cpu_avg is not None for point in health.daily):
        labels = {
            key: chart_text(f"chart.{key}")
            for key in ("cpu_avg", "cpu_max", "memory_avg", "usage_axis")
        }
        section.add(
            Chart(
                charts.trend_chart(health.daily, labels),
                caption=text("chart.trend", device=info.name),
                width_cm=14.0,
                points=charts.trend_points(health.daily),
            )
        )
    nothing: list[str] = []
    if mine.interfaces:
        section.add(
            Table(
                (
                    text("interfaces.name"),
                    text("interfaces.down"),
                    text("interfaces.errors"),
                    text("interfaces.discards"),
                ),
                tuple(
                    (p.name, str(p.down_samples), str(p.errors_added), str(p.discards_added))
                    for p in mine.interfaces
                ),
                caption=text("interfaces.caption"),
            )
        )
    else:
        nothing.append(text("device.item.interfaces"))
    events = event_rows(mine.events, mine.outages, data, text)
    if events:
        section.add(events_table(events, text))
    else:
        nothing.append(text("device.item.events"))
    if mine.config_changes:
        section.add(changes_table(mine.config_changes, text, with_device=False))
    else:
        nothing.append(text("device.item.changes"))
    if mine.signatures:
        section.add(
            Table(
                (
                    text("signatures.library"),
                    text("signatures.version"),
                    text("signatures.release"),
                    text("signatures.updated"),
                    text("signatures.age"),
                ),
                tuple(
                    (
                        text.library(row.library),
                        row.version,
                        text.date(row.release_date),
                        text.date(row.updated_at),
                        str(row.age_days),
                    )
                    for row in mine.signatures
                ),
                caption=text("signatures.caption"),
            )
        )
    elif info.has_service("SIG"):
        nothing.append(text("device.item.signatures"))
    if mine.licences:
        section.add(
            Table(
                (text("licences.feature"), text("licences.expires"), text("licences.days_left")),
                tuple(
                    (
                        row.feature,
                        text("perpetual") if row.expires_on is None else text.date(row.expires_on),
                        text("dash")
                        if row.days_left is None
                        else text("expired")
                        if row.days_left < 0
                        else str(row.days_left),
                    )
                    for row in mine.licences
                ),
                caption=text("licences.caption"),
            )
        )
    else:
        nothing.append(text("device.item.licences"))
    if nothing:
        section.add(
            Paragraph(text("device.nothing", items=text("list.sep").join(nothing)), style="note")
        )


def findings(data: ReportData, text: Text, settings: ReportSettings) -> tuple[list[str], list[str]]:
    """What the data says needs attention, and what to do about it (in that order)."""
    found: list[str] = []
    advice: list[str] = []

    def note(lines: list[str], advice_key: str, **values: object) -> None:
        if lines:
            found.extend(lines)
            advice.append(text(advice_key, **values))

    signature_devices = {info.name for info in data.devices if info.has_service("SIG")}
    rules = settings.staleness()

    def stale(library: str, age_days: int) -> bool:
        limit = rules.limit(library_kind(library))
        return limit is not None and age_days > limit.days

    note(
        [
            text(
                "finding.stale",
                device=row.device,
                library=text.library(row.library),
                age=row.age_days,
                version=row.version,
            )
            for row in data.signatures
            if row.device in signature_devices
            and not row.software
            and stale(row.library, row.age_days)
        ],
        "advice.stale",
        limits=", ".join(f"{kind} {days:g}" for kind, days in sorted(rules.library_days.items())),
    )
    licence_lines = []
    for row in data.licences:
        if row.days_left is None or row.expires_on is None:
            continue
        if row.days_left < 0:
            licence_lines.append(
                text(
                    "finding.licence_expired",
                    device=row.device,
                    feature=row.feature,
                    date=text.date(row.expires_on),
                )
            )
        elif row.days_left <= settings.licence_warning_days:
            licence_lines.append(
                text(
                    "finding.licence_soon",
                    device=row.device,
                    feature=row.feature,
                    date=text.date(row.expires_on),
                    days=row.days_left,
                )
            )
    note(licence_lines, "advice.licence")
    note(
        [
            text(
                "finding.drift",
                device=d.device,
                sequence=d.sequence,
                time=text.time(d.collected_at),
            )
            for d in data.drift
        ],
        "advice.drift",
    )
    episodes = Counter((fault.device, fault.kind, fault.name) for fault in data.faults)
    fault_lines = [
        text(
            "finding.recurring_fault",
            device=device,
            component=text.component(kind, name),
            count=count,
        )
        for (device, kind, name), count in sorted(episodes.items())
        if count >= RECURRING
    ]
    fault_lines += [
        text(
            "finding.fault_open",
            device=fault.device,
            component=text.component(fault.kind, fault.name),
        )
        for fault in data.faults
        if fault.cleared_at is None
    ]
    note(fault_lines, "advice.fault")
    availability_lines = []
    outages_by_device = Counter(outage.device for outage in data.outages)
    for device, count in sorted(outages_by_device.items()):
        if count >= RECURRING:
            total = sum(
                (o.duration(data.until) for o in data.outages if o.device == device),
                start=data.period.end - data.period.end,
            )
            availability_lines.append(
                text(
                    "finding.recurring_outage",
                    device=device,
                    count=count,
                    duration=text.duration(total),
                )
            )
    for name, health in sorted(data.health.items()):
        if health.availability is not None and health.availability < LOW_AVAILABILITY:
            availability_lines.append(
                text(
                    "finding.low_availability",
                    device=name,
                    value=text.availability(health.availability),
                )
            )
    note(availability_lines, "advice.availability")
    note(
        [
            text("finding.cpu", device=name, peak=text.pct(h.cpu_max), avg=text.pct(h.cpu_avg))
            for name, h in sorted(data.health.items())
            if h.cpu_max is not None and h.cpu_max >= HIGH_CPU
        ],
        "advice.cpu",
    )
    note(
        [
            text(
                "finding.interfaces",
                device=p.device,
                name=p.name,
                down=p.down_samples,
                errors=p.errors_added,
            )
            for p in data.interfaces
        ],
        "advice.interfaces",
    )
    note(
        [
            text("finding.not_polled", device=info.name)
            for info in data.devices
            if info.name not in data.health or not data.health[info.name].samples
        ],
        "advice.not_polled",
    )
    return found, advice


def _findings(section: Section, data: ReportData, text: Text, settings: ReportSettings) -> None:
    found, advice = findings(data, text, settings)
    if not found:
        section.add(Paragraph(text("findings.none")))
        return
    section.sub(text("findings.found")).add(BulletList(tuple(found)))
    section.sub(text("findings.advice")).add(BulletList(tuple(advice)))
