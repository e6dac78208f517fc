"""《值守日报》: the daily duty report.

The last 24 hours (or the given day): what was down and for how long, the uplinks that went
down (``agent.reports.uplinks``, the same ports the monthly report's interface findings
name), alerts raised and closed, configuration changes, upgrades seen, and everything still
open at the end.
"""

from __future__ import annotations

from agent.reports.common import (
    add_empty_notice,
    changes_table,
    fault_headers,
    fault_row,
    new_document,
    rollback_figure,
    upgrade_headers,
    upgrade_row,
)
from agent.reports.data import ReportData
from agent.reports.document import Document, Paragraph, Table
from agent.reports.event_text import event_text
from agent.reports.exclusions import add_exclusions
from agent.reports.findings import KINDS
from agent.reports.records import add_records_section
from agent.reports.settings import ReportSettings
from agent.reports.text import Text
from agent.reports.uplinks import add_uplinks


def build(data: ReportData, text: Text, settings: ReportSettings) -> Document:
    document = new_document("daily", data, text, settings)
    if not data.has_data and not any(not e.informational for e in data.events_open):
        return add_empty_notice(document, text).numbered()
    end = data.until
    open_outages = [outage for outage in data.outages if outage.end is None]
    open_faults = [fault for fault in data.faults if fault.cleared_at is None]
    # Informational events (a first configuration, an upgrade) are facts, not open items.
    open_events = [event for event in data.events_open if not event.informational]
    open_uplinks = [row for row in data.uplinks_down if row.still_down]
    open_count = len(open_events) + len(open_outages) + len(open_faults) + len(open_uplinks)

    summary = (
        (text("daily.devices"), str(len(data.devices))),
        (text("daily.availability"), text.availability(data.fleet_availability)),
        (text("daily.outages"), str(len(data.outages))),
        (text("daily.uplinks"), str(len(data.uplinks_down))),
        (text("daily.raised"), str(len(data.events))),
        (text("daily.cleared"), str(len(data.events_closed))),
        (text("daily.changes"), str(len(data.config_changes))),
        (text("daily.upgrades"), str(len(data.upgrades))),
        *rollback_figure(data.upgrades, text),
        (text("daily.open"), str(open_count)),
    )
    document.section(text("daily.summary")).add(
        Table((text("fleet.metric"), text("fleet.value")), summary)
    )

    down = document.section(text("daily.down.title"))
    if data.outages:
        down.add(
            Table(
                (
                    text("events.device"),
                    text("daily.down.start"),
                    text("daily.down.end"),
                    text("events.duration"),
                ),
                tuple(
                    (
                        outage.device,
                        text.time(outage.start),
                        text.time(outage.end) if outage.end else text("still_down"),
                        text.duration(outage.duration(end)),
                    )
                    for outage in data.outages
                ),
            )
        )
    else:
        down.add(Paragraph(text("daily.down.none")))
    add_exclusions(down, data, text)
    add_uplinks(document.section(text("uplinks.title")), data.uplinks_down, text)

    alerts = document.section(text("daily.alerts.title"))
    raised = alerts.sub(text("daily.alerts.raised"))
    if data.events:
        raised.add(
            Table(
                (
                    text("events.time"),
                    text("events.device"),
                    text("events.severity"),
                    text("events.what"),
                    text("events.state"),
                ),
                tuple(
                    (
                        text.time(event.occurred_at),
                        event.device or text("dash"),
                        text.severity(event.severity),
                        event_text(text, event.kind, event.details),
                        text("event.recorded")
                        if event.informational
                        else text.event_state(
                            "closed" if event.closed_before(end) else event.state
                        ),
                    )
                    for event in data.events
                ),
            )
        )
    else:
        raised.add(Paragraph(text("daily.alerts.none")))
    cleared = alerts.sub(text("daily.alerts.cleared"))
    if data.events_closed:
        cleared.add(
            Table(
                (
                    text("events.closed_at"),
                    text("events.device"),
                    text("events.what"),
                    text("events.duration"),
                ),
                tuple(
                    (
                        text.time(event.closed_at),
                        event.device or text("dash"),
                        event_text(text, event.kind, event.details),
                        text.duration(event.duration(end)),
                    )
                    for event in data.events_closed
                ),
            )
        )
    else:
        cleared.add(Paragraph(text("daily.alerts.none_cleared")))

    changes = document.section(text("daily.changes.title"))
    if data.config_changes:
        changes.add(changes_table(data.config_changes, text, with_device=True))
    else:
        changes.add(Paragraph(text("daily.changes.none")))

    upgrades = document.section(text("daily.upgrades.title"))
    if data.upgrades:
        upgrades.add(
            Table(
                (text("events.device"), *upgrade_headers(text)),
                tuple((u.device, *upgrade_row(u, text)) for u in data.upgrades),
            )
        )
    else:
        upgrades.add(Paragraph(text("daily.upgrades.none")))

    still_open = document.section(text("daily.open.title"))
    rows = [
        (
            event.device or text("dash"),
            text.severity(event.severity),
            event_text(text, event.kind, event.details),
            text.time(event.occurred_at),
            text.duration(event.duration(end)),
        )
        for event in open_events
    ]
    rows += [
        (
            outage.device,
            text.severity("major"),
            text("daily.open.down", since=text.time(outage.start)),
            text.time(outage.start),
            text.duration(outage.duration(end)),
        )
        for outage in open_outages
    ]
    rows += [
        (
            row.port.device,
            text.severity(KINDS["interfaces"][0]),  # as severe as the monthly's finding
            text("daily.open.uplink", interface=row.port.name, since=text.time(row.first_hour)),
            text.time(row.first_hour),
            text.duration(end - row.first_hour) if row.first_hour else text("dash"),
        )
        for row in open_uplinks
    ]
    if open_faults:
        still_open.add(
            Table(fault_headers(text), tuple(fault_row(f, data, text) for f in open_faults))
        )
    if rows:
        still_open.add(
            Table(
                (
                    text("events.device"),
                    text("events.severity"),
                    text("events.what"),
                    text("daily.open.since"),
                    text("events.duration"),
                ),
                tuple(rows),
            )
        )
    if not rows and not open_faults:
        still_open.add(Paragraph(text("daily.open.none")))

    add_records_section(document, data, text)
    return document.numbered()
