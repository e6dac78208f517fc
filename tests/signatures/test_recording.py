"""Recording snapshots: history on change only, upgrade records, rollbacks, events, and
nothing erased by a partial or failed fetch (agent/signatures.py)."""

from __future__ import annotations

import datetime as dt

from signature_support import T0, record, snapshot
from sqlalchemy import select

from agent.signatures import fleet_rows
from agent.store import Store
from agent.store import repository as repo
from agent.store.models import CollectionRun
from collectors.signatures import staleness_rules

DAY = dt.timedelta(days=1)
LATER = T0 + DAY


def _versions(store: Store, device: str = "leadsec-a2350-01") -> dict[str, str]:
    with store.session() as session:
        return {r.library: r.version for r in repo.latest_signature_versions(session, device)}


def _upgrades(store: Store) -> list[tuple[str, str, str, bool]]:
    with store.session() as session:
        return [
            (u.library, u.from_version, u.to_version, u.rollback)
            for u in repo.upgrades_between(session, T0 - DAY, T0 + 30 * DAY)
        ]


def _events(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [(e.kind, e.severity) for e in repo.events_between(session, T0, T0 + 30 * DAY)]


def test_first_sighting_stores_rows_but_no_upgrade(store: Store) -> None:
    outcome = record(store, snapshot())
    assert outcome.status == "ok" and outcome.changes == []
    assert _versions(store) == {"av": "20261118.01", "software": "V3.6.2.1"}
    assert _upgrades(store) == [] and _events(store) == []


def test_same_versions_again_add_no_row(store: Store) -> None:
    record(store, snapshot())
    record(store, snapshot(at=LATER))
    with store.session() as session:
        rows = repo.signature_history(session, T0, T0 + 30 * DAY, "leadsec-a2350-01")
    assert len(rows) == 2  # av and software, each once
    assert all(row.last_seen == LATER for row in rows)


def test_an_upgrade_is_recorded_once_with_its_event(store: Store) -> None:
    record(store, snapshot())
    released = dt.date(2026, 11, 21)
    newer = {"av": ("av", "20261121.01", released)}
    outcome = record(store, snapshot(at=LATER, libraries=newer))
    assert [(c.library, c.from_version, c.to_version) for c in outcome.changes] == [
        ("av", "20261118.01", "20261121.01")
    ]
    record(store, snapshot(at=LATER + DAY, libraries=newer))  # seen again: nothing new
    assert _upgrades(store) == [("av", "20261118.01", "20261121.01", False)]
    with store.session() as session:
        (upgrade,) = repo.upgrades_between(session, T0, T0 + 30 * DAY)
        assert upgrade.seen_at == LATER and upgrade.release_date == released
        assert upgrade.device.name == "leadsec-a2350-01"
    assert _events(store) == [("signature-upgrade", "info")]


def test_a_lower_version_is_flagged_as_a_rollback(store: Store) -> None:
    record(store, snapshot(libraries={"ips": ("ips", "3.1.0.1042", None)}))
    outcome = record(store, snapshot(at=LATER, libraries={"ips": ("ips", "3.1.0.999", None)}))
    assert [c.rollback for c in outcome.changes] == [True]
    assert _upgrades(store) == [("ips", "3.1.0.1042", "3.1.0.999", True)]
    assert _events(store) == [("signature-rollback", "warning")]
    assert _versions(store)["ips"] == "3.1.0.999"  # what the box runs now


def test_a_software_change_is_an_upgrade_too(store: Store) -> None:
    record(store, snapshot())
    record(store, snapshot(at=LATER, software="V3.6.3.0"))
    assert _upgrades(store) == [("software", "V3.6.2.1", "V3.6.3.0", False)]


def test_the_same_version_written_differently_is_no_change(store: Store) -> None:
    record(store, snapshot(libraries={"ips": ("ips", "3.1.0", None)}))
    outcome = record(store, snapshot(at=LATER, libraries={"ips": ("ips", "3.1", None)}))
    assert outcome.changes == [] and _upgrades(store) == []
    assert _versions(store)["ips"] == "3.1.0"


def test_a_library_missing_from_a_fetch_is_kept_and_reported(store: Store) -> None:
    both = {"av": ("av", "20261118.01", None), "ips": ("ips", "3.1.0.1042", None)}
    record(store, snapshot(libraries=both))
    partial = snapshot(at=LATER, libraries={"av": ("av", "20261118.01", None)})
    outcome = record(store, partial)
    assert outcome.status == "partial"
    assert "ips is missing from this fetch" in partial.errors["library ips"]
    assert "3.1.0.1042 is kept" in partial.errors["library ips"]
    assert _versions(store)["ips"] == "3.1.0.1042"
    with store.session() as session:
        runs = session.scalars(select(CollectionRun).order_by(CollectionRun.id)).all()
        assert [(run.kind, run.status) for run in runs] == [
            ("signatures", "ok"),
            ("signatures", "partial"),
        ]
        assert runs[1].error is not None and "ips is missing" in runs[1].error


def test_an_unreachable_device_changes_nothing(store: Store) -> None:
    record(store, snapshot(licences={"system": dt.date(2028, 7, 17)}))
    failed = snapshot(at=LATER, libraries={}, licences={}, software=None)
    failed.reachable = False
    failed.errors["session"] = "leadsec-a2350-01: timed out"
    assert record(store, failed).status == "failed"
    assert _versions(store) == {"av": "20261118.01", "software": "V3.6.2.1"}
    with store.session() as session:
        assert [lic.expires_on for lic in repo.current_licences(session)] == [dt.date(2028, 7, 17)]


def test_licence_renewals_and_new_expiries_are_recorded(store: Store) -> None:
    record(store, snapshot(licences={"system": dt.date(2026, 12, 1), "ips": None}))
    outcome = record(
        store,
        snapshot(at=LATER, licences={"system": dt.date(2027, 12, 1), "ips": dt.date(2027, 1, 1)}),
    )
    assert sorted(outcome.licence_changes) == [
        ("ips", None, dt.date(2027, 1, 1)),
        ("system", dt.date(2026, 12, 1), dt.date(2027, 12, 1)),
    ]
    assert sorted(_events(store)) == [("licence-changed", "warning"), ("licence-renewed", "info")]


def test_a_licence_missing_from_a_fetch_is_kept(store: Store) -> None:
    record(store, snapshot(licences={"system": dt.date(2028, 7, 17), "ips": None}))
    partial = snapshot(at=LATER, licences={"system": dt.date(2028, 7, 17)})
    record(store, partial)
    assert "licence ips" in partial.errors
    with store.session() as session:
        assert sorted(lic.feature for lic in repo.current_licences(session)) == ["ips", "system"]


def test_fleet_rows_mark_stale_and_expiring(store: Store) -> None:
    today = dt.date(2026, 11, 25)
    record(
        store,
        snapshot(
            libraries={
                "av": ("av", "20261115.01", dt.date(2026, 11, 15)),  # 10 days: stale (7)
                "ips": ("ips", "3.1.0.1042", dt.date(2026, 11, 20)),  # 5 days: fresh (14)
            },
            licences={"system": today + dt.timedelta(days=7), "upgrade": None},
        ),
    )
    with store.session() as session:
        (view,) = fleet_rows(session, staleness_rules(), today)
        marks = {lib.library: lib.stale for lib in view.libraries}
        expiring = {lic.feature: lic.expiring for lic in view.licences}
        assert marks == {"av": True, "ips": False, "software": False}
        assert expiring == {"system": True, "upgrade": False}
        (quiet,) = fleet_rows(session, staleness_rules(silenced={"leadsec-a2350-01"}), today)
        assert quiet.silenced and not any(lib.stale for lib in quiet.libraries)
        assert not any(lic.expiring for lic in quiet.licences)


def test_the_daemon_kind_keeps_state_from_the_store(store: Store, inventory) -> None:
    from agent.kinds import SignaturesKind
    from agent.state import FleetState
    from collectors.signatures import SignatureCollector

    state = FleetState()
    state.set_devices(inventory.devices)
    kind = SignaturesKind(SignatureCollector(), store, staleness_rules(), state)
    both = {"av": ("av", "20261118.01", None), "ips": ("ips", "3.1.0.1042", None)}
    complete = snapshot(libraries=both, licences={"system": dt.date(2028, 7, 17)})
    kind.update_state(state, complete)
    kind.record(complete, T0)
    partial = snapshot(at=LATER, libraries={"av": ("av", "20261118.02", None)})
    assert kind.outcome(partial).success
    kind.update_state(state, partial)  # partial: the loop leaves the state alone
    kind.record(partial, LATER)  # the store's view (ips kept) goes to the state
    (view,) = [d for d in state.view().devices if d.info.name == "leadsec-a2350-01"]
    assert {(lib.library, lib.version) for lib in view.libraries} == {
        ("av", "20261118.02"),
        ("ips", "3.1.0.1042"),
    }
    assert [(lic.licence, lic.expires_on) for lic in view.licences] == [
        ("system", dt.date(2028, 7, 17))
    ]
    down = kind.failed(inventory.by_name("leadsec-a2350-01"), "timeout", "timed out")
    outcome = kind.outcome(down)
    assert outcome.unreachable and outcome.error_reason == "timeout"
