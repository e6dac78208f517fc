"""Problems are problems (issue 12 item 4): an unused port (down all period) and a port the
operator shut are not faults; an uplink that went down for 10 minutes and a port whose error
counters grew are. On SQLite and PostgreSQL, through the recorder and the roll-ups."""

from __future__ import annotations

import datetime as dt

from agent.reports.build import build_document, read_data
from agent.reports.period import day_period, report_timezone
from agent.reports.render_md import render_markdown
from agent.reports.settings import ReportSettings
from collectors.base import HealthSnapshot, Interface
from tests.support.report_store import Box, report_store, save_polls

PERIOD = day_period("2026-11-10", report_timezone("Asia/Shanghai"))
STEP = dt.timedelta(minutes=5)
POLLS = 288  # a day of 5-minute polls
UPLINK_DOWN = {100, 101}  # two polls: 10 minutes


def _snapshot(index: int) -> HealthSnapshot:
    def port(number: int, oper_up: bool, admin_up: bool = True, errors: int = 0, alias: str = ""):
        return Interface(
            number, f"GE1/0/{number}", oper_up, 10**9, 0, 0, errors, 0, 0, 0, admin_up, alias
        )

    return HealthSnapshot(
        device="sw-1",
        collected_at=PERIOD.start + index * STEP,
        reachable=True,
        interfaces=[
            port(1, index not in UPLINK_DOWN, alias="uplink-to-core"),  # the uplink
            port(2, False),  # unused: down all day, nobody shut it
            port(3, False, admin_up=False, alias="reserved"),  # shut by the operator
            port(4, True, errors=index * 3),  # errors growing
            port(5, True),  # healthy
        ],
    )


def test_only_the_uplink_down_and_the_growing_errors_are_problems(db_url: str) -> None:
    with report_store(
        db_url, [Box(site="总部", uplinks=("GE1/0/1",))], PERIOD.start - dt.timedelta(days=1)
    ) as store:
        save_polls(store, map(_snapshot, range(POLLS)))
        data = read_data(store, PERIOD, PERIOD.end)
    problems = {p.name: p for p in data.interfaces}
    assert sorted(problems) == ["GE1/0/1", "GE1/0/4"]
    uplink = problems["GE1/0/1"]
    assert (uplink.uplink, uplink.alias, uplink.down_samples) == (True, "uplink-to-core", 2)
    errors = problems["GE1/0/4"]
    assert (errors.uplink, errors.down_samples, errors.errors_added) == (False, 0, 3 * (POLLS - 1))
    assert data.unused_ports == {"sw-1": 2}  # port 2 (down) and port 3 (shut)

    document = build_document("monthly", data, "en", ReportSettings(agency="A", contractor="C"))
    markdown, _ = render_markdown(document, "assets")
    assert "Unused ports (down or shut all period, not uplinks): 2" in markdown
    assert "GE1/0/2" not in markdown and "GE1/0/3" not in markdown


def test_a_port_role_decides_whether_down_is_a_fault() -> None:
    from agent.reports.data import InterfaceProblem

    def port(**changes: object) -> InterfaceProblem:
        values: dict = {"samples": 10, "down_samples": 10} | changes
        return InterfaceProblem(
            "d", 1, "p", values.pop("samples"), values.pop("down_samples"), 0, 0, **values
        )

    assert port(uplink=True).is_problem  # an uplink down all period
    assert not port().is_problem  # unused
    assert not port(alias="printer").is_problem  # described but never up: unused too
    assert port(alias="printer", down_samples=3).is_problem  # described, went down
    assert not port(down_samples=3).is_problem  # neither uplink nor described
    assert not port(down_samples=0, admin_down_samples=10, uplink=True).is_problem  # shut
