"""Maintenance windows and netmon's own downtime, shown where outages are (daily and monthly
reports): the time the availability figures leave out, and why (agent.availability)."""

from __future__ import annotations

from agent.reports.data import ReportData
from agent.reports.document import Paragraph, Section, Table
from agent.reports.text import Text


def add_exclusions(section: Section, data: ReportData, text: Text) -> None:
    """A sub-section listing the period's maintenance windows and netmon's downtime, with
    the definition the figures follow; nothing when there is neither."""
    if not data.maintenance_windows and not data.monitoring_gaps:
        return
    part = section.sub(text("exclusions.title"))
    part.add(Paragraph(text("exclusions.definition")))
    if data.maintenance_windows:
        part.add(
            Table(
                (
                    text("events.device"),
                    text("exclusions.start"),
                    text("exclusions.end"),
                    text("exclusions.reason"),
                    text("exclusions.by"),
                ),
                tuple(
                    (w.device, text.time(w.starts_at), text.time(w.ends_at), w.reason, w.created_by)
                    for w in data.maintenance_windows
                ),
                caption=text("exclusions.windows"),
            )
        )
    if data.monitoring_gaps:
        part.add(
            Table(
                (
                    text("exclusions.scope"),
                    text("exclusions.start"),
                    text("exclusions.end"),
                    text("events.duration"),
                    text("exclusions.reason"),
                ),
                tuple(
                    (
                        g.device or text("exclusions.all_devices"),
                        text.time(g.start),
                        text.time(g.end),
                        text.duration(g.end - g.start),
                        text(f"exclusions.gap.{g.reason}"),
                    )
                    for g in data.monitoring_gaps
                ),
                caption=text("exclusions.gaps"),
            )
        )
