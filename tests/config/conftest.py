"""Fixtures of the configuration drift tests: a store on SQLite (and on PostgreSQL when
``NETMON_TEST_PG_URL`` is set, see ``.ci/postgres.sh``), a redaction key.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url

from agent.inventory import Inventory
from agent.store import Store, open_store
from agent.store.repository import sync_devices
from agent.store.schema import upgrade


def _missing(message: str) -> None:
    if os.environ.get("NETMON_TEST_STRICT") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'netmon.db'}"
        return
    url = os.environ.get("NETMON_TEST_PG_URL")
    if not url:
        _missing('NETMON_TEST_PG_URL is not set: run `eval "$(bash .ci/postgres.sh)"` as root')
    base = make_url(url)
    schema = f"netmon_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def fleet_store(db_url: str, inventory: Inventory) -> Iterator[Store]:
    """A store at the newest schema whose devices are the shipped inventory's."""
    upgrade(db_url)
    store = open_store(db_url)
    with store.session() as session:
        sync_devices(session, inventory.devices)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def key() -> bytes:
    return b"netmon-test-redaction-key-000001"
