"""The daemon's per-result store work is O(1) in the fleet's size (issue 10 item 4).

Every signatures result records its snapshot and reads that device's view back
(``agent/kinds.py``); both used to load every device's libraries and licences. These tests
count the SQL statements with a SQLAlchemy event and check that the count does not grow
when more devices have history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from signature_support import T0, record, snapshot
from sqlalchemy import event

from agent.inventory import Inventory
from agent.signatures import fleet_rows, record_snapshot
from agent.store import Store
from collectors.signatures import staleness_rules

LICENCES = {"av": dt.date(2027, 1, 1), "ips": dt.date(2026, 12, 1)}


@contextmanager
def _counting(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", note)


def _fill(store: Store, names: list[str]) -> None:
    for name in names:
        record(store, snapshot(device=name, licences=LICENCES))


def _one_device_cost(store: Store, name: str) -> tuple[int, int]:
    """(statements to record one more snapshot, statements to read that device's view);
    the snapshot is the device's second, so both measurements do the same work."""
    later = snapshot(device=name, at=T0 + dt.timedelta(hours=1), licences=LICENCES)
    with _counting(store) as recorded, store.session() as session:
        record_snapshot(session, later, later.collected_at)
    with _counting(store) as read, store.session() as session:
        (view,) = fleet_rows(session, staleness_rules(), T0.date(), device=name)
    assert view.device == name and len(view.licences) == 2
    return len(recorded), len(read)


def test_one_devices_view_costs_the_same_whatever_the_fleet(
    store: Store, inventory: Inventory
) -> None:
    names = [device.name for device in inventory.devices]
    assert len(names) >= 20
    _fill(store, names[:2])
    small = _one_device_cost(store, names[0])
    _fill(store, names[2:])
    large = _one_device_cost(store, names[1])
    assert small == large, (small, large)
    # and few: no statement per library, licence or device
    assert large[1] <= 6, large


def test_the_fleet_view_is_a_fixed_number_of_queries(store: Store, inventory: Inventory) -> None:
    names = [device.name for device in inventory.devices]
    _fill(store, names[:3])
    with _counting(store) as few, store.session() as session:
        assert len(fleet_rows(session, staleness_rules(), T0.date())) == 3
    _fill(store, names[3:])
    with _counting(store) as many, store.session() as session:
        assert len(fleet_rows(session, staleness_rules(), T0.date())) == len(names)
    assert len(few) == len(many), (few, many)
