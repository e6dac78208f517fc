"""Fixtures of the signature tests: a fresh store holding the shipped inventory's devices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from agent.inventory import Inventory
    from agent.store import Store


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    from agent.store.schema import upgrade

    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    return url


@pytest.fixture
def store(store_url: str, inventory: Inventory) -> Iterator[Store]:
    from agent.store import open_store
    from agent.store.repository import sync_devices

    opened = open_store(store_url)
    with opened.session() as session:
        sync_devices(session, inventory.devices)
    try:
        yield opened
    finally:
        opened.close()
