"""Redaction of the real line shapes of Venustech and Topsec, and the last check that refuses
to keep a configuration in which a secret-shaped value survived (text only, no device)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from collectors.config import ConfigError, Redactor, config_rules, prepare
from collectors.config.leakcheck import LeakCheck
from collectors.profiles import load_profiles

NOW = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)

VENUSTECH = """!config
hostname fw1
interface ge0/0
 ip address 10.0.30.11 255.255.255.0
user administrator admin local secret 4f1c9e2b7a0d5e8f3b6c1a9d2e7f0b4c
user administrator audit local secret 0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b
!end
"""


def test_venustech_secret_anywhere_in_the_line_is_redacted(key: bytes) -> None:
    snapshot = prepare("fw1", "venustech", VENUSTECH, Redactor(key), NOW)
    assert "4f1c9e2b" not in snapshot.text and "0e9d8c7b" not in snapshot.text
    assert "user administrator admin local secret <secret:hmac:" in snapshot.text
    assert snapshot.secrets_redacted == 2


def test_topsec_psk_method_keeps_its_keywords_and_quoted_secrets_go_whole(key: bytes) -> None:
    lines = [
        "vpn ike peer add name b1 remote 198.51.100.10 authtype psk negomode main "
        "shared-secret 'Quoted Secret-1'",
        "vpn ike peer add name b2 remote 198.51.100.20 authtype psk negomode main "
        "shared-secret ' '",
        "vpn ike peer add name b3 remote 198.51.100.30 psk Bare-Psk-3",
    ]
    out, count = Redactor(key).redact(lines, config_rules("topsec"))
    text = "\n".join(out)
    assert "Quoted Secret" not in text and "Bare-Psk-3" not in text
    assert all("authtype psk negomode main shared-secret <secret:hmac:" in x for x in out[:2])
    assert all(x.endswith(">") for x in out), "a stray quote after a redacted value"
    assert out[2].endswith("psk <secret:hmac:" + out[2].rsplit(":", 1)[1])
    assert count == 3


@pytest.mark.parametrize(
    "line",
    [
        " local-user admin password irreversible-cipher $1a$abc$",  # no rule would catch it
        "ldap-server host 10.0.0.1 password Canary-Ldap-1",
        "snmp-agent community write Canary-Community-2",
        " key authentication Canary-Key-3",
        "something psk Canary-Psk-4",
        "tunnel pre-shared-key Canary-5",
    ],
)
def test_leak_check_finds_a_value_after_a_secret_keyword(line: str) -> None:
    assert LeakCheck().line_leaks(line.replace("irreversible-cipher ", "x "))


@pytest.mark.parametrize(
    "line",
    [
        " authentication-mode password",  # a keyword at the end: a setting
        " password-control enable",  # not the keyword itself
        " snmp-agent community read cipher <secret:reencrypted>",
        "radius-server host 10.0.30.5 key 7 <secret:hmac:0a1b2c3d>",
        "public-key local create rsa",
        "hostname key-server",
    ],
)
def test_leak_check_accepts_redacted_values_and_settings(line: str) -> None:
    check = config_rules("huawei").leak_check
    assert not check.line_leaks(line)


@pytest.mark.parametrize("vendor", sorted(load_profiles()))
def test_an_unforeseen_secret_shape_fails_the_fetch_naming_the_line_not_the_value(
    key: bytes, vendor: str, caplog: pytest.LogCaptureFixture
) -> None:
    rules = config_rules(vendor)
    end = {"h3c": "return", "huawei": "return", "topsec": "system config implement"}
    body = [f"line {n}" for n in range(1, 12)]
    body[6] = "sflow collector 10.0.0.9 community Canary-Unforeseen-77"  # no rule knows it
    marker = end.get(vendor, {"venustech": "!end"}.get(vendor, "end"))
    text = "\n".join([*body, marker]) + "\n"
    assert rules.end_marker is not None and rules.end_marker.search(marker)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError) as caught:
        prepare("box1", vendor, text, Redactor(key), NOW, rules)
    assert caught.value.reason == "unredacted" and caught.value.device == "box1"
    message = str(caught.value)
    assert "line 7 " in message and "box1" in message
    assert "Canary" not in message and "Canary" not in caplog.text


@pytest.mark.parametrize(
    ("vendor", "line"),
    [
        ("huawei", "  authentication-mode hwtacacs local"),
        ("huawei", " snmp-agent community complexity-check disable"),
        ("huawei", " authentication-mode aaa"),
        ("h3c", " authentication-mode scheme"),
        ("h3c", " ssh user netmon service-type stelnet authentication-type password"),
        ("h3c", " password-recovery enable"),
    ],
)
def test_real_settings_lines_pass_the_check(vendor: str, line: str) -> None:
    assert not config_rules(vendor).leak_check.line_leaks(line)


@pytest.mark.parametrize(
    "line",
    [
        " super password role network-admin hash $h$6$Canary-Super-Role==",
        " ntp-service authentication-keyid 1 authentication-mode md5 cipher $c$3$Canary-Ntp==",
        " password simple Canary-Simple-1",
    ],
)
def test_comware7_shapes_are_redacted_and_pass_the_check(key: bytes, line: str) -> None:
    rules = config_rules("h3c")
    out, count = Redactor(key).redact([line], rules)
    assert count == 1 and "Canary" not in out[0]
    assert not rules.leak_check.line_leaks(out[0])
