"""《安全设备授权、升级记录》: every signature-library, software and licence change of the
period, per device, with from / to versions and dates, and where every licence stands.

Upgrades come from the history tables (``signature_versions``, ``licences``) through the
query layer, so this report works whether or not a separate upgrade log is kept.
"""

from __future__ import annotations

from collections import Counter

from agent.reports.common import (
    add_empty_notice,
    device_heading,
    new_document,
    upgrade_headers,
    upgrade_row,
)
from agent.reports.data import ReportData
from agent.reports.document import Document, Paragraph, Table
from agent.reports.records import manual_upgrades
from agent.reports.settings import ReportSettings
from agent.reports.text import Text

# The changes the summary table counts, each on its own row: a rollback is never an upgrade.
CHANGES = (
    ("signature", "upgrade"),
    ("signature", "rollback"),
    ("software", "upgrade"),
    ("software", "rollback"),
    ("licence", "extended"),
    ("licence", "shortened"),
)


def build(data: ReportData, text: Text, settings: ReportSettings) -> Document:
    document = new_document("upgrades", data, text, settings)
    if not data.has_data and not data.signatures and not data.licences and not data.records:
        return add_empty_notice(document, text).numbered()
    document.section(text("about.title")).add(
        Paragraph(text("about.scope", devices=len(data.devices), period=text.period_text())),
        Paragraph(text("about.upgrades")),
    )
    counts = Counter((upgrade.category, upgrade.change) for upgrade in data.upgrades)
    summary = document.section(text("upgrades.summary"))
    summary.add(
        Table(
            (text("upgrades.category"), text("upgrades.count")),
            (
                *(
                    (text(f"change.{category}.{change}"), str(counts.get((category, change), 0)))
                    for category, change in CHANGES
                ),
                (text("fleet.total"), str(len(data.upgrades))),
            ),
        )
    )
    upgraded = {u.device for u in data.upgrades if u.category == "signature" and u.upgrade}
    without = [
        info.name for info in data.devices if info.has_service("SIG") and info.name not in upgraded
    ]
    if without:
        summary.add(
            Paragraph(
                text("upgrades.no_update", devices=text("list.sep").join(without)), style="note"
            )
        )

    details = document.section(text("upgrades.details"))
    if not data.upgrades:
        details.add(Paragraph(text("upgrades.none")))
    for info in data.devices:
        mine = [upgrade for upgrade in data.upgrades if upgrade.device == info.name]
        if mine:
            details.sub(device_heading(info, text)).add(
                Table(upgrade_headers(text), tuple(upgrade_row(u, text) for u in mine))
            )

    manual_upgrades(document.section(text("records.upgrades")), data, text)

    licences = document.section(text("upgrades.current"))
    if data.licences:
        licences.add(
            Table(
                (
                    text("events.device"),
                    text("licences.feature"),
                    text("licences.expires"),
                    text("licences.days_left"),
                ),
                tuple(
                    (
                        row.device,
                        row.feature,
                        text("perpetual") if row.expires_on is None else text.date(row.expires_on),
                        text("dash") if row.days_left is None else str(row.days_left),
                    )
                    for row in data.licences
                ),
            )
        )
    else:
        licences.add(Paragraph(text("none")))
    return document.numbered()
