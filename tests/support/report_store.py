"""A store for the document tests: the schema on the given database, the devices registered
as the daemon's inventory sync does, and polls saved through the recorder like the poller's.

``Box`` is an inventory device with the fields ``repository.sync_devices`` reads; its
defaults are one H3C access switch with the hardware service and no uplink role, so a test
names only what it is about (``Box(uplinks=("GE1/0/1",))``, ``Box("av-1", "venustech", ...)``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from agent.recorder import Recorder
from agent.store import Store, open_store
from agent.store import repository as repo
from agent.store.schema import upgrade
from collectors.base import HealthSnapshot


@dataclass(frozen=True)
class Box:
    name: str = "sw-1"
    vendor: str = "h3c"
    model: str = "S5500"
    kind: str = "switch"
    site: str = "headquarters"
    services: tuple[str, ...] = ("hardware",)
    address: str | None = "127.0.0.1"
    uplinks: tuple[str, ...] = ()
    site_name: str | None = None  # the inventory's display name of the site


@contextlib.contextmanager
def report_store(url: str, devices: Sequence[Box], registered_at: dt.datetime) -> Iterator[Store]:
    """The store at ``url`` (migrated to the newest schema) with ``devices`` registered at
    ``registered_at``; closed when the block ends."""
    upgrade(url)
    store = open_store(url)
    try:
        with store.session() as session:
            repo.sync_devices(session, devices, now=registered_at)
        yield store
    finally:
        store.close()


def save_polls(store: Store, snapshots: Iterable[HealthSnapshot]) -> None:
    """Each health snapshot saved as the poller saves it, at its own collection time."""
    recorder = Recorder(store)
    for snapshot in snapshots:
        recorder.save_health(snapshot, snapshot.collected_at)
