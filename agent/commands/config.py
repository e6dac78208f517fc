"""``netmon config``: fetch, approve, diff, history, status and git export of configurations.

Everything printed comes from the store or the collector's snapshot, which are redacted: a
secret never reaches the terminal. ``fetch --lab`` fetches from the device's twin in a running
``netmon lab``, never from the inventory's placeholder address.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.errors import NetmonError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="configuration versions, baseline approval and drift",
        description="Fetch device configurations (redacted), approve baselines, show drift.",
    )
    parser.add_argument("--url", default=None, help="database URL (default: see README)")
    commands = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)

    fetch = commands.add_parser("fetch", help="fetch a device's configuration now and store it")
    fetch.add_argument("device", help="device name from the inventory")
    fetch.add_argument("--inventory", type=Path, default=None, help="inventory file")
    fetch.add_argument("--lab", action="store_true", help="fetch from the twin in `netmon lab`")
    fetch.add_argument("--lab-dir", type=Path, default=None, help="the running lab's folder")
    fetch.add_argument("--git", type=Path, default=None, help="also export to this git folder")
    fetch.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the display"
    )
    fetch.set_defaults(func=fetch_command)

    approve = commands.add_parser("approve", help="approve a version as the device's baseline")
    approve.add_argument("device")
    approve.add_argument("--reason", required=True, help="why this configuration is right")
    approve.add_argument("--by", default=None, help="who approves (default: your user name)")
    approve.add_argument("--version", type=int, default=None, help="version (default: current)")
    approve.set_defaults(func=approve_command)

    diff = commands.add_parser("diff", help="unified diff (default: baseline -> current)")
    diff.add_argument("device")
    diff.add_argument("--from", dest="from_version", type=int, default=None)
    diff.add_argument("--to", dest="to_version", type=int, default=None)
    diff.set_defaults(func=diff_command)

    history = commands.add_parser("history", help="list a device's configuration versions")
    history.add_argument("device")
    history.set_defaults(func=history_command)

    status = commands.add_parser("status", help="drift of every device")
    status.set_defaults(func=status_command)

    export = commands.add_parser("export", help="export versions to a git repository")
    export.add_argument("--git", type=Path, required=True, help="the repository folder")
    export.set_defaults(func=export_command)


def _stamp(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}Z"


def fetch_command(args: argparse.Namespace) -> int:
    from agent import drift
    from agent.inventory import default_inventory_path, load_inventory
    from agent.store import open_store
    from agent.store.repository import sync_devices
    from collectors.config import ConfigCollector

    inventory = load_inventory(args.inventory or default_inventory_path())
    device = inventory.by_name(args.device)
    if args.lab:
        from agent.commands.poll import _lab_twin

        target = _lab_twin(device, args.lab_dir)
    else:
        target = device
    with open_store(args.url) as store:
        with store.session() as session:
            sync_devices(session, inventory.devices)
        collector = ConfigCollector(read_timeout=args.timeout)
        try:
            snapshot = collector.collect_sync(target)
        except NetmonError as error:
            drift.record_failure(store, device.name, error)
            raise
        state = drift.record_config(store, snapshot, git_dir=args.git)
        versions = drift.history(store, device.name)
    current = versions[-1]
    fresh = current.first_seen == snapshot.collected_at
    print(
        f"{device.name}: configuration v{current.sequence} "
        f"({'new' if fresh else 'unchanged'}; {current.lines} lines, "
        f"{snapshot.secrets_redacted} secrets redacted, "
        f"{snapshot.volatile_dropped} volatile lines dropped)"
    )
    print(f"  drift       {'YES' if state.drift else state.label}")
    return 0


def approve_command(args: argparse.Namespace) -> int:
    from agent import drift
    from agent.store import open_store

    with open_store(args.url) as store:
        info = drift.approve(store, args.device, args.reason, by=args.by, version=args.version)
    print(
        f"{args.device}: v{info.sequence} is the approved baseline "
        f"(by {info.approved_by} at {_stamp(info.approved_at)}: {info.approval_note})"
    )
    return 0


def diff_command(args: argparse.Namespace) -> int:
    from agent import drift
    from agent.store import open_store

    with open_store(args.url) as store:
        text = drift.diff(store, args.device, args.from_version, args.to_version)
    print(text if text else f"{args.device}: no differences")
    return 0


def history_command(args: argparse.Namespace) -> int:
    from agent import drift
    from agent.store import open_store

    with open_store(args.url) as store:
        versions = drift.history(store, args.device)
    if not versions:
        print(f"{args.device}: no configuration stored yet")
        return 0
    print(f"{'version':>7}  {'first seen':20}  {'last seen':20}  {'lines':>5}  sha256    baseline")
    for v in versions:
        approval = (
            f"BASELINE (by {v.approved_by}: {v.approval_note})"
            if v.is_baseline
            else (f"was approved by {v.approved_by}" if v.approved_by else "")
        )
        print(
            f"{v.sequence:>7}  {_stamp(v.first_seen):20}  {_stamp(v.last_seen):20}  "
            f"{v.lines:>5}  {v.sha256[:8]}  {approval}"
        )
    return 0


def status_command(args: argparse.Namespace) -> int:
    from agent import drift
    from agent.store import open_store

    with open_store(args.url) as store:
        rows = drift.status(store)
    print(f"{'device':28} {'current':>7} {'baseline':>8}  {'state':11}  last change")
    for row in rows:
        current = "-" if row.current is None else f"v{row.current}"
        baseline = "none" if row.baseline is None else f"v{row.baseline}"
        state = {"drift": "DRIFT", "ok": "ok"}.get(row.state.label, row.state.label)
        print(
            f"{row.device:28} {current:>7} {baseline:>8}  {state:11}"
            f"  {_stamp(row.state.last_change)}"
        )
    # Drift is only measured against an approved baseline: until one exists, nothing alerts.
    waiting = [row for row in rows if row.baseline is None and row.current is not None]
    if waiting:
        print(
            f"\n{len(waiting)} device(s) have no approved baseline yet, so their configuration"
            " changes are not drift and raise no alert. Review the current version and approve"
            " it, e.g.:"
        )
        print(f"  netmon config approve {waiting[0].device} --reason 'initial baseline'")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from agent import drift
    from agent.store import open_store

    with open_store(args.url) as store:
        made = drift.export_git(store, args.git)
    print(f"{made} commit(s) exported to {args.git}")
    return 0
