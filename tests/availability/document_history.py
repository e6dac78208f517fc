"""The scripted six hours of ``availability_history`` (fw-a's 20 s, 90 s and 2 h silences,
fw-b's maintenance window, netmon's lost polls, fw-b's open outage) plus what the other
documents need, so that one history goes through every document (issue 12, "Done when"):

- ``fw-c`` (Topsec firewall with a signature service), polled every 10 minutes and always
  answering: its fans and power supply are read over SNMP (``Fan 1``, ``Fan 2``, ``Power
  Supply 1``) until 03:00, then over the CLI fallback, whose names (``fan1``, ``fan2``,
  ``power1``) go through the profile's ``[components]`` mapping
  (``collectors.cli_health.fill_from_environment`` with ``component_namer("topsec")``), the
  path the health collector takes. ``fan2`` reads failed from 03:00 on: one component, one
  fault still open, "2 fans, 1 failed".
- fw-c's ports: ``GE1/0/1`` up; ``GE1/0/2``, its uplink, down from 03:00 to 04:00 (a
  problem); ``GE1/0/3`` down the whole time with no role and no description (unused, no
  problem).
- fw-c's first configuration, stored through ``agent.drift.write_config`` (an informational
  event, not an open item); its IPS library updated at 01:20 (released 12-14) and its AV
  library never (released 12-01); a licence that expires on 2027-01-14.
- engineers' records through ``agent.records.add_record``: a repair of fan2 (open), a manual
  signature upgrade, an incident on fw-a's 2 h outage answered in 6 minutes and reached in
  1 h 48 min, one on fw-b's open outage answered after 24 minutes and not yet resolved, and
  a duty note.

The report is made at ``GENERATED_AT`` (2026-12-15 14:00 Beijing): mid-month, mid-day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from availability_history import DEVICES, GENERATED_AT, ORIGIN, Box, at, build_history

from agent.drift import write_config
from agent.recorder import Recorder
from agent.records import NewRecord, add_record
from agent.store import repository as repo
from agent.store.engine import Store
from collectors.base import Component, HealthSnapshot, Interface
from collectors.cli_health import fill_from_environment
from collectors.component_names import component_namer
from collectors.config.collector import ConfigSnapshot

FW_C = Box(
    "fw-c", services=("hardware", "signatures", "tuning"), uplinks=("GE1/0/2",), address=None
)
ALL_DEVICES = (*DEVICES, FW_C)
FW_C_STEP = dt.timedelta(minutes=10)
FW_C_POLLS = 36  # 00:00 .. 05:50
CLI_FROM = at(3, 0)  # SNMP stops giving fans and power supplies
FAN_FAILED_FROM = at(3, 0)  # and still failed when the report is made
UPLINK_DOWN = (at(3, 0), at(4, 0))

INCIDENT_MET = NewRecord(
    "incident",
    "防火墙 fw-a 无法访问",
    "值班组",
    device="fw-a",
    reported_at=at(3, 2),
    responded_at=at(3, 8),
    arrived_at=at(4, 50),
    resolved_at=at(5, 0, 30),
    action="更换故障电源后恢复",
)
INCIDENT_LATE = NewRecord(
    "incident",
    "防火墙 fw-b 无法访问",
    "值班组",
    device="fw-b",
    reported_at=at(5, 31),
    responded_at=at(5, 55),
)
RECORDS: list[tuple[NewRecord, dt.datetime]] = [
    (
        NewRecord(
            "repair", "风扇 fan2 故障，待备件", "驻场一组", device="fw-c", started_at=at(5, 10)
        ),
        at(5, 15),
    ),
    (
        NewRecord(
            "upgrade",
            "手工导入 IPS 特征库离线包",
            "驻场二组",
            device="fw-c",
            started_at=at(1, 10),
            ended_at=at(1, 20),
        ),
        at(1, 30),
    ),
    (INCIDENT_MET, at(5, 10)),
    (INCIDENT_LATE, at(5, 56)),
    (
        NewRecord(
            "duty", "夜班值守，处理两起设备中断", "值班组", started_at=ORIGIN, ended_at=at(5, 58)
        ),
        at(5, 58),
    ),
]


def _in(moment: dt.datetime, span: tuple[dt.datetime, dt.datetime]) -> bool:
    return span[0] <= moment < span[1]


def fw_c_snapshot(moment: dt.datetime) -> HealthSnapshot:
    """One poll of fw-c: SNMP names before CLI_FROM, the CLI's names mapped after."""
    fan2_ok = moment < FAN_FAILED_FROM
    snapshot = HealthSnapshot(
        "fw-c",
        moment,
        reachable=True,
        cpu_ratio=0.3,
        memory_ratio=0.5,
        interfaces=[
            Interface(1, "GE1/0/1", True, 10**9, admin_up=True, alias="to core"),
            Interface(2, "GE1/0/2", not _in(moment, UPLINK_DOWN), 10**9, admin_up=True),
            Interface(3, "GE1/0/3", False, 10**9, admin_up=True),
        ],
    )
    if moment < CLI_FROM:
        snapshot.fans = [Component("Fan 1", "ok", "1"), Component("Fan 2", "ok", "1")]
        snapshot.power_supplies = [Component("Power Supply 1", "ok", "1")]
        return snapshot
    snapshot.unreadable = {"fans": "snmp: noSuchObject", "psus": "snmp: noSuchObject"}
    environment = {
        "fans": {"fan1": {"status": True}, "fan2": {"status": fan2_ok}},
        "power": {"power1": {"status": True}},
    }
    filled = fill_from_environment(snapshot, environment, component_namer("topsec"))
    assert filled == ["fans", "psus"], filled
    return snapshot


def _config(moment: dt.datetime) -> ConfigSnapshot:
    text = "hostname fw-c\ninterface GE1/0/2\n description uplink\n"
    return ConfigSnapshot(
        "fw-c", "topsec", moment, text, hashlib.sha256(text.encode()).hexdigest(), 0, 0
    )


def build_document_history(store: Store, spool: Path) -> None:
    build_history(store, spool)
    with store.session() as session:
        repo.sync_devices(session, ALL_DEVICES, now=ORIGIN)
    recorder = Recorder(store)
    for index in range(FW_C_POLLS):
        moment = ORIGIN + index * FW_C_STEP
        recorder.save_health(fw_c_snapshot(moment), moment)
    with store.session() as session:
        write_config(session, _config(at(0, 1)))
        for when, ips in ((ORIGIN, ("2026.11.30", 11, 30)), (at(1, 20), ("2026.12.14", 12, 14))):
            version, month, day = ips
            repo.record_signature_versions(
                session,
                "fw-c",
                [
                    repo.SignatureReading("ips", version, dt.date(2026, month, day)),
                    repo.SignatureReading("av", "2026.12.01", dt.date(2026, 12, 1)),
                ],
                seen_at=when,
            )
        repo.record_licences(
            session,
            "fw-c",
            [repo.LicenceReading("ips-subscription", dt.date(2027, 1, 14))],
            seen_at=ORIGIN,
        )
        for entry, recorded_at in RECORDS:
            assert recorded_at <= GENERATED_AT
            add_record(session, entry, recorded_by="tester", now=recorded_at)
