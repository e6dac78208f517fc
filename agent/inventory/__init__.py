"""The fleet inventory: ``inventory.toml`` loaded, checked and typed.

Everything other modules need is importable from here::

    from agent.inventory import load_inventory, default_inventory_path, Device, SecretRef

Secrets never appear in the file: each is a reference (environment variable, file, or systemd
credential) resolved by ``SecretRef.reveal()`` when it is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from agent.inventory.loader import load_inventory
from agent.inventory.model import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    SERVICES,
    Device,
    Inventory,
    InventoryError,
    SecretRef,
    SnmpSettings,
    SshSettings,
)

SYSTEM_INVENTORY = Path("/etc/netmon/inventory.toml")


def default_inventory_path() -> Path:
    """``$NETMON_INVENTORY``, else /etc/netmon/inventory.toml if present, else ./inventory.toml."""
    configured = os.environ.get("NETMON_INVENTORY")
    if configured:
        return Path(configured)
    if SYSTEM_INVENTORY.is_file():
        return SYSTEM_INVENTORY
    return Path("inventory.toml")


__all__ = [
    "AUTH_PROTOCOLS",
    "PRIV_PROTOCOLS",
    "SERVICES",
    "Device",
    "Inventory",
    "InventoryError",
    "SecretRef",
    "SnmpSettings",
    "SshSettings",
    "default_inventory_path",
    "load_inventory",
]
