import pytest

from agent.lab.device import model_slug, parse_snmprec
from collectors.identify import Recognition, mismatch, recognise
from collectors.profiles import load_profiles


def _system(model: str) -> tuple[str, str]:
    from importlib import resources

    text = resources.files("agent.lab").joinpath(f"recordings/{model_slug(model)}.snmprec")
    values = parse_snmprec(text.read_text(encoding="utf-8"))
    descr = values[(1, 3, 6, 1, 2, 1, 1, 1, 0)].value
    oid = values[(1, 3, 6, 1, 2, 1, 1, 2, 0)].value
    assert isinstance(descr, bytes) and isinstance(oid, str)
    return oid, descr.decode()


@pytest.mark.parametrize(
    ("vendor", "model"),
    [(v, m) for v, p in load_profiles().items() for m in p.models],
)
def test_every_lab_model_is_recognised_as_itself(vendor: str, model: str) -> None:
    oid, descr = _system(model)
    assert recognise(oid, descr) == Recognition(vendor, model)
    assert mismatch(vendor, model, recognise(oid, descr)) is None


def test_unknown_box_is_a_mismatch_not_an_error() -> None:
    seen = recognise("1.3.6.1.4.1.9.1.1", "Cisco IOS Software")
    assert seen == Recognition(None, None)
    assert "not recognised" in (mismatch("h3c", "S5500", seen) or "")


def test_wrong_model_in_inventory_is_named() -> None:
    oid, descr = _system("S3600")
    message = mismatch("h3c", "S5500", recognise(oid, descr))
    assert message == "looks like a S3600, inventory says S5500"


def test_wrong_vendor_in_inventory_is_named() -> None:
    oid, descr = _system("S5700")
    assert mismatch("h3c", "S5500", recognise(oid, descr)) == (
        "looks like a huawei box, inventory says h3c"
    )


# --- recognition by arcs and families (issue 11) ----------------------------------------------
COMWARE5 = (
    "H3C Switch {model} Software Version 5.20, Release 2220P02\r\n"
    "Copyright (c) 2004-2012 Hangzhou H3C Tech. Co., Ltd. All rights reserved."
)


@pytest.mark.parametrize(
    "oid",
    [
        "1.3.6.1.4.1.2011.100.1",  # not under H3C's 2011.10
        "1.3.6.1.4.1.255060.1",  # not under 25506
        "1.3.6.1.4.1.250.1",
        "1.3.6.1.4.1.143310.1",  # not under Topsec's 14331
    ],
)
def test_prefixes_match_whole_arcs_only(oid: str) -> None:
    assert recognise(oid, "") == Recognition(None, None)


@pytest.mark.parametrize(
    ("oid", "vendor"),
    [
        ("1.3.6.1.4.1.2011.10.1.2", "h3c"),
        ("1.3.6.1.4.1.2011.10", "h3c"),  # the prefix itself
        (".1.3.6.1.4.1.25506.1.1", "h3c"),  # leading dot, as net-snmp prints it
        ("1.3.6.1.4.1.2011.2.23.140", "huawei"),
        ("1.3.6.1.4.1.14331.1.4", "topsec"),
        ("1.3.6.1.4.1.15227.6", "venustech"),
        ("1.3.6.1.4.1.19849.6", "nsfocus"),
    ],
)
def test_prefixes_recognise_their_vendor(oid: str, vendor: str) -> None:
    assert recognise(oid, "").vendor == vendor


@pytest.mark.parametrize(
    ("oid", "descr", "model"),
    [
        # S5500 family: other product OIDs than 25506.1.1, with or without the name in sysDescr
        ("1.3.6.1.4.1.25506.1.2", COMWARE5.format(model="S5500-52C-EI"), "S5500"),
        ("1.3.6.1.4.1.25506.1.3", COMWARE5.format(model="S5500-28C-PWR-EI"), "S5500"),
        ("1.3.6.1.4.1.25506.1.683", "H3C Comware Platform Software", "S5500"),
        ("1.3.6.1.4.1.25506.1.999", COMWARE5.format(model="S5500-28F-EI"), "S5500"),
        # S3600 family: SI, EI, HI and V2
        ("1.3.6.1.4.1.25506.1.33", COMWARE5.format(model="S3600-52P-SI"), "S3600"),
        ("1.3.6.1.4.1.25506.1.47", "H3C Comware Platform Software", "S3600"),
        ("1.3.6.1.4.1.25506.1.585", COMWARE5.format(model="S3600V2-28TP-EI"), "S3600"),
        # HP-badged Comware: product OIDs under 25506.11.1, the model named with an A
        (
            "1.3.6.1.4.1.25506.11.1.89",
            "HP A5500-24G EI Switch Software Version 5.20.99, Release 2221P05\r\n"
            "Copyright (c) 2010-2014 Hewlett-Packard Development Company, L.P.",
            "S5500",
        ),
        (
            "1.3.6.1.4.1.25506.11.1.40",
            "HP A3600-24 SI Switch Software Version 5.20, Release 2108P01",
            "S3600",
        ),
        (
            "1.3.6.1.4.1.25506.11.1.1063",
            "HPE Comware Platform Software, Software Version 7.1.045, Release 3113P05\r\n"
            "HPE 5130-24G-4SFP+ EI Switch",
            None,
        ),
        # Comware 7 names the model on the second line; its product OID alone names it too
        ("1.3.6.1.4.1.25506.1.1063", "H3C Comware Platform Software", "LS-5560-54C-EI"),
    ],
)
def test_h3c_models_are_recognised_by_family(oid: str, descr: str, model: str | None) -> None:
    assert recognise(oid, descr) == Recognition("h3c", model)


def test_a_product_oid_wins_over_a_sysdescr_naming_another_family() -> None:
    # A box whose sysDescr was edited (or truncated) still says what it is by its product OID.
    assert recognise("1.3.6.1.4.1.25506.1.32", "S5500-like text").model == "S3600"


@pytest.mark.parametrize(
    "descr",
    [
        "Quidway Versatile Routing Platform Software\r\nVRP (R) software, Version 5.70",
        "S5700-28C-EI\r\nVersatile Routing Platform Software\r\nVRP (R) software, Version 5.70",
        "S5720-52P-LI-AC\r\nHuawei Versatile Routing Platform Software",
    ],
)
def test_vrp_is_recognised_by_the_platform_name_alone(descr: str) -> None:
    assert recognise(None, descr).vendor == "huawei"
    assert recognise("1.3.6.1.4.1.2011.2.62.2.3", descr).vendor == "huawei"


def test_vrp_without_the_word_huawei_still_names_the_s5700() -> None:
    descr = "S5700-28C-EI\r\nVersatile Routing Platform Software"
    assert recognise(None, descr) == Recognition("huawei", "S5700")


def test_topsec_sysdescr_with_two_spaces_is_recognised() -> None:
    # A public poller matches "Topsec  NGFW" (two spaces) in a real TOS sysDescr.
    assert recognise(None, "Topsec  NGFW4000 TOS 3.3.005").vendor == "topsec"


def test_barracudas_enterprise_number_is_not_leadsec() -> None:
    assert recognise("1.3.6.1.4.1.10704.1.1", "Barracuda NG Firewall") == Recognition(None, None)


def test_a_venustech_vsos_sysdescr_is_recognised_without_the_prefix() -> None:
    # A public poller tells Venustech boxes by "VSOS-V0302R" in sysDescr.
    assert recognise(None, "VSOS-V0302R003 build 1234").vendor == "venustech"
    assert recognise(None, "Linux (none) 2.6.32").vendor is None  # too generic to claim
