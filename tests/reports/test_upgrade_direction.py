"""A version that goes back is a rollback (回退), never an upgrade (升级): in the history the
documents read, in every document's counts and wording, on SQLite and PostgreSQL.

The history: av-1 (a Venustech AV gateway with the signature service) has its virus library
at 20260325.103 before April; in April it goes up to 20260331.104 on the 3rd, back to
20260329.100 on the 6th (text order would call that an upgrade only if it looked at the
date's digits alone; its version order says older), and up to 20260408.101 on the 9th. Its
URL library changes from 1.4.2609.31 to 1.4.2609.0031: the same numbers, no change. Its
software goes V3.9 -> V3.10, an upgrade that text order would take for a rollback. Its
licence is renewed on the 10th and cut short on the 20th.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from agent.reports.build import build_document, read_data
from agent.reports.data import ReportData
from agent.reports.document import Table
from agent.reports.period import month_period, range_period, report_timezone
from agent.reports.render_md import render_markdown
from agent.reports.settings import ReportSettings
from agent.reports.summary import build_summary
from agent.reports.summary_data import load_summary_data
from agent.reports.version_order import parts_key, version_direction
from agent.store import repository as repo
from tests.support.report_store import Box, report_store

TZ = report_timezone("Asia/Shanghai")
PERIOD = month_period("2026-04", TZ)
SETTINGS = ReportSettings(agency="测试机关", contractor="测试承包商")
AV_GATEWAY = Box(
    "av-1",
    "venustech",
    "USG-1008DP",
    "av-gateway",
    services=("hardware", "signatures"),
)


def day(number: int) -> dt.datetime:
    return PERIOD.start + dt.timedelta(days=number - 1, hours=6)


# (when, library, version): each a reading of av-1, stored only where it differs.
READINGS = (
    (PERIOD.start - dt.timedelta(days=5), "av", "20260325.103"),
    (PERIOD.start - dt.timedelta(days=5), "url", "1.4.2609.31"),
    (PERIOD.start - dt.timedelta(days=5), "software", "V3.9"),
    (day(3), "av", "20260331.104"),
    (day(4), "url", "1.4.2609.0031"),
    (day(5), "software", "V3.10"),
    (day(6), "av", "20260329.100"),
    (day(9), "av", "20260408.101"),
)
LICENCES = (
    (PERIOD.start - dt.timedelta(days=5), dt.date(2026, 4, 30)),
    (day(10), dt.date(2027, 4, 30)),
    (day(20), dt.date(2026, 12, 31)),
)


def _write_history(store: object) -> None:
    with store.session() as session:  # type: ignore[attr-defined]
        for seen, library, version in READINGS:
            reading = repo.SignatureReading(library, version)
            repo.record_signature_versions(session, "av-1", [reading], seen_at=seen)
        for seen, expiry in LICENCES:
            reading = repo.LicenceReading("threat-subscription", expiry)
            repo.record_licences(session, "av-1", [reading], seen_at=seen)


@pytest.fixture
def april(db_url: str) -> ReportData:
    registered = PERIOD.start - dt.timedelta(days=10)
    with report_store(db_url, [AV_GATEWAY], registered) as store:
        _write_history(store)
        return read_data(store, PERIOD, PERIOD.end + dt.timedelta(hours=2))


def _changes(data: ReportData) -> list[tuple[str, str, str, str]]:
    return [(u.item, u.from_value, u.to_value, u.change) for u in data.upgrades]


def _table(document: object, first_header: str) -> Table:
    for table in document.tables():  # type: ignore[attr-defined]
        if table.headers[0] == first_header:
            return table
    raise AssertionError(f"no table starting with {first_header!r}")


def test_versions_are_ordered_by_their_parts_not_their_text() -> None:
    # Text order says the opposite in each case.
    assert version_direction("venustech", "av", "20260331.104", "20260329.100") == -1
    assert version_direction("leadsec", "av", "20260331.104", "20260329.100") == -1
    assert version_direction("venustech", "software", "V3.9", "V3.10") == 1
    assert version_direction("topsec", "ips", "3.0.2610.999", "3.0.2610.1203") == 1
    # The same version written differently, and the very same text.
    assert version_direction("venustech", "url", "1.4.2609.31", "1.4.2609.0031") == 0
    assert version_direction("nsfocus", "app", "V2.3.0", "V2.3") == 0
    assert version_direction("venustech", "av", "20260329.100", "20260329.100") == 0


def test_without_a_vendor_rule_versions_are_compared_part_by_part() -> None:
    # H3C names a rule for its software only: its engine falls back to the parts.
    assert version_direction("h3c", "engine", "3.2.10", "3.2.9") == -1
    assert version_direction("h3c", "engine", "3.2.9", "3.2.10") == 1
    assert version_direction("h3c", "engine", "3.2.9", "3.2.9.0") == 0
    # A version the rule cannot read (a Huawei software string off its pattern).
    assert version_direction("huawei", "software", "R11 build 9", "R11 build 12") == 1
    assert parts_key("V200R011C10SPC600") < parts_key("V200R011C10SPC1000")
    assert parts_key("V3.10") > parts_key("v3.9")


def test_the_history_says_upgrade_rollback_and_no_change(april: ReportData) -> None:
    assert _changes(april) == [
        ("av", "20260325.103", "20260331.104", "upgrade"),
        ("software", "V3.9", "V3.10", "upgrade"),
        ("av", "20260331.104", "20260329.100", "rollback"),
        ("av", "20260329.100", "20260408.101", "upgrade"),
        ("threat-subscription", "2026-04-30", "2027-04-30", "extended"),
        ("threat-subscription", "2027-04-30", "2026-12-31", "shortened"),
    ]
    rollback = next(u for u in april.upgrades if u.rollback)
    assert (rollback.category, rollback.at, rollback.upgrade) == ("signature", day(6), False)


def test_the_upgrades_record_counts_the_rollback_on_its_own(april: ReportData) -> None:
    document = build_document("upgrades", april, "zh", SETTINGS)
    counts = dict(_table(document, "类别").rows)
    assert counts == {
        "特征库升级": "2",
        "特征库回退": "1",
        "软件/引擎升级": "1",
        "软件/引擎回退": "0",
        "授权续期": "1",
        "授权到期日提前": "1",
        "合计": "6",
    }
    details = _table(document, "日期").rows
    assert ("2026-04-06", "特征库回退", "病毒库", "20260331.104", "20260329.100") in details
    assert sum(1 for row in details if row[1] == "特征库升级") == 2
    english, _ = render_markdown(build_document("upgrades", april, "en", SETTINGS), "x")
    assert "signature library rollback" in english and "licence shortened" in english


@pytest.mark.parametrize("kind", ["daily", "monthly"])
def test_the_key_figures_name_the_rollbacks(april: ReportData, kind: str) -> None:
    document = build_document(kind, april, "zh", SETTINGS)
    figures = {row[0]: row[1] for table in document.tables() for row in table.rows if len(row) == 2}
    assert figures["特征库/软件/授权变更"] == "6"
    assert figures["其中特征库/软件回退"] == "1"


def test_no_rollback_no_rollback_line(april: ReportData) -> None:
    upgrades_only = dataclasses.replace(
        april, upgrades=[u for u in april.upgrades if not u.rollback]
    )
    document = build_document("daily", upgrades_only, "zh", SETTINGS)
    headers = [row[0] for table in document.tables() for row in table.rows]
    assert "其中特征库/软件回退" not in headers


def test_the_summary_counts_updates_and_lists_the_rollback(db_url: str) -> None:
    span = range_period("2026-04-01", "2026-04-30", TZ)
    made = span.end + dt.timedelta(days=1)
    with report_store(db_url, [AV_GATEWAY], span.start - dt.timedelta(days=10)) as store:
        _write_history(store)
        with store.session(read_only=True) as session:
            summary = load_summary_data(session, span, made)
    document = build_summary(summary, "zh", ReportSettings())
    (device_row,) = _captioned(document, "特征库升级服务范围内设备的升级情况").rows
    assert device_row[0] == "av-1"
    assert device_row[3] == "2（另回退 1 次）"  # the updates, the rollback beside them
    assert device_row[5] == "2026-04-09"  # the last update, not the rollback
    april_row = _captioned(document, "逐月主要指标").rows[0]
    assert april_row[6] == "2"  # April's signature updates: the rollback is not one
    others = _captioned(document, "特征库回退、软件/引擎与授权变更").rows
    assert ("av-1", "2026-04-06", "特征库回退", "病毒库", "20260331.104", "20260329.100") in others
    assert ("av-1", "2026-04-05", "软件/引擎升级", "系统软件", "V3.9", "V3.10") in others
    markdown, _ = render_markdown(document, "x")
    assert "特征库/软件版本回退 1 次（av-1）" in markdown
    assert "完成特征库升级 2 次" in markdown
    english, _ = render_markdown(build_summary(summary, "en", ReportSettings()), "x")
    assert "Signature / software rollbacks (back to an older version): 1 (av-1)" in english
    assert "| 2 (rollbacks besides: 1) |" in english


def _captioned(document: object, title: str) -> Table:
    for table in document.tables():  # type: ignore[attr-defined]
        if table.caption and table.caption.endswith(title):
            return table
    raise AssertionError(f"no table {title!r}")
