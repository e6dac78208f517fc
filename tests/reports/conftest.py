"""Report fixtures: a SQLite store with the known month, and one with the demo fleet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_history import PERIOD, build_known_month

from agent.reports.data import ReportData
from agent.reports.settings import ReportSettings
from agent.store import Store, open_store
from agent.store.schema import upgrade

ROOT = Path(__file__).resolve().parents[2]
GENERATED_AT = PERIOD.end + dt.timedelta(hours=2)


def _new_store(directory: Path) -> Store:
    url = f"sqlite:///{directory / 'netmon.db'}"
    upgrade(url)
    return open_store(url)


@pytest.fixture(scope="module")
def known_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = _new_store(tmp_path_factory.mktemp("known"))
    build_known_month(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def known_data(known_store: Store) -> ReportData:
    from agent.reports.build import read_data

    return read_data(known_store, PERIOD, GENERATED_AT)


@pytest.fixture
def settings() -> ReportSettings:
    return ReportSettings(agency="测试机关", contractor="测试承包商")


@pytest.fixture(scope="session")
def fleet_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Every device of the shipped inventory, a month of daily polls (kept coarse for speed)."""
    from agent.inventory import load_inventory
    from agent.reports.demo_history import build_demo_history

    store = _new_store(tmp_path_factory.mktemp("fleet"))
    inventory = load_inventory(ROOT / "inventory.toml")
    build_demo_history(store, inventory.devices, PERIOD, interval=dt.timedelta(hours=12))
    yield store
    store.close()
