"""《月巡检报告》: the monthly inspection report.

Summary first (the fleet's figures, the findings in a few lines, the devices with problems),
then the findings grouped per device and kind with what to do, then the appendix: the fleet's
make-up and availability chart, one section per device (availability, CPU / memory with a
trend chart, temperature, fans and power supplies, interfaces, alerts and outages,
configuration changes with approvals, signature libraries, licences), and how the figures
are made.
"""

from __future__ import annotations

from collections import Counter

from agent.reports import charts
from agent.reports import findings as found
from agent.reports.common import (
    add_empty_notice,
    changes_table,
    device_heading,
    event_rows,
    events_table,
    new_document,
    rollback_figure,
)
from agent.reports.data import DeviceInfo, ReportData
from agent.reports.document import BulletList, Chart, Document, Paragraph, Section, Table
from agent.reports.exclusions import add_exclusions
from agent.reports.records import add_records_section
from agent.reports.settings import ReportSettings
from agent.reports.text import Text


def build(data: ReportData, text: Text, settings: ReportSettings) -> Document:
    document = new_document("monthly", data, text, settings)
    if not data.has_data:
        return add_empty_notice(document, text).numbered()
    findings = found.collect(data, text, settings)
    _summary(document.section(text("summary.title")), data, text, findings)
    _findings(document.section(text("findings.title")), text, settings, findings)
    add_records_section(document, data, text)
    appendix = document.section(text("appendix.title"))
    _fleet(appendix.sub(text("appendix.fleet")), data, text)
    devices = appendix.sub(text("devices.title"))
    chart_text = Text(charts.chart_language(text.lang), text.period)
    for info in data.devices:
        _device(devices.sub(device_heading(info, text)), info, data, text, chart_text)
    _about(appendix.sub(text("about.title")), data, text)
    return document.numbered()


def _about(section: Section, data: ReportData, text: Text) -> None:
    section.add(
        Paragraph(text("about.availability")),
        Paragraph(text("about.upgrades")),
        Paragraph(text("about.interval", samples=data.total_samples)),
    )


def device_problems(findings: list[found.Finding], text: Text) -> list[tuple[str, str]]:
    """(device, its problems as "kind (count)" phrases), devices most serious first; a device
    without findings is not listed."""
    phrases: dict[str, list[str]] = {}
    for group in found.grouped(findings):
        phrases.setdefault(group.device, []).append(
            text("findings.problem", kind=text(f"findings.kind.{group.kind}"), count=group.count)
        )
    return [(device, text("list.sep").join(items)) for device, items in phrases.items()]


def _summary(section: Section, data: ReportData, text: Text, findings: list[found.Finding]) -> None:
    section.add(
        Paragraph(text("about.scope", devices=len(data.devices), period=text.period_text()))
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
        *rollback_figure(data.upgrades, text),
        (text("fleet.alerts"), str(len(data.events))),
    )
    section.add(
        Table((text("fleet.metric"), text("fleet.value")), figures, caption=text("fleet.figures"))
    )
    lines = section.sub(text("findings.summary"))
    if not findings:
        lines.add(Paragraph(text("fleet.no_problems")))
        return
    lines.add(BulletList(tuple(found.summary_line(s, text) for s in found.by_kind(findings))))
    sites = {info.name: info.site_label for info in data.devices}
    rows = tuple(
        (device, sites.get(device, text("dash")), problems)
        for device, problems in device_problems(findings, text)
    )
    lines.add(
        Table(
            (text("events.device"), text("device.site"), text("fleet.problem")),
            rows,
            caption=text("fleet.problems_count", count=len(rows), total=len(data.devices)),
        )
    )


def _fleet(section: Section, data: ReportData, text: Text) -> None:
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
    add_exclusions(section, data, text)


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
        (text("device.site"), info.site_label),
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
    unused = data.unused_ports.get(info.name, 0)
    if unused:  # said once as a count: ports down or shut all period are not faults
        section.add(Paragraph(text("interfaces.unused", count=unused)))
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


def _findings(
    section: Section, text: Text, settings: ReportSettings, findings: list[found.Finding]
) -> None:
    if not findings:
        section.add(Paragraph(text("findings.none")))
        return
    rows = tuple(
        (
            group.device,
            text(f"findings.kind.{group.kind}"),
            str(group.count),
            text.severity(group.severity),
            " ".join(group.details),
        )
        for group in found.grouped(findings)
    )
    section.sub(text("findings.details")).add(
        Table(
            (
                text("findings.device"),
                text("findings.kind"),
                text("findings.count"),
                text("findings.severity"),
                text("findings.detail"),
            ),
            rows,
        )
    )
    section.sub(text("findings.advice")).add(
        BulletList(tuple(found.advice(findings, text, settings)))
    )
