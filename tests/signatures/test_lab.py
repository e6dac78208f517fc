"""The signature collector against the loopback lab: what it reads equals what the simulated
devices print (expected values come from the lab's own data and render functions, not from
our parser), and lab faults give upgrades, rollbacks and expiring licences."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from signature_support import record

from agent.inventory import load_inventory
from agent.lab.cli.render import DeviceView, bump_version
from agent.lab.cli.spec import load_cli_spec
from agent.signatures import fleet_rows
from agent.store import repository as repo
from collectors.drivers import library_kind
from collectors.signatures import collect_signatures, staleness_rules

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.lab.lab import Lab
    from agent.store import Store
    from collectors.signatures import SignatureSnapshot

DAY = dt.timedelta(days=1)
SHIPPED = load_inventory(Path(__file__).resolve().parents[2] / "inventory.toml")


def _one_per_model(in_scope: bool) -> list[str]:
    names: dict[str, str] = {}
    for device in SHIPPED.devices:
        if ("signatures" in device.services) is in_scope:
            names.setdefault(device.model, device.name)
    return sorted(names.values())


IN_SCOPE = _one_per_model(True)
OUT_OF_SCOPE = _one_per_model(False)
ONE_PER_VENDOR = ["leadsec-a2350-01", "nsfocus-sas-gl2100-01", "venus-1008dp-01"]


def device_named(lab_devices: list[Device], name: str) -> Device:
    return next(d for d in lab_devices if d.name == name)


class Printed:
    """What the lab device prints right now, from the lab's data and render code."""

    def __init__(self, lab: Lab, device: Device) -> None:
        sim = lab.device(device.name)
        spec = load_cli_spec(device.vendor, device.model)
        self.date_format = str(spec.values.get("date_format", "%Y-%m-%d"))
        items = DeviceView(sim, spec).items(dt.date.today(), self.date_format)
        self.libraries = [
            (str(e["name"]), str(e["version"]), self.day(str(e["released"])))
            for e in items["signatures"]
        ]
        self.licences = [(str(e["name"]), self.day(str(e["expires"]))) for e in items["licences"]]
        self.software = str(spec.values["software"])
        self.spec_versions = {str(e["name"]): str(e["version"]) for e in spec.signatures}

    def day(self, text: str) -> dt.date:
        return dt.datetime.strptime(text, self.date_format).date()


def read(snapshot: SignatureSnapshot) -> tuple[list, list]:
    libraries = [(lib.printed, lib.version, lib.release_date) for lib in snapshot.libraries]
    licences = [(lic.feature, lic.expires_on) for lic in snapshot.licences]
    return libraries, licences


def test_the_scope_lists_cover_the_fleet() -> None:
    assert len(IN_SCOPE) == 11  # Leadsec 6, NSFOCUS 1, Venustech 4 models
    assert sum("signatures" in d.services for d in SHIPPED.devices) == 24
    assert {d.vendor for d in SHIPPED.devices if d.name in OUT_OF_SCOPE} == {
        "topsec",
        "h3c",
        "huawei",
    }


@pytest.mark.parametrize("name", IN_SCOPE)
def test_in_scope_models_read_what_the_lab_prints(
    name: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = device_named(lab_devices, name)
    snapshot = collect_signatures(device)
    printed = Printed(clean_lab, device)
    assert snapshot.errors == {}
    assert snapshot.in_scope and snapshot.reachable
    assert read(snapshot) == (printed.libraries, printed.licences)
    assert snapshot.software_version == printed.software
    assert [lib.kind for lib in snapshot.libraries] == [
        library_kind(lib_name) for lib_name, _, _ in printed.libraries
    ]
    assert len(snapshot.libraries) >= 1 and len(snapshot.licences) >= 1


@pytest.mark.parametrize("name", OUT_OF_SCOPE)
def test_out_of_scope_models_still_report_software_and_licences(
    name: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = device_named(lab_devices, name)
    snapshot = collect_signatures(device)
    printed = Printed(clean_lab, device)
    assert not snapshot.in_scope and snapshot.errors == {}
    assert snapshot.software_version == printed.software
    libraries, licences = read(snapshot)
    assert licences == printed.licences  # Topsec: its licences; switches: none
    assert libraries == printed.libraries  # Topsec prints its libraries; switches none
    if device.vendor in ("h3c", "huawei"):
        assert libraries == [] and licences == []


@pytest.mark.parametrize("name", ONE_PER_VENDOR)
def test_signature_update_gives_one_upgrade_per_library_and_clearing_it_a_rollback(
    name: str, clean_lab: Lab, lab_devices: list[Device], store: Store
) -> None:
    device = device_named(lab_devices, name)
    printed = Printed(clean_lab, device)
    first = collect_signatures(device)
    assert record(store, first).changes == []

    clean_lab.set_fault(device.name, "signature-update")
    updated = collect_signatures(device)
    outcome = record(store, updated)
    again = record(store, collect_signatures(device))  # the same versions: nothing new
    assert again.changes == []
    expected = sorted(
        (lib.library, printed.spec_versions[lib.printed], bump_version(lib.version))
        for lib in first.libraries
    )
    today = dt.date.today()
    with store.session() as session:
        upgrades = repo.upgrades_between(session, first.collected_at, updated.collected_at + DAY)
        assert sorted((u.library, u.from_version, u.to_version) for u in upgrades) == expected
        assert not any(u.rollback for u in upgrades)
        assert all(u.release_date == today for u in upgrades)
        events = repo.events_between(session, first.collected_at, updated.collected_at + DAY)
        assert sorted(e.details["library"] for e in events if e.kind == "signature-upgrade") == [
            library for library, _, _ in expected
        ]
    assert len(outcome.changes) == len(first.libraries)

    clean_lab.clear(device.name)  # the lab goes back to the older libraries
    back = record(store, collect_signatures(device))
    assert sorted((c.library, c.from_version, c.to_version, c.rollback) for c in back.changes) == [
        (library, new, old, True) for library, old, new in expected
    ]


@pytest.mark.parametrize("name", ONE_PER_VENDOR)
def test_licence_expiring_is_marked(
    name: str, clean_lab: Lab, lab_devices: list[Device], store: Store
) -> None:
    device = device_named(lab_devices, name)
    rules = staleness_rules()
    record(store, collect_signatures(device))
    with store.session() as session:
        (view,) = fleet_rows(session, rules, device=device.name)
        assert view.licences and not any(lic.expiring for lic in view.licences)
    clean_lab.set_fault(device.name, "licence-expiring")
    expiring = collect_signatures(device)
    assert all(
        lic.expires_on == dt.date.today() + dt.timedelta(days=7) for lic in expiring.licences
    )
    record(store, expiring)
    with store.session() as session:
        (view,) = fleet_rows(session, rules, device=device.name)
        assert view.licences and all(lic.expiring for lic in view.licences)
        quiet = staleness_rules(silenced={device.name})
        (silenced,) = fleet_rows(session, quiet, device=device.name)
        assert not any(lic.expiring for lic in silenced.licences)


def test_stale_libraries_are_marked_by_rule(
    clean_lab: Lab, lab_devices: list[Device], store: Store
) -> None:
    device = device_named(lab_devices, "venus-1008dp-01")
    printed = Printed(clean_lab, device)
    record(store, collect_signatures(device))
    today = dt.date.today()
    ages = {library_kind(n): (today - released).days for n, _, released in printed.libraries}
    with store.session() as session:
        (default,) = fleet_rows(session, staleness_rules(), today, device=device.name)
        limits = {"av": 7, "ips": 14, "url": 30, "app": 30}
        assert {lib.library: lib.stale for lib in default.libraries} == {
            **{kind: ages[kind] > limits[kind] for kind in ages},
            "software": False,
        }
        assert any(lib.stale for lib in default.libraries)  # the lab's URL library is 60 d old
        (strict,) = fleet_rows(session, staleness_rules({"default": 0}), today, device=device.name)
        assert all(lib.stale for lib in strict.libraries if lib.library != "software")
