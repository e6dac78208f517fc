"""The scripted history (availability_history) read back by the documents: outage count,
durations and availability per device, maintenance windows and netmon's downtime, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from availability_history import (
    DEVICES,
    GAP,
    GENERATED_AT,
    ORIGIN,
    SCRAPE,
    SILENCES,
    WINDOW,
    Box,
    Span,
    at,
    build_history,
    first_answer,
    history_store,
    promtool_series,
)

from agent.availability import DEVICE_DOWN_AFTER, DEVICE_DOWN_RULE
from agent.reports.data import ReportData, load_report_data
from agent.reports.period import day_period, month_period, report_timezone
from agent.store import Store
from tests.support import require_tool

TZ = report_timezone("Asia/Shanghai")
MONTH = month_period("2026-12", TZ)
DAY = day_period("2026-12-15", TZ)
SIX_HOURS = dt.timedelta(hours=6).total_seconds()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The history, built once per backend for the module: 1,440 polls through the writer
    take tens of seconds on a loaded machine, and every test here only reads it."""
    with history_store(request.param, tmp_path_factory.mktemp("history"), build_history) as store:
        yield store


def read(store: Store, period: object) -> ReportData:
    with store.session(read_only=True) as session:
        return load_report_data(session, period, GENERATED_AT)  # type: ignore[arg-type]


def test_documents_count_the_outages_the_alert_waits_for(history: Store) -> None:
    for period in (MONTH, DAY):
        data = read(history, period)
        shown = [(o.device, o.start, o.end, o.duration(period.end)) for o in data.outages]
        assert shown == [
            # fw-a's 20 s silence (a missed poll and its first retry) is no outage; 90 s and
            # 2 h are.
            ("fw-a", at(2, 0, 5), at(2, 1, 35), dt.timedelta(seconds=90)),
            ("fw-a", at(3, 0, 5), at(5, 0, 5), dt.timedelta(hours=2)),
            # fw-b's silence inside its maintenance window is none; the open one runs to the
            # generation time, not the end of the month.
            ("fw-b", at(5, 30, 5), None, dt.timedelta(minutes=29, seconds=55)),
        ], period


def test_availability_is_over_monitored_time(history: Store) -> None:
    data = read(history, MONTH)
    fw_a, fw_b = data.health["fw-a"], data.health["fw-b"]
    assert fw_a.availability == pytest.approx(1 - (90 + 7200) / SIX_HOURS)
    assert fw_a.uptime is not None and fw_a.uptime.monitored == dt.timedelta(hours=6)
    # fw-b: 30 min of maintenance and 5 min of netmon's downtime are not monitored time.
    assert fw_b.uptime is not None
    assert fw_b.uptime.maintenance == dt.timedelta(minutes=30)
    assert fw_b.uptime.netmon_down == dt.timedelta(minutes=5)
    assert fw_b.uptime.monitored == dt.timedelta(hours=6, minutes=-35)
    assert fw_b.availability == pytest.approx(1 - 1795 / (SIX_HOURS - 2100))
    assert data.fleet_availability == pytest.approx(1 - (90 + 7200 + 1795) / (2 * SIX_HOURS - 2100))


def test_windows_and_netmon_downtime_reach_the_report_data(history: Store) -> None:
    data = read(history, MONTH)
    (window,) = data.maintenance_windows
    assert (window.device, window.starts_at, window.ends_at) == ("fw-b", *WINDOW)
    assert (window.reason, window.created_by) == ("更换电源模块", "二线组")
    (gap,) = data.monitoring_gaps
    assert (gap.device, gap.start, gap.end, gap.reason) == ("fw-b", *GAP, "overload")


def test_a_report_made_later_sees_the_open_outage_longer(history: Store) -> None:
    later = GENERATED_AT + dt.timedelta(hours=1)
    with history.session(read_only=True) as session:
        data = load_report_data(session, MONTH, later)
    (open_one,) = [o for o in data.outages if o.end is None]
    assert open_one.duration(MONTH.end) == dt.timedelta(hours=1, minutes=29, seconds=55)


# --- the same history against the shipped alert rules ----------------------------------------

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules" / "netmon.rules.yml"


def _down_rule() -> dict[str, Any]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    (rule,) = [r for g in groups for r in g["rules"] if r.get("alert") == DEVICE_DOWN_RULE]
    return rule


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert match and duration, f"unparsed Prometheus duration {duration!r}"
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def test_the_shipped_rule_waits_as_long_as_the_definition() -> None:
    rule = _down_rule()
    assert dt.timedelta(seconds=_seconds(rule["for"])) == DEVICE_DOWN_AFTER
    assert "unless on(device) (netmon_device_maintenance == 1)" in rule["expr"]


def test_one_missed_poll_cannot_reach_the_threshold() -> None:
    """The daemon's health retry bound (netmon.toml refuses more) keeps one missed poll's
    silence, plus a 15 s scrape, below the rule's wait: one missed poll never pages."""
    from agent.settings import HEALTH_RETRY_LIMIT, Settings

    scrape = dt.timedelta(seconds=15)  # deploy/prometheus/prometheus.yml's scrape_interval
    assert dt.timedelta(seconds=HEALTH_RETRY_LIMIT) + scrape <= DEVICE_DOWN_AFTER
    assert Settings().health_retry < HEALTH_RETRY_LIMIT
    shipped = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert _seconds(shipped["global"]["scrape_interval"]) <= scrape.total_seconds()


def _expected_annotations(box: Box, rule: dict[str, Any]) -> dict[str, str]:
    """The rule's annotations as Prometheus renders them for a box with no display name and
    no successful poll in the test series (the templates' fallbacks)."""
    where = f"{box.vendor} {box.model}"
    return {
        "runbook_url": rule["annotations"]["runbook_url"],
        "runbook": rule["annotations"]["runbook"],
        "summary": f"{box.name} ({where}, site {box.site}) does not answer SNMP health polls",
        "summary_zh": f"设备 {box.name}（{where}，{box.site}）SNMP 无响应，疑似宕机或断网",
        "description": (
            f"The {box.kind} {box.name} at site {box.site} has not answered netmon's health "
            "polls for at least 30 seconds. It has not answered since netmon started."
        ),
    }


def _last_scrape_down(device: str, silence: Span) -> dt.datetime:
    """The last evaluation that still sees the device down: the scrape before the first one
    after the answer (GENERATED_AT for a silence still open). An alert that ever fires for a
    silence is firing here, its pending time being the longest it gets."""
    answer = first_answer(device, silence)
    if answer is None:
        return GENERATED_AT
    scrapes = -(-(answer - ORIGIN) // SCRAPE)  # the first scrape at or after the answer
    return ORIGIN + (scrapes - 1) * SCRAPE


def test_promtool_fires_device_down_exactly_for_the_outages_the_documents_count(
    history: Store, tmp_path: Path
) -> None:
    promtool = require_tool("promtool", "prometheus")
    rule = _down_rule()
    data = read(history, MONTH)
    boxes = {box.name: box for box in DEVICES}
    checks: list[dict[str, Any]] = []
    fired = 0
    for device, silences in SILENCES.items():
        for silence in silences:
            moment = _last_scrape_down(device, silence)
            counted = [
                o
                for o in data.outages
                if o.device == device and o.start <= moment <= (o.end or GENERATED_AT)
            ]
            fired += bool(counted)
            box = boxes[device]
            checks.append(
                {
                    "eval_time": f"{int((moment - ORIGIN).total_seconds())}s",
                    "alertname": DEVICE_DOWN_RULE,
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "critical",
                                "device": device,
                                "vendor": box.vendor,
                                "model": box.model,
                                "kind": box.kind,
                                "site": box.site,
                            },
                            "exp_annotations": _expected_annotations(box, rule),
                        }
                    ]
                    if counted
                    else [],
                }
            )
            if first_answer(device, silence) is not None:
                # Resolved once the answer is scraped.
                after = moment + 2 * SCRAPE
                checks.append(
                    {
                        "eval_time": f"{int((after - ORIGIN).total_seconds())}s",
                        "alertname": DEVICE_DOWN_RULE,
                        "exp_alerts": [],
                    }
                )
    # The documents count three outages (90 s, 2 h, the open one): promtool must agree on
    # each silence, the 20 s one and the one in maintenance included.
    assert fired == len(data.outages) == 3
    checks.sort(key=lambda check: _seconds(check["eval_time"]))
    test_file = tmp_path / "history.yml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(RULES)],
                "evaluation_interval": "15s",
                "tests": [
                    {
                        "interval": "15s",
                        "input_series": [
                            {"series": name, "values": values}
                            for name, values in promtool_series().items()
                        ],
                        "alert_rule_test": checks,
                    }
                ],
            },
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("kind", "period"), [("monthly", MONTH), ("daily", DAY)])
def test_reports_show_windows_and_netmon_downtime_where_outages_are(
    history: Store, kind: str, period: object
) -> None:
    from agent.reports.build import build_document
    from agent.reports.render_md import render_markdown
    from agent.reports.settings import ReportSettings

    data = read(history, period)
    document = build_document(
        kind, data, "zh", ReportSettings(agency="测试机关", contractor="承包商")
    )
    text, _ = render_markdown(document, "x")
    assert "维护窗口与监控系统自身中断" in text
    assert "更换电源模块" in text and "二线组" in text
    assert "监控负载过高，采集被跳过或延迟" in text
    assert "可用率 = 1 - 中断时长 / 监控时长" in text
