"""The polling daemon behind ``netmon run`` and ``netmon demo``.

One APScheduler job per device and collector kind, each kind at its own interval with random
jitter (first runs spread over the interval), so the fleet is never polled in one burst. Per
job: no overlapping runs (``max_instances=1``, ``coalesce=True``, plus our own busy guard), a
timeout, a semaphore per transport (SNMP, SSH), and exponential backoff while a device does
not answer, except for health: a device whose health poll failed is re-polled every
``health_retry`` seconds until it answers (Nagios' retry_interval), so that one missed poll
ends at the next retry and an outage's start and end are both seen to within that retry (the
NetmonDeviceDown budget in deploy/prometheus/rules/netmon.rules.yml). Results update the
in-memory state (``agent.state``) that ``/metrics`` renders, then go to the store in a writer
thread so the event loop never blocks on the database.

A collector kind is a small registration (``CollectorKind``): the health kind is below; the
configuration and signature kinds plug in the same way.

Signals: SIGTERM/SIGINT stop scheduling and drain the runs in flight; SIGHUP reloads the
inventory and netmon.toml together (anything invalid is refused, the old ones keep running).
With ``$NOTIFY_SOCKET`` set (systemd ``Type=notify``), READY=1, WATCHDOG=1 and STOPPING=1 are
sent.
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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from agent.availability import LostPolls
from agent.errors import NetmonError

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.recorder import Recorder
    from agent.self_metrics import JobAccounting
    from agent.state import FleetState
    from agent.writer import WriteBehind
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
        return Outcome(True, False, "partial" if result.failures() else None)

    def update_state(self, state: FleetState, result: HealthSnapshot) -> None:
        state.update_health(result)

    def record(self, result: HealthSnapshot, started_at: dt.datetime) -> None:
        if self.recorder is not None:
            self.recorder.save_health(result, started_at)

    def pending_write(self, result: HealthSnapshot, started_at: dt.datetime) -> Any:
        """The store write as a queue item (``agent.writer``), or None without a store."""
        return None if self.recorder is None else self.recorder.prepare(result, started_at)


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
            # The whole stack in one field of one record: a traceback is one event, and
            # journald or a log shipper must not see it as one "error" per line.
            entry["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            entry["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every job start and end at INFO: far too much for 40+ devices; and
    # every "maximum number of running instances reached" at WARNING, which the counter
    # netmon_jobs_skipped_total{reason="overlap"} (and NetmonFallingBehind) now carries.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    # paramiko logs an SSH failure's traceback as one ERROR record per line (its transport
    # thread's own handler). The collectors report the same failure once, with the device and
    # the reason, so paramiko only gets through when it is critical.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)


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
    # Seconds from a failed health poll's start to the next try, until the device answers;
    # None: health backs off like the other kinds (unit tests, tools). netmon.toml's
    # [scheduler] health_retry always sets it (agent.settings bounds it below the threshold).
    health_retry: float | None = None


@dataclass(frozen=True)
class Reloaded:
    """What a reload read (inventory and netmon.toml together): the devices, the schedule and
    maintenance list to apply (None: unchanged), and more to say in the log line."""

    devices: Sequence[Device]
    schedule: Schedule | None = None
    maintenance: frozenset[str] | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)


# Returns the devices alone (inventory only) or a Reloaded; raises NetmonError to refuse.
DeviceSource = Callable[[], "Sequence[Device] | Reloaded"]


# netmon_device_maintenance follows the store's windows within this many seconds.
MAINTENANCE_CHECK_S = 60.0
# How often health polls lost to overload are stored. Not per lost poll: an overloaded daemon
# loses many, and a transaction for each, in the one writer thread, made it fall further
# behind (benchmarks/scale.py at 5,000 devices: a fifth of the daemon's CPU).
LOST_POLLS_EVERY_S = 10.0
HOUSEKEEPING_FIRST = dt.timedelta(seconds=60)


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
        write_queue: WriteBehind[Any] | None = None,
        accounting: JobAccounting | None = None,
        housekeeping: Callable[[], Any] | None = None,
        housekeeping_interval: float = 3600.0,
        enabled: Callable[[str, Device], bool] | None = None,
        shard: Any = None,
        availability: Any = None,
        static_maintenance: Iterable[str] = (),
    ) -> None:
        from agent.self_metrics import JobAccounting

        kinds = list(kinds)
        self.clock = clock
        # Kinds with ``pending_write`` (all of netmon's) hand their results to this queue
        # instead of waiting for the writer thread: a poll never waits for the store, and a
        # store outage keeps every result on disk (agent.writer). Without a queue (tests,
        # tools) ``_record`` writes and keeps the newest result per device in memory.
        self.write_queue = write_queue
        # (kind, device) -> the newest result a store outage kept from being written.
        self._deferred: dict[tuple[str, str], tuple[CollectorKind, Any, dt.datetime]] = {}
        self._retrying: asyncio.Task[None] | None = None
        # Scheduled, run, skipped and late jobs and poll durations (agent/self_metrics.py).
        self.accounting = accounting or JobAccounting(kind.kind for kind in kinds)
        # Store retention (agent.store.rollup), run in the writer thread every interval.
        self.housekeeping = housekeeping
        self.housekeeping_interval = housekeeping_interval
        # netmon.toml [collectors]: a kind switched off for a device gets no job at all.
        self.enabled = enabled
        self.kinds = {kind.kind: kind for kind in kinds}
        self.state = state
        self.schedule = schedule
        # agent.availability.DaemonAccounting (None without a store): maintenance windows
        # checked every minute, netmon's downtime and polls lost to overload recorded.
        self.availability = availability
        self.static_maintenance = frozenset(static_maintenance)
        self._window_maintenance: frozenset[str] = frozenset()
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
        # device -> its next health retry (at most one armed per device, see _after_health).
        self._retries: dict[str, asyncio.TimerHandle] = {}
        # (kind, device) -> the reason it currently fails for: failures are logged when this
        # changes (and recovery when it ends), not on every attempt.
        self._failing: dict[tuple[str, str], str] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._accepting = True  # until drain(): runs may also be started by hand (tests)
        self._stop: asyncio.Event | None = None
        # One writer thread: store writes stay off the event loop and never contend with
        # each other for SQLite's single write lock.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netmon-store")
        # Health polls lost to overload, stored every LOST_POLLS_EVERY_S (see LostPolls).
        self._lost = LostPolls()
        # False when SIGTERM's drain had to give up on a stuck store write (see drain()).
        self.drained_cleanly = True
        state.set_devices(self.devices.values())
        state.set_intervals({k: schedule.intervals[k] for k in self.kinds})

    # -- scheduling ----------------------------------------------------------------------
    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
        self._count_scheduler_events(self.scheduler)
        for name in self.devices:
            self._add_jobs(name)
        now = dt.datetime.now(dt.UTC)
        if self.housekeeping is not None:
            # The first pass soon after start, once the first polls are in.
            self._add_periodic(
                self._housekeep,
                self.housekeeping_interval,
                "housekeeping",
                now + HOUSEKEEPING_FIRST,
            )
        if self.availability is not None:
            self._add_periodic(
                self._refresh_maintenance, MAINTENANCE_CHECK_S, "maintenance-windows", now
            )
            self._add_periodic(self._store_lost_polls, LOST_POLLS_EVERY_S, "lost-polls")
        self.scheduler.start()
        if self.availability is not None:
            await self._in_writer(self.availability.daemon_started)
        if self.write_queue is not None:
            loop = asyncio.get_running_loop()
            self.write_queue.on_back = lambda: loop.call_soon_threadsafe(self.retry_deferred)
            self.write_queue.start()
        if self.on_devices is not None:
            await self._in_writer(self.on_devices, list(self.inventory))
        if self.shard is not None:
            await self._claim()
        log.info(
            "daemon started", extra={"devices": len(self.devices), "collectors": sorted(self.kinds)}
        )

    def _add_periodic(
        self,
        function: Callable[[], Any],
        seconds: float,
        job_id: str,
        first: dt.datetime | None = None,
    ) -> None:
        """One of the daemon's own jobs: every ``seconds``, never two at once, missed passes
        coalesced; the first at ``first`` (default: one period after start)."""
        from apscheduler.triggers.interval import IntervalTrigger

        self.scheduler.add_job(
            function,
            trigger=IntervalTrigger(seconds=seconds, timezone=dt.UTC),
            id=job_id,
            max_instances=1,
            coalesce=True,
            **({"next_run_time": first} if first is not None else {}),
        )

    def _add_jobs(self, name: str, spread_at_most: float | None = None) -> None:
        from agent.steady_trigger import SteadyIntervalTrigger

        now = dt.datetime.now(dt.UTC)
        for kind in self.kinds:
            if self.enabled is not None and not self.enabled(kind, self.devices[name]):
                continue
            interval = self.schedule.intervals[kind]
            spread = self.schedule.first_run_spread
            if spread_at_most is not None:
                spread = min(spread_at_most, spread if spread is not None else spread_at_most)
            spread = min(interval, 60.0) if spread is None else min(spread, interval)
            first = now + dt.timedelta(seconds=random.uniform(0, spread))
            self.scheduler.add_job(
                self.run_job,
                trigger=SteadyIntervalTrigger(interval, first, self.schedule.jitter or None),
                args=[kind, name],
                id=f"{kind}:{name}",
                name=f"{kind} {name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(interval)),
                next_run_time=first,
                replace_existing=True,
            )

    def _count_scheduler_events(self, scheduler: Any) -> None:
        """Every due job is scheduled; APScheduler itself skips a job whose previous run is
        still going (max_instances) and drops one past its misfire grace time: both are the
        daemon falling behind, which only the scheduler sees."""
        from apscheduler.events import (
            EVENT_JOB_MAX_INSTANCES,
            EVENT_JOB_MISSED,
            EVENT_JOB_SUBMITTED,
        )

        last_due: dict[str, dt.datetime] = {}

        def on_event(event: Any) -> None:
            kind = str(event.job_id).split(":", 1)[0]
            interval = self.schedule.intervals.get(kind, 60.0)
            # submission events carry scheduled_run_times, a missed run scheduled_run_time
            times = getattr(event, "scheduled_run_times", None) or [
                getattr(event, "scheduled_run_time", None) or dt.datetime.now(dt.UTC)
            ]
            due = min(times)
            previous = last_due.get(event.job_id)
            last_due[event.job_id] = max(times)
            # Late: started more than a tenth of the interval (at most 1 s) after its due time
            # (jitter is part of it), or due times were coalesced into this one because the
            # loop did not get to them in time (a gap of more than 1.5 intervals).
            lateness = (dt.datetime.now(dt.UTC) - due).total_seconds()
            gap = (due - previous).total_seconds() if previous is not None else 0.0
            late = lateness > min(1.0, interval / 10) or gap > 1.5 * interval + self.schedule.jitter
            if event.code == EVENT_JOB_MISSED:
                late = True
            self.accounting.job_scheduled(kind, late=late)
            if event.code == EVENT_JOB_MAX_INSTANCES:
                self.accounting.job_skipped(kind, "overlap")
            if kind == "health" and self.availability is not None:
                lost = event.code in (EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED)
                # netmon's downtime, not the device's: a lost poll leaves one interval
                # unwatched, one late by more than half an interval the time it waited (a
                # little lateness, jitter included, is not worth a store write).
                if lost or lateness > interval / 2:
                    end = due + dt.timedelta(seconds=interval) if lost else dt.datetime.now(dt.UTC)
                    self._lost.add(str(event.job_id).split(":", 1)[1], due, end)

        scheduler.add_listener(
            on_event, EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
        )

    async def _store_lost_polls(self) -> None:
        """Store the polls lost since the last pass, one transaction for all devices."""
        spans = self._lost.take()
        if not spans:
            return
        try:
            await self._in_writer(self.availability.polls_lost, spans)
        except Exception as error:  # the store may be down: the figure is lost, not the poll
            log.warning(
                "could not record netmon's downtime",
                extra={"devices": len(spans), "error": str(error)},
            )

    async def _refresh_maintenance(self) -> None:
        try:
            self._window_maintenance = await self._in_writer(self.availability.maintenance_now)
        except Exception as error:  # keep the last known windows while the store is down
            log.warning("could not read maintenance windows", extra={"error": str(error)})
        self.state.set_maintenance(self.static_maintenance | self._window_maintenance)

    def _remove_jobs(self, name: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        for kind in self.kinds:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(f"{kind}:{name}")

    def first_run_times(self) -> dict[str, dt.datetime]:
        """Job id -> next run time (tests and diagnostics)."""
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    # -- one run ---------------------------------------------------------------------------
    async def run_job(self, kind_name: str, device_name: str, *, retry: bool = False) -> None:
        key = (kind_name, device_name)
        device = self.devices.get(device_name)
        if not self._accepting or device is None:
            self.accounting.job_skipped(kind_name, "disabled")
            return
        if key in self._busy:
            if retry:
                return  # the run in flight arms the next retry if it fails too
            self.accounting.job_skipped(kind_name, "overlap")
            return
        kind = self.kinds[kind_name]
        backoff = self.backoffs.setdefault(
            key,
            Backoff(self.schedule.intervals[kind_name], self.schedule.backoff_max, self.clock),
        )
        retrying = kind_name == "health" and self.schedule.health_retry is not None
        if retrying and not retry and device_name in self._retries:
            # The device is silent and its retries poll it faster than this job would.
            self.accounting.job_skipped(kind_name, "backoff")
            return
        if not retrying and backoff.should_skip():
            log.debug("skipped: backing off", extra={"device": device_name, "collector": kind_name})
            self.accounting.job_skipped(kind_name, "backoff")
            return
        task = asyncio.current_task()
        assert task is not None
        self._busy.add(key)
        self._running.add(task)
        try:
            await self._run(kind, device, backoff)
        except Exception as error:
            # Whatever escapes a run (a bug, a value nothing expected) is one log line for
            # this run; the job stays scheduled, so the device's history goes on.
            log.error(
                "run failed",
                extra={"device": device_name, "collector": kind_name, "error": _cause(error)},
            )
        finally:
            self._busy.discard(key)
            self._running.discard(task)

    async def _run(self, kind: CollectorKind, device: Device, backoff: Backoff) -> None:
        started_at = dt.datetime.now(dt.UTC)
        limit = self._limits[kind.transport]
        raised = False
        async with limit:
            began = time.monotonic()
            try:
                result = await asyncio.wait_for(kind.collect(device), self.schedule.job_timeout)
            except TimeoutError:
                result = kind.failed(
                    device, "timeout", f"no result within {self.schedule.job_timeout:g} s"
                )
            except Exception as error:  # one device's failure must not stop the others
                # A bug, not a device fault: error with the stack, but once per kind of
                # exception and job, not on every attempt.
                why = f"exception {type(error).__name__}"
                if self._failing.get((kind.kind, device.name)) != why:
                    log.error(
                        "collector failed",
                        exc_info=True,
                        extra={"device": device.name, "collector": kind.kind},
                    )
                self._failing[(kind.kind, device.name)] = why
                raised = True
                result = kind.failed(device, "error", f"{type(error).__name__}: {error}")
            duration = time.monotonic() - began
        self.accounting.job_ran(kind.kind, duration)
        outcome = kind.outcome(result)
        key = (kind.kind, device.name)
        retry_in = self._after_health(kind.kind, device.name, outcome, duration)
        if outcome.unreachable:
            backoff.failed()
            reason = outcome.error_reason or "error"
            # An expected device fault: a warning when it starts or its reason changes, debug
            # for each further attempt (a run that raised was logged with its stack above).
            level = logging.DEBUG if raised or self._failing.get(key) == reason else logging.WARNING
            if not raised:
                self._failing[key] = reason
            log.log(
                level,
                "device unreachable",
                extra={
                    "device": device.name,
                    "collector": kind.kind,
                    "reason": reason,
                    "failures": backoff.failures,
                    "retry_in_s": round(backoff.delay if retry_in is None else retry_in, 1),
                },
            )
        else:
            if self._failing.pop(key, None) is not None or backoff.failures:
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
        pending_write = getattr(kind, "pending_write", None)
        if self.write_queue is not None and pending_write is not None:
            try:
                item = pending_write(result, started_at)
                if item is not None:
                    self.write_queue.submit(item)
            except Exception as error:
                log.error(
                    "store write not queued",
                    extra={"device": device.name, "collector": kind.kind, "error": _cause(error)},
                )
            return
        if await self._record(kind, device.name, result, started_at) and self._deferred:
            self.retry_deferred()  # the store takes writes again

    # -- health retries --------------------------------------------------------------------
    def _after_health(
        self, kind_name: str, device: str, outcome: Outcome, duration: float
    ) -> float | None:
        """Arm the next health retry of a device that did not answer (or disarm it once it
        answers); the delay armed, or None. The retry is timed from this run's start, but at
        least a second after its end: one try at a time per device, never a pile of them, and
        the SNMP/SSH semaphores bound how many devices are tried at once."""
        if kind_name != "health" or self.schedule.health_retry is None:
            return None
        pending = self._retries.pop(device, None)
        if pending is not None:
            pending.cancel()
        if not outcome.unreachable or not self._accepting:
            return None
        retry = self.schedule.health_retry
        delay = max(retry - duration, min(retry, 1.0))
        loop = asyncio.get_running_loop()
        self._retries[device] = loop.call_later(delay, self._fire_retry, device)
        return delay

    def _fire_retry(self, device: str) -> None:
        self._retries.pop(device, None)
        if not self._accepting or device not in self.devices:
            return
        if ("health", device) in self._busy:
            # The try that armed this one is still finishing (its store write): come back
            # shortly rather than lose the chain; its end disarms this if the device answered.
            loop = asyncio.get_running_loop()
            self._retries[device] = loop.call_later(
                min(self.schedule.health_retry or 1.0, 1.0), self._fire_retry, device
            )
            return
        self.accounting.job_scheduled("health")
        task = asyncio.get_running_loop().create_task(self.run_job("health", device, retry=True))
        # Held (and drained) like every run; run_job's own bookkeeping adds it again.
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _record(
        self, kind: CollectorKind, device: str, result: Any, started_at: dt.datetime
    ) -> bool:
        """Write one result in the writer thread; True when it was written. During a store
        outage the result is kept (the newest per device and kind: configuration and
        signature results are states, a newer one supersedes) and written once the store
        is back."""
        from agent.writer import is_outage

        try:
            await self._in_writer(kind.record, result, started_at)
            self._deferred.pop((kind.kind, device), None)
            return True
        except Exception as error:  # any failure: logged, and this device's next poll runs
            outage = is_outage(error)
            if outage and device in self.devices:
                self._deferred[(kind.kind, device)] = (kind, result, started_at)
            log.error(
                "store write failed",
                extra={
                    "device": device,
                    "collector": kind.kind,
                    "error": _cause(error),
                    "kept_until_store_is_back": outage,
                },
            )
            return False

    def retry_deferred(self) -> None:
        """Write the results kept during an outage (on the loop's thread; the writes run in
        the writer thread)."""
        if self._retrying is not None and not self._retrying.done():
            return
        self._retrying = asyncio.get_running_loop().create_task(self._retry_deferred())

    async def _retry_deferred(self) -> None:
        for (kind_name, device), (kind, result, started_at) in list(self._deferred.items()):
            if device not in self.devices:
                self._deferred.pop((kind_name, device), None)
                continue
            if self._deferred.get((kind_name, device), (None, None, None))[1] is not result:
                continue  # superseded by a newer result meanwhile
            if not await self._record(kind, device, result, started_at):
                return
            log.info("kept result written", extra={"device": device, "collector": kind_name})

    async def _housekeep(self) -> None:
        assert self.housekeeping is not None
        try:
            await self._in_writer(self.housekeeping)
        except Exception as error:  # a failed pass is retried at the next interval
            log.error("store housekeeping failed", extra={"error": str(error)})

    async def _in_writer(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    # -- reload ------------------------------------------------------------------------------
    def reload(self) -> bool:
        """Load the inventory (and, through ``reload_devices``, netmon.toml) again; anything
        invalid is refused and the running configuration stays."""
        if self.reload_devices is None:
            log.warning("reload requested, but there is nothing to reload from")
            return False
        try:
            result = self.reload_devices()
        except NetmonError as error:
            log.error(
                "new inventory or settings refused; keeping the running ones",
                extra={"problems": str(error).splitlines()},
            )
            return False
        reloaded = result if isinstance(result, Reloaded) else Reloaded(list(result))
        new = list(reloaded.devices)
        self.inventory = new
        if reloaded.maintenance is not None:
            self.static_maintenance = frozenset(reloaded.maintenance)
            self.state.set_maintenance(self.static_maintenance | self._window_maintenance)
        changed = [
            d.name
            for d in new
            if d.name in self.devices
            and replace(d, line=None) != replace(self.devices[d.name], line=None)
        ]
        if self.shard is not None:
            owned = set(self.devices)  # the next claim round brings new devices in
            gone, added = self._replace_devices([d for d in new if d.name in owned])
        else:
            gone, added = self._replace_devices(new)
        if reloaded.schedule is not None:
            self._apply_schedule(reloaded.schedule)
        if self.on_devices is not None:
            future = asyncio.get_running_loop().run_in_executor(self._writer, self.on_devices, new)
            future.add_done_callback(_log_sync_failure)
        log.info(
            "configuration reloaded",
            extra={
                "devices": len(new),
                "added": added,
                "removed": gone,
                "changed": changed,
                **reloaded.changes,
            },
        )
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

    def _apply_schedule(self, schedule: Schedule) -> bool:
        """Use ``schedule`` from now on; True when every device's jobs were re-added."""
        old, self.schedule = self.schedule, schedule
        self.state.set_intervals({k: schedule.intervals[k] for k in self.kinds})
        for (kind, _name), backoff in self.backoffs.items():
            backoff.interval = schedule.intervals[kind]
            backoff.cap = max(schedule.backoff_max, backoff.interval)
        if (old.intervals, old.jitter) == (schedule.intervals, schedule.jitter):
            return False
        for name in self.devices:
            self._add_jobs(name)  # replace_existing: the new interval and jitter
        return True

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
        for pending in self._retries.values():
            pending.cancel()
        self._retries.clear()
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
        if self.availability is not None:
            await self._store_lost_polls()
        await self._finish_writes(timeout or self.schedule.job_timeout + 30)
        if self.write_queue is not None:
            await self._stop_write_queue(self.write_queue, timeout or self.schedule.job_timeout)
        if self._deferred:
            log.warning(
                "results kept during a store outage were not written; the next polls after "
                "the restart collect them again",
                extra={"results": sorted(f"{kind} {device}" for kind, device in self._deferred)},
            )

    async def _stop_write_queue(self, queue: WriteBehind[Any], timeout: float) -> None:
        """Queued items go to the spool first, then to the store if it takes them in time;
        whatever is left is replayed at the next start."""
        stopped = await asyncio.get_running_loop().run_in_executor(None, queue.stop, timeout)
        if not stopped:
            self.drained_cleanly = False
            log.error(
                "store writer still busy after the drain timeout; its items stay spooled",
                extra={"timeout_s": timeout, "pending": queue.pending},
            )

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


def _cause(error: BaseException) -> str:
    """An exception as one log field: its type (what kind of failure) and its message."""
    if isinstance(error, NetmonError):
        return str(error)
    return f"{type(error).__name__}: {error}"


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
