"""Every document prints a site's display name from the inventory (``site_name``), and the
code only for a site that has none (issue 12, item 5). The monthly report (device details,
devices with problems), the maintenance record (repair sheets) and the work summary (device and
site availability, the findings) print sites; the daily and upgrades documents name no site,
and no document may print a named site's code.

The known month of report_history, with its devices moved: av-1 and fw-1 to ``city-1``, named
城区支队 (like a ``[sites.city-1]`` table), sw-1 to ``suburb-2``, which has no name. av-1 has
a repair and three upgrades, fw-1 an outage, sw-1 a tuning record and an open incident.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from conftest import GENERATED_AT, _new_store
from report_history import DEVICES, PERIOD, build_known_month

from agent.reports.build import build_document, read_data
from agent.reports.data import ReportData
from agent.reports.render_md import render_markdown
from agent.reports.settings import ReportSettings
from agent.reports.summary import build_summary
from agent.reports.summary_data import load_summary_data
from agent.store import Store
from agent.store import repository as repo
from tests.support.report_store import Box

CITY, CITY_NAME, SUBURB = "city-1", "城区支队", "suburb-2"


def moved(box: Box, site: str, site_name: str | None) -> Box:
    """A report_history device moved to ``site``, with the site's display name."""
    return dataclasses.replace(box, site=site, site_name=site_name)


@pytest.fixture(scope="module")
def sited_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = _new_store(tmp_path_factory.mktemp("sites"))
    build_known_month(store)
    boxes = [
        moved(box, SUBURB, None) if box.name == "sw-1" else moved(box, CITY, CITY_NAME)
        for box in DEVICES
    ]
    with store.session() as session:
        result = repo.sync_devices(session, boxes, now=PERIOD.start - dt.timedelta(days=1))
    assert sorted(result.updated) == ["av-1", "fw-1", "sw-1"]
    yield store
    store.close()


@pytest.fixture(scope="module")
def sited_data(sited_store: Store) -> ReportData:
    return read_data(sited_store, PERIOD, GENERATED_AT)


def markdown(kind: str, data: ReportData, lang: str = "zh") -> str:
    text, _ = render_markdown(build_document(kind, data, lang, ReportSettings()), "x")
    return text


def rows_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|") and needle in line]


def test_the_store_carries_the_names(sited_data: ReportData) -> None:
    labels = {info.name: (info.site, info.site_label) for info in sited_data.devices}
    assert labels == {
        "av-1": (CITY, CITY_NAME),
        "fw-1": (CITY, CITY_NAME),
        "sw-1": (SUBURB, SUBURB),
    }


@pytest.mark.parametrize("kind", ["monthly", "daily", "upgrades", "maintenance"])
def test_no_document_prints_a_named_sites_code(sited_data: ReportData, kind: str) -> None:
    for lang in ("zh", "en"):
        assert CITY not in markdown(kind, sited_data, lang), (kind, lang)


def test_the_repair_sheet_gives_the_sites_name(sited_data: ReportData) -> None:
    text = markdown("maintenance", sited_data)
    assert f"| 所在位置 | {CITY_NAME} |" in text


def test_monthly_device_details_give_the_name_or_the_code(sited_data: ReportData) -> None:
    text = markdown("monthly", sited_data)
    assert [row for row in rows_with(text, "| 部署位置 |") if row.startswith("| 部署位置")] == [
        f"| 部署位置 | {CITY_NAME} |",
        f"| 部署位置 | {CITY_NAME} |",
        f"| 部署位置 | {SUBURB} |",
    ]


def test_the_work_summary_heads_site_columns_with_names(sited_store: Store) -> None:
    with sited_store.session(read_only=True) as session:
        summary = load_summary_data(session, PERIOD, GENERATED_AT)
    document = build_summary(summary, "zh", ReportSettings())
    sites = next(t for t in document.tables() if (t.caption or "").endswith("各站点逐月可用率"))
    assert sites.headers == ("月份", CITY_NAME, SUBURB)
    devices = next(t for t in document.tables() if (t.caption or "").endswith("各设备可用率"))
    assert {row[0]: row[1] for row in devices.rows} == {
        "av-1": CITY_NAME,
        "fw-1": CITY_NAME,
        "sw-1": SUBURB,
    }
    text, _ = render_markdown(document, "x")
    assert CITY not in text
    assert f"各站点可用率：{CITY_NAME} " in text
