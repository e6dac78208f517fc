"""Fixtures of the configuration drift tests: a store on SQLite (and on PostgreSQL when
``NETMON_TEST_PG_URL`` is set, see ``.ci/postgres.sh``), a redaction key.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.inventory import Inventory
from agent.store import Store, open_store
from agent.store.repository import sync_devices
from agent.store.schema import upgrade


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
