"""The daemon's scheduling: jitter, no overlap, backoff, SIGHUP reload, SIGTERM drain,
sd_notify, JSON logs; and one round against the loopback lab into a real SQLite store."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import itertools
import json
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.daemon import (
    Backoff,
    Daemon,
    HealthKind,
    JsonLogFormatter,
    Schedule,
    SystemdNotifier,
    classify_failure,
)
from agent.inventory import Device, load_inventory
from agent.state import FleetState
from collectors.base import HealthSnapshot

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_INVENTORY = ROOT / "inventory.toml"
WAIT = 20.0  # upper bound for conditions to come true; never a measured duration


class GatedCollector:
    """Answers like HealthCollector, but only once ``gate`` is open; counts concurrency."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.reachable = True
        self.calls = 0
        self.active = 0
        self.max_active = 0

    async def collect(self, device: Device) -> HealthSnapshot:
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await self.gate.wait()
            return HealthSnapshot(
                device.name,
                dt.datetime.now(dt.UTC),
                self.reachable,
                cpu_ratio=0.5 if self.reachable else None,
            )
        finally:
            self.active -= 1


class RecordingKind(HealthKind):
    def __init__(self) -> None:
        super().__init__(GatedCollector(), recorder=None)  # type: ignore[arg-type]
        self.recorded: list[HealthSnapshot] = []

    @property
    def fake(self) -> GatedCollector:
        return self.collector  # type: ignore[return-value]

    def record(self, result: HealthSnapshot, started_at: dt.datetime) -> None:
        self.recorded.append(result)


def fleet(count: int | None = None) -> list[Device]:
    devices = list(load_inventory(SHIPPED_INVENTORY).devices)
    return devices if count is None else devices[:count]


async def until(condition: Callable[[], bool], what: str) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), WAIT)
    except TimeoutError:
        pytest.fail(f"never happened: {what}")


# -- backoff ---------------------------------------------------------------------------------
def test_backoff_grows_exponentially_caps_and_resets() -> None:
    now = [1000.0]
    backoff = Backoff(interval=10, cap=60, clock=lambda: now[0])
    assert not backoff.should_skip()
    delays = []
    for _ in range(5):
        backoff.failed()
        delays.append(backoff.delay)
    assert delays == [10, 20, 40, 60, 60]
    # 60 s to wait: the run at +10 s is skipped, the one at +60 s goes ahead.
    now[0] += 10
    assert backoff.should_skip()
    now[0] += 50
    assert not backoff.should_skip()
    backoff.succeeded()
    assert backoff.delay == 0 and not backoff.should_skip()


def test_one_failure_does_not_skip_the_next_run() -> None:
    now = [0.0]
    backoff = Backoff(interval=30, cap=900, clock=lambda: now[0])
    backoff.failed()
    now[0] += 29  # the next run, fired a little early by jitter
    assert not backoff.should_skip()


def test_a_silent_device_is_retried_quickly_until_it_answers() -> None:
    """Health retries (issue 14): a failed poll arms one retry ``health_retry`` after its
    start; the scheduled polls in between are skipped as backoff (the retries have the
    device); tries never come faster than the retry, one at a time; the first answer ends
    the retries and the regular rhythm goes on."""
    kind = RecordingKind()
    kind.fake.reachable = False
    devices = fleet(1)
    name = devices[0].name
    retry = 0.2

    async def main() -> Daemon:
        daemon = Daemon(
            [kind],
            devices,
            FleetState(),
            Schedule(intervals={"health": 30}, health_retry=retry),
        )
        await daemon.run_job("health", name)  # the scheduled poll: no answer
        await daemon.run_job("health", name)  # the next scheduled one: the retries have it
        assert kind.fake.calls == 1
        await until(lambda: kind.fake.calls >= 4, "three retries")
        kind.fake.reachable = True
        await until(lambda: kind.recorded[-1].reachable, "the answer of a retry")
        settled = kind.fake.calls
        await asyncio.sleep(3 * retry)
        assert kind.fake.calls == settled, "retried after the device answered"
        assert name not in daemon._retries
        await daemon.run_job("health", name)  # the 30 s rhythm again
        assert kind.fake.calls == settled + 1
        await daemon.drain()
        return daemon

    daemon = asyncio.run(main())
    tries = [snapshot.collected_at for snapshot in kind.recorded]
    # every try but the last (the regular poll after the answer) came from a retry
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tries[:-1])]
    assert gaps and min(gaps) >= retry * 0.9, gaps
    assert daemon.accounting.skipped[("health", "backoff")] == 1
    assert daemon.accounting.skipped[("health", "overlap")] == 0
    assert daemon.backoffs[("health", name)].failures == 0


def test_drain_disarms_the_health_retries() -> None:
    kind = RecordingKind()
    kind.fake.reachable = False
    devices = fleet(2)

    async def main() -> None:
        daemon = Daemon(
            [kind], devices, FleetState(), Schedule(intervals={"health": 30}, health_retry=0.1)
        )
        await asyncio.gather(*(daemon.run_job("health", d.name) for d in devices))
        assert len(daemon._retries) == 2
        await daemon.drain()
        calls = kind.fake.calls
        await asyncio.sleep(0.4)
        assert kind.fake.calls == calls and not daemon._retries

    asyncio.run(main())


def test_daemon_backs_off_an_unreachable_device_and_resets() -> None:
    now = [0.0]
    kind = RecordingKind()
    kind.fake.reachable = False
    devices = fleet(1)
    name = devices[0].name
    state = FleetState()

    async def main() -> None:
        daemon = Daemon(
            [kind],
            devices,
            state,
            Schedule(intervals={"health": 10}, backoff_max=40),
            clock=lambda: now[0],
        )
        await daemon.run_job("health", name)  # 1st failure: next run not skipped
        now[0] += 10
        await daemon.run_job("health", name)  # 2nd failure: wait 20 s
        assert kind.fake.calls == 2
        now[0] += 10
        await daemon.run_job("health", name)  # skipped
        assert kind.fake.calls == 2
        now[0] += 10
        await daemon.run_job("health", name)  # 3rd failure: wait 40 s (the cap)
        assert kind.fake.calls == 3
        assert daemon.backoffs[("health", name)].delay == 40
        kind.fake.reachable = True
        now[0] += 40
        await daemon.run_job("health", name)
        assert daemon.backoffs[("health", name)].failures == 0
        await daemon.drain()

    asyncio.run(main())
    view = state.view().devices[0]
    assert view.health is not None and view.health.reachable
    assert dict(view.collectors["health"].errors) == {"error": 3}
    assert len(kind.recorded) == 4


# -- scheduling ------------------------------------------------------------------------------
def test_first_runs_are_spread_and_runs_jittered() -> None:
    kind = RecordingKind()
    devices = fleet()

    async def main() -> tuple[dt.datetime, dict[str, dt.datetime], Any]:
        daemon = Daemon(
            [kind],
            devices,
            FleetState(),
            Schedule(intervals={"health": 3600}, jitter=7, first_run_spread=100),
        )
        before = dt.datetime.now(dt.UTC)
        await daemon.start()
        times = daemon.first_run_times()
        trigger = daemon.scheduler.get_job(f"health:{devices[0].name}").trigger
        await daemon.drain()
        return before, times, trigger

    before, times, trigger = asyncio.run(main())
    assert len(times) == len(devices) == 40
    assert all(before <= t <= before + dt.timedelta(seconds=101) for t in times.values())
    # 40 uniform draws over 100 s: all distinct and covering more than half the window.
    assert len(set(times.values())) == 40
    assert max(times.values()) - min(times.values()) > dt.timedelta(seconds=50)
    assert trigger.jitter == 7 and trigger.interval == dt.timedelta(seconds=3600)


def test_runs_of_one_job_never_overlap() -> None:
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES

    kind = RecordingKind()
    kind.fake.gate.clear()
    devices = fleet(1)
    refused: list[Any] = []

    async def main() -> None:
        daemon = Daemon(
            [kind],
            devices,
            FleetState(),
            Schedule(intervals={"health": 0.05}, jitter=0, first_run_spread=0),
        )
        await daemon.start()
        daemon.scheduler.add_listener(refused.append, EVENT_JOB_MAX_INSTANCES)
        await until(lambda: kind.fake.active == 1, "the first run starts")
        await until(lambda: len(refused) >= 3, "the scheduler refuses further runs")
        kind.fake.gate.set()
        await until(lambda: len(kind.recorded) >= 2, "runs go on after the slow one")
        await daemon.drain()

    asyncio.run(main())
    assert kind.fake.max_active == 1


def test_sighup_refuses_a_bad_inventory_and_loads_a_good_one(tmp_path: Path) -> None:
    path = tmp_path / "inventory.toml"
    shipped = SHIPPED_INVENTORY.read_text(encoding="utf-8")
    kind = RecordingKind()
    state = FleetState()
    attempts: list[str] = []

    def reload_devices() -> list[Device]:
        attempts.append("reload")
        return list(load_inventory(path).devices)

    async def main() -> tuple[set[str], set[str], set[str], set[str]]:
        daemon = Daemon(
            [kind],
            fleet(3),
            state,
            Schedule(intervals={"health": 3600}, first_run_spread=3600),
            reload_devices=reload_devices,
        )
        ready = asyncio.Event()
        serving = asyncio.create_task(daemon.serve(ready=ready.set))
        await until(ready.is_set, "the daemon is up")
        path.write_text(shipped.replace('vendor = "h3c"', 'vendor = "h3cc"', 1))
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: len(attempts) == 1, "the first reload")
        after_bad = set(daemon.devices), {j.id for j in daemon.scheduler.get_jobs()}
        path.write_text(shipped)
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: len(attempts) == 2, "the second reload")
        after_good = set(daemon.devices), {j.id for j in daemon.scheduler.get_jobs()}
        daemon.request_stop()
        await serving
        return *after_bad, *after_good

    bad_devices, bad_jobs, good_devices, good_jobs = asyncio.run(main())
    first_three = {d.name for d in fleet(3)}
    assert bad_devices == first_three
    assert bad_jobs == {f"health:{name}" for name in first_three}
    assert good_devices == {d.name for d in fleet()}
    assert good_jobs == {f"health:{name}" for name in good_devices}
    assert set(state.device_names()) == good_devices


def test_sigterm_drains_runs_in_flight() -> None:
    kind = RecordingKind()
    kind.fake.gate.clear()
    devices = fleet(1)
    state = FleetState()

    async def main() -> None:
        daemon = Daemon(
            [kind], devices, state, Schedule(intervals={"health": 3600}, first_run_spread=0)
        )
        serving = asyncio.create_task(daemon.serve())
        await until(lambda: kind.fake.active == 1, "a run is in flight")
        os.kill(os.getpid(), signal.SIGTERM)
        await until(lambda: not daemon._accepting, "the daemon starts draining")
        await asyncio.sleep(0)
        assert not serving.done() and kind.recorded == []
        kind.fake.gate.set()
        await serving
        # After the drain nothing new starts.
        await daemon.run_job("health", devices[0].name)

    asyncio.run(main())
    assert len(kind.recorded) == 1 and kind.fake.calls == 1
    assert state.view().devices[0].health is not None


def test_a_job_that_hangs_times_out_and_counts_as_timeout() -> None:
    kind = RecordingKind()
    kind.fake.gate.clear()  # never opened
    devices = fleet(1)
    state = FleetState()

    async def main() -> None:
        daemon = Daemon(
            [kind], devices, state, Schedule(intervals={"health": 30}, job_timeout=0.05)
        )
        await daemon.run_job("health", devices[0].name)
        await daemon.drain()

    asyncio.run(main())
    view = state.view().devices[0]
    assert view.health is not None and not view.health.reachable
    assert dict(view.collectors["health"].errors) == {"timeout": 1}


# -- systemd notify --------------------------------------------------------------------------
def run_with_notify_socket(address: str, bind_to: str) -> list[str]:
    kind = RecordingKind()
    messages: list[str] = []
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(bind_to)
    receiver.setblocking(False)
    notifier = SystemdNotifier({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "100000"})
    assert notifier.watchdog_seconds == 0.1

    async def main() -> None:
        loop = asyncio.get_running_loop()
        daemon = Daemon(
            [kind],
            fleet(2),
            FleetState(),
            Schedule(intervals={"health": 3600}, first_run_spread=3600),
            notifier=notifier,
        )
        serving = asyncio.create_task(daemon.serve())

        async def receive() -> None:
            messages.append((await loop.sock_recv(receiver, 4096)).decode())

        while messages.count("WATCHDOG=1") < 2:
            await asyncio.wait_for(receive(), WAIT)
        daemon.request_stop()
        while "STOPPING=1" not in messages:
            await asyncio.wait_for(receive(), WAIT)
        await serving

    try:
        asyncio.run(main())
    finally:
        receiver.close()
    return messages


def test_sd_notify_ready_watchdog_stopping(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    messages = run_with_notify_socket(path, path)
    assert messages[0].startswith("READY=1\nSTATUS=polling 2 devices")
    assert messages.count("WATCHDOG=1") >= 2
    assert messages[-1] == "STOPPING=1"


def test_sd_notify_abstract_socket() -> None:
    name = f"netmon-test-{uuid.uuid4().hex}"
    messages = run_with_notify_socket(f"@{name}", f"\0{name}")
    assert messages[0].startswith("READY=1")


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = SystemdNotifier({})
    assert notifier.notify("READY=1") is False and notifier.watchdog_seconds is None


# -- logs and failure reasons ----------------------------------------------------------------
def test_json_logs_mask_secret_fields() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("netmon.test.jsonlog")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "device unreachable",
            extra={
                "device": "h3c-s5500-01",
                "community": "public",
                "ssh_password": "pw",
                "auth_key": "k",
                "failures": 2,
            },
        )
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["msg"] == "device unreachable" and entry["level"] == "warning"
    assert entry["device"] == "h3c-s5500-01" and entry["failures"] == 2
    assert entry["community"] == entry["ssh_password"] == entry["auth_key"] == "***"
    assert "public" not in stream.getvalue()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("timeout: no answer after 2 tries", "timeout"),
        ("error: wrongDigest", "auth"),
        ("error: Connection refused", "refused"),
        ("not a number: 'x'", "parse"),
        ("something odd", "error"),
    ],
)
def test_failure_reasons(text: str, reason: str) -> None:
    assert classify_failure(text) == reason


# -- against the lab, into a real store -------------------------------------------------------
@pytest.mark.lab
def test_one_round_against_the_lab_into_sqlite(
    clean_lab: Any, lab_devices: list[Device], tmp_path: Path
) -> None:
    from agent.daemon import sync_store_devices
    from agent.recorder import Recorder
    from agent.store import open_store
    from agent.store.models import CollectionRun
    from agent.store.schema import upgrade
    from collectors.health import HealthCollector

    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    state = FleetState()
    down = lab_devices[0].name

    async def main() -> Daemon:
        daemon = Daemon(
            [HealthKind(HealthCollector(), Recorder(store))],
            lab_devices,
            state,
            Schedule(intervals={"health": 30}, job_timeout=30),
            on_devices=sync_store_devices(store),
        )
        await daemon._in_writer(sync_store_devices(store), lab_devices)
        await asyncio.gather(*(daemon.run_job("health", d.name) for d in lab_devices))
        clean_lab.set_fault(down, "down")
        await daemon.run_job("health", down)
        await daemon.drain()
        return daemon

    try:
        daemon = asyncio.run(main())
        views = {v.info.name: v for v in state.view().devices}
        assert len(views) == 40
        up = [n for n, v in views.items() if v.health is not None and v.health.reachable]
        assert sorted(up) == sorted(d.name for d in lab_devices[1:])
        assert dict(views[down].collectors["health"].errors) == {"timeout": 1}
        assert daemon.backoffs[("health", down)].failures == 1
        with store.session() as session:
            statuses = [run.status for run in session.query(CollectionRun).all()]
        assert len(statuses) == 41
        assert statuses.count("failed") == 1
    finally:
        store.close()


def test_notify_never_blocks_on_a_supervisor_that_does_not_read(tmp_path: Path) -> None:
    import socket as socket_module

    from agent.daemon import SystemdNotifier

    path = tmp_path / "notify.sock"
    listener = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_DGRAM)
    listener.bind(str(path))
    try:
        notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path)})
        # A unix datagram queue holds only a few messages: the rest are dropped, not waited on.
        results = [notifier.notify("WATCHDOG=1") for _ in range(200)]
        assert results[0] is True and results[-1] is False
    finally:
        listener.close()


def test_housekeeping_is_scheduled_and_runs_in_the_writer_thread() -> None:
    import threading

    threads: list[str] = []

    def housekeeping() -> None:
        threads.append(threading.current_thread().name)
        if len(threads) == 2:
            raise RuntimeError("store away")  # logged; the daemon goes on

    async def main() -> None:
        daemon = Daemon(
            [RecordingKind()],
            fleet(1),
            FleetState(),
            Schedule(intervals={"health": 10}),
            housekeeping=housekeeping,
            housekeeping_interval=3600,
        )
        await daemon.start()
        assert "housekeeping" in daemon.first_run_times()
        await daemon._housekeep()
        await daemon._housekeep()
        await daemon.drain()

    asyncio.run(main())
    assert len(threads) == 2 and all(name.startswith("netmon-store") for name in threads)
