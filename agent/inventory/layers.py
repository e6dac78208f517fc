"""Settings layering: ``[defaults]`` < ``[vendors.<vendor>]`` < the ``[[device]]`` entry.

Each layer sets only what it names; the most specific layer wins key by key. What no layer
sets comes from the built-in values below, except credentials, which must be given somewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from agent.inventory.model import SecretRef, SnmpSettings, SshSettings

# Used when neither [defaults] nor the vendor nor the device says otherwise.
BUILTIN_SNMP: dict[str, Any] = {"version": "2c", "port": 161, "timeout": 2.0, "retries": 1}
BUILTIN_SSH: dict[str, Any] = {"port": 22, "timeout": 30.0}
# SNMPv3 is always authPriv; these are the protocols RFC 3414 / RFC 3826 define as the base.
DEFAULT_AUTH_PROTOCOL = "SHA"
DEFAULT_PRIV_PROTOCOL = "AES"

Anchor = Callable[[SecretRef], SecretRef]


def _set_fields(table: BaseModel | None) -> dict[str, Any]:
    if table is None:
        return {}
    return {name: getattr(table, name) for name in table.model_fields_set}


def merge(layers: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The merged ``snmp`` and ``ssh`` settings of ``layers`` (least specific first; None ok)."""
    snmp, ssh = dict(BUILTIN_SNMP), dict(BUILTIN_SSH)
    for layer in layers:
        if layer is not None:
            snmp.update(_set_fields(layer.snmp))
            ssh.update(_set_fields(layer.ssh))
    return snmp, ssh


def missing_settings(
    snmp: dict[str, Any], ssh: dict[str, Any], vendor: str
) -> list[tuple[str, str]]:
    """(field, message) for every required setting that no layer gives."""
    if snmp["version"] == "2c":
        snmp_needs = {"community": "SNMP v2c needs a community"}
    else:
        snmp_needs = {
            "user": "SNMPv3 needs a user",
            "auth_key": "SNMPv3 (authPriv) needs an auth key",
            "priv_key": "SNMPv3 (authPriv) needs a privacy key",
        }
    ssh_needs = {"username": "SSH needs a username", "password": "SSH needs a password"}
    missing: list[tuple[str, str]] = []
    for table, merged, needs in (("snmp", snmp, snmp_needs), ("ssh", ssh, ssh_needs)):
        hint = f"set it in [defaults.{table}], [vendors.{vendor}.{table}] or on the device"
        for key, why in needs.items():
            if merged.get(key) is None:
                label = "missing" if key in ("user", "username") else "missing credential"
                missing.append((f"{table}.{key}", f"{label}: {why}; {hint}"))
    return missing


def snmp_settings(snmp: dict[str, Any], anchor: Anchor) -> SnmpSettings:
    """Typed SNMP settings; only the fields of the chosen version are kept."""
    common = {"port": snmp["port"], "timeout": snmp["timeout"], "retries": snmp["retries"]}
    if snmp["version"] == "2c":
        return SnmpSettings(version="2c", community=anchor(snmp["community"]), **common)
    return SnmpSettings(
        version="3",
        user=snmp["user"],
        auth_protocol=snmp.get("auth_protocol") or DEFAULT_AUTH_PROTOCOL,
        auth_key=anchor(snmp["auth_key"]),
        priv_protocol=snmp.get("priv_protocol") or DEFAULT_PRIV_PROTOCOL,
        priv_key=anchor(snmp["priv_key"]),
        **common,
    )


def ssh_settings(ssh: dict[str, Any], anchor: Anchor) -> SshSettings:
    return SshSettings(
        port=ssh["port"],
        username=ssh["username"],
        password=anchor(ssh["password"]),
        timeout=ssh["timeout"],
    )
