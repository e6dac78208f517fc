"""The TextFSM templates of every vendor on real-shaped output, and the parse helpers.

Samples in tests/data/cli/<vendor>/: captures from the lab (files named after a model) and
outputs shaped after public documentation or written for the odd cases (Chinese text, blank
fields, wrapped lines, pager remnants, CRLF). Every test asserts the parsed values.
"""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path

import pytest
import textfsm

from collectors.cli import parse as parse_module
from collectors.cli.parse import (
    ParseError,
    clean_output,
    component_ok,
    duration_seconds,
    iso_date,
    parse,
    percent,
    template_name,
    to_bytes,
)
from collectors.profiles import load_profiles

DATA = Path(__file__).resolve().parents[1] / "data" / "cli"
PROFILES = load_profiles()
PARSED_COMMANDS = [
    (vendor, name)
    for vendor, profile in sorted(PROFILES.items())
    for name in sorted(profile.cli.get("commands", {}))
    if name != "running_config"
]


def sample(relative: str) -> str:
    return (DATA / relative).read_text(encoding="utf-8")


def families(vendor: str) -> list[str | None]:
    names = sorted({m.family for m in PROFILES[vendor].models.values()})
    template = str(PROFILES[vendor].cli["commands"]["version"]["template"])
    return list(names) if "{family}" in template else [None]


# -- every template exists, compiles, and says where its format comes from ------------------
@pytest.mark.parametrize(("vendor", "command"), PARSED_COMMANDS)
def test_every_profile_command_has_a_documented_template(vendor: str, command: str) -> None:
    for family in families(vendor):
        name = template_name(vendor, command, family)
        text = resources.files("vendor_templates").joinpath(name).read_text(encoding="utf-8")
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        assert "Command:" in header, name
        assert "Platform:" in header, name
        assert "Source:" in header, name
        assert re.search(r"real output|unverified: assumed, matches the netmon lab", header), name
        fsm = textfsm.TextFSM(io.StringIO(text))
        assert fsm.header, name


# -- lab captures: one per vendor (and per Comware family) ---------------------------------
def test_topsec_lab_output() -> None:
    version = parse("topsec", "version", sample("topsec/ngfw4000_version.txt"))[0]
    assert version["model"] == "NGFW4000"
    assert version["os_version"] == "TOS_3.3.020.077.1"
    assert version["serial"] == "TS4000A19060157"
    assert duration_seconds(version["uptime"]) == 14 * 86400 + 6 * 3600 + 56 * 60
    resources_text = sample("topsec/ngfw4000_resources.txt")
    assert parse("topsec", "cpu", resources_text) == [{"cpu_percent": "17"}]
    memory = parse("topsec", "memory", resources_text)[0]
    assert to_bytes(memory["memory_total"], memory["memory_unit"]) == 4 * 1024**3
    assert to_bytes(memory["memory_free"], memory["memory_unit"]) == 1593835 * 1024
    assert parse("topsec", "sessions", resources_text)[0]["sessions"] == "43329"
    hardware = sample("topsec/ngfw4000_hardware.txt")
    assert [(r["fan"], r["status"]) for r in parse("topsec", "fans", hardware)] == [
        ("fan1", "normal"),
        ("fan2", "normal"),
    ]
    assert [r["psu"] for r in parse("topsec", "power", hardware)] == ["power1", "power2"]
    assert parse("topsec", "temperature", hardware)[0]["celsius"] == "56"
    signatures = parse("topsec", "signatures", sample("topsec/ngfw4000_signatures.txt"))
    assert [(r["library"], r["version"], r["release_date"]) for r in signatures] == [
        ("ips-rules", "3.0.2610.1203", "2026-11-04"),
        ("av-virus", "2.6.2611.0412", "2026-11-19"),
        ("url-lib", "1.0.2609.0027", "2026-10-08"),
        ("app-lib", "1.2.2610.0118", "2026-10-26"),
    ]
    licences = parse("topsec", "licences", sample("topsec/ngfw4000_licences.txt"))
    assert [(r["feature"], r["status"], r["expires"]) for r in licences] == [
        ("base", "valid", "2028-01-19"),
        ("ips-subscription", "valid", "2027-06-03"),
        ("av-subscription", "valid", "2027-05-04"),
    ]


def test_topsec_vpn_without_libraries_is_empty_only_when_allowed() -> None:
    text = sample("topsec/topvpn-6000_signatures.txt")
    assert parse("topsec", "signatures", text, allow_empty=True) == []
    with pytest.raises(ParseError) as caught:
        parse("topsec", "signatures", text)
    message = str(caught.value)
    assert "topsec" in message and "signatures" in message
    assert "topsec/signatures.textfsm" in message and "no rows" in message


def test_leadsec_lab_output() -> None:
    version = parse("leadsec", "version", sample("leadsec/powerv6000-a2350_version.txt"))[0]
    assert (version["model"], version["os_version"], version["serial"]) == (
        "PowerV6000-A2350",
        "V3.6.2.1",
        "LSPV2350A19100022",
    )
    assert duration_seconds(version["uptime"]) == 14 * 86400 + 6 * 3600 + 56 * 60
    text = sample("leadsec/powerv6000-a2350_resources.txt")
    assert percent(parse("leadsec", "cpu", text)[0]["cpu_percent"]) == 27.0
    memory = parse("leadsec", "memory", text)[0]
    assert to_bytes(memory["memory_total"], memory["memory_unit"]) == 8 * 1024**3
    assert memory["memory_used_percent"] == "62"
    assert parse("leadsec", "sessions", text)[0]["sessions"] == "9120"
    hardware = sample("leadsec/powerv6000-a2350_hardware.txt")
    assert len(parse("leadsec", "fans", hardware)) == 2
    assert len(parse("leadsec", "power", hardware)) == 2
    assert parse("leadsec", "temperature", hardware)[0]["celsius"] == "53"
    signatures = parse("leadsec", "signatures", sample("leadsec/powerv6000-a2350_signatures.txt"))
    assert [r["library"] for r in signatures] == ["virus", "ips", "app"]  # not "update server"
    assert signatures[0]["version"] == "20261118.01"
    licences = parse("leadsec", "licences", sample("leadsec/powerv6000-a2350_licences.txt"))
    assert [r["feature"] for r in licences] == ["system", "upgrade-service"]


def test_venustech_lab_output() -> None:
    base = "venustech/usg-fw-310-t-nf1600"
    version = parse("venustech", "version", sample(f"{base}_version.txt"))[0]
    assert version["model"] == "USG-FW-310-T-NF1600"
    assert version["os_version"] == "V3.6.4.2 build 20230815"
    assert version["serial"] == "VUSG1600A22050183"
    assert parse("venustech", "cpu", sample(f"{base}_cpu.txt"))[0]["cpu_percent"] == "30"
    memory = parse("venustech", "memory", sample(f"{base}_memory.txt"))[0]
    assert to_bytes(memory["memory_used"], memory["memory_unit"]) == 3019898 * 1024
    assert parse("venustech", "sessions", sample(f"{base}_sessions.txt"))[0]["sessions"] == (
        "69222"
    )
    environment = sample(f"{base}_environment.txt")
    assert [r["fan"] for r in parse("venustech", "fans", environment)] == ["Fan 1", "Fan 2"]
    assert [r["status"] for r in parse("venustech", "power", environment)] == ["OK", "OK"]
    assert parse("venustech", "temperature", environment)[0]["celsius"] == "47"
    signatures = parse("venustech", "signatures", sample(f"{base}_signatures.txt"))
    assert [r["library"] for r in signatures] == ["IPS", "AV", "APP", "URL"]
    licences = parse("venustech", "licences", sample(f"{base}_licences.txt"))
    assert [(r["feature"], r["expires"]) for r in licences] == [
        ("Firewall", "2028-05-18"),
        ("IPS", "2027-07-13"),
        ("AV", "2027-07-13"),
    ]


def test_nsfocus_lab_output() -> None:
    base = "nsfocus/sasnx3-gl2100"
    version = parse("nsfocus", "version", sample(f"{base}_version.txt"))[0]
    assert (version["model"], version["os_version"]) == ("SASNX3-GL2100", "V5.6R11F02")
    text = sample(f"{base}_resources.txt")
    assert parse("nsfocus", "cpu", text)[0]["cpu_percent"] == "18"
    memory = parse("nsfocus", "memory", text)[0]
    assert to_bytes(memory["memory_total"], memory["memory_unit"]) == 16 * 1024**3
    assert parse("nsfocus", "sessions", text)[0]["sessions"] == "312"
    hardware = sample(f"{base}_hardware.txt")
    assert [r["fan"] for r in parse("nsfocus", "fans", hardware)] == ["fan1", "fan2"]
    assert parse("nsfocus", "temperature", hardware)[0]["celsius"] == "51"
    signatures = parse("nsfocus", "signatures", sample(f"{base}_signatures.txt"))
    assert [(r["library"], r["version"]) for r in signatures] == [
        ("audit-rules", "V5.6.0.2611"),
        ("app-protocol", "V2.3.0.1088"),
    ]
    licences = parse("nsfocus", "licences", sample(f"{base}_licences.txt"))
    assert [r["feature"] for r in licences] == ["SAS base", "rule upgrade"]  # names with spaces


def test_comware5_lab_output() -> None:
    version = parse("h3c", "version", sample("h3c/s5500_version.txt"), family="Comware5")[0]
    assert version["model"] == "S5500-28C-EI"
    assert version["os_version"] == "5.20, Release 2215P02"
    assert duration_seconds(version["uptime"]) == 2 * 7 * 86400 + 6 * 3600 + 56 * 60
    cpu = parse("h3c", "cpu", sample("h3c/s5500_cpu.txt"), family="Comware5")
    assert [(r["unit"], r["cpu"], r["cpu_percent"]) for r in cpu] == [("1", "Board 0", "16")]
    memory = parse("h3c", "memory", sample("h3c/s5500_memory.txt"), family="Comware5")[0]
    assert (memory["memory_total"], memory["memory_used"], memory["memory_unit"]) == (
        "268435456",
        "112742891",
        "bytes",
    )
    fans = parse("h3c", "fans", sample("h3c/s5500_fans.txt"), family="Comware5")
    assert [(r["fan"], r["status"]) for r in fans] == [("1", "Normal"), ("2", "Normal")]
    power = parse("h3c", "power", sample("h3c/s5500_power.txt"), family="Comware5")
    assert [r["psu"] for r in power] == ["1", "2"]
    temperature = parse(
        "h3c", "temperature", sample("h3c/s5500_temperature.txt"), family="Comware5"
    )
    assert (temperature[0]["slot"], temperature[0]["celsius"], temperature[0]["critical_c"]) == (
        "1",
        "41",
        "80",
    )


def test_comware7_lab_output() -> None:
    base = "h3c/ls-5560-54c-ei"
    version = parse("h3c", "version", sample(f"{base}_version.txt"), family="Comware7")[0]
    assert (version["model"], version["os_version"], version["board_type"]) == (
        "S5560-54C-EI",
        "7.1.070, Release 1120",
        "S5560-54C-EI",
    )
    cpu = parse("h3c", "cpu", sample(f"{base}_cpu.txt"), family="Comware7")
    assert [(r["cpu"], r["cpu_percent"]) for r in cpu] == [("Slot 1 CPU 0", "7")]
    memory = parse("h3c", "memory", sample(f"{base}_memory.txt"), family="Comware7")[0]
    assert memory["memory_unit"] == "KB"
    assert to_bytes(memory["memory_total"], memory["memory_unit"]) == 1024**3
    assert memory["memory_free_percent"] == "58.0"
    fans = parse("h3c", "fans", sample(f"{base}_fans.txt"), family="Comware7")
    assert [(r["slot"], r["fan"], r["status"]) for r in fans] == [
        ("1", "1", "Normal"),
        ("1", "2", "Normal"),
    ]
    power = parse("h3c", "power", sample(f"{base}_power.txt"), family="Comware7")
    assert [(r["psu"], r["status"], r["power_w"]) for r in power] == [
        ("1", "Normal", "--"),
        ("2", "Normal", "--"),
    ]
    temperature = parse("h3c", "temperature", sample(f"{base}_temperature.txt"), family="Comware7")[
        0
    ]
    assert (temperature["sensor"], temperature["celsius"], temperature["alert_c"]) == (
        "hotspot 1",
        "36",
        "65",
    )


def test_vrp_lab_output() -> None:
    version = parse("huawei", "version", sample("huawei/s5700_version.txt"))[0]
    assert (version["model"], version["os_version"], version["vrp_version"]) == (
        "S5700-28C-EI",
        "V200R011C10SPC600",
        "5.170",
    )
    assert duration_seconds(version["uptime"]) == 2 * 7 * 86400 + 6 * 3600 + 56 * 60
    cpu = parse("huawei", "cpu", sample("huawei/s5700_cpu.txt"))[0]
    assert (cpu["cpu_percent"], cpu["cpu_5min"]) == ("16", "16")
    memory = parse("huawei", "memory", sample("huawei/s5700_memory.txt"))[0]
    assert (memory["memory_total"], memory["memory_used"], memory["memory_used_percent"]) == (
        "459276288",
        "252601958",
        "55",
    )
    fans = parse("huawei", "fans", sample("huawei/s5700_fans.txt"))
    assert [(r["slot"], r["fan"], r["status"]) for r in fans] == [("0", "1", "Normal")]
    power = parse("huawei", "power", sample("huawei/s5700_power.txt"))
    assert [(r["psu"], r["status"]) for r in power] == [("PWR1", "Supply"), ("PWR2", "Supply")]
    temperature = parse("huawei", "temperature", sample("huawei/s5700_temperature.txt"))
    # The wrapped second header line ("Resume(C) Resume(C)") is not a row.
    assert [(r["slot"], r["celsius"], r["critical_c"]) for r in temperature] == [("0", "39", "68")]


# -- public-shaped outputs and odd cases --------------------------------------------------------
def test_comware5_router_version_with_edition_suffix() -> None:
    """Shaped after a public MSR30-40 capture: CRLF, ", Standard" after the release."""
    version = parse("h3c", "version", sample("h3c/comware5_version_msr30.txt"), family="Comware5")[
        0
    ]
    assert version["model"] == "MSR30-40"
    assert version["os_version"] == "5.20, Release 2511"
    assert duration_seconds(version["uptime"]) == (367 * 7 + 5) * 86400 + 5 * 3600 + 18 * 60


def test_comware5_wrapped_uptime_and_erased_pager() -> None:
    version = parse(
        "h3c", "version", sample("h3c/comware5_version_wrapped_paged.txt"), family="Comware5"
    )[0]
    assert version["model"] == "S3600-28P-EI"
    assert version["uptime"] == "112 weeks, 3 days, 21 hours,"
    assert version["uptime_tail"] == "7 minutes"
    seconds = duration_seconds(version["uptime"], version["uptime_tail"])
    assert seconds == (112 * 7 + 3) * 86400 + 21 * 3600 + 7 * 60


def test_vrp8_version_in_days_only() -> None:
    """Shaped after Huawei's public VRP 8 samples: "uptime is 31 days, ..." without weeks."""
    version = parse("huawei", "version", sample("huawei/vrp8_version_ce6850.txt"))[0]
    assert (version["model"], version["os_version"], version["vrp_version"]) == (
        "CE6850-48S6Q-HI",
        "V200R005C10SPC800",
        "8.180",
    )
    assert duration_seconds(version["uptime"]) == 31 * 86400 + 4 * 3600 + 2 * 60


def test_vrp_cpu_with_decimals_and_no_five_second_line() -> None:
    """Shaped after Huawei's public command reference: "CPU Usage: 2.4% Max: 90.2%"."""
    cpu = parse("huawei", "cpu", sample("huawei/cpu_decimal_ap.txt"))[0]
    assert percent(cpu["cpu_percent"]) == 2.4
    assert cpu["cpu_max"] == "90.2"
    assert cpu["cpu_5min"] == ""  # blank field


def test_vrp_cpu_with_a_chinese_log_line_in_between() -> None:
    """A terminal log message from a box with a Chinese sysname lands inside the output."""
    cpu = parse("huawei", "cpu", sample("huawei/cpu_chinese_sysname_log.txt"))[0]
    assert (cpu["cpu_percent"], cpu["cpu_1min"], cpu["cpu_5min"]) == ("23", "19", "17")


def test_vrp_failed_fan_and_supply() -> None:
    fans = parse("huawei", "fans", sample("huawei/fans_abnormal.txt"))
    assert [component_ok(r["status"]) for r in fans] == [False, True]
    power = parse("huawei", "power", sample("huawei/power_notsupply.txt"))
    assert [component_ok(r["status"]) for r in power] == [True, False]
    assert power[0]["power_w"] == "33.17"


def test_topsec_chinese_library_and_blank_release_date() -> None:
    rows = parse("topsec", "signatures", sample("topsec/signatures_chinese_blank_date.txt"))
    assert [(r["library"], r["version"], iso_date(r["release_date"])) for r in rows] == [
        ("ips-rules", "3.0.2610.1203", "2026-11-04"),
        ("病毒库", "2.6.2611.0412", "2026-11-19"),  # 2026/11/19 normalised
        ("url-lib", "1.0.2609.0027", None),  # never updated: blank date, after a blank line
    ]


def test_topsec_chinese_and_permanent_licences() -> None:
    rows = parse("topsec", "licences", sample("topsec/licences_chinese_permanent.txt"))
    assert [(r["feature"], r["status"], iso_date(r["expires"])) for r in rows] == [
        ("base", "valid", None),  # 永久: permanent
        ("入侵防御授权", "expiring", "2026-12-02"),
        ("av-subscription", "expired", "2026-10-01"),
        ("vpn-clients", "valid", None),  # blank expiry
    ]


def test_venustech_backspace_pager_and_chinese_library() -> None:
    rows = parse("venustech", "signatures", sample("venustech/signatures_paged_chinese.txt"))
    assert [(r["library"], r["version"], r["release_date"]) for r in rows] == [
        ("IPS", "5.6.2611.1201", "2026-11-13"),
        ("AV", "3.0.2611.2215", "2026-11-22"),
        ("APP", "2.1.2610.0087", "2026-10-21"),
        ("应用识别", "2.1.2610.0090", ""),
    ]


def test_nsfocus_licences_with_blank_lines_and_chinese_name() -> None:
    rows = parse("nsfocus", "licences", sample("nsfocus/licences_blank_lines.txt"))
    assert [(r["feature"], r["status"], iso_date(r["expires"])) for r in rows] == [
        ("SAS base", "valid", "2028-03-19"),
        ("rule upgrade", "expiring", "2026-12-02"),
        ("audit 审计模块", "valid", None),
    ]


def test_leadsec_blank_serial_and_clock_uptime() -> None:
    version = parse("leadsec", "version", sample("leadsec/version_blank_serial_crlf.txt"))[0]
    assert version["model"] == "PowerV6000-F2350"
    assert version["serial"] == ""
    assert duration_seconds(version["uptime"]) == 403 * 86400 + 7 * 3600 + 5 * 60


# -- the same rows whatever the transport did to the text ---------------------------------------
LAB_SAMPLES = [
    ("topsec", "version", "topsec/ngfw4000_version.txt", None),
    ("topsec", "signatures", "topsec/ngfw4000_signatures.txt", None),
    ("topsec", "licences", "topsec/ngfw4000_licences.txt", None),
    ("topsec", "fans", "topsec/ngfw4000_hardware.txt", None),
    ("leadsec", "signatures", "leadsec/powerv6000-a2350_signatures.txt", None),
    ("venustech", "licences", "venustech/usg-fw-310-t-nf1600_licences.txt", None),
    ("nsfocus", "memory", "nsfocus/sasnx3-gl2100_resources.txt", None),
    ("h3c", "version", "h3c/s5500_version.txt", "Comware5"),
    ("h3c", "memory", "h3c/ls-5560-54c-ei_memory.txt", "Comware7"),
    ("h3c", "fans", "h3c/ls-5560-54c-ei_fans.txt", "Comware7"),
    ("huawei", "version", "huawei/s5700_version.txt", None),
    ("huawei", "temperature", "huawei/s5700_temperature.txt", None),
]


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def blank_lines(text: str) -> str:
    return "\n" + text.replace("\n", "\n\n") + "\n\n"


def comware_pager(text: str) -> str:
    """Insert the pager after the second line, erased the way Comware / VRP erase it."""
    lines = text.split("\n")
    pager = "  ---- More ----\x1b[16D" + " " * 16 + "\x1b[16D"
    return "\n".join([*lines[:2], pager + lines[2], *lines[3:]])


def backspace_pager(text: str) -> str:
    lines = text.split("\n")
    shown = " --More-- "
    pager = shown + "\b" * len(shown) + " " * len(shown) + "\b" * len(shown)
    return "\r\n".join([*lines[:1], pager + lines[1], *lines[2:]])


def unerased_pager(text: str) -> str:
    """netmiko with a pager it answered itself: the prompt text stays on its own line."""
    lines = text.split("\n")
    return "\n".join([*lines[:1], "--More-- (40% of 900 bytes)", *lines[1:]])


@pytest.mark.parametrize(
    "transform", [crlf, blank_lines, comware_pager, backspace_pager, unerased_pager]
)
@pytest.mark.parametrize(("vendor", "command", "path", "family"), LAB_SAMPLES)
def test_transport_noise_does_not_change_the_rows(
    transform: object, vendor: str, command: str, path: str, family: str | None
) -> None:
    text = sample(path)
    expected = parse(vendor, command, text, family=family)
    assert expected
    assert parse(vendor, command, transform(text), family=family) == expected  # type: ignore[operator]


def test_clean_output_shows_the_screen() -> None:
    assert clean_output("a\r\r\nb\r\n") == "a\nb\n"
    assert clean_output("  ---- More ----\x1b[16D" + " " * 16 + "\x1b[16Dnext") == "next"
    assert clean_output("x --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\by") == "xy"


# -- errors ------------------------------------------------------------------------------------
def test_no_rows_names_vendor_command_template_and_output() -> None:
    with pytest.raises(ParseError) as caught:
        parse("huawei", "cpu", "Error: Unrecognized command found at '^' position.")
    message = str(caught.value)
    assert "huawei" in message and "'cpu'" in message and "huawei/cpu.textfsm" in message
    assert "no rows" in message and "Unrecognized command" in message
    assert caught.value.template == "huawei/cpu.textfsm"


def test_empty_output_says_so() -> None:
    with pytest.raises(ParseError, match="the output was empty"):
        parse("topsec", "version", "\r\n\r\n")


def test_family_is_required_where_layouts_differ() -> None:
    with pytest.raises(ParseError, match="pass family="):
        parse("h3c", "version", sample("h3c/s5500_version.txt"))


def test_command_without_template_or_profile_entry() -> None:
    with pytest.raises(ParseError, match=r"has no \[commands.signatures\]"):
        parse("h3c", "signatures", "x", family="Comware5")
    with pytest.raises(ParseError, match="has no template key"):
        parse("h3c", "running_config", "x", family="Comware5")


def test_broken_template_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_module, "_template_text", lambda name: "Value X (\nStart\n")
    with pytest.raises(ParseError, match="template error") as caught:
        parse("topsec", "cpu", "cpu usage : 5%")
    assert "topsec/cpu.textfsm" in str(caught.value)


def test_missing_template_file_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_module, "_template_text", lambda name: None)
    with pytest.raises(ParseError, match=r"vendor_templates/topsec/cpu.textfsm does not exist"):
        parse("topsec", "cpu", "cpu usage : 5%")


# -- helpers -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("parts", "seconds"),
    [
        (("2 weeks, 0 days, 6 hours, 56 minutes",), 2 * 604800 + 6 * 3600 + 56 * 60),
        (("1 week, 1 day, 1 hour, 1 minute",), 604800 + 86400 + 3600 + 60),
        (("7 days, 1 hour, 18 minutes",), 7 * 86400 + 3600 + 18 * 60),
        (("21 hours,", "7 minutes"), 21 * 3600 + 7 * 60),
        (("14 days 6:56",), 14 * 86400 + 6 * 3600 + 56 * 60),
        (("3周 2天 5小时 10分钟",), 3 * 604800 + 2 * 86400 + 5 * 3600 + 600),
        (("",), None),
        ((None,), None),
    ],
)
def test_duration_seconds(parts: tuple[str | None, ...], seconds: int | None) -> None:
    assert duration_seconds(*parts) == seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-04", "2026-11-04"),
        ("2026/11/4", "2026-11-04"),
        ("2026.11.04", "2026-11-04"),
        ("2026年11月4日", "2026-11-04"),
        ("2026-02-30", None),
        ("永久", None),
        ("never", None),
        ("", None),
    ],
)
def test_iso_date(text: str, expected: str | None) -> None:
    assert iso_date(text) == expected


def test_numbers_units_and_states() -> None:
    assert to_bytes("8192", "MB") == 8 * 1024**3
    assert to_bytes("1,048,576", "KB") == 1024**3
    assert to_bytes("", "KB") is None
    assert to_bytes("5", "furlongs") is None
    assert percent("97%") == 97.0
    assert percent("") is None
    assert percent("140") is None
    assert [component_ok(s) for s in ("Normal", "Supply", "正常", "FAIL", "NotSupply", "故障")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert component_ok("Sleep") is None
    assert component_ok("") is None
