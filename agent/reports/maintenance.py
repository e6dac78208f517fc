"""《网络设备维保/调优记录单》: for the network devices and every device with tuning in
scope, the period's configuration changes (approved ones with who, when, why and a diff
summary; unapproved ones listed apart), hardware faults and when they cleared, and the
maintenance records entered by hand."""

from __future__ import annotations

from dataclasses import replace

from agent.reports.common import (
    add_empty_notice,
    change_summary,
    changes_table,
    fault_headers,
    fault_row,
    new_document,
)
from agent.reports.data import DeviceInfo, ReportData
from agent.reports.document import Document, Paragraph, Table
from agent.reports.records import add_records, repair_sheets
from agent.reports.settings import ReportSettings
from agent.reports.text import Text

# The engineers' records this document lists (incidents and duty notes are in the daily
# and monthly reports; manual upgrades in the upgrades record).
MAINTENANCE_KINDS = ("maintenance", "repair", "tuning")


def in_scope(info: DeviceInfo) -> bool:
    return info.kind == "switch" or info.has_service("TUNE")


def build(data: ReportData, text: Text, settings: ReportSettings) -> Document:
    document = new_document("maintenance", data, text, settings)
    scope = {info.name for info in data.devices if in_scope(info)}
    changes = [change for change in data.config_changes if change.device in scope]
    faults = [fault for fault in data.faults if fault.device in scope]
    records = [
        record
        for record in data.records
        if record.device in scope and record.kind in MAINTENANCE_KINDS
    ]
    if not (changes or faults or records) and not data.has_data:
        return add_empty_notice(document, text).numbered()
    document.section(text("about.title")).add(
        Paragraph(text("maintenance.scope", devices=len(scope))),
        Paragraph(text("about.scope", devices=len(scope), period=text.period_text())),
    )

    approved = [change for change in changes if change.approved]
    section = document.section(text("maintenance.approved"))
    if approved:
        section.add(
            Table(
                (
                    text("events.device"),
                    text("changes.version"),
                    text("changes.time"),
                    text("changes.approver"),
                    text("changes.approved_at"),
                    text("changes.note"),
                    text("changes.summary"),
                ),
                tuple(
                    (
                        change.device,
                        f"v{change.sequence}",
                        text.time(change.collected_at),
                        change.approved_by or text("dash"),
                        text.time(change.approved_at),
                        change.approval_note or text("dash"),
                        change_summary(change, text),
                    )
                    for change in approved
                ),
            )
        )
    else:
        section.add(Paragraph(text("maintenance.approved.none")))

    unapproved = [change for change in changes if not change.approved]
    section = document.section(text("maintenance.unapproved"))
    if unapproved:
        section.add(changes_table(unapproved, text, with_device=True))
    else:
        section.add(Paragraph(text("maintenance.unapproved.none")))

    section = document.section(text("maintenance.faults"))
    if faults:
        section.add(Table(fault_headers(text), tuple(fault_row(f, data, text) for f in faults)))
    else:
        section.add(Paragraph(text("maintenance.faults.none")))

    # Maintenance, tuning and repair records of the devices in scope; each repair also gets
    # a sheet of its own below.
    add_records(
        document.section(text("maintenance.records")),
        replace(data, records=records),
        text,
        none_key="maintenance.records.none",
    )
    repair_sheets(document, data, text, scope)
    return document.numbered()
