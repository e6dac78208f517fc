"""Roll-ups as polls arrive: batch and single writes agree, Counter64 holds 2**64-1, episodes
and outages are one row per change, retention keeps what documents need."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from store_support import T0

from agent.store import Store
from agent.store import repository as repo
from agent.store.models import (
    ComponentEpisode,
    HealthDaily,
    HealthHourly,
    HealthSample,
    InterfaceDaily,
    InterfaceHourly,
    Outage,
    TemperatureHourly,
)
from agent.store.rollup import counter_growth, enforce_retention

MINUTE = dt.timedelta(minutes=1)
TOP = 2**64 - 1


def reading(i: int, *, reachable: bool = True, octets: int = 0) -> repo.HealthReading:
    if not reachable:
        return repo.HealthReading(reachable=False)
    return repo.HealthReading(
        reachable=True,
        cpu_ratio=(i % 4) / 10,
        memory_ratio=0.5,
        components=[
            repo.ComponentState("temperature", "board", "ok", 30.0 + i),
            repo.ComponentState("fan", "fan1", "failed" if 3 <= i < 5 else "ok"),
        ],
        interfaces=[
            repo.InterfaceState(1, "Gi1", True, i != 6, 10**9, octets, 0, i, 0, 0, 0),
        ],
    )


def polls() -> list[tuple[dt.datetime, repo.HealthReading]]:
    # 12 polls, 10 minutes apart, over two hours; poll 8 unreachable; octets wrap the top.
    result = []
    for i in range(12):
        octets = TOP - 5 + i * 2 if i < 3 else i * 7
        result.append((T0 + i * 10 * MINUTE, reading(i, reachable=i != 8, octets=octets)))
    return result


def rollups(store: Store) -> dict[str, list[tuple[object, ...]]]:
    with store.session() as session:
        return {
            model.__tablename__: [
                tuple(row)
                for row in session.execute(
                    select(*[c for c in model.__table__.c]).order_by(
                        *model.__table__.primary_key.columns
                    )
                )
            ]
            for model in (
                HealthHourly,
                HealthDaily,
                TemperatureHourly,
                InterfaceHourly,
                InterfaceDaily,
            )
        } | {
            "episodes": [
                (e.kind, e.name, e.status, e.started_at, e.last_seen, e.ended_at, e.samples)
                for e in session.scalars(
                    select(ComponentEpisode).order_by(
                        ComponentEpisode.kind, ComponentEpisode.name, ComponentEpisode.started_at
                    )
                )
            ],
            "outages": [
                (o.started_at, o.last_failed, o.ended_at, o.failed_samples)
                for o in session.scalars(select(Outage))
            ],
        }


def write_one_by_one(store: Store) -> None:
    for when, health in polls():
        with store.session() as session:
            run = repo.start_run(session, "fw-hq-1", "health", started_at=when)
            repo.add_health_sample(session, run, health, when)


def write_in_batches(store: Store, size: int) -> None:
    items = polls()
    for first in range(0, len(items), size):
        with store.session() as session:
            batch = [
                repo.HealthItem(repo.start_run(session, "fw-hq-1", "health", when), health, when)
                for when, health in items[first : first + size]
            ]
            assert repo.add_health_samples(session, batch) == len(batch)


def test_batches_and_single_writes_give_the_same_rollups(fleet_store: Store) -> None:
    write_one_by_one(fleet_store)
    single = rollups(fleet_store)
    with fleet_store.session() as session:
        for model in (HealthHourly, HealthDaily, TemperatureHourly, InterfaceHourly):
            session.execute(model.__table__.delete())
        for model in (InterfaceDaily, ComponentEpisode, Outage, HealthSample):
            session.execute(model.__table__.delete())
        session.execute(repo.InterfaceStateRow.__table__.delete())
    write_in_batches(fleet_store, 5)
    assert rollups(fleet_store) == single


def test_rollup_figures_episodes_and_counter64(fleet_store: Store) -> None:
    write_in_batches(fleet_store, 4)
    found = rollups(fleet_store)
    hours = [(row[2], row[3]) for row in found["health_hourly"]]  # samples, reachable
    assert hours == [(6, 6), (6, 5)]
    # Three episodes for the fan (ok, failed, ok), one for the sensor.
    fan = [e for e in found["episodes"] if e[1] == "fan1"]
    assert [(e[2], e[6]) for e in fan] == [("ok", 3), ("failed", 2), ("ok", 6)]
    assert fan[1][5] == T0 + 50 * MINUTE  # cleared by the first ok poll after it
    assert found["outages"] == [(T0 + 80 * MINUTE, T0 + 80 * MINUTE, T0 + 90 * MINUTE, 1)]
    with fleet_store.session() as session:
        (port,) = repo.interface_states(session, "fw-hq-1")
        (day,) = session.scalars(select(InterfaceDaily)).all()
    assert port.in_octets == 11 * 7
    # TOP-5 -> TOP-3 -> TOP-1 (+2, +2), then a restart to 21 (+21), then +7 per poll to 77
    # except across the unreachable poll 8 (no interface rows): 49 -> 63 is +14.
    assert day.in_octets == 2 + 2 + 21 + 7 * 8
    assert day.status_changes == 2 and day.down_samples == 1
    assert day.in_errors == 11


def test_counter64_top_value_is_stored_and_read_back(fleet_store: Store) -> None:
    health = repo.HealthReading(
        reachable=True,
        interfaces=[repo.InterfaceState(7, "Te1", True, True, TOP, TOP, TOP, TOP, TOP, TOP, TOP)],
    )
    with fleet_store.session() as session:
        run = repo.start_run(session, "fw-hq-1", "health", started_at=T0)
        repo.add_health_sample(session, run, health)
    with fleet_store.session() as session:
        (port,) = repo.interface_states(session, "fw-hq-1")
    assert (port.in_octets, port.out_discards, port.speed_bps) == (TOP, TOP, TOP)


def test_a_counter_beyond_counter64_is_refused_with_its_interface() -> None:
    assert counter_growth(TOP - 1, TOP) == 1
    assert counter_growth(100, 5) == 5  # restarted
    with pytest.raises(ValueError, match="Counter64"):
        counter_growth(0, 2**64)


def test_retention_deletes_old_raw_polls_and_runs_but_keeps_rollups(fleet_store: Store) -> None:
    write_in_batches(fleet_store, 12)
    now = T0 + dt.timedelta(days=15)
    with fleet_store.session() as session:
        result = enforce_retention(session, now, raw_days=14, rollup_days=400)
        assert (result.raw_samples, result.runs, result.rollup_rows) == (12, 12, 0)
        assert session.scalar(select(func.count()).select_from(HealthSample)) == 0
        summary = {s.device: s for s in repo.health_summary(session, T0, T0 + 2 * 60 * MINUTE)}
    assert (summary["fw-hq-1"].samples, summary["fw-hq-1"].reachable_samples) == (12, 11)
    with fleet_store.session() as session:
        later = enforce_retention(session, T0 + dt.timedelta(days=402), 14, 400)
    assert later.rollup_rows > 0 and later.spells > 0
    with pytest.raises(ValueError, match="raw_days"), fleet_store.session() as session:
        enforce_retention(session, now, raw_days=30, rollup_days=7)
