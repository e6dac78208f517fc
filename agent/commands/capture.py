"""``netmon capture DEVICE``: record a real box once, for the lab and the tests to replay.

Run once by a field engineer against a real device. The SNMP walk is paced (``--rate``
requests per second) and reads only the subtrees the device's profile uses; the CLI part
sends only display/show commands and redacts every secret before anything is written.
Then: ``netmon lab --recordings DIR`` serves the recording, a poll of it is compared with the
poll of the box, and the recording is committed (README, "Capturing a real box").
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "capture",
        help="record a device's SNMP subtrees and read-only CLI outputs (secrets redacted)",
        description="Walk the SNMP subtrees the device's profile uses (rate-limited) and run "
        "every display/show command of its CLI profile, redacting secrets before writing, "
        "into a folder that `netmon lab --recordings` serves.",
    )
    parser.add_argument("device", help="device name from the inventory")
    parser.add_argument("--inventory", type=Path, default=None, help="inventory file")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: ./captures/DEVICE)"
    )
    parser.add_argument(
        "--rate", type=float, default=None, help="SNMP requests per second at most (default 10)"
    )
    parser.add_argument(
        "--max-repetitions", type=int, default=10, help="GETBULK max-repetitions (default 10)"
    )
    parser.add_argument("--no-snmp", action="store_true", help="skip the SNMP walk")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI transcript")
    parser.add_argument(
        "--lab", action="store_true", help="capture the device's twin in a running `netmon lab`"
    )
    parser.add_argument("--lab-dir", type=Path, default=None, help="the running lab's folder")
    parser.set_defaults(func=capture_command)


def capture_command(args: argparse.Namespace) -> int:
    from agent.capture import DEFAULT_RATE, capture_device
    from agent.commands.poll import _lab_twin
    from agent.inventory import default_inventory_path, load_inventory

    inventory = load_inventory(args.inventory or default_inventory_path())
    device = inventory.by_name(args.device)
    target = _lab_twin(device, args.lab_dir) if args.lab else device
    out = args.out or Path("captures") / device.name
    manifest = capture_device(
        target,
        out,
        rate=args.rate or DEFAULT_RATE,
        max_repetitions=args.max_repetitions,
        snmp=not args.no_snmp,
        cli=not args.no_cli,
    )
    print(f"netmon capture: {device.name} written to {out} (see {manifest.name})")
    return 0
