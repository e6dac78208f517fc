"""Vendor profiles: everything that differs between vendors, kept as data.

A vendor profile is a folder ``collectors/profiles/<vendor>/`` holding TOML files, each about
one concern, so that a reader finds a fact in one hop:

- ``models.toml``: the models of the fleet, their kind and family (from the contract's tables);
- ``snmp.toml``: how a box is recognised over SNMP and which OIDs give which health value;
- ``cli.toml``: the SSH side (netmiko device type, prompt, paging, commands, TextFSM templates).

Every OID, command and output format carries its source, or says "unverified: assumed from ...".
Adding a model of a known vendor is a change to these files plus a lab recording.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

DEVICE_KINDS: tuple[str, ...] = (
    "firewall",
    "ids",
    "av-gateway",
    "vpn",
    "behaviour-management",
    "network-audit",
    "security-audit",
    "switch",
)

PROFILE_FILES: tuple[str, ...] = ("models.toml", "snmp.toml", "cli.toml")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: str
    family: str
    max_sessions: int | None = None  # concurrent-session capacity, for "sessions near limit"


@dataclass(frozen=True)
class VendorProfile:
    """One vendor's data, merged from the files of its profile folder."""

    vendor: str
    display_name: str
    models: dict[str, ModelInfo]
    snmp: dict[str, Any] = field(default_factory=dict)
    cli: dict[str, Any] = field(default_factory=dict)


def _read_toml(package: str, filename: str) -> dict[str, Any] | None:
    resource = resources.files(package).joinpath(filename)
    if not resource.is_file():
        return None
    where = f"collectors/profiles/{package.rsplit('.', 1)[-1]}/{filename}"
    with resource.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{where}: {error}") from None
    if filename == "cli.toml":  # checked, not trusted: unknown keys are errors
        from collectors.profiles.cli_schema import check_cli_profile

        check_cli_profile(data, where)
    return data


def _load_vendor(vendor: str) -> VendorProfile:
    # Imported here: the schema module imports pydantic, which the lab's tools need not load.
    from collectors.profiles.snmp_schema import check_models_file, check_snmp_profile

    package = f"{__name__}.{vendor}"
    catalogue = _read_toml(package, "models.toml")
    if catalogue is None:
        raise FileNotFoundError(f"vendor profile {vendor!r} has no models.toml")
    folder = f"collectors/profiles/{vendor}"
    check_models_file(catalogue, f"{folder}/models.toml")
    snmp = _read_toml(package, "snmp.toml") or {}
    if snmp:
        check_snmp_profile(snmp, f"{folder}/snmp.toml")
    models = {
        name: ModelInfo(
            name=name,
            kind=spec["kind"],
            family=spec.get("family", ""),
            max_sessions=spec.get("max_sessions"),
        )
        for name, spec in catalogue.get("models", {}).items()
    }
    for model in models.values():
        if model.kind not in DEVICE_KINDS:
            raise ValueError(
                f"{vendor}/models.toml: model {model.name!r} has unknown kind {model.kind!r}"
            )
    return VendorProfile(
        vendor=catalogue["vendor"],
        display_name=catalogue.get("display_name", vendor),
        models=models,
        snmp=snmp,
        cli=_read_toml(package, "cli.toml") or {},
    )


@cache
def load_profiles() -> dict[str, VendorProfile]:
    """All vendor profiles shipped with netmon, keyed by vendor id (``topsec``, ``h3c``, ...)."""
    root = resources.files(__name__)
    vendors = sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and entry.joinpath("models.toml").is_file()
    )
    return {vendor: _load_vendor(vendor) for vendor in vendors}


def get_profile(vendor: str) -> VendorProfile:
    profiles = load_profiles()
    try:
        return profiles[vendor]
    except KeyError:
        raise KeyError(f"no vendor profile {vendor!r}; known: {', '.join(profiles)}") from None
