"""Writers that wait instead of failing, and driver errors that become StoreErrors.

SQLite: a writing session begins IMMEDIATE, so a second writer waits (up to the busy timeout)
for the first one's lock instead of failing at once with "database is locked" when its deferred
transaction tries to upgrade; a read-only session never waits for a writer. Both backends: a
value the driver cannot bind (a Counter64 of 2**64-1) is a StoreError naming its cause, and
what was stored before stays.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from store_support import T0

from agent.store import Store, StoreError, open_store
from agent.store.models import HealthSample
from agent.store.repository import (
    HealthReading,
    InterfaceState,
    add_health_sample,
    finish_run,
    start_run,
)
from agent.store.schema import upgrade

HOLD_SECONDS = 2.0


def write_sample(store: Store, device: str, octets: int | None = 1) -> None:
    with store.session() as session:
        run = start_run(session, device, "health", started_at=T0)
        reading = HealthReading(
            reachable=True, interfaces=[InterfaceState(1, "ge0/1", in_octets=octets)]
        )
        add_health_sample(session, run, reading, sampled_at=T0)
        finish_run(session, run, "ok")


def samples(store: Store) -> int:
    with store.session(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(HealthSample)) or 0


def hold_write_lock(database: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that takes SQLite's write lock, says so, and keeps it for a while."""
    code = textwrap.dedent(
        f"""
        import sqlite3, sys, time
        connection = sqlite3.connect({str(database)!r}, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE devices SET site = site")
        print("locked", flush=True)
        time.sleep({seconds})
        connection.execute("COMMIT")
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    from store_support import FLEET

    from agent.store.repository import sync_devices

    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    with store.session() as session:
        sync_devices(session, FLEET, now=T0)
    return store


def test_a_writer_waits_for_another_processes_write_lock(
    sqlite_store: Store, tmp_path: Path
) -> None:
    holder = hold_write_lock(tmp_path / "netmon.db", HOLD_SECONDS)
    began = time.monotonic()
    try:
        # Reads a device first, then writes: the pattern that failed at once when deferred.
        write_sample(sqlite_store, "fw-hq-1")
    finally:
        holder.wait(timeout=30)
        sqlite_store.close()
    waited = time.monotonic() - began
    assert waited >= HOLD_SECONDS / 2, f"the write did not wait for the lock ({waited:.2f} s)"
    assert holder.returncode == 0
    reopened = open_store(f"sqlite:///{tmp_path / 'netmon.db'}")
    try:
        assert samples(reopened) == 1
    finally:
        reopened.close()


def test_a_read_only_session_does_not_wait_for_a_writer(
    sqlite_store: Store, tmp_path: Path
) -> None:
    write_sample(sqlite_store, "fw-hq-1")
    holder = hold_write_lock(tmp_path / "netmon.db", HOLD_SECONDS)
    try:
        began = time.monotonic()
        assert samples(sqlite_store) == 1
        # Well under the lock's hold time: WAL readers never queue behind the writer.
        assert time.monotonic() - began < HOLD_SECONDS / 2
    finally:
        holder.wait(timeout=30)
        sqlite_store.close()


def test_a_lock_held_beyond_the_busy_timeout_is_a_store_error(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agent.store.engine as engine_module

    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = open_store(f"sqlite:///{tmp_path / 'netmon.db'}")
    holder = hold_write_lock(tmp_path / "netmon.db", HOLD_SECONDS)
    try:
        with pytest.raises(StoreError, match="database is locked"):
            write_sample(store, "fw-hq-1")
    finally:
        holder.wait(timeout=30)
        store.close()
        sqlite_store.close()


def test_an_unbindable_counter_is_a_store_error_and_earlier_writes_stay(
    fleet_store: Store,
) -> None:
    write_sample(fleet_store, "fw-hq-1")
    with pytest.raises(StoreError) as raised:
        write_sample(fleet_store, "fw-hq-1", octets=2**64 - 1)
    message = str(raised.value)
    # SQLite: OverflowError from the driver; PostgreSQL: numeric value out of range.
    assert "Overflow" in message or "out of range" in message, message
    assert samples(fleet_store) == 1
    write_sample(fleet_store, "fw-hq-1")  # the store still takes writes
    assert samples(fleet_store) == 2
