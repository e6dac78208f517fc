"""Loading netmon.toml and the inventory together, at start and on SIGHUP.

Both files are read and checked before anything is applied, so a reload takes both or
neither. An inventory whose referenced secrets cannot be read is refused too (unless
``allow_unreadable_secrets`` says otherwise): the daemon would otherwise mark every device
using such a secret unreachable, a fleet-wide false outage. What changed is described for the
log line: devices are compared by the daemon; settings here, split into those applied live and
those that only a restart applies.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.daemon import Schedule
    from agent.inventory import Device
    from agent.settings import Settings

log = logging.getLogger("netmon.reload")

# Settings that running objects were built from (the listener, the store, the collectors):
# a reload reports their change but only a restart applies it.
RESTART_NEEDED: frozenset[str] = frozenset(
    {
        "listen_host",
        "listen_port",
        "web",
        "store_url",
        "snmp_concurrency",
        "ssh_concurrency",
        "staleness_days",
        "licence_warning_days",
    }
)


@dataclass(frozen=True)
class Configuration:
    settings: Settings
    inventory_path: Path
    devices: tuple[Device, ...]
    unreadable_secrets: tuple[str, ...] = ()


def load_configuration(config: Path | None, inventory_override: Path | None) -> Configuration:
    """netmon.toml (None: the defaults) and the inventory it names, both checked; raises
    ``NetmonError`` (SettingsError or InventoryError) naming the file on any problem."""
    from agent.inventory import InventoryError, default_inventory_path, load_inventory
    from agent.settings import load_settings

    settings = load_settings(config)
    path = inventory_override or settings.inventory or default_inventory_path()
    inventory = load_inventory(path)
    problems = inventory.unreadable_secrets()
    if problems and not settings.allow_unreadable_secrets:
        count = len(problems)
        raise InventoryError(
            [
                f"{path}: {count} secret reference{'s' if count > 1 else ''} cannot be read; "
                "the devices using them would all show as down. Fix the secrets, or set "
                "allow_unreadable_secrets = true in netmon.toml to run without them",
                *problems,
            ]
        )
    return Configuration(settings, Path(path), tuple(inventory.devices), tuple(problems))


def warn_unreadable(configuration: Configuration) -> None:
    if configuration.unreadable_secrets:
        log.warning(
            "secrets cannot be read; the devices using them will show as down "
            "(allow_unreadable_secrets = true)",
            extra={"problems": list(configuration.unreadable_secrets)},
        )


def schedule_of(settings: Settings) -> Schedule:
    from agent.daemon import Schedule

    return Schedule(
        intervals=dict(settings.intervals),
        jitter=settings.jitter,
        snmp_concurrency=settings.snmp_concurrency,
        ssh_concurrency=settings.ssh_concurrency,
        job_timeout=settings.job_timeout,
        backoff_max=settings.backoff_max,
        health_retry=settings.health_retry,
    )


def settings_changes(old: Configuration, new: Configuration) -> dict[str, Any]:
    """Fields for the reload's log line: which settings changed, which of them wait for a
    restart, and whether the inventory is now read from another file."""
    changed = [
        item.name
        for item in dataclasses.fields(old.settings)
        if item.name != "path"
        and getattr(old.settings, item.name) != getattr(new.settings, item.name)
    ]
    out: dict[str, Any] = {
        "settings_changed": changed,
        "restart_needed": [name for name in changed if name in RESTART_NEEDED],
    }
    if old.inventory_path != new.inventory_path:
        out["inventory"] = str(new.inventory_path)
    return out
