"""Which way a library or software version moved between two rows of the history.

The documents list every change of ``signature_versions``; whether a change is an upgrade or a
rollback depends on the order of the two versions, never on their text ("20260329.100" sorts
after "20260331.104" as text only by accident of its digits; "V3.10" sorts before "V3.9").

The vendor's own rule (``collectors/profiles/<vendor>/cli.toml`` ``[signatures.versions]``,
read by ``collectors.signatures.versions``) decides first. History written before a rule
existed, or by a vendor whose profile names no rule for that kind (the switches have a rule for
``software`` only), still has to be placed in a document: those versions are compared by their
parts, numbers as numbers and words as words, which orders every scheme the profiles know
("V5.6.0.2611", "20261118.01", "V200R011C10SPC600") the way their own rule does.
"""

from __future__ import annotations

import re

from collectors.library_kinds import library_kind
from collectors.signatures.versions import VersionError, version_rules

# A version's parts: runs of digits, or runs of letters (dots, dashes, spaces only separate).
PART = re.compile(r"\d+|[^\W\d_]+")

# Library names under which the history keeps a system version rather than a signature
# library; their rule in the profiles is the ``software`` one.
SOFTWARE_NAMES = frozenset({"software", "firmware", "system", "os"})

PartKey = tuple[tuple[int, int, str], ...]


def parts_key(version: str) -> PartKey:
    """A key that orders versions part by part: a number by its value, a word by its letters
    (case folded); trailing zero numbers are dropped so that 1.2 and 1.2.0 are equal."""
    parts = [
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in PART.findall(version)
    ]
    while parts and parts[-1][:2] == (0, 0):
        parts.pop()
    return tuple(parts)


def rule_kind(library: str) -> str:
    """The ``[signatures.versions]`` key that governs ``library``."""
    return "software" if library in SOFTWARE_NAMES else library_kind(library)


def version_direction(vendor: str, library: str, old: str, new: str) -> int:
    """1 when ``new`` is newer than ``old``, -1 when it is older (a rollback), 0 when they
    are the same version written differently."""
    try:
        return version_rules(vendor).compare("", library, rule_kind(library), old, new)
    except (VersionError, KeyError):
        # No rule for this vendor or kind, or a version the rule cannot read: by parts.
        before, after = parts_key(old), parts_key(new)
        return (after > before) - (after < before)
