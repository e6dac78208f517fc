"""``/metrics``: the fleet's latest state (``agent.state``) as the families of docs/metrics.md.

``FleetCollector`` is a prometheus_client custom collector: each scrape renders one consistent
view of the in-memory state, so a scrape costs a few milliseconds and never touches the
database. A value that was not read has no series (never a 0 that would look like a reading).

``agent.http_server.MetricsServer`` serves it over HTTP (bounded pool, timeouts, TLS, basic
auth, gzip).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agent.daemon import ERROR_REASONS

# The HTTP listener lives in agent.http_server; these names stay importable from here.
from agent.http_server import MetricsServer, MetricsServerError, tls_context

if TYPE_CHECKING:
    from agent.state import DeviceView, FleetState

log = logging.getLogger(__name__)

HA_ROLES: tuple[str, ...] = ("active", "standby", "init", "unknown")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("netmon")
    except PackageNotFoundError:
        return "unknown"


def _timestamp(value: dt.datetime | dt.date | None) -> float | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        # A date is that day's 00:00 UTC (docs/metrics.md: licence expiry).
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


class _Families:
    """The families of one scrape, created lazily in the docs' order."""

    def __init__(self) -> None:
        self.families: dict[str, Metric] = {}

    def gauge(self, name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
        family = self.families.get(name)
        if family is None:
            family = self.families[name] = GaugeMetricFamily(name, doc, labels=labels)
        assert isinstance(family, GaugeMetricFamily)
        return family

    def counter(self, name: str, doc: str, labels: list[str]) -> CounterMetricFamily:
        family = self.families.get(name)
        if family is None:
            family = self.families[name] = CounterMetricFamily(name, doc, labels=labels)
        assert isinstance(family, CounterMetricFamily)
        return family

    def set(self, name: str, doc: str, labels: dict[str, str], value: float | None) -> None:
        """One gauge sample; ``None`` (not read) leaves no series."""
        if value is not None:
            self.gauge(name, doc, list(labels)).add_metric(list(labels.values()), float(value))


# Declared up front so that every family appears in the output (with HELP/TYPE) even when a
# fleet has no sample of it yet, e.g. uplinks before the inventory marks any.
_DECLARED: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("gauge", "netmon_build_info", "netmon's version; always 1", ("version",)),
    ("gauge", "netmon_device_up", "1 if the last health poll got an SNMP answer", ("device",)),
    (
        "gauge",
        "netmon_device_info",
        "inventory facts and software version; always 1",
        ("device", "vendor", "model", "kind", "site", "software_version", "address"),
    ),
    ("gauge", "netmon_device_maintenance", "1 while the device is silenced", ("device",)),
    (
        "gauge",
        "netmon_interface_uplink",
        "1 for the interfaces the inventory marks as uplinks",
        ("device", "interface"),
    ),
    (
        "gauge",
        "netmon_collector_interval_seconds",
        "configured interval per collector kind",
        ("collector",),
    ),
)


class FleetCollector(Collector):
    """Renders ``FleetState`` into exactly the families of docs/metrics.md."""

    def __init__(self, state: FleetState, version: str | None = None) -> None:
        self.state = state
        self.version = version or _version()

    def describe(self) -> list[Metric]:
        # Nothing up front: the registry then calls collect() only when scraped.
        return []

    def collect(self) -> Iterator[Metric]:
        view = self.state.view()
        out = _Families()
        for kind, name, doc, labels in _DECLARED:
            if kind == "gauge":
                out.gauge(name, doc, list(labels))
        out.set("netmon_build_info", "", {"version": self.version}, 1)
        for collector, seconds in sorted(view.intervals.items()):
            out.set("netmon_collector_interval_seconds", "", {"collector": collector}, seconds)
        for device in view.devices:
            self._device(out, device, view.intervals)
            for interface in sorted(i for d, i in view.uplinks if d == device.info.name):
                out.set(
                    "netmon_interface_uplink",
                    "",
                    {"device": device.info.name, "interface": interface},
                    1,
                )
        yield from out.families.values()

    # -- one device ----------------------------------------------------------------------
    def _device(self, out: _Families, device: DeviceView, kinds: Iterable[str] = ()) -> None:
        info = device.info
        name = info.name
        dev = {"device": name}
        out.set(
            "netmon_device_info",
            "",
            {
                "device": name,
                "vendor": info.vendor,
                "model": info.model,
                "kind": info.kind,
                "site": info.site,
                "software_version": device.software_version or "",
                "address": info.address,
            },
            1,
        )
        out.set("netmon_device_maintenance", "", dev, 1 if device.maintenance else 0)
        out.set(
            "netmon_sessions_limit",
            "the model's session capacity (vendor profile models.toml max_sessions)",
            dev,
            _sessions_limit(device.info.vendor, device.info.model),
        )
        if device.health is not None:
            self._health(out, name, device.health)
        if device.config is not None:
            self._config(out, name, device)
        self._signatures(out, name, device)
        self._collectors(out, name, device, kinds)

    def _health(self, out: _Families, name: str, snap: Any) -> None:
        dev = {"device": name}
        out.set("netmon_device_up", "", dev, 1 if snap.reachable else 0)
        if not snap.reachable:
            # Nothing else was read: every other health series of this device goes absent.
            return
        out.set(
            "netmon_device_identity_mismatch",
            "1 if the box says it is another vendor/model than the inventory",
            dev,
            1 if snap.identity.mismatch else 0,
        )
        out.set("netmon_device_uptime_seconds", "sysUpTime in seconds", dev, snap.uptime_seconds)
        out.set(
            "netmon_snmp_rtt_seconds",
            "response time of the last health GET",
            dev,
            snap.snmp_rtt_seconds,
        )
        out.set("netmon_cpu_usage_ratio", "CPU usage 0..1", dev, snap.cpu_ratio)
        out.set("netmon_memory_usage_ratio", "memory usage 0..1", dev, snap.memory_ratio)
        out.set("netmon_disk_usage_ratio", "fullest disk or log store 0..1", dev, snap.disk_ratio)
        for sensor in snap.temperatures:
            out.set(
                "netmon_temperature_celsius",
                "temperature per sensor",
                {"device": name, "sensor": sensor.name},
                sensor.celsius,
            )
        for fan in snap.fans:
            if fan.state != "absent":
                out.set(
                    "netmon_fan_ok",
                    "1 ok, 0 failed or unknown",
                    {"device": name, "fan": fan.name},
                    1 if fan.state == "ok" else 0,
                )
        for psu in snap.power_supplies:
            if psu.state != "absent":
                out.set(
                    "netmon_power_supply_ok",
                    "1 ok, 0 failed or unknown",
                    {"device": name, "psu": psu.name},
                    1 if psu.state == "ok" else 0,
                )
        out.set("netmon_sessions", "concurrent sessions", dev, snap.sessions)
        out.set(
            "netmon_new_sessions_per_second",
            "new sessions per second",
            dev,
            snap.new_sessions_per_second,
        )
        if snap.ha_role is not None:
            role = snap.ha_role if snap.ha_role in HA_ROLES else "unknown"
            for candidate in HA_ROLES:
                out.set(
                    "netmon_ha_role",
                    "1 for the current HA role",
                    {"device": name, "role": candidate},
                    1 if candidate == role else 0,
                )
        for port in snap.interfaces:
            labels = {"device": name, "interface": port.name}
            out.set("netmon_interface_up", "ifOperStatus up = 1", labels, 1 if port.oper_up else 0)
            # Bytes, Prometheus' base unit (promtool check metrics rejects "bits").
            out.set(
                "netmon_interface_speed_bytes_per_second",
                "interface speed",
                labels,
                None if port.speed_bps is None else port.speed_bps / 8,
            )
            for metric, value, doc in (
                ("netmon_interface_receive_bytes", port.in_octets, "bytes received"),
                ("netmon_interface_transmit_bytes", port.out_octets, "bytes sent"),
                ("netmon_interface_receive_errors", port.in_errors, "receive errors"),
                ("netmon_interface_transmit_errors", port.out_errors, "transmit errors"),
                ("netmon_interface_receive_discards", port.in_discards, "receive discards"),
                ("netmon_interface_transmit_discards", port.out_discards, "transmit discards"),
            ):
                if value is not None:
                    out.counter(metric, doc, ["device", "interface"]).add_metric(
                        [name, port.name], float(value)
                    )

    def _config(self, out: _Families, name: str, device: DeviceView) -> None:
        config = device.config
        assert config is not None
        dev = {"device": name}
        out.set(
            "netmon_config_drift",
            "1 if the configuration differs from the approved baseline, -1: none approved yet",
            dev,
            -1 if config.baseline_at is None else (1 if config.drift else 0),
        )
        out.set(
            "netmon_config_last_change_timestamp_seconds",
            "when the current configuration was first seen",
            dev,
            _timestamp(config.last_change),
        )
        out.set(
            "netmon_config_baseline_timestamp_seconds",
            "when the baseline was approved",
            dev,
            _timestamp(config.baseline_at),
        )

    def _signatures(self, out: _Families, name: str, device: DeviceView) -> None:
        for lib in device.libraries:
            labels = {"device": name, "library": lib.library}
            out.set(
                "netmon_signature_info",
                "current signature library version; always 1",
                {**labels, "version": lib.version},
                1,
            )
            out.set(
                "netmon_signature_release_timestamp_seconds",
                "library release date",
                labels,
                _timestamp(lib.release_date),
            )
            out.set(
                "netmon_signature_updated_timestamp_seconds",
                "when the box updated it",
                labels,
                _timestamp(lib.updated_at),
            )
            out.set(
                "netmon_signature_stale",
                "1 if older than the limit for its kind",
                labels,
                1 if lib.stale else 0,
            )
        for licence in device.licences:
            out.set(
                "netmon_licence_expiry_timestamp_seconds",
                "licence expiry (00:00 UTC)",
                {"device": name, "licence": licence.licence},
                _timestamp(licence.expires_on),
            )

    def _collectors(
        self, out: _Families, name: str, device: DeviceView, kinds: Iterable[str] = ()
    ) -> None:
        # Every (collector, reason) of the configured kinds exists at 0 from the first scrape,
        # so that increase() sees a device's first error (Prometheus' instrumentation advice).
        errors = out.counter(
            "netmon_collector_errors",
            "failed or partial runs by reason",
            ["device", "collector", "reason"],
        )
        for collector in sorted(set(kinds) | set(device.collectors)):
            run = device.collectors.get(collector)
            counts = dict(run.errors) if run is not None else {}
            for reason in dict.fromkeys([*ERROR_REASONS, *counts]):
                errors.add_metric([name, collector, reason], float(counts.get(reason, 0)))
        for collector, run in sorted(device.collectors.items()):
            labels = {"device": name, "collector": collector}
            out.set(
                "netmon_collector_last_success_timestamp_seconds",
                "last successful run",
                labels,
                _timestamp(run.last_success),
            )
            out.set(
                "netmon_collector_last_run_timestamp_seconds",
                "last run, ok or not",
                labels,
                _timestamp(run.last_run),
            )
            out.set(
                "netmon_collector_duration_seconds",
                "duration of the last run",
                labels,
                run.duration_seconds,
            )


def build_registry(state: FleetState, version: str | None = None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(state, version))
    return registry


__all__ = ["FleetCollector", "MetricsServer", "MetricsServerError", "build_registry", "tls_context"]


def _sessions_limit(vendor: str, model: str) -> int | None:
    from collectors.profiles import load_profiles

    profile = load_profiles().get(vendor)
    info = profile.models.get(model) if profile else None
    return info.max_sessions if info else None
