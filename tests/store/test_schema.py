"""The schema: migrations create exactly the models, upgrades are idempotent, a database
without the schema says to run `netmon db upgrade`, SQLite runs in WAL mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from store_support import FLEET, T0

from agent.errors import NetmonError
from agent.store import StoreError, default_state_dir, open_store, resolve_url
from agent.store.models import Base
from agent.store.repository import active_devices, sync_devices
from agent.store.schema import current_revision, ensure_current, head_revision, upgrade


def differences(store_url: str) -> list:
    store = open_store(store_url, require_schema=False)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        store.close()


def test_upgrade_creates_exactly_the_models(db_url: str) -> None:
    assert current_revision(db_url) is None
    before, after = upgrade(db_url)
    assert (before, after) == (None, head_revision())
    assert current_revision(db_url) == head_revision()
    assert differences(db_url) == []
    store = open_store(db_url)
    try:
        tables = set(inspect(store.engine).get_table_names())
    finally:
        store.close()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_twice_changes_nothing_and_keeps_data(db_url: str) -> None:
    upgrade(db_url)
    store = open_store(db_url)
    try:
        with store.session() as session:
            sync_devices(session, FLEET, now=T0)
        assert upgrade(db_url) == (head_revision(), head_revision())
        with store.session() as session:
            assert [d.name for d in active_devices(session)] == sorted(d.name for d in FLEET)
    finally:
        store.close()
    assert differences(db_url) == []


def test_open_store_before_upgrade_says_to_run_it(db_url: str) -> None:
    with pytest.raises(StoreError, match=r"no netmon schema yet: run `netmon db upgrade`"):
        open_store(db_url)


def test_query_before_upgrade_says_to_run_it(db_url: str) -> None:
    store = open_store(db_url, require_schema=False)
    try:
        with pytest.raises(StoreError, match=r"run `netmon db upgrade`"), store.session() as s:
            active_devices(s)
        with pytest.raises(StoreError, match="no netmon schema yet"):
            ensure_current(store)
    finally:
        store.close()


def test_sqlite_uses_wal_foreign_keys_and_a_private_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
            assert (tmp_path / "netmon.db-wal").exists()
    finally:
        store.close()
    assert stat.S_IMODE((tmp_path / "netmon.db").stat().st_mode) == 0o600


def test_default_database_is_sqlite_in_the_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state" / "netmon"
    monkeypatch.delenv("NETMON_DB_URL", raising=False)
    monkeypatch.setenv("NETMON_STATE_DIR", str(state))
    url = resolve_url()
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(state / "netmon.db")
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    upgrade()
    assert current_revision() == head_revision()


def test_url_precedence(tmp_path: Path) -> None:
    environ = {"NETMON_DB_URL": "postgresql://u:p@127.0.0.1/n", "NETMON_STATE_DIR": "/x"}
    explicit = f"sqlite:///{tmp_path / 'a.db'}"
    assert resolve_url(explicit, environ).database == str(tmp_path / "a.db")
    from_env = resolve_url(None, environ)
    assert from_env.drivername == "postgresql+psycopg"  # bare postgresql:// means psycopg 3
    assert from_env.render_as_string(hide_password=True).endswith("u:***@127.0.0.1/n")


def test_store_url_from_netmon_toml_comes_after_the_environment(tmp_path: Path) -> None:
    settings = tmp_path / "netmon.toml"
    settings.write_text(f'store_url = "sqlite:///{tmp_path / "configured.db"}"\n')
    environ = {"NETMON_SETTINGS": str(settings), "NETMON_STATE_DIR": str(tmp_path / "state")}
    assert resolve_url(None, environ).database == str(tmp_path / "configured.db")
    environ["NETMON_DB_URL"] = f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url(None, environ).database == str(tmp_path / "env.db")
    explicit = f"sqlite:///{tmp_path / 'explicit.db'}"
    assert resolve_url(explicit, environ).database == str(tmp_path / "explicit.db")


def test_a_broken_netmon_toml_is_named_not_skipped(tmp_path: Path) -> None:
    settings = tmp_path / "netmon.toml"
    settings.write_text('store_url = "sqlite:///x.db"\nstore_ulr = "typo"\n')
    with pytest.raises(NetmonError, match=r"netmon\.toml:2.*store_ulr"):
        resolve_url(None, {"NETMON_SETTINGS": str(settings)})


@pytest.mark.parametrize(
    ("environ", "euid", "expected"),
    [
        ({"NETMON_STATE_DIR": "/srv/nm", "STATE_DIRECTORY": "/var/lib/netmon"}, 0, "/srv/nm"),
        ({"STATE_DIRECTORY": "/var/lib/netmon:/var/lib/other"}, 1000, "/var/lib/netmon"),
        ({}, 0, "/var/lib/netmon"),
        ({"XDG_STATE_HOME": "/home/op/.state"}, 1000, "/home/op/.state/netmon"),
        ({}, 1000, "/home/op/.local/state/netmon"),
    ],
)
def test_state_directory_order(environ: dict[str, str], euid: int, expected: str) -> None:
    assert default_state_dir(environ, euid=euid, home=Path("/home/op")) == Path(expected)


def test_migrations_ship_no_ini_and_are_package_data() -> None:
    migrations = Path(__file__).resolve().parents[2] / "agent" / "store" / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "script.py.mako").is_file()
    assert not any(p.name == "alembic.ini" for p in migrations.parent.rglob("*"))
    assert os.path.isfile(migrations / "versions" / "0001_initial.py")
