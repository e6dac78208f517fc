"""Pieces several reports share: the cover with the document number, the sign-off block, the
"no data" section, and table rows for events, outages, configuration changes, upgrades and
faults.

Open items (events, outages, faults) run to ``ReportData.until``: the generation time, or the
period's end if that is earlier; never to the end of a period that has not happened yet."""

from __future__ import annotations

from collections.abc import Sequence

from agent.reports.data import (
    ComponentFault,
    ConfigChangeRow,
    DeviceInfo,
    EventRow,
    Outage,
    ReportData,
    UpgradeRow,
)
from agent.reports.document import Document, Paragraph, SignOff, SignParty, Table
from agent.reports.event_text import event_text
from agent.reports.period import Period
from agent.reports.settings import ReportSettings
from agent.reports.text import Text

# Kind codes in document numbers: pinyin initials of 巡检, 日报, 升级, 维保, 总结.
KIND_CODES = {
    "monthly": "XJ",
    "daily": "RB",
    "upgrades": "SJ",
    "maintenance": "WB",
    "summary": "ZJ",
}


def document_number(kind: str, period: Period, prefix: str, issue: int = 1) -> str:
    """``PREFIX-KIND-PERIOD-ISSUE``, e.g. NETMON-XJ-202604-01: the same kind and period give
    the same number; a re-issue (``--issue 2``) the next one."""
    if issue < 1:
        raise ValueError(f"issue must be 1 or more, not {issue}")
    span = period.label.replace("-", "").replace("..", "-")
    return f"{prefix}-{KIND_CODES[kind]}-{span}-{issue:02d}"


def new_document(
    kind: str,
    data: ReportData,
    text: Text,
    settings: ReportSettings,
    period: Period | None = None,
) -> Document:
    """The cover and sign-off of ``kind``; ``period`` numbers a document that spans more than
    ``data`` (the work summary passes its months' last one as ``data``)."""
    number = document_number(kind, period or data.period, settings.document_prefix, settings.issue)
    prepared_role = text(f"cover.prepared.{kind}")
    cover = [
        (text("cover.number"), number),
        (text("cover.period"), text.period_text()),
        (text("cover.generated"), text.written_time(data.generated_at)),
        (text("cover.agency"), settings.agency),
        (text("cover.contractor"), settings.contractor),
        (prepared_role, settings.prepared_by or text("cover.blank")),
        (text("cover.reviewed"), settings.reviewed_by or text("cover.blank")),
        (text("cover.as_of"), text("cover.as_of_value")),
        (text("cover.source"), text("cover.source_value")),
    ]
    signoff = SignOff(
        text("signoff.title"),
        (
            SignParty(text("signoff.agency", name=settings.agency), (text("signoff.agency_line"),)),
            SignParty(
                text("signoff.contractor", name=settings.contractor),
                tuple(
                    text("signoff.person_line", role=role, name=name or text("cover.blank"))
                    for role, name in (
                        (prepared_role, settings.prepared_by),
                        (text("cover.reviewed"), settings.reviewed_by),
                    )
                ),
            ),
        ),
    )
    return Document(
        title=text(f"title.{kind}"), cover=cover, lang=text.lang, number=number, signoff=signoff
    )


def add_empty_notice(document: Document, text: Text) -> Document:
    """What a report over a period without any data says instead of failing."""
    document.section(text("empty.title")).add(
        Paragraph(text("empty.text", period=text.period_text()), style="warning")
    )
    return document


def device_heading(info: DeviceInfo, text: Text) -> str:
    return text("device.heading", name=info.name, vendor=text.vendor(info.vendor), model=info.model)


def event_rows(
    events: list[EventRow], outages: list[Outage], data: ReportData, text: Text
) -> list[tuple[str, str, str, str, str]]:
    """Alerts and outages of one device, oldest first: time, severity, what, state, duration."""
    end = data.until
    rows: list[tuple[object, tuple[str, str, str, str, str]]] = []
    for event in events:
        closed = event.closed_before(end)
        state = text.event_state("closed" if closed else event.state)
        duration = text.duration(event.duration(end)) + ("" if closed else text("open_suffix"))
        if event.informational:
            # A recorded fact: nothing is open and nothing lasts.
            state, duration = text("event.recorded"), text("dash")
        rows.append(
            (
                event.occurred_at,
                (
                    text.time(event.occurred_at),
                    text.severity(event.severity),
                    event_text(text, event.kind, event.details),
                    state,
                    duration,
                ),
            )
        )
    for outage in outages:
        state = text("still_down") if outage.end is None else text.event_state("closed")
        rows.append(
            (
                outage.start,
                (
                    text.time(outage.start),
                    text.severity("major"),
                    text("events.outage", count=outage.failed_samples),
                    state,
                    text.duration(outage.duration(end)),
                ),
            )
        )
    rows.sort(key=lambda row: row[0])  # type: ignore[arg-type,return-value]
    return [row for _, row in rows]


def events_table(rows: list[tuple[str, str, str, str, str]], text: Text) -> Table:
    return Table(
        (
            text("events.time"),
            text("events.severity"),
            text("events.what"),
            text("events.state"),
            text("events.duration"),
        ),
        tuple(rows),
        caption=text("events.caption"),
    )


def change_summary(change: ConfigChangeRow, text: Text) -> str:
    counts = text("changes.lines_value", added=change.lines_added, removed=change.lines_removed)
    return "; ".join((counts, *change.changed_lines))


def changes_table(changes: list[ConfigChangeRow], text: Text, *, with_device: bool) -> Table:
    headers = (
        text("changes.version"),
        text("changes.time"),
        text("changes.lines"),
        text("changes.approver"),
        text("changes.approved_at"),
        text("changes.note"),
    )
    rows = []
    for change in changes:
        row = (
            f"v{change.sequence}",
            text.time(change.collected_at),
            text("changes.lines_value", added=change.lines_added, removed=change.lines_removed),
            change.approved_by or text("changes.unapproved"),
            text.time(change.approved_at),
            change.approval_note or text("dash"),
        )
        rows.append((change.device, *row) if with_device else row)
    if with_device:
        headers = (text("events.device"), *headers)
    return Table(headers, tuple(rows), caption=text("changes.caption"))


def upgrade_row(upgrade: UpgradeRow, text: Text) -> tuple[str, str, str, str, str]:
    return (
        text.date(upgrade.at),
        change_label(upgrade, text),
        upgrade_item(upgrade, text),
        upgrade.from_value,
        upgrade.to_value,
    )


def upgrade_item(upgrade: UpgradeRow, text: Text) -> str:
    """The library or software by its name in the document's language; a licence feature as
    the device names it."""
    return upgrade.item if upgrade.category == "licence" else text.library(upgrade.item)


def change_label(upgrade: UpgradeRow, text: Text) -> str:
    """What the change was ("signature library upgrade", "... rollback", "licence extended")
    in the document's words."""
    return text(f"change.{upgrade.category}.{upgrade.change}")


def rollback_figure(upgrades: Sequence[UpgradeRow], text: Text) -> tuple[tuple[str, str], ...]:
    """The key-figures row "of which rollbacks: N" when a version went back in the period (a
    reader must not take the changes above it for upgrades only); none when nothing did."""
    count = sum(1 for upgrade in upgrades if upgrade.rollback)
    return ((text("fleet.rollbacks"), str(count)),) if count else ()


def upgrade_headers(text: Text) -> tuple[str, ...]:
    return (
        text("upgrades.date"),
        text("upgrades.category"),
        text("upgrades.item"),
        text("upgrades.from"),
        text("upgrades.to"),
    )


def fault_row(fault: ComponentFault, data: ReportData, text: Text) -> tuple[str, ...]:
    cleared = text.time(fault.cleared_at) if fault.cleared_at else text("still_failed")
    return (
        fault.device,
        text.component(fault.kind, fault.name),
        text.time(fault.first_failed),
        cleared,
        text.duration((fault.cleared_at or data.until) - fault.first_failed),
    )


def fault_headers(text: Text) -> tuple[str, ...]:
    return (
        text("events.device"),
        text("maintenance.component"),
        text("maintenance.first"),
        text("maintenance.cleared"),
        text("events.duration"),
    )
