"""cli.toml is checked, not trusted: the typed schema refuses unknown keys and bad values,
naming the file and the key; session facts live only in the profile."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from collectors.cli import cli_profile
from collectors.cli.devices import DEVICE_CLASSES, configured_class
from collectors.profiles import load_profiles
from collectors.profiles.cli_schema import CliProfileError, check_cli_profile

PROFILES = Path(__file__).resolve().parents[2] / "collectors" / "profiles"


def _raw(vendor: str) -> dict:
    return tomllib.loads((PROFILES / vendor / "cli.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vendor", sorted(load_profiles()))
def test_every_shipped_profile_matches_the_schema(vendor: str) -> None:
    checked = check_cli_profile(_raw(vendor), f"{vendor}/cli.toml")
    assert checked.session.max_output_chars > 0 and checked.commands


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["session"].update(prompt_patern="x"), "session.prompt_patern: unknown key"),
        (lambda d: d["commands"]["cpu"].update(comand="x"), "commands.cpu.comand: unknown key"),
        (lambda d: d["config"]["secret"][0].update(reencrytped=True), "config.secret.#1"),
        (lambda d: d.update(aggregte={}), "aggregte: unknown key"),
        (lambda d: d["session"].pop("prompt_pattern"), "session.prompt_pattern: required"),
        (lambda d: d["errors"][0].update(pattern="(unclosed"), "errors.#1.pattern"),
        (lambda d: d["session"].update(encoding="no-such-codec"), "unknown encoding"),
        (lambda d: d["session"].update(max_output_chars=0), "session.max_output_chars"),
        (lambda d: d["session"].update(prompt_terminators=["#", "$"]), "ending in '$'"),
        (lambda d: d["session"].pop("prompt_terminators"), "required with device_class"),
        (
            lambda d: d["components"]["fans"][0].update(name="Fan {slot}"),
            "components.fans.#1: Value error, 'slot' is not a named group",
        ),
        (lambda d: d["components"]["psus"][0].update(patern="x"), "components.psus.#1.patern"),
    ],
)
def test_a_typo_or_bad_value_is_an_error_naming_file_and_key(change, named: str) -> None:
    data = copy.deepcopy(_raw("topsec"))
    change(data)
    with pytest.raises(CliProfileError) as caught:
        check_cli_profile(data, "collectors/profiles/topsec/cli.toml")
    message = str(caught.value)
    assert message.startswith("collectors/profiles/topsec/cli.toml: ")
    assert named in message


@pytest.mark.parametrize("vendor", ["topsec", "leadsec", "venustech", "nsfocus"])
def test_session_facts_come_from_the_profile_only(vendor: str) -> None:
    profile = cli_profile(vendor)
    session = _raw(vendor)["session"]
    cls = configured_class(profile.device_class, profile.class_settings)
    assert cls.prompt_terminators == tuple(session["prompt_terminators"])
    assert cls.paging_off_command == session["paging_off_command"]
    base = DEVICE_CLASSES[profile.device_class]
    # The vendor classes carry no prompt or paging facts of their own to disagree with.
    assert "prompt_terminators" not in vars(base) and "paging_off_command" not in vars(base)


def test_vendor_facts_of_issue_11_are_in_the_profiles() -> None:
    assert cli_profile("topsec").encoding == "iso-8859-1"
    venus = _raw("venustech")["session"]["prompt_pattern"]
    import re

    assert re.fullmatch(venus, "usg1> ") and re.fullmatch(venus, "usg1(config)# ")
    leadsec = [entry["pattern"] for entry in _raw("leadsec")["errors"]]
    assert any(re.search(p, "^ Invalid command.") for p in leadsec)


def test_limits_come_from_the_profile() -> None:
    profile = cli_profile("h3c")
    raw = _raw("h3c")
    assert profile.limit("cpu") == (
        raw["session"]["max_output_chars"],
        raw["session"]["command_timeout_s"],
    )
    config = raw["commands"]["running_config"]
    assert profile.limit("running_config") == (
        config["max_output_chars"],
        config["command_timeout_s"],
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["states"]["psus"].update(absnt=["Absent"]), "states.psus.absnt: unknown key"),
        (
            lambda d: d["states"]["psus"].update(failed=["NotSupply", "absent"]),
            "states.psus: Value error, 'Absent' is listed as both failed and absent",
        ),
    ],
)
def test_state_words_are_checked_too(change, named: str) -> None:
    data = copy.deepcopy(_raw("huawei"))
    change(data)
    with pytest.raises(CliProfileError, match=r"collectors/profiles/huawei/cli\.toml: ") as caught:
        check_cli_profile(data, "collectors/profiles/huawei/cli.toml")
    assert named in str(caught.value)
