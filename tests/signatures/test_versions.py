"""Version strings compared by each vendor's rule (collectors/signatures/versions.py)."""

from __future__ import annotations

import pytest

from collectors.profiles import load_profiles
from collectors.signatures.versions import (
    VersionError,
    VersionRules,
    VersionScheme,
    _scheme,
    compare_versions,
    version_rules,
)


@pytest.mark.parametrize(
    ("vendor", "kind", "old", "new", "expected"),
    [
        ("leadsec", "av", "20261118.01", "20261118.02", 1),  # same day, next serial
        ("leadsec", "av", "20261118.09", "20261119.01", 1),  # the day counts before the serial
        ("leadsec", "av", "20261119.01", "20261118.09", -1),
        ("leadsec", "ips", "3.1.0.1042", "3.1.0.999", -1),  # numbers, not text ("9" > "1")
        ("leadsec", "ips", "3.1.0.999", "3.1.0.1042", 1),
        ("venustech", "ips", "5.6.2611.1201", "5.6.2611.1201", 0),
        ("venustech", "software", "V3.6.4.2 build 20230815", "V3.6.4.2 build 20231001", 1),
        ("venustech", "software", "V3.6.4.2 build 20230815", "V3.6.10.1 build 20220101", 1),
        ("nsfocus", "audit", "V5.6.0.2611", "V5.6.0.2612", 1),
        ("nsfocus", "software", "V5.6R11F02", "V5.6R9F10", -1),  # R11 after R9
        ("topsec", "software", "TOS_3.3.020.077.1", "TOS_3.3.021.082.1", 1),
        ("h3c", "software", "5.20, Release 2215P02", "5.20, Release 2215P10", 1),
        ("h3c", "software", "5.20, Release 2215P02", "5.20, Release 2215", -1),
        ("huawei", "software", "V200R011C10SPC600", "V200R011C10SPC1000", 1),
        ("huawei", "software", "V200R011C10SPC600", "V200R010C00SPC600", -1),
        ("leadsec", "ips", "1.2", "1.2.0", 0),  # the same version written differently
    ],
)
def test_versions_compare_by_the_vendor_rule(
    vendor: str, kind: str, old: str, new: str, expected: int
) -> None:
    assert compare_versions(vendor, "dev-1", "lib", kind, old, new) == expected


def test_a_date_scheme_reads_its_format() -> None:
    scheme = VersionScheme("date", format="%Y%m%d%H", source="test")
    assert scheme.key("2026111805") < scheme.key("2026111806")
    with pytest.raises(ValueError, match="not a date in format"):
        scheme.key("2026-11-18")


def test_a_build_scheme_is_one_integer() -> None:
    scheme = VersionScheme("build", source="test")
    assert scheme.key("B999") < scheme.key("B1042")
    with pytest.raises(ValueError, match="not a build number"):
        scheme.key("1.2")


def test_an_unparsable_version_names_device_and_library() -> None:
    with pytest.raises(VersionError) as caught:
        compare_versions("leadsec", "leadsec-a2350-01", "virus", "av", "20261118.01", "v-next")
    message = str(caught.value)
    assert "leadsec-a2350-01" in message and "virus" in message and "v-next" in message


def test_a_kind_without_a_scheme_or_default_is_an_error() -> None:
    rules = VersionRules("h3c", dict(version_rules("h3c").schemes))
    with pytest.raises(VersionError, match="no version scheme for 'ips'"):
        rules.compare("sw-1", "ips", "ips", "1.0", "1.1")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"scheme": "semver", "source": "x"}, "unknown scheme 'semver'"),
        ({"scheme": "date", "source": "x"}, "needs a format"),
        ({"scheme": "pattern", "pattern": "V.*", "source": "x"}, "numeric groups"),
        ({"scheme": "dotted"}, "source"),
        ("dotted", "expected a table"),
    ],
)
def test_a_malformed_profile_entry_is_refused(table: object, message: str) -> None:
    with pytest.raises(VersionError, match=message) as caught:
        _scheme("leadsec", "ips", table)
    assert "collectors/profiles/leadsec/cli.toml" in str(caught.value)


def test_an_unknown_scheme_never_falls_back_to_text() -> None:
    with pytest.raises(ValueError, match="unknown version scheme"):
        VersionScheme("lexical", source="x").key("1.0")


@pytest.mark.parametrize("vendor", sorted(load_profiles()))
def test_every_vendor_names_a_software_scheme_with_its_source(vendor: str) -> None:
    rules = version_rules(vendor)
    software = rules.scheme("software")
    assert software is not None and software.source
    assert all(scheme.source for scheme in rules.schemes.values())
