"""Which vendor and model a box says it is, by the ``[recognition]`` and ``[models.*]`` rules
of the vendor profiles, and whether that agrees with the inventory.

A mismatch is reported, never raised: the operator may have mistyped the model, or a box was
swapped; either way the collection goes on with the inventory's profile and an event is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from collectors.profiles import load_profiles


@dataclass(frozen=True)
class Recognition:
    vendor: str | None
    model: str | None


@dataclass(frozen=True)
class _ModelRule:
    vendor: str
    model: str
    sys_object_id: str | None
    sys_descr: re.Pattern[str] | None


@dataclass(frozen=True)
class _VendorRule:
    vendor: str
    prefixes: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]


@cache
def _rules() -> tuple[tuple[_VendorRule, ...], tuple[_ModelRule, ...]]:
    vendors: list[_VendorRule] = []
    models: list[_ModelRule] = []
    for vendor, profile in load_profiles().items():
        recognition = profile.snmp.get("recognition", {})
        vendors.append(
            _VendorRule(
                vendor,
                tuple(p.strip(".") for p in recognition.get("sys_object_id_prefixes", [])),
                tuple(re.compile(p) for p in recognition.get("sys_descr_patterns", [])),
            )
        )
        for model, rule in profile.snmp.get("models", {}).items():
            pattern = rule.get("sys_descr_pattern")
            models.append(
                _ModelRule(
                    vendor,
                    model,
                    str(rule["sys_object_id"]).strip(".") if "sys_object_id" in rule else None,
                    re.compile(pattern) if pattern else None,
                )
            )
    return tuple(vendors), tuple(models)


def recognise(sys_object_id: str | None, sys_descr: str | None) -> Recognition:
    """The vendor whose rules match (sysObjectID prefix first), and the model if one matches."""
    oid = (sys_object_id or "").strip(".")
    descr = sys_descr or ""
    vendor_rules, model_rules = _rules()
    vendor = next(
        (r.vendor for r in vendor_rules if any(oid.startswith(p) for p in r.prefixes if oid)),
        None,
    ) or next((r.vendor for r in vendor_rules if any(p.search(descr) for p in r.patterns)), None)
    if vendor is None:
        return Recognition(None, None)
    for rule in model_rules:
        if rule.vendor != vendor:
            continue
        if rule.sys_object_id is None and rule.sys_descr is None:
            continue
        if rule.sys_object_id is not None and rule.sys_object_id != oid:
            continue
        if rule.sys_descr is not None and not rule.sys_descr.search(descr):
            continue
        return Recognition(vendor, rule.model)
    return Recognition(vendor, None)


def mismatch(expected_vendor: str, expected_model: str, seen: Recognition) -> str | None:
    """Why what the box says disagrees with its inventory entry, or None when it agrees."""
    if seen.vendor is None:
        return f"not recognised as any known vendor (inventory says {expected_vendor})"
    if seen.vendor != expected_vendor:
        return f"looks like a {seen.vendor} box, inventory says {expected_vendor}"
    if seen.model is not None and seen.model != expected_model:
        return f"looks like a {seen.model}, inventory says {expected_model}"
    return None
