"""Store fixtures: every test that takes ``db_url`` or ``store`` runs on each backend.

- ``sqlite``: a fresh file under the test's tmp_path, always.
- ``postgres``: a fresh schema (dropped afterwards) in the database named by
  ``NETMON_TEST_PG_URL``; get one with ``eval "$(bash .ci/postgres.sh)"``. Without it these
  cases skip, or fail under ``NETMON_TEST_STRICT=1``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from store_support import FLEET, T0

from agent.store import Store, open_store
from agent.store.schema import upgrade


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
