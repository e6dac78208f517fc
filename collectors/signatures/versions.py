"""Version strings per vendor rule: parse them into comparable keys, never compare text.

Each vendor's ``collectors/profiles/<vendor>/cli.toml`` names, in ``[signatures.versions]``,
the scheme of every library kind (and of ``software``, the system version), with ``default``
for the kinds it does not list::

    [signatures.versions]
    av = { scheme = "date-dotted", format = "%Y%m%d", source = "unverified: assumed ..." }
    software = { scheme = "pattern", pattern = 'V(\\d+)R(\\d+)C(\\d+)', source = "..." }
    default = { scheme = "dotted", source = "..." }

Schemes:

- ``dotted``: numbers joined by dots after an optional letter prefix ("V5.6.0.2611",
  "TOS_3.3.020.077.1"); missing trailing parts count as 0 (1.2 == 1.2.0).
- ``date``: the whole version is a date/time in ``format`` (strptime, e.g. ``%Y%m%d%H``).
- ``date-dotted``: a date in ``format``, a ``separator`` (default "."), then a serial number
  ("20261118.01").
- ``build``: one integer, after an optional letter prefix ("B1042").
- ``pattern``: ``pattern`` must match the whole version; its groups are numbers compared in
  order (a group that did not take part counts as 0).

A version that does not fit its scheme, or a scheme this module does not know, raises
``VersionError`` naming the device and library: there is no fallback to comparing text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from agent.errors import NetmonError
from collectors.profiles import get_profile

__all__ = [
    "SCHEMES",
    "VersionError",
    "VersionRules",
    "VersionScheme",
    "compare_versions",
    "version_rules",
]

SCHEMES: tuple[str, ...] = ("dotted", "date", "date-dotted", "build", "pattern")
DOTTED = re.compile(r"[A-Za-z_\-]*(\d+(?:\.\d+)*)")
BUILD = re.compile(r"[A-Za-z_\-]*(\d+)")

VersionKey = tuple[int, ...]


class VersionError(NetmonError):
    """A version string could not be read under its vendor's rule (names device, library)."""


@dataclass(frozen=True)
class VersionScheme:
    """One library's version rule, from a vendor profile."""

    name: str
    format: str = ""  # strptime format: date, date-dotted
    separator: str = "."  # date-dotted: between the date and the serial
    pattern: str = ""  # pattern: the regular expression with numeric groups
    source: str = ""

    def key(self, version: str) -> VersionKey:
        """A tuple of integers that orders versions of this scheme; ValueError if it does
        not fit (the caller adds device and library to the message)."""
        text = version.strip()
        if self.name == "dotted":
            found = DOTTED.fullmatch(text)
            if found is None:
                raise ValueError(f"{text!r} is not a dotted version (like 3.1.0.1042)")
            parts = [int(part) for part in found.group(1).split(".")]
            while len(parts) > 1 and parts[-1] == 0:
                parts.pop()  # 1.2.0 and 1.2 are the same version
            return tuple(parts)
        if self.name == "build":
            found = BUILD.fullmatch(text)
            if found is None:
                raise ValueError(f"{text!r} is not a build number")
            return (int(found.group(1)),)
        if self.name == "date":
            return _date_key(text, self.format)
        if self.name == "date-dotted":
            day, separator, serial = text.rpartition(self.separator)
            if not separator or not serial.isdigit():
                raise ValueError(
                    f"{text!r} is not <date>{self.separator}<serial> (date format {self.format})"
                )
            return (*_date_key(day, self.format), int(serial))
        if self.name == "pattern":
            found = re.fullmatch(self.pattern, text)
            if found is None:
                raise ValueError(f"{text!r} does not match {self.pattern!r}")
            try:
                return tuple(int(group or 0) for group in found.groups())
            except ValueError:
                raise ValueError(
                    f"{text!r}: the groups of {self.pattern!r} must capture numbers"
                ) from None
        raise ValueError(f"unknown version scheme {self.name!r} (known: {', '.join(SCHEMES)})")


def _date_key(text: str, date_format: str) -> VersionKey:
    try:
        moment = datetime.strptime(text, date_format)
    except ValueError:
        raise ValueError(f"{text!r} is not a date in format {date_format}") from None
    return (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def _scheme(vendor: str, kind: str, table: Any) -> VersionScheme:
    where = f"collectors/profiles/{vendor}/cli.toml [signatures.versions] {kind}"
    if not isinstance(table, dict):
        raise VersionError(f'{where}: expected a table like {{ scheme = "dotted" }}')
    name = str(table.get("scheme", ""))
    if name not in SCHEMES:
        raise VersionError(f"{where}: unknown scheme {name!r} (known: {', '.join(SCHEMES)})")
    scheme = VersionScheme(
        name=name,
        format=str(table.get("format", "")),
        separator=str(table.get("separator", ".")),
        pattern=str(table.get("pattern", "")),
        source=str(table.get("source", "")),
    )
    if name in ("date", "date-dotted") and not scheme.format:
        raise VersionError(f"{where}: scheme {name} needs a format (like %Y%m%d)")
    if name == "pattern":
        try:
            compiled = re.compile(scheme.pattern)
        except re.error as error:
            raise VersionError(f"{where}: bad pattern: {error}") from None
        if not scheme.pattern or compiled.groups == 0:
            raise VersionError(f"{where}: scheme pattern needs a pattern with numeric groups")
    if not scheme.source:
        raise VersionError(f"{where}: say where the scheme comes from (source = ...)")
    return scheme


@dataclass(frozen=True)
class VersionRules:
    """The version schemes of one vendor, by library kind."""

    vendor: str
    schemes: dict[str, VersionScheme]

    def scheme(self, kind: str) -> VersionScheme | None:
        return self.schemes.get(kind.lower()) or self.schemes.get("default")

    def key(self, device: str, library: str, kind: str, version: str) -> VersionKey:
        scheme = self.scheme(kind)
        if scheme is None:
            raise VersionError(
                f"{device}: library {library}: collectors/profiles/{self.vendor}/cli.toml "
                f"names no version scheme for {kind!r} and no default"
            )
        try:
            return scheme.key(version)
        except ValueError as error:
            raise VersionError(
                f"{device}: library {library}: version {version!r} does not fit the "
                f"{self.vendor} {scheme.name} rule: {error}"
            ) from None

    def compare(self, device: str, library: str, kind: str, old: str, new: str) -> int:
        """-1, 0 or 1 as ``new`` is older than, the same as, or newer than ``old``."""
        before = self.key(device, library, kind, old)
        after = self.key(device, library, kind, new)
        return (after > before) - (after < before)


@cache
def version_rules(vendor: str) -> VersionRules:
    """The vendor's rules from its profile; VersionError if the section is malformed."""
    raw = get_profile(vendor).cli.get("signatures", {}).get("versions", {})
    schemes = {kind.lower(): _scheme(vendor, kind, table) for kind, table in raw.items()}
    return VersionRules(vendor, schemes)


def compare_versions(vendor: str, device: str, library: str, kind: str, old: str, new: str) -> int:
    """``VersionRules.compare`` with the vendor's rules."""
    return version_rules(vendor).compare(device, library, kind, old, new)
