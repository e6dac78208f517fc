"""The daemon and the store's availability records: a stored maintenance window sets
netmon_device_maintenance (with the static netmon.toml list), and the time since the last
stored poll is recorded as netmon's downtime when the daemon starts (real SQLite store)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from agent.availability import DaemonAccounting, add_window, end_window, monitoring_gaps
from agent.daemon import Daemon, HealthKind, Schedule
from agent.inventory import Device, load_inventory
from agent.recorder import Recorder
from agent.state import FleetState
from agent.store import open_store
from agent.store import repository as repo
from agent.store.schema import upgrade
from collectors.base import HealthSnapshot

ROOT = Path(__file__).resolve().parents[2]


class IdleKind(HealthKind):
    """A health kind whose jobs are scheduled an hour away: the test needs the daemon only."""

    def __init__(self) -> None:
        super().__init__(None, recorder=None)  # type: ignore[arg-type]


def in_maintenance(state: FleetState, name: str) -> bool:
    view = state.device_view(name)
    assert view is not None
    return view[0].maintenance


def test_windows_silence_devices_and_downtime_is_recorded(tmp_path: Path) -> None:
    devices: list[Device] = list(load_inventory(ROOT / "inventory.toml").devices)[:3]
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    now = dt.datetime.now(dt.UTC)
    stopped_at = now - dt.timedelta(hours=1)
    with store.session() as session:
        repo.sync_devices(session, devices, now=now - dt.timedelta(days=1))
        (window,) = add_window(
            session,
            [devices[0].name],
            now - dt.timedelta(minutes=1),
            now + dt.timedelta(hours=1),
            "更换风扇",
            "二线组",
            now,
        )
        window_id = window.id
    Recorder(store).save_health(HealthSnapshot(devices[1].name, stopped_at, True), stopped_at)
    state = FleetState()

    async def main() -> tuple[bool, bool, bool, bool]:
        daemon = Daemon(
            [IdleKind()],
            devices,
            state,
            Schedule(intervals={"health": 3600}, first_run_spread=3600),
            availability=DaemonAccounting(store),
            static_maintenance={devices[2].name},
        )
        await daemon.start()
        for _ in range(200):
            if in_maintenance(state, devices[0].name):
                break
            await asyncio.sleep(0.05)
        during = in_maintenance(state, devices[0].name), in_maintenance(state, devices[2].name)
        with store.session() as session:
            end_window(session, window_id, dt.datetime.now(dt.UTC))
        await daemon._refresh_maintenance()
        after = in_maintenance(state, devices[0].name), in_maintenance(state, devices[2].name)
        await daemon.drain(timeout=10)
        return *during, *after

    try:
        assert asyncio.run(main()) == (True, True, False, True)
        with store.session(read_only=True) as session:
            (gap,) = monitoring_gaps(
                session, stopped_at - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
            )
        assert (gap.device, gap.reason, gap.start) == (None, "not_running", stopped_at)
        assert gap.end >= now
    finally:
        store.close()
