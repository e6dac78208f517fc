"""From store to file: read the period (query layer), build the kind's document, render it."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path

from agent.errors import NetmonError
from agent.privatefiles import make_private_dir, write_private
from agent.reports import FORMATS, REPORT_KINDS
from agent.reports.data import ReportData, load_report_data
from agent.reports.document import Document
from agent.reports.period import Period
from agent.reports.settings import ReportSettings
from agent.reports.text import Text, language_module
from agent.store.engine import Store

Builder = Callable[[ReportData, Text, ReportSettings], Document]
# Each kind's module (its ``build``) is imported when that kind is made: the monthly report's
# charts load matplotlib (about 0.6 s of CPU), which no other document needs.
BUILDER_MODULES: dict[str, str] = {
    "monthly": "agent.reports.monthly",
    "daily": "agent.reports.daily",
    "upgrades": "agent.reports.upgrades",
    "maintenance": "agent.reports.maintenance",
}


class ReportError(NetmonError):
    """A report cannot be written (unknown kind or format, output path unusable)."""


def build_document(kind: str, data: ReportData, lang: str, settings: ReportSettings) -> Document:
    if kind not in REPORT_KINDS:
        raise ReportError(f"unknown report {kind!r}; choose one of {', '.join(REPORT_KINDS)}")
    return builder(kind)(data, Text(lang, data.period), settings)


def builder(kind: str) -> Builder:
    build: Builder = importlib.import_module(BUILDER_MODULES[kind]).build
    return build


def read_data(store: Store, period: Period, generated_at: dt.datetime | None = None) -> ReportData:
    with store.session(read_only=True) as session:
        return load_report_data(session, period, generated_at)


def default_output(kind: str, period: Period, fmt: str, lang: str) -> Path:
    label = period.label.replace("..", "_")
    suffix = "" if lang == "zh" else f".{lang}"
    return Path(f"netmon-{kind}-{label}{suffix}.{fmt}")


def write_document(
    document: Document, fmt: str, out: Path, generated_at: dt.datetime | None = None
) -> list[Path]:
    """Write ``document`` as ``fmt`` to ``out``; returns every file written (Markdown adds
    its charts in ``<name>_files/``)."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not out.parent.is_dir():
        raise ReportError(f"cannot write {out}: directory {out.parent} does not exist")
    written = [out]
    try:
        if fmt == "docx":
            from agent.reports.render_docx import render_docx

            write_private(out, render_docx(document, generated_at))
        elif fmt == "html":
            from agent.reports.render_html import render_html

            write_private(out, render_html(document))
        else:
            from agent.reports.render_md import render_markdown

            assets_dir = f"{out.stem}_files"
            text, assets = render_markdown(document, assets_dir)
            if assets:
                make_private_dir(out.parent / assets_dir)
            for name, png in assets.items():
                write_private(out.parent / name, png)
                written.append(out.parent / name)
            write_private(out, text)
    except OSError as error:
        raise ReportError(f"cannot write {out}: {error.strerror}") from None
    return written


def make_summary(
    store: Store,
    period: Period,
    fmt: str,
    out: Path,
    lang: str,
    settings: ReportSettings,
    generated_at: dt.datetime | None = None,
) -> list[Path]:
    """The work summary: its figures are read month by month (``summary_data``)."""
    from agent.reports.summary import build_summary
    from agent.reports.summary_data import load_summary_data

    language_module(lang)  # an unknown language fails before the months are read
    with store.session(read_only=True) as session:
        data = load_summary_data(session, period, generated_at)
    return write_document(build_summary(data, lang, settings), fmt, out, data.generated_at)


def make_report(
    store: Store,
    kind: str,
    period: Period,
    fmt: str,
    out: Path,
    lang: str,
    settings: ReportSettings,
    generated_at: dt.datetime | None = None,
) -> list[Path]:
    if kind == "summary":
        return make_summary(store, period, fmt, out, lang, settings, generated_at)
    data = read_data(store, period, generated_at)
    document = build_document(kind, data, lang, settings)
    return write_document(document, fmt, out, data.generated_at)
