"""Signature libraries, software versions and licences of the fleet (issue 5).

- ``collector``: ``SignatureCollector`` (``kind = "signatures"``) and ``SignatureSnapshot``;
- ``versions``: version strings compared by each vendor's rule (profile data);
- ``staleness``: when a library is stale and a licence expiring.
"""

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
