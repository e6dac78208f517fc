"""``netmon run``: the polling daemon (systemd's ``netmon.service`` runs this).

Reads the daemon's configuration (``--config``, else /etc/netmon/netmon.toml when present, else
the defaults), checks the inventory (its secrets included) and the store before anything is
scheduled, serves ``/metrics`` and polls until SIGTERM. SIGHUP reloads netmon.toml and the
inventory together (``agent.reload``): anything invalid is refused and the running ones stay.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.daemon import CollectorKind, Daemon, DeviceSource, Reloaded
    from agent.inventory import Device
    from agent.settings import Settings
    from agent.state import FleetState
    from agent.store import Store
    from agent.writer import WriteBehind

log = logging.getLogger("netmon.run")

# How long a thread holds the GIL before handing it to one that waits (CPython's default is
# 5 ms). At thousands of devices the poller's event loop and the store writer's thread are both
# busy, and every hand-over costs both of them their warm caches: at 5,000 simulated switches
# on one agent (benchmarks/scale.py, SQLite, 2026-12-06) 5 ms did 63 polls a second at 14.8 ms
# of CPU each, 20 ms 70 at 13.5 ms, 50 ms all 83 due at 11.4 ms. A reply waits at most this
# long for the event loop: far inside the SNMP timeout, and what one scrape or poll can wait.
GIL_SWITCH_INTERVAL_S = 0.05


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the polling daemon and serve /metrics",
        description="Poll every inventory device on its schedule, keep results in the store, "
        "serve Prometheus metrics. SIGTERM stops it cleanly; SIGHUP reloads netmon.toml and "
        "the inventory.",
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
    reload_devices: DeviceSource | None,
    spool_dir: Path | None = None,
) -> Daemon:
    """The daemon for ``settings``; with a store and ``spool_dir``, every run's result goes
    through one write-behind queue spooling there (``daemon.write_queue``; agent.writer)."""
    from agent.availability import DaemonAccounting
    from agent.daemon import Daemon, sync_store_devices
    from agent.reload import schedule_of
    from agent.shard import make_shard

    schedule = schedule_of(settings)
    state.set_maintenance(settings.maintenance)
    unknown = sorted(settings.maintenance - {d.name for d in devices})
    if unknown:
        log.warning(
            "maintenance names devices the inventory does not have", extra={"devices": unknown}
        )
    kinds = collector_kinds(settings, store, state)
    write_queue = (
        None if store is None or spool_dir is None else results_write_queue(store, kinds, spool_dir)
    )
    return Daemon(
        kinds,
        devices,
        state,
        schedule,
        reload_devices=reload_devices,
        enabled=lambda kind, device: settings.kinds.enabled(kind, device.name, device.vendor),
        shard=make_shard(settings.shard, settings.store_url),
        on_devices=sync_store_devices(store) if store is not None else None,
        write_queue=write_queue,
        housekeeping=store_retention(store, settings) if store is not None else None,
        availability=DaemonAccounting(store) if store is not None else None,
        static_maintenance=settings.maintenance,
    )


def results_write_queue(
    store: Store, kinds: Sequence[CollectorKind], spool_dir: Path
) -> WriteBehind[Any]:
    """The daemon's write-behind queue for the results of every kind (health samples,
    configurations, signature readings), spooling into ``spool_dir`` (agent.writer)."""
    from agent.kind_writes import ConfigCodec, ConfigWrite, SignatureCodec, SignatureWrite
    from agent.kinds import ConfigKind, SignaturesKind
    from agent.recorder import HealthCodec, HealthWrite
    from agent.store.engine import sqlite_file
    from agent.writer import Codec, KindCodec, WriteBehind

    codecs: dict[str, tuple[type, Codec[Any]]] = {"health": (HealthWrite, HealthCodec())}
    for kind in kinds:
        if isinstance(kind, ConfigKind):
            codecs["config"] = (ConfigWrite, ConfigCodec(kind))
        elif isinstance(kind, SignaturesKind):
            codecs["signatures"] = (SignatureWrite, SignatureCodec(kind))
    return WriteBehind(
        store, KindCodec(codecs, default="health"), spool_dir, sqlite_file=sqlite_file(store.url)
    )


def store_retention(store: Store, settings: Settings) -> Callable[[], None]:
    """The daemon's hourly pass: delete raw polls and roll-ups past netmon.toml's
    ``[retention]`` windows."""
    from agent.store.repository import utcnow
    from agent.store.rollup import enforce_retention

    def apply() -> None:
        with store.session() as session:
            enforce_retention(
                session,
                utcnow(),
                settings.raw_retention_days,
                settings.rollup_retention_days,
                settings.interface_hourly_retention_days,
            )

    return apply


def run_command(args: argparse.Namespace) -> int:
    from agent.daemon import Reloaded, configure_logging, sync_store_devices
    from agent.http_server import MetricsServer
    from agent.metrics import InterfaceSelection, build_registry
    from agent.reload import load_configuration, schedule_of, settings_changes, warn_unreadable
    from agent.self_metrics import register_self_metrics
    from agent.settings import settings_path
    from agent.state import FleetState
    from agent.store import default_state_dir, open_store
    from agent.writer import StoreWriterCollector

    configure_logging(getattr(logging, args.log_level.upper()))
    config_path = settings_path(args.config)
    current = load_configuration(config_path, args.inventory)
    warn_unreadable(current)
    settings = current.settings
    store = open_store(settings.store_url)
    state = FleetState()
    interfaces = InterfaceSelection(settings.interfaces, settings.interface_names)
    registry = build_registry(state, interfaces=interfaces)
    server = MetricsServer(registry, settings.listen_host, settings.listen_port, settings.web)

    def reload_configuration() -> Reloaded:
        nonlocal current
        new = load_configuration(config_path, args.inventory)
        warn_unreadable(new)
        changes = settings_changes(current, new)
        current = new
        return Reloaded(new.devices, schedule_of(new.settings), new.settings.maintenance, changes)

    daemon = build_daemon(
        settings,
        current.devices,
        state,
        store,
        reload_configuration,
        spool_dir=default_state_dir() / "spool",
    )
    write_queue = daemon.write_queue
    assert write_queue is not None  # a store and a spool directory were given
    registry.register(StoreWriterCollector(write_queue))
    sync_devices = sync_store_devices(store)
    write_queue.on_new_file = lambda: sync_devices(list(daemon.devices.values()))
    register_self_metrics(registry, daemon.accounting, state)
    server.start()
    log.info(
        "serving metrics",
        extra={
            "url": server.url,
            "store": store.location,
            "inventory": str(current.inventory_path),
        },
    )
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    try:
        asyncio.run(daemon.serve())
    finally:
        server.stop()
        store.close()
    daemon.exit_now_if_stuck()
    return 0
