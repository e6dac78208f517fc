"""The daemon and the store's availability records: a stored maintenance window sets
netmon_device_maintenance (with the static netmon.toml list), and the time since the last
stored poll is recorded as netmon's downtime when the daemon starts (real SQLite store)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from agent import daemon as daemon_module
from agent.availability import (
    DaemonAccounting,
    LostPolls,
    add_window,
    end_window,
    monitoring_gaps,
    record_gap,
)
from agent.daemon import Daemon, HealthKind, Schedule
from agent.inventory import Device, load_inventory
from agent.recorder import Recorder
from agent.state import FleetState
from agent.store import open_store
from agent.store import repository as repo
from agent.store.schema import upgrade
from collectors.base import HealthSnapshot
from tests.daemon.test_daemon import RecordingKind, until

ROOT = Path(__file__).resolve().parents[2]
HOUR = dt.timedelta(hours=1)


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


def test_polls_lost_to_overload_are_stored_one_span_per_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polls that hang make the scheduler refuse each device's next runs (overlap): each lost
    poll is netmon's downtime for that device. They are merged in memory and stored in one
    transaction per pass, not one per lost poll, and the store holds one span per device from
    the first lost poll on (the pass while running and the one at drain extend it)."""
    monkeypatch.setattr(daemon_module, "LOST_POLLS_EVERY_S", 0.3)
    devices: list[Device] = list(load_inventory(ROOT / "inventory.toml").devices)[:3]
    names = sorted(device.name for device in devices)
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    began = dt.datetime.now(dt.UTC)
    with store.session() as session:
        repo.sync_devices(session, devices, now=began - dt.timedelta(days=1))
    kind = RecordingKind()
    kind.fake.gate.clear()  # every first poll hangs: the next runs of each job are refused

    def stored() -> list[Any]:
        with store.session(read_only=True) as session:
            return monitoring_gaps(session, began - dt.timedelta(hours=1), began + HOUR)

    async def main() -> tuple[list[Any], int]:
        daemon = Daemon(
            [kind],
            devices,
            FleetState(),
            Schedule(intervals={"health": 0.2}, jitter=0, first_run_spread=0),
            availability=DaemonAccounting(store),
        )
        await daemon.start()
        await until(lambda: len(stored()) == len(devices), "a span per device, while running")
        while_running = stored()
        await until(
            lambda: daemon.accounting.skipped[("health", "overlap")] >= 4 * len(devices),
            "several lost polls per device",
        )
        kind.fake.gate.set()
        await daemon.drain(timeout=5)
        return while_running, daemon.accounting.skipped[("health", "overlap")]

    try:
        while_running, lost = asyncio.run(main())
        after = stored()
    finally:
        store.close()
    assert lost >= 4 * len(devices)
    assert sorted(gap.device for gap in while_running) == names
    assert sorted(gap.device for gap in after) == names  # extended, not one row per lost poll
    assert {gap.reason for gap in after} == {"overload"}
    for gap in after:
        first = next(g for g in while_running if g.device == gap.device)
        assert gap.start == first.start
        assert gap.end > first.end
        # each lost run leaves one 0.2 s interval unwatched from its due time
        assert dt.timedelta(seconds=4 * 0.2) <= gap.end - gap.start <= HOUR


def test_lost_polls_merge_spans_that_touch() -> None:
    lost = LostPolls()
    t0 = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    minute = dt.timedelta(minutes=1)
    lost.add("sw-1", t0, t0 + minute)
    lost.add("sw-1", t0 + minute, t0 + 2 * minute)  # touches: merged
    lost.add("sw-1", t0 + 5 * minute, t0 + 6 * minute)  # apart: a span of its own
    lost.add("sw-2", t0, t0)  # empty: nothing lost
    assert lost.take() == {"sw-1": [(t0, t0 + 2 * minute), (t0 + 5 * minute, t0 + 6 * minute)]}
    assert lost.take() == {}


def test_lost_spans_extend_the_stored_gap_they_touch(tmp_path: Path) -> None:
    """One pass for many devices: a span touching a device's stored overload gap extends it,
    one apart (or another device's) is a row of its own, an unknown device is skipped."""
    devices: list[Device] = list(load_inventory(ROOT / "inventory.toml").devices)[:2]
    first, second = (device.name for device in devices)
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    t0 = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    minute = dt.timedelta(minutes=1)
    try:
        with store.session() as session:
            repo.sync_devices(session, devices, now=t0 - dt.timedelta(days=1))
            record_gap(session, first, t0, t0 + minute, "overload")
        DaemonAccounting(store).polls_lost(
            {
                first: [(t0 + minute, t0 + 2 * minute), (t0 + 9 * minute, t0 + 10 * minute)],
                second: [(t0, t0 + minute)],
                "no-such-device": [(t0, t0 + minute)],
            }
        )
        with store.session(read_only=True) as session:
            gaps = monitoring_gaps(session, t0 - HOUR, t0 + HOUR)
    finally:
        store.close()
    assert sorted((g.device, g.start, g.end, g.reason) for g in gaps) == sorted(
        [
            (first, t0, t0 + 2 * minute, "overload"),
            (first, t0 + 9 * minute, t0 + 10 * minute, "overload"),
            (second, t0, t0 + minute, "overload"),
        ]
    )
