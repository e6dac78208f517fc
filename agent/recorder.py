"""Collector results into the store: the one place that turns a ``HealthSnapshot`` into rows.

Each health collection is a run (ok, partial when something could not be read, failed when
the device did not answer) with one health sample and its component and interface readings.
An identity mismatch (the box says it is something else than the inventory says) becomes an
event once per process and device, not one per poll. The chassis serial number is kept as a
``device-serial`` event the first time it is seen; a different serial later (this process or
after a restart, read back from those events) is a ``device-replaced`` warning.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.store import repository as repo
from agent.store.engine import Store
from agent.store.models import Event
from collectors.base import HealthSnapshot

log = logging.getLogger(__name__)


def health_reading(snapshot: HealthSnapshot) -> repo.HealthReading:
    components = [
        repo.ComponentState("temperature", sensor.name, "ok", sensor.celsius)
        for sensor in snapshot.temperatures
    ]
    components += [repo.ComponentState("fan", fan.name, fan.state) for fan in snapshot.fans]
    components += [
        repo.ComponentState("psu", psu.name, psu.state) for psu in snapshot.power_supplies
    ]
    interfaces = [
        repo.InterfaceState(
            if_index=port.index,
            name=port.name,
            oper_up=port.oper_up,
            speed_bps=port.speed_bps,
            in_octets=port.in_octets,
            out_octets=port.out_octets,
            in_errors=port.in_errors,
            out_errors=port.out_errors,
            in_discards=port.in_discards,
            out_discards=port.out_discards,
        )
        for port in snapshot.interfaces
    ]

    def milliseconds(seconds: float | None) -> float | None:
        return None if seconds is None else seconds * 1000

    return repo.HealthReading(
        reachable=snapshot.reachable,
        rtt_snmp_ms=milliseconds(snapshot.snmp_rtt_seconds),
        rtt_ssh_ms=milliseconds(snapshot.ssh_rtt_seconds),
        uptime_s=None if snapshot.uptime_seconds is None else int(snapshot.uptime_seconds),
        cpu_ratio=snapshot.cpu_ratio,
        memory_ratio=snapshot.memory_ratio,
        disk_ratio=snapshot.disk_ratio,
        sessions=snapshot.sessions,
        new_sessions_per_s=snapshot.new_sessions_per_second,
        ha_role=snapshot.ha_role,
        components=components,
        interfaces=interfaces,
    )


def run_status(snapshot: HealthSnapshot) -> tuple[str, str | None]:
    """(status, error text) of the run that produced ``snapshot``."""
    problems = "; ".join(f"{what}: {why}" for what, why in sorted(snapshot.failures().items()))
    if not snapshot.reachable:
        return "failed", problems or "no answer"
    return ("partial", problems) if problems else ("ok", None)


class Recorder:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._reported_mismatch: dict[str, str] = {}
        self._serials: dict[str, str] = {}

    def save_health(self, snapshot: HealthSnapshot, started_at: datetime) -> None:
        status, error = run_status(snapshot)
        with self.store.session() as session:
            run = repo.start_run(session, snapshot.device, "health", started_at=started_at)
            repo.add_health_sample(
                session, run, health_reading(snapshot), sampled_at=snapshot.collected_at
            )
            repo.finish_run(session, run, status, error=error)
            mismatch = snapshot.identity.mismatch
            if mismatch and self._reported_mismatch.get(snapshot.device) != mismatch:
                repo.add_event(
                    session,
                    "identity-mismatch",
                    "warning",
                    f"{snapshot.device}: {mismatch}",
                    device=snapshot.device,
                    details={
                        "sys_object_id": snapshot.identity.sys_object_id,
                        "sys_descr": snapshot.identity.sys_descr,
                        "detected_model": snapshot.identity.detected_model,
                    },
                )
                self._reported_mismatch[snapshot.device] = mismatch
            self._check_serial(session, snapshot)

    def _check_serial(self, session: Session, snapshot: HealthSnapshot) -> None:
        serial = snapshot.identity.serial_number
        if not serial or self._serials.get(snapshot.device) == serial:
            return
        known = self._serials.get(snapshot.device) or _stored_serial(session, snapshot.device)
        if known is None:
            repo.add_event(
                session,
                "device-serial",
                "info",
                f"{snapshot.device}: serial number {serial}",
                device=snapshot.device,
                details={"serial": serial},
            )
        elif known != serial:
            repo.add_event(
                session,
                "device-replaced",
                "warning",
                f"{snapshot.device}: serial number changed from {known} to {serial}: "
                "the box was replaced",
                device=snapshot.device,
                details={"serial": serial, "previous_serial": known},
            )
        self._serials[snapshot.device] = serial


def _stored_serial(session: Session, device: str) -> str | None:
    """The serial the store last knew for ``device``, from its serial events."""
    row = repo.get_device(session, device)
    details = session.scalar(
        select(Event.details)
        .where(Event.device_id == row.id, Event.kind.in_(("device-serial", "device-replaced")))
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(1)
    )
    serial = (details or {}).get("serial")
    return str(serial) if serial else None
