"""Finding English left in a Chinese document: ASCII words that are not proper names, model
names, units or versions. The caller removes the values that came from the data (device
names, versions, licence features, engineers' notes) before asking."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.reports.data import ReportData

# Names and abbreviations a Chinese document writes in Latin letters.
ALLOWED = {
    "CPU",
    "SNMP",
    "SSH",
    "URL",
    "VPN",
    "IPS",
    "IDS",
    "H3C",
    "UTC",
    "netmon",
    "Asia",
    "Shanghai",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
# Document numbers (cover, repair sheets): NETMON-XJ-202604-01, WX-00001.
NUMBER = re.compile(r"\bNETMON-[A-Z]{2}-\d{6}-\d{2}\b|\bWX-\d{5}\b")
VERSION = re.compile(r"^v\d+$")


def english_words(text: str, data_values: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """ASCII words in ``text`` once the data's own values are taken out (longest first, so a
    name containing another is removed whole)."""
    text = NUMBER.sub(" ", text)
    for value in sorted((v for v in data_values if v), key=len, reverse=True):
        text = text.replace(value, " ")
    return [word for word in WORD.findall(text) if word not in ALLOWED and not VERSION.match(word)]


def data_values(data: ReportData) -> set[str]:
    """What the documents quote from the data as it is (names, models, versions, engineers'
    notes): proper names and free text, not wording. Not a site's code: documents print the
    inventory's display name (``site_name``), so a code in the text is a leak."""
    values = {"x"}  # the chart folder of the Markdown rendering
    for info in data.devices:
        values |= {info.name, info.model}
    for health in data.health.values():
        values |= {component.name for component in health.components}
    values |= {p.name for p in data.interfaces}
    for row in data.signatures:
        values |= {row.version, row.library}
    for upgrade in data.upgrades:
        values |= {upgrade.item, upgrade.from_value, upgrade.to_value}
    values |= {row.feature for row in data.licences}
    for change in data.config_changes:
        values |= {change.approved_by or "", change.approval_note or "", *change.changed_lines}
    for record in data.records:
        values |= {record.summary, record.engineer, record.action or "", record.outcome or ""}
    for fault in data.faults:
        values.add(fault.name)
    for event in data.events:
        values |= {str(v) for v in event.details.values() if isinstance(v, str)}
    return values


# Units and abbreviations a Chinese document prints in Latin letters besides ALLOWED.
UNITS = {"GB", "MB", "ms", "PSU", "IP", "ID", "PDF"}
# Around a piece of a value in a table cell: list and diff punctuation, both widths.
PUNCTUATION = "-+;:,.()/、，；：（）"
# White space, CJK symbols and punctuation, CJK ideographs, full-width forms.
CHINESE = re.compile(r"[\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def pdf_english_words(text: str, data: ReportData, proper: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """English left in a PDF's text (pdftotext): the Latin runs between Chinese characters
    that are neither a piece of the data's values or ``proper`` names (a table cell wraps a
    name anywhere and drops a hyphen at the break, a page break parts a name's pieces), nor
    a unit, abbreviation or version. A piece shorter than three characters must be a whole word
    of a value, so "no" is not excused by a name that happens to contain it. A site's code
    (``headquarters``) is not excused: every site of the shipped inventory has a display
    name, and the documents print it."""
    values = {v for v in data_values(data) | proper if v and v != "x"}
    joined = "\n".join(values | {squeezed(v) for v in values})
    leaks: list[str] = []
    for chunk in CHINESE.split(NUMBER.sub(" ", text)):
        core = chunk.strip(PUNCTUATION)
        if not WORD.search(core) or VERSION.match(core):
            continue
        if len(core) >= 3 and (core in joined or squeezed(core) in joined):
            continue
        if len(core) < 3 and re.search(rf"(?<![A-Za-z]){re.escape(core)}(?![A-Za-z])", joined):
            continue  # a short word of a quoted value ("to" in a configuration line)
        leaks += [
            word
            for word in WORD.findall(core)
            if word not in ALLOWED | UNITS and not VERSION.match(word)
        ]
    return leaks


def squeezed(value: str) -> str:
    return re.sub(r"[\s-]+", "", value)
