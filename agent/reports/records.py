"""Engineers' records (``netmon record``) in the documents: the records of the period, the
incidents timed against the contract's targets, one repair sheet (《安全设备维修单》) per
repair, and the upgrades done by hand.

The contract's targets (service terms): respond within 10 minutes of a request; on site
within 2 hours for a city branch, 4 hours for a suburban one. The inventory does not say
which branch is suburban, so an arrival between 2 and 4 hours is shown as meeting the
suburban target only, never as met or missed outright.
"""

from __future__ import annotations

import datetime as dt

from agent.reports.data import RecordRow, ReportData
from agent.reports.document import Document, Paragraph, Section, Table
from agent.reports.text import Text

RESPONSE_TARGET = dt.timedelta(minutes=10)
CITY_ARRIVAL = dt.timedelta(hours=2)
SUBURBAN_ARRIVAL = dt.timedelta(hours=4)


def _moment(data: ReportData) -> dt.datetime:
    """What "now" is for open records: the generation time, or the period's end if that is
    earlier (a past period's document shows what was open when it ended)."""
    return min(data.generated_at, data.period.end)


def _text_or_dash(value: str | None, text: Text) -> str:
    return value if value else text("dash")


def records_table(records: list[RecordRow], text: Text) -> Table:
    return Table(
        (
            text("records.id"),
            text("records.kind"),
            text("events.device"),
            text("records.engineer"),
            text("records.started"),
            text("records.ended"),
            text("records.summary"),
            text("records.action"),
            text("records.state"),
        ),
        tuple(
            (
                str(r.id),
                text.record_kind(r.kind),
                r.device or text("dash"),
                r.engineer,
                text.time(r.begun_at),
                text.time(r.ended_at),
                r.summary,
                _text_or_dash(r.action, text),
                text.record_state(r.state),
            )
            for r in records
        ),
    )


def response_verdict(incident: RecordRow, text: Text) -> str:
    taken = incident.started_at - incident.begun_at
    key = "records.target.met" if taken <= RESPONSE_TARGET else "records.target.missed"
    return text("records.verdict", duration=text.duration(taken), verdict=text(key))


def arrival_verdict(incident: RecordRow, text: Text) -> str:
    if incident.arrived_at is None:
        return text("records.arrival.none")
    taken = incident.arrived_at - incident.begun_at
    if taken <= CITY_ARRIVAL:
        key = "records.target.met"
    elif taken <= SUBURBAN_ARRIVAL:
        key = "records.arrival.suburban"
    else:
        key = "records.target.missed"
    return text("records.verdict", duration=text.duration(taken), verdict=text(key))


def incidents_table(incidents: list[RecordRow], text: Text, until: dt.datetime) -> Table:
    """One row per incident: when reported, the response and arrival times against the
    targets, and how long it took to resolve (an open one: so far, marked open)."""
    rows = []
    for incident in incidents:
        resolved = incident.resolved_at if incident.resolved_at is not None else until
        handling = text.duration(resolved - incident.begun_at)
        if incident.resolved_at is None:
            handling = text("records.unresolved", duration=handling)
        rows.append(
            (
                str(incident.id),
                incident.device or text("dash"),
                incident.summary,
                text.time(incident.begun_at),
                response_verdict(incident, text),
                arrival_verdict(incident, text),
                handling,
                _text_or_dash(incident.action, text),
            )
        )
    return Table(
        (
            text("records.id"),
            text("events.device"),
            text("records.summary"),
            text("records.reported"),
            text("records.response"),
            text("records.arrival"),
            text("records.handling"),
            text("records.action"),
        ),
        tuple(rows),
    )


def add_records(section: Section, data: ReportData, text: Text, *, none_key: str) -> None:
    """The period's records, incidents with their times against the targets, and the
    incidents still open."""
    until = _moment(data)
    if data.records:
        section.add(records_table(data.records, text))
    else:
        section.add(Paragraph(text(none_key)))
    incidents = [r for r in data.records if r.kind == "incident"]
    if incidents:
        section.sub(text("records.incidents")).add(
            Paragraph(text("records.targets")), incidents_table(incidents, text, until)
        )
    still_open = [r for r in incidents if r.open_at(until)]
    if still_open:
        section.sub(text("records.incidents.open")).add(incidents_table(still_open, text, until))


def add_records_section(document: Document, data: ReportData, text: Text) -> None:
    """For the daily and monthly reports: a section of its own."""
    add_records(document.section(text("records.title")), data, text, none_key="records.none")


def repair_sheets(document: Document, data: ReportData, text: Text, scope: set[str]) -> None:
    """One 《安全设备维修单》 per repair record on a device in ``scope``: what failed, when the
    repair started and ended, what was done, the outcome, who did it, and signatures."""
    repairs = [r for r in data.records if r.kind == "repair" and r.device in scope]
    section = document.section(text("records.repairs"))
    if not repairs:
        section.add(Paragraph(text("records.repairs.none")))
        return
    infos = {info.name: info for info in data.devices}
    for repair in repairs:
        info = infos.get(repair.device or "")
        model = f"{text.vendor(info.vendor)} {info.model}" if info else text("dash")
        site = info.site_label if info else text("dash")
        section.sub(text("records.repair.title", id=repair.id)).add(
            Table(
                (text("records.repair.field"), text("records.repair.value")),
                (
                    (text("records.repair.number"), f"WX-{repair.id:05d}"),
                    (text("events.device"), repair.device or text("dash")),
                    (text("records.repair.model"), model),
                    (text("records.repair.site"), site),
                    (text("records.repair.fault"), repair.summary),
                    (text("records.started"), text.time(repair.started_at)),
                    (text("records.ended"), text.time(repair.ended_at)),
                    (text("records.action"), _text_or_dash(repair.action, text)),
                    (text("records.outcome"), _text_or_dash(repair.outcome, text)),
                    (text("records.engineer"), repair.engineer),
                    (text("records.state"), text.record_state(repair.state)),
                ),
            ),
            Paragraph(text("sign.repair")),
        )


def manual_upgrades(section: Section, data: ReportData, text: Text) -> None:
    """Upgrades engineers did by hand, beside the ones netmon saw."""
    upgrades = [r for r in data.records if r.kind == "upgrade"]
    if upgrades:
        section.add(records_table(upgrades, text))
    else:
        section.add(Paragraph(text("records.upgrades.none")))
