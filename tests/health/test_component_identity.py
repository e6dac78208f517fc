"""One identity per component (issue 12 item 3): a fan or power supply read over SNMP and then
over the CLI fallback keeps the SNMP name, so the store, the documents and /metrics see one
component. The names come from the real lab (SNMP agent and SSH server on loopback) and the
profiles' ``[components]`` rules (collectors/component_names.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

import pytest

from agent.inventory import Device
from agent.lab.lab import Lab
from agent.metrics import FleetCollector
from agent.recorder import Recorder
from agent.reports.build import build_document, read_data
from agent.reports.period import day_period, report_timezone
from agent.reports.render_md import render_markdown
from agent.reports.settings import ReportSettings
from agent.state import FleetState
from agent.store import open_store
from agent.store import repository as repo
from agent.store.schema import upgrade
from collectors.base import HealthSnapshot
from collectors.component_names import component_namer, namer_from_profile
from collectors.health import HealthCollector

# One model per CLI layout of the lab: every vendor, both Comware families.
MODELS = [
    "NGFW4000",  # topsec
    "TD3000-FS1200",  # leadsec
    "SASNX3-GL2100",  # nsfocus
    "USG-1008DP",  # venustech
    "S5500",  # h3c Comware 5
    "LS-5560-54C-EI",  # h3c Comware 7
    "S5700",  # huawei
]


def _device_of(model: str, devices: list[Device]) -> Device:
    return next(device for device in devices if device.model == model)


def _names(snapshot: HealthSnapshot) -> tuple[set[str], set[str]]:
    return {f.name for f in snapshot.fans}, {p.name for p in snapshot.power_supplies}


def _snmp_then_cli(lab: Lab, device: Device) -> tuple[HealthSnapshot, HealthSnapshot]:
    by_snmp = asyncio.run(HealthCollector().collect(device))
    lab.set_fault(device.name, "snmp-timeout")
    lab.set_fault(device.name, "fan-fail")
    by_cli = asyncio.run(HealthCollector().collect(device))
    return by_snmp, by_cli


@pytest.mark.parametrize("model", MODELS)
def test_the_cli_fallback_names_components_as_snmp_does(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = _device_of(model, lab_devices)
    by_snmp, by_cli = _snmp_then_cli(clean_lab, device)
    assert "fans" not in by_snmp.unreadable and "timeout" in by_cli.unreadable["snmp"]
    snmp_fans, snmp_psus = _names(by_snmp)
    cli_fans, cli_psus = _names(by_cli)
    assert cli_fans and cli_psus, by_cli.unreadable
    if model == "S5700":
        # The lab's VRP prints one fan where its MIB has two: the one it prints is the first.
        assert cli_fans <= snmp_fans and cli_psus <= snmp_psus
    else:
        assert (cli_fans, cli_psus) == (snmp_fans, snmp_psus)
    # The failed fan is the first one both ways: the same name carries the fault.
    assert by_cli.fans[0].state == "failed" and by_cli.fans[0].name == by_snmp.fans[0].name


def test_a_component_read_by_snmp_then_cli_is_one_in_documents_and_metrics(
    clean_lab: Lab, lab_devices: list[Device], tmp_path: Path
) -> None:
    device = _device_of("NGFW4000", lab_devices)
    by_snmp, by_cli = _snmp_then_cli(clean_lab, device)
    period = day_period("2026-11-10", report_timezone("Asia/Shanghai"))
    by_snmp.collected_at = period.start + dt.timedelta(hours=1)
    by_cli.collected_at = period.start + dt.timedelta(hours=2)

    # /metrics: the CLI snapshot replaces the SNMP one without a new fan or PSU series.
    state = FleetState()
    state.set_devices([device])
    metrics = FleetCollector(state)
    series: list[set[str]] = []
    for snapshot in (by_snmp, by_cli):
        state.update_health(snapshot)
        text = metrics.render().decode()
        series.append(set(re.findall(r"^(netmon_(?:fan|power_supply)_ok\{[^}]*\})", text, re.M)))
    assert series[0] and series[0] == series[1]

    # The store and the documents: two fans (one failed by the CLI poll), two supplies.
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    try:
        with store.session() as session:
            repo.sync_devices(session, [device], now=period.start - dt.timedelta(days=1))
        recorder = Recorder(store)
        for snapshot in (by_snmp, by_cli):
            recorder.save_health(snapshot, snapshot.collected_at)
        data = read_data(store, period, period.end)
    finally:
        store.close()
    components = data.health[device.name].components
    assert sorted((c.kind, c.name, c.status) for c in components) == [
        ("fan", "Fan 1", "failed"),
        ("fan", "Fan 2", "ok"),
        ("psu", "Power Supply 1", "ok"),
        ("psu", "Power Supply 2", "ok"),
    ]
    assert [(f.kind, f.name) for f in data.faults] == [("fan", "Fan 1")]
    document = build_document("monthly", data, "en", ReportSettings(agency="A", contractor="C"))
    markdown, _ = render_markdown(document, "assets")
    assert "| Fans | 2, not ok: Fan 1" in markdown


def test_the_corpus_names_are_what_the_cli_rules_give() -> None:
    """The real-shaped SNMP corpus (tests/corpus/snmp) names VRP stack members' fans and
    supplies by slot.index from 0; `display fan` / `display power` on the same stack print
    Slot and a number from 1 (huawei/cli.toml [components])."""
    import json

    corpus = Path(__file__).resolve().parents[1] / "corpus" / "snmp"
    expected = json.loads((corpus / "vrp-s5700-stack-bad-values.json").read_text())["snapshot"]
    namer = component_namer("huawei")
    assert [namer("fans", n) for n in ("Slot 0 Fan 1", "Slot 1 Fan 1")] == [
        name for name, _, _ in expected["fans"]
    ]
    assert [namer("psus", n) for n in ("Slot 0 PWR2", "Slot 1 PWR2")] == [
        name for name, _, _ in expected["power_supplies"]
    ]


def test_a_name_no_rule_matches_is_kept_as_printed() -> None:
    namer = namer_from_profile(
        "x",
        {"components": {"fans": [{"pattern": r"fan(?P<number>\d+)", "name": "Fan {number}"}]}},
    )
    assert namer("fans", "fan3") == "Fan 3"
    assert namer("fans", "Slot 2 fan 3") == "Slot 2 fan 3"  # the whole name must match
    assert namer("psus", "power1") == "power1"  # no rules for supplies
