"""Fixtures shared by the whole suite.

``lab`` is the loopback device lab of the foundation issue, started once per test session on
its own 127.x addresses and free ports, serving every device of the shipped ``inventory.toml``.
``lab_devices`` are the inventory's devices re-pointed at their simulated twins, which is what
collectors are given in integration tests. ``db_url`` is an empty database on each backend:
SQLite always, PostgreSQL (a fresh schema in ``$NETMON_TEST_PG_URL``, see ``.ci/postgres.sh``)
when configured; without it those cases skip, or fail under ``NETMON_TEST_STRICT=1``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.postgres import fresh_schema

if TYPE_CHECKING:
    from agent.inventory import Device, Inventory
    from agent.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_INVENTORY = ROOT / "inventory.toml"


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    from agent.inventory import load_inventory

    return load_inventory(SHIPPED_INVENTORY)


@pytest.fixture(scope="session")
def lab(inventory: Inventory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The whole fleet simulated on loopback, with a control socket for fault switching."""
    from agent.lab.lab import Lab, LabThread

    # A random /16 inside 127/8 and random ports keep parallel runs and a developer's own
    # `netmon lab` (127.10.0.1, 16161/12222) out of each other's way.
    base = f"127.{random.randint(40, 250)}.0.1"
    snmp_port = random.randint(20000, 39999)
    lab = Lab(
        list(inventory.devices), base_address=base, snmp_port=snmp_port, ssh_port=snmp_port + 20000
    )
    with LabThread(lab, control_dir=tmp_path_factory.mktemp("lab-control")):
        yield lab


@pytest.fixture(scope="session")
def lab_devices(lab: Lab, inventory: Inventory) -> list[Device]:
    return lab.lab_inventory_devices(inventory)


@pytest.fixture
def clean_lab(lab: Lab) -> Iterator[Lab]:
    """The shared lab, with every fault cleared before and after the test."""
    for name in lab.devices:
        lab.clear(name)
    yield lab
    for name in lab.devices:
        lab.clear(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema yet), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'netmon.db'}"
        return
    with fresh_schema() as url:
        yield url
