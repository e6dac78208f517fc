"""The daily report's uplinks (agent.reports.uplinks) on SQLite and PostgreSQL: an uplink
still down when the report is made is listed as still down and is an open item; once the
hourly roll-ups are gone (retention), the port is still listed, without times. The history
through the recorder and the roll-ups: one switch, a 5-minute poll, its uplink down from
poll 200 (16:40 Beijing) to the newest poll (19:10), the report made a minute later."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from agent.reports.build import build_document, read_data
from agent.reports.document import Section, Table
from agent.reports.period import day_period, report_timezone
from agent.reports.settings import ReportSettings
from agent.reports.text import Text
from agent.reports.uplinks import add_uplinks, uplinks_down
from agent.store.models import InterfaceHourly
from collectors.base import HealthSnapshot, Interface
from tests.support.report_store import Box, report_store, save_polls

PERIOD = day_period("2026-11-10", report_timezone("Asia/Shanghai"))
STEP = dt.timedelta(minutes=5)
DOWN_FROM, LAST_POLL = 200, 230
MADE = PERIOD.start + LAST_POLL * STEP + dt.timedelta(minutes=1)
SETTINGS = ReportSettings(agency="测试机关", contractor="测试承包商")


def _snapshot(index: int) -> HealthSnapshot:
    return HealthSnapshot(
        device="sw-1",
        collected_at=PERIOD.start + index * STEP,
        reachable=True,
        interfaces=[
            Interface(1, "GE1/0/1", index < DOWN_FROM, 10**9, admin_up=True),
            Interface(2, "GE1/0/2", True, 10**9, admin_up=True),
        ],
    )


def _rows(document: object, title: str) -> list[tuple[str, ...]]:
    parts = [document] if isinstance(document, Section) else [p for _, p in document.walk()]  # type: ignore[attr-defined]
    for part in parts:
        if part.title == title:
            return [row for block in part.blocks if isinstance(block, Table) for row in block.rows]
    raise AssertionError(f"no section {title!r}")


def test_an_uplink_still_down_and_one_past_the_hourly_retention(db_url: str) -> None:
    with report_store(
        db_url, [Box(uplinks=("GE1/0/1",))], PERIOD.start - dt.timedelta(days=1)
    ) as store:
        save_polls(store, map(_snapshot, range(LAST_POLL + 1)))
        data = read_data(store, PERIOD, MADE)
        daily = build_document("daily", data, "zh", SETTINGS)
        # The roll-ups past retention: the daily figures still name the port (the monthly's
        # interface problems), the hours are gone.
        with store.session() as session:
            session.execute(delete(InterfaceHourly))
        with store.session(read_only=True) as session:
            untimed = uplinks_down(session, data.interfaces, PERIOD.start, PERIOD.end, MADE)
    (row,) = data.uplinks_down
    assert (row.port.name, row.port.down_samples, row.still_down) == ("GE1/0/1", 31, True)
    assert row.first_hour == dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)  # 16:00 Beijing
    assert row.came_back is None
    assert _rows(daily, "上联口中断情况") == [
        ("sw-1", "GE1/0/1", "2026-11-10 16:00", "仍中断", "31")
    ]
    assert (
        "sw-1",
        "警告",
        "上联口 GE1/0/1 中断（自 2026-11-10 16:00 所在小时）",
        "2026-11-10 16:00",
        "3小时11分",
    ) in _rows(daily, "未关闭事项")
    head = dict(_rows(daily, "概况"))
    assert (head["上联口中断"], head["未关闭事项"]) == ("1", "1")
    (past,) = untimed
    assert (past.port.name, past.first_hour, past.came_back, past.still_down) == (
        "GE1/0/1",
        None,
        None,
        False,
    )
    listed = Section("上联口中断情况")
    add_uplinks(listed, untimed, Text("zh", PERIOD))
    assert _rows(listed, "上联口中断情况") == [("sw-1", "GE1/0/1", "—", "—", "31")]
