"""《工作总结》: the work summary the contractor hands in for acceptance (March..November, in
December) and the annual one (``--year``, in January).

Figures come from ``summary_data.load_summary_data`` (one query-layer pass per month). The
document reads: what it covers and the service levels; the main findings, each sentence
citing the table it comes from; the months side by side; then one section per theme
(availability per device and site, incidents with response and resolution against the
targets, alerts, configuration changes and approvals, signature and licence upgrades against
the maintenance scope, hardware faults and repairs, engineers' records); the sources of
every table; the sign-off.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence

from agent.reports.common import add_empty_notice, change_label, new_document, upgrade_item
from agent.reports.data import ConfigChangeRow, RecordRow, ReportData
from agent.reports.document import BulletList, Document, Paragraph, Section, Table
from agent.reports.lang.summary import STRINGS
from agent.reports.period import Period
from agent.reports.records import (
    arrival_verdict,
    incidents_table,
    records_table,
    response_verdict,
)
from agent.reports.settings import ReportSettings
from agent.reports.summary_data import Incident, SummaryData
from agent.reports.text import Text
from agent.store.models import SEVERITIES
from collectors.library_kinds import library_kind
from collectors.signatures.staleness import StalenessRules, library_stale

SEVERITY_ORDER = tuple(reversed(SEVERITIES))  # critical first


class SummaryText(Text):
    """The language's strings with the summary's own laid over them."""

    def __init__(self, lang: str, period: Period) -> None:
        super().__init__(lang, period)
        self._strings = {**self._strings, **STRINGS[lang]}


class Tables:
    """Numbers the tables in the order they are made, so sentences can cite them."""

    def __init__(self, text: Text) -> None:
        self.text = text
        self.numbers: dict[str, int] = {}
        self.sources: list[tuple[int, str, str]] = []  # number, title, source

    def make(
        self, key: str, source: str, headers: Sequence[str], rows: Sequence[tuple[str, ...]]
    ) -> Table:
        number = len(self.numbers) + 1
        self.numbers[key] = number
        title = self.text(f"t.{key}")
        self.sources.append((number, title, self.text(f"src.{source}")))
        return Table(
            tuple(headers),
            tuple(rows),
            caption=self.text("table.caption", n=number, title=title),
        )

    def cite(self, *keys: str) -> str:
        numbers = [self.numbers[key] for key in keys if key in self.numbers]
        if len(numbers) >= 2:
            return self.text("cite.two", a=numbers[0], b=numbers[1])
        return self.text("cite", n=numbers[0]) if numbers else ""


def build_summary(data: SummaryData, lang: str, settings: ReportSettings) -> Document:
    text = SummaryText(lang, data.period)
    document = new_document("summary", data.last, text, settings, data.period)
    if data.period.kind == "year":
        document.title = text("title.summary.year")
    if not data.has_data:
        add_empty_notice(document, text)
        return document.numbered()
    tables = Tables(text)
    _about(document.section(text("s.about")), data, text)
    # The findings come first for the reader but cite tables made below: filled in last.
    claims = document.section(text("s.claims"))
    _months(document.section(text("s.months")), data, text, tables, settings)
    _availability(document.section(text("s.availability")), data, text, tables)
    _incidents(document.section(text("s.incidents")), data, text, tables)
    _alerts(document.section(text("s.alerts")), data, text, tables)
    _changes(document.section(text("s.changes")), data, text, tables)
    _upgrades(document.section(text("s.upgrades")), data, text, tables, settings)
    _faults(document.section(text("s.faults")), data, text, tables)
    _records(document.section(text("s.records")), data, text, tables)
    claims.add(BulletList(tuple(findings(data, text, tables, settings))))
    document.section(text("s.sources")).add(
        Table(
            (text("col.table"), text("col.content"), text("col.source")),
            tuple((str(n), title, source) for n, title, source in tables.sources),
            caption=text("t.sources"),
        )
    )
    return document.numbered()


# --- figures shared by the findings and the tables ------------------------------------------


def _signature_devices(data: SummaryData) -> list[str]:
    return [info.name for info in data.devices if info.has_service("SIG")]


def _stale_libraries(
    month: ReportData, device: str, as_of: dt.datetime, rules: StalenessRules
) -> list[str]:
    """The device's libraries older than their limit at the month's end (or ``as_of``)."""
    day = month.period.local(min(as_of, month.period.end) - dt.timedelta(microseconds=1)).date()
    return [
        row.library
        for row in month.signatures
        if row.device == device
        and not row.software
        and library_stale(library_kind(row.library), row.release_date, day, rules, device)
    ]


def _signature_upgrades(data: ReportData, device: str | None = None) -> int:
    """Library updates (a rollback to an older version is not one)."""
    return sum(
        1
        for row in data.upgrades
        if row.category == "signature" and row.upgrade and (device is None or row.device == device)
    )


def _months_updated(data: SummaryData, device: str) -> int:
    return sum(1 for month in data.months if _signature_upgrades(month.data, device))


def _incident_counts(incidents: Sequence[Incident]) -> dict[str, int]:
    return {
        "count": len(incidents),
        "down": sum(1 for i in incidents if i.category == "down"),
        "hardware": sum(1 for i in incidents if i.category == "hardware"),
        "reported": sum(1 for i in incidents if i.category == "reported"),
        "met": sum(1 for i in incidents if i.response_met),
        "unrecorded": sum(1 for i in incidents if i.record is None),
        "recovered": sum(1 for i in incidents if i.recovered_in_time),
        "open": sum(1 for i in incidents if i.end is None),
    }


def _in_month(incidents: Sequence[Incident], month: ReportData) -> list[Incident]:
    period = month.period
    return [i for i in incidents if period.start <= i.start < period.end]


def _outage_time(data: SummaryData, device: str | None = None) -> dt.timedelta:
    return sum(
        (
            outage.duration(data.as_of)
            for outage in data.outages
            if device is None or outage.device == device
        ),
        dt.timedelta(),
    )


def _changes_text(text: Text, changes: Sequence[ConfigChangeRow]) -> str:
    approved = sum(1 for change in changes if change.approved)
    return text(
        "fleet.changes_value",
        total=len(changes),
        approved=approved,
        unapproved=len(changes) - approved,
    )


def _ratio_text(text: Text, part: int, whole: int) -> str:
    return text("ratio", a=part, b=whole)


# --- sections --------------------------------------------------------------------------------


def _about(section: Section, data: SummaryData, text: Text) -> None:
    section.add(
        Paragraph(
            text(
                "s.about.scope",
                devices=len(data.devices),
                period=text.period_text(),
                months=len(data.months),
                generated=text.time(data.generated_at),
            )
        ),
        Paragraph(text("s.about.source")),
        Paragraph(text("s.about.targets")),
    )


def _months(
    section: Section, data: SummaryData, text: Text, tables: Tables, settings: ReportSettings
) -> None:
    in_scope = _signature_devices(data)
    rows = []
    for month in data.months:
        figures = month.data
        updated = sum(1 for name in in_scope if _signature_upgrades(figures, name))
        rows.append(
            (
                month.label,
                text.availability(figures.fleet_availability),
                str(len(figures.outages)),
                str(len(_in_month(data.incidents, figures))),
                str(len(figures.events)),
                _changes_text(text, figures.config_changes),
                str(_signature_upgrades(figures)),
                _ratio_text(text, updated, len(in_scope)),
                str(len(figures.faults)),
                str(sum(1 for row in figures.records if _begun_in(row, figures))),
            )
        )
    every = sum(1 for name in in_scope if _months_updated(data, name) == len(data.months))
    rows.append(
        (
            text("whole"),
            text.availability(data.availability(info.name for info in data.devices)),
            str(len(data.outages)),
            str(len(data.incidents)),
            str(len(data.events)),
            _changes_text(text, data.config_changes),
            str(sum(_signature_upgrades(m.data) for m in data.months)),
            _ratio_text(text, every, len(in_scope)),
            str(len(data.faults)),
            str(len(data.records)),
        )
    )
    headers = (
        text("month"),
        text("col.availability"),
        text("col.outages"),
        text("col.incidents"),
        text("col.alerts"),
        text("col.changes"),
        text("col.sig_upgrades"),
        text("col.sig_devices"),
        text("col.faults"),
        text("col.records"),
    )
    section.add(tables.make("months", "months", headers, rows))


def _availability(section: Section, data: SummaryData, text: Text, tables: Tables) -> None:
    section.add(Paragraph(text("s.availability.note")))
    rows = []
    for info in data.devices:
        monthly = [
            (month.availability([info.name]), month.label)
            for month in data.months
            if month.availability([info.name]) is not None
        ]
        lowest = min(monthly, key=lambda pair: pair[0]) if monthly else None  # type: ignore[arg-type,return-value]
        rows.append(
            (
                info.name,
                info.site_label,
                text.availability(data.availability([info.name])),
                # Only a month below 100% is worth naming.
                text("dash")
                if lowest is None or lowest[0] >= 1
                else f"{lowest[1]}: {text.availability(lowest[0])}",
                str(sum(1 for outage in data.outages if outage.device == info.name)),
                text.duration(_outage_time(data, info.name)),
            )
        )
    section.add(
        tables.make(
            "device_availability",
            "availability",
            (
                text("col.device"),
                text("col.site"),
                text("col.availability"),
                text("col.lowest"),
                text("col.outages"),
                text("col.outage_time"),
            ),
            rows,
        )
    )
    sites = data.sites()
    site_rows = [
        (month.label, *(text.availability(month.availability(names)) for names in sites.values()))
        for month in data.months
    ]
    site_rows.append(
        (text("whole"), *(text.availability(data.availability(names)) for names in sites.values()))
    )
    section.add(
        tables.make(
            "site_availability",
            "availability",
            (text("month"), *(data.site_label(site) for site in sites)),
            site_rows,
        )
    )
    if not data.outages:
        section.add(Paragraph(text("no_outages")))
        return
    section.add(
        tables.make(
            "outages",
            "outages",
            (
                text("col.device"),
                text("col.start"),
                text("col.end"),
                text("col.duration"),
                text("col.failed_polls"),
            ),
            [
                (
                    outage.device,
                    text.time(outage.start),
                    text.time(outage.end) if outage.end else text("still_down"),
                    text.duration(outage.duration(data.as_of)),
                    str(outage.failed_samples),
                )
                for outage in data.outages
            ],
        )
    )


def _incident_what(text: Text, incident: Incident) -> str:
    if incident.component is not None:
        return text.component(*incident.component)
    if incident.category == "down":
        return text("incident.down", polls=incident.failed_polls)
    assert incident.record is not None  # a "reported" incident is its record
    return incident.record.summary


def _incidents(section: Section, data: SummaryData, text: Text, tables: Tables) -> None:
    section.add(Paragraph(text("s.incidents.note")))
    headers = (
        text("month"),
        text("col.incidents"),
        text("col.responded"),
        text("col.unrecorded"),
        text("col.recovered"),
        text("col.open"),
    )

    def row(label: str, incidents: Sequence[Incident]) -> tuple[str, ...]:
        counts = _incident_counts(incidents)
        return (
            label,
            str(counts["count"]),
            str(counts["met"]),
            str(counts["unrecorded"]),
            str(counts["recovered"]),
            str(counts["open"]),
        )

    rows = [row(m.label, _in_month(data.incidents, m.data)) for m in data.months]
    rows.append(row(text("whole"), data.incidents))
    section.add(tables.make("incident_months", "incidents", headers, rows))
    if not data.incidents:
        section.add(Paragraph(text("no_incidents")))
        return
    not_recorded = text("no_record")

    def duration(incident: Incident) -> str:
        spent = text.duration(incident.duration)
        return spent if incident.end is not None else text("records.unresolved", duration=spent)

    section.add(
        tables.make(
            "incidents",
            "incidents",
            (
                text("col.device"),
                text("col.start"),
                text("col.category"),
                text("col.what"),
                text("col.duration"),
                text("col.response"),
                text("col.arrival"),
                text("col.record"),
            ),
            [
                (
                    incident.device or text("dash"),
                    text.time(incident.start),
                    text(f"category.{incident.category}"),
                    _incident_what(text, incident),
                    duration(incident),
                    # The engineer's record says when they responded and arrived; nothing
                    # else does, so without one the document says so rather than guess.
                    not_recorded
                    if incident.record is None
                    else response_verdict(incident.record, text),
                    not_recorded
                    if incident.record is None
                    else arrival_verdict(incident.record, text),
                    text("dash") if incident.record is None else str(incident.record.id),
                )
                for incident in data.incidents
            ],
        )
    )


def _alerts(section: Section, data: SummaryData, text: Text, tables: Tables) -> None:
    headers = (text("month"), *(text.severity(s) for s in SEVERITY_ORDER), text("col.total"))

    def row(label: str, events: Sequence[object]) -> tuple[str, ...]:
        counts = Counter(getattr(event, "severity", "") for event in events)
        return (label, *(str(counts.get(s, 0)) for s in SEVERITY_ORDER), str(len(events)))

    rows = [row(m.label, m.data.events) for m in data.months]
    rows.append(row(text("whole"), data.events))
    section.add(tables.make("alerts", "alerts", headers, rows))


def _changes(section: Section, data: SummaryData, text: Text, tables: Tables) -> None:
    def row(label: str, changes: Sequence[object]) -> tuple[str, ...]:
        approved = sum(1 for change in changes if getattr(change, "approved", False))
        return (label, str(len(changes)), str(approved), str(len(changes) - approved))

    rows = [row(m.label, m.data.config_changes) for m in data.months]
    rows.append(row(text("whole"), data.config_changes))
    section.add(
        tables.make(
            "changes",
            "changes",
            (text("month"), text("col.total"), text("col.approved"), text("col.unapproved")),
            rows,
        )
    )
    unapproved = [change for change in data.config_changes if not change.approved]
    if unapproved:
        section.add(
            tables.make(
                "unapproved",
                "changes",
                (text("col.device"), text("col.version"), text("col.collected"), text("col.lines")),
                [
                    (
                        change.device,
                        f"v{change.sequence}",
                        text.time(change.collected_at),
                        text("lines", added=change.lines_added, removed=change.lines_removed),
                    )
                    for change in unapproved
                ],
            )
        )
    else:
        section.add(Paragraph(text("no_unapproved")))
    if data.drift:
        names = text("list.sep").join(row.device for row in data.drift)
        section.add(Paragraph(text("drift", devices=names), style="warning"))


def _rules_text(text: Text, rules: StalenessRules) -> str:
    return text("list.sep").join(
        text("rule", kind=text.library(kind), days=f"{days:g}")
        for kind, days in sorted(rules.library_days.items())
    )


def _upgrades(
    section: Section, data: SummaryData, text: Text, tables: Tables, settings: ReportSettings
) -> None:
    rules = settings.staleness()
    in_scope = set(_signature_devices(data))
    section.add(
        Paragraph(text("s.upgrades.scope", devices=len(in_scope), rules=_rules_text(text, rules)))
    )
    rows = []
    for info in data.devices:
        if info.name not in in_scope:
            continue
        libraries = sorted(
            {row.library for row in data.signatures if row.device == info.name and not row.software}
        )
        mine = [u for u in data.upgrades if u.device == info.name and u.category == "signature"]
        updates = [u for u in mine if u.upgrade]
        # The libraries' names in the document's language: a key such as "av" is English.
        stale = [
            text.library(name)
            for name in _stale_libraries(data.last, info.name, data.generated_at, rules)
        ]
        rows.append(
            (
                info.name,
                info.model,
                text("list.sep").join(map(text.library, libraries)) or text("dash"),
                _updates_text(text, len(updates), len(mine) - len(updates)),
                _ratio_text(text, _months_updated(data, info.name), len(data.months)),
                text.date(max(u.at for u in updates)) if updates else text("dash"),
                text("list.sep").join(stale) or text("none"),
            )
        )
    section.add(
        tables.make(
            "signature_devices",
            "signatures",
            (
                text("col.device"),
                text("col.model"),
                text("col.libraries"),
                text("col.upgrades"),
                text("col.months_updated"),
                text("col.last_update"),
                text("col.stale"),
            ),
            rows,
        )
    )
    # Besides software and licences, every rollback is listed one by one: the reader must
    # see which library went back, when and from which version.
    others = [u for u in data.upgrades if u.category != "signature" or u.rollback]
    if not others:
        section.add(Paragraph(text("no_other_upgrades")))
        return
    section.add(
        tables.make(
            "other_upgrades",
            "upgrades",
            (
                text("col.device"),
                text("col.date"),
                text("col.kind"),
                text("col.item"),
                text("col.from"),
                text("col.to"),
            ),
            [
                (
                    u.device,
                    text.date(u.at),
                    change_label(u, text),
                    upgrade_item(u, text),
                    u.from_value,
                    u.to_value,
                )
                for u in sorted(others, key=lambda u: (u.at, u.device))
            ],
        )
    )


def _updates_text(text: Text, updates: int, rollbacks: int) -> str:
    """A device's library updates, and its rollbacks beside them (never added to them)."""
    if rollbacks:
        return text("updates_and_rollbacks", updates=updates, rollbacks=rollbacks)
    return str(updates)


def _faults(section: Section, data: SummaryData, text: Text, tables: Tables) -> None:
    if not data.faults:
        section.add(Paragraph(text("no_faults")))
    else:
        section.add(
            tables.make(
                "faults",
                "faults",
                (
                    text("col.device"),
                    text("col.component"),
                    text("col.first"),
                    text("col.cleared"),
                    text("col.duration"),
                ),
                [
                    (
                        fault.device,
                        text.component(fault.kind, fault.name),
                        text.time(fault.first_failed),
                        text.time(fault.cleared_at) if fault.cleared_at else text("not_cleared"),
                        text.duration((fault.cleared_at or data.as_of) - fault.first_failed),
                    )
                    for fault in data.faults
                ],
            )
        )


def _begun_in(row: RecordRow, figures: ReportData) -> bool:
    return figures.period.start <= row.begun_at < figures.period.end


def _records(section: Section, data: SummaryData, text: Text, tables: Tables) -> None:
    """What engineers entered (``netmon record``): every record, then the incidents with
    their response and on-site arrival against the contract's targets."""
    records = data.records
    if not records:
        section.add(Paragraph(text("no_records")))
        return
    listing = records_table(records, text)
    section.add(tables.make("records", "records", listing.headers, listing.rows))
    incidents = [row for row in records if row.kind == "incident"]
    if incidents:
        until = min(data.generated_at, data.period.end)
        times = incidents_table(incidents, text, until)
        section.add(
            Paragraph(text("records.targets")),
            tables.make("record_incidents", "records", times.headers, times.rows),
        )


# --- findings --------------------------------------------------------------------------------


def findings(data: SummaryData, text: Text, tables: Tables, settings: ReportSettings) -> list[str]:
    """One sentence per claim, each citing its table."""
    cite: Callable[..., str] = tables.cite
    lines = [
        text(
            "claim.availability",
            value=text.availability(data.availability(i.name for i in data.devices)),
            samples=data.total_samples,
            cite=cite("months", "device_availability"),
        )
    ]
    polled = [
        (ratio, info.name)
        for info in data.devices
        if (ratio := data.availability([info.name])) is not None
    ]
    if polled:
        value, device = min(polled)
        lines.append(
            text(
                "claim.lowest",
                device=device,
                value=text.availability(value),
                cite=cite("device_availability"),
            )
        )
    sites = data.sites()
    if len(sites) > 1:
        lines.append(
            text(
                "claim.sites",
                sites=text("list.sep").join(
                    f"{data.site_label(site)} {text.availability(data.availability(names))}"
                    for site, names in sites.items()
                ),
                cite=cite("site_availability"),
            )
        )
    lines.append(
        text(
            "claim.outages",
            count=len(data.outages),
            duration=text.duration(_outage_time(data)),
            cite=cite("outages") or cite("device_availability"),
        )
    )
    if data.incidents:
        lines.append(
            text(
                "claim.incidents",
                **_incident_counts(data.incidents),
                cite=cite("incident_months", "incidents"),
            )
        )
    else:
        lines.append(text("claim.no_incidents", cite=cite("incident_months")))
    severities = Counter(event.severity for event in data.events)
    lines.append(
        text(
            "claim.alerts",
            count=len(data.events),
            **{s: severities.get(s, 0) for s in SEVERITIES},
            cite=cite("alerts"),
        )
    )
    approved = sum(1 for change in data.config_changes if change.approved)
    lines.append(
        text(
            "claim.changes",
            total=len(data.config_changes),
            approved=approved,
            unapproved=len(data.config_changes) - approved,
            drift=len(data.drift),
            cite=cite("changes", "unapproved"),
        )
    )
    in_scope = _signature_devices(data)
    rules = settings.staleness()
    if in_scope:
        lines.append(
            text(
                "claim.signatures",
                devices=len(in_scope),
                count=sum(_signature_upgrades(m.data) for m in data.months),
                every=sum(
                    1 for name in in_scope if _months_updated(data, name) == len(data.months)
                ),
                stale=sum(
                    1
                    for name in in_scope
                    if _stale_libraries(data.last, name, data.generated_at, rules)
                ),
                cite=cite("signature_devices"),
            )
        )
    else:
        lines.append(text("claim.no_signature_scope", cite=cite("signature_devices")))
    back = [u for u in data.upgrades if u.rollback]
    if back:
        lines.append(
            text(
                "claim.rollbacks",
                count=len(back),
                devices=text("list.sep").join(sorted({u.device for u in back})),
                cite=cite("other_upgrades"),
            )
        )
    kinds = Counter(u.category for u in data.upgrades if not u.rollback)
    lines.append(
        text(
            "claim.other_upgrades",
            software=kinds.get("software", 0),
            licence=kinds.get("licence", 0),
            cite=cite("other_upgrades") or cite("months"),
        )
    )
    lines.append(
        text(
            "claim.faults",
            count=len(data.faults),
            cleared=sum(1 for fault in data.faults if fault.cleared_at is not None),
            repairs=sum(1 for row in data.records if row.kind == "repair"),
            cite=cite("faults", "records") if data.faults else cite("months"),
        )
    )
    lines.append(
        text("claim.records", count=len(data.records), cite=cite("records") or cite("months"))
    )
    return lines
