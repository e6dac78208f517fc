"""``netmon lab``: run the loopback device lab, or switch faults on a running one."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from agent.lab.device import Fault


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="run the loopback device lab (SNMP + SSH per device) or change its faults",
        description="Without an action: run a simulated device for every inventory device "
        "on its own 127.x address, in the foreground, until Ctrl-C.",
    )
    parser.add_argument(
        "--inventory",
        type=Path,
        default=None,
        help="inventory file (default: $NETMON_INVENTORY, "
        "/etc/netmon/inventory.toml or ./inventory.toml)",
    )
    parser.add_argument(
        "--lab-dir",
        type=Path,
        help="control socket folder (default: $NETMON_LAB_DIR or $XDG_RUNTIME_DIR/netmon-lab-UID)",
    )
    parser.add_argument("--base-address", default=None, help="first loopback address")
    parser.add_argument("--snmp-port", type=int, default=None)
    parser.add_argument("--ssh-port", type=int, default=None)
    parser.add_argument("--device", action="append", help="simulate only this device (repeatable)")
    parser.add_argument(
        "--recordings",
        type=Path,
        default=None,
        help="serve <model>.snmprec from this folder (a `netmon capture` output) where present",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="DEVICE=NAME",
        help="serve DEVICE's CLI as [variants.NAME] of agent/lab/cli/<vendor>.toml, layouts of "
        "stacked boxes (h3c: irf, huawei: stack); repeatable",
    )
    parser.set_defaults(func=run_lab)
    actions = parser.add_subparsers(dest="lab_action", metavar="ACTION")
    fault = actions.add_parser("fault", help="switch a fault on for a device of a running lab")
    fault.add_argument("device")
    fault.add_argument("kind", choices=[f.value for f in Fault])
    fault.set_defaults(func=fault_command)
    clear = actions.add_parser("clear", help="clear every fault of a device of a running lab")
    clear.add_argument("device")
    clear.set_defaults(func=clear_command)
    status = actions.add_parser("status", help="list the faults now on in a running lab")
    status.set_defaults(func=status_command)


def run_lab(args: argparse.Namespace) -> int:
    from agent.inventory import default_inventory_path, load_inventory
    from agent.lab.lab import (
        DEFAULT_BASE_ADDRESS,
        DEFAULT_SNMP_PORT,
        DEFAULT_SSH_PORT,
        default_lab_dir,
        lab_for_inventory,
    )

    inventory = load_inventory(args.inventory or default_inventory_path())
    variants: dict[str, str] = {}
    for entry in args.variant:
        device, _, variant = entry.partition("=")
        if not device or not variant:
            raise SystemExit(f"netmon lab: --variant {entry!r}: expected DEVICE=NAME")
        variants[device] = variant
    lab = lab_for_inventory(
        inventory,
        only=args.device,
        base_address=args.base_address or DEFAULT_BASE_ADDRESS,
        snmp_port=args.snmp_port or DEFAULT_SNMP_PORT,
        ssh_port=args.ssh_port or DEFAULT_SSH_PORT,
        recordings_dir=args.recordings,
        cli_variants=variants,
    )
    lab_dir = args.lab_dir or default_lab_dir()

    async def serve() -> None:
        await lab.start()
        await lab.serve_control(lab_dir)
        print(
            f"netmon lab: {len(lab.devices)} devices (SNMP {lab.credentials.community!r} / "
            f"v3 user {lab.credentials.v3_user!r}; SSH user {lab.credentials.ssh_username!r})"
        )
        for endpoint in lab.endpoints():
            print(
                f"  {endpoint.name:32} {endpoint.vendor:10} {endpoint.model:22} "
                f"snmp udp:{endpoint.address}:{endpoint.snmp_port}  "
                f"ssh {endpoint.address}:{endpoint.ssh_port}"
            )
        print(f"control: {lab_dir}/control.sock  (netmon lab fault DEVICE KIND | clear DEVICE)")
        print("running until Ctrl-C", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await lab.stop()

    asyncio.run(serve())
    return 0


def _send(args: argparse.Namespace, request: dict[str, str]) -> dict:
    from agent.lab.lab import send_control

    return send_control(request, args.lab_dir)


def fault_command(args: argparse.Namespace) -> int:
    _send(args, {"op": "fault", "device": args.device, "fault": args.kind})
    print(f"{args.device}: {args.kind} on")
    return 0


def clear_command(args: argparse.Namespace) -> int:
    _send(args, {"op": "clear", "device": args.device})
    print(f"{args.device}: faults cleared")
    return 0


def status_command(args: argparse.Namespace) -> int:
    reply = _send(args, {"op": "status"})
    faults = reply.get("faults", {})
    if not faults:
        print("no faults on")
    for name, kinds in sorted(faults.items()):
        print(f"{name}: {', '.join(kinds)}")
    return 0
