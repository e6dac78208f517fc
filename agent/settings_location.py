"""Which netmon.toml applies: ``--config``, ``$NETMON_SETTINGS`` or /etc/netmon/netmon.toml.

Apart from ``agent.settings`` because finding the file needs none of its schema: the
documents (``agent.reports.settings``) read only their sections, and importing the schema
loads pydantic and the inventory model (a fifth of a report's start-up).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SYSTEM_SETTINGS = Path("/etc/netmon/netmon.toml")
SETTINGS_VARIABLE = "NETMON_SETTINGS"


def settings_path(
    explicit: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Which netmon.toml applies, for the daemon and every command alike: ``--config``, else
    ``$NETMON_SETTINGS``, else /etc/netmon/netmon.toml when it exists; None: the defaults."""
    if explicit:
        return Path(explicit)
    environ = os.environ if environ is None else environ
    if environ.get(SETTINGS_VARIABLE):
        return Path(environ[SETTINGS_VARIABLE])
    return SYSTEM_SETTINGS if SYSTEM_SETTINGS.is_file() else None
