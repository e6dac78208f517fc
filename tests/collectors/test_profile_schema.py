"""The typed schema of models.toml and snmp.toml: typos and bad values fail at load, naming
the file and the key, instead of becoming silent defaults."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any

import pytest

from collectors.profiles import load_profiles
from collectors.profiles.snmp_schema import (
    ProfileSchemaError,
    check_models_file,
    check_snmp_profile,
)

PATH = "collectors/profiles/h3c/snmp.toml"


def _shipped(vendor: str, filename: str) -> dict[str, Any]:
    resource = resources.files("collectors.profiles").joinpath(f"{vendor}/{filename}")
    return tomllib.loads(resource.read_text(encoding="utf-8"))


def _h3c() -> dict[str, Any]:
    return copy.deepcopy(_shipped("h3c", "snmp.toml"))


def _refused(data: dict[str, Any]) -> str:
    with pytest.raises(ProfileSchemaError) as caught:
        check_snmp_profile(data, PATH)
    return str(caught.value)


@pytest.mark.parametrize("vendor", sorted(load_profiles()))
def test_every_shipped_profile_follows_the_schema(vendor: str) -> None:
    check_models_file(_shipped(vendor, "models.toml"), f"{vendor}/models.toml")
    check_snmp_profile(_shipped(vendor, "snmp.toml"), f"{vendor}/snmp.toml")


def test_a_misspelt_key_names_file_and_key() -> None:
    data = _h3c()
    data["health"]["cpu"]["aggregte"] = data["health"]["cpu"].pop("aggregate")
    assert _refused(data) == f"{PATH}: health.cpu.aggregte: unknown key"


def test_a_misspelt_key_in_a_fallback_is_named_with_its_position() -> None:
    data = _h3c()
    data["health"]["fans"]["fallback"][0]["state_colum"] = "1.3.6.1"
    message = _refused(data)
    assert "health.fans.fallback.0.state_colum: unknown key" in message


def test_an_unknown_value_name_is_refused() -> None:
    data = _h3c()
    data["health"]["cpus"] = data["health"].pop("cpu")
    assert _refused(data).startswith(f"{PATH}: health.cpus: unknown value name")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("aggregate", "maximum", "health.cpu.aggregate"),
        ("column", "1.3.6.1.4.1.x", "health.cpu.column"),
        ("valid_range", [100, 0], "valid_range [100, 0] is empty"),
        ("scale", "10", "health.cpu.scale"),
        ("kinds", ["router"], "health.cpu.kinds.0"),
    ],
)
def test_bad_values_are_refused(key: str, value: object, expected: str) -> None:
    data = _h3c()
    data["health"]["cpu"][key] = value
    assert expected in _refused(data)


def test_a_fact_without_source_or_assumption_is_refused() -> None:
    data = _h3c()
    del data["health"]["memory"]["source"]
    assert "needs 'source' or 'unverified'" in _refused(data)


def test_oid_and_column_together_are_refused() -> None:
    data = _h3c()
    data["health"]["cpu"]["oid"] = "1.3.6.1.4.1.25506.2.6.1.1.1.1.6.0"
    assert "exactly one of 'oid' or 'column'" in _refused(data)


def test_models_file_refuses_unknown_keys_and_kinds() -> None:
    data = copy.deepcopy(_shipped("h3c", "models.toml"))
    data["models"]["S5500"]["knd"] = "switch"
    with pytest.raises(ProfileSchemaError, match=r"models\.S5500\.knd: unknown key"):
        check_models_file(data, "collectors/profiles/h3c/models.toml")
    data["models"]["S5500"].pop("knd")
    data["models"]["S5500"]["kind"] = "router"
    with pytest.raises(ProfileSchemaError, match=r"h3c/models\.toml: models\.S5500\.kind"):
        check_models_file(data, "collectors/profiles/h3c/models.toml")


def test_a_state_name_outside_ours_is_refused_in_entries_and_fallbacks() -> None:
    data = _h3c()
    data["health"]["fans"]["fallback"][0]["states"]["broken"] = [4]
    assert _refused(data) == (
        f"{PATH}: health.fans.fallback.0.states: broken is not one of ok, failed, absent, unknown"
    )


def test_unknown_may_be_listed_for_fans_and_psus_but_not_for_the_ha_role() -> None:
    data = _h3c()
    data["health"]["psus"]["states"]["unknown"] = [99]
    check_snmp_profile(data, PATH)
    # The HA role has its own "unknown" for any unlisted value; listing it adds nothing.
    topsec = copy.deepcopy(_shipped("topsec", "snmp.toml"))
    topsec["health"]["ha_role"]["states"]["unknown"] = [99]
    with pytest.raises(ProfileSchemaError) as caught:
        check_snmp_profile(topsec, "topsec/snmp.toml")
    assert str(caught.value) == (
        "topsec/snmp.toml: health.ha_role.states: unknown is not one of active, standby, init"
    )


ENT_PHY_SENSOR_OPER_STATUS = "1.3.6.1.2.1.99.1.1.1.5"


@pytest.mark.parametrize("vendor", sorted(load_profiles()))
def test_entity_sensor_unavailable_is_never_read_as_an_empty_slot(vendor: str) -> None:
    # RFC 3433: unavailable(2) is "the agent presently cannot obtain the sensor value", so a
    # dead supply reporting it must read unknown (alerted), not absent (no series, no alert).
    for name, entry in _shipped(vendor, "snmp.toml")["health"].items():
        for source in (entry, *entry.get("fallback", ())):
            if source.get("state_column") != ENT_PHY_SENSOR_OPER_STATUS:
                continue
            assert source["states"] == {"ok": [1], "failed": [3], "unknown": [2]}, name
            assert "[rfc3433-entity-sensor-mib]" in source["source"], name


def test_a_pattern_that_is_no_regular_expression_is_refused() -> None:
    data = _h3c()
    data["recognition"]["sys_descr_patterns"] = ["(Comware"]
    assert "recognition.sys_descr_patterns: Value error, pattern '(Comware'" in _refused(data)


def test_a_wrong_type_in_a_union_names_the_toml_key_once() -> None:
    data = _h3c()
    data["health"]["cpu"]["where"]["equals"] = [1.5]
    message = _refused(data)
    assert message.startswith(f"{PATH}: health.cpu.where.equals.0: Input should be")
    assert "constrained-str" not in message and message.count("health.cpu") == 1


def _topsec() -> dict[str, Any]:
    return copy.deepcopy(_shipped("topsec", "snmp.toml"))


def test_status_and_entity_sensor_scale_validate_on_a_column() -> None:
    data = _topsec()
    temperature = data["health"]["temperature"]
    assert temperature["status"]["ok"] == [1]
    assert set(temperature["entity_sensor_scale"]) == {"scale_column", "precision_column"}
    check_snmp_profile(data, "topsec/snmp.toml")


@pytest.mark.parametrize(
    ("table", "key", "value", "expected"),
    [
        (
            "status",
            "colum",
            "1.3.6.1.2.1.99.1.1.1.5",
            "health.temperature.status.colum: unknown key",
        ),
        ("status", "ok", [], "health.temperature.status.ok: List should have at least 1 item"),
        ("status", "names", {"two": "unavailable"}, "keys must be status values (integers)"),
        ("status", "column", "entPhySensorOperStatus", "health.temperature.status.column"),
        (
            "entity_sensor_scale",
            "scale_colum",
            "1.3.6.1.2.1.99.1.1.1.2",
            "health.temperature.entity_sensor_scale.scale_colum: unknown key",
        ),
    ],
)
def test_a_typo_in_status_or_scale_names_file_and_key(
    table: str, key: str, value: object, expected: str
) -> None:
    data = _topsec()
    data["health"]["temperature"][table][key] = value
    with pytest.raises(ProfileSchemaError) as caught:
        check_snmp_profile(data, "collectors/profiles/topsec/snmp.toml")
    message = str(caught.value)
    assert message.startswith("collectors/profiles/topsec/snmp.toml: ")
    assert expected in message


def test_a_misspelt_table_name_and_a_missing_precision_column_are_refused() -> None:
    data = _topsec()
    data["health"]["temperature"]["sensor_scale"] = data["health"]["temperature"].pop(
        "entity_sensor_scale"
    )
    assert "health.temperature.sensor_scale: unknown key" in _refused(data)
    data = _topsec()
    del data["health"]["temperature"]["entity_sensor_scale"]["precision_column"]
    assert "health.temperature.entity_sensor_scale.precision_column: Field required" in (
        _refused(data)
    )


def test_status_and_scale_on_a_scalar_are_refused() -> None:
    data = _topsec()
    data["health"]["cpu"]["status"] = {"column": "1.3.6.1.2.1.99.1.1.1.5", "ok": [1]}
    assert "'status' needs 'column'" in _refused(data)


ENT_PHY_SENSOR_VALUE = "1.3.6.1.2.1.99.1.1.1.4"


@pytest.mark.parametrize("vendor", sorted(load_profiles()))
def test_every_entity_sensor_value_honours_status_scale_and_precision(vendor: str) -> None:
    # RFC 3433: the value is meaningful only while entPhySensorOperStatus is ok(1), and is
    # scaled by entPhySensorScale and entPhySensorPrecision on the same row.
    for name, entry in _shipped(vendor, "snmp.toml")["health"].items():
        for source in (entry, *entry.get("fallback", ())):
            if source.get("column") != ENT_PHY_SENSOR_VALUE:
                continue
            assert source["status"]["column"] == ENT_PHY_SENSOR_OPER_STATUS, name
            assert source["status"]["ok"] == [1], name
            assert source["entity_sensor_scale"] == {
                "scale_column": "1.3.6.1.2.1.99.1.1.1.2",
                "precision_column": "1.3.6.1.2.1.99.1.1.1.3",
            }, name
            assert "[rfc3433-entity-sensor-mib]" in source["source"], name
