"""Store fixtures: every test that takes ``db_url`` or ``store`` runs on each backend.

- ``sqlite``: a fresh file under the test's tmp_path, always.
- ``postgres``: a fresh schema (dropped afterwards) in the database named by
  ``NETMON_TEST_PG_URL``; get one with ``eval "$(bash .ci/postgres.sh)"``. Without it these
  cases skip, or fail under ``NETMON_TEST_STRICT=1``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url
from store_support import FLEET, T0, postgres_base_url

from agent.store import Store, open_store
from agent.store.schema import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, no schema yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'netmon.db'}"
        return
    base = make_url(postgres_base_url())
    schema = f"netmon_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        # Every connection of the test lands in its own schema, so tests never see each other.
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open store with the schema at the newest revision."""
    upgrade(db_url)
    opened = open_store(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def fleet_store(store: Store) -> Store:
    """A store whose devices table holds FLEET (synced at T0)."""
    from agent.store.repository import sync_devices

    with store.session() as session:
        sync_devices(session, FLEET, now=T0)
    return store
