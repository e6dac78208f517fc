"""Configuration and signature results through the daemon's write-behind queue
(agent.kind_writes, agent.writer.KindCodec) against a real SQLite store: every result of a
store outage is spooled (named by kind, 0600), replayed in the order collected, and stored
as if written at once; the state that /metrics renders changes only after the commit."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.commands.run import results_write_queue
from agent.kind_writes import ConfigCodec, ConfigWrite, SignatureCodec, SignatureWrite
from agent.kinds import ConfigKind, SignaturesKind, SshFailure
from agent.recorder import HealthCodec
from agent.state import FleetState
from agent.store import Store, open_store
from agent.store.models import CollectionRun, ConfigVersion, SignatureVersion
from agent.store.repository import sync_devices
from agent.store.schema import upgrade
from collectors.config import ConfigCollector, ConfigSnapshot
from collectors.signatures import SignatureCollector, staleness_rules
from collectors.signatures.collector import LibraryReading, LicenceReading, SignatureSnapshot
from tests.daemon.test_writer import DEVICES, T0, FakeDevice, item, metrics


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "db" / "netmon.db"
    path.parent.mkdir()
    upgrade(f"sqlite:///{path}")
    with open_store(f"sqlite:///{path}") as opened, opened.session() as session:
        sync_devices(session, [FakeDevice(name) for name in DEVICES], now=T0)
    return path


@pytest.fixture
def store(database: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{database}")
    yield opened
    opened.close()


CONFIG_TEXT = "sysname sw-1\n#\ninterface GigabitEthernet1/0/1\n description uplink\n#\n"


def kinds(store: Store) -> tuple[FleetState, ConfigKind, SignaturesKind]:
    state = FleetState()
    state.set_devices([FakeDevice(name) for name in DEVICES])
    config = ConfigKind(ConfigCollector(), store, state)
    signatures = SignaturesKind(SignatureCollector(), store, staleness_rules(), state)
    return state, config, signatures


def config_write(device: str, seconds: int, text: str = CONFIG_TEXT) -> ConfigWrite:
    at = T0 + dt.timedelta(seconds=seconds)
    snapshot = ConfigSnapshot(device, "h3c", at, text, "0" * 64, 1, 2)
    return ConfigWrite(snapshot, at)


def signature_write(device: str, seconds: int) -> SignatureWrite:
    at = T0 + dt.timedelta(seconds=seconds)
    snapshot = SignatureSnapshot(
        device,
        "h3c",
        at,
        in_scope=True,
        software_version="7.1.064",
        libraries=[
            LibraryReading("ips", "ips", "IPS", "1.0.81", dt.date(2026, 3, 1), at),
        ],
        licences=[LicenceReading("IPS", dt.date(2027, 1, 31), "active")],
        errors={"library av": "sw-1: not printed"},
    )
    return SignatureWrite(snapshot, at)


def runs(store: Store) -> dict[str, int]:
    with store.session(read_only=True) as session:
        rows = session.execute(
            select(CollectionRun.kind, func.count()).group_by(CollectionRun.kind)
        ).all()
    return {kind: number for kind, number in rows}


def test_each_kind_round_trips_through_its_spool_encoding(store: Store) -> None:
    _, config, signatures = kinds(store)
    codec = results_write_queue(store, [config, signatures], Path("/nonexistent")).codec
    failure = ConfigWrite(SshFailure("sw-2", "auth", "sw-2: authentication failed"), T0)
    for original in (config_write("sw-1", 1), failure, signature_write("fw-1", 2)):
        encoded = json.loads(json.dumps(codec.encode(original)))
        assert codec.decode(encoded) == original
    # A health item spooled before the queue took other kinds has no kind name.
    health = item("sw-1", 3)
    assert codec.decode(HealthCodec().encode(health)) == health


def test_an_outage_keeps_every_config_and_signature_result_and_replays_them(
    store: Store, database: Path, tmp_path: Path
) -> None:
    state, config, signatures = kinds(store)
    queue = results_write_queue(store, [config, signatures], tmp_path / "spool")
    aside = tmp_path / "aside.db"
    os.rename(database, aside)
    # Three configurations of one device (the old queue kept only the newest), a failed
    # fetch, two signature reads and a health sample, in the order collected.
    results = [
        config_write("sw-1", 1),
        signature_write("fw-1", 2),
        config_write("sw-1", 3, CONFIG_TEXT + "ntp-service unicast-server 10.0.0.1\n"),
        ConfigWrite(SshFailure("sw-2", "timeout", "sw-2: no answer"), T0),
        item("sw-2", 4),
        signature_write("fw-1", 5),
        config_write("sw-1", 6, CONFIG_TEXT),
    ]
    for result in results:
        queue.submit(result)
    queue.flush()
    assert queue.pending == len(results)
    assert metrics(queue)["netmon_store_available"] == 0
    spooled = list((tmp_path / "spool").glob("*.json"))
    assert spooled and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in spooled)
    kinds_spooled = [entry["kind"] for f in spooled for entry in json.loads(f.read_text())["items"]]
    assert sorted(kinds_spooled) == ["config"] * 4 + ["health"] + ["signatures"] * 2
    # Nothing reached the state before the store took it.
    view = {device.info.name: device for device in state.view().devices}
    assert view["sw-1"].config is None

    os.rename(aside, database)
    queue.flush()
    assert queue.pending == 0
    assert runs(store) == {"config": 4, "signatures": 2, "health": 1}
    with store.session(read_only=True) as session:
        versions = session.scalars(
            select(ConfigVersion.sequence).order_by(ConfigVersion.sequence)
        ).all()
        libraries = session.scalar(select(func.count()).select_from(SignatureVersion))
    # v1, v2 (ntp added) and v3 (back to the first text): replayed in the order collected.
    assert list(versions) == [1, 2, 3]
    assert libraries
    view = {device.info.name: device for device in state.view().devices}
    assert view["sw-1"].config is not None and view["sw-1"].config.drift is False
    assert "ips" in {lib.library for lib in view["fw-1"].libraries}
    written = metrics(queue)
    assert written["netmon_store_writes_queued_total"] == len(results)
    assert written["netmon_store_replayed_total"] == len(results)


def test_codecs_describe_a_result_without_its_values() -> None:
    described = ConfigCodec.describe(None, config_write("sw-1", 1))  # type: ignore[arg-type]
    assert "sw-1" in described and "sysname" not in described
    described = SignatureCodec.describe(None, signature_write("fw-1", 1))  # type: ignore[arg-type]
    assert "fw-1" in described and "1.0.81" not in described
