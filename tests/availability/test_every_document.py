"""One scripted history (document_history) through every document, in Chinese: the exact
figures each one prints (outages, availability, durations, component counts, unused ports,
incident verdicts, record counts, library ages), on SQLite and PostgreSQL.

The report is made mid-month (2026-12-15 14:00 Beijing, fw-b down and fw-c's fan failed at
that moment): open items run to that time, ages and remaining days are counted from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from availability_history import GENERATED_AT, history_store
from document_history import build_document_history

from agent.reports.build import build_document, read_data
from agent.reports.document import Document, Paragraph, Table
from agent.reports.period import day_period, month_period, report_timezone
from agent.reports.settings import ReportSettings
from agent.reports.summary import build_summary
from agent.reports.summary_data import load_summary_data
from agent.store import Store

TZ = report_timezone("Asia/Shanghai")
MONTH = month_period("2026-12", TZ)
DAY = day_period("2026-12-15", TZ)
SETTINGS = ReportSettings(agency="测试机关", contractor="测试承包商")
SIX_HOURS = 6 * 3600
# Outage seconds over monitored seconds (agent.availability): fw-a 90 s + 2 h in 6 h; fw-b's
# open outage (05:30:05 to 06:00) in 6 h less its 30-minute window and 5 minutes of netmon's
# downtime; fw-c never down.
FW_A_DOWN, FW_B_DOWN, FW_B_MONITORED = 90 + 7200, 1795, SIX_HOURS - 2100
FLEET = 1 - (FW_A_DOWN + FW_B_DOWN) / (2 * SIX_HOURS + FW_B_MONITORED)
# The two incidents as every document judges them: answered in 6 minutes and reached in
# 1 h 48 min; answered in 24 minutes (late), nobody on site, open for 29 minutes.
INCIDENT_ROWS = [
    (
        "3",
        "fw-a",
        "防火墙 fw-a 无法访问",
        "2026-12-15 11:02",
        "6分（达标）",
        "1小时48分（达标）",
        "1小时58分",
        "更换故障电源后恢复",
    ),
    (
        "4",
        "fw-b",
        "防火墙 fw-b 无法访问",
        "2026-12-15 13:31",
        "24分（超时）",
        "未到场（远程处置）",
        "29分（未结束）",
        "—",
    ),
]
# fw-c's fan 2, read failed over the CLI (``fan2``) from 03:00 UTC, still failed at 14:00.
OPEN_FAULT = ("fw-c", "风扇 Fan 2", "2026-12-15 11:00", "未恢复", "3小时0分")
# The work summary's incidents: what monitoring saw (the outages the documents count and the
# fan fault), merged with the engineers' incident records of the same device overlapping in
# time, whose response and arrival times they show; without a record, "not recorded".
SUMMARY_INCIDENTS = [
    (
        "fw-a",
        "2026-12-15 10:00",
        "设备中断",
        "设备无应答（9 次采样失败）",
        "2分",
        "无人工记录",
        "无人工记录",
        "—",
    ),
    (
        "fw-c",
        "2026-12-15 11:00",
        "硬件故障",
        "风扇 Fan 2",
        "3小时0分（未结束）",
        "无人工记录",
        "无人工记录",
        "—",
    ),
    (
        "fw-a",
        "2026-12-15 11:00",
        "设备中断",
        "设备无应答（720 次采样失败）",
        "2小时0分",
        *INCIDENT_ROWS[0][4:6],
        "3",
    ),
    (
        "fw-b",
        "2026-12-15 13:30",
        "设备中断",
        "设备无应答（180 次采样失败）",
        "30分（未结束）",
        *INCIDENT_ROWS[1][4:6],
        "4",
    ),
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """Built once per backend: every test here only reads it."""
    directory = tmp_path_factory.mktemp("documents")
    with history_store(request.param, directory, build_document_history) as store:
        yield store


@pytest.fixture(scope="module")
def documents(history: Store) -> dict[str, Document]:
    built = {
        kind: build_document(kind, read_data(history, period, GENERATED_AT), "zh", SETTINGS)
        for kind, period in (
            ("monthly", MONTH),
            ("daily", DAY),
            ("upgrades", MONTH),
            ("maintenance", MONTH),
        )
    }
    with history.session(read_only=True) as session:
        built["summary"] = build_summary(
            load_summary_data(session, MONTH, GENERATED_AT), "zh", SETTINGS
        )
    return built


def table(document: Document, section: str, first_header: str, nth: int = 0) -> Table:
    """The ``nth`` table in the section titled ``section`` (or captioned so) whose first
    column is ``first_header``."""
    found = [
        block
        for _, part in document.walk()
        for block in part.blocks
        if isinstance(block, Table)
        and block.headers[0] == first_header
        and section in (part.title, block.caption)
    ]
    assert len(found) > nth, f"no table {first_header!r} in {section!r}"
    return found[nth]


def rows(document: Document, section: str, first_header: str, nth: int = 0) -> list[tuple]:  # type: ignore[type-arg]
    return list(table(document, section, first_header, nth).rows)


def figures(document: Document, section: str) -> dict[str, str]:
    """The section's first two-column (item, value) table as a mapping."""
    for _, part in document.walk():
        if part.title == section:
            pairs = next(b for b in part.blocks if isinstance(b, Table) and len(b.headers) == 2)
            return dict(pairs.rows)  # type: ignore[arg-type]
    raise AssertionError(f"no section {section!r}")


def paragraphs(document: Document, section: str) -> list[str]:
    return [
        block.text
        for _, part in document.walk()
        if part.title == section
        for block in part.blocks
        if isinstance(block, Paragraph)
    ]


def test_the_data_counts_each_outage_once_and_one_fan_per_fan(history: Store) -> None:
    data = read_data(history, MONTH, GENERATED_AT)
    assert [(o.device, o.duration(MONTH.end)) for o in data.outages] == [
        ("fw-a", dt.timedelta(seconds=90)),
        ("fw-a", dt.timedelta(hours=2)),
        ("fw-b", dt.timedelta(seconds=FW_B_DOWN)),
    ]
    assert data.fleet_availability == pytest.approx(FLEET)
    assert data.health["fw-c"].availability == 1.0
    # Read over SNMP as "Fan 2", then over the CLI as "fan2": one component.
    components = {(c.kind, c.name, c.status) for c in data.health["fw-c"].components}
    assert components == {
        ("fan", "Fan 1", "ok"),
        ("fan", "Fan 2", "failed"),
        ("psu", "Power Supply 1", "ok"),
    }


def test_monthly_report(documents: dict[str, Document]) -> None:
    monthly = documents["monthly"]
    assert monthly.number == "NETMON-XJ-202612-01"
    head = figures(monthly, "概要")
    assert head["设备总数"] == "3"
    assert head["整体可用率"] == f"{FLEET * 100:.2f}%" == "85.51%"
    assert head["中断次数"] == "3"
    assert head["硬件故障（风扇/电源）"] == "1"
    assert head["特征库/软件/授权变更"] == "1"
    # Findings: fw-c's unused port, its first configuration and fw-a's 20 s silence are not
    # problems; its failed fan, stale AV library, licence and uplink are.
    assert rows(monthly, "问题明细（按设备和类别）", "设备") == [
        ("fw-c", "硬件故障未恢复", "1", "重要", "fw-c 的风扇 Fan 2 故障，截至统计截止时仍未恢复。"),
        (
            "fw-c",
            "特征库超期未更新",
            "1",
            "次要",
            "fw-c 的病毒库已 14 天未更新（版本 2026.12.01）。",
        ),
        (
            "fw-c",
            "授权即将到期",
            "1",
            "警告",
            "fw-c 的授权 ips-subscription 将于 2027-01-14 到期（剩余 30 天）。",
        ),
        (
            "fw-c",
            "接口异常",
            "1",
            "警告",
            "fw-c 的接口 GE1/0/2 出现异常（中断 6 次采样，新增错包 0）。",
        ),
        ("fw-a", "设备中断", "1", "重要", "fw-a 本期中断 2 次，累计 2小时2分。"),
        ("fw-a", "可用率偏低", "1", "重要", "fw-a 可用率为 66.25%。"),
        ("fw-b", "设备中断", "1", "重要", "fw-b 本期中断 1 次，累计 30分。"),
        ("fw-b", "可用率偏低", "1", "重要", "fw-b 可用率为 90.79%。"),
    ]
    fw_a = figures(monthly, "fw-a（天融信 NGFW4000）")
    assert fw_a["可用率"] == "66.25%（采样 1208 次，不可达 731 次）"
    assert rows(monthly, "告警与中断", "发生时间") == [
        ("2026-12-15 10:00", "重要", "健康采样：设备不可达（9 次无应答）", "已关闭", "2分"),
        ("2026-12-15 11:00", "重要", "健康采样：设备不可达（720 次无应答）", "已关闭", "2小时0分"),
    ]
    fw_b = figures(monthly, "fw-b（天融信 NGFW4000）")
    assert fw_b["可用率"] == "90.79%（采样 870 次，不可达 240 次）"
    # The open outage runs to the generation time: 30 minutes, not to the month's end.
    assert rows(monthly, "告警与中断", "发生时间", 1) == [
        ("2026-12-15 13:30", "重要", "健康采样：设备不可达（180 次无应答）", "仍中断", "30分"),
    ]
    fw_c = figures(monthly, "fw-c（天融信 NGFW4000）")
    assert fw_c["风扇"] == "2 个，异常：Fan 2 故障"
    assert fw_c["电源"] == "1 个，全部正常"
    assert fw_c["可用率"] == "100.00%（采样 36 次，不可达 0 次）"
    assert rows(monthly, "接口异常", "接口") == [("GE1/0/2", "6", "0", "0")]
    assert "未使用端口（整期中断或关闭，非上联口）：1 个" in paragraphs(
        monthly, "fw-c（天融信 NGFW4000）"
    )
    # The first configuration is recorded, not an open item.
    assert rows(monthly, "告警与中断", "发生时间", 2) == [
        ("2026-12-15 08:01", "提示", "首次保存配置（版本 v1）", "已记录", "—"),
    ]
    # Ages as of 2026-12-15, not as of the month's end.
    assert rows(monthly, "特征库/软件版本", "库/组件") == [
        ("病毒库", "2026.12.01", "2026-12-01", "2026-12-15", "14"),
        ("入侵防御特征库", "2026.12.14", "2026-12-14", "2026-12-15", "1"),
    ]
    assert rows(monthly, "授权", "授权项") == [("ips-subscription", "2027-01-14", "30")]
    (window,) = rows(monthly, "维护窗口（告警屏蔽，不计入可用率）", "设备")
    assert window == ("fw-b", "2026-12-15 09:00", "2026-12-15 09:30", "更换电源模块", "二线组")
    (gap,) = rows(monthly, "监控系统自身中断（不计入设备可用率）", "范围")
    assert gap[:4] == ("fw-b", "2026-12-15 10:00", "2026-12-15 10:05", "5分")
    records = rows(monthly, "工程师工作记录", "编号")
    assert sorted(row[1] for row in records) == [
        "人工升级",
        "值班记录",
        "应急响应",
        "应急响应",
        "维修",
    ]
    assert rows(monthly, "应急响应", "编号") == INCIDENT_ROWS
    assert rows(monthly, "未结束的应急事件", "编号") == INCIDENT_ROWS[1:]


def test_daily_report(documents: dict[str, Document]) -> None:
    daily = documents["daily"]
    head = figures(daily, "概况")
    assert head["整体可用率"] == "85.51%"
    assert head["设备中断"] == "3"
    assert head["上联口中断"] == "1"
    assert head["特征库/软件/授权变更"] == "1"
    assert "其中特征库/软件回退" not in head  # an upgrade, not a rollback
    # The open fault and the open outage; not the informational first configuration.
    assert head["未关闭事项"] == "2"
    assert rows(daily, "设备中断情况", "设备") == [
        ("fw-a", "2026-12-15 10:00", "2026-12-15 10:01", "2分"),
        ("fw-a", "2026-12-15 11:00", "2026-12-15 13:00", "2小时0分"),
        ("fw-b", "2026-12-15 13:30", "仍中断", "30分"),
    ]
    # fw-c's uplink GE1/0/2, down in the six polls from 11:00, up at 12:00 (the hour is what
    # the roll-ups keep); its unused GE1/0/3 is not listed.
    assert rows(daily, "上联口中断情况", "设备") == [
        ("fw-c", "GE1/0/2", "2026-12-15 11:00", "2026-12-15 12:00", "6")
    ]
    assert rows(daily, "未关闭事项", "设备") == [OPEN_FAULT]
    assert rows(daily, "未关闭事项", "设备", 1) == [
        ("fw-b", "重要", "设备不可达（自 2026-12-15 13:30）", "2026-12-15 13:30", "30分")
    ]
    assert len(rows(daily, "工程师工作记录", "编号")) == 5
    assert rows(daily, "应急响应", "编号") == INCIDENT_ROWS


def test_a_daily_report_made_while_the_uplink_is_down(history: Store) -> None:
    """Made at 11:30, within the hour the uplink was down: still down, and an open item."""
    made = GENERATED_AT - dt.timedelta(hours=2, minutes=30)
    daily = build_document("daily", read_data(history, DAY, made), "zh", SETTINGS)
    assert rows(daily, "上联口中断情况", "设备") == [
        ("fw-c", "GE1/0/2", "2026-12-15 11:00", "仍中断", "6")
    ]
    uplink = (
        "fw-c",
        "警告",
        "上联口 GE1/0/2 中断（自 2026-12-15 11:00 所在小时）",
        "2026-12-15 11:00",
        "30分",
    )
    assert uplink in rows(daily, "未关闭事项", "设备", 1)


def test_upgrades_report(documents: dict[str, Document]) -> None:
    upgrades = documents["upgrades"]
    assert rows(upgrades, "变更汇总", "类别") == [
        ("特征库升级", "1"),
        ("特征库回退", "0"),
        ("软件/引擎升级", "0"),
        ("软件/引擎回退", "0"),
        ("授权续期", "0"),
        ("授权到期日提前", "0"),
        ("合计", "1"),
    ]
    assert rows(upgrades, "fw-c（天融信 NGFW4000）", "日期") == [
        ("2026-12-15", "特征库升级", "入侵防御特征库", "2026.11.30", "2026.12.14")
    ]
    ((_, kind, device, *_),) = rows(upgrades, "人工升级记录", "编号")
    assert (kind, device) == ("人工升级", "fw-c")
    assert rows(upgrades, "当前授权状态", "设备") == [
        ("fw-c", "ips-subscription", "2027-01-14", "30")
    ]


def test_maintenance_report(documents: dict[str, Document]) -> None:
    maintenance = documents["maintenance"]
    # One fan, whichever protocol read it, failed until the report was made.
    assert rows(maintenance, "硬件故障及恢复", "设备") == [OPEN_FAULT]
    ((_, kind, device, engineer, started, ended, summary, action, state),) = rows(
        maintenance, "维护/调优记录", "编号"
    )
    assert (kind, device, engineer, started, ended) == (
        "维修",
        "fw-c",
        "驻场一组",
        "2026-12-15 13:10",
        "—",
    )
    assert (summary, action, state) == ("风扇 fan2 故障，待备件", "—", "进行中")


def test_work_summary(documents: dict[str, Document]) -> None:
    summary = documents["summary"]
    month, whole = rows(summary, "表 1  逐月主要指标", "月份")
    # Availability, outages, alerts, changes, signature upgrades, devices updated, hardware
    # faults, records: the same figures as the monthly report's.
    expected = ("85.51%", "3", "4")
    assert month[1:4] == whole[1:4] == expected
    assert month[4:] == whole[4:] == ("1", "0（0/0）", "1", "1/1", "1", "5")
    assert rows(summary, "表 2  各设备可用率", "设备") == [
        ("fw-a", "headquarters", "66.25%", "2026-12: 66.25%", "2", "2小时2分"),
        ("fw-b", "branch", "90.79%", "2026-12: 90.79%", "1", "30分"),
        ("fw-c", "headquarters", "100.00%", "—", "0", "0分"),
    ]
    # A site pools its devices' times: (90 s + 2 h) down in 12 h at headquarters.
    headquarters = 1 - FW_A_DOWN / (2 * SIX_HOURS)
    assert rows(summary, "表 3  各站点逐月可用率", "月份")[-1] == (
        "全期",
        f"{headquarters * 100:.2f}%",
        "90.79%",
    )
    assert [row[:4] for row in rows(summary, "表 4  设备中断明细", "设备")] == [
        ("fw-a", "2026-12-15 10:00", "2026-12-15 10:01", "2分"),
        ("fw-a", "2026-12-15 11:00", "2026-12-15 13:00", "2小时0分"),
        ("fw-b", "2026-12-15 13:30", "未恢复", "30分"),
    ]
    # Incidents: 4; 1 answered within 10 minutes, 2 with no engineer's record; 2 over
    # within 2 hours (the 90 s and the 2 h outage), 2 still going at 14:00.
    assert rows(summary, "表 5  故障事件响应与处置（按月）", "月份") == [
        ("2026-12", "4", "1", "2", "2", "2"),
        ("全期", "4", "1", "2", "2", "2"),
    ]
    assert rows(summary, "表 6  故障事件明细", "设备") == SUMMARY_INCIDENTS
    assert rows(summary, "表 9  特征库升级服务范围内设备的升级情况", "设备") == [
        ("fw-c", "NGFW4000", "病毒库、入侵防御特征库", "1", "1/1", "2026-12-15", "病毒库")
    ]
    assert rows(summary, "表 10  硬件故障（风扇/电源）", "设备") == [OPEN_FAULT]
    assert (
        len(
            rows(summary, "表 11  工程师工作记录（维护、维修、调优、升级、应急响应、值班）", "编号")
        )
        == 5
    )
    assert rows(summary, "表 12  应急响应记录：响应与到场时间", "编号") == INCIDENT_ROWS
