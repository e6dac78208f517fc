"""Failures: a failed write loses nothing stored before it; a dead, missing or read-only
database is a StoreError naming the database with its password masked, and `netmon db`
prints it without a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from store_support import FLEET, T0, FakeInventoryDevice, postgres_base_url

from agent.store import Store, StoreError, open_store
from agent.store.models import ConfigVersion, Device
from agent.store.repository import add_config_version, add_event, latest_config, sync_devices
from agent.store.schema import current_revision, head_revision, upgrade

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-Pa55"


def netmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback TCP port that is bound but not listening: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_failed_write_rolls_back_and_keeps_earlier_data(fleet_store: Store) -> None:
    with fleet_store.session() as session:
        add_config_version(session, "fw-hq-1", "v1\n", collected_at=T0)

    with (
        pytest.raises(StoreError, match="refused the write, nothing was saved"),
        fleet_store.session() as session,
    ):
        add_config_version(session, "fw-hq-1", "v2\n", collected_at=T0)
        add_event(session, "config-change", "info", "v2", device="fw-hq-1", occurred_at=T0)
        session.add(  # same name as an existing device: violates the unique constraint
            Device(
                name="fw-hq-1",
                vendor="x",
                model="x",
                kind="x",
                site="x",
                services=[],
                first_seen=T0,
                last_seen=T0,
            )
        )

    with fleet_store.session() as session:
        latest = latest_config(session, "fw-hq-1")
        assert latest is not None and latest.text == "v1\n"
        assert session.query(ConfigVersion).count() == 1
        assert session.query(Device).count() == len(FLEET)
        # The store is usable after the failure.
        assert add_config_version(session, "fw-hq-1", "v2\n", collected_at=T0).created


def test_failing_code_inside_a_session_rolls_back_too(fleet_store: Store) -> None:
    with pytest.raises(RuntimeError), fleet_store.session() as session:
        sync_devices(session, [*FLEET, FakeInventoryDevice("new-1")], now=T0)
        raise RuntimeError("collector crashed halfway")
    with fleet_store.session() as session:
        assert session.query(Device).count() == len(FLEET)


def test_read_only_database_refuses_writes_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "netmon.db"
    upgrade(f"sqlite:///{path}")
    with open_store(f"sqlite:///{path}") as writable, writable.session() as session:
        sync_devices(session, FLEET, now=T0)
    # SQLite's own read-only mode: the same refusal a read-only disk gives, even as root.
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with (
        open_store(read_only) as store,
        pytest.raises(StoreError, match="is read-only, nothing was saved"),
        store.session() as session,
    ):
        sync_devices(session, [*FLEET, FakeInventoryDevice("new-1")], now=T0)
    with open_store(read_only) as store, store.session() as session:
        assert session.query(Device).count() == len(FLEET)


def test_full_disk_refuses_the_write_and_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    with open_store(url) as store:
        with store.session() as session:
            sync_devices(session, FLEET, now=T0)
        # SQLite's page cap gives the same SQLITE_FULL error as a full disk. It holds for
        # this pooled connection only, which the store reuses for its next session.
        with store.engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
            connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
        with (
            pytest.raises(StoreError, match="the disk is full, nothing was saved"),
            store.session() as session,
        ):
            add_config_version(session, "fw-hq-1", "x" * 1_000_000, collected_at=T0)
        with store.session() as session:
            assert session.query(Device).count() == len(FLEET)
            assert session.query(ConfigVersion).count() == 0


def test_sqlite_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'netmon.db'}"
    with pytest.raises(StoreError, match="no-such-dir does not exist"):
        open_store(url)
    assert not (tmp_path / "no-such-dir").exists()


def test_dead_postgres_names_the_database_without_its_password(closed_port: int) -> None:
    url = f"postgresql+psycopg://netmon:{SECRET}@127.0.0.1:{closed_port}/netmon"
    with pytest.raises(StoreError) as caught:
        current_revision(url)
    message = str(caught.value)
    assert message.startswith(
        f"cannot connect to database postgresql+psycopg://netmon:***@127.0.0.1:{closed_port}/"
    )
    assert SECRET not in message


@pytest.mark.postgres
def test_wrong_postgres_password_is_masked() -> None:
    url = make_url(postgres_base_url()).set(password=SECRET)
    with pytest.raises(StoreError) as caught:
        upgrade(url.render_as_string(hide_password=False))
    message = str(caught.value)
    assert "password authentication failed" in message
    assert ":***@127.0.0.1" in message
    assert SECRET not in message


def test_cli_dead_postgres_exits_2_without_traceback(closed_port: int) -> None:
    url = f"postgresql+psycopg://netmon:{SECRET}@127.0.0.1:{closed_port}/netmon"
    result = netmon("db", "upgrade", "--url", url)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert result.stderr.startswith("netmon db: cannot connect to database ")
    assert f"netmon:***@127.0.0.1:{closed_port}/netmon" in result.stderr


@pytest.mark.parametrize("case", ["missing directory", "read-only"])
def test_cli_unusable_sqlite_exits_2_without_traceback(tmp_path: Path, case: str) -> None:
    if case == "missing directory":
        url, expected = f"sqlite:///{tmp_path / 'gone' / 'netmon.db'}", "does not exist"
    else:
        (tmp_path / "netmon.db").touch()
        url, expected = f"sqlite:///file:{tmp_path / 'netmon.db'}?mode=ro&uri=true", "read-only"
    result = netmon("db", "upgrade", "--url", url)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert str(tmp_path) in result.stderr


def test_cli_upgrade_current_check(db_url: str) -> None:
    masked = make_url(db_url).render_as_string(hide_password=True)
    check = netmon("db", "check", "--url", db_url)
    assert check.returncode == 1
    assert "run `netmon db upgrade`" in check.stdout
    created = netmon("db", "upgrade", "--url", db_url)
    assert created.returncode == 0, created.stderr
    assert f"database: {masked}" in created.stdout
    head = head_revision()
    assert f"schema created at revision {head}" in created.stdout
    again = netmon("db", "upgrade", "--url", db_url)
    assert f"already at revision {head}" in again.stdout
    current = netmon("db", "current", "--url", db_url)
    assert current.stdout.splitlines()[-1] == f"revision: {head}"
    check = netmon("db", "check", "--url", db_url)
    assert check.returncode == 0
    assert check.stdout.splitlines()[-1] == f"revision: {head} (up to date)"
    password = make_url(db_url).password
    if password:
        for result in (created, again, current, check):
            assert str(password) not in result.stdout + result.stderr


def test_commands_use_the_daemons_database_from_netmon_toml(tmp_path: Path) -> None:
    """`netmon db`, `netmon report`, `netmon config` ... read store_url from netmon.toml as the
    daemon does, so an operator on PostgreSQL never reads an empty SQLite file by mistake."""
    database = tmp_path / "configured.db"
    settings = tmp_path / "netmon.toml"
    settings.write_text(f'store_url = "sqlite:///{database}"\n')
    env = {k: v for k, v in os.environ.items() if k != "NETMON_DB_URL"}
    env.update(NETMON_SETTINGS=str(settings), NETMON_STATE_DIR=str(tmp_path / "state"))
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "db", "upgrade"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert f"database: sqlite:///{database}" in result.stdout
    assert database.is_file() and not (tmp_path / "state" / "netmon.db").exists()
