"""A scripted six hours of two firewalls (a plain module shared by the store and promtool
tests), written through the daemon's write path (Recorder.prepare -> WriteBehind ->
HealthCodec), with everything issue 12 names:

- ``fw-a``: silences of 20 s (one missed poll and its first retry), 90 s and 2 h;
- ``fw-b``: a 10-minute silence inside a maintenance window, 5 minutes of polls lost to
  netmon's overload (a monitoring gap), and an outage still open when the report is made.

Polls every 30 s at hh:mm:05 and hh:mm:35 from ORIGIN (mid-December, so the monthly report is
made mid-month), and as the daemon does (agent.daemon, ``[scheduler] health_retry``): a poll
that gets no answer is retried every 10 s until the box answers, then the 30 s rhythm goes on.
So silences are measured to 10 s, the way the documents and NetmonDeviceDown see them. The
report is generated at ORIGIN + 6 h, while fw-b is down.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from agent.recorder import HealthCodec, Recorder
from agent.store import repository as repo
from agent.store.engine import Store
from agent.writer import WriteBehind
from collectors.base import HealthSnapshot
from tests.support.postgres import fresh_schema

ORIGIN = dt.datetime(2026, 12, 15, 0, 0, tzinfo=dt.UTC)
POLL = dt.timedelta(seconds=30)
RETRY = dt.timedelta(seconds=10)  # the daemon's default health_retry
FIRST_POLL = ORIGIN + dt.timedelta(seconds=5)
GENERATED_AT = ORIGIN + dt.timedelta(hours=6)


def at(hours: int, minutes: int, seconds: int = 0) -> dt.datetime:
    return ORIGIN + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


@dataclass(frozen=True)
class Box:
    name: str
    vendor: str = "topsec"
    model: str = "NGFW4000"
    kind: str = "firewall"
    site: str = "headquarters"
    services: tuple[str, ...] = ("hardware", "tuning")
    address: str | None = "127.0.0.1"
    uplinks: tuple[str, ...] = ()


DEVICES = (Box("fw-a"), Box("fw-b", site="branch"))

Span = tuple[dt.datetime, dt.datetime]

# When each box does not answer, [start, end) (GENERATED_AT: still silent then).
FW_A_SHORT = (at(1, 0), at(1, 0, 20))  # 01:00:05 and its retry fail, 01:00:25 answers: 20 s
FW_A_90S = (at(2, 0), at(2, 1, 30))  # 02:00:05 .. 02:01:25 fail, 02:01:35 answers: 90 s
FW_A_2H = (at(3, 0), at(5, 0))  # 03:00:05 .. 04:59:55 fail, 05:00:05 answers: 2 h
FW_B_IN_WINDOW = (at(1, 5), at(1, 15))  # 01:05:05 .. 01:14:55 fail, 01:15:05 answers
FW_B_OPEN = (at(5, 30), GENERATED_AT)  # from 05:30:05 on: still down at GENERATED_AT
FW_B_LOST = (at(2, 0), at(2, 5))  # fw-b never polled: netmon overloaded

WINDOW = (at(1, 0), at(1, 30))  # fw-b's maintenance window
GAP = FW_B_LOST  # fw-b's polls lost to overload

SILENCES: dict[str, list[Span]] = {
    "fw-a": [FW_A_SHORT, FW_A_90S, FW_A_2H],
    "fw-b": [FW_B_IN_WINDOW, FW_B_OPEN],
}


def _silent(device: str, moment: dt.datetime) -> bool:
    return any(start <= moment < end for start, end in SILENCES[device])


def _next_regular(moment: dt.datetime) -> dt.datetime:
    """The first poll of the 30 s rhythm after ``moment``."""
    return FIRST_POLL + ((moment - FIRST_POLL) // POLL + 1) * POLL


@functools.cache
def polls(device: str) -> tuple[tuple[dt.datetime, bool], ...]:
    """Every poll netmon makes of ``device`` before GENERATED_AT: (when, answered)."""
    made: list[tuple[dt.datetime, bool]] = []
    moment = FIRST_POLL
    while moment < GENERATED_AT:
        if device == "fw-b" and FW_B_LOST[0] <= moment < FW_B_LOST[1]:
            moment += POLL
            continue
        if not _silent(device, moment):
            made.append((moment, True))
            moment += POLL
            continue
        while moment < GENERATED_AT and _silent(device, moment):
            made.append((moment, False))
            moment += RETRY
        if moment < GENERATED_AT:
            made.append((moment, True))
        moment = _next_regular(moment)
    return tuple(made)


def first_answer(device: str, silence: Span) -> dt.datetime | None:
    """When ``device`` answered again after ``silence`` (None: not before GENERATED_AT)."""
    return next((when for when, ok in polls(device) if ok and when >= silence[1]), None)


def build_history(store: Store, spool: Path) -> None:
    from agent.availability import add_window, record_gap

    with store.session() as session:
        repo.sync_devices(session, DEVICES, now=ORIGIN)
        add_window(session, ["fw-b"], *WINDOW, "更换电源模块", "二线组", now=ORIGIN)
    recorder = Recorder(store)
    queue: WriteBehind[object] = WriteBehind(store, HealthCodec(), spool, interval=0.05)
    queue.start()
    made = sorted((when, box.name, ok) for box in DEVICES for when, ok in polls(box.name))
    for moment, name, reachable in made:
        snapshot = (
            HealthSnapshot(name, moment, reachable=True, cpu_ratio=0.2, memory_ratio=0.4)
            if reachable
            else HealthSnapshot(name, moment, reachable=False, unreadable={"snmp": "timeout"})
        )
        queue.submit(recorder.prepare(snapshot, moment))
    assert queue.stop(timeout=120), "the writer did not finish"
    with store.session() as session:
        record_gap(session, "fw-b", *GAP, "overload")


@contextlib.contextmanager
def backend_url(backend: str, directory: Path) -> Iterator[str]:
    """An empty database on ``backend`` (a SQLite file, or a fresh PostgreSQL schema dropped
    afterwards), for fixtures wider than one test (tests/conftest.py's ``db_url`` is per test)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'netmon.db'}"
        return
    with fresh_schema() as url:
        yield url


@contextlib.contextmanager
def history_store(
    backend: str, directory: Path, build: Callable[[Store, Path], None]
) -> Iterator[Store]:
    """A store on ``backend`` holding the history ``build`` writes (its spool in
    ``directory``), closed and dropped afterwards."""
    from agent.store import open_store
    from agent.store.schema import upgrade

    with backend_url(backend, directory) as url:
        upgrade(url)
        store = open_store(url)
        try:
            build(store, directory / "spool")
            yield store
        finally:
            store.close()


# --- the same history as Prometheus would scrape it -----------------------------------------

SCRAPE = dt.timedelta(seconds=15)
SCRAPES = int((GENERATED_AT - ORIGIN) / SCRAPE)  # the last scrape is at GENERATED_AT


def _run_length(values: list[int]) -> str:
    """promtool's expanding notation: ``vxN`` is N+1 samples of v."""
    parts: list[str] = []
    start = 0
    for index in range(1, len(values) + 1):
        if index == len(values) or values[index] != values[start]:
            count = index - start
            parts.append(f"{values[start]}" if count == 1 else f"{values[start]}x{count - 1}")
            start = index
    return " ".join(parts)


def up_at(device: str, moment: dt.datetime) -> int:
    """netmon_device_up as the daemon exports it: the newest poll made by ``moment`` (a poll
    netmon never made leaves the gauge as it was)."""
    value = 1
    for when, answered in polls(device):
        if when > moment:
            break
        value = 1 if answered else 0
    return value


def promtool_series() -> dict[str, str]:
    """Every series at a 15 s scrape from ORIGIN (promtool's time 0) to GENERATED_AT."""
    moments = [ORIGIN + n * SCRAPE for n in range(SCRAPES + 1)]
    series: dict[str, str] = {}
    for box in DEVICES:
        info = (
            f'netmon_device_info{{device="{box.name}",vendor="{box.vendor}",model="{box.model}",'
            f'kind="{box.kind}",site="{box.site}",software_version="V1.0",address="127.0.0.1"}}'
        )
        series[info] = f"1x{SCRAPES}"
        in_window = [
            1 if box.name == "fw-b" and WINDOW[0] <= moment < WINDOW[1] else 0 for moment in moments
        ]
        series[f'netmon_device_maintenance{{device="{box.name}"}}'] = _run_length(in_window)
        up = [up_at(box.name, moment) for moment in moments]
        series[f'netmon_device_up{{device="{box.name}"}}'] = _run_length(up)
    return series
