"""The whole shipped inventory through the demo history: every device is in the monthly
report, in every format, and the scripted problems come out as findings."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from pathlib import Path

import docx
import pytest
from report_history import PERIOD

from agent.inventory import load_inventory
from agent.reports.build import build_document, read_data
from agent.reports.data import ReportData
from agent.reports.document import Document
from agent.reports.render_docx import render_docx
from agent.reports.render_html import render_html
from agent.reports.render_md import render_markdown
from agent.reports.settings import ReportSettings
from agent.store import Store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fleet_data(fleet_store: Store) -> ReportData:
    # Made two hours after the month, as the 1st-of-month timer would: ages and remaining
    # days count to the generation time, so "today" would make every library stale.
    return read_data(fleet_store, PERIOD, PERIOD.end + dt.timedelta(hours=2))


@pytest.fixture(scope="module")
def fleet_monthly(fleet_data: ReportData) -> Document:
    return build_document("monthly", fleet_data, "zh", ReportSettings())


def test_every_inventory_device_is_in_the_monthly_report(
    fleet_data: ReportData, fleet_monthly: Document
) -> None:
    names = [device.name for device in load_inventory(ROOT / "inventory.toml").devices]
    assert len(names) == 40
    data, document = fleet_data, fleet_monthly
    assert sorted(info.name for info in data.devices) == sorted(names)
    assert all(data.health[name].samples == 60 for name in names)  # 30 days, every 12 h
    headings = [section.title for _, section in document.walk()]
    markdown, _ = render_markdown(document, "x")
    html = render_html(document)
    opened = docx.Document(io.BytesIO(render_docx(document)))
    word = "\n".join(p.text for p in opened.paragraphs)
    for name in names:
        assert any(title.startswith(f"{name}（") for title in headings), name
        assert name in markdown and name in html and name in word, name
    assert len(opened.inline_shapes) == 41  # fleet availability + one trend per device


def test_the_demo_problems_become_findings(fleet_data: ReportData, fleet_monthly: Document) -> None:
    data, document = fleet_data, fleet_monthly
    found = next(t for t in document.tables() if "问题类别" in t.headers)
    text = "\n".join(row[4] for row in found.rows)
    for phrase in ("天未更新", "将于", "未经审批", "仍未恢复"):
        assert phrase in text, phrase
    assert sum(1 for change in data.config_changes if not change.approved) == 1
    assert {u.category for u in data.upgrades} == {"signature", "software", "licence"}


@pytest.mark.parametrize("kind", ["monthly", "daily", "upgrades", "maintenance"])
def test_chinese_documents_have_no_english_sentences(fleet_data: ReportData, kind: str) -> None:
    from english import data_values, english_words

    document = build_document(kind, fleet_data, "zh", ReportSettings())
    text, _ = render_markdown(document, "x")
    text = re.sub(r"\]\([^)]*\)", "]", text)  # chart file links
    assert english_words(text, data_values(fleet_data)) == []


def test_findings_are_grouped_and_most_serious_first(fleet_monthly: Document) -> None:
    table = next(t for t in fleet_monthly.tables() if "问题类别" in t.headers)
    severities = {"紧急": 0, "重要": 1, "次要": 2, "警告": 3}
    devices = [row[0] for row in table.rows]
    # One block of rows per device, one row per kind, and the first device's worst first.
    assert len(list(itertools.groupby(devices))) == len(set(devices))
    assert len({(row[0], row[1]) for row in table.rows}) == len(table.rows)
    firsts = [
        severities[next(r[3] for r in table.rows if r[0] == d)] for d in dict.fromkeys(devices)
    ]
    assert firsts == sorted(firsts)
    # A device with problems has a real one: 6 of the 40 in the demo month, not all of them.
    problems = next(t for t in fleet_monthly.tables() if (t.caption or "").startswith("存在问题"))
    assert problems.caption == "存在问题的设备（6 台，共 40 台）"
    assert {row[1] for row in problems.rows} == {"总部机房"}  # the site's name, not its code
    assert sum(int(row[2]) for row in table.rows) == 11
