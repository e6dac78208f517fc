"""Engineers' records (``netmon record``) in the rendered documents: the daily and monthly
reports (records, incidents against the contract's targets, incidents still open), the
maintenance record (one repair sheet per repair) and the upgrades record (manual upgrades).
The records are ENGINEER_RECORDS of report_history."""

from __future__ import annotations

from conftest import GENERATED_AT
from report_history import PERIOD

from agent.reports.build import build_document, read_data
from agent.reports.data import ReportData
from agent.reports.period import day_period
from agent.reports.render_md import render_markdown
from agent.reports.settings import ReportSettings
from agent.store import Store


def rendered(kind: str, data: ReportData, settings: ReportSettings, lang: str = "zh") -> str:
    text, _ = render_markdown(build_document(kind, data, lang, settings), "x")
    return text


def line_with(text: str, needle: str) -> str:
    (line,) = [line for line in text.splitlines() if needle in line and line.startswith("|")]
    return line


def test_daily_report_shows_the_days_records_and_incident_times(
    known_store: Store, settings: ReportSettings
) -> None:
    data = read_data(known_store, day_period("2026-04-10", PERIOD.tz), GENERATED_AT)
    assert sorted(r.kind for r in data.records) == ["duty", "incident"]
    text = rendered("daily", data, settings)
    assert "工程师工作记录" in text and "白班值守，无异常" in text
    incident = line_with(text, "| 防火墙无法访问 | 2026-04-10 08:00 |")
    # Answered after 6 minutes (target 10), on site after 3 hours (city 2 h, suburban 4 h),
    # resolved 5 hours after the report.
    assert "6分（达标）" in incident
    assert "3小时0分（仅满足郊区4小时要求）" in incident
    assert "5小时0分" in incident and "重启管理进程" in incident
    assert "未结束的应急事件" not in text


def test_monthly_report_lists_every_record_and_the_open_incident(
    known_data: ReportData, settings: ReportSettings
) -> None:
    text = rendered("monthly", known_data, settings)
    for summary in ("按工单 7 新增 VLAN 20 并验证", "风扇 Fan 1 故障", "手工导入 IPS 特征库离线包"):
        assert summary in text
    assert "合同要求：接到报告后10分钟内响应" in text
    open_section = text[text.index("未结束的应急事件") :]
    still_open = line_with(open_section, "交换机端口告警")
    # Reported 04-29 20:00, answered after 25 minutes; the month ends 05-01 00:00 and the
    # report is made after it, so it has been open 1 day 4 hours at the period's end.
    assert "25分（超时）" in still_open and "未到场（远程处置）" in still_open
    assert "1天4小时0分（未结束）" in still_open


def test_maintenance_document_has_a_repair_sheet_per_repair(
    known_data: ReportData, settings: ReportSettings
) -> None:
    text = rendered("maintenance", known_data, settings)
    assert "本期无人工维护" not in text
    assert "按工单 7 新增 VLAN 20 并验证" in text  # the tuning
    assert "安全设备维修单（记录 2）" in text
    for field, value in (
        ("维修单编号", "WX-00002"),
        ("故障现象", "风扇 Fan 1 故障"),
        ("处理措施", "更换风扇 Fan 1"),
        ("处理结果", "风扇恢复正常"),
        ("实施人", "驻场一组"),
        ("开始时间", "2026-04-04 09:00"),
        ("结束时间", "2026-04-04 11:00"),
    ):
        assert f"| {field} | {value} |" in text
    assert "维修工程师（签字）" in text
    # Incidents and duty notes belong to the daily and monthly reports, not to this sheet.
    assert "防火墙无法访问" not in text and "白班值守" not in text


def test_upgrades_document_shows_manual_upgrades(
    known_data: ReportData, settings: ReportSettings
) -> None:
    text = rendered("upgrades", known_data, settings)
    row = line_with(text, "手工导入 IPS 特征库离线包")
    assert "| 人工升级 | fw-1 | 驻场二组 | 2026-04-12 14:00 | 2026-04-12 15:00 |" in row
    english = rendered("upgrades", known_data, settings, "en")
    assert "Upgrades done by hand" in english and "manual upgrade" in english
