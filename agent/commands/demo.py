"""``netmon demo``: the whole fleet simulated on loopback, polled by the daemon, with metrics.

The README's first command. It starts the device lab for every inventory device in a process
of its own (``netmon lab``, see ``agent.lab.process``: load on the poller never reads as a
device fault) on 127.x addresses, with a control socket in a private directory so
``netmon lab --lab-dir ... fault`` / ``clear`` work against it,
creates or upgrades the SQLite store in the state directory, runs the daemon against the lab
with short intervals (a fault shows in the metrics within a minute), and serves ``/metrics``
until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import shlex
import shutil
import sys
from pathlib import Path

from agent.errors import NetmonError

DEMO_INTERVALS = {"health": 10.0, "config": 60.0, "signatures": 60.0}
DEMO_BASE_ADDRESS = "127.11.0.1"  # next to `netmon lab`'s 127.10.0.1, so both can run
DEFAULT_PORT = 9464


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="simulate the whole fleet on loopback, poll it and serve metrics",
        description="Start the device lab for every inventory device, run the daemon against "
        "it with short intervals and SQLite in the state directory, and serve /metrics.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"metrics port on 127.0.0.1 (default {DEFAULT_PORT}, or a free one when it is "
        "taken; 0 picks a free one)",
    )
    # A dest of its own: the top-level --state-dir (same meaning) must not be overwritten.
    parser.add_argument(
        "--state-dir",
        dest="demo_state_dir",
        type=Path,
        default=None,
        help="state directory for the store (default: as every netmon command)",
    )
    parser.add_argument("--inventory", type=Path, default=None, help="inventory file")
    parser.add_argument(
        "--lab-dir",
        type=Path,
        default=None,
        help="the lab's control folder (default: as `netmon lab`)",
    )
    parser.add_argument(
        "--lab-base-address",
        default=DEMO_BASE_ADDRESS,
        help=f"first loopback address of the lab (default {DEMO_BASE_ADDRESS})",
    )
    parser.add_argument("--lab-snmp-port", type=int, default=None)
    parser.add_argument("--lab-ssh-port", type=int, default=None)
    parser.set_defaults(func=demo_command)


def _running_lab(lab_dir: Path) -> bool:
    from agent.lab.lab import LabError, send_control

    try:
        send_control({"op": "status"}, lab_dir)
    except (LabError, OSError, ValueError):
        return False
    return True


def demo_command(args: argparse.Namespace) -> int:
    from agent.commands.run import build_daemon
    from agent.daemon import configure_logging, sync_store_devices
    from agent.http_server import MetricsServer
    from agent.inventory import default_inventory_path, load_inventory
    from agent.lab.lab import DEFAULT_SNMP_PORT, DEFAULT_SSH_PORT, Lab, default_lab_dir
    from agent.lab.process import LabProcess, free_base_address, private_lab_dir
    from agent.metrics import build_registry
    from agent.self_metrics import register_self_metrics
    from agent.settings import Settings
    from agent.state import FleetState
    from agent.store import default_state_dir, open_store
    from agent.store.schema import upgrade
    from agent.writer import StoreWriterCollector

    # Human-readable instructions go to stdout; the daemon's JSON log (warnings and worse,
    # e.g. a device that stopped answering) to stderr.
    configure_logging(logging.WARNING, stream=sys.stderr)
    if args.demo_state_dir is not None:
        os.environ["NETMON_STATE_DIR"] = str(args.demo_state_dir)
    state_dir = default_state_dir()
    os.environ["NETMON_STATE_DIR"] = str(state_dir)
    if os.environ.get("NETMON_DB_URL"):
        raise NetmonError("netmon demo keeps its store in the state directory; unset NETMON_DB_URL")
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    upgrade()
    inventory_path = args.inventory or default_inventory_path()
    inventory = load_inventory(inventory_path)
    # The lab directory: the one asked for (--lab-dir, $NETMON_LAB_DIR), else a private one
    # for this run, so that two users (or two root sessions) on one host never share it.
    created_lab_dir = False
    if args.lab_dir is not None or os.environ.get("NETMON_LAB_DIR"):
        lab_dir = args.lab_dir or default_lab_dir()
        if _running_lab(lab_dir):
            raise NetmonError(
                f"a lab is already running with its control socket in {lab_dir}; "
                "stop it or give the demo another --lab-dir"
            )
    else:
        lab_dir = private_lab_dir()
        created_lab_dir = True
    snmp_port = args.lab_snmp_port or DEFAULT_SNMP_PORT
    ssh_port = args.lab_ssh_port or DEFAULT_SSH_PORT
    base_address = args.lab_base_address
    if base_address == DEMO_BASE_ADDRESS:  # the default: step aside for another demo
        base_address = free_base_address(base_address, snmp_port)

    # The same addresses and credentials as the lab process computes: the daemon polls these.
    lab = Lab(
        list(inventory.devices),
        base_address=base_address,
        snmp_port=snmp_port,
        ssh_port=ssh_port,
    )
    settings = dataclasses.replace(
        Settings(),
        intervals=dict(DEMO_INTERVALS),
        jitter=1.0,
        job_timeout=30.0,
        backoff_max=30.0,
        listen_port=args.port,
    )
    state = FleetState()
    store = open_store()
    registry = build_registry(state)
    try:
        server = MetricsServer(registry, "127.0.0.1", args.port)
    except NetmonError:
        if args.port != DEFAULT_PORT:
            store.close()
            raise
        # The default port is taken (another demo, a netmon run): take a free one, and say so.
        server = MetricsServer(registry, "127.0.0.1", 0)
        print(f"port {DEFAULT_PORT} is taken; serving metrics on port {server.port} instead")
    # The simulated devices run in their own process: load on this one (the poller) must never
    # read as a device fault.
    lab_process = LabProcess(
        inventory_path, lab_dir, base_address, snmp_port, ssh_port, log=state_dir / "lab.log"
    )
    try:
        lab_process.start()
        devices = lab.lab_inventory_devices(inventory)

        def reload_devices() -> list:
            return lab.lab_inventory_devices(load_inventory(inventory_path))

        # The same write path as `netmon run`: one queue for every kind, spooled in the
        # demo's state directory while its store cannot take writes.
        daemon = build_daemon(
            settings, devices, state, store, reload_devices, spool_dir=state_dir / "spool"
        )
        write_queue = daemon.write_queue
        assert write_queue is not None  # a store and a spool directory were given
        registry.register(StoreWriterCollector(write_queue))
        sync_devices = sync_store_devices(store)
        write_queue.on_new_file = lambda: sync_devices(list(daemon.devices.values()))
        register_self_metrics(registry, daemon.accounting, state)
        server.start()
        asyncio.run(
            daemon.serve(
                ready=lambda: _print_banner(
                    server.url,
                    state_dir,
                    store.location,
                    lab_dir,
                    lab_dir != default_lab_dir(),
                    devices,
                )
            )
        )
        daemon.exit_now_if_stuck()
    finally:
        server.stop()
        lab_process.stop()
        store.close()
        if created_lab_dir:
            shutil.rmtree(lab_dir, ignore_errors=True)
    return 0


def _print_banner(
    url: str, state_dir: Path, store: str, lab_dir: Path, custom_lab_dir: bool, devices: list
) -> None:
    lab = f" --lab-dir {shlex.quote(str(lab_dir))}" if custom_lab_dir else ""
    state = f"--state-dir {shlex.quote(str(state_dir))}"
    first = devices[0].name if devices else "DEVICE"
    other = devices[min(5, len(devices) - 1)].name if devices else "DEVICE"
    print(
        f"netmon demo: {len(devices)} simulated devices, polled every "
        f"{DEMO_INTERVALS['health']:g} s"
    )
    print(f"  metrics:    {url}")
    print(f"  state dir:  {state_dir}   (store {store})")
    print(f"  lab:        {lab_dir}")
    print("  switch a fault on (shows in the metrics within a minute):")
    print(f"    netmon lab{lab} fault {first} fan-fail")
    print(f"    netmon lab{lab} fault {other} down")
    print(f"  and off again:  netmon lab{lab} clear {first}")
    print(f"  the store, from another shell:  netmon {state} <command>")
    print("running until Ctrl-C", flush=True)
