"""Which vendor and model a box says it is, by the ``[recognition]`` and ``[models.*]`` rules
of the vendor profiles, and whether that agrees with the inventory.

sysObjectID prefixes match on arc boundaries: ``1.3.6.1.4.1.2011.10`` covers ``…2011.10`` and
``…2011.10.x`` but not ``…2011.100.1``; a prefix written with a trailing dot means the same.
When several vendors' prefixes match, the longest (most specific) one wins. sysDescr patterns
are the fallback for boxes whose sysObjectID no profile names.

A model is a family: ``sys_object_ids`` lists its product OIDs (exact) and
``sys_descr_pattern`` names it in sysDescr. A model whose product OID matches wins over one
whose sysDescr matches; either alone is enough, because real boxes of one family answer many
product OIDs (HH3C-PRODUCT-ID-MIB lists a dozen S5500 variants) and HP-badged Comware boxes
answer OIDs of their own.

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
    sys_object_ids: frozenset[str]
    sys_descr: re.Pattern[str] | None


@dataclass(frozen=True)
class _VendorRule:
    vendor: str
    prefixes: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]


def normalise_oid(oid: str) -> str:
    """An OID in dotted form without leading or trailing dots."""
    return oid.strip().strip(".")


def under_arc(oid: str, prefix: str) -> bool:
    """Whether ``oid`` is ``prefix`` or lies under it, comparing whole arcs."""
    oid, prefix = normalise_oid(oid), normalise_oid(prefix)
    return bool(prefix) and (oid == prefix or oid.startswith(prefix + "."))


def _model_oids(rule: dict[str, object]) -> frozenset[str]:
    listed = rule.get("sys_object_ids", [])
    oids = [str(o) for o in listed] if isinstance(listed, list) else []
    if "sys_object_id" in rule:  # the older single-OID form
        oids.append(str(rule["sys_object_id"]))
    return frozenset(normalise_oid(o) for o in oids)


@cache
def _rules() -> tuple[tuple[_VendorRule, ...], tuple[_ModelRule, ...]]:
    vendors: list[_VendorRule] = []
    models: list[_ModelRule] = []
    for vendor, profile in load_profiles().items():
        recognition = profile.snmp.get("recognition", {})
        vendors.append(
            _VendorRule(
                vendor,
                tuple(normalise_oid(p) for p in recognition.get("sys_object_id_prefixes", [])),
                tuple(re.compile(p) for p in recognition.get("sys_descr_patterns", [])),
            )
        )
        for model, rule in profile.snmp.get("models", {}).items():
            pattern = rule.get("sys_descr_pattern")
            compiled = re.compile(pattern) if pattern else None
            models.append(_ModelRule(vendor, model, _model_oids(rule), compiled))
    return tuple(vendors), tuple(models)


def _vendor_by_oid(oid: str, rules: tuple[_VendorRule, ...]) -> str | None:
    best: tuple[int, str] | None = None
    for rule in rules:
        for prefix in rule.prefixes:
            if under_arc(oid, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rule.vendor)
    return best[1] if best else None


def recognise(sys_object_id: str | None, sys_descr: str | None) -> Recognition:
    """The vendor whose rules match (sysObjectID prefix first), and the model if one matches."""
    oid = normalise_oid(sys_object_id or "")
    descr = sys_descr or ""
    vendor_rules, model_rules = _rules()
    vendor = (_vendor_by_oid(oid, vendor_rules) if oid else None) or next(
        (r.vendor for r in vendor_rules if any(p.search(descr) for p in r.patterns)), None
    )
    if vendor is None:
        return Recognition(None, None)
    own = [rule for rule in model_rules if rule.vendor == vendor]
    by_oid = next((rule.model for rule in own if oid and oid in rule.sys_object_ids), None)
    if by_oid is not None:
        return Recognition(vendor, by_oid)
    named = (rule.model for rule in own if rule.sys_descr and rule.sys_descr.search(descr))
    return Recognition(vendor, next(named, None))


def mismatch(expected_vendor: str, expected_model: str, seen: Recognition) -> str | None:
    """Why what the box says disagrees with its inventory entry, or None when it agrees."""
    if seen.vendor is None:
        return f"not recognised as any known vendor (inventory says {expected_vendor})"
    if seen.vendor != expected_vendor:
        return f"looks like a {seen.vendor} box, inventory says {expected_vendor}"
    if seen.model is not None and seen.model != expected_model:
        return f"looks like a {seen.model}, inventory says {expected_model}"
    return None
