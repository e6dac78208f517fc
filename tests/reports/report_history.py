"""A small, exactly known month of history (April 2026, Beijing time) for the report tests,
written through the recorder and the repository like the collectors do.

Three devices, a health poll every 6 hours (120 per device):

- ``fw-1`` (Topsec firewall): CPU 20% except 4 polls at 90%; polls 40-42 unanswered (one
  outage from poll 40 to poll 43, 18 h); a device-down event for it, closed on recovery.
- ``av-1`` (Venustech AV gateway, signature service): CPU 50%, memory 60%; Fan 1 failed at
  polls 10-13, ok again at poll 14 (event closed then); av library v1 -> v2 (day 10) -> v3
  (day 20), a licence renewed on day 15: three upgrades.
- ``sw-1`` (H3C switch): configuration v1 (baseline), v2 on day 5 approved, v3 on day 25
  never approved (drift); an open config-changed event; port 2 down at polls 60-61.

Plus rows outside the month (an event on 30 March, a poll on 1 May) that must not count.
"""

from __future__ import annotations

import datetime as dt

from agent.recorder import Recorder
from agent.records import NewRecord, add_record
from agent.reports.period import Period, month_period, report_timezone
from agent.store import repository as repo
from agent.store.engine import Store
from collectors.base import Component, HealthSnapshot, Interface, Sensor
from tests.support.report_store import Box

PERIOD: Period = month_period("2026-04", report_timezone("Asia/Shanghai"))
STEP = dt.timedelta(hours=6)
POLLS = 120
HOT_POLLS = {20, 21, 22, 23}
DOWN_POLLS = {40, 41, 42}
FAN_POLLS = {10, 11, 12, 13}
PORT_DOWN_POLLS = {60, 61}


DEVICES = (
    Box(
        "av-1",
        "venustech",
        "USG-1008DP",
        "av-gateway",
        services=("hardware", "signatures", "tuning"),
    ),
    Box("fw-1", "topsec", "NGFW4000", "firewall", services=("hardware", "tuning")),
    # Port 2 is the uplink: a port down for two polls is a fault only with a role (issue 12).
    Box("sw-1", "h3c", "S5500", "switch", services=("hardware", "tuning"), uplinks=("GE1/0/2",)),
)


def poll_time(index: int) -> dt.datetime:
    return PERIOD.start + index * STEP


def day(number: int, hour: int = 12) -> dt.datetime:
    return PERIOD.start + dt.timedelta(days=number - 1, hours=hour)


# Engineers' records (``netmon record``), with when each was entered. The incident on fw-1
# was answered after 6 minutes and reached on site after 3 hours (the suburban target
# only); the one on sw-1 is still open at the end of the month.
ENGINEER_RECORDS: list[tuple[NewRecord, dt.datetime]] = [
    (
        NewRecord(
            "tuning",
            "按工单 7 新增 VLAN 20 并验证",
            "驻场一组",
            device="sw-1",
            started_at=day(5, 10),
            ended_at=day(5, 11),
        ),
        day(5, 12),
    ),
    (
        NewRecord(
            "repair",
            "风扇 Fan 1 故障",
            "驻场一组",
            device="av-1",
            started_at=day(4, 9),
            ended_at=day(4, 11),
            action="更换风扇 Fan 1",
            outcome="风扇恢复正常",
        ),
        day(4, 12),
    ),
    (
        NewRecord(
            "incident",
            "防火墙无法访问",
            "值班组",
            device="fw-1",
            reported_at=day(10, 8),
            responded_at=day(10, 8) + dt.timedelta(minutes=6),
            arrived_at=day(10, 11),
            resolved_at=day(10, 13),
            action="重启管理进程",
        ),
        day(10, 14),
    ),
    (
        NewRecord(
            "incident",
            "交换机端口告警",
            "值班组",
            device="sw-1",
            reported_at=day(29, 20),
            responded_at=day(29, 20) + dt.timedelta(minutes=25),
        ),
        day(29, 21),
    ),
    (
        NewRecord(
            "upgrade",
            "手工导入 IPS 特征库离线包",
            "驻场二组",
            device="fw-1",
            started_at=day(12, 14),
            ended_at=day(12, 15),
        ),
        day(12, 16),
    ),
    (
        NewRecord(
            "duty",
            "白班值守，无异常",
            "值班组",
            started_at=day(10, 0),
            ended_at=day(10, 9),
        ),
        day(10, 10),
    ),
]


def _snapshot(name: str, index: int) -> HealthSnapshot:
    moment = poll_time(index)
    if name == "fw-1" and index in DOWN_POLLS:
        return HealthSnapshot(name, moment, reachable=False, unreadable={"snmp": "timeout"})
    cpu = {"fw-1": 0.9 if index in HOT_POLLS else 0.2, "av-1": 0.5, "sw-1": 0.1}[name]
    fan = "failed" if name == "av-1" and index in FAN_POLLS else "ok"
    port_up = not (name == "sw-1" and index in PORT_DOWN_POLLS)
    return HealthSnapshot(
        device=name,
        collected_at=moment,
        reachable=True,
        cpu_ratio=cpu,
        memory_ratio=0.6 if name == "av-1" else 0.4,
        temperatures=[Sensor("CPU", 40.0 + (5 if index == 7 else 0))],
        fans=[Component("Fan 1", fan, "x"), Component("Fan 2", "ok", "1")],  # type: ignore[arg-type]
        power_supplies=[Component("Power Supply 1", "ok", "1")],
        interfaces=[
            Interface(1, "GE1/0/1", True, 10**9, index * 100, index * 100, 0, 0, 0, 0),
            Interface(2, "GE1/0/2", port_up, 10**9, index * 100, index * 100, 0, 0, 0, 0),
        ],
    )


def build_known_month(store: Store) -> None:
    with store.session() as session:
        repo.sync_devices(session, DEVICES, now=PERIOD.start - dt.timedelta(days=30))
    recorder = Recorder(store)
    for box in DEVICES:
        for index in range(POLLS):
            recorder.save_health(_snapshot(box.name, index), poll_time(index))
    # One poll after the month: must not count.
    recorder.save_health(HealthSnapshot("fw-1", PERIOD.end, reachable=False), PERIOD.end)
    with store.session() as session:
        repo.add_config_version(
            session, "sw-1", "sysname sw-1\n", PERIOD.start - dt.timedelta(days=5)
        )
        repo.approve_baseline(
            session,
            "sw-1",
            "运维主管",
            note="基线",
            approved_at=PERIOD.start - dt.timedelta(days=4),
        )
        repo.add_config_version(session, "sw-1", "sysname sw-1\nvlan 20\n", day(5, 9))
        repo.approve_baseline(
            session, "sw-1", "运维主管", note="新增 VLAN 20（工单 7）", approved_at=day(5, 11)
        )
        repo.add_config_version(session, "sw-1", "sysname sw-1\nvlan 20\nvlan 30\n", day(25, 9))

        for when, version in ((PERIOD.start, "v1"), (day(10), "v2"), (day(20), "v3")):
            repo.record_signature_versions(
                session,
                "av-1",
                [
                    repo.SignatureReading("av", version, when.date()),
                    repo.SignatureReading("software", "V1.0"),
                ],
                seen_at=when,
            )
        repo.record_licences(
            session,
            "av-1",
            [repo.LicenceReading("av-subscription", dt.date(2026, 4, 20))],
            seen_at=PERIOD.start,
        )
        repo.record_licences(
            session,
            "av-1",
            [repo.LicenceReading("av-subscription", dt.date(2027, 4, 20))],
            seen_at=day(15),
        )

        down = repo.add_event(
            session, "device-down", "major", "fw-1 不可达", device="fw-1", occurred_at=poll_time(40)
        )
        repo.close_event(session, down.id, at=poll_time(43))
        fan = repo.add_event(
            session,
            "fan-failed",
            "minor",
            "av-1 Fan 1 <b>故障</b>",
            device="av-1",
            details={"component": "<b>Fan 1</b>"},
            occurred_at=poll_time(10),
        )
        repo.close_event(session, fan.id, at=poll_time(14))
        repo.add_event(
            session,
            "config-changed",
            "info",
            "sw-1 配置变更",
            device="sw-1",
            occurred_at=day(25, 9),
        )
        before = repo.add_event(
            session,
            "device-down",
            "major",
            "before the month",
            device="fw-1",
            occurred_at=PERIOD.start - dt.timedelta(days=2),
        )
        repo.close_event(session, before.id, at=PERIOD.start - dt.timedelta(days=1))
        for entry, recorded_at in ENGINEER_RECORDS:
            add_record(session, entry, recorded_by="tester", now=recorded_at)
