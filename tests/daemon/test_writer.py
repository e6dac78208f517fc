"""The write-behind queue (agent.writer) against a real SQLite store: batches in one
transaction, outages spooled on disk (0600, one file per batch) and replayed oldest first,
"store unavailable" / "store back, N replayed" logged once each, a removed database file
noticed, bounds that drop only beyond them (counted), a bad item that loses only itself,
and a spool that survives a restart."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import func, select

from agent.recorder import HealthCodec, HealthWrite, health_reading, run_status
from agent.store import Store, open_store
from agent.store.models import HealthSample
from agent.store.repository import sync_devices
from agent.store.schema import upgrade
from agent.writer import StoreWriterCollector, WriteBehind
from collectors.base import HealthSnapshot, Interface

T0 = dt.datetime(2026, 3, 6, 8, 0, tzinfo=dt.UTC)
DEVICES = ("sw-1", "sw-2", "fw-1")


class FakeDevice:
    """Shaped like agent.inventory.Device as far as sync_devices reads it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.vendor = "h3c"
        self.model = "S5500"
        self.kind = "switch"
        self.site = "lab"
        self.services = ("HW",)
        self.address = "127.0.0.1"


def item(device: str, index: int, octets: int = 1) -> HealthWrite:
    snapshot = HealthSnapshot(
        device,
        T0 + dt.timedelta(seconds=index),
        True,
        cpu_ratio=0.25,
        interfaces=[Interface(index=1, name="ge0/1", oper_up=True, in_octets=octets)],
    )
    status, error = run_status(snapshot)
    return HealthWrite(
        device,
        snapshot.collected_at,
        snapshot.collected_at,
        status,
        error,
        health_reading(snapshot),
    )


def count(store: Store) -> int:
    with store.session(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(HealthSample)) or 0


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "db" / "netmon.db"
    path.parent.mkdir()
    upgrade(f"sqlite:///{path}")
    with open_store(f"sqlite:///{path}") as store, store.session() as session:
        sync_devices(session, [FakeDevice(name) for name in DEVICES], now=T0)
    return path


@pytest.fixture
def store(database: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{database}")
    yield opened
    opened.close()


def queue_for(store: Store, tmp_path: Path, database: Path, **options: int) -> WriteBehind:
    return WriteBehind(
        store, HealthCodec(), tmp_path / "state" / "spool", sqlite_file=database, **options
    )


def metrics(queue: WriteBehind) -> dict[str, float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreWriterCollector(queue))
    values: dict[str, float] = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


def test_a_batch_is_one_transaction_and_the_poll_side_never_waits(
    store: Store, tmp_path: Path, database: Path
) -> None:
    queue = queue_for(store, tmp_path, database)
    for index in range(300):
        queue.submit(item(DEVICES[index % 3], index))
    assert queue.pending == 300
    queue.flush()
    assert count(store) == 300 and queue.pending == 0
    figures = metrics(queue)
    # 300 items, one transaction.
    assert figures["netmon_store_write_duration_seconds_count"] == 1
    assert figures["netmon_store_available"] == 1
    assert figures["netmon_store_write_failures_total"] == 0


def hold_lock(database: Path, seconds: float) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import sqlite3, time
        c = sqlite3.connect({str(database)!r}, isolation_level=None)
        c.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        time.sleep({seconds})
        c.execute("COMMIT")
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_an_outage_is_spooled_and_replayed_oldest_first_logged_once_each(
    database: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agent.store.engine as engine_module

    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
    store = open_store(f"sqlite:///{database}")
    queue = queue_for(store, tmp_path, database)
    caplog.set_level(logging.INFO, logger="netmon.writer")
    holder = hold_lock(database, 3.0)
    try:
        for round_ in range(3):
            for index in range(10):
                queue.submit(item(DEVICES[index % 3], round_ * 10 + index))
            queue.flush()
        spool = tmp_path / "state" / "spool"
        files = sorted(spool.glob("*.json"))
        assert len(files) == 3
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
        assert stat.S_IMODE(spool.stat().st_mode) == 0o700
        figures = metrics(queue)
        assert figures["netmon_store_available"] == 0
        assert figures["netmon_store_writes_pending"] == 30
        assert figures["netmon_store_spool_bytes"] == sum(f.stat().st_size for f in files)
        assert figures["netmon_store_write_failures_total"] == 3
    finally:
        holder.wait(timeout=30)
    queue.submit(item("sw-1", 99))
    queue.flush()
    assert count(store) == 31 and queue.pending == 0
    assert not list((tmp_path / "state" / "spool").glob("*.json"))
    assert len(messages(caplog, "store unavailable")) == 1
    assert messages(caplog, "store back") == ["store back, 30 replayed"]
    assert "database is locked" in caplog.text
    figures = metrics(queue)
    assert figures["netmon_store_replayed_total"] == 30
    assert figures["netmon_store_available"] == 1
    with store.session(read_only=True) as session:
        times = session.scalars(select(HealthSample.sampled_at).order_by(HealthSample.id)).all()
    # Oldest first: the spooled rounds in the order they were collected, then the new one.
    assert [t.replace(tzinfo=dt.UTC) for t in times] == sorted(
        t.replace(tzinfo=dt.UTC) for t in times
    )
    store.close()


def test_a_removed_database_file_is_noticed_and_nothing_is_written_into_it(
    store: Store, database: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = queue_for(store, tmp_path, database)
    queue.submit(item("sw-1", 0))
    queue.flush()
    assert count(store) == 1
    aside = tmp_path / "aside.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{database}{suffix}").exists():
            os.rename(f"{database}{suffix}", f"{aside}{suffix}")
    for index in range(1, 6):
        queue.submit(item("sw-2", index))
        queue.flush()
    assert not database.exists(), "the writer must not create a new file at the path"
    assert metrics(queue)["netmon_store_available"] == 0
    assert queue.pending == 5
    assert len(messages(caplog, "was removed while netmon was using it")) == 1
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{aside}{suffix}").exists():
            os.rename(f"{aside}{suffix}", f"{database}{suffix}")
    queue.flush()
    assert queue.pending == 0
    assert count(store) == 6
    assert messages(caplog, "store back") == ["store back, 5 replayed"]


def test_one_bad_value_loses_only_its_own_sample(
    store: Store, database: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = queue_for(store, tmp_path, database)
    queue.submit(item("sw-1", 0))
    # Beyond Counter64 (the collector never passes one on; the store's column type refuses it).
    queue.submit(item("sw-2", 1, octets=2**64))
    queue.submit(item("fw-1", 2))
    queue.flush()
    assert count(store) == 2 and queue.pending == 0
    figures = metrics(queue)
    assert figures["netmon_store_writes_rejected_total"] == 1
    assert figures["netmon_store_available"] == 1
    assert "health sample of sw-2" in caplog.text and "Counter64 range" in caplog.text
    assert not any(r.exc_info for r in caplog.records)


def test_bounds_drop_the_oldest_counted_and_logged(
    store: Store, database: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = queue_for(store, tmp_path, database, max_memory_items=5, max_batch=100)
    for index in range(8):
        queue.submit(item("sw-1", index))
    assert queue.pending == 5
    assert metrics(queue)["netmon_store_writes_dropped_total"] == 3
    assert len(messages(caplog, "write queue full")) == 3
    queue.flush()
    with store.session(read_only=True) as session:
        kept = session.scalars(select(HealthSample.sampled_at)).all()
    assert sorted(t.replace(tzinfo=dt.UTC) for t in kept) == [
        T0 + dt.timedelta(seconds=s) for s in range(3, 8)
    ]


def test_the_spool_survives_a_restart(database: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{database}"
    first = open_store(url)
    queue = queue_for(first, tmp_path, database)
    queue.start()
    # The store goes away for the first queue (its file removed), and it stops.
    os.rename(database, tmp_path / "gone.db")
    for index in range(4):
        queue.submit(item("sw-1", index))
    assert queue.stop(timeout=10)
    first.close()
    assert len(list((tmp_path / "state" / "spool").glob("*.json"))) >= 1
    os.rename(tmp_path / "gone.db", database)
    second = open_store(url)
    try:
        restarted = queue_for(second, tmp_path, database)
        assert restarted.pending == 4
        restarted.flush()
        assert count(second) == 4 and restarted.pending == 0
    finally:
        second.close()


def test_a_spool_file_is_valid_json_that_names_no_secret(
    database: Path, tmp_path: Path, store: Store
) -> None:
    queue = queue_for(store, tmp_path, database)
    os.rename(database, tmp_path / "gone.db")
    queue.submit(item("sw-1", 0))
    queue.flush()
    (spooled,) = (tmp_path / "state" / "spool").glob("*.json")
    data = json.loads(spooled.read_text())
    assert data["version"] == 1 and data["items"][0]["device"] == "sw-1"
    assert HealthCodec().decode(data["items"][0]) == item("sw-1", 0)


# -- the daemon's write path -------------------------------------------------------------------
class _StaticCollector:
    def __init__(self, octets: int = 1) -> None:
        self.octets = octets
        self.calls = 0

    async def collect(self, device: object) -> HealthSnapshot:
        self.calls += 1
        name = getattr(device, "name")  # noqa: B009 - any object with a name
        return HealthSnapshot(
            name,
            dt.datetime.now(dt.UTC),
            True,
            interfaces=[Interface(index=1, name="ge0/1", oper_up=True, in_octets=self.octets)],
        )


def test_the_daemon_queues_health_writes_and_drains_them_at_stop(
    store: Store, database: Path, tmp_path: Path
) -> None:
    import asyncio

    from agent.daemon import Daemon, HealthKind, Schedule
    from agent.recorder import Recorder
    from agent.state import FleetState

    queue = queue_for(store, tmp_path, database)
    # An hour between drains: only the stop can write them, so the runs cannot have waited.
    queue.interval = 3600
    collector = _StaticCollector()
    devices = [FakeDevice(name) for name in DEVICES]

    async def main() -> None:
        daemon = Daemon(
            [HealthKind(collector, Recorder(store))],  # type: ignore[arg-type]
            devices,  # type: ignore[arg-type]
            FleetState(),
            Schedule(intervals={"health": 3600}, first_run_spread=3600),
            write_queue=queue,
        )
        await daemon.start()
        for _ in range(4):
            await asyncio.gather(*(daemon.run_job("health", name) for name in DEVICES))
        assert count(store) == 0 and queue.pending == 12
        await daemon.drain(timeout=30)

    asyncio.run(main())
    assert count(store) == 12 and queue.pending == 0


def test_any_exception_of_a_store_write_is_one_log_line_and_polling_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import asyncio

    from agent.daemon import Daemon, HealthKind, Schedule
    from agent.state import FleetState

    class Exploding(HealthKind):
        def record(self, result: HealthSnapshot, started_at: dt.datetime) -> None:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")

    collector = _StaticCollector()
    devices = [FakeDevice("sw-1")]

    async def main() -> None:
        daemon = Daemon(
            [Exploding(collector, None)],  # type: ignore[arg-type]
            devices,  # type: ignore[arg-type]
            FleetState(),
            Schedule(intervals={"health": 3600}, first_run_spread=3600),
        )
        for _ in range(3):
            await daemon.run_job("health", "sw-1")
        await daemon.drain(timeout=10)

    caplog.set_level(logging.INFO, logger="netmon.daemon")
    asyncio.run(main())
    assert collector.calls == 3
    failures = [r for r in caplog.records if r.getMessage() == "store write failed"]
    assert len(failures) == 3
    assert all("OverflowError" in str(getattr(r, "error", "")) for r in failures)
    assert not any(r.exc_info for r in caplog.records)


def test_a_result_the_store_could_not_take_is_written_once_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Configuration and signature results (written by the writer thread, not the queue)
    are kept during an outage, the newest per device, and written when the store is back."""
    import asyncio

    from sqlalchemy.exc import OperationalError

    from agent.daemon import Daemon, HealthKind, Schedule
    from agent.state import FleetState
    from agent.store import StoreError

    class Flaky(HealthKind):
        down = True
        written: list[str]

        def record(self, result: HealthSnapshot, started_at: dt.datetime) -> None:
            if self.down:
                cause = OperationalError("INSERT", {}, Exception("database is locked"))
                raise StoreError("database sqlite:///x: database is locked") from cause
            self.written.append(result.device)

    kind = Flaky(_StaticCollector(), None)  # type: ignore[arg-type]
    kind.written = []
    devices = [FakeDevice("sw-1"), FakeDevice("sw-2")]

    async def main() -> None:
        daemon = Daemon(
            [kind],
            devices,  # type: ignore[arg-type]
            FleetState(),
            Schedule(intervals={"health": 3600}, first_run_spread=3600),
        )
        await daemon.run_job("health", "sw-1")
        assert list(daemon._deferred) == [("health", "sw-1")] and kind.written == []
        kind.down = False
        await daemon.run_job("health", "sw-2")  # written: the store is back
        assert daemon._retrying is not None
        await daemon._retrying
        assert sorted(kind.written) == ["sw-1", "sw-2"] and not daemon._deferred
        await daemon.drain(timeout=10)

    caplog.set_level(logging.INFO, logger="netmon.daemon")
    asyncio.run(main())
    assert any(r.getMessage() == "kept result written" for r in caplog.records)


def test_an_unreadable_spool_file_is_set_aside_counted_and_never_retried(
    store: Store, database: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = tmp_path / "state" / "spool"
    spool.mkdir(parents=True)
    (spool / "00000000000000000001-000001-7.json").write_text('{"version": 1, "items": [')
    queue = queue_for(store, tmp_path, database)
    assert queue.pending == 7
    queue.submit(item("sw-1", 0))
    queue.flush()
    assert count(store) == 1 and queue.pending == 0
    assert (spool / "00000000000000000001-000001-7.broken").exists()
    assert metrics(queue)["netmon_store_writes_dropped_total"] == 7
    assert len(messages(caplog, "spool file unreadable")) == 1
