"""The polling daemon behind ``netmon run`` and ``netmon demo``.

One APScheduler job per device and collector kind, each kind at its own interval with random
jitter (first runs spread over the interval), so the fleet is never polled in one burst. Per
job: no overlapping runs (``max_instances=1``, ``coalesce=True``, plus our own busy guard), a
timeout, a semaphore per transport (SNMP, SSH), and exponential backoff while a device does
not answer. Results update the in-memory state (``agent.state``) that ``/metrics`` renders,
then go to the store in a writer thread so the event loop never blocks on the database.

A collector kind is a small registration (``CollectorKind``): the health kind is below; the
configuration and signature kinds plug in the same way.

Signals: SIGTERM/SIGINT stop scheduling and drain the runs in flight; SIGHUP reloads the
inventory (a bad one is refused, the old one keeps running). With ``$NOTIFY_SOCKET`` set
(systemd ``Type=notify``), READY=1, WATCHDOG=1 and STOPPING=1 are sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import faulthandler
import json
import logging
import os
import random
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from agent.errors import NetmonError

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.recorder import Recorder
    from agent.state import FleetState
    from collectors.base import HealthSnapshot
    from collectors.health import HealthCollector

log = logging.getLogger("netmon.daemon")

ERROR_REASONS: tuple[str, ...] = ("timeout", "auth", "refused", "parse", "partial", "error")


# -- collector kinds -------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    success: bool  # the run got an answer (possibly partial)
    unreachable: bool  # the device did not answer at all: back off
    error_reason: str | None = None  # one of ERROR_REASONS, counted in the metrics


class CollectorKind(Protocol):
    """What the daemon schedules. ``collect`` runs on the event loop; ``record`` (the store
    write) runs in the writer thread; ``update_state`` is quick and runs on the loop."""

    kind: str  # "health", "config", "signatures"
    transport: str  # "snmp" or "ssh": which concurrency limit applies

    async def collect(self, device: Device) -> Any: ...

    def failed(self, device: Device, reason: str, message: str) -> Any:
        """A result standing for a run that timed out or raised."""
        ...

    def outcome(self, result: Any) -> Outcome: ...

    def update_state(self, state: FleetState, result: Any) -> None: ...

    def record(self, result: Any, started_at: dt.datetime) -> None: ...


def classify_failure(text: str) -> str:
    """An error reason (ERROR_REASONS) from a collector's description of what went wrong."""
    lowered = text.lower()
    if "timeout" in lowered or "timed out" in lowered:
        return "timeout"
    if re.search(r"auth|digest|unknownusername|decrypt|permission denied|password", lowered):
        return "auth"
    if "refused" in lowered or "unreachable" in lowered or "reset" in lowered:
        return "refused"
    if "parse" in lowered or "not a number" in lowered:
        return "parse"
    return "error"


class HealthKind:
    """Health over SNMP (``collectors.health.HealthCollector``) into state and store."""

    kind = "health"
    transport = "snmp"

    def __init__(self, collector: HealthCollector, recorder: Recorder | None) -> None:
        self.collector = collector
        self.recorder = recorder

    async def collect(self, device: Device) -> HealthSnapshot:
        return await self.collector.collect(device)

    def failed(self, device: Device, reason: str, message: str) -> HealthSnapshot:
        from collectors.base import HealthSnapshot

        snapshot = HealthSnapshot(device.name, dt.datetime.now(dt.UTC), reachable=False)
        snapshot.unreadable["job"] = f"{reason}: {message}"
        return snapshot

    def outcome(self, result: HealthSnapshot) -> Outcome:
        if not result.reachable:
            why = " ".join(result.unreadable.values()) or "no answer"
            return Outcome(False, True, classify_failure(why))
        return Outcome(True, False, "partial" if result.unreadable else None)

    def update_state(self, state: FleetState, result: HealthSnapshot) -> None:
        state.update_health(result)

    def record(self, result: HealthSnapshot, started_at: dt.datetime) -> None:
        if self.recorder is not None:
            self.recorder.save_health(result, started_at)


# -- backoff ---------------------------------------------------------------------------------
class Backoff:
    """Exponential backoff for one device and collector kind.

    After n consecutive unreachable runs the next try waits about ``interval * 2**(n-1)``
    (capped at ``cap``) from the last failure; the scheduled runs in between are skipped. One
    success resets it. Half an interval of slack keeps a jittered run that fires a little
    early from being skipped by the rule meant for the one after it.
    """

    def __init__(self, interval: float, cap: float, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.cap = max(cap, interval)
        self.clock = clock
        self.failures = 0
        self.retry_at = 0.0

    @property
    def delay(self) -> float:
        if self.failures == 0:
            return 0.0
        return min(self.interval * 2 ** (self.failures - 1), self.cap)

    def failed(self) -> None:
        self.failures += 1
        self.retry_at = self.clock() + self.delay

    def succeeded(self) -> None:
        self.failures = 0
        self.retry_at = 0.0

    def should_skip(self) -> bool:
        return self.failures > 0 and self.clock() + self.interval / 2 < self.retry_at


# -- systemd notify --------------------------------------------------------------------------
class SystemdNotifier:
    """sd_notify(3) over ``$NOTIFY_SOCKET``: a datagram per message; silent when unset."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET") or None
        if address and address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace socket
        self.address = address
        self.watchdog_seconds: float | None = None
        usec = environ.get("WATCHDOG_USEC")
        pid = environ.get("WATCHDOG_PID")
        if usec and usec.isdigit() and (not pid or pid == str(os.getpid())):
            self.watchdog_seconds = int(usec) / 1_000_000

    def notify(self, message: str) -> bool:
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                # Never block the event loop on a supervisor that does not read: a full
                # queue drops this message (the next watchdog ping comes soon anyway).
                sock.setblocking(False)
                sock.sendto(message.encode(), self.address)
        except BlockingIOError:
            log.warning("sd_notify dropped: the notify socket's queue is full")
            return False
        except OSError as error:
            log.warning("sd_notify failed", extra={"error": str(error)})
            return False
        return True


# -- logging ---------------------------------------------------------------------------------
_STANDARD_RECORD_KEYS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
_SECRET_KEY = re.compile(
    r"pass|secret|community|token|authori|priv_key|auth_key|credential", re.IGNORECASE
)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line (journald keeps it whole). Extra fields whose names look like
    secrets are masked, whatever a caller passes."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD_RECORD_KEYS or key.startswith("_"):
                continue
            entry[key] = "***" if _SECRET_KEY.search(key) else value
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every job start and end at INFO: far too much for 40+ devices.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


# -- the daemon ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    intervals: Mapping[str, float]
    jitter: float = 5.0
    snmp_concurrency: int = 32
    ssh_concurrency: int = 8
    job_timeout: float = 120.0
    backoff_max: float = 900.0
    first_run_spread: float | None = None  # default: each kind's interval (capped at 60 s)


DeviceSource = Callable[[], Sequence["Device"]]


class Daemon:
    def __init__(
        self,
        kinds: Iterable[CollectorKind],
        devices: Sequence[Device],
        state: FleetState,
        schedule: Schedule,
        *,
        reload_devices: DeviceSource | None = None,
        on_devices: Callable[[Sequence[Device]], None] | None = None,
        notifier: SystemdNotifier | None = None,
        clock: Callable[[], float] = time.monotonic,
        enabled: Callable[[str, Device], bool] | None = None,
        shard: Any = None,
    ) -> None:
        self.clock = clock
        # netmon.toml [collectors]: a kind switched off for a device gets no job at all.
        self.enabled = enabled
        self.kinds = {kind.kind: kind for kind in kinds}
        self.state = state
        self.schedule = schedule
        self.reload_devices = reload_devices
        self.on_devices = on_devices
        self.notifier = notifier or SystemdNotifier()
        # With a shard (agent/shard.py), ``devices`` are the ones this agent owns now and
        # ``inventory`` all of them; start() and every claim round set the owned ones.
        self.shard = shard
        self.inventory: list[Device] = list(devices)
        self.devices: dict[str, Device] = {} if shard else {d.name: d for d in devices}
        self.backoffs: dict[tuple[str, str], Backoff] = {}
        self.scheduler: Any = None
        self._limits = {
            "snmp": asyncio.Semaphore(schedule.snmp_concurrency),
            "ssh": asyncio.Semaphore(schedule.ssh_concurrency),
        }
        self._busy: set[tuple[str, str]] = set()
        self._running: set[asyncio.Task[Any]] = set()
        self._accepting = True  # until drain(): runs may also be started by hand (tests)
        self._stop: asyncio.Event | None = None
        # One writer thread: store writes stay off the event loop and never contend with
        # each other for SQLite's single write lock.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netmon-store")
        # False when SIGTERM's drain had to give up on a stuck store write (see drain()).
        self.drained_cleanly = True
        state.set_devices(self.devices.values())
        state.set_intervals({k: schedule.intervals[k] for k in self.kinds})

    # -- scheduling ----------------------------------------------------------------------
    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
        for name in self.devices:
            self._add_jobs(name)
        self.scheduler.start()
        if self.on_devices is not None:
            await self._in_writer(self.on_devices, list(self.inventory))
        if self.shard is not None:
            await self._claim()
        log.info(
            "daemon started", extra={"devices": len(self.devices), "collectors": sorted(self.kinds)}
        )

    def _add_jobs(self, name: str, spread_at_most: float | None = None) -> None:
        from apscheduler.triggers.interval import IntervalTrigger

        now = dt.datetime.now(dt.UTC)
        for kind in self.kinds:
            if self.enabled is not None and not self.enabled(kind, self.devices[name]):
                continue
            interval = self.schedule.intervals[kind]
            spread = self.schedule.first_run_spread
            if spread_at_most is not None:
                spread = min(spread_at_most, spread if spread is not None else spread_at_most)
            spread = min(interval, 60.0) if spread is None else min(spread, interval)
            self.scheduler.add_job(
                self.run_job,
                trigger=IntervalTrigger(
                    seconds=interval, jitter=self.schedule.jitter or None, timezone=dt.UTC
                ),
                args=[kind, name],
                id=f"{kind}:{name}",
                name=f"{kind} {name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(interval)),
                next_run_time=now + dt.timedelta(seconds=random.uniform(0, spread)),
                replace_existing=True,
            )

    def _remove_jobs(self, name: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        for kind in self.kinds:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(f"{kind}:{name}")

    def first_run_times(self) -> dict[str, dt.datetime]:
        """Job id -> next run time (tests and diagnostics)."""
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    # -- one run ---------------------------------------------------------------------------
    async def run_job(self, kind_name: str, device_name: str) -> None:
        key = (kind_name, device_name)
        device = self.devices.get(device_name)
        if not self._accepting or device is None or key in self._busy:
            return
        kind = self.kinds[kind_name]
        backoff = self.backoffs.setdefault(
            key,
            Backoff(self.schedule.intervals[kind_name], self.schedule.backoff_max, self.clock),
        )
        if backoff.should_skip():
            log.debug("skipped: backing off", extra={"device": device_name, "collector": kind_name})
            return
        task = asyncio.current_task()
        assert task is not None
        self._busy.add(key)
        self._running.add(task)
        try:
            await self._run(kind, device, backoff)
        finally:
            self._busy.discard(key)
            self._running.discard(task)

    async def _run(self, kind: CollectorKind, device: Device, backoff: Backoff) -> None:
        started_at = dt.datetime.now(dt.UTC)
        limit = self._limits[kind.transport]
        async with limit:
            began = time.monotonic()
            try:
                result = await asyncio.wait_for(kind.collect(device), self.schedule.job_timeout)
            except TimeoutError:
                result = kind.failed(
                    device, "timeout", f"no result within {self.schedule.job_timeout:g} s"
                )
            except Exception as error:  # one device's failure must not stop the others
                log.error(
                    "collector failed",
                    exc_info=True,
                    extra={"device": device.name, "collector": kind.kind},
                )
                result = kind.failed(device, "error", f"{type(error).__name__}: {error}")
            duration = time.monotonic() - began
        outcome = kind.outcome(result)
        if outcome.unreachable:
            backoff.failed()
            log.warning(
                "device unreachable",
                extra={
                    "device": device.name,
                    "collector": kind.kind,
                    "reason": outcome.error_reason,
                    "failures": backoff.failures,
                    "retry_in_s": round(backoff.delay, 1),
                },
            )
        else:
            if backoff.failures:
                log.info(
                    "device answers again", extra={"device": device.name, "collector": kind.kind}
                )
            backoff.succeeded()
        if device.name not in self.devices:
            return  # removed by a reload while this run was in flight
        kind.update_state(self.state, result)
        self.state.record_run(
            device.name,
            kind.kind,
            started_at=started_at,
            duration_seconds=duration,
            success=outcome.success,
            error_reason=outcome.error_reason,
        )
        try:
            await self._in_writer(kind.record, result, started_at)
        except NetmonError as error:
            log.error(
                "store write failed",
                extra={"device": device.name, "collector": kind.kind, "error": str(error)},
            )

    async def _in_writer(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    # -- reload ------------------------------------------------------------------------------
    def reload(self) -> bool:
        """Load the inventory again; a bad one is refused and the running one stays."""
        if self.reload_devices is None:
            log.warning("reload requested, but there is nothing to reload from")
            return False
        try:
            new = list(self.reload_devices())
        except NetmonError as error:
            log.error(
                "new inventory refused; keeping the running one",
                extra={"problems": str(error).splitlines()},
            )
            return False
        self.inventory = new
        if self.shard is not None:
            owned = set(self.devices)  # the next claim round brings new devices in
            gone, added = self._replace_devices([d for d in new if d.name in owned])
        else:
            gone, added = self._replace_devices(new)
        if self.on_devices is not None:
            future = asyncio.get_running_loop().run_in_executor(self._writer, self.on_devices, new)
            future.add_done_callback(_log_sync_failure)
        log.info("inventory reloaded", extra={"devices": len(new), "added": added, "removed": gone})
        return True

    def _replace_devices(
        self, new: list[Device], spread_at_most: float | None = None
    ) -> tuple[list[str], list[str]]:
        new_names = {d.name for d in new}
        gone = [name for name in self.devices if name not in new_names]
        added = [d.name for d in new if d.name not in self.devices]
        for name in gone:
            self._remove_jobs(name)
            for kind in self.kinds:
                self.backoffs.pop((kind, name), None)
        self.devices = {d.name: d for d in new}
        self.state.set_devices(new)
        for name in added:
            self._add_jobs(name, spread_at_most)
        return gone, added

    # -- sharding (agent/shard.py) ---------------------------------------------------------
    async def _claim(self, taking_over: bool = False) -> None:
        """One claim round: the devices of the buckets this agent holds now are polled.
        Devices taken over from another agent were last polled up to an interval ago, so
        their first runs are spread over one claim interval, not a whole poll interval."""
        names = [d.name for d in self.inventory]
        loop = asyncio.get_running_loop()
        owned = await loop.run_in_executor(None, self.shard.claim, names)
        if owned == set(self.devices):
            return
        spread = self.shard.interval if taking_over else None
        gone, added = self._replace_devices([d for d in self.inventory if d.name in owned], spread)
        log.info(
            "shard changed",
            extra={"devices": len(self.devices), "taken": len(added), "released": len(gone)},
        )

    async def _claim_loop(self) -> None:
        while True:
            await asyncio.sleep(self.shard.interval)
            if self._accepting:
                await self._claim(taking_over=True)

    # -- running until told to stop --------------------------------------------------------
    async def drain(self, timeout: float | None = None) -> None:
        """Stop scheduling; wait for runs in flight (their store writes included)."""
        self._accepting = False
        scheduling = self.scheduler is not None and self.scheduler.running
        if scheduling:
            # Pause, not shut down: APScheduler's shutdown cancels the coroutine jobs running.
            self.scheduler.pause()
        running = set(self._running)
        if running:
            log.info("draining", extra={"runs_in_flight": len(running)})
            _done, pending = await asyncio.wait(
                running, timeout=timeout or self.schedule.job_timeout + 30
            )
            for task in pending:
                task.cancel()
        if scheduling:
            self.scheduler.shutdown(wait=False)
        await self._finish_writes(timeout or self.schedule.job_timeout + 30)

    async def _finish_writes(self, timeout: float) -> None:
        """Wait for the store writes already queued, but not forever: systemd's stop timeout
        should not be what ends a stuck daemon. The wait runs on a daemon thread so that a
        stuck write cannot hold the event loop's own executor either."""
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()

        def wait_for_writer() -> None:
            self._writer.shutdown(wait=True)
            loop.call_soon_threadsafe(finished.set)

        threading.Thread(target=wait_for_writer, name="netmon-drain", daemon=True).start()
        try:
            await asyncio.wait_for(finished.wait(), timeout)
        except TimeoutError:
            self.drained_cleanly = False
            log.error(
                "store writes still running after the drain timeout; stopping without them",
                extra={"timeout_s": timeout},
            )
            # Where it is stuck, for whoever reads the journal next.
            faulthandler.dump_traceback(all_threads=True)

    def request_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def exit_now_if_stuck(self) -> None:
        """After serve(): if a store write is stuck, end the process without waiting for it
        (the interpreter would join that thread at exit forever). Its transaction is lost, and
        only it: everything committed before stays."""
        if not self.drained_cleanly:
            logging.shutdown()
            os._exit(1)

    async def serve(self, ready: Callable[[], None] | None = None) -> None:
        """Run until SIGTERM/SIGINT (or ``request_stop``), then drain and return."""
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        handled: list[int] = []
        for signum, handler in (
            (signal.SIGTERM, self.request_stop),
            (signal.SIGINT, self.request_stop),
            (signal.SIGHUP, self.reload),
        ):
            try:
                loop.add_signal_handler(signum, handler)
                handled.append(signum)
            except (RuntimeError, ValueError):  # not the main thread: the caller stops us
                pass
        watchdog: asyncio.Task[None] | None = None
        claiming: asyncio.Task[None] | None = None
        try:
            await self.start()
            if ready is not None:
                ready()
            self.notifier.notify(f"READY=1\nSTATUS=polling {len(self.devices)} devices")
            if self.notifier.watchdog_seconds:
                watchdog = asyncio.create_task(self._watchdog(self.notifier.watchdog_seconds))
            if self.shard is not None and self.shard.interval > 0:
                claiming = asyncio.create_task(self._claim_loop())
            await self._stop.wait()
            log.info("stopping")
            self.notifier.notify("STOPPING=1")
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if claiming is not None:
                claiming.cancel()
            for signum in handled:
                loop.remove_signal_handler(signum)
            await self.drain()
            if self.shard is not None:
                self.shard.close()  # after the drain: no run of ours is left in flight
        log.info("stopped")

    async def _watchdog(self, period: float) -> None:
        # Ping at half the period systemd expects, from the event loop itself: a stuck loop
        # stops the pings and systemd restarts the daemon.
        while True:
            self.notifier.notify("WATCHDOG=1")
            await asyncio.sleep(period / 2)


def _log_sync_failure(future: Any) -> None:
    error = future.exception()
    if error is not None:
        log.error("store device sync failed", extra={"error": str(error)})


def sync_store_devices(store: Any) -> Callable[[Sequence[Device]], None]:
    """A callback that makes the store's device table match the polled devices."""
    from agent.store.repository import sync_devices

    def sync(devices: Sequence[Device]) -> None:
        # Agents sharing a store (agent/shard.py) sync the same inventory at the same moment:
        # the loser of an insert race tries again and then finds the rows there.
        for attempt in range(3):
            try:
                with store.session() as session:
                    sync_devices(session, devices)
                return
            except NetmonError:
                if attempt == 2:
                    raise
                time.sleep(0.5 * (attempt + 1))

    return sync
