"""The SSH facts read backs off after a failure (issue 10 item 4): it used to be retried on
every health poll while the software version was unknown. ``read_cli_health`` is replaced by
a recorder here (the SSH side has its own lab tests); what is checked is when it is called."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

import collectors.health as health
from collectors.base import HealthSnapshot
from collectors.cli_health import CliHealth
from collectors.health import FACTS_RETRY_FIRST_S, FACTS_RETRY_MAX_S, HealthCollector

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Cli:
    """Answers like read_cli_health: the facts fail until ``works`` is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[bool, bool]] = []
        self.works = False

    def __call__(
        self, device, *, facts: bool, environment: bool, serial: bool = False
    ) -> CliHealth:  # type: ignore[no-untyped-def]
        self.calls.append((facts, environment))
        result = CliHealth()
        if facts and self.works:
            result.software_version = "7.1.070"
        elif facts:
            result.errors["software_version"] = "ssh: connection refused"
        return result


def _poll(collector: HealthCollector, device, uptime: float = 100.0) -> HealthSnapshot:  # type: ignore[no-untyped-def]
    snapshot = HealthSnapshot(device.name, NOW, reachable=True, uptime_seconds=uptime)
    asyncio.run(collector._use_cli(device, snapshot))
    return snapshot


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> _Cli:
    fake = _Cli()
    monkeypatch.setattr(health, "read_cli_health", fake)
    return fake


def test_a_failed_facts_read_waits_doubling_then_succeeds(cli: _Cli, inventory) -> None:  # type: ignore[no-untyped-def]
    device = inventory.devices[0]
    clock = _Clock()
    collector = HealthCollector(clock=clock)
    _poll(collector, device)
    assert cli.calls == [(True, False)]
    for _ in range(5):  # polls within the pause: no SSH at all
        clock.now += 30
        _poll(collector, device)
    assert len(cli.calls) == 1
    clock.now = 1000.0 + FACTS_RETRY_FIRST_S
    _poll(collector, device)
    assert len(cli.calls) == 2  # retried once the pause is over; failed again
    clock.now += FACTS_RETRY_FIRST_S
    _poll(collector, device)
    assert len(cli.calls) == 2  # the second pause is twice as long
    clock.now += FACTS_RETRY_FIRST_S
    cli.works = True
    snapshot = _poll(collector, device)
    assert len(cli.calls) == 3 and snapshot.identity.software_version == "7.1.070"
    clock.now += 10 * FACTS_RETRY_MAX_S
    _poll(collector, device)
    assert len(cli.calls) == 3  # known now: never read again until a reboot
    _poll(collector, device, uptime=5.0)
    assert len(cli.calls) == 4


def test_the_pause_is_capped(cli: _Cli, inventory) -> None:  # type: ignore[no-untyped-def]
    device = inventory.devices[0]
    clock = _Clock()
    collector = HealthCollector(clock=clock)
    for _ in range(12):
        _poll(collector, device)
        clock.now += FACTS_RETRY_MAX_S
    assert len(cli.calls) == 12  # every try after the cap is one hour apart


def test_the_cli_can_be_switched_off_per_device(cli: _Cli, lab_devices) -> None:  # type: ignore[no-untyped-def]
    """Through collect() against the lab's SNMP agents on loopback."""
    first, second = lab_devices[:2]
    collector = HealthCollector(cli_for=lambda device: device.name != first.name)
    asyncio.run(collector.collect(first))
    assert cli.calls == []
    asyncio.run(collector.collect(second))
    assert cli.calls == [(True, False)]


def _silent_poll(collector: HealthCollector, device) -> HealthSnapshot:  # type: ignore[no-untyped-def]
    snapshot = HealthSnapshot(device.name, NOW, reachable=False)
    asyncio.run(collector._use_cli(device, snapshot))
    return snapshot


def test_a_silent_box_gets_one_ssh_try_a_minute_not_one_per_retry(cli: _Cli, inventory) -> None:  # type: ignore[no-untyped-def]
    """The daemon re-polls a silent device every 10 s; each SSH fallback to a dead box waits
    out its connect timeout inside the poll's SNMP slot, so after a failed try it is tried
    again a minute later, not on every retry."""
    device = inventory.devices[0]
    clock = _Clock()
    collector = HealthCollector(clock=clock)
    _silent_poll(collector, device)
    assert cli.calls == [(True, True)]  # the first silent poll tries SSH (SNMP may be off)
    for _ in range(5):  # the retries of the next 50 s: SNMP only (SSH failed too)
        clock.now += 10
        _silent_poll(collector, device)
    assert len(cli.calls) == 1
    clock.now += 10  # a minute after the first try
    _silent_poll(collector, device)
    assert len(cli.calls) == 2
    clock.now += 10
    _poll(collector, device)  # it answers again (nothing for SSH to fill in)
    assert len(cli.calls) == 2
    _silent_poll(collector, device)  # silent again 10 s later: a new outage, a new first try
    assert len(cli.calls) == 3


def test_a_box_with_snmp_off_and_ssh_answering_keeps_its_cli_values(monkeypatch, inventory) -> None:  # type: ignore[no-untyped-def]
    """The throttle is for dead boxes: while SSH answers, every silent poll reads the CLI."""
    calls: list[bool] = []

    def answering(device, *, facts: bool, environment: bool, serial: bool = False) -> CliHealth:  # type: ignore[no-untyped-def]
        calls.append(environment)
        return CliHealth(environment={"cpu": {"0": {"%usage": 12.0}}})

    monkeypatch.setattr(health, "read_cli_health", answering)
    clock = _Clock()
    collector = HealthCollector(clock=clock)
    for _ in range(4):
        snapshot = _silent_poll(collector, inventory.devices[0])
        assert snapshot.cpu_ratio == 0.12
        clock.now += 10
    assert calls == [True] * 4
