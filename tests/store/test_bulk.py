"""``agent.store.bulk.BulkStatement`` stores exactly what Core's ``session.execute`` stores,
on SQLite and PostgreSQL: the same rows written both ways read back equal, through the column
types' own processors (Counter64 above 2**63, UTC from another zone, NULLs, booleans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from store_support import T0

from agent.store import Store
from agent.store.bulk import BulkStatement
from agent.store.models import ComponentEpisode, Device, InterfaceState

COLUMNS = (
    "device_id",
    "if_index",
    "name",
    "alias",
    "admin_up",
    "oper_up",
    "speed_bps",
    "in_octets",
    "out_octets",
    "in_errors",
    "out_errors",
    "in_discards",
    "out_discards",
    "sampled_at",
)
BEIJING = dt.timezone(dt.timedelta(hours=8))


def port_rows(device_id: int, first_index: int, shift: int = 0) -> list[tuple[Any, ...]]:
    """Ports with awkward values: the top of Counter64, NULL counters, a non-UTC time that
    several rows share (the bulk path processes each distinct time once)."""
    later = T0 + dt.timedelta(minutes=1 + shift)
    return [
        (device_id, first_index, "GigabitEthernet1/0/1", "上联 core", True, True,
         10**9, 2**64 - 1, 2**63, 0, 5, None, 7 + shift, T0.astimezone(BEIJING)),
        (device_id, first_index + 1, "GigabitEthernet1/0/2", None, False, None,
         None, None, None, None, None, None, None, later),
        (device_id, first_index + 2, "Ten-GigabitEthernet1/0/49", "", None, False,
         10**10, 2**63 - 1, 1, 2, 3, 4, 5 + shift, later),
    ]  # fmt: skip


def upsert(store: Store) -> Any:
    table = InterfaceState.__table__
    insert = (postgresql if store.engine.dialect.name == "postgresql" else sqlite).insert(table)
    return insert.on_conflict_do_update(
        index_elements=["device_id", "if_index"],
        set_={column: insert.excluded[column] for column in COLUMNS[2:]},
    )


def stored_ports(store: Store, device_id: int) -> list[tuple[Any, ...]]:
    with store.session() as session:
        return [
            tuple(row)[1:]  # without the device: the two paths write to two devices
            for row in session.execute(
                select(*(InterfaceState.__table__.c[c] for c in COLUMNS))
                .where(InterfaceState.device_id == device_id)
                .order_by(InterfaceState.if_index)
            )
        ]


def test_an_upsert_stores_what_core_stores(fleet_store: Store) -> None:
    store = fleet_store
    with store.session() as session:
        core_id, bulk_id = session.scalars(select(Device.id).order_by(Device.id).limit(2))
    statement = BulkStatement(upsert(store), COLUMNS, store.engine.dialect)
    for shift in (0, 1):  # the second round hits the conflict clause
        with store.session() as session:
            core_rows = [
                dict(zip(COLUMNS, row, strict=True)) for row in port_rows(core_id, 1, shift)
            ]
            session.execute(upsert(store), core_rows)
            statement.execute(session.connection(), port_rows(bulk_id, 1, shift))
            session.commit()
        assert stored_ports(store, bulk_id) == stored_ports(store, core_id)
    ports = stored_ports(store, bulk_id)
    assert ports[0][5:7] == (10**9, 2**64 - 1)  # speed and Counter64 read back unsigned
    assert ports[0][-1] == T0 and ports[0][-1].tzinfo is not None  # UTC, whatever zone it came in
    assert ports[1][6] is None and ports[2][-1] == T0 + dt.timedelta(minutes=2)


def test_an_update_by_named_parameters_stores_what_core_stores(fleet_store: Store) -> None:
    store = fleet_store
    table = ComponentEpisode.__table__
    with store.session() as session:
        device_id = session.scalars(select(Device.id).limit(1)).one()
        for name in ("fan1", "fan2"):
            session.execute(
                table.insert(),
                {"device_id": device_id, "kind": "fan", "name": name, "status": "ok",
                 "started_at": T0, "last_seen": T0, "ended_at": None, "samples": 1,
                 "last_value": None},
            )  # fmt: skip
        session.commit()
        ids = {name: spell for name, spell in session.execute(select(table.c.name, table.c.id))}
    columns = ("last_seen", "samples", "last_value", "ended_at")
    statement = update(table).where(table.c.id == bindparam("spell_id"))
    statement = statement.values({column: bindparam(f"new_{column}") for column in columns})
    names = ("spell_id", *(f"new_{column}" for column in columns))
    seen = (T0 + dt.timedelta(hours=1)).astimezone(BEIJING)
    with store.session() as session:
        core = (ids["fan1"], seen, 9, 1.5, None)
        session.connection().execute(statement, [dict(zip(names, core, strict=True))])
        BulkStatement(statement, names, store.engine.dialect).execute(
            session.connection(), [(ids["fan2"], seen, 9, 1.5, None)]
        )
        session.commit()
        stored = {
            name: rest
            for name, *rest in session.execute(select(table.c.name, *(table.c[c] for c in columns)))
        }
    assert stored["fan1"] == stored["fan2"] == [T0 + dt.timedelta(hours=1), 9, 1.5, None]


def test_a_value_its_type_refuses_fails_as_in_core(fleet_store: Store) -> None:
    store = fleet_store
    with store.session() as session:
        device_id = session.scalars(select(Device.id).limit(1)).one()
    statement = BulkStatement(upsert(store), COLUMNS, store.engine.dialect)
    naive = port_rows(device_id, 1)[:1]
    naive[0] = (*naive[0][:-1], dt.datetime(2026, 3, 6, 8, 0))
    with store.session() as session, pytest.raises(ValueError, match="naive datetime"):
        statement.execute(session.connection(), naive)
    too_big = [(*port_rows(device_id, 1)[0][:7], 2**64, *port_rows(device_id, 1)[0][8:])]
    with store.session() as session, pytest.raises(ValueError, match="Counter64 range"):
        statement.execute(session.connection(), too_big)


def test_a_parameter_the_rows_do_not_give_is_refused_when_prepared() -> None:
    table = ComponentEpisode.__table__
    literal = update(table).where(table.c.id == 5).values(samples=bindparam("new_samples"))
    with pytest.raises(ValueError, match="rows do not give"):
        BulkStatement(literal, ("new_samples",), sqlite.dialect())
