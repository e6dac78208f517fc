"""The lab's SNMP recordings against the vendor profiles and lab behaviour files (no network).

Every model of every models.toml has a recording that parses, is recognised by its vendor's
snmp.toml as that vendor (and as that model where the profile can tell models apart), and holds
every OID the profile lists for the model's kind and every OID the lab behaviour file uses.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import pytest

from agent.lab.device import (
    TAG_OBJECT_ID,
    VendorBehaviour,
    format_oid,
    load_vendor_behaviour,
    model_slug,
    parse_oid,
    parse_snmprec,
)
from collectors.profiles import VendorProfile, load_profiles

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_IN_OCTETS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 10)
IF_REQUIRED_COLUMNS = {
    "ifTable": [2, 3, 4, 5, 7, 8, 10, 13, 14, 16, 19, 20],
    "ifXTable": [1, 6, 10, 15],
}
VALUE_COLUMN_KEYS = (
    "column",
    "state_column",
    "name_column",
    "absent_column",
    "descr_column",
    "units_column",
    "size_column",
    "used_column",
)

Recording = dict[tuple[int, ...], Any]


def _text(relative: str) -> str:
    return resources.files("agent.lab").joinpath(relative).read_text(encoding="utf-8")


def _cases() -> list[tuple[str, str, str]]:
    return [
        (vendor, model, info.kind)
        for vendor, profile in load_profiles().items()
        for model, info in profile.models.items()
    ]


CASES = _cases()
IDS = [f"{vendor}:{model}" for vendor, model, _ in CASES]


def _recording(model: str) -> Recording:
    slug = model_slug(model)
    return parse_snmprec(_text(f"recordings/{slug}.snmprec"), f"recordings/{slug}.snmprec")


def _string(recording: Recording, oid: tuple[int, ...]) -> str:
    value = recording[oid].value
    return value.decode() if isinstance(value, bytes) else str(value)


def _rows(recording: Recording, column: tuple[int, ...]) -> dict[tuple[int, ...], Any]:
    width = len(column)
    return {oid[width:]: v for oid, v in recording.items() if oid[:width] == column}


def _applies(entry: dict[str, Any], model: str, kind: str) -> bool:
    kinds = entry.get("kinds")
    models = entry.get("models")
    return (kinds is None or kind in kinds) and (models is None or model in models)


def _matches(recorded: Any, wanted: list[int | str]) -> bool:
    value = recorded.value
    if recorded.tag == TAG_OBJECT_ID:
        return str(value) in {str(w) for w in wanted}
    return value in wanted


def _recognised_vendor(snmp: dict[str, Any], sys_object_id: str, sys_descr: str) -> bool:
    rules = snmp.get("recognition", {})
    by_oid = any(sys_object_id.startswith(p) for p in rules.get("sys_object_id_prefixes", []))
    by_descr = any(re.search(p, sys_descr) for p in rules.get("sys_descr_patterns", []))
    return by_oid or by_descr


def _recognised_models(snmp: dict[str, Any], sys_object_id: str, sys_descr: str) -> set[str]:
    found = set()
    for model, rules in snmp.get("models", {}).items():
        oid_ok = "sys_object_id" not in rules or rules["sys_object_id"] == sys_object_id
        pattern = rules.get("sys_descr_pattern")
        descr_ok = pattern is None or re.search(pattern, sys_descr) is not None
        if oid_ok and descr_ok:
            found.add(model)
    return found


# --- every model ------------------------------------------------------------------------------
@pytest.mark.parametrize(("vendor", "model", "kind"), CASES, ids=IDS)
def test_recording_exists_and_parses(vendor: str, model: str, kind: str) -> None:
    recording = _recording(model)
    for oid in (SYS_DESCR, SYS_OBJECT_ID, IF_NUMBER):
        assert oid in recording, f"{model}: {format_oid(oid)} missing"


@pytest.mark.parametrize(("vendor", "model", "kind"), CASES, ids=IDS)
def test_recording_is_recognised_as_its_vendor_and_model(vendor: str, model: str, kind: str):
    recording = _recording(model)
    sys_object_id = _string(recording, SYS_OBJECT_ID)
    sys_descr = _string(recording, SYS_DESCR)
    profiles = load_profiles()
    assert _recognised_vendor(profiles[vendor].snmp, sys_object_id, sys_descr)
    for other, profile in profiles.items():
        if other != vendor:
            assert not _recognised_vendor(profile.snmp, sys_object_id, sys_descr), (
                f"{model} is also recognised as {other}"
            )
    if model in profiles[vendor].snmp.get("models", {}):
        assert _recognised_models(profiles[vendor].snmp, sys_object_id, sys_descr) == {model}


@pytest.mark.parametrize(("vendor", "model", "kind"), CASES, ids=IDS)
def test_interfaces_are_complete(vendor: str, model: str, kind: str) -> None:
    recording = _recording(model)
    count = int(recording[IF_NUMBER].value)
    assert count == len(_rows(recording, IF_DESCR)) >= 4
    for table, columns in (("ifTable", IF_REQUIRED_COLUMNS["ifTable"]),):
        for column in columns:
            rows = _rows(recording, (1, 3, 6, 1, 2, 1, 2, 2, 1, column))
            assert len(rows) == count, f"{model}: {table} column {column} incomplete"
    for column in IF_REQUIRED_COLUMNS["ifXTable"]:
        assert len(_rows(recording, (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, column))) == count
    oper = _rows(recording, (1, 3, 6, 1, 2, 1, 2, 2, 1, 8))
    assert {v.value for v in oper.values()} >= {1, 2}, "some ports should be down"
    # At least one Counter32 close to 2**32, so that wraps happen in the lab within minutes.
    assert max(int(v.value) for v in _rows(recording, IF_IN_OCTETS).values()) > 2**32 - 10**7


@pytest.mark.parametrize(("vendor", "model", "kind"), CASES, ids=IDS)
def test_recording_has_every_profile_oid_for_its_kind(vendor: str, model: str, kind: str):
    recording = _recording(model)
    health = load_profiles()[vendor].snmp.get("health", {})
    assert {"cpu", "temperature", "fans", "psus"} <= set(health)
    checked = 0
    for name, entry in health.items():
        if not _applies(entry, model, kind):
            continue
        checked += 1
        where = f"{model}: health.{name}"
        if "oid" in entry:
            assert parse_oid(entry["oid"]) in recording, f"{where}: {entry['oid']} missing"
        selected: set[tuple[int, ...]] | None = None
        if "where" in entry:
            rows = _rows(recording, parse_oid(entry["where"]["column"]))
            if not rows and entry["where"].get("if_missing") == "all-rows":
                # A real shape: the agent lacks the selector column and the profile says to
                # read every row then; the value column itself must still have rows (below).
                rows = None
            else:
                selected = {i for i, v in rows.items() if _matches(v, entry["where"]["equals"])}
                assert selected, f"{where}: no row matches {entry['where']}"
        columns = {key: entry[key] for key in VALUE_COLUMN_KEYS if key in entry}
        # The per-row columns a number is read with: without them every lab temperature would
        # be read as a plain integer with no status, so the lab must hold them on its rows.
        if "status" in entry:
            columns["status.column"] = entry["status"]["column"]
        for key, column in entry.get("entity_sensor_scale", {}).items():
            columns[f"entity_sensor_scale.{key}"] = column
        for key, column in columns.items():
            rows = _rows(recording, parse_oid(column))
            assert rows, f"{where}: {key} {column} has no rows"
            if selected:
                missing = selected - set(rows)
                assert not missing, f"{where}: {key} lacks rows {sorted(missing)}"
    assert checked >= 4


@pytest.mark.parametrize(("vendor", "model", "kind"), CASES, ids=IDS)
def test_recording_names_its_sources(vendor: str, model: str, kind: str) -> None:
    text = _text(f"recordings/{model_slug(model)}.snmprec")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments and "scripts/make_recordings.py" in comments[1]
    sections = [c for c in comments if "MIB" in c or "unverified" in c or "public" in c]
    assert len(sections) >= 4
    # Every OID line follows a source comment (the header is not one).
    seen_section = False
    for line in text.splitlines():
        if line.startswith("#"):
            seen_section = seen_section or line in sections
        elif line.strip():
            assert seen_section, f"{model}: {line} comes before any source comment"


# --- per vendor -------------------------------------------------------------------------------
VENDORS = sorted(load_profiles())


def _vendor_recordings(profile: VendorProfile) -> dict[str, Recording]:
    return {model: _recording(model) for model in profile.models}


@pytest.mark.parametrize("vendor", VENDORS)
def test_lab_behaviour_oids_exist_in_the_vendors_recordings(vendor: str) -> None:
    behaviour: VendorBehaviour = load_vendor_behaviour(vendor)
    recordings = _vendor_recordings(load_profiles()[vendor])
    assert {"cpu", "temperature"} <= set(behaviour.metrics)
    assert "memory" in behaviour.metrics or {"memory_total", "memory_free"} <= set(
        behaviour.metrics
    )
    everywhere = {"cpu", "temperature", "memory", "memory_total", "memory_free"}
    for name, oid in behaviour.metrics.items():
        holders = [m for m, rec in recordings.items() if oid in rec]
        assert holders, f"{vendor}: metric {name} {format_oid(oid)} is in no recording"
        if name in everywhere:
            assert len(holders) == len(recordings), f"{vendor}: metric {name} not everywhere"
    for oid in behaviour.moving:
        assert any(oid in rec for rec in recordings.values()), format_oid(oid)
    assert {"cpu-high", "fan-fail", "psu-fail"} <= {f.value for f in behaviour.fault_overrides}
    for fault, overrides in behaviour.fault_overrides.items():
        for override in overrides:
            for model, rec in recordings.items():
                if override.whole_column:
                    assert _rows(rec, override.oid), f"{model}: {fault} {override.oid}"
                else:
                    assert override.oid in rec, f"{model}: {fault} {format_oid(override.oid)}"


FIREWALL_VENDORS = sorted(
    vendor
    for vendor, profile in load_profiles().items()
    if {info.kind for info in profile.models.values()} & {"firewall", "vpn"}
)


def test_firewall_vendors_are_the_expected_ones() -> None:
    assert FIREWALL_VENDORS == ["leadsec", "topsec", "venustech"]


@pytest.mark.parametrize("vendor", FIREWALL_VENDORS)
def test_firewall_vendors_give_sessions(vendor: str) -> None:
    profile = load_profiles()[vendor]
    assert "sessions" in load_vendor_behaviour(vendor).metrics
    assert {"sessions", "new_sessions", "ha_role"} <= set(profile.snmp["health"])


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_profile_fact_has_a_source(vendor: str) -> None:
    snmp = load_profiles()[vendor].snmp
    entries = [snmp["recognition"], *snmp.get("models", {}).values(), *snmp["health"].values()]
    for entry in entries:
        assert entry.get("source") or entry.get("unverified"), entry


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_lab_behaviour_oid_has_a_comment(vendor: str) -> None:
    text = _text(f"vendors/{vendor}.toml")
    tomllib.loads(text)
    oid_line = re.compile(r'^\s*("?[\w.*-]+"?)\s*=\s*("[0-9.]+"|\d+)\s*(#.*)?$')
    for line in text.splitlines():
        match = oid_line.match(line)
        if match and re.search(r"\d+\.\d+\.\d+", line):
            assert match.group(3), f"vendors/{vendor}.toml: no source comment on {line!r}"
