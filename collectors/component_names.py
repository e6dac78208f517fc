"""One name per fan and power supply, whichever protocol read it (issue 12 item 3).

SNMP names a component from the entity table (``Fan 1``, ``Power Supply 2``) or from its index
(``fan 0.1`` on Huawei's hwFanStatusTable); the CLI fallback names it as the vendor's display
prints it (``fan1``, ``Unit 1 Fan 1``, ``PWR2``). Left alone, one fan read both ways is two
components in the store's component episodes, two Prometheus series and two rows in the
documents ("4 fans, 2 failed" for a box with two fans and one fault).

**Choice: the CLI name is mapped onto the SNMP name, as data.** Each vendor's ``cli.toml`` has
a ``[components]`` table: per kind (``fans``, ``psus``) a list of CLI name shapes (a regular
expression with named groups) and the SNMP name each stands for. SNMP is the primary source
(it runs every poll, the CLI only when SNMP could not say), so its names are the ones already
in the store, the metrics and the documents; mapping onto them adds no series and rewrites no
history. A derived key (kind + number) was not enough: ``Unit 1 Fan 1`` and ``Fan 1`` carry
different numbers, Huawei counts fans from 1 on the CLI and from 0 in the MIB index, and a key
such as ``fan/1`` is not what an engineer reads on the box. A CLI name no rule matches is kept
as printed (and logged), so an unknown shape is visible rather than merged by guess.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

log = logging.getLogger(__name__)

ComponentKind = Literal["fans", "psus"]
# name(kind, cli_name) -> the SNMP name of that component
Renamer = Callable[[ComponentKind, str], str]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    name: str
    defaults: dict[str, str]
    shift: dict[str, int]

    def apply(self, cli_name: str) -> str | None:
        match = self.pattern.fullmatch(cli_name.strip())
        if match is None:
            return None
        values: dict[str, str | int] = {}
        for group, text in match.groupdict().items():
            text = text if text is not None else self.defaults.get(group, "")
            values[group] = int(text) + self.shift.get(group, 0) if text.isdigit() else text
        return self.name.format(**values)


@dataclass(frozen=True)
class ComponentNamer:
    """The ``[components]`` rules of one vendor's CLI profile."""

    vendor: str
    rules: dict[str, tuple[_Rule, ...]]

    def __call__(self, kind: ComponentKind, cli_name: str) -> str:
        for rule in self.rules.get(kind, ()):
            mapped = rule.apply(cli_name)
            if mapped is not None:
                return mapped
        if self.rules.get(kind):
            log.info(
                "cli component name matches no profile rule; kept as printed",
                extra={"vendor": self.vendor, "kind": kind, "name": cli_name},
            )
        return cli_name


def namer_from_profile(vendor: str, cli: dict[str, Any]) -> ComponentNamer:
    """The namer of a checked ``cli.toml`` (``collectors/profiles/cli_schema.py``)."""
    rules: dict[str, tuple[_Rule, ...]] = {}
    for kind, entries in (cli.get("components") or {}).items():
        rules[kind] = tuple(
            _Rule(
                pattern=re.compile(entry["pattern"]),
                name=entry["name"],
                defaults=dict(entry.get("defaults", {})),
                shift=dict(entry.get("shift", {})),
            )
            for entry in entries
        )
    return ComponentNamer(vendor, rules)


@cache
def component_namer(vendor: str) -> ComponentNamer:
    """The shipped profile's namer for ``vendor`` (no rules for an unknown vendor)."""
    from collectors.profiles import load_profiles

    profile = load_profiles().get(vendor)
    return namer_from_profile(vendor, profile.cli if profile else {})
