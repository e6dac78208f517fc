"""The inventory: the shipped fleet file against the contract, every error class, secrets,
lab endpoints and the ``netmon check`` command.

Each broken inventory in tests/data/inventories/ marks the line its error must be reported at
with a ``BROKEN`` comment, so the expected line numbers come from the files themselves.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from agent.errors import NetmonError
from agent.inventory import (
    Device,
    Inventory,
    InventoryError,
    SecretRef,
    default_inventory_path,
    load_inventory,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "inventory.toml"
DATA = Path(__file__).resolve().parent / "data" / "inventories"

HW_TUNE = ("hardware", "tuning")
HW_SIG_TUNE = ("hardware", "signatures", "tuning")

# The contract's maintenance tables, row by row: vendor, model, kind, units, services.
CONTRACT_TABLE: list[tuple[str, str, str, int, tuple[str, ...]]] = [
    ("leadsec", "TD3000-FS1200", "ids", 1, HW_SIG_TUNE),
    ("leadsec", "PowerV6000-A2350", "av-gateway", 1, HW_SIG_TUNE),
    ("leadsec", "PowerV6000-A3320", "av-gateway", 1, HW_SIG_TUNE),
    ("leadsec", "LeadsecACM-C4510", "behaviour-management", 1, HW_SIG_TUNE),
    ("leadsec", "LA-DT-1100B", "network-audit", 1, HW_SIG_TUNE),
    ("topsec", "NGFW4000", "firewall", 3, HW_TUNE),
    ("topsec", "TopVPN 6000", "vpn", 1, HW_TUNE),
    ("leadsec", "PowerV6000-F2350", "firewall", 3, HW_SIG_TUNE),
    ("topsec", "NGFW4000-UF", "firewall", 1, HW_TUNE),
    ("topsec", "TopSentry 3000", "ids", 1, HW_TUNE),
    ("topsec", "TopFilter 8000", "av-gateway", 2, HW_TUNE),
    ("nsfocus", "SASNX3-GL2100", "security-audit", 1, HW_SIG_TUNE),
    ("venustech", "USG-FW-310-T-NF1600", "firewall", 5, HW_SIG_TUNE),
    ("venustech", "USG-FW-310-T-NF1800R", "firewall", 2, HW_SIG_TUNE),
    ("venustech", "USG-4000-N-1000DNR", "av-gateway", 2, HW_SIG_TUNE),
    ("venustech", "USG-1008DP", "av-gateway", 6, HW_SIG_TUNE),
    ("h3c", "S5500", "switch", 3, HW_TUNE),
    ("h3c", "S3600", "switch", 2, HW_TUNE),
    ("huawei", "S5700", "switch", 1, HW_TUNE),
    ("h3c", "LS-5560-54C-EI", "switch", 2, HW_TUNE),
]

DOCUMENTATION_NETWORKS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
]


@pytest.fixture(scope="module")
def shipped() -> Inventory:
    return load_inventory(SHIPPED)


def _errors(name: str) -> list[str]:
    with pytest.raises(InventoryError) as caught:
        load_inventory(DATA / name)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


def _broken_lines(name: str) -> list[int]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [n for n, line in enumerate(text.splitlines(), start=1) if "# BROKEN" in line]


def _single_error(name: str) -> str:
    errors = _errors(name)
    assert len(errors) == 1, errors
    (line,) = _broken_lines(name)
    assert errors[0].startswith(f"{DATA / name}:{line}: "), errors[0]
    return errors[0]


# -- the shipped inventory against the contract ------------------------------------------------


def test_shipped_inventory_holds_the_whole_fleet(shipped: Inventory) -> None:
    models = {(d.vendor, d.model, d.kind) for d in shipped.devices}
    assert len(shipped.devices) == 40
    assert {d.vendor for d in shipped.devices} == {
        "topsec", "leadsec", "venustech", "nsfocus", "h3c", "huawei",
    }  # fmt: skip
    assert len(models) == 20
    assert sum(1 for _v, _m, kind in models if kind != "switch") == 16
    assert sum(1 for _v, _m, kind in models if kind == "switch") == 4
    assert len({d.name for d in shipped.devices}) == 40
    assert sum(1 for d in shipped.devices if d.kind == "switch") == 8


@pytest.mark.parametrize(
    ("vendor", "model", "kind", "units", "services"),
    CONTRACT_TABLE,
    ids=[row[1] for row in CONTRACT_TABLE],
)
def test_shipped_inventory_matches_each_contract_row(
    shipped: Inventory,
    vendor: str,
    model: str,
    kind: str,
    units: int,
    services: tuple[str, ...],
) -> None:
    devices = [d for d in shipped.devices if d.model == model]
    assert len(devices) == units
    for device in devices:
        assert (device.vendor, device.kind, device.services) == (vendor, kind, services)


def test_shipped_inventory_has_no_model_outside_the_contract(shipped: Inventory) -> None:
    assert Counter(d.model for d in shipped.devices) == {row[1]: row[3] for row in CONTRACT_TABLE}


def test_every_shipped_address_is_a_documentation_placeholder(shipped: Inventory) -> None:
    for device in shipped.devices:
        address = ipaddress.ip_address(device.address)
        assert any(address in net for net in DOCUMENTATION_NETWORKS), device.name
    assert len({d.address for d in shipped.devices}) == 40


def test_shipped_inventory_only_references_secrets(shipped: Inventory) -> None:
    for device in shipped.devices:
        refs = list(device.secret_refs())
        assert refs, device.name
        assert all(ref.kind in ("env", "file", "credential") for _field, ref in refs)


def test_shipped_huawei_polls_over_snmpv3_auth_priv(shipped: Inventory) -> None:
    for device in shipped.devices:
        if device.vendor == "huawei":
            snmp = device.snmp
            assert (snmp.version, snmp.auth_protocol, snmp.priv_protocol) == ("3", "SHA", "AES")
            assert snmp.user and snmp.auth_key and snmp.priv_key and snmp.community is None
        else:
            assert device.snmp.version == "2c" and device.snmp.community is not None


def test_summary_counts(shipped: Inventory) -> None:
    summary = shipped.summary()
    assert summary["devices"] == 40
    assert summary["vendors"] == {
        "h3c": 7, "huawei": 1, "leadsec": 8, "nsfocus": 1, "topsec": 8, "venustech": 15,
    }  # fmt: skip
    assert summary["models"]["USG-1008DP"] == 6
    assert summary["kinds"]["switch"] == 8
    assert summary["services"] == {"hardware+signatures+tuning": 24, "hardware+tuning": 16}


# -- layering of defaults, vendors and devices -------------------------------------------------


def test_layers_merge_defaults_vendor_and_device() -> None:
    inventory = load_inventory(DATA / "minimal.toml")
    topsec = inventory.by_name("topsec-fw-01")
    venus = inventory.by_name("venus-fw-01")
    huawei = inventory.by_name("huawei-sw-01")

    assert topsec.kind == "firewall"  # not in the file: taken from the topsec profile
    assert topsec.site == "test-lab"
    assert (topsec.snmp.version, topsec.snmp.port, topsec.snmp.timeout) == ("2c", 161, 2.0)
    assert topsec.snmp.community == SecretRef("env", "NETMON_TEST_COMMUNITY")
    assert (topsec.ssh.port, topsec.ssh.username) == (22, "netmon")

    assert venus.site == "city-branch-1"
    assert venus.services == ("hardware", "signatures", "tuning")  # the canonical order
    assert (venus.snmp.port, venus.snmp.timeout) == (1161, 5.0)
    assert venus.ssh.port == 2222
    assert venus.ssh.password == SecretRef("credential", "ssh-password-venustech")

    assert huawei.snmp.version == "3"
    assert (huawei.snmp.auth_protocol, huawei.snmp.priv_protocol) == ("SHA-256", "AES")
    assert huawei.snmp.community is None
    # A relative secret file is relative to the inventory file, not the working directory.
    assert huawei.snmp.priv_key == SecretRef("file", str(DATA / "secrets" / "priv-key"))


def test_device_line_is_its_header_line() -> None:
    inventory = load_inventory(DATA / "minimal.toml")
    lines = (DATA / "minimal.toml").read_text(encoding="utf-8").splitlines()
    for device in inventory.devices:
        assert device.line is not None
        assert lines[device.line - 1] == "[[device]]"
        assert lines[device.line] == f'name = "{device.name}"'


def test_by_name_suggests_a_close_name() -> None:
    inventory = load_inventory(DATA / "minimal.toml")
    with pytest.raises(InventoryError, match=r"no device named 'topsec-fw-1'.*'topsec-fw-01'"):
        inventory.by_name("topsec-fw-1")


def test_default_inventory_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import agent.inventory as inventory_module

    system_file = tmp_path / "etc-inventory.toml"
    monkeypatch.setattr(inventory_module, "SYSTEM_INVENTORY", system_file)
    monkeypatch.setenv("NETMON_INVENTORY", "/srv/fleet.toml")
    assert default_inventory_path() == Path("/srv/fleet.toml")
    monkeypatch.delenv("NETMON_INVENTORY")
    assert default_inventory_path() == Path("inventory.toml")
    system_file.write_text("")
    assert default_inventory_path() == system_file


# -- one test per error class ------------------------------------------------------------------


def test_toml_syntax_error_names_file_and_line() -> None:
    error = _single_error("syntax-error.toml")
    assert "TOML syntax error" in error


def test_unknown_vendor_lists_the_known_ones() -> None:
    error = _single_error("unknown-vendor.toml")
    assert "device 'topsec-fw-01': vendor: unknown vendor 'cisco'" in error
    assert "known: h3c, huawei, leadsec, nsfocus, topsec, venustech" in error


def test_unknown_model_lists_the_vendors_models() -> None:
    error = _single_error("unknown-model.toml")
    assert "device 'topsec-fw-01': model: 'NGFW5000' is not a topsec model" in error
    assert "'NGFW4000', 'NGFW4000-UF', 'TopVPN 6000', 'TopSentry 3000', 'TopFilter 8000'" in error


def test_kind_disagreeing_with_the_model() -> None:
    error = _single_error("kind-mismatch.toml")
    assert "device 'venus-fw-01': kind: 'ids' disagrees" in error
    assert "USG-FW-310-T-NF1600 is a 'firewall'" in error


def test_duplicate_name() -> None:
    error = _single_error("duplicate-name.toml")
    first = _broken_lines("duplicate-name.toml")[0]
    assert "device 'topsec-fw-01': name: duplicate name 'topsec-fw-01'" in error
    assert first > 20 and "(first at line 20)" in error


def test_duplicate_address() -> None:
    error = _single_error("duplicate-address.toml")
    assert "device 'huawei-sw-01': address: duplicate address 192.0.2.1" in error
    assert "device 'topsec-fw-01'" in error


def test_missing_credentials_v2c_community_and_v3_key() -> None:
    errors = _errors("missing-credential.toml")
    community_line, priv_key_line = _broken_lines("missing-credential.toml")
    path = DATA / "missing-credential.toml"
    assert len(errors) == 2, errors
    assert errors[0].startswith(
        f"{path}:{community_line}: device 'venus-fw-01': snmp.community: missing credential"
    )
    assert errors[1].startswith(
        f"{path}:{priv_key_line}: device 'huawei-sw-01': snmp.priv_key: missing credential"
    )


def test_inline_secret_is_refused_without_echoing_it() -> None:
    error = _single_error("inline-secret.toml")
    assert (
        "device 'venus-fw-03': snmp.community: inline secret; "
        "use { env = ... }, { file = ... } or { credential = ... }"
    ) in error
    assert "s3cr3t" not in error


def test_bad_address() -> None:
    error = _single_error("bad-address.toml")
    assert "device 'venus-fw-01': address: bad address '192.0.2.300'" in error


def test_bad_port() -> None:
    error = _single_error("bad-port.toml")
    assert "device 'venus-fw-01': ssh.port: bad port 70000; a port is an integer 1..65535" in error


def test_unknown_keys_at_every_level_suggest_the_closest_key() -> None:
    errors = _errors("unknown-key.toml")
    path = DATA / "unknown-key.toml"
    expected = [
        "top level: unknown key 'verison'; known: defaults, vendors, sites, device",
        "defaults: unknown key 'sitte'; did you mean 'site'?",
        "defaults: ssh: unknown key 'timeuot'; did you mean 'timeout'?",
        "vendors.huawei: snmp: unknown key 'auth_proto'; did you mean 'auth_protocol'?",
        "device 'topsec-fw-01': unknown key 'sites'; did you mean 'site'?",
        "device 'venus-fw-01': snmp: unknown key 'comunity'; did you mean 'community'?",
    ]
    lines = _broken_lines("unknown-key.toml")
    assert errors == [f"{path}:{line}: {text}" for line, text in zip(lines, expected, strict=True)]


def test_bad_service_name() -> None:
    error = _single_error("bad-service.toml")
    assert "device 'venus-fw-01': services: unknown service 'signature'" in error
    assert "known: hardware, signatures, tuning" in error


def test_several_errors_are_all_reported_in_line_order() -> None:
    errors = _errors("several-errors.toml")
    path = DATA / "several-errors.toml"
    lines = _broken_lines("several-errors.toml")
    expected = [
        (lines[0], "device 'topsec-fw-01': vendor: unknown vendor 'juniper'"),
        (lines[1], "device 'venus-fw-01': address: bad address '192.0.2.2/24'"),
        (lines[2], "device 'venus-fw-01': ssh.port: bad port 0"),
        (lines[2], "device 'venus-fw-01': ssh.password: inline secret"),
        (lines[3], "device 'venus-fw-01': name: duplicate name 'venus-fw-01'"),
        (lines[4], "device 'venus-fw-01': services: unknown service 'cleaning'"),
    ]
    assert len(errors) == len(expected), errors
    for error, (line, text) in zip(errors, expected, strict=True):
        assert error.startswith(f"{path}:{line}: {text}"), error
    assert not any("hunter2" in error for error in errors)


def test_errors_in_sub_tables_point_at_the_key_line(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(
        "[defaults.ssh]\nusername = 'netmon'\npassword = { env = 'P' }\n\n"
        "[[device]]\nname = 'h3c-01'\nvendor = 'h3c'\nmodel = 'S5500'\n"
        "services = ['hardware']\naddress = '203.0.113.9'\n\n"
        "[device.snmp]\ncommunity = { env = 'C' }\n"
        "port = 0\n",  # line 14
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(inventory)
    assert caught.value.errors == [
        f"{inventory}:14: device 'h3c-01': snmp.port: bad port 0; a port is an integer 1..65535"
    ]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"nowhere\.toml: no such file"):
        load_inventory(tmp_path / "nowhere.toml")


def test_inventory_error_is_a_netmon_error() -> None:
    error = InventoryError(["a: one", "b: two"])
    assert isinstance(error, NetmonError)
    assert error.exit_code == 2
    assert str(error) == "a: one\nb: two"


# -- secret references -------------------------------------------------------------------------


def test_env_ref_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETMON_TEST_SECRET", "from-env")
    assert SecretRef("env", "NETMON_TEST_SECRET").reveal() == "from-env"
    monkeypatch.delenv("NETMON_TEST_SECRET")
    with pytest.raises(InventoryError, match="environment variable NETMON_TEST_SECRET is not set"):
        SecretRef("env", "NETMON_TEST_SECRET").reveal()


def test_file_ref_reads_the_file_without_its_final_newline(tmp_path: Path) -> None:
    secret = tmp_path / "community"
    secret.write_text("from-file\n", encoding="utf-8")
    assert SecretRef("file", str(secret)).reveal() == "from-file"
    missing = tmp_path / "absent"
    with pytest.raises(InventoryError, match=f"cannot read {missing}") as caught:
        SecretRef("file", str(missing)).reveal()
    assert f'{{ file = "{missing}" }}' in str(caught.value)


def test_empty_secret_is_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "empty"
    secret.write_text("\n", encoding="utf-8")
    with pytest.raises(InventoryError, match="the secret is empty"):
        SecretRef("file", str(secret)).reveal()


def test_credential_ref_reads_from_the_systemd_credentials_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ref = SecretRef("credential", "snmp-community")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(InventoryError, match=r"\$CREDENTIALS_DIRECTORY is not set"):
        ref.reveal()
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    with pytest.raises(InventoryError, match='credential = "snmp-community"'):
        ref.reveal()
    (tmp_path / "snmp-community").write_text("from-credential", encoding="utf-8")
    assert ref.reveal() == "from-credential"


def test_literal_ref_never_shows_its_value() -> None:
    ref = SecretRef.literal("do-not-print-me")
    assert ref.reveal() == "do-not-print-me"
    for shown in (repr(ref), str(ref), f"{ref}", repr([ref])):
        assert "do-not-print-me" not in shown
    assert repr(SecretRef("env", "X")) == "SecretRef(env='X')"


# -- lab endpoints -----------------------------------------------------------------------------


def _point_at_lab(device: Device) -> Device:
    return device.with_endpoint(
        "127.10.0.7",
        16161,
        12222,
        community="lab-community",
        v3_user="lab-user",
        v3_auth_key="lab-auth",
        v3_priv_key="lab-priv",
        ssh_username="lab-ssh-user",
        ssh_password="lab-ssh-password",
    )


def test_with_endpoint_keeps_identity_and_uses_lab_secrets() -> None:
    inventory = load_inventory(DATA / "minimal.toml")
    original = inventory.by_name("venus-fw-01")
    twin = _point_at_lab(original)
    identity = ("name", "vendor", "model", "kind", "site", "services", "line")
    assert all(getattr(twin, key) == getattr(original, key) for key in identity)
    assert (twin.address, twin.snmp.port, twin.ssh.port) == ("127.10.0.7", 16161, 12222)
    assert (twin.snmp.version, twin.snmp.timeout) == ("2c", original.snmp.timeout)
    assert twin.snmp.community is not None and twin.snmp.community.reveal() == "lab-community"
    assert twin.ssh.username == "lab-ssh-user"
    assert twin.ssh.password.reveal() == "lab-ssh-password"
    assert original.address == "192.0.2.2"  # the original is untouched


def test_with_endpoint_keeps_snmpv3_with_sha_aes() -> None:
    twin = _point_at_lab(load_inventory(DATA / "minimal.toml").by_name("huawei-sw-01"))
    snmp = twin.snmp
    assert (snmp.version, snmp.user, snmp.auth_protocol, snmp.priv_protocol) == (
        "3", "lab-user", "SHA", "AES",
    )  # fmt: skip
    assert snmp.auth_key is not None and snmp.auth_key.reveal() == "lab-auth"
    assert snmp.priv_key is not None and snmp.priv_key.reveal() == "lab-priv"
    assert "lab-priv" not in repr(twin)


# -- netmon check ------------------------------------------------------------------------------


def _netmon_check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_check_prints_the_fleet_summary() -> None:
    result = _netmon_check(str(SHIPPED))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "40 devices (32 security appliances, 8 switches), 6 vendors, 20 models" in out
    assert "16 security appliance models, 4 switch models" in out
    assert "USG-1008DP" in out and "hardware, signatures, tuning" in out
    assert "devices per site" in out and "headquarters" in out


def test_check_reports_every_error_without_a_traceback() -> None:
    result = _netmon_check(str(DATA / "several-errors.toml"))
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "unknown vendor 'juniper'" in result.stderr
    assert "unknown service 'cleaning'" in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"netmon check: {DATA / 'several-errors.toml'}: 6 errors"
    assert len(lines) == 7
    assert all(line.startswith(f"{DATA / 'several-errors.toml'}:") for line in lines[1:])


def test_check_resolve_secrets(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.toml"
    shutil.copy(DATA / "minimal.toml", inventory)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "priv-key").write_text("value-priv\n", encoding="utf-8")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "ssh-password-venustech").write_text("value-ssh-venus", encoding="utf-8")
    env = {
        **os.environ,
        "CREDENTIALS_DIRECTORY": str(credentials),
        "NETMON_TEST_COMMUNITY": "value-community",
        "NETMON_TEST_SSH_PASSWORD": "value-ssh",
        "NETMON_TEST_AUTH_KEY": "value-auth",
    }
    good = _netmon_check(str(inventory), "--resolve-secrets", env=env)
    assert good.returncode == 0, good.stderr
    assert "all 5 referenced secrets can be read" in good.stdout

    del env["NETMON_TEST_COMMUNITY"]
    (credentials / "ssh-password-venustech").unlink()
    bad = _netmon_check(str(inventory), "--resolve-secrets", env=env)
    assert bad.returncode == 2
    output = bad.stdout + bad.stderr
    assert "Traceback" not in output and "value-" not in output
    assert "device 'topsec-fw-01': snmp.community:" in bad.stderr
    assert "device 'venus-fw-01': snmp.community:" in bad.stderr
    assert "device 'venus-fw-01': ssh.password:" in bad.stderr
    assert "NETMON_TEST_COMMUNITY is not set" in bad.stderr
    assert "device 'huawei-sw-01'" not in bad.stderr


@pytest.mark.parametrize(
    ("written", "read"),
    [("aes", "AES"), ("AES128", "AES"), ("aes-256", "AES-256"), ("AES256-C", "AES-256-C")],
)
def test_privacy_protocol_spellings(written: str, read: str) -> None:
    from agent.inventory.schema import _priv_protocol

    assert _priv_protocol(written) == read


def test_unknown_privacy_protocol_lists_the_known_ones() -> None:
    from agent.inventory.schema import _priv_protocol

    with pytest.raises(Exception, match=r"AES-256-C"):
        _priv_protocol("DES")
