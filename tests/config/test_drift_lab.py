"""Drift against the lab, for every vendor family: repeated fetches make one version, a
configuration change makes a second version and drift, approval clears it, and displays that
differ only in volatile lines (clock comments, Huawei's re-encrypted ciphers) make none."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from drift_support import REPRESENTATIVES, planted_secrets

from agent import drift
from agent.inventory import Device
from agent.lab.lab import Lab
from agent.store import Store
from agent.store.models import ConfigText, ConfigVersion, Event
from collectors.config import Redactor, config_rules, fetch_running_config, prepare


def _device(lab_devices: list[Device], name: str) -> Device:
    return next(d for d in lab_devices if d.name == name)


def _next_second() -> None:
    """Wait until the wall clock shows another second, so clock lines must differ."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.02)


def _snapshot(device: Device, key: bytes) -> tuple[str, object]:
    raw = fetch_running_config(device, read_timeout=20)
    return raw, prepare(device.name, device.vendor, raw, Redactor(key), datetime.now(UTC))


def _events(store: Store, name: str, kind: str) -> list[Event]:
    with store.session() as session:
        return [e for e in session.query(Event).filter_by(kind=kind) if e.device.name == name]


@pytest.mark.parametrize("family", sorted(REPRESENTATIVES))
def test_drift_cycle_against_the_lab(
    family: str, clean_lab: Lab, lab_devices: list[Device], fleet_store: Store, key: bytes
) -> None:
    device = _device(lab_devices, REPRESENTATIVES[family])
    raw_first, first = _snapshot(device, key)
    noise = config_rules(device.vendor).noise
    if family == "h3c-comware5":  # the box echoes `<name>display current-configuration`
        assert noise.is_prompt_line(raw_first.splitlines()[0])
    assert not any(noise.is_prompt_line(line) for line in first.text.splitlines())
    state = drift.record_config(fleet_store, first)
    assert not state.drift and state.label == "no baseline"

    _next_second()
    raw_again, again = _snapshot(device, key)
    # The displays differ (a clock line, fresh ciphers) yet normalise to the same text.
    assert raw_again != raw_first
    assert again.sha256 == first.sha256
    drift.record_config(fleet_store, again)
    versions = drift.history(fleet_store, device.name)
    assert len(versions) == 1
    assert versions[0].last_seen == again.collected_at

    clean_lab.set_fault(device.name, "config-change")
    _, changed = _snapshot(device, key)
    state = drift.record_config(fleet_store, changed)
    # Nobody has approved a baseline yet: a change is news to nobody, not drift (issue 14).
    assert not state.drift and state.label == "no baseline"
    assert state.last_change == changed.collected_at
    assert [v.sequence for v in drift.history(fleet_store, device.name)] == [1, 2]
    change = _events(fleet_store, device.name, "config-change")
    assert len(change) == 1 and "v1 -> v2 (+" in change[0].message
    assert change[0].details["added"] >= 1
    assert _events(fleet_store, device.name, "config-drift") == []
    assert "+" in drift.diff(fleet_store, device.name)

    info = drift.approve(fleet_store, device.name, "rule added by ticket 42", by="duty-team")
    assert info.sequence == 2
    with fleet_store.session() as session:
        assert drift.drift_state(session, device.name).label == "ok"
    assert _events(fleet_store, device.name, "config-drift-cleared") == []
    assert drift.diff(fleet_store, device.name) == ""

    _, still = _snapshot(device, key)
    assert not drift.record_config(fleet_store, still).drift
    assert len(drift.history(fleet_store, device.name)) == 2

    # The change undone on the box: a third version (same text as v1, stored once), drift.
    clean_lab.clear(device.name)
    _, undone = _snapshot(device, key)
    assert undone.sha256 == first.sha256
    assert drift.record_config(fleet_store, undone).drift
    assert len(_events(fleet_store, device.name, "config-drift")) == 1
    with fleet_store.session() as session:
        assert session.query(ConfigVersion).count() == 3
        assert session.query(ConfigText).count() == 2
        stored = "\n".join(row.text for row in session.query(ConfigText))
    # No canary the lab planted reaches the store (SQLite and PostgreSQL both run this).
    from collectors.profiles import get_profile

    family = get_profile(device.vendor).models[device.model].family
    canaries = planted_secrets(device.vendor, device.model, family)
    assert len([canary for canary in canaries if canary in raw_first]) >= 2  # really printed
    assert not [canary for canary in canaries if canary in stored]
