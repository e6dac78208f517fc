"""Session noise out of a configuration display: the Comware 5 echo line, terminal escape
sequences, prompt lines around the display; a prompt inside it makes it incomplete."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.config import ConfigError, Redactor, config_rules, prepare
from collectors.config.session_noise import clean_terminal_text

NOW = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)

COMWARE5 = """#
 version 5.20, Release 2215P02
#
 sysname h3c-s5500-03
#
vlan 1
#
interface Vlan-interface1
 ip address 10.0.10.13 255.255.255.0
#
interface GigabitEthernet1/0/1
 port link-type trunk
#
return
"""


def _text(raw: str, vendor: str = "h3c", key: bytes = b"k" * 32) -> str:
    return prepare("h3c-s5500-03", vendor, raw, Redactor(key), NOW).text


def test_comware5_echo_line_never_enters_the_configuration() -> None:
    plain = _text(COMWARE5)
    echoed = _text("<h3c-s5500-03>display current-configuration\n" + COMWARE5)
    with_prompt_after = _text(COMWARE5 + "<h3c-s5500-03>\n")
    assert plain == echoed == with_prompt_after  # one version, not two alternating
    assert "display current-configuration" not in echoed and "<h3c" not in echoed


def test_escape_sequences_and_control_characters_are_dropped() -> None:
    noisy = (
        COMWARE5.replace(" sysname", "\x1b[1m sysname\x1b[0m")
        .replace("vlan 1", "\x1b[42D" + " " * 42 + "\x1b[42Dvlan 1")
        .replace("\n", "\r\n")
        .replace("#\r\nreturn", "#\x07\r\n\x1b]0;title\x07return")
    )
    assert "\x1b" in noisy
    assert _text(noisy) == _text(COMWARE5)
    assert clean_terminal_text("a\x1b[31mred\x1b[0m\x00\rb") == "bred"  # CR: overwrite
    pager = "  ---- More ----"
    erased = pager + f"\x1b[{len(pager)}D" + " " * len(pager) + f"\x1b[{len(pager)}D"
    assert clean_terminal_text(erased + "vlan 1").rstrip() == "vlan 1"
    assert clean_terminal_text(pager + "\b" * len(pager) + "vlan 2\x1b[K") == "vlan 2"


@pytest.mark.parametrize(
    ("vendor", "prompt"),
    [
        ("h3c", "<h3c-s5500-03>"),
        ("h3c", "[h3c-s5500-03]"),
        ("h3c", "<h3c-s5500-03>display current-configuration"),
    ],
)
def test_a_prompt_inside_the_display_makes_it_incomplete(vendor: str, prompt: str) -> None:
    lines = COMWARE5.splitlines()
    lines.insert(6, prompt)
    with pytest.raises(ConfigError, match="prompt inside the display at line 7") as caught:
        _text("\n".join(lines) + "\n", vendor)
    assert caught.value.reason == "truncated"


def test_a_banner_line_shaped_like_a_prompt_is_configuration() -> None:
    """`[WARNING]` in a login banner is not the box's prompt: it does not name the box."""
    lines = COMWARE5.splitlines()
    lines[5:5] = ["header motd %", "[WARNING]", "<Authorized>", "%"]
    text = _text("\n".join(lines) + "\n")
    assert "[WARNING]\n<Authorized>\n" in text


def test_prompts_of_every_vendor_are_recognised_and_config_lines_are_not() -> None:
    prompts = {
        "h3c": ["<sw1>", "[sw1]", "<sw1>display current-configuration"],
        "huawei": ["<sw1>", "HRP_M[fw1]", "<sw1>screen-length 0 temporary"],
        "topsec": ["ngfw4000-01#", "ngfw4000-01% ", "ngfw4000-01# show-running"],
        "venustech": ["usg1#", "usg1(config)#", "usg1#show running-config"],
        "leadsec": ["a2350#"],
        "nsfocus": ["[sas1]#"],
    }
    config_lines = [
        "#",
        " sysname sw1",
        "!end",
        "ID 1 define host add name 'lab' ipaddr '10.0.0.0/24'",
        "!config",
        "interface ge0/0",
    ]
    for vendor, examples in prompts.items():
        noise = config_rules(vendor).noise
        for prompt in examples:
            assert noise.is_prompt_line(prompt), (vendor, prompt)
        for line in config_lines:
            assert not noise.is_prompt_line(line), (vendor, line)
