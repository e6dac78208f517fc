"""The write-behind queue's batch write (``recorder.write_health_batch``: Core executemany)
stores exactly what the same polls store one transaction each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from agent.recorder import HealthWrite, write_health_batch
from agent.store import open_store
from agent.store.engine import StoreError
from agent.store.models import (
    CollectionRun,
    ComponentEpisode,
    HealthHourly,
    HealthSample,
    InterfaceHourly,
    InterfaceState,
    Outage,
    TemperatureHourly,
)
from agent.store.repository import ComponentState, HealthReading, sync_devices
from agent.store.repository import InterfaceState as Port
from agent.store.schema import upgrade

T0 = dt.datetime(2026, 3, 6, 7, 50, tzinfo=dt.UTC)  # the polls cross an hour


class Box:
    def __init__(self, name: str) -> None:
        self.name, self.vendor, self.model, self.kind = name, "h3c", "S5560", "switch"
        self.site, self.services, self.address = "lab", ("HW",), "127.0.0.1"


def poll(device: str, index: int) -> HealthWrite:
    at = T0 + dt.timedelta(seconds=30 * index)
    if device == "sw-2" and 5 <= index < 9:  # an outage of four polls
        return HealthWrite(device, at, at, "failed", "no answer", HealthReading(reachable=False))
    fan = "failed" if device == "sw-1" and index >= 12 else "ok"
    reading = HealthReading(
        reachable=True,
        cpu_ratio=0.1 + index / 100,
        memory_ratio=0.5,
        components=[
            ComponentState("temperature", "board", "ok", 40 + index % 7),
            ComponentState("fan", "Fan 1", fan),
        ],
        interfaces=[
            Port(
                port,
                f"Gi1/0/{port}",
                True,
                port != 3 or index < 10,
                10**9,
                2**64 - 5000 + 97 * index * port if index < 15 else 5 * index,
                50 * index,
                index // 4,
                0,
                index // 6,
                0,
            )
            for port in (1, 2, 3)
        ],
    )
    return HealthWrite(device, at, at, "ok", None, reading)


POLLS = [poll(device, index) for index in range(24) for device in ("sw-1", "sw-2")]


def stored(url: str) -> dict[str, list[tuple[object, ...]]]:
    tables = {
        "runs": (CollectionRun, ["device_id", "kind", "started_at", "status", "error"]),
        "samples": (HealthSample, ["device_id", "sampled_at", "reachable", "cpu_ratio"]),
        "hourly": (HealthHourly, ["hour_start", "device_id", "samples", "reachable", "cpu_sum"]),
        "temperatures": (TemperatureHourly, ["hour_start", "device_id", "count", "max", "last"]),
        "ports": (
            InterfaceHourly,
            [
                "hour_start",
                "device_id",
                "if_index",
                "samples",
                "down_samples",
                "status_changes",
                "in_octets",
                "in_errors",
            ],
        ),
        "states": (InterfaceState, ["device_id", "if_index", "oper_up", "in_octets"]),
        "episodes": (
            ComponentEpisode,
            ["device_id", "name", "status", "started_at", "ended_at", "samples"],
        ),
        "outages": (Outage, ["device_id", "started_at", "ended_at", "failed_samples"]),
    }
    result = {}
    with open_store(url) as store, store.session() as session:
        for label, (model, columns) in tables.items():
            selected = [getattr(model, column) for column in columns]
            rows = session.execute(sa.select(*selected).order_by(*selected)).all()
            # Floats rounded: a batch sums in Python before SQL adds, one by one SQL adds all.
            result[label] = [
                tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows
            ]
    return result


def fresh(url: str) -> None:
    upgrade(url)
    with open_store(url) as store, store.session() as session:
        sync_devices(session, [Box("sw-1"), Box("sw-2")])


def test_a_batch_stores_what_the_polls_store_one_by_one(db_url: str, tmp_path: Path) -> None:
    one_by_one = f"sqlite:///{tmp_path / 'one-by-one.db'}"
    fresh(one_by_one)
    with open_store(one_by_one) as store:
        for item in POLLS:
            with store.session() as session:
                write_health_batch(session, [item])
    fresh(db_url)
    with open_store(db_url) as store:
        for start in range(0, len(POLLS), 17):  # batches that split hours and devices
            with store.session() as session:
                write_health_batch(session, POLLS[start : start + 17])
    expected, got = stored(one_by_one), stored(db_url)
    assert got == expected
    assert len(got["samples"]) == len(POLLS) and len(got["outages"]) == 1
    fan = [row for row in got["episodes"] if row[1] == "Fan 1" and row[0] == 1]
    assert [row[2] for row in sorted(fan, key=lambda row: row[3])] == ["ok", "failed"]


def test_a_device_the_store_does_not_know_fails_the_whole_batch(db_url: str) -> None:
    fresh(db_url)
    stranger = HealthWrite("sw-9", T0, T0, "ok", None, HealthReading(reachable=True))
    with open_store(db_url) as store:
        with (
            pytest.raises(StoreError, match="'sw-9' is not in the store"),
            store.session() as session,
        ):
            write_health_batch(session, [POLLS[0], stranger])
        with store.session() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(HealthSample)) == 0
