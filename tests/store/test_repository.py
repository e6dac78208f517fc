"""Round trips through every repository function, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from store_support import FLEET, T0, FakeInventoryDevice

from agent.store import Store, StoreError
from agent.store.models import CollectionRun, ConfigVersion, Device, HealthSample
from agent.store.repository import (
    ComponentState,
    HealthReading,
    InterfaceState,
    LicenceReading,
    SignatureReading,
    acknowledge_event,
    active_devices,
    add_config_version,
    add_event,
    add_health_sample,
    approve_baseline,
    baseline_config,
    close_event,
    component_episodes,
    current_licences,
    events_between,
    failed_components,
    finish_run,
    get_device,
    health_samples,
    health_summary,
    interface_states,
    latest_config,
    latest_signature_versions,
    open_events,
    record_licences,
    record_signature_versions,
    signature_history,
    start_run,
    sync_devices,
)

MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)


def test_sync_devices_adds_updates_retires_and_brings_back(store: Store) -> None:
    with store.session() as session:
        result = sync_devices(session, FLEET, now=T0)
    assert sorted(result.added) == sorted(d.name for d in FLEET)

    moved = replace(FLEET[1], site="branch-2", address="127.0.0.2")
    with store.session() as session:
        run = start_run(session, "sw-hq-1", "health", started_at=T0)
        finish_run(session, run, "ok", finished_at=T0 + MINUTE)
        result = sync_devices(session, [FLEET[0], moved], now=T0 + DAY)
    assert (result.added, result.updated, result.retired) == ([], ["av-branch-1"], ["sw-hq-1"])

    with store.session() as session:
        assert [d.name for d in active_devices(session)] == ["av-branch-1", "fw-hq-1"]
        retired = get_device(session, "sw-hq-1")
        assert retired.retired_at == T0 + DAY
        # Retiring keeps history.
        assert session.query(CollectionRun).filter_by(device_id=retired.id).count() == 1
        branch = get_device(session, "av-branch-1")
        assert (branch.site, branch.address, branch.first_seen) == ("branch-2", "127.0.0.2", T0)
        assert branch.last_seen == T0 + DAY
        assert branch.services == ["HW", "SIG", "TUNE"]

    with store.session() as session:
        result = sync_devices(session, [*FLEET[:1], moved, FLEET[2]], now=T0 + 2 * DAY)
        assert result.returned == ["sw-hq-1"]
        assert get_device(session, "sw-hq-1").retired_at is None


def test_sync_devices_refuses_a_name_listed_twice(fleet_store: Store) -> None:
    with pytest.raises(StoreError, match="listed twice"), fleet_store.session() as session:
        sync_devices(session, [FLEET[0], FLEET[0]], now=T0)


def test_unknown_device_is_a_clear_error(fleet_store: Store) -> None:
    with (
        pytest.raises(StoreError, match="'nope' is not in the store"),
        fleet_store.session() as session,
    ):
        start_run(session, "nope", "health")


def reading(cpu: float, reachable: bool = True, fan: str = "ok") -> HealthReading:
    return HealthReading(
        reachable=reachable,
        rtt_snmp_ms=3.5,
        rtt_ssh_ms=None,
        uptime_s=86_400,
        cpu_ratio=cpu if reachable else None,
        memory_ratio=0.5 if reachable else None,
        disk_ratio=0.25,
        sessions=12_000,
        new_sessions_per_s=42.0,
        ha_role="master",
        components=(
            ComponentState("temperature", "board", "ok", 41.0),
            ComponentState("fan", "fan1", fan, 5200.0),
            ComponentState("psu", "psu2", "ok"),
        ),
        interfaces=(
            InterfaceState(1, "ge0/0", True, True, 1_000_000_000, 2**40, 2**33, 0, 1, 2, 3),
            InterfaceState(2, "ge0/1", True, False),
        ),
    )


def poll(store: Store, device: str, at: dt.datetime, sample: HealthReading) -> None:
    with store.session() as session:
        run = start_run(session, device, "health", started_at=at)
        add_health_sample(session, run, sample)
        finish_run(session, run, "ok" if sample.reachable else "failed", finished_at=at + MINUTE)


def test_runs_and_health_samples_round_trip(fleet_store: Store) -> None:
    poll(fleet_store, "fw-hq-1", T0, reading(0.2))
    with fleet_store.session() as session:
        run = start_run(session, "fw-hq-1", "config", started_at=T0)
        assert run.status == "running" and run.id is not None
        finish_run(session, run, "partial", error="show-running paged oddly", finished_at=T0)
    with fleet_store.session() as session:
        runs = session.query(CollectionRun).order_by(CollectionRun.id).all()
        assert [(r.kind, r.status, r.duration_s) for r in runs] == [
            ("health", "ok", 60.0),
            ("config", "partial", 0.0),
        ]
        assert runs[1].error == "show-running paged oddly"
        (sample,) = health_samples(session, "fw-hq-1", T0, T0 + MINUTE)
    assert sample.sampled_at == T0 and sample.sampled_at.tzinfo is not None
    assert (sample.cpu_ratio, sample.uptime_s, sample.ha_role) == (0.2, 86_400, "master")
    # Components and interfaces are no longer rows per poll (issue 10): an episode per
    # status and a state row per port.
    with fleet_store.session() as session:
        episodes = component_episodes(session, "fw-hq-1", T0, T0 + MINUTE)
        components = {(c.kind, c.name): (c.status, c.last_value, c.samples) for c in episodes}
        ports = interface_states(session, "fw-hq-1")
    assert components == {
        ("temperature", "board"): ("ok", 41.0, 1),
        ("fan", "fan1"): ("ok", 5200.0, 1),
        ("psu", "psu2"): ("ok", None, 1),
    }
    assert (ports[0].in_octets, ports[0].out_discards, ports[1].oper_up) == (2**40, 3, False)


def test_health_range_is_half_open(fleet_store: Store) -> None:
    for minute in range(3):
        poll(fleet_store, "fw-hq-1", T0 + minute * MINUTE, reading(0.1))
    with fleet_store.session() as session:
        samples = health_samples(session, "fw-hq-1", T0 + MINUTE, T0 + 3 * MINUTE)
        assert [s.sampled_at for s in samples] == [T0 + MINUTE, T0 + 2 * MINUTE]
        assert health_samples(session, "av-branch-1", T0, T0 + DAY) == []


def test_monthly_summary_availability_cpu_and_failed_components(fleet_store: Store) -> None:
    march = (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    poll(fleet_store, "fw-hq-1", T0, reading(0.2))
    poll(fleet_store, "fw-hq-1", T0 + MINUTE, reading(0.6, fan="failed"))
    poll(fleet_store, "fw-hq-1", T0 + 2 * MINUTE, reading(0.4, fan="failed"))
    poll(fleet_store, "fw-hq-1", T0 + 3 * MINUTE, reading(0.0, reachable=False))
    poll(fleet_store, "fw-hq-1", march[1], reading(0.99))  # April: outside the range
    with fleet_store.session() as session:
        sync_devices(session, FLEET[:2], now=T0)  # sw-hq-1 retired, but during March
        summary = {line.device: line for line in health_summary(session, *march)}
        failures = failed_components(session, *march)

    firewall = summary["fw-hq-1"]
    assert (firewall.samples, firewall.reachable_samples, firewall.availability) == (4, 3, 0.75)
    assert firewall.cpu_max == pytest.approx(0.6)
    assert firewall.cpu_avg == pytest.approx(0.4)  # unreachable polls have no CPU reading
    assert firewall.memory_max == pytest.approx(0.5)
    assert firewall.disk_max == pytest.approx(0.25)
    assert summary["av-branch-1"].samples == 0
    assert summary["av-branch-1"].availability is None
    assert set(summary) == {"fw-hq-1", "av-branch-1", "sw-hq-1"}

    (failure,) = failures
    assert (failure.device, failure.kind, failure.name, failure.failed_samples) == (
        "fw-hq-1",
        "fan",
        "fan1",
        2,
    )
    assert (failure.first_failed, failure.last_failed) == (T0 + MINUTE, T0 + 2 * MINUTE)

    with fleet_store.session() as session:
        april = (march[1], march[1] + 30 * DAY)
        assert "sw-hq-1" not in {line.device for line in health_summary(session, *april)}


def test_config_versions_dedupe_by_hash_and_keep_history(fleet_store: Store) -> None:
    first = "hostname fw-hq-1\nsnmp-server location hq\n"
    second = "hostname fw-hq-1\nsnmp-server location hq-room-2\n"
    with fleet_store.session() as session:
        v1 = add_config_version(session, "fw-hq-1", first, collected_at=T0)
        again = add_config_version(session, "fw-hq-1", first, collected_at=T0 + DAY)
        v2 = add_config_version(session, "fw-hq-1", second, collected_at=T0 + 2 * DAY)
        back = add_config_version(session, "fw-hq-1", first, collected_at=T0 + 3 * DAY)
        other = add_config_version(session, "av-branch-1", first, collected_at=T0)
    assert (v1.created, again.created, v2.created, back.created) == (True, False, True, True)
    assert again.version.id == v1.version.id
    assert [c.version.sequence for c in (v1, v2, back, other)] == [1, 2, 3, 1]
    assert v1.version.diff is None
    assert v2.version.diff is not None
    assert "-snmp-server location hq\n+snmp-server location hq-room-2" in v2.version.diff

    with fleet_store.session() as session:
        latest = latest_config(session, "fw-hq-1")
        assert latest is not None
        assert (latest.sequence, latest.text, latest.collected_at) == (3, first, T0 + 3 * DAY)
        stored_v1 = session.get(ConfigVersion, v1.version.id)
        assert stored_v1 is not None and stored_v1.last_seen == T0 + DAY
        assert len(stored_v1.sha256) == 64
        assert latest_config(session, "sw-hq-1") is None


def test_only_one_baseline_per_device(fleet_store: Store) -> None:
    with fleet_store.session() as session:
        add_config_version(session, "fw-hq-1", "a\n", collected_at=T0)
        add_config_version(session, "fw-hq-1", "b\n", collected_at=T0 + DAY)
        add_config_version(session, "av-branch-1", "c\n", collected_at=T0)
        approve_baseline(session, "fw-hq-1", "duty-team", sequence=1, approved_at=T0)
        approve_baseline(session, "av-branch-1", "duty-team", approved_at=T0)
    with fleet_store.session() as session:
        approved = approve_baseline(
            session, "fw-hq-1", "tuning-team", note="ACL tuning", approved_at=T0 + DAY
        )
        assert approved.sequence == 2
    with fleet_store.session() as session:
        baseline = baseline_config(session, "fw-hq-1")
        assert baseline is not None
        assert (baseline.sequence, baseline.approved_by, baseline.approval_note) == (
            2,
            "tuning-team",
            "ACL tuning",
        )
        assert baseline.approved_at == T0 + DAY
        previous = session.query(ConfigVersion).filter_by(sequence=1, text="a\n").one()
        assert (previous.is_baseline, previous.approved_by) == (False, "duty-team")
        other = baseline_config(session, "av-branch-1")
        assert other is not None and other.text == "c\n"

    # The database itself refuses a second baseline, whoever writes.
    with pytest.raises(StoreError, match="refused the write"), fleet_store.session() as session:
        previous = session.query(ConfigVersion).filter_by(sequence=1, text="a\n").one()
        previous.is_baseline = True
        session.flush()

    with (
        pytest.raises(StoreError, match="no stored configuration version 9"),
        fleet_store.session() as session,
    ):
        approve_baseline(session, "fw-hq-1", "x", sequence=9)


def test_config_sequence_is_unique_per_device(fleet_store: Store) -> None:
    with fleet_store.session() as session:
        add_config_version(session, "fw-hq-1", "a\n", collected_at=T0)
    with pytest.raises(StoreError, match="refused the write"), fleet_store.session() as session:
        device = get_device(session, "fw-hq-1")
        session.add(
            ConfigVersion(
                device=device,
                sequence=1,
                collected_at=T0,
                last_seen=T0,
                sha256="0" * 64,
                text="b\n",
            )
        )


def test_signature_versions_keep_their_history(fleet_store: Store) -> None:
    old = [
        SignatureReading("ips", "5.6.10.1234", dt.date(2026, 3, 1)),
        SignatureReading("av", "2026.03.01", None),
    ]
    with fleet_store.session() as session:
        assert len(record_signature_versions(session, "av-branch-1", old, seen_at=T0)) == 2
        assert record_signature_versions(session, "av-branch-1", old, seen_at=T0 + DAY) == []
        upgraded = [old[0], SignatureReading("av", "2026.03.08", dt.date(2026, 3, 8))]
        (new,) = record_signature_versions(session, "av-branch-1", upgraded, seen_at=T0 + 2 * DAY)
        assert (new.library, new.version) == ("av", "2026.03.08")
        record_signature_versions(session, "fw-hq-1", old[:1], seen_at=T0)

    with fleet_store.session() as session:
        current = latest_signature_versions(session)
        assert [(s.device.name, s.library, s.version) for s in current] == [
            ("av-branch-1", "av", "2026.03.08"),
            ("av-branch-1", "ips", "5.6.10.1234"),
            ("fw-hq-1", "ips", "5.6.10.1234"),
        ]
        ips = current[1]
        assert (ips.first_seen, ips.last_seen, ips.release_date) == (
            T0,
            T0 + 2 * DAY,
            dt.date(2026, 3, 1),
        )
        only_fw = latest_signature_versions(session, "fw-hq-1")
        assert [s.device.name for s in only_fw] == ["fw-hq-1"]
        upgrades = signature_history(session, T0 + DAY, T0 + 3 * DAY)
        assert [(s.device.name, s.version) for s in upgrades] == [("av-branch-1", "2026.03.08")]
        everything = signature_history(session, T0, T0 + 3 * DAY, device="av-branch-1")
        assert [s.version for s in everything] == ["5.6.10.1234", "2026.03.01", "2026.03.08"]


def test_licences_renewal_is_a_new_row(fleet_store: Store) -> None:
    soon = dt.date(2026, 3, 13)
    with fleet_store.session() as session:
        record_licences(
            session,
            "av-branch-1",
            [LicenceReading("av-update", soon), LicenceReading("base", None)],
            seen_at=T0,
        )
        record_licences(session, "fw-hq-1", [LicenceReading("ips", soon)], seen_at=T0)
    with fleet_store.session() as session:
        expiring = current_licences(session, expiring_before=dt.date(2026, 4, 1))
        assert [(x.device.name, x.feature) for x in expiring] == [
            ("av-branch-1", "av-update"),
            ("fw-hq-1", "ips"),
        ]
        renewed = dt.date(2027, 3, 13)
        (new,) = record_licences(
            session, "av-branch-1", [LicenceReading("av-update", renewed)], seen_at=T0 + DAY
        )
        assert new.expires_on == renewed
    with fleet_store.session() as session:
        expiring = current_licences(session, expiring_before=dt.date(2026, 4, 1))
        assert [(x.device.name, x.feature) for x in expiring] == [("fw-hq-1", "ips")]
        every = current_licences(session)
        assert {(x.feature, x.expires_on) for x in every} == {
            ("av-update", renewed),
            ("base", None),
            ("ips", soon),
        }


def test_events_open_acknowledge_close(fleet_store: Store) -> None:
    with fleet_store.session() as session:
        down = add_event(
            session,
            "device-down",
            "critical",
            "fw-hq-1 answers neither SNMP nor SSH",
            device="fw-hq-1",
            details={"snmp": "timeout", "ssh": "refused", "polls": [1, 2]},
            occurred_at=T0,
        )
        add_event(session, "poller-slow", "warning", "poll round took 95 s", occurred_at=T0)
        add_event(session, "late", "info", "next day", occurred_at=T0 + DAY)
        down_id = down.id
    with fleet_store.session() as session:
        acknowledged = acknowledge_event(session, down_id, "duty-team", at=T0 + MINUTE)
        assert acknowledged.state == "acknowledged"
    with fleet_store.session() as session:
        day = events_between(session, T0, T0 + DAY)
        assert [e.kind for e in day] == ["device-down", "poller-slow"]
        first = day[0]
        assert first.device is not None and first.device.name == "fw-hq-1"
        assert first.details == {"snmp": "timeout", "ssh": "refused", "polls": [1, 2]}
        assert (first.acknowledged_by, first.acknowledged_at) == ("duty-team", T0 + MINUTE)
        assert day[1].device is None and day[1].details == {}
        assert [e.kind for e in events_between(session, T0, T0 + DAY, device="fw-hq-1")] == [
            "device-down"
        ]
        close_event(session, down_id, at=T0 + 2 * MINUTE)
    with fleet_store.session() as session:
        assert [e.kind for e in open_events(session)] == ["poller-slow", "late"]
        closed = events_between(session, T0, T0 + DAY, states=("closed",))
        assert [(e.kind, e.closed_at) for e in closed] == [("device-down", T0 + 2 * MINUTE)]
    with pytest.raises(ValueError, match="severity 'fatal'"), fleet_store.session() as session:
        add_event(session, "x", "fatal", "not a severity")


def test_a_device_with_history_cannot_be_deleted(fleet_store: Store) -> None:
    poll(fleet_store, "fw-hq-1", T0, reading(0.1))
    with pytest.raises(StoreError, match="refused the write"), fleet_store.session() as session:
        session.delete(get_device(session, "fw-hq-1"))
        session.flush()
    with fleet_store.session() as session:
        assert get_device(session, "fw-hq-1").name == "fw-hq-1"
        assert session.query(HealthSample).count() == 1


def test_naive_datetimes_are_refused(fleet_store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"), fleet_store.session() as session:
        start_run(session, "fw-hq-1", "health", started_at=dt.datetime(2026, 3, 6, 8, 0))


def test_timestamps_come_back_in_utc(fleet_store: Store) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    with fleet_store.session() as session:
        run = start_run(session, "fw-hq-1", "health", started_at=T0.astimezone(beijing))
        run_id = run.id
    with fleet_store.session() as session:
        stored = session.get(CollectionRun, run_id)
        assert stored is not None
        assert stored.started_at == T0 and stored.started_at.utcoffset() == dt.timedelta(0)
        device = session.query(Device).filter_by(name=FakeInventoryDevice("fw-hq-1").name).one()
        assert device.first_seen == T0
