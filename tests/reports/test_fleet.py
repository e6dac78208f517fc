"""The whole shipped inventory through the demo history: every device is in the monthly
report, in every format, and the scripted problems come out as findings."""

from __future__ import annotations

import io
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
    return read_data(fleet_store, PERIOD)


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
    found = next(s for _, s in document.walk() if s.title == "发现的问题")
    text = "\n".join(found.blocks[0].items)  # type: ignore[union-attr]
    for phrase in ("天未更新", "将于", "未经审批", "仍未恢复"):
        assert phrase in text, phrase
    assert sum(1 for change in data.config_changes if not change.approved) == 1
    assert {u.category for u in data.upgrades} == {"signature", "software", "licence"}
