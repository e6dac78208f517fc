"""``netmon poll DEVICE``: one health collection, printed, and kept in the store.

With ``--lab`` the device is polled at its simulated twin in a running ``netmon lab`` (the
lab's endpoint list and credentials come from its ``lab.json``), never at the inventory's
placeholder address.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import NetmonError

if TYPE_CHECKING:
    from agent.inventory import Device
    from collectors.base import HealthSnapshot


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "poll",
        help="run one health collection of a device and print it",
        description="Poll one device's health now, print the snapshot and store it.",
    )
    parser.add_argument("device", help="device name from the inventory")
    parser.add_argument("--inventory", type=Path, default=None, help="inventory file")
    parser.add_argument(
        "--lab", action="store_true", help="poll the device's twin in a running `netmon lab`"
    )
    parser.add_argument("--lab-dir", type=Path, default=None, help="the running lab's folder")
    parser.add_argument("--url", default=None, help="database URL (default: see README)")
    parser.add_argument("--no-store", action="store_true", help="print only, store nothing")
    parser.add_argument("--json", action="store_true", help="print the snapshot as JSON")
    parser.set_defaults(func=poll_command)


def _lab_twin(device: Device, lab_dir: Path | None) -> Device:
    from agent.lab.lab import default_lab_dir

    state_file = (lab_dir or default_lab_dir()) / "lab.json"
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise NetmonError(f"no running lab: cannot read {state_file} ({error})") from None
    endpoint = next((e for e in state["devices"] if e["name"] == device.name), None)
    if endpoint is None:
        raise NetmonError(f"the running lab has no device {device.name!r}")
    creds = state["credentials"]
    return device.with_endpoint(
        endpoint["address"],
        endpoint["snmp_port"],
        endpoint["ssh_port"],
        community=creds["community"],
        v3_user=creds["v3_user"],
        v3_auth_key=creds["v3_auth_key"],
        v3_priv_key=creds["v3_priv_key"],
        ssh_username=creds["ssh_username"],
        ssh_password=creds["ssh_password"],
    )


def poll_command(args: argparse.Namespace) -> int:
    from agent.inventory import default_inventory_path, load_inventory
    from collectors.health import HealthCollector

    inventory = load_inventory(args.inventory or default_inventory_path())
    device = inventory.by_name(args.device)
    target = _lab_twin(device, args.lab_dir) if args.lab else device
    started_at = datetime.now(UTC)
    snapshot = asyncio.run(HealthCollector().collect(target))
    if not args.no_store:
        from agent.recorder import Recorder
        from agent.store import open_store
        from agent.store.repository import sync_devices

        with open_store(args.url) as store:
            with store.session() as session:
                sync_devices(session, inventory.devices)
            Recorder(store).save_health(snapshot, started_at)
    if args.json:
        print(json.dumps(asdict(snapshot), default=str, indent=2, ensure_ascii=False))
    else:
        print(format_snapshot(device, snapshot))
    return 0 if snapshot.reachable else 1


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def format_snapshot(device: Device, snapshot: HealthSnapshot) -> str:
    lines = [
        f"{device.name}  {device.vendor} {device.model} ({device.kind}, {device.site})",
        f"  reachable   {'yes' if snapshot.reachable else 'NO'}"
        + (
            f"  (SNMP {snapshot.snmp_rtt_seconds * 1000:.0f} ms)"
            if snapshot.snmp_rtt_seconds is not None
            else ""
        ),
    ]
    if snapshot.identity.sys_descr:
        first_line = snapshot.identity.sys_descr.splitlines()[0]
        lines.append(f"  identity    {first_line}  [{snapshot.identity.sys_object_id}]")
    if snapshot.identity.mismatch:
        lines.append(f"  MISMATCH    {snapshot.identity.mismatch}")
    if snapshot.uptime_seconds is not None:
        days, rest = divmod(int(snapshot.uptime_seconds), 86400)
        lines.append(f"  uptime      {days} d {rest // 3600} h {rest % 3600 // 60} min")
    lines.append(f"  cpu         {_ratio(snapshot.cpu_ratio)}")
    lines.append(f"  memory      {_ratio(snapshot.memory_ratio)}")
    for sensor in snapshot.temperatures:
        lines.append(f"  temperature {sensor.celsius:.0f} °C  {sensor.name}")
    for fan in snapshot.fans:
        lines.append(f"  fan         {fan.state:8} {fan.name}")
    for psu in snapshot.power_supplies:
        lines.append(f"  power       {psu.state:8} {psu.name}")
    if snapshot.sessions is not None:
        rate = snapshot.new_sessions_per_second
        lines.append(
            f"  sessions    {snapshot.sessions}"
            + (f"  ({rate:.0f} new/s)" if rate is not None else "")
        )
    if snapshot.ha_role is not None:
        lines.append(f"  ha role     {snapshot.ha_role}")
    if snapshot.disk_ratio is not None:
        lines.append(f"  disk        {_ratio(snapshot.disk_ratio)}")
    if snapshot.interfaces:
        up = sum(1 for port in snapshot.interfaces if port.oper_up)
        lines.append(f"  interfaces  {len(snapshot.interfaces)} ({up} up)")
    for what, why in sorted(snapshot.unreadable.items()):
        lines.append(f"  UNREADABLE  {what}: {why}")
    return "\n".join(lines)
