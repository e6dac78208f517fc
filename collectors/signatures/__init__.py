"""Signature libraries, software versions and licences of the fleet (issue 5).

- ``collector``: ``SignatureCollector`` (``kind = "signatures"``) and ``SignatureSnapshot``;
- ``versions``: version strings compared by each vendor's rule (profile data);
- ``staleness``: when a library is stale and a licence expiring.

The names below are loaded from their module on first use (PEP 562 ``__getattr__``), so that
the documents, which read ``staleness`` only, do not load the collector's SSH stack
(paramiko, netmiko: about 0.4 s of a report's start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collectors.signatures.collector import (
        SOFTWARE,
        LibraryReading,
        LicenceReading,
        SignatureCollector,
        SignatureSnapshot,
        collect_signatures,
    )
    from collectors.signatures.staleness import (
        StalenessRules,
        library_stale,
        licence_expiring,
        staleness_rules,
    )
    from collectors.signatures.versions import VersionError, compare_versions, version_rules

# Each exported name -> the submodule that defines it.
_HOMES = {
    "SOFTWARE": "collector",
    "LibraryReading": "collector",
    "LicenceReading": "collector",
    "SignatureCollector": "collector",
    "SignatureSnapshot": "collector",
    "collect_signatures": "collector",
    "StalenessRules": "staleness",
    "library_stale": "staleness",
    "licence_expiring": "staleness",
    "staleness_rules": "staleness",
    "VersionError": "versions",
    "compare_versions": "versions",
    "version_rules": "versions",
}

__all__ = [
    "SOFTWARE",
    "LibraryReading",
    "LicenceReading",
    "SignatureCollector",
    "SignatureSnapshot",
    "StalenessRules",
    "VersionError",
    "collect_signatures",
    "compare_versions",
    "library_stale",
    "licence_expiring",
    "staleness_rules",
    "version_rules",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
