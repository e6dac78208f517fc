"""H3C's chassis serial from ``display device manuinfo`` (issue 11): the template on outputs
written by us in the shapes of public Comware 5 and 7 captures (docs/sources/cli-and-config.md
[ntc-hp-comware-display-device-manuinfo]), and the profile's rule picking the box's own part."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

import pytest

from collectors.cli.parse import ParseError, parse
from collectors.cli.serial import chassis_serial
from collectors.drivers.vendors import H3cComwareDriver
from collectors.profiles import load_profiles
from collectors.profiles.cli_schema import CliProfileError, check_cli_profile

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "cli" / "h3c"
RULE = load_profiles()["h3c"].cli["serial"]


def rows(name: str, family: str = "Comware7") -> list[dict[str, str]]:
    text = (DATA / f"manuinfo_{name}.txt").read_text(encoding="utf-8")
    return parse("h3c", str(RULE["command"]), text, family=family)


def test_irf_chassis_rows_keep_their_chassis_and_part() -> None:
    got = [(r["chassis"], r["part"], r["number"], r["serial"]) for r in rows("cw7_irf_chassis")]
    assert got == [
        ("1", "Chassis", "", "210235A1CH1S0001"),
        ("1", "Slot", "0", "210231A1MPU10001"),
        ("1", "Fan", "1", "210231A1FAN10001"),
        ("1", "Power", "1", "210231A1PSU10001"),
        ("2", "Chassis", "", "210235A1CH2S0002"),
        ("2", "Slot", "0", "210231A1MPU20002"),
    ]


@pytest.mark.parametrize(
    ("name", "family", "serial"),
    [
        # IRF of chassis: the `Chassis self` block of chassis 1, not a board's, not chassis 2.
        ("cw7_irf_chassis", "Comware7", "210235A1CH1S0001"),
        # IRF of fixed boxes (one slot per member): member 1.
        ("cw5_irf_fixed", "Comware5", "210235A0H1M5500A1"),
        # A Comware 5 chassis that cannot print its own block: its lowest slot, whatever the
        # order of the blocks; slot 8 and the fan print sentences, not serials.
        ("cw5_old_chassis", "Comware5", "21023LMA0SRP0001"),
        # Comware 7 fixed box: ` Slot 1 CPU 0:`, fans and power supplies have serials too.
        ("cw7_fixed", "Comware7", "210235A1N5560E01"),
        # Simware prints its own block before any header.
        ("cw7_simware", "Comware7", "SIMW0000001"),
    ],
)
def test_the_box_serial_is_the_preferred_part(name: str, family: str, serial: str) -> None:
    assert chassis_serial(rows(name, family), RULE["parts"]) == serial


def test_power_blocks_with_the_other_key_name_are_read() -> None:
    power = [r for r in rows("cw7_fixed") if r["part"] == "Power"]
    assert [(r["number"], r["serial"], r["device_name"]) for r in power] == [
        ("2", "210231A1AC650002", "LSVM1AC650")
    ]


def test_a_listing_without_any_serial_is_a_parse_error_naming_the_template() -> None:
    with pytest.raises(ParseError) as caught:
        rows("cw5_no_serial", "Comware5")
    assert "h3c/manuinfo.textfsm" in str(caught.value) and "no rows" in str(caught.value)


def test_unknown_lines_are_refused_not_guessed() -> None:
    with pytest.raises(ParseError, match="output did not match"):
        parse("h3c", "serial", "Slot 1:\nSERIAL?? 1234\n", family="Comware5")


def test_parts_not_preferred_never_stand_for_the_box() -> None:
    only_fans = [{"part": "Fan", "number": "1", "serial": "FAN1"}]
    assert chassis_serial(only_fans, ["chassis", "slot"]) is None
    none = [{"part": "Slot", "number": "1", "serial": "NONE"}]
    assert chassis_serial(none, ["chassis", "slot"]) is None


class _Replayed(H3cComwareDriver):
    """The H3C driver reading a recorded output instead of a session (a parsing test)."""

    def __init__(self, output: str) -> None:
        super().__init__("127.0.0.1", "u", "p", optional_args={"model": "LS-5560-54C-EI"})
        self.output = output

    def run(self, command_name: str, *, read_timeout: float | None = None) -> str:
        assert self.profile.commands[command_name] == "display device manuinfo"
        return self.output


def test_the_driver_reads_the_serial_the_profile_rule_names() -> None:
    text = (DATA / "manuinfo_cw7_irf_chassis.txt").read_text(encoding="utf-8")
    assert _Replayed(text).get_chassis_serial() == "210235A1CH1S0001"


def test_a_serial_rule_naming_no_command_is_refused_at_load() -> None:
    raw = tomllib.loads((ROOT / "collectors/profiles/h3c/cli.toml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    broken["serial"]["command"] = "manufacture"
    named = re.escape("serial.command: no [commands.manufacture]")
    with pytest.raises(CliProfileError, match=named):
        check_cli_profile(broken, "collectors/profiles/h3c/cli.toml")
    broken = copy.deepcopy(raw)
    broken["serial"]["prefer"] = ["chassis"]
    with pytest.raises(CliProfileError, match=re.escape("serial.prefer: unknown key")):
        check_cli_profile(broken, "collectors/profiles/h3c/cli.toml")
