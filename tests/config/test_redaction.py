"""Redaction, volatile lines and completeness, on text (no device needed)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.config import ConfigError, Redactor, config_rules, load_key, prepare
from collectors.profiles import load_profiles

NOW = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)

HUAWEI = """!Software Version V200R011C10SPC600
#
 sysname sw1
#
aaa
 local-user admin password irreversible-cipher $1a$Hash-One$
 local-user admin privilege level 15
#
 snmp-agent community read cipher %^%#Random-One%^%#
 snmp-agent usm-user v3 netmon authentication-mode sha cipher %^%#Random-Two%^%#
radius-server template r
 radius-server shared-key cipher %^%#Random-Three%^%#
user-interface con 0
 authentication-mode password
#
return
"""


def test_every_vendor_profile_has_config_rules() -> None:
    for vendor in load_profiles():
        rules = config_rules(vendor)
        assert rules.end_marker is not None, vendor
        assert rules.secrets and rules.volatile, vendor


def test_secrets_keep_their_line_and_compare_by_keyed_hash(key: bytes) -> None:
    rules = config_rules("topsec")
    lines = [
        "aaa user add name admin passwd Same-Secret-1 role admin",
        "aaa user add name netmon passwd Same-Secret-1 role audit",
        "aaa user add name other passwd Different-2 role audit",
        "snmp v3 user add name n level authpriv authtype sha authpass AuthK privpass PrivK",
    ]
    out, count = Redactor(key).redact(lines, rules)
    assert count == 5
    assert not any(s in "\n".join(out) for s in ("Same-Secret-1", "Different-2", "AuthK", "PrivK"))
    token = Redactor(key).token("Same-Secret-1")
    assert out[0] == f"aaa user add name admin passwd {token} role admin"
    assert out[1].endswith(f"passwd {token} role audit")
    assert token not in out[2]  # another secret, another hash
    assert out[3].startswith(
        "snmp v3 user add name n level authpriv authtype sha authpass <secret:hmac:"
    )
    # The hash depends on the installation's key: another key, another token.
    assert Redactor(b"another-key-0000000000000000000").token("Same-Secret-1") != token


def test_huawei_reencrypted_ciphers_never_make_a_difference(key: bytes) -> None:
    first = prepare("sw1", "huawei", HUAWEI, Redactor(key), NOW)
    again = HUAWEI.replace("Random-One", "Random-Xyz").replace("Random-Two", "Other")
    second = prepare("sw1", "huawei", again, Redactor(key), NOW)
    assert first.text == second.text and first.sha256 == second.sha256
    assert "%^%#" not in first.text and "Hash-One" not in first.text
    assert " snmp-agent community read cipher <secret:reencrypted>" in first.text
    assert " authentication-mode password" in first.text  # a keyword, not a secret
    assert "Software Version" not in first.text  # volatile header
    changed = prepare("sw1", "huawei", HUAWEI.replace("Hash-One", "Hash-Two"), Redactor(key), NOW)
    assert changed.sha256 != first.sha256  # an irreversible hash changed: that is a change


def test_private_key_blocks_are_redacted_whole(key: bytes) -> None:
    rules = config_rules("leadsec")
    lines = [
        "cert key",
        "-----BEGIN RSA PRIVATE KEY-----",
        "Body-Line-A",
        "Body-Line-B",
        "-----END RSA PRIVATE KEY-----",
        "hostname x",
    ]
    out, count = Redactor(key).redact(lines, rules)
    assert count == 1
    assert out[:2] == ["cert key", "-----BEGIN RSA PRIVATE KEY-----"]
    assert out[2].startswith("<secret:hmac:") and out[3] == "-----END RSA PRIVATE KEY-----"
    assert "Body-Line" not in "\n".join(out)
    cut, _ = Redactor(key).redact(lines[:4], rules)  # a block without its end: still hidden
    assert "Body-Line" not in "\n".join(cut)


@pytest.mark.parametrize(
    ("vendor", "text", "why"),
    [
        ("huawei", HUAWEI.replace("return\n", ""), "without its end line"),
        ("h3c", "#\n sysname x\n#\nreturn\n", "only 4 lines"),
    ],
)
def test_incomplete_display_is_an_error(key: bytes, vendor: str, text: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as caught:
        prepare("sw1", vendor, text, Redactor(key), NOW)
    assert caught.value.reason == "truncated" and caught.value.device == "sw1"
    assert "sw1" in str(caught.value)


def test_key_file_is_created_private_once(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = load_key(state)
    assert len(first) == 32
    assert stat.S_IMODE((state / "redaction.key").stat().st_mode) == 0o600
    assert load_key(state) == first
