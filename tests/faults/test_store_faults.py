"""The store's fault matrix against the real daemon process (`netmon run` polling the lab on
loopback): SQLite locked by another writer beyond the busy timeout, an operator's CLI writes
while the daemon writes, the daemon killed (-9) during an outage and started again, the disk
full (a small tmpfs), the database file deleted, PostgreSQL stopped and started (a throwaway
cluster of our own, never the shared one).

For each case: every device keeps its schedule (no gap in its stored samples), no result
collected during the fault is lost once the store is back (the daemon's own account, queued
= written, checked against the runs counted in the database: health samples, configurations
and signature readings go through one queue, one run each), a message names the cause, no
traceback reaches the log, and the process stays under RSS_BOUND_MB and THREADS_BOUND.
Intervals are short (health every 2 s) so that each case takes well under a minute.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from agent.lab.lab import Lab
from tests.support.daemon import (
    MODELS,
    daemon_environment,
    free_port,
    lab_inventory,
    netmon,
    samples_by_device,
    spawn_netmon_run,
    stored_moment,
    write_credentials,
)
from tests.support.daemon import RunningDaemon as Daemon

ROOT = Path(__file__).resolve().parents[2]
HEALTH_INTERVAL = 2.0
# A device's consecutive samples are at most this far apart (interval, jitter, a slow poll
# under a loaded machine): a longer gap means polls stopped or samples were lost.
MAX_GAP_S = 3 * HEALTH_INTERVAL + 4
# Measured on the 2-core test machine: ~90 MB RSS and ~12 threads for 5 devices. The bound
# leaves room for load, and still catches a queue or thread pool growing without limit.
RSS_BOUND_MB = 300
THREADS_BOUND = 40

pytestmark = [pytest.mark.lab, pytest.mark.timeout(240)]


@pytest.fixture
def start_daemon(lab: Lab, tmp_path: Path) -> Iterator[object]:
    started: list[Daemon] = []

    def start(store_url: str, signatures_interval: float = 600) -> Daemon:
        credentials = write_credentials(lab, tmp_path / "credentials")
        inventory = tmp_path / "inventory.toml"
        inventory.write_text(lab_inventory(lab))
        port = free_port()
        config = tmp_path / "netmon.toml"
        config.write_text(
            f'inventory = "{inventory}"\nstore_url = "{store_url}"\n'
            f'[metrics]\nlisten = "127.0.0.1:{port}"\n'
            f"[intervals]\nhealth = {HEALTH_INTERVAL:g}\nconfig = 3\n"
            f"signatures = {signatures_interval:g}\n"
            "[scheduler]\njitter = 0.2\njob_timeout = 20\n"
        )
        env = daemon_environment(tmp_path, credentials, store_url=store_url)
        netmon("db", "upgrade", env=env)
        log = tmp_path / "netmon-run.log"
        process = spawn_netmon_run(config, env, log)
        daemon = Daemon(process, log, f"http://127.0.0.1:{port}/metrics", env)
        started.append(daemon)
        daemon.wait_for(lambda: _answers(daemon), "/metrics answers")
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


def _answers(daemon: Daemon) -> bool:
    try:
        return daemon.metric("netmon_store_writes_queued_total") >= len(MODELS)
    except OSError:
        return False


def runs_by_kind(url: str, since: dt.datetime | None = None) -> dict[str, list[dt.datetime]]:
    """Start times of the stored runs (one per item the daemon queued) by kind."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT kind, started_at FROM collection_runs ORDER BY started_at")
            ).all()
    finally:
        engine.dispose()
    result: dict[str, list[dt.datetime]] = defaultdict(list)
    for kind, started_at in rows:
        moment = stored_moment(started_at)
        if since is None or moment >= since:
            result[kind].append(moment)
    return result


def check_survived(
    daemon: Daemon,
    url: str,
    cause: str,
    *,
    since: dt.datetime | None = None,
    compare_counts: bool = True,
) -> dict[str, object]:
    """The assertions every case shares (see the module docstring); returns the account."""
    rss_mb, threads = daemon.resources()
    account = daemon.stop()
    assert account["dropped"] == 0 and account["rejected"] == 0, account
    assert account["pending"] == 0, account
    stored = samples_by_device(url, since)
    assert sorted(stored) == sorted(name for name in _device_names(daemon)), (
        f"some devices have no samples: {sorted(stored)}"
    )
    for name, times in stored.items():
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert max(gaps, default=0) <= MAX_GAP_S, f"{name}: a gap of {max(gaps):.1f} s"
    if compare_counts:
        runs = runs_by_kind(url, since)
        total = sum(len(times) for times in runs.values())
        assert total == account["queued"] == account["written"], (total, account)
        # Every health run of the daemon stores a sample with it.
        assert len(runs["health"]) == sum(len(times) for times in stored.values())
    lines = daemon.log_lines()
    assert not [line for line in lines if "traceback" in line or line.get("unparsed")], [
        line for line in lines if "traceback" in line or line.get("unparsed")
    ][:3]
    outage = [str(line["msg"]) for line in lines if "store unavailable" in str(line.get("msg"))]
    assert len(outage) == 1 and cause in outage[0].lower(), outage
    back = [str(line["msg"]) for line in lines if str(line.get("msg")).startswith("store back")]
    assert len(back) == 1, back
    assert rss_mb < RSS_BOUND_MB and threads < THREADS_BOUND, (rss_mb, threads)
    account["rss_mb"] = round(rss_mb, 1)
    account["threads"] = threads
    print(f"\n{cause}: {account}; back: {back[0]}")
    return account


def _device_names(daemon: Daemon) -> list[str]:
    lines = Path(daemon.env["CREDENTIALS_DIRECTORY"]).parent.joinpath("inventory.toml")
    return [
        line.split('"')[1] for line in lines.read_text().splitlines() if line.startswith("name =")
    ]


def hold_sqlite_lock(database: Path, seconds: float) -> subprocess.Popen[str]:
    code = (
        "import sqlite3, time\n"
        f"c = sqlite3.connect({str(database)!r}, isolation_level=None, timeout=30)\n"
        'c.execute("BEGIN IMMEDIATE")\n'
        'print("locked", flush=True)\n'
        f"time.sleep({seconds})\n"
        'c.execute("COMMIT")\n'
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


# -- the cases ---------------------------------------------------------------------------------
def test_sqlite_locked_beyond_the_busy_timeout(start_daemon: object, tmp_path: Path) -> None:
    database = tmp_path / "netmon.db"
    url = f"sqlite:///{database}"
    # Signatures every 4 s (not the default hours) so that some are read during the outage.
    daemon = start_daemon(url, signatures_interval=4)  # type: ignore[operator]
    # 14 s: longer than the 10 s busy timeout, so the daemon's writer has to give up and spool.
    locked_at = dt.datetime.now(dt.UTC)
    holder = hold_sqlite_lock(database, 14)
    daemon.wait_for(lambda: daemon.metric("netmon_store_available") == 0, "the outage is seen")
    assert daemon.metric("netmon_store_writes_pending") > 0
    holder.wait(timeout=30)
    unlocked_at = dt.datetime.now(dt.UTC)
    daemon.wait_for(
        lambda: (
            daemon.metric("netmon_store_available") == 1
            and daemon.metric("netmon_store_replayed_total") > 0
        ),
        "the spool is replayed",
    )
    check_survived(daemon, url, "database is locked")
    # Configuration fetches and signature reads of the outage were kept and stored after it
    # (check_survived counted every run against the daemon's account).
    during = {
        kind: [t for t in times if locked_at <= t <= unlocked_at]
        for kind, times in runs_by_kind(url).items()
    }
    assert during.get("config") and during.get("signatures"), {
        kind: len(times) for kind, times in during.items()
    }


def test_cli_writes_and_the_daemon_coexist(start_daemon: object, tmp_path: Path) -> None:
    database = tmp_path / "netmon.db"
    url = f"sqlite:///{database}"
    daemon = start_daemon(url)  # type: ignore[operator]
    device = _device_names(daemon)[0]
    # This device's own configuration, not any device's: approving needs one stored.
    daemon.wait_for(
        lambda: any(
            line.get("msg") == "configuration recorded" and line.get("device") == device
            for line in daemon.log_lines()
        ),
        f"a configuration of {device} is stored",
    )
    env = {**daemon.env, "NETMON_DB_URL": url}
    inventory = str(tmp_path / "inventory.toml")
    polls = 3
    for round_ in range(polls):
        netmon("config", "approve", device, "--reason", f"round {round_}", env=env)
        # The device's loopback lab address is in this test's inventory: a real SNMP poll.
        netmon("poll", device, "--inventory", inventory, env=env)
    rss_mb, threads = daemon.resources()
    account = daemon.stop()
    assert account["dropped"] == 0 and account["rejected"] == 0 and account["pending"] == 0
    runs = runs_by_kind(url)
    total = sum(len(t) for t in runs.values())
    assert total == account["queued"] + polls and account["queued"] == account["written"]
    assert len(runs["health"]) == sum(len(t) for t in samples_by_device(url).values())
    # The store never failed the daemon (a device's own SSH hiccup under load is not asserted).
    failed = [
        line
        for line in daemon.log_lines()
        if str(line.get("msg")).startswith(("store write failed", "store unavailable"))
        or "traceback" in line
    ]
    assert not failed, failed[:3]
    assert rss_mb < RSS_BOUND_MB and threads < THREADS_BOUND


def spooled_items(state: Path) -> int:
    """Items kept in the spool directory: the count is the last part of each file's name."""
    return sum(int(path.stem.rsplit("-", 1)[1]) for path in (state / "spool").glob("*.json"))


def test_killed_during_an_outage_the_spool_is_replayed_by_the_next_daemon(
    start_daemon: object, tmp_path: Path
) -> None:
    """kill -9 while the store is locked: what the daemon had spooled (fsync'd) is written by
    the next daemon on the same state directory, counted item by item. Only what was still in
    memory, not yet spooled, goes with the killed process (at most one drain interval)."""
    database = tmp_path / "netmon.db"
    url = f"sqlite:///{database}"
    first = start_daemon(url)  # type: ignore[operator]
    holder = hold_sqlite_lock(database, 22)
    first.wait_for(lambda: first.metric("netmon_store_spool_bytes") > 0, "a batch is spooled")
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=30)
    # Readers are not blocked by the lock holder (WAL): what the killed daemon had written.
    written_before = sum(len(times) for times in runs_by_kind(url).values())
    kept = spooled_items(tmp_path / "state")
    assert kept > 0
    holder.wait(timeout=60)
    second = start_daemon(url)  # type: ignore[operator]
    second.wait_for(
        lambda: second.metric("netmon_store_replayed_total") >= kept,
        f"the {kept} spooled items are replayed",
    )
    account = second.stop()
    assert account["dropped"] == 0 and account["rejected"] == 0 and account["pending"] == 0
    assert spooled_items(tmp_path / "state") == 0
    total = sum(len(times) for times in runs_by_kind(url).values())
    # The second daemon wrote its own items and the first one's spool: nothing more, nothing
    # less (its ``replayed`` may also count its own items, spooled while the old ones waited).
    assert account["written"] == account["queued"] + kept, (kept, account)
    assert total == written_before + account["written"], (
        total,
        written_before,
        kept,
        account,
    )
    lines = second.log_lines()
    assert not [line for line in lines if "traceback" in line or line.get("unparsed")]
    print(f"\nkill -9 in an outage: {written_before} written, {kept} spooled and replayed")


def test_disk_full(start_daemon: object, tmp_path: Path) -> None:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the disk-full case: {mounted.stderr}")
    try:
        database = mount / "netmon.db"
        url = f"sqlite:///{database}"
        daemon = start_daemon(url)  # type: ignore[operator]
        filler = mount / "filler"
        with filler.open("wb", buffering=0) as handle, pytest.raises(OSError):
            while True:
                handle.write(b"\0" * 65536)
        daemon.wait_for(lambda: daemon.metric("netmon_store_available") == 0, "disk full seen")
        time.sleep(3 * HEALTH_INTERVAL)
        filler.unlink()
        daemon.wait_for(
            lambda: (
                daemon.metric("netmon_store_available") == 1
                and daemon.metric("netmon_store_writes_pending") == 0
            ),
            "the spool is replayed",
        )
        check_survived(daemon, url, "full")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_database_file_deleted(start_daemon: object, tmp_path: Path) -> None:
    database = tmp_path / "netmon.db"
    url = f"sqlite:///{database}"
    daemon = start_daemon(url)  # type: ignore[operator]
    deleted_at = dt.datetime.now(dt.UTC)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    daemon.wait_for(lambda: daemon.metric("netmon_store_available") == 0, "the deletion is seen")
    time.sleep(3 * HEALTH_INTERVAL)
    assert not database.exists(), "netmon must not create a database behind the operator's back"
    netmon("db", "upgrade", env=daemon.env)  # the operator makes a new one
    daemon.wait_for(
        lambda: (
            daemon.metric("netmon_store_available") == 1
            and daemon.metric("netmon_store_writes_pending") == 0
        ),
        "the spool is replayed into the new file",
    )
    # What was in the deleted file is gone with it; everything collected since is there.
    check_survived(daemon, url, "was removed", since=deleted_at, compare_counts=False)
    messages = [str(line.get("msg")) for line in daemon.log_lines()]
    assert any("database file replaced" in m for m in messages)


PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


@pytest.fixture
def throwaway_postgres(tmp_path: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """An initdb'd cluster in tmp_path on a free loopback port, run as the postgres user;
    yields (URL, start command, stop command). Never the cluster other tests share."""
    if not PG_BIN:
        pytest.fail("PostgreSQL server binaries are not installed (scripts/test installs them)")
    bin_dir = PG_BIN[-1]
    # Not under tmp_path: pytest's base directory is private to root, and the server runs as
    # postgres.
    home = Path(tempfile.mkdtemp(prefix="netmon-faults-pg-"))
    data = home / "pgdata"
    data.mkdir(mode=0o700)
    shutil.chown(home, "postgres")
    shutil.chown(data, "postgres")
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data}"
    start = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w"]
    start += ["-l", str(data / "server.log"), "start"]
    stop = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    subprocess.run(start, check=True, capture_output=True, timeout=120)
    try:
        subprocess.run(
            [*as_postgres, str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "nm"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/nm", start, stop
    finally:
        subprocess.run(stop, check=False, capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.postgres
def test_postgresql_stopped_and_started(
    start_daemon: object, throwaway_postgres: tuple[str, list[str], list[str]]
) -> None:
    url, start, stop = throwaway_postgres
    daemon = start_daemon(url)  # type: ignore[operator]
    subprocess.run(stop, check=True, capture_output=True, timeout=120)
    daemon.wait_for(lambda: daemon.metric("netmon_store_available") == 0, "the outage is seen")
    time.sleep(4 * HEALTH_INTERVAL)
    subprocess.run(start, check=True, capture_output=True, timeout=120)
    daemon.wait_for(
        lambda: (
            daemon.metric("netmon_store_available") == 1
            and daemon.metric("netmon_store_writes_pending") == 0
        ),
        "the spool is replayed",
    )
    check_survived(daemon, url, "connect")
