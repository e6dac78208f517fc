"""``/metrics``: the fleet's latest state (``agent.state``) as the families of docs/metrics.md.

``FleetCollector`` is a prometheus_client custom collector over the in-memory state; a scrape
never touches the database. A value that was not read has no series (never a 0 that would look
like a reading).

Rendering is incremental (issue 10: building ~400 series per switch from scratch on every
scrape took 12.6 s at 500 devices): ``exposition(registry)`` keeps each device's text, family
by family, and re-renders a device only when its state changed (a poll landed, maintenance or
uplinks changed); a scrape checks identities and joins the cached text. ``collect()`` still
renders everything from scratch for plain ``generate_latest`` callers; both give the same
bytes. ``InterfaceSelection`` (netmon.toml ``[metrics] interfaces``) chooses which interface
series are exported: all, the uplinks plus named ports, or none.

``agent.http_server.MetricsServer`` serves it over HTTP (bounded pool, timeouts, TLS, basic
auth, gzip).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

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


class _TextFamily:
    """One family written straight to exposition text, byte for byte what ``generate_latest``
    writes for the equivalent Metric (labels sorted by name, values escaped the same way),
    without building Metric and Sample objects: a device's block costs ~1/3 as much."""

    __slots__ = ("header", "labels", "lines", "order", "sample_name")

    def __init__(self, name: str, doc: str, labels: list[str], kind: str) -> None:
        exposed = f"{name}_total" if kind == "counter" else name
        text = doc.replace("\\", r"\\").replace("\n", r"\n")
        self.header = f"# HELP {exposed} {text}\n# TYPE {exposed} {kind}\n"
        self.sample_name = exposed
        self.labels = labels
        self.order = sorted(range(len(labels)), key=labels.__getitem__)
        self.lines: list[str] = []

    def add_metric(self, values: list[str], value: float) -> None:
        if values:
            inner = ",".join(f'{self.labels[i]}="{_escape(values[i])}"' for i in self.order)
            self.lines.append(f"{self.sample_name}{{{inner}}} {floatToGoString(value)}\n")
        else:
            self.lines.append(f"{self.sample_name} {floatToGoString(value)}\n")


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


class _TextFamilies:
    """``_Families``' interface, writing text (the incremental renderer's per-device path)."""

    def __init__(self) -> None:
        self.families: dict[str, _TextFamily] = {}

    def _family(self, name: str, doc: str, labels: list[str], kind: str) -> _TextFamily:
        family = self.families.get(name)
        if family is None:
            family = self.families[name] = _TextFamily(name, doc, labels, kind)
        return family

    def gauge(self, name: str, doc: str, labels: list[str]) -> _TextFamily:
        return self._family(name, doc, labels, "gauge")

    def counter(self, name: str, doc: str, labels: list[str]) -> _TextFamily:
        return self._family(name, doc, labels, "counter")

    def set(self, name: str, doc: str, labels: dict[str, str], value: float | None) -> None:
        if value is not None:
            self.gauge(name, doc, list(labels)).add_metric(list(labels.values()), float(value))

    def text(self) -> _Text:
        kept = [(f.sample_name, f) for f in self.families.values() if f.lines]
        return _Text(
            tuple(name for name, _ in kept),
            {name: f.header for name, f in kept},
            {name: "".join(f.lines) for name, f in kept},
        )


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


_NO_UPLINKS: frozenset[str] = frozenset()  # one object, so the render cache can compare by identity


@dataclass(frozen=True)
class InterfaceSelection:
    """Which interfaces get per-interface series: ``all``, ``uplinks`` (the inventory's
    uplinks of that device plus ``names`` on every device) or ``none``."""

    mode: str = "all"
    names: frozenset[str] = frozenset()

    def keeps(self, interface: str, uplinks: frozenset[str]) -> bool:
        if self.mode == "all":
            return True
        if self.mode == "none":
            return False
        return interface in uplinks or interface in self.names


class _Once:
    """A one-off collector over ready families, for ``generate_latest``."""

    def __init__(self, families: _Families) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families.families.values()


@dataclass
class _Text:
    """One rendering split by family: exposition name -> HELP/TYPE text, -> sample lines."""

    order: tuple[str, ...]  # families with samples, in rendering order
    headers: dict[str, str]
    lines: dict[str, str]


def _split(rendered: bytes, keep_empty: bool = False) -> _Text:
    """``keep_empty``: families without samples stay in the order (the declared ones)."""
    order: list[str] = []
    headers: dict[str, str] = {}
    lines: dict[str, list[str]] = {}
    current = ""
    for line in rendered.decode().splitlines(keepends=True):
        if line.startswith("# HELP "):
            current = line.split(" ", 3)[2]
            headers[current] = line
            if keep_empty:
                lines[current] = []
                order.append(current)
        elif line.startswith("# TYPE "):
            headers[current] += line
        else:
            if current not in lines:
                lines[current] = []
                order.append(current)
            lines[current].append(line)
    return _Text(tuple(order), headers, {name: "".join(text) for name, text in lines.items()})


@dataclass
class _Block:
    """A device's cached text and the identities of the state it was rendered from."""

    key: tuple[object, ...]
    text: _Text


class FleetCollector(Collector):
    """Renders ``FleetState`` into exactly the families of docs/metrics.md."""

    def __init__(
        self,
        state: FleetState,
        version: str | None = None,
        interfaces: InterfaceSelection | None = None,
    ) -> None:
        self.state = state
        self.version = version or _version()
        self.interfaces = interfaces or InterfaceSelection()
        self._blocks: dict[str, _Block] = {}
        self._orders: dict[tuple[str, ...], tuple[str, ...]] = {}  # interned family orders
        self._uplinks_of: tuple[frozenset[tuple[str, str]], dict[str, frozenset[str]]] = (
            frozenset(),
            {},
        )
        self._render_lock = threading.Lock()
        self._quiet = threading.local()  # set while exposition() renders the other collectors
        state.add_listener(self.refresh)

    def describe(self) -> list[Metric]:
        # Nothing up front: the registry then calls collect() only when scraped.
        return []

    def _global(self, view: Any) -> _Families:
        out = _Families()
        for kind, name, doc, labels in _DECLARED:
            if kind == "gauge":
                out.gauge(name, doc, list(labels))
        out.set("netmon_build_info", "", {"version": self.version}, 1)
        for collector, seconds in sorted(view.intervals.items()):
            out.set("netmon_collector_interval_seconds", "", {"collector": collector}, seconds)
        return out

    def _device_uplinks(self, uplinks: frozenset[tuple[str, str]]) -> dict[str, frozenset[str]]:
        """Uplinks per device, recomputed only when the state's set changed (by identity)."""
        cached, per_device = self._uplinks_of
        if uplinks is not cached:
            grouped: dict[str, set[str]] = {}
            for device, interface in uplinks:
                grouped.setdefault(device, set()).add(interface)
            per_device = {device: frozenset(names) for device, names in grouped.items()}
            self._uplinks_of = (uplinks, per_device)
        return per_device

    def collect(self) -> Iterator[Metric]:
        if getattr(self._quiet, "on", False):
            return
        view = self.state.view()
        uplinks = self._device_uplinks(view.uplinks)
        out = self._global(view)
        for device in view.devices:
            self._device(out, device, uplinks.get(device.info.name, frozenset()), view.intervals)
        yield from out.families.values()

    # -- incremental rendering -----------------------------------------------------------
    def render(self) -> bytes:
        """The fleet's families as exposition text, re-rendering only changed devices."""
        with self._render_lock:
            view = self.state.view()
            uplinks = self._device_uplinks(view.uplinks)
            head = _split(generate_latest(_Once(self._global(view))), keep_empty=True)
            headers = dict(head.headers)
            blocks: dict[str, _Block] = {}
            for device in view.devices:
                name = device.info.name
                mine = uplinks.get(name, _NO_UPLINKS)
                key = _key(device, mine)
                block = self._blocks.get(name)
                if block is None or not _same(block.key, key):
                    block = _Block(key, self._render_device(device, mine))
                blocks[name] = block
            self._blocks = blocks
            order = list(head.order)
            seen = set(order)
            seen_orders: set[int] = set()
            for block in blocks.values():
                text = block.text
                if id(text.order) in seen_orders:
                    continue
                seen_orders.add(id(text.order))
                for family in text.order:
                    if family not in seen:
                        seen.add(family)
                        order.append(family)
                        headers[family] = text.headers[family]
            buckets: dict[str, list[str]] = {family: [] for family in order}
            for family, lines in head.lines.items():
                buckets[family].append(lines)
            for block in blocks.values():
                for family, lines in block.text.lines.items():
                    buckets[family].append(lines)
            return "".join(headers[family] + "".join(buckets[family]) for family in order).encode()

    def refresh(self, name: str) -> None:
        """Re-render one device as its run lands (FleetState calls this after record_run), so
        that a scrape finds it cached and only joins text."""
        found = self.state.device_view(name)
        if found is None:
            return
        device, fleet_uplinks = found
        mine = self._device_uplinks(fleet_uplinks).get(name, _NO_UPLINKS)
        # A block always matches its key; if a scrape replaced the dict meanwhile, the next
        # scrape sees a stale key and renders again: a cost, never a wrong answer.
        self._blocks[name] = _Block(_key(device, mine), self._render_device(device, mine))

    def _render_device(self, device: DeviceView, uplinks: frozenset[str]) -> _Text:
        out = _TextFamilies()
        for kind, name, doc, labels in _DECLARED:
            if kind == "gauge":
                out.gauge(name, doc, list(labels))
        self._device(out, device, uplinks, self.state.collector_kinds())  # type: ignore[arg-type]
        text = out.text()
        # Devices of one kind render the same families: one shared tuple, merged once.
        text.order = self._orders.setdefault(text.order, text.order)
        return text

    def rest(self, registry: CollectorRegistry) -> bytes:
        """The registry's other collectors (h5's store, h7's self-monitoring) as text."""
        self._quiet.on = True
        try:
            return generate_latest(registry)
        finally:
            self._quiet.on = False

    # -- one device ----------------------------------------------------------------------
    def _device(
        self,
        out: _Families,
        device: DeviceView,
        uplinks: frozenset[str],
        kinds: Iterable[str] = (),
    ) -> None:
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
            self._health(out, name, device.health, uplinks)
        if device.config is not None:
            self._config(out, name, device)
        self._signatures(out, name, device)
        self._collectors(out, name, device, kinds)
        for interface in sorted(uplinks):
            out.set("netmon_interface_uplink", "", {"device": name, "interface": interface}, 1)

    def _health(self, out: _Families, name: str, snap: Any, uplinks: frozenset[str]) -> None:
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
            if not self.interfaces.keeps(port.name, uplinks):
                continue
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
        collectors = sorted(set(kinds) | set(device.collectors))
        # No family at all without a collector: the incremental text leaves out empty
        # families, and must stay byte-equal to prometheus_client's rendering.
        errors = (
            out.counter(
                "netmon_collector_errors",
                "failed or partial runs by reason",
                ["device", "collector", "reason"],
            )
            if collectors
            else None
        )
        for collector in collectors:
            assert errors is not None
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


def _key(device: DeviceView, uplinks: frozenset[str]) -> tuple[object, ...]:
    """What a device's text depends on, compared by identity (see ``_same``)."""
    return (
        device.info,
        device.maintenance,
        device.software_version,
        device.health,
        device.config,
        device.libraries,
        device.licences,
        uplinks,
        *device.collectors,
        *device.collectors.values(),
    )


def _same(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    # Identity, not equality: results are immutable and replaced on update, and comparing
    # two 48-port snapshots field by field would cost what rendering costs.
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


class FleetRegistry(CollectorRegistry):
    """The daemon's registry: the fleet collector first, then whatever others register."""

    def __init__(self, fleet: FleetCollector) -> None:
        super().__init__(auto_describe=False)
        self.fleet = fleet
        self.register(fleet)


def build_registry(
    state: FleetState, version: str | None = None, interfaces: InterfaceSelection | None = None
) -> CollectorRegistry:
    return FleetRegistry(FleetCollector(state, version, interfaces))


def exposition(registry: CollectorRegistry) -> bytes:
    """What GET /metrics answers: the fleet's cached text, then the other collectors'.
    The same bytes as ``generate_latest(registry)``, at a fraction of the cost."""
    if not isinstance(registry, FleetRegistry):
        return generate_latest(registry)
    return registry.fleet.render() + registry.fleet.rest(registry)


__all__ = ["FleetCollector", "MetricsServer", "MetricsServerError", "build_registry", "tls_context"]


def _sessions_limit(vendor: str, model: str) -> int | None:
    from collectors.profiles import load_profiles

    profile = load_profiles().get(vendor)
    info = profile.models.get(model) if profile else None
    return info.max_sessions if info else None
