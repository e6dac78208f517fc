"""Health snapshots into the store: runs, samples, readings, and identity events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.inventory import load_inventory
from agent.recorder import Recorder, run_status
from agent.store import open_store
from agent.store.models import CollectionRun, ComponentEpisode, Event, HealthSample, InterfaceState
from agent.store.repository import sync_devices
from agent.store.schema import upgrade
from collectors.base import Component, HealthSnapshot, Identity, Interface, Sensor

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def recorder(tmp_path: Path) -> Recorder:
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    with store.session() as session:
        sync_devices(session, load_inventory(ROOT / "inventory.toml").devices)
    return Recorder(store)


def _snapshot(**changes: object) -> HealthSnapshot:
    snapshot = HealthSnapshot(
        device="topsec-ngfw4000-01",
        collected_at=datetime.now(UTC),
        reachable=True,
        snmp_rtt_seconds=0.012,
        uptime_seconds=1234.5,
        cpu_ratio=0.17,
        memory_ratio=0.62,
        temperatures=[Sensor("CPU Temperature", 54.0)],
        fans=[Component("Fan 1", "failed", "3"), Component("Fan 2", "ok", "1")],
        power_supplies=[Component("Power Supply 1", "ok", "1")],
        interfaces=[Interface(1, "feth0", True, 10**9, 5, 6, 0, 0, 0, 0)],
        sessions=43000,
        ha_role="active",
    )
    for key, value in changes.items():
        setattr(snapshot, key, value)
    return snapshot


def test_a_snapshot_becomes_a_run_a_sample_and_readings(recorder: Recorder) -> None:
    recorder.save_health(_snapshot(), datetime.now(UTC) - timedelta(seconds=1))
    with recorder.store.session() as session:
        run = session.scalars(select(CollectionRun)).one()
        assert (run.kind, run.status, run.error) == ("health", "ok", None)
        sample = session.scalars(select(HealthSample)).one()
        assert sample.cpu_ratio == pytest.approx(0.17)
        assert sample.rtt_snmp_ms == pytest.approx(12)
        assert sample.sessions == 43000 and sample.ha_role == "active"
        # Component states are episodes (issue 10), not a row per poll.
        states = {(c.kind, c.name, c.status) for c in session.scalars(select(ComponentEpisode))}
        assert ("fan", "Fan 1", "failed") in states
        assert ("temperature", "CPU Temperature", "ok") in states
        assert len(session.scalars(select(InterfaceState)).all()) == 1


def test_unreadable_values_make_a_partial_run_and_silence_a_failed_one() -> None:
    partial = _snapshot(unreadable={"disk": "no rows"})
    assert run_status(partial) == ("partial", "disk: no rows")
    dead = _snapshot(reachable=False, unreadable={"snmp": "timeout: no answer"})
    assert run_status(dead) == ("failed", "snmp: timeout: no answer")


def test_an_identity_mismatch_is_one_event_not_one_per_poll(recorder: Recorder) -> None:
    mismatch = "looks like a huawei box, inventory says topsec"
    identity = Identity(sys_descr="S5700", mismatch=mismatch)
    for _ in range(3):
        recorder.save_health(_snapshot(identity=identity), datetime.now(UTC))
    with recorder.store.session() as session:
        events = session.scalars(select(Event)).all()
        assert [e.kind for e in events] == ["identity-mismatch"]
        assert "inventory says topsec" in events[0].message
        assert session.scalar(select(func.count()).select_from(HealthSample)) == 3


def test_rows_the_hardware_does_not_have_do_not_make_a_partial_run() -> None:
    # A Comware board without a sensor answers 65535: said in unreadable, but not a failure.
    only_sentinels = _snapshot(unreadable={"temperature[14]": "not supported (sentinel 65535)"})
    assert run_status(only_sentinels) == ("ok", None)
    mixed = _snapshot(
        unreadable={"temperature[14]": "not supported (sentinel 65535)", "fans": "no rows"}
    )
    assert run_status(mixed) == ("partial", "fans: no rows")
