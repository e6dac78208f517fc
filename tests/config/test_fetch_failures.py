"""Failed fetches: each is a clear error naming the device, and the stored versions stay.

The lab covers a refused login (``auth-fail``) and a box that is down; a display cut short, a
session dropped mid-display, a display that never ends and a prompt that never comes are
played by a tiny misbehaving SSH server (tests/support/hostile_ssh.py, a Comware-like CLI
on loopback).
"""

from __future__ import annotations

import socket
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from drift_support import REPRESENTATIVES

from agent import drift
from agent.inventory import Device
from agent.inventory.model import SecretRef
from agent.lab.lab import Lab
from agent.store import Store
from collectors.cli import CliError
from collectors.config import ConfigCollector, ConfigError
from tests.support.hostile_ssh import PASSWORD, MisbehavingCli


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only here: these tests are about the wire; the drift tests cover both stores."""
    return f"sqlite:///{tmp_path / 'netmon.db'}"


@pytest.fixture
def h3c_device(lab_devices: list[Device]) -> Device:
    return next(d for d in lab_devices if d.name == REPRESENTATIVES["h3c-comware5"])


def _pointed_at(device: Device, port: int, password: str = PASSWORD) -> Device:
    ssh = replace(device.ssh, port=port, timeout=3, password=SecretRef.literal(password))
    return replace(device, address="127.0.0.1", ssh=ssh)


def _stored(store: Store, name: str) -> list[tuple[int, str]]:
    return [(v.sequence, v.sha256) for v in drift.history(store, name)]


@pytest.fixture
def stored_once(
    clean_lab: Lab, h3c_device: Device, fleet_store: Store, key: bytes
) -> Iterator[list[tuple[int, str]]]:
    """One good version of the device in the store before anything fails."""
    snapshot = ConfigCollector(key=key, read_timeout=20).collect_sync(h3c_device)
    drift.record_config(fleet_store, snapshot)
    yield _stored(fleet_store, h3c_device.name)


def _fails(collector: ConfigCollector, device: Device, store: Store) -> CliError | ConfigError:
    with pytest.raises((CliError, ConfigError)) as caught:
        collector.collect_sync(device)
    drift.record_failure(store, device.name, caught.value)
    assert caught.value.device == device.name
    assert device.name in str(caught.value)
    return caught.value


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("truncate", "truncated"),
        ("drop", "closed"),
        ("hang", "timeout"),
        ("silent", None),
        ("prompt-inside", "truncated"),
    ],
)
def test_misbehaving_box_gives_a_clear_error_and_stores_nothing(
    behaviour: str,
    reason: str | None,
    h3c_device: Device,
    fleet_store: Store,
    stored_once: list[tuple[int, str]],
    key: bytes,
) -> None:
    collector = ConfigCollector(key=key, read_timeout=3)
    with MisbehavingCli(behaviour) as server:
        error = _fails(collector, _pointed_at(h3c_device, server.port), fleet_store)
    if reason is None:  # no prompt at all: the session never opens
        assert isinstance(error, CliError) and error.reason in ("timeout", "closed")
    else:
        assert error.reason == reason
    assert _stored(fleet_store, h3c_device.name) == stored_once


def test_refused_login_and_a_down_box(
    clean_lab: Lab,
    h3c_device: Device,
    fleet_store: Store,
    stored_once: list[tuple[int, str]],
    key: bytes,
) -> None:
    collector = ConfigCollector(key=key, read_timeout=5)
    clean_lab.set_fault(h3c_device.name, "auth-fail")
    assert _fails(collector, h3c_device, fleet_store).reason == "auth"
    clean_lab.clear(h3c_device.name)
    clean_lab.set_fault(h3c_device.name, "down")
    assert _fails(collector, h3c_device, fleet_store).reason in ("closed", "refused")
    assert _stored(fleet_store, h3c_device.name) == stored_once
    with fleet_store.session() as session:
        from agent.store.models import CollectionRun

        runs = session.query(CollectionRun).filter_by(kind="config").all()
        assert sorted(run.status for run in runs) == ["failed", "failed", "ok"]
        assert all(run.error for run in runs if run.status == "failed")


def test_nothing_listening_is_refused(h3c_device: Device, key: bytes) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CliError) as caught:
        ConfigCollector(key=key).collect_sync(_pointed_at(h3c_device, port))
    assert caught.value.reason == "refused"


def test_a_box_that_never_stops_talking_costs_a_clear_error_and_bounded_memory(
    h3c_device: Device,
    fleet_store: Store,
    stored_once: list[tuple[int, str]],
    key: bytes,
) -> None:
    """The size cap of the profile's running_config command (issue 13 item 4): the flood
    ends in a `too-large` error naming the device, long before the time cap, and the memory
    the fetch allocated stays within a small multiple of the cap. Slow on purpose (~15 s):
    the real profile cap, 20 M characters, crosses loopback SSH before the error."""
    from collectors.cli import cli_profile

    cap, _ = cli_profile("h3c").limit("running_config")
    collector = ConfigCollector(key=key, read_timeout=600)  # only the size cap can end it
    tracemalloc.start()
    started = time.monotonic()
    try:
        with MisbehavingCli("flood") as server:
            error = _fails(collector, _pointed_at(h3c_device, server.port), fleet_store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    took = time.monotonic() - started
    print(f"flood: cap {cap} characters, peak traced {peak / 2**20:.1f} MiB, {took:.1f} s")
    assert isinstance(error, CliError) and error.reason == "too-large"
    assert f"more than {cap} characters" in str(error)
    # netmiko keeps the output and makes a copy per concatenation (measured: ~4.5 x the cap,
    # 89 MiB for 20 M characters); without the cap the peak grows for as long as the box talks.
    assert peak < 5 * cap + 32 * 2**20
    assert took < 300
    assert _stored(fleet_store, h3c_device.name) == stored_once
