"""When a signature library counts as stale and a licence as expiring.

The rules are a plain mapping so the daemon's settings (``[staleness]`` and
``[licences] warning_days`` of netmon.toml) feed them directly::

    rules = staleness_rules({"av": 7, "ips": 14, "default": 30}, licence_warning_days=30)
    library_stale("av", release_date, today, rules)

A library kind missing from the mapping uses ``default``; IDS rules follow the IPS rule when
no ``ids`` entry is given. Engines and the system software have no age limit unless the
mapping names them. A library without a release date is never stale (its age is unknown).
Silenced devices (offline on purpose, netmon.toml ``maintenance``) are never stale or
expiring.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

__all__ = [
    "DEFAULT_LIBRARY_DAYS",
    "DEFAULT_LICENCE_WARNING_DAYS",
    "StalenessRules",
    "library_stale",
    "licence_expiring",
    "staleness_rules",
]

DEFAULT_LIBRARY_DAYS: dict[str, float] = {"av": 7, "ips": 14, "url": 30, "app": 30, "default": 30}
DEFAULT_LICENCE_WARNING_DAYS = 30
# Kinds with no age limit unless the rules name them: software is upgraded by project, not
# by a daily feed.
NO_LIMIT_KINDS = frozenset({"engine", "software"})


@dataclass(frozen=True)
class StalenessRules:
    library_days: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LIBRARY_DAYS))
    licence_warning_days: float = DEFAULT_LICENCE_WARNING_DAYS
    silenced: frozenset[str] = frozenset()

    def limit(self, kind: str) -> timedelta | None:
        """How old a library of this kind may be; None: no limit."""
        kind = kind.lower()
        days = self.library_days.get(kind)
        if days is None and kind == "ids":
            days = self.library_days.get("ips")
        if days is None and kind not in NO_LIMIT_KINDS:
            days = self.library_days.get("default")
        return None if days is None else timedelta(days=float(days))


def staleness_rules(
    library_days: Mapping[str, float] | None = None,
    licence_warning_days: float | None = None,
    silenced: Collection[str] = (),
) -> StalenessRules:
    """Rules from plain values; ValueError names a negative or non-numeric entry."""
    days = dict(DEFAULT_LIBRARY_DAYS if library_days is None else library_days)
    for kind, value in days.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"staleness rule {kind!r}: {value!r} is not a number of days >= 0")
    warning = DEFAULT_LICENCE_WARNING_DAYS if licence_warning_days is None else licence_warning_days
    if isinstance(warning, bool) or not isinstance(warning, int | float) or warning < 0:
        raise ValueError(f"licence warning days: {warning!r} is not a number of days >= 0")
    return StalenessRules(
        {k.lower(): float(v) for k, v in days.items()}, warning, frozenset(silenced)
    )


RulesLike = StalenessRules | Mapping[str, float]


def _rules(rules: RulesLike | None) -> StalenessRules:
    """A plain mapping of library kind -> days (as netmon.toml's ``[staleness]``) is accepted
    wherever rules are; the licence warning then keeps its default."""
    if rules is None:
        return StalenessRules()
    return rules if isinstance(rules, StalenessRules) else staleness_rules(rules)


def library_stale(
    kind: str,
    release_date: date | None,
    today: date,
    rules: RulesLike | None = None,
    device: str | None = None,
) -> bool:
    """True when the library is older than its kind's limit (0 days: anything not released
    today is stale)."""
    rules = _rules(rules)
    if device is not None and device in rules.silenced:
        return False
    limit = rules.limit(kind)
    if limit is None or release_date is None:
        return False
    return today - release_date > limit


def licence_expiring(
    expires_on: date | None,
    today: date,
    rules: RulesLike | None = None,
    device: str | None = None,
) -> bool:
    """True when the licence expires within the warning period (or has expired)."""
    rules = _rules(rules)
    if device is not None and device in rules.silenced:
        return False
    if expires_on is None:
        return False  # permanent
    return expires_on - today <= timedelta(days=rules.licence_warning_days)
