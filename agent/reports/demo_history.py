"""A month of believable history for a fleet, written through the collectors' own paths.

``build_demo_history`` feeds ``HealthSnapshot`` objects to ``Recorder.save_health`` (exactly
what the poller does) and uses the repository functions for configuration versions and
approvals, signature versions, licences and events, and ``agent.records`` for the
engineers' records (every kind: maintenance, repairs, tuning, a manual upgrade, incidents,
duty). A fixed seed makes it deterministic. It backs ``scripts/make_example_report.py`` (the
sample under ``docs/examples/``) and the fleet-wide report tests.

Scripted on top of normal load (every device chosen by role, so any inventory works): one
device goes down once and another twice (events opened and closed), a fan fails and is
replaced, a power supply fails and stays failed, a firewall runs hot for an afternoon, a
switch port flaps and counts errors, configuration changes (most approved, one not),
weekly signature updates with two devices left stale and one library rolled back to the week
before's release (a withdrawn release), a software upgrade, a licence renewal and a licence
about to expire.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from agent.recorder import Recorder
from agent.records import NewRecord, add_record
from agent.reports.period import Period, months_of
from agent.store import repository as repo
from agent.store.engine import Store
from agent.store.repository import InventoryDevice
from collectors.base import Component, HealthSnapshot, Interface, Sensor

LIBRARIES_BY_KIND = {
    "firewall": ("ips", "av", "app"),
    "ids": ("ids",),
    "av-gateway": ("av", "url"),
    "behaviour-management": ("url", "app"),
    "network-audit": ("app",),
    "security-audit": ("ips",),
}
APPROVERS = ("运维主管", "信息中心审批组")


@dataclass(frozen=True)
class Roles:
    outage_once: str
    outage_twice: str
    fan: str
    psu: str
    cpu: str
    interface: str
    drift: str
    approved_changes: tuple[str, ...]
    stale: tuple[str, ...]
    licence_soon: str
    renewal: str
    software: str
    rollback: str | None  # a signature device whose library goes back once (None: no rollback)


def _signature_devices(devices: Sequence[InventoryDevice]) -> list[str]:
    return [d.name for d in devices if "signatures" in d.services or "SIG" in d.services]


def choose_roles(
    devices: Sequence[InventoryDevice], rng: random.Random, *, rollback: bool = True
) -> Roles:
    names = [d.name for d in devices]
    if len(names) < 4:
        raise ValueError("the demo history needs at least 4 devices")
    shuffled = rng.sample(names, len(names))
    switches = [d.name for d in devices if d.kind == "switch"] or names
    firewalls = [d.name for d in devices if d.kind == "firewall"] or names
    signed = _signature_devices(devices) or names
    unsigned = [n for n in names if n not in signed] or names
    kept_current = signed[2:]  # the first two are left stale
    return Roles(
        outage_once=shuffled[0],
        outage_twice=shuffled[1],
        fan=shuffled[2],
        psu=shuffled[3],
        cpu=firewalls[0],
        interface=switches[0],
        drift=switches[-1],
        approved_changes=(firewalls[-1], switches[0], *shuffled[4:6]),
        stale=tuple(signed[:2]),
        licence_soon=signed[-1],
        renewal=signed[len(signed) // 2],
        software=unsigned[0],
        rollback=kept_current[len(kept_current) // 3] if rollback and kept_current else None,
    )


def _next_patch(version: str) -> str:
    """V3.6.1 -> V3.6.2, V3.6.9 -> V3.6.10: the last number one up."""
    head, _, last = version.rpartition(".")
    return f"{head}.{int(last) + 1}"


def _config_text(device: InventoryDevice, extra: Sequence[str] = ()) -> str:
    lines = [
        f"sysname {device.name}",
        "snmp-agent sys-info location headquarters",
        "snmp-agent community read ****** acl 2000",
        "acl number 2000",
        " rule 5 permit source 198.51.100.10 0",
        "ntp-service unicast-server 198.51.100.1",
        "info-center loghost 198.51.100.20",
        *extra,
    ]
    return "\n".join(lines) + "\n"


class _History:
    def __init__(
        self,
        store: Store,
        devices: Sequence[InventoryDevice],
        period: Period,
        seed: int,
        rollback: bool = True,
    ) -> None:
        self.store = store
        self.devices = list(devices)
        self.period = period
        self.rng = random.Random(seed)
        self.roles = choose_roles(self.devices, self.rng, rollback=rollback)
        self.recorder = Recorder(store)

    def at(self, day: int, hour: float) -> dt.datetime:
        """Local day ``day`` (1-based) of the period at ``hour``, in UTC."""
        return self.period.start + dt.timedelta(days=day - 1, hours=hour)

    # --- health ---------------------------------------------------------------------------

    def down_windows(self) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
        roles = self.roles
        return {
            roles.outage_once: [(self.at(12, 9), self.at(12, 13.5))],
            roles.outage_twice: [
                (self.at(5, 2), self.at(5, 4.5)),
                (self.at(20, 22), self.at(21, 1)),
            ],
        }

    def fault_windows(self) -> dict[tuple[str, str], tuple[dt.datetime, dt.datetime | None]]:
        return {
            (self.roles.fan, "fan"): (self.at(8, 10), self.at(10, 15)),
            (self.roles.psu, "psu"): (self.at(25, 3), None),
        }

    def snapshot(
        self, device: InventoryDevice, moment: dt.datetime, index: int, seq: int
    ) -> HealthSnapshot:
        roles = self.roles
        for start, end in self.down_windows().get(device.name, []):
            if start <= moment < end:
                return HealthSnapshot(
                    device=device.name,
                    collected_at=moment,
                    reachable=False,
                    unreadable={"snmp": "timeout: no answer"},
                )
        local_hour = self.period.local(moment).hour + self.period.local(moment).minute / 60
        working = 0.5 + 0.5 * math.sin((local_hour - 8) / 24 * 2 * math.pi)
        base = 0.12 + 0.03 * (index % 7)
        cpu = base + 0.18 * working + self.rng.uniform(-0.03, 0.03)
        if device.name == roles.cpu and self.at(18, 13) <= moment < self.at(18, 18):
            cpu = 0.97
        memory = 0.38 + 0.02 * (index % 9) + 0.05 * working + self.rng.uniform(-0.01, 0.01)
        fan_window = self.fault_windows()[(roles.fan, "fan")]
        psu_window = self.fault_windows()[(roles.psu, "psu")]
        fan_failed = device.name == roles.fan and fan_window[0] <= moment < fan_window[1]  # type: ignore[operator]
        psu_failed = device.name == roles.psu and psu_window[0] <= moment
        fans = [
            Component("Fan 1", "failed" if fan_failed else "ok", "3" if fan_failed else "1"),
            Component("Fan 2", "ok", "1"),
        ]
        supplies = [
            Component("Power Supply 1", "ok", "1"),
            Component(
                "Power Supply 2", "failed" if psu_failed else "ok", "3" if psu_failed else "1"
            ),
        ]
        flapping = device.name == roles.interface and self.at(15, 8) <= moment < self.at(15, 20)
        errors = seq * 3 if device.name == roles.interface else 0
        interfaces = [
            Interface(
                port,
                f"GigabitEthernet1/0/{port}",
                not (flapping and port == 2),
                10**9,
                in_octets=seq * 7_000_000 * port,
                out_octets=seq * 5_000_000 * port,
                in_errors=errors if port == 2 else 0,
                out_errors=0,
                in_discards=0,
                out_discards=0,
            )
            for port in (1, 2, 3, 4)
        ]
        return HealthSnapshot(
            device=device.name,
            collected_at=moment,
            reachable=True,
            snmp_rtt_seconds=0.004 + self.rng.uniform(0, 0.004),
            uptime_seconds=float(86400 * 40 + seq * 3600),
            cpu_ratio=round(min(cpu, 1.0), 4),
            memory_ratio=round(memory, 4),
            temperatures=[Sensor("CPU", round(42 + 14 * cpu + self.rng.uniform(-1, 1), 1))],
            fans=fans,
            power_supplies=supplies,
            interfaces=interfaces,
            sessions=int(20_000 + 60_000 * working),
        )

    def health(self, interval: dt.timedelta) -> int:
        count = 0
        for index, device in enumerate(self.devices):
            # Polls of different devices are staggered, as the scheduler spreads them.
            moment = self.period.start + dt.timedelta(seconds=17 * index)
            seq = 0
            while moment < self.period.end:
                self.recorder.save_health(self.snapshot(device, moment, index, seq), moment)
                moment += interval
                seq += 1
                count += 1
        return count

    # --- events matching the health history ------------------------------------------------

    def events(self) -> None:
        with self.store.session() as session:
            for device, windows in self.down_windows().items():
                for start, end in windows:
                    event = repo.add_event(
                        session,
                        "device-down",
                        "major",
                        f"{device}: unreachable (no SNMP answer)",
                        device=device,
                        occurred_at=start,
                    )
                    repo.acknowledge_event(
                        session, event.id, "值班工程师", at=start + dt.timedelta(minutes=8)
                    )
                    repo.close_event(session, event.id, at=end)
            for (device, kind), (start, end) in self.fault_windows().items():
                component = "Fan 1" if kind == "fan" else "Power Supply 2"
                event = repo.add_event(
                    session,
                    "fan-failed" if kind == "fan" else "psu-failed",
                    "minor",
                    f"{device}: {kind} {component} failed",
                    device=device,
                    details={"component": component},
                    occurred_at=start,
                )
                if end is not None:
                    repo.close_event(session, event.id, at=end)
            hot = repo.add_event(
                session,
                "cpu-high",
                "warning",
                f"{self.roles.cpu}: CPU usage 97%",
                device=self.roles.cpu,
                details={"value": 0.97},
                occurred_at=self.at(18, 13),
            )
            repo.close_event(session, hot.id, at=self.at(18, 18))
            flap = repo.add_event(
                session,
                "interface-down",
                "warning",
                f"{self.roles.interface}: GigabitEthernet1/0/2 down",
                device=self.roles.interface,
                details={"interface": "GigabitEthernet1/0/2"},
                occurred_at=self.at(15, 8),
            )
            repo.close_event(session, flap.id, at=self.at(15, 20))
            soon = repo.add_event(
                session,
                "licence-expiring",
                "warning",
                f"{self.roles.licence_soon}: licence threat-subscription expires soon",
                device=self.roles.licence_soon,
                details={
                    "feature": "threat-subscription",
                    "expires_on": (self.period.last_day + dt.timedelta(days=20)).isoformat(),
                },
                occurred_at=self.at(28, 9),
            )
            repo.acknowledge_event(session, soon.id, "值班工程师", at=self.at(28, 10))

    # --- configurations --------------------------------------------------------------------

    def configs(self) -> None:
        roles = self.roles
        with self.store.session() as session:
            for device in self.devices:
                repo.add_config_version(session, device.name, _config_text(device), self.at(1, 1))
                repo.approve_baseline(
                    session,
                    device.name,
                    "运维主管",
                    note="合同开始时的基线配置",
                    approved_at=self.at(1, 10),
                )
            by_name = {device.name: device for device in self.devices}
            changes = [
                (
                    roles.approved_changes[0],
                    6,
                    ["security-policy rule 120 permit 203.0.113.0/24 to dmz https"],
                    "开通外网 HTTPS 访问策略（工单 2026-041）",
                ),
                (
                    roles.approved_changes[1],
                    14,
                    ["interface GigabitEthernet1/0/2", " description uplink-to-core-b"],
                    "更换上联端口描述",
                ),
                (
                    roles.approved_changes[2],
                    21,
                    ["snmp-agent sys-info contact noc"],
                    "补充 SNMP 联系人",
                ),
                (
                    roles.approved_changes[3],
                    23,
                    ["acl number 2000", " rule 10 permit source 198.51.100.11 0"],
                    "新增监控服务器访问",
                ),
            ]
            for day, (name, on_day, extra, note) in enumerate(changes):
                device = by_name[name]
                repo.add_config_version(
                    session, name, _config_text(device, extra), self.at(on_day, 15)
                )
                repo.approve_baseline(
                    session,
                    name,
                    APPROVERS[day % 2],
                    note=note,
                    approved_at=self.at(on_day, 17),
                )
            drifted = by_name[roles.drift]
            repo.add_config_version(
                session,
                drifted.name,
                _config_text(drifted, ["snmp-agent sys-info location branch-room-2"]),
                self.at(27, 16),
            )
            for name, on_day, *_ in changes[:2]:
                event = repo.add_event(
                    session,
                    "config-changed",
                    "info",
                    f"{name}: configuration changed",
                    device=name,
                    details={"unapproved": False},
                    occurred_at=self.at(on_day, 15),
                )
                repo.close_event(session, event.id, at=self.at(on_day, 17))
            repo.add_event(
                session,
                "config-changed",
                "info",
                f"{drifted.name}: configuration changed (not approved)",
                device=drifted.name,
                details={"unapproved": True},
                occurred_at=self.at(27, 16),
            )

    # --- signature libraries, software, licences -------------------------------------------

    def signatures(self) -> None:
        roles = self.roles
        signed = set(_signature_devices(self.devices))
        kinds = {device.name: device.kind for device in self.devices}
        days = (self.period.end - self.period.start).days
        with self.store.session() as session:
            carried = {
                (row.device.name, row.library): repo.SignatureReading(
                    row.library, row.version, row.release_date
                )
                for row in repo.latest_signature_versions(session)
            }
            subscriptions = {
                row.device.name: row.expires_on
                for row in repo.current_licences(session)
                if row.feature == "threat-subscription"
            }
            for index, device in enumerate(self.devices):
                name = device.name
                libraries = LIBRARIES_BY_KIND.get(kinds[name], ()) if name in signed else ()
                offset = index % 7  # each device updates weekly, on its own weekday
                for day in range(1, days + 1):
                    seen = self.at(day, 6)
                    step = 0 if name in roles.stale else (day + offset) // 7
                    readings = [
                        self._library_reading(name, library, step, offset, day, carried)
                        for library in libraries
                    ]
                    if name in signed:
                        readings.append(repo.SignatureReading("engine", "3.2.8"))
                    readings.append(self._software_reading(name, day, carried))
                    repo.record_signature_versions(session, name, readings, seen_at=seen)
                    if name in signed:
                        licences = self._licences(name, day, subscriptions.get(name))
                        repo.record_licences(session, name, licences, seen_at=seen)

    def _library_reading(
        self,
        name: str,
        library: str,
        step: int,
        offset: int,
        day: int,
        carried: dict[tuple[str, str], repo.SignatureReading],
    ) -> repo.SignatureReading:
        """The library as the device reports it on ``day``: its ``step``-th weekly update of
        the period; before the first one, what it had at the end of the month before (a
        device does not lose its updates at a month's turn). The rollback device's first
        library goes back to the week before's release the day after its second update (the
        release was withdrawn) and stays there until the next one."""
        if name in self.roles.stale:
            released = self.period.local_start.date() - dt.timedelta(days=45)
            return repo.SignatureReading(library, f"{released:%Y%m%d}.100", released)
        withdrawn = self.roles.rollback == name and library == self._first_library(name)
        if withdrawn and step == 2 and day > 14 - offset:
            step = 1
        if step == 0 and (name, library) in carried:
            return carried[(name, library)]
        if step == 0:
            released = self.period.local_start.date() - dt.timedelta(days=3)
        else:
            last_update = step * 7 - offset  # the latest update day so far
            released = self.period.local_start.date() + dt.timedelta(days=last_update - 1)
        return repo.SignatureReading(library, f"{released:%Y%m%d}.{100 + step}", released)

    def _software_reading(
        self, name: str, day: int, carried: dict[tuple[str, str], repo.SignatureReading]
    ) -> repo.SignatureReading:
        """The system version: what the device ran at the end of the month before (V3.6.1 at
        first); the software device gets the next patch release on the 16th."""
        before = carried.get((name, "software"))
        version = "V3.6.1" if before is None else before.version
        if name == self.roles.software and day >= 16:
            version = _next_patch(version)
        return repo.SignatureReading("software", version)

    def _first_library(self, name: str) -> str | None:
        kind = next(device.kind for device in self.devices if device.name == name)
        return next(iter(LIBRARIES_BY_KIND.get(kind, ())), None)

    def _licences(
        self, name: str, day: int, subscription: dt.date | None
    ) -> list[repo.LicenceReading]:
        """The device's licences on ``day``; ``subscription``: its threat subscription's
        expiry at the end of the month before (None: no history yet)."""
        start = self.period.local_start.date()
        expiry = dt.date(2026, 12, 31)
        if name == self.roles.licence_soon:
            expiry = self.period.last_day + dt.timedelta(days=20)
        expiring = start + dt.timedelta(days=9)
        if name == self.roles.renewal and subscription is not None and subscription > expiring:
            expiry = subscription  # renewed in an earlier month: nothing to renew now
        elif name == self.roles.renewal:
            expiry = expiring if day < 10 else dt.date(2027, 12, 31)
        return [
            repo.LicenceReading("threat-subscription", expiry),
            repo.LicenceReading("base-system", None),
        ]

    def records(self) -> None:
        """Engineers' records of every kind, written through ``agent.records`` as
        ``netmon record`` writes them; they match the faults and outages above."""
        roles, at = self.roles, self.at
        entries: list[tuple[NewRecord, dt.datetime]] = [
            (
                NewRecord(
                    "maintenance",
                    "月度例行巡检：设备运行状态、日志与告警检查",
                    "驻场一组",
                    device=roles.interface,
                    started_at=at(3, 9),
                    ended_at=at(3, 11),
                    outcome="运行正常",
                ),
                at(3, 12),
            ),
            (
                NewRecord(
                    "maintenance",
                    "清理设备日志并核对系统时间",
                    "驻场二组",
                    device=roles.cpu,
                    started_at=at(18, 19),
                    ended_at=at(18, 19.5),
                    outcome="CPU 使用率回落至正常水平",
                ),
                at(18, 20),
            ),
            (
                NewRecord(
                    "repair",
                    "风扇 Fan 1 故障告警",
                    "驻场一组",
                    device=roles.fan,
                    started_at=at(10, 9),
                    ended_at=at(10, 15),
                    action="更换故障风扇 Fan 1",
                    outcome="更换后风扇状态正常",
                ),
                at(10, 16),
            ),
            (
                NewRecord(
                    "repair",
                    "电源 PSU 故障告警，已联系厂商备件",
                    "驻场二组",
                    device=roles.psu,
                    started_at=at(25, 10),
                ),
                at(25, 11),
            ),
            (
                NewRecord(
                    "tuning",
                    "检查 GigabitEthernet1/0/2 端口闪断，更换光模块",
                    "驻场二组",
                    device=roles.interface,
                    started_at=at(15, 20),
                    ended_at=at(15, 21),
                ),
                at(15, 21),
            ),
            (
                NewRecord(
                    "tuning",
                    "按工单 2026-041 新增 HTTPS 访问策略并验证",
                    "驻场一组",
                    device=roles.approved_changes[0],
                    started_at=at(6, 16),
                    ended_at=at(6, 17),
                ),
                at(6, 18),
            ),
            (
                NewRecord(
                    "upgrade",
                    "特征库无法在线更新，手工导入离线升级包",
                    "驻场一组",
                    device=roles.stale[0],
                    started_at=at(20, 14),
                    ended_at=at(20, 14.5),
                    action="导入 IPS 特征库离线升级包",
                    outcome="升级成功，版本已更新",
                ),
                at(20, 15),
            ),
            (
                NewRecord(
                    "incident",
                    "设备网管中断，用户电话报告",
                    "驻场一组",
                    device=roles.outage_once,
                    reported_at=at(12, 9.1),
                    responded_at=at(12, 9.2),
                    arrived_at=at(12, 10.5),
                    resolved_at=at(12, 13.5),
                    action="现场检查发现上联光模块故障，更换后恢复",
                    outcome="业务恢复",
                ),
                at(12, 14),
            ),
            (
                NewRecord(
                    "incident",
                    "夜间设备离线告警",
                    "值班组",
                    device=roles.outage_twice,
                    reported_at=at(20, 22.1),
                    responded_at=at(20, 22.4),
                    resolved_at=at(21, 1),
                    action="远程确认上游链路故障，协调运营商处理",
                    outcome="链路恢复后设备上线",
                ),
                at(21, 8),
            ),
            (
                NewRecord(
                    "duty",
                    "白班值守：全网设备运行正常，无告警",
                    "值班组",
                    started_at=at(1, 8.5),
                    ended_at=at(1, 17.5),
                ),
                at(1, 17.5),
            ),
            (
                NewRecord(
                    "duty",
                    "白班值守：处理端口闪断告警，已转调优记录",
                    "值班组",
                    started_at=at(15, 8.5),
                    ended_at=at(15, 17.5),
                ),
                at(15, 17.5),
            ),
        ]
        with self.store.session() as session:
            for entry, recorded_at in entries:
                add_record(session, entry, recorded_by="netmon-demo", now=recorded_at)


def build_demo_history(
    store: Store,
    devices: Sequence[InventoryDevice],
    period: Period,
    *,
    seed: int = 20260401,
    interval: dt.timedelta = dt.timedelta(hours=1),
    rollback: bool = True,
) -> Roles:
    """Write a period of history for ``devices`` into ``store`` (schema already created);
    returns which device played which role. ``rollback``: one device's library goes back to
    an older version once in the period."""
    history = _History(store, devices, period, seed, rollback)
    with store.session() as session:
        repo.sync_devices(session, devices, now=period.start - dt.timedelta(days=1))
    history.configs()
    history.signatures()
    history.health(interval)
    history.events()
    history.records()
    return history.roles


def build_demo_months(
    store: Store,
    devices: Sequence[InventoryDevice],
    period: Period,
    *,
    seed: int = 20260306,
    interval: dt.timedelta = dt.timedelta(hours=1),
) -> list[Roles]:
    """Several months of history (the work summary's sample): each calendar month of
    ``period`` gets its own month of ``build_demo_history``, with its own seed, so different
    devices go down, fail and drift from month to month. Libraries carry over from one month
    to the next; one library rollback happens in the second month (the first when there is
    only one)."""
    months = months_of(period)
    rollback_month = min(1, len(months) - 1)
    return [
        build_demo_history(
            store,
            devices,
            month,
            seed=seed + index,
            interval=interval,
            rollback=index == rollback_month,
        )
        for index, month in enumerate(months)
    ]
