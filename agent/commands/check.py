"""``netmon check [FILE]``: validate the inventory and show what the fleet is made of.

A good file prints counts per vendor, model, kind, site and service scope and exits 0. A bad
file raises ``InventoryError`` with every problem, one per line, which ``agent.cli`` prints to
stderr (exit 2). ``--resolve-secrets`` also reads every referenced secret now (never printing
one), so an operator can test a unit's credentials before starting the daemon.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.inventory import Inventory


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate the inventory and print a summary of the fleet",
        description="Validate an inventory file and print devices per vendor, model, kind, "
        "site and service scope, or every error found (file, line, device, field).",
    )
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="inventory file (default: $NETMON_INVENTORY, else /etc/netmon/inventory.toml "
        "if it exists, else ./inventory.toml)",
    )
    parser.add_argument(
        "--resolve-secrets",
        "--resolve",
        dest="resolve_secrets",
        action="store_true",
        help="also check that every referenced secret (env var, file, systemd credential) "
        "can be read now; values are never printed",
    )
    parser.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from agent.inventory import InventoryError, default_inventory_path, load_inventory

    path = args.file or default_inventory_path()
    try:
        inventory = load_inventory(path)
    except InventoryError as error:
        # A header line first, so that agent.cli's "netmon check: " prefix lands on it and
        # every error below starts at the left margin (file:line: ...), ready for an editor.
        count = len(error.errors)
        raise InventoryError(
            [f"{path}: {count} error{'s' if count > 1 else ''}", *error.errors]
        ) from None
    print(format_summary(inventory))
    if args.resolve_secrets:
        problems = inventory.unreadable_secrets()
        if problems:
            count = len(problems)
            raise InventoryError(
                [f"{path}: {count} secret reference(s) cannot be read now", *problems]
            )
        refs = {ref for device in inventory.devices for _field, ref in device.secret_refs()}
        print(f"\nsecrets: all {len(refs)} referenced secrets can be read")
    return 0


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters (vendor names) take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(title: str, rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    lines = ["", f"{title}:"]
    for row in rows:
        cells = [
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def format_summary(inventory: Inventory) -> str:
    from collectors.profiles import load_profiles

    profiles = load_profiles()
    devices = inventory.devices
    models = {(d.vendor, d.model): d for d in devices}
    switch_models = sum(1 for d in models.values() if d.kind == "switch")
    switches = sum(1 for d in devices if d.kind == "switch")
    lines = [
        f"{inventory.path}: OK",
        f"{len(devices)} devices ({len(devices) - switches} security appliances, "
        f"{switches} switches), {len({d.vendor for d in devices})} vendors, {len(models)} models "
        f"({len(models) - switch_models} security appliance models, {switch_models} switch models)",
    ]
    per_vendor = Counter(d.vendor for d in devices)
    lines += _table(
        "devices per vendor",
        [(v, profiles[v].display_name, str(n)) for v, n in sorted(per_vendor.items())],
    )
    per_model = Counter((d.vendor, d.model) for d in devices)
    lines += _table(
        "devices per model",
        [
            (
                vendor,
                model,
                models[vendor, model].kind,
                str(n),
                ", ".join(models[vendor, model].services),
            )
            for (vendor, model), n in sorted(per_model.items())
        ],
    )
    summary = inventory.summary()
    for title, key in (("per kind", "kinds"), ("per site", "sites"), ("per services", "services")):
        lines += _table(f"devices {title}", [(k, str(n)) for k, n in summary[key].items()])
    return "\n".join(lines)
