"""A store made by schema 0003 (raw rows per poll), migrated to 0004's roll-ups, gives the
documents the same numbers; so does the store once retention has deleted the raw polls.

The history is written with SQL into 0003's tables (the old code path no longer exists), and
the expected numbers are computed here from the same list of polls, independently of netmon.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from agent.reports.data import ReportData, load_report_data
from agent.reports.period import day_period, month_period, report_timezone
from agent.store import open_store
from agent.store.engine import make_engine
from agent.store.models import HealthSample, UTCDateTime
from agent.store.rollup import enforce_retention
from agent.store.schema import head_revision, upgrade

TZ = report_timezone("Asia/Shanghai")
MONTH = month_period("2026-03", TZ)
DAY = day_period("2026-03-05", TZ)
STEP = dt.timedelta(minutes=30)
POLLS = int((MONTH.end - MONTH.start) / STEP)  # 1488: every half hour of March
DEVICES = ("av-1", "fw-1", "sw-1")
FW_DOWN = range(100, 106)  # fw-1 unreachable, back at poll 106
SW_DOWN = range(POLLS - 3, POLLS)  # sw-1 unreachable to the end of the month
FAN_FAILED = range(200, 241)  # fw-1's fan1 failed, fine again at poll 241


def at(index: int) -> dt.datetime:
    return MONTH.start + index * STEP


@dataclass
class Poll:
    device: str
    index: int
    reachable: bool
    cpu: float | None
    memory: float | None
    components: list[tuple[str, str, str, float | None]] = field(default_factory=list)
    ports: list[dict[str, object]] = field(default_factory=list)


def history() -> list[Poll]:
    polls = []
    for offset, device in enumerate(DEVICES):
        for i in range(POLLS):
            down = (device == "fw-1" and i in FW_DOWN) or (device == "sw-1" and i in SW_DOWN)
            if down:
                polls.append(Poll(device, i, False, None, None))
                continue
            poll = Poll(device, i, True, 0.1 + (i % 7) * 0.05 + offset / 10, 0.3 + (i % 5) / 50)
            poll.components.append(("temperature", "board", "ok", 40.0 + (i % 11) + offset))
            poll.components.append(("psu", "psu1", "ok", None))
            if device == "fw-1":
                fan = "failed" if i in FAN_FAILED else "ok"
                poll.components.append(("fan", "fan1", fan, None))
            if device == "sw-1":
                poll.ports = [
                    _port(1, "Gi1", True, True, i * 1000, i // 100, i // 50),
                    _port(2, "Gi2", True, False, 0, 0, 0),
                    _port(3, "Gi3", False, False, 0, 0, 0),
                ]
            polls.append(poll)
    return polls


def _port(
    index: int, name: str, admin: bool, oper: bool, octets: int, errors: int, discards: int
) -> dict[str, object]:
    return {
        "if_index": index,
        "name": name,
        "admin_up": admin,
        "oper_up": oper,
        "speed_bps": 10**9,
        "in_octets": 2**62 + octets,  # large, but inside 0003's signed BIGINT
        "out_octets": octets // 2,
        "in_errors": errors,
        "out_errors": 0,
        "in_discards": 0,
        "out_discards": discards,
    }


def write_0003_store(url: str, polls: list[Poll]) -> None:
    """0003's tables filled the way 0003's repository filled them: a run, a sample, a row per
    component and per interface for every poll."""
    upgrade(url, "0003")
    when = UTCDateTime()
    devices = sa.table(
        "devices",
        *[sa.column(c) for c in ("id", "name", "vendor", "model", "kind", "site")],
        sa.column("services", sa.JSON()),
        sa.column("first_seen", when),
        sa.column("last_seen", when),
    )
    runs = sa.table(
        "collection_runs",
        *[sa.column(c) for c in ("id", "device_id", "kind", "status")],
        sa.column("started_at", when),
        sa.column("finished_at", when),
    )
    samples = sa.table(
        "health_samples",
        *[sa.column(c) for c in ("id", "run_id", "device_id", "reachable")],
        *[sa.column(c) for c in ("cpu_ratio", "memory_ratio")],
        sa.column("sampled_at", when),
    )
    components = sa.table(
        "component_readings", *[sa.column(c) for c in ("sample_id", "kind", "name", "status")]
    )
    components.append_column(sa.column("value"))
    ports = sa.table(
        "interface_readings",
        sa.column("sample_id"),
        *[sa.column(c) for c in _port(0, "", True, True, 0, 0, 0)],
    )
    engine = make_engine(sa.make_url(url), pooled=False)
    ids = {name: number for number, name in enumerate(DEVICES, start=1)}
    seen = MONTH.start - dt.timedelta(days=10)
    try:
        with engine.begin() as connection:
            connection.execute(
                devices.insert(),
                [
                    {
                        "id": ids[name],
                        "name": name,
                        "vendor": "test",
                        "model": "m",
                        "kind": "switch" if name == "sw-1" else "firewall",
                        "site": "hq",
                        "services": ["HW"],
                        "first_seen": seen,
                        "last_seen": seen,
                    }
                    for name in DEVICES
                ],
            )
            run_rows, sample_rows, component_rows, port_rows = [], [], [], []
            for number, poll in enumerate(polls, start=1):
                moment = at(poll.index)
                run_rows.append(
                    {
                        "id": number,
                        "device_id": ids[poll.device],
                        "kind": "health",
                        "status": "ok" if poll.reachable else "failed",
                        "started_at": moment,
                        "finished_at": moment,
                    }
                )
                sample_rows.append(
                    {
                        "id": number,
                        "run_id": number,
                        "device_id": ids[poll.device],
                        "reachable": poll.reachable,
                        "cpu_ratio": poll.cpu,
                        "memory_ratio": poll.memory,
                        "sampled_at": moment,
                    }
                )
                component_rows += [
                    {"sample_id": number, "kind": k, "name": n, "status": s, "value": v}
                    for k, n, s, v in poll.components
                ]
                port_rows += [{"sample_id": number, **port} for port in poll.ports]
            connection.execute(runs.insert(), run_rows)
            connection.execute(samples.insert(), sample_rows)
            connection.execute(components.insert(), component_rows)
            connection.execute(ports.insert(), port_rows)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Figures:
    samples: int
    reachable: int
    cpu_avg: float
    cpu_max: float
    memory_avg: float
    memory_max: float
    temperature_max: float


def expected_figures(polls: list[Poll], start: dt.datetime, end: dt.datetime) -> dict[str, Figures]:
    per_device: dict[str, list[Poll]] = defaultdict(list)
    for poll in polls:
        if start <= at(poll.index) < end:
            per_device[poll.device].append(poll)
    figures = {}
    for device, mine in per_device.items():
        cpus = [p.cpu for p in mine if p.cpu is not None]
        memories = [p.memory for p in mine if p.memory is not None]
        temperatures = [v for p in mine for k, _, _, v in p.components if k == "temperature"]
        figures[device] = Figures(
            len(mine),
            sum(p.reachable for p in mine),
            sum(cpus) / len(cpus),
            max(cpus),
            sum(memories) / len(memories),
            max(memories),
            max(v for v in temperatures if v is not None),
        )
    return figures


def figures_of(data: ReportData) -> dict[str, Figures]:
    return {
        name: Figures(
            h.samples,
            h.reachable_samples,
            h.cpu_avg,
            h.cpu_max,
            h.memory_avg,
            h.memory_max,
            h.temperature_max,
        )  # type: ignore[arg-type]
        for name, h in data.health.items()
        if h.samples
    }


def assert_same_figures(actual: dict[str, Figures], expected: dict[str, Figures]) -> None:
    assert actual.keys() == expected.keys()
    for device, want in expected.items():
        got = actual[device]
        assert (got.samples, got.reachable) == (want.samples, want.reachable), device
        for name in ("cpu_avg", "cpu_max", "memory_avg", "memory_max", "temperature_max"):
            assert getattr(got, name) == pytest.approx(getattr(want, name)), (device, name)


def expected_daily(polls: list[Poll], device: str) -> dict[dt.date, tuple[float, float]]:
    days: dict[dt.date, list[float]] = defaultdict(list)
    for poll in polls:
        if poll.device == device and poll.cpu is not None:
            days[at(poll.index).astimezone(TZ).date()].append(poll.cpu)
    return {day: (sum(cpus) / len(cpus), max(cpus)) for day, cpus in days.items()}


def check_documents(url: str, polls: list[Poll]) -> None:
    with open_store(url) as store, store.session() as session:
        month = load_report_data(session, MONTH)
        day = load_report_data(session, DAY)
    assert_same_figures(figures_of(month), expected_figures(polls, MONTH.start, MONTH.end))
    assert_same_figures(figures_of(day), expected_figures(polls, DAY.start, DAY.end))
    assert month.fleet_availability == pytest.approx(
        1 - (len(FW_DOWN) + len(SW_DOWN)) / (3 * POLLS)
    )
    daily = {f.day: (f.cpu_avg, f.cpu_max) for f in month.health["fw-1"].daily}
    want = expected_daily(polls, "fw-1")
    assert daily.keys() == want.keys() and len(daily) == 31
    for key, (mean, peak) in want.items():
        assert daily[key] == (pytest.approx(mean), pytest.approx(peak))
    outages = [(o.device, o.start, o.end, o.failed_samples) for o in month.outages]
    assert outages == [
        ("fw-1", at(FW_DOWN[0]), at(FW_DOWN[-1] + 1), len(FW_DOWN)),
        ("sw-1", at(SW_DOWN[0]), None, len(SW_DOWN)),
    ]
    faults = [
        (f.device, f.name, f.first_failed, f.last_failed, f.failed_samples, f.cleared_at)
        for f in month.faults
    ]
    assert faults == [
        ("fw-1", "fan1", at(200), at(240), len(FAN_FAILED), at(241)),
    ]
    assert {(c.kind, c.name, c.status) for c in month.health["fw-1"].components} == {
        ("fan", "fan1", "ok"),
        ("psu", "psu1", "ok"),
    }
    reachable_sw = [p for p in polls if p.device == "sw-1" and p.reachable]
    problems = {(p.device, p.name): p for p in month.interfaces}
    # Gi2 (up, never linked, no description or uplink role) is an unused port, counted, not a
    # problem. Gi3 was shut, which 0003's history cannot tell the roll-ups (admin-down samples
    # are counted from 0007 on): neither a problem nor counted.
    assert set(problems) == {("sw-1", "Gi1")}
    assert month.unused_ports == {"sw-1": 1}
    gi1 = problems[("sw-1", "Gi1")]
    last = reachable_sw[-1].index
    assert (gi1.samples, gi1.down_samples) == (len(reachable_sw), 0)
    assert (gi1.errors_added, gi1.discards_added) == (last // 100, last // 50)
    # The fan failed inside 5 March (local) and was fine again only after it.
    assert day.outages == []
    assert [(f.first_failed, f.last_failed, f.cleared_at) for f in day.faults] == [
        (at(200), at(240), None)
    ]


def raw_samples(url: str) -> int:
    with open_store(url) as store, store.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(HealthSample)) or 0


def test_0003_history_rolled_up_gives_the_same_documents(db_url: str) -> None:
    polls = history()
    write_0003_store(db_url, polls)
    before, after = upgrade(db_url)
    # 0004 folds the history; later revisions add tables and columns or change index kinds.
    assert (before, after) == ("0003", head_revision())
    check_documents(db_url, polls)

    assert raw_samples(db_url) == len(polls)
    with open_store(db_url) as store, store.session() as session:
        result = enforce_retention(session, now=MONTH.end + dt.timedelta(days=20), raw_days=14)
    assert result.raw_samples == len(polls) and result.rollup_rows == 0
    assert raw_samples(db_url) == 0
    # The raw polls are gone; March's documents are unchanged.
    check_documents(db_url, polls)
