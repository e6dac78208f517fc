"""The work summary (《工作总结》) on a small scripted store: two months (April and May 2026,
Beijing time), three devices at two sites, a health poll every 6 hours.

- ``fw-1`` (hq): unanswered at polls 20-21 of April (one outage) and from the last two polls
  of April to the first two of May (one outage across the month's end: two months' pieces,
  one outage of the period). An engineer's incident record for each: the first answered 5
  minutes after the report and resolved after 3 hours, the second answered after 15 minutes.
- ``av-1`` (city, signature service): av library v1 (start), v2 (10 April), v3 (10 May): two
  upgrades, one in each month; its fan read failed at poll 40 (one 6-hour fault, no
  engineer's record); an incident record in May that monitoring saw nothing of.
- alert events (device down, fan failed) as the demo generator writes them: counted as
  alerts, never as incidents (production does not write them).
- ``sw-1`` (hq, signature service on paper): one library seen once, released long ago, never
  upgraded: stale at the end, no month with an update; configuration v2 approved in April,
  v3 in May never approved.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.recorder import Recorder
from agent.records import NewRecord, add_record
from agent.reports.data import ComponentFault, Outage, RecordRow
from agent.reports.document import Table
from agent.reports.period import PeriodError, months_of, range_period, report_timezone, year_period
from agent.reports.settings import ReportSettings
from agent.reports.summary import build_summary
from agent.reports.summary_data import SummaryData, incidents, load_summary_data
from agent.store import open_store
from agent.store import repository as repo
from agent.store.engine import Store
from agent.store.schema import upgrade
from collectors.base import Component, HealthSnapshot
from tests.support.report_store import Box

ROOT = Path(__file__).resolve().parents[2]
TZ = report_timezone("Asia/Shanghai")
PERIOD = range_period("2026-04-01", "2026-05-31", TZ)
APRIL_END = months_of(PERIOD)[1].start
STEP = dt.timedelta(hours=6)
POLLS = 61 * 4  # 61 days
APRIL_POLLS = 30 * 4
DOWN = {20, 21, APRIL_POLLS - 2, APRIL_POLLS - 1, APRIL_POLLS, APRIL_POLLS + 1}
GENERATED_AT = PERIOD.end + dt.timedelta(days=2)


BOXES = (
    Box(
        "av-1",
        "venustech",
        "USG-1008DP",
        "av-gateway",
        "city",
        ("hardware", "signatures"),
        site_name="城区支队",
    ),
    Box("fw-1", "topsec", "NGFW4000", "firewall", "hq", ("hardware", "tuning")),
    Box("sw-1", "h3c", "S5500", "switch", "hq", ("hardware", "signatures")),
)


def at(index: int) -> dt.datetime:
    return PERIOD.start + index * STEP


FAN_FAILED_POLL = 40


def _snapshot(name: str, index: int) -> HealthSnapshot:
    if name == "fw-1" and index in DOWN:
        return HealthSnapshot(name, at(index), reachable=False, unreadable={"snmp": "timeout"})
    fan_failed = name == "av-1" and index == FAN_FAILED_POLL
    return HealthSnapshot(
        device=name,
        collected_at=at(index),
        reachable=True,
        cpu_ratio=0.2,
        memory_ratio=0.4,
        fans=[Component("Fan 1", "failed" if fan_failed else "ok", "2" if fan_failed else "1")],
    )


def build_two_months(store: Store) -> None:
    with store.session() as session:
        repo.sync_devices(session, BOXES, now=PERIOD.start - dt.timedelta(days=30))
    recorder = Recorder(store)
    for box in BOXES:
        for index in range(POLLS):
            recorder.save_health(_snapshot(box.name, index), at(index))
    april = PERIOD.start
    with store.session() as session:
        for when, version in (
            (april, "v1"),
            (april + dt.timedelta(days=9), "v2"),
            (APRIL_END + dt.timedelta(days=9), "v3"),
        ):
            release = PERIOD.local(when).date()
            repo.record_signature_versions(
                session, "av-1", [repo.SignatureReading("av", version, release)], seen_at=when
            )
        repo.record_signature_versions(
            session,
            "sw-1",
            [repo.SignatureReading("ips", "2025.1", dt.date(2025, 12, 1))],
            seen_at=april,
        )
        repo.add_config_version(session, "sw-1", "sysname sw-1\n", april - dt.timedelta(days=2))
        repo.approve_baseline(session, "sw-1", "运维主管", approved_at=april - dt.timedelta(days=1))
        repo.add_config_version(session, "sw-1", "sysname sw-1\nvlan 2\n", at(10))
        repo.approve_baseline(session, "sw-1", "运维主管", approved_at=at(11))
        repo.add_config_version(session, "sw-1", "sysname sw-1\nvlan 3\n", at(150))

        first = repo.add_event(
            session, "device-down", "major", "fw-1 不可达", device="fw-1", occurred_at=at(20)
        )
        repo.acknowledge_event(session, first.id, "值班", at=at(20) + dt.timedelta(minutes=5))
        repo.close_event(session, first.id, at=at(20) + dt.timedelta(hours=3))
        second = repo.add_event(
            session,
            "device-down",
            "major",
            "fw-1 不可达",
            device="fw-1",
            occurred_at=at(APRIL_POLLS - 2),
        )
        repo.acknowledge_event(
            session, second.id, "值班", at=at(APRIL_POLLS - 2) + dt.timedelta(minutes=15)
        )
        repo.close_event(session, second.id, at=at(APRIL_POLLS + 2))
        fan = repo.add_event(
            session, "fan-failed", "minor", "av-1 风扇故障", device="av-1", occurred_at=at(40)
        )
        repo.close_event(session, fan.id, at=at(40) + dt.timedelta(hours=1))
        repo.add_event(
            session, "config-changed", "info", "sw-1 配置变更", device="sw-1", occurred_at=at(150)
        )
        minutes = dt.timedelta(minutes=1)
        for entry in (
            NewRecord(
                "incident",
                "fw-1 不可达",
                "值班组",
                device="fw-1",
                reported_at=at(20) + 2 * minutes,
                responded_at=at(20) + 7 * minutes,
                resolved_at=at(20) + 180 * minutes,
                action="重启上联交换机端口",
            ),
            NewRecord(
                "incident",
                "fw-1 不可达",
                "值班组",
                device="fw-1",
                reported_at=at(APRIL_POLLS - 2) + minutes,
                responded_at=at(APRIL_POLLS - 2) + 16 * minutes,
            ),
            NewRecord(
                "incident",
                "av-1 网页访问缓慢",
                "值班组",
                device="av-1",
                reported_at=at(200),
                responded_at=at(200) + 8 * minutes,
                resolved_at=at(200) + 60 * minutes,
                action="清理会话表",
            ),
        ):
            add_record(session, entry, recorded_by="tester", now=GENERATED_AT)


@pytest.fixture(scope="module")
def summary_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    directory = tmp_path_factory.mktemp("summary")
    url = f"sqlite:///{directory / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    build_two_months(store)
    return store


@pytest.fixture(scope="module")
def summary(summary_store: Store) -> SummaryData:
    with summary_store.session(read_only=True) as session:
        return load_summary_data(session, PERIOD, GENERATED_AT)


def table(document: object, title: str) -> Table:
    for table in document.tables():  # type: ignore[attr-defined]
        if table.caption and table.caption.endswith(title):
            return table
    raise AssertionError(f"no table {title!r}")


def test_months_and_year_periods() -> None:
    assert [m.label for m in months_of(PERIOD)] == ["2026-04", "2026-05"]
    contract = range_period("2026-03-06", "2026-11-30", TZ)
    months = months_of(contract)
    assert [m.label for m in months][::4] == ["2026-03", "2026-07", "2026-11"]
    assert months[0].start == contract.start and months[0].kind == "range"
    assert months[-1].end == contract.end and months[1].kind == "month"
    year = year_period("2026", TZ)
    assert year.label == "2026" and year.kind == "year"
    assert year.local_start == dt.datetime(2026, 1, 1, tzinfo=TZ)
    assert year.local_end == dt.datetime(2027, 1, 1, tzinfo=TZ)
    assert len(months_of(year)) == 12
    with pytest.raises(PeriodError, match="expected a year as YYYY"):
        year_period("26", TZ)


def test_availability_per_device_site_and_month(summary: SummaryData) -> None:
    april, may = summary.months
    assert april.availability(["fw-1"]) == (APRIL_POLLS - 4) / APRIL_POLLS
    assert may.availability(["fw-1"]) == (POLLS - APRIL_POLLS - 2) / (POLLS - APRIL_POLLS)
    assert summary.availability(["fw-1"]) == (POLLS - len(DOWN)) / POLLS
    assert summary.availability(["av-1"]) == 1.0
    # A site sums its devices' polls: fw-1 and sw-1.
    assert summary.availability(["fw-1", "sw-1"]) == (2 * POLLS - len(DOWN)) / (2 * POLLS)
    assert summary.sites() == {"city": ["av-1"], "hq": ["fw-1", "sw-1"]}
    # Printed as the inventory's name; a site without one as its code.
    assert (summary.site_label("city"), summary.site_label("hq")) == ("城区支队", "hq")


def test_an_outage_across_the_months_end_counts_once(summary: SummaryData) -> None:
    assert [len(m.data.outages) for m in summary.months] == [2, 1]
    assert len(summary.outages) == 2
    joined = summary.outages[1]
    assert joined.start == at(APRIL_POLLS - 2)
    assert joined.end == at(APRIL_POLLS + 2)
    assert joined.duration(summary.as_of) == dt.timedelta(hours=24)


def test_incidents_are_what_monitoring_saw_merged_with_the_records(summary: SummaryData) -> None:
    """Outages and hardware faults, not alert events; the response comes from the engineer's
    record overlapping the spell, or is not recorded; a record monitoring did not see is an
    incident of its own."""
    incidents = summary.incidents
    assert [(i.device, i.category, i.start) for i in incidents] == [
        ("fw-1", "down", at(20)),
        ("av-1", "hardware", at(FAN_FAILED_POLL)),
        ("fw-1", "down", at(APRIL_POLLS - 2)),
        ("av-1", "reported", at(200)),
    ]
    first, fan, second, reported = incidents
    assert (first.response, first.response_met) == (dt.timedelta(minutes=5), True)
    assert (first.duration, first.recovered_in_time) == (dt.timedelta(hours=12), False)
    assert (fan.record, fan.response, fan.response_met) == (None, None, None)
    assert (fan.duration, fan.end, fan.component) == (STEP, at(41), ("fan", "Fan 1"))
    assert second.record is not None and second.record.summary == "fw-1 不可达"
    assert (second.response, second.response_met) == (dt.timedelta(minutes=15), False)
    # Across the month's end: one incident of 24 hours, from the monitored outage.
    assert (second.duration, second.end) == (dt.timedelta(hours=24), at(APRIL_POLLS + 2))
    assert (reported.response, reported.duration) == (
        dt.timedelta(minutes=8),
        dt.timedelta(hours=1),
    )
    assert reported.recovered_in_time


def test_a_record_goes_to_the_spell_that_began_nearest_its_report() -> None:
    """A fan left failed for weeks does not take the record of an outage on the same box a
    week later; each record is one incident's."""
    day = dt.timedelta(days=1)
    fault = ComponentFault("fw-1", "fan", "Fan 1", at(0), at(0), 1, None)
    outage = Outage("fw-1", at(0) + 7 * day, at(0) + 7 * day + STEP, 1)
    minutes = dt.timedelta(minutes=1)
    record = RecordRow(
        1, "fw-1", "incident", "closed", "fw-1 不可达", "重启", None, "值班组",
        outage.start + 9 * minutes, outage.start + 60 * minutes, outage.start + 2 * minutes,
        None, outage.start + 60 * minutes, outage.start + 61 * minutes,
    )  # fmt: skip
    found = incidents([outage], [fault], [record], at(0) + 30 * day)
    assert [(i.category, i.record) for i in found] == [("hardware", None), ("down", record)]
    assert found[1].response == 7 * minutes


def test_the_document_numbers(summary: SummaryData) -> None:
    document = build_summary(summary, "zh", ReportSettings())
    months = table(document, "逐月主要指标")
    assert months.rows[0][:6] == ("2026-04", "98.89%", "2", "3", "3", "1（1/0）")
    assert months.rows[1][:6] == ("2026-05", "99.46%", "1", "1", "1", "1（0/1）")
    # Whole period: the outage across the month's end once; sw-1's v2 approved, v3 not.
    assert months.rows[2][:6] == ("全期", "99.18%", "2", "4", "4", "2（1/1）")
    incidents = table(document, "故障事件响应与处置（按月）")
    # month, incidents, responded in 10 min, no engineer's record, over within 2 h, open
    assert incidents.rows[-1] == ("全期", "4", "2", "1", "1", "0")
    details = table(document, "故障事件明细")
    assert [row[2:] for row in details.rows] == [
        (
            "设备中断",
            "设备无应答（2 次采样失败）",
            "12小时0分",
            "5分（达标）",
            "未到场（远程处置）",
            "1",
        ),
        ("硬件故障", "风扇 Fan 1", "6小时0分", "无人工记录", "无人工记录", "—"),
        (
            "设备中断",
            "设备无应答（4 次采样失败）",
            "1天0小时0分",
            "15分（超时）",
            "未到场（远程处置）",
            "2",
        ),
        ("人工报告", "av-1 网页访问缓慢", "1小时0分", "8分（达标）", "未到场（远程处置）", "3"),
    ]
    devices = table(document, "各设备可用率")
    fw = next(row for row in devices.rows if row[0] == "fw-1")
    assert fw[1:] == ("hq", "97.54%", "2026-04: 96.67%", "2", "1天12小时0分")
    assert next(row for row in devices.rows if row[0] == "av-1")[1:4] == (
        "城区支队",
        "100.00%",
        "—",
    )
    # Site columns are headed by the inventory's names (issue 12: they were the codes).
    sites = table(document, "各站点逐月可用率")
    assert sites.headers == ("月份", "城区支队", "hq")
    assert sites.rows[-1] == ("全期", "100.00%", "98.77%")
    signatures = table(document, "特征库升级服务范围内设备的升级情况")
    assert [row[0] for row in signatures.rows] == ["av-1", "sw-1"]
    assert signatures.rows[0][2:5] == ("病毒库", "2", "2/2")
    assert signatures.rows[1][2:5] == ("入侵防御特征库", "0", "0/2")
    # Stale at the end (31 May): ips released 2025-12-01, av released 10 May (limit 7 days).
    assert (signatures.rows[0][6], signatures.rows[1][6]) == ("病毒库", "入侵防御特征库")
    claims = next(s for _, s in document.walk() if s.title == "工作概述与主要结论")
    bullets = claims.blocks[0].items  # type: ignore[union-attr]
    # Every finding cites the table behind it, and that table exists.
    numbers = {
        t.caption.split()[1] for t in document.tables() if t.caption and t.caption[0] == "表"
    }
    for sentence in bullets:
        cited = sentence.rsplit("（见表 ", 1)[1].rstrip("）。").replace("表 ", "").split("、")
        assert cited and set(cited) <= numbers, sentence
    assert any("各站点可用率：城区支队 100.00%、hq 98.77%" in s for s in bullets), bullets
    assert any("共发生故障事件 4 起" in s and "2 起在 10 分钟内响应" in s for s in bullets)
    assert any(
        "完成特征库升级 2 次" in s and "2 台设备在周期结束时存在超期特征库" in s for s in bullets
    )
    assert document.cover[0] == ("文档编号", "NETMON-ZJ-20260401-20260531-01")
    assert document.number == "NETMON-ZJ-20260401-20260531-01"
    assert document.signoff is not None and document.signoff.title == "签字确认"


def test_an_empty_period_says_so(summary_store: Store) -> None:
    with summary_store.session(read_only=True) as session:
        empty = load_summary_data(session, year_period("2025", TZ), GENERATED_AT)
    assert len(empty.months) == 12 and not empty.has_data
    document = build_summary(empty, "zh", ReportSettings())
    assert [s.title for s in document.sections] == ["本期无数据"]
    assert document.signoff is not None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_annual_summary_renders(summary: SummaryData, summary_store: Store, lang: str) -> None:
    with summary_store.session(read_only=True) as session:
        annual = load_summary_data(session, year_period("2026", TZ), GENERATED_AT)
    assert len(annual.months) == 12
    assert annual.availability(["fw-1"]) == summary.availability(["fw-1"])
    document = build_summary(annual, lang, ReportSettings())
    assert document.title == (
        "年度运维服务工作总结" if lang == "zh" else "Annual maintenance service summary"
    )
    assert len(document.tables()[0].rows) == 13  # twelve months and the whole year


def test_postgresql_gives_the_same_figures(db_url: str, summary: SummaryData) -> None:
    upgrade(db_url)
    with open_store(db_url) as store:
        build_two_months(store)
        with store.session(read_only=True) as session:
            figures = load_summary_data(session, PERIOD, GENERATED_AT)
    assert figures.availability(["fw-1"]) == summary.availability(["fw-1"])
    assert figures.outages == summary.outages
    assert [(i.category, i.response, i.duration) for i in figures.incidents] == [
        (i.category, i.response, i.duration) for i in summary.incidents
    ]
    assert len(figures.upgrades) == len(summary.upgrades) == 2


def _netmon(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NETMON_DB_URL", "NETMON_SETTINGS")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary"], "needs --from YYYY-MM-DD --to YYYY-MM-DD or --year YYYY"),
        (["summary", "--year", "26"], "--year '26': expected a year as YYYY"),
        (["summary", "--month", "2026-04"], "takes --from/--to or --year, not --month"),
        (["summary", "--year", "2026", "--from", "2026-03-06", "--to", "2026-11-30"], "give one"),
        (["summary", "--from", "2026-11-30", "--to", "2026-03-06"], "is before --from"),
        (["monthly", "--year", "2026"], "--year is for the work summary only"),
    ],
)
def test_bad_arguments_are_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = _netmon("--state-dir", str(tmp_path), "report", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_writes_the_summary(summary_store: Store, tmp_path: Path) -> None:
    url = str(summary_store.engine.url.render_as_string(hide_password=False))
    result = _netmon(
        "report",
        "summary",
        "--from",
        "2026-04-01",
        "--to",
        "2026-05-31",
        "--format",
        "md",
        "--url",
        url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "netmon-summary-2026-04-01_2026-05-31.md").read_text()
    assert "# 运维服务工作总结" in text
    assert "| 全期 | 99.18% | 2 | 4 | 4 |" in text
