"""``netmon signatures``: the fleet's signature libraries, software and licences as a table.

Reads the store (what the daemon or an earlier ``--fetch`` collected) and prints one row per
device and library, with its version, release date, age and the expiry of the licence that
covers it; stale libraries and expiring licences are marked by the staleness rules of the
daemon's configuration (``--config``, default /etc/netmon/netmon.toml when it exists).
``--fetch DEVICE ...`` collects those devices now and stores the result first; with ``--lab``
their simulated twins in a running ``netmon lab`` are asked instead of the inventory address.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.signatures import DeviceSignatures, RecordOutcome
    from collectors.signatures import SignatureSnapshot, StalenessRules

HEADERS = ("device", "library", "version", "released", "age", "licence expiry", "")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "signatures",
        help="show the fleet's signature libraries and licences (stale / expiring marked)",
        description="Print every device's signature libraries, software version and licences "
        "from the store; --fetch collects devices first.",
    )
    parser.add_argument(
        "--fetch", nargs="+", metavar="DEVICE", default=[], help="collect these devices now"
    )
    parser.add_argument(
        "--lab", action="store_true", help="fetch from the twins in a running `netmon lab`"
    )
    parser.add_argument("--lab-dir", type=Path, default=None, help="the running lab's folder")
    parser.add_argument("--inventory", type=Path, default=None, help="inventory file")
    parser.add_argument("--config", type=Path, default=None, help="netmon.toml (staleness rules)")
    parser.add_argument("--url", default=None, help="database URL (default: see README)")
    parser.add_argument(
        "--state-dir",
        dest="signatures_state_dir",
        type=Path,
        default=None,
        help="where the SQLite store lives (same as netmon --state-dir)",
    )
    parser.set_defaults(func=signatures_command)


def _rules(config: Path | None) -> StalenessRules:
    from agent.settings import load_settings, settings_path
    from collectors.signatures import staleness_rules

    settings = load_settings(settings_path(config))
    return staleness_rules(
        settings.staleness_days, settings.licence_warning_days, settings.maintenance
    )


def _fetch(args: argparse.Namespace) -> list[tuple[SignatureSnapshot, RecordOutcome]]:
    from agent.inventory import default_inventory_path, load_inventory
    from agent.signatures import record_snapshot
    from agent.store import open_store
    from agent.store.repository import sync_devices
    from collectors.signatures import collect_signatures

    inventory = load_inventory(args.inventory or default_inventory_path())
    devices = [inventory.by_name(name) for name in args.fetch]  # unknown names fail first
    results = []
    with open_store(args.url) as store:
        with store.session() as session:
            sync_devices(session, inventory.devices)
        for device in devices:
            if args.lab:
                from agent.commands.poll import _lab_twin

                target = _lab_twin(device, args.lab_dir)
            else:
                target = device
            started_at = dt.datetime.now(dt.UTC)
            snapshot = collect_signatures(target)
            with store.session() as session:
                outcome = record_snapshot(session, snapshot, started_at)
            results.append((snapshot, outcome))
    return results


def format_fetch(snapshot: SignatureSnapshot, outcome: RecordOutcome) -> list[str]:
    lines = [
        f"{snapshot.device}: {outcome.status}; {len(snapshot.libraries)} "
        f"librar{'y' if len(snapshot.libraries) == 1 else 'ies'}, "
        f"software {snapshot.software_version or '-'}, {len(snapshot.licences)} licences"
    ]
    for change in outcome.changes:
        verb = "ROLLBACK" if change.rollback else "upgrade"
        lines.append(f"  {verb:8} {change.library}: {change.from_version} -> {change.to_version}")
    for feature, old, new in outcome.licence_changes:
        lines.append(f"  licence  {feature}: {old or 'never'} -> {new or 'never'}")
    for what, why in sorted(snapshot.errors.items()):
        lines.append(f"  ERROR    {what}: {why}")
    return lines


def _day(value: dt.date | None) -> str:
    return "-" if value is None else value.isoformat()


def table_rows(views: list[DeviceSignatures], today: dt.date) -> list[tuple[str, ...]]:
    """One row per library (software first); each licence sits on the row of the library it
    covers (same kind: "IPS" / "ips-subscription" with the ips library), the others on rows
    of their own."""
    from collectors.drivers import library_kind

    rows: list[tuple[str, ...]] = []
    for view in views:
        licences = list(view.licences)
        ordered = sorted(view.libraries, key=lambda lib: (lib.library != "software", lib.library))
        for lib in ordered:
            covering = next(
                (lic for lic in licences if library_kind(lic.feature) == lib.kind != "other"),
                None,
            )
            marks = []
            if lib.stale:
                marks.append("STALE")
            if covering is not None:
                licences.remove(covering)
                if covering.expiring:
                    marks.append("EXPIRING")
            if view.silenced:
                marks.append("(silenced)")
            age = lib.age_days(today)
            rows.append(
                (
                    view.device,
                    lib.library,
                    lib.version,
                    _day(lib.release_date),
                    "-" if age is None else f"{age} d",
                    "-" if covering is None else _licence_text(covering),
                    " ".join(marks),
                )
            )
        for lic in licences:
            marks = ["EXPIRING"] if lic.expiring else []
            if view.silenced:
                marks.append("(silenced)")
            rows.append(
                (
                    view.device,
                    f"licence {lic.feature}",
                    "-",
                    "-",
                    "-",
                    _licence_text(lic),
                    " ".join(marks),
                )
            )
    return rows


def _licence_text(lic: object) -> str:
    expires = getattr(lic, "expires_on", None)
    feature = getattr(lic, "feature", "")
    return f"{feature} {'never' if expires is None else expires.isoformat()}"


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in (HEADERS, *rows)) for i in range(len(HEADERS))]
    lines = []
    for row in (HEADERS, *rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def signatures_command(args: argparse.Namespace) -> int:
    from agent.signatures import fleet_rows
    from agent.store import open_store

    if args.signatures_state_dir is not None:
        os.environ["NETMON_STATE_DIR"] = str(args.signatures_state_dir)
    rules = _rules(args.config)
    failures = 0
    for snapshot, outcome in _fetch(args) if args.fetch else []:
        print("\n".join(format_fetch(snapshot, outcome)))
        failures += outcome.status != "ok"
    today = dt.datetime.now(dt.UTC).date()
    with open_store(args.url) as store, store.session(read_only=True) as session:
        views = fleet_rows(session, rules, today)
    rows = table_rows(views, today)
    if args.fetch:
        print()
    if not rows:
        print("no signature libraries or licences stored yet (run with --fetch, or the daemon)")
    else:
        print(format_table(rows))
        stale = sum("STALE" in row[-1] for row in rows)
        expiring = sum("EXPIRING" in row[-1] for row in rows)
        print(f"\n{len(views)} devices; {stale} stale, {expiring} expiring")
    return 1 if failures else 0
