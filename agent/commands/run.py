"""``netmon run``: the polling daemon (systemd's ``netmon.service`` runs this).

Reads the daemon's configuration (``--config``, else /etc/netmon/netmon.toml when present, else
the defaults), checks the inventory and the store before anything is scheduled, serves
``/metrics`` and polls until SIGTERM. SIGHUP reloads the inventory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.daemon import CollectorKind, Daemon
    from agent.inventory import Device
    from agent.settings import Settings
    from agent.state import FleetState
    from agent.store import Store

log = logging.getLogger("netmon.run")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the polling daemon and serve /metrics",
        description="Poll every inventory device on its schedule, keep results in the store, "
        "serve Prometheus metrics. SIGTERM stops it cleanly; SIGHUP reloads the inventory.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="daemon configuration (default: /etc/netmon/netmon.toml if present)",
    )
    parser.add_argument(
        "--inventory",
        type=Path,
        default=None,
        help="inventory file (overrides the configuration's `inventory`)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.set_defaults(func=run_command)


def collector_kinds(
    settings: Settings, store: Store | None, state: FleetState
) -> list[CollectorKind]:
    """Every collector kind the daemon schedules: health (SNMP, CLI fallback), configuration
    and signature libraries (SSH; agent.kinds)."""
    from agent.daemon import HealthKind
    from agent.kinds import ConfigKind, SignaturesKind
    from agent.recorder import Recorder
    from collectors.config import ConfigCollector
    from collectors.health import HealthCollector
    from collectors.signatures import SignatureCollector, staleness_rules

    recorder = Recorder(store) if store is not None else None
    switches = settings.kinds
    health = HealthCollector(
        concurrency=settings.snmp_concurrency,
        ssh_concurrency=settings.ssh_concurrency,
        cli_for=lambda device: switches.enabled("health_cli", device.name, device.vendor),
    )
    return [
        HealthKind(health, recorder),
        ConfigKind(ConfigCollector(), store, state),
        SignaturesKind(
            SignatureCollector(),
            store,
            staleness_rules(
                settings.staleness_days, settings.licence_warning_days, settings.maintenance
            ),
            state,
        ),
    ]


def build_daemon(
    settings: Settings,
    devices: Sequence[Device],
    state: FleetState,
    store: Store | None,
    reload_devices: Callable[[], Sequence[Device]] | None,
) -> Daemon:
    from agent.daemon import Daemon, Schedule, sync_store_devices
    from agent.shard import make_shard

    schedule = Schedule(
        intervals=settings.intervals,
        jitter=settings.jitter,
        snmp_concurrency=settings.snmp_concurrency,
        ssh_concurrency=settings.ssh_concurrency,
        job_timeout=settings.job_timeout,
        backoff_max=settings.backoff_max,
    )
    state.set_maintenance(settings.maintenance)
    unknown = sorted(settings.maintenance - {d.name for d in devices})
    if unknown:
        log.warning(
            "maintenance names devices the inventory does not have", extra={"devices": unknown}
        )
    return Daemon(
        collector_kinds(settings, store, state),
        devices,
        state,
        schedule,
        reload_devices=reload_devices,
        enabled=lambda kind, device: settings.kinds.enabled(kind, device.name, device.vendor),
        shard=make_shard(settings.shard, settings.store_url),
        on_devices=sync_store_devices(store) if store is not None else None,
    )


def run_command(args: argparse.Namespace) -> int:
    from agent.daemon import configure_logging
    from agent.inventory import default_inventory_path, load_inventory
    from agent.metrics import InterfaceSelection, MetricsServer, build_registry
    from agent.settings import load_settings, settings_path
    from agent.state import FleetState
    from agent.store import open_store

    configure_logging(getattr(logging, args.log_level.upper()))
    settings = load_settings(settings_path(args.config))
    inventory_path = args.inventory or settings.inventory or default_inventory_path()
    inventory = load_inventory(inventory_path)
    store = open_store(settings.store_url)
    state = FleetState()
    interfaces = InterfaceSelection(settings.interfaces, settings.interface_names)
    server = MetricsServer(
        build_registry(state, interfaces=interfaces),
        settings.listen_host,
        settings.listen_port,
        settings.web,
    )

    def reload_devices() -> Sequence[Device]:
        return load_inventory(inventory_path).devices

    daemon = build_daemon(settings, inventory.devices, state, store, reload_devices)
    server.start()
    log.info(
        "serving metrics",
        extra={"url": server.url, "store": store.location, "inventory": str(inventory_path)},
    )
    try:
        asyncio.run(daemon.serve())
    finally:
        server.stop()
        store.close()
    daemon.exit_now_if_stuck()
    return 0
