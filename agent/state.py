"""The latest state of the fleet, kept in memory: what ``/metrics`` renders on every scrape.

Collector jobs write here as results arrive (on the daemon's event loop or in worker threads);
the metrics server reads a consistent copy (``FleetState.view()``) from its own HTTP thread.
One lock guards it all: updates are small assignments, and a view copies references to
immutable results, so neither side waits long. A scrape never queries the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.inventory import Device
    from collectors.base import HealthSnapshot

log = logging.getLogger(__name__)

# Where sysDescr names the software when the profile gave no version: "Software Version
# 7.1.070" (H3C Comware, Venustech), "Version 5.70" (Huawei VRP), "TOS 3.3.010" (Topsec).
# Source: the sysDescr strings of the lab's recordings (agent/lab/recordings/*.snmprec).
_VERSION_IN_DESCR = re.compile(r"(?:Software Version|Version|TOS)\s+([Vv]?[0-9][\w.()-]*)")


def software_version_of(snapshot: HealthSnapshot) -> str | None:
    """The device's software version: the identity's, else what its sysDescr says."""
    identity = snapshot.identity
    if identity.software_version:
        return identity.software_version
    if identity.sys_descr:
        match = _VERSION_IN_DESCR.search(identity.sys_descr)
        if match:
            return match.group(1).rstrip(",.")
    return None


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    vendor: str
    model: str
    kind: str
    site: str
    address: str
    site_name: str | None = None  # the inventory's display name for the site ("城区支队")

    @property
    def site_label(self) -> str:
        """What people read for the site: the inventory's display name, else the code."""
        return self.site_name or self.site


@dataclass(frozen=True)
class ConfigState:
    drift: bool
    last_change: dt.datetime | None
    baseline_at: dt.datetime | None


@dataclass(frozen=True)
class LibraryState:
    library: str
    version: str
    release_date: dt.datetime | dt.date | None
    updated_at: dt.datetime | None
    stale: bool


@dataclass(frozen=True)
class LicenceState:
    licence: str
    expires_on: dt.date | None


@dataclass(frozen=True)
class CollectorRun:
    """What the collector-health metrics show for one device and collector kind."""

    last_run: dt.datetime | None = None
    last_success: dt.datetime | None = None
    duration_seconds: float | None = None
    errors: tuple[tuple[str, int], ...] = ()  # (reason, count), cumulative


@dataclass(frozen=True)
class DeviceView:
    info: DeviceInfo
    maintenance: bool
    software_version: str | None
    health: HealthSnapshot | None
    config: ConfigState | None
    libraries: tuple[LibraryState, ...]
    licences: tuple[LicenceState, ...]
    collectors: dict[str, CollectorRun]


@dataclass(frozen=True)
class FleetView:
    devices: tuple[DeviceView, ...]
    intervals: dict[str, float]
    uplinks: frozenset[tuple[str, str]]  # (device, interface)


@dataclass
class _Device:
    info: DeviceInfo
    software_version: str | None = None
    health: HealthSnapshot | None = None
    config: ConfigState | None = None
    libraries: tuple[LibraryState, ...] = ()
    licences: tuple[LicenceState, ...] = ()
    collectors: dict[str, CollectorRun] = field(default_factory=dict)
    errors: dict[str, Counter[str]] = field(default_factory=dict)


class FleetState:
    """Thread-safe latest state per device. Unknown device names are ignored on update: a
    result that arrives after its device left the inventory must not bring it back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, _Device] = {}
        self._maintenance: frozenset[str] = frozenset()
        self._intervals: dict[str, float] = {}
        self._uplinks: frozenset[tuple[str, str]] = frozenset()
        # Called with a device's name after each finished run (record_run), outside the lock:
        # /metrics re-renders that device's text then, not at the next scrape (agent.metrics).
        self._listeners: list[Callable[[str], None]] = []

    def add_listener(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    # -- fleet membership and settings ---------------------------------------------------
    def set_devices(self, devices: Iterable[Device]) -> None:
        """The fleet is exactly ``devices`` now; kept devices keep what was collected."""
        devices = list(devices)
        with self._lock:
            current: dict[str, _Device] = {}
            for device in devices:
                info = DeviceInfo(
                    device.name,
                    device.vendor,
                    device.model,
                    device.kind,
                    device.site,
                    device.address,
                    # Test doubles of a device may not carry the optional display name.
                    getattr(device, "site_name", None),
                )
                kept = self._devices.get(device.name)
                if kept is None:
                    current[device.name] = _Device(info)
                else:
                    kept.info = info
                    current[device.name] = kept
            self._devices = current
            self._uplinks = frozenset(
                (device.name, interface)
                for device in devices
                for interface in getattr(device, "uplinks", ())
            )

    def set_maintenance(self, names: Iterable[str]) -> None:
        with self._lock:
            self._maintenance = frozenset(names)

    def set_intervals(self, intervals: dict[str, float]) -> None:
        with self._lock:
            self._intervals = dict(intervals)

    def collector_kinds(self) -> tuple[str, ...]:
        """The configured collector kinds (their error counters exist at 0 for each device)."""
        with self._lock:
            return tuple(self._intervals)

    def set_uplinks(self, uplinks: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            self._uplinks = frozenset(uplinks)

    def device_names(self) -> list[str]:
        with self._lock:
            return list(self._devices)

    # -- results -------------------------------------------------------------------------
    def update_health(self, snapshot: HealthSnapshot) -> None:
        with self._lock:
            entry = self._devices.get(snapshot.device)
            if entry is None:
                return
            entry.health = snapshot
            version = software_version_of(snapshot)
            if version:
                # Kept across unreachable polls: a device that is down still runs its version.
                entry.software_version = version

    def update_config(
        self,
        device: str,
        drift: bool,
        last_change: dt.datetime | None,
        baseline_at: dt.datetime | None,
    ) -> None:
        with self._lock:
            entry = self._devices.get(device)
            if entry is not None:
                entry.config = ConfigState(drift, last_change, baseline_at)

    def update_signatures(
        self,
        device: str,
        libraries: Iterable[
            tuple[str, str, dt.datetime | dt.date | None, dt.datetime | None, bool]
        ],
        licences: Iterable[tuple[str, dt.date | None]],
    ) -> None:
        """``libraries``: (library, version, release_date, updated_at, stale);
        ``licences``: (licence, expires_on)."""
        libs = tuple(LibraryState(*row) for row in libraries)
        lics = tuple(LicenceState(*row) for row in licences)
        with self._lock:
            entry = self._devices.get(device)
            if entry is not None:
                entry.libraries = libs
                entry.licences = lics

    def record_run(
        self,
        device: str,
        collector: str,
        *,
        started_at: dt.datetime,
        duration_seconds: float,
        success: bool,
        error_reason: str | None = None,
    ) -> None:
        """One finished collector run: timestamps, duration and, if it failed, why."""
        with self._lock:
            entry = self._devices.get(device)
            if entry is None:
                return
            previous = entry.collectors.get(collector, CollectorRun())
            counts = entry.errors.setdefault(collector, Counter())
            if error_reason:
                counts[error_reason] += 1
            entry.collectors[collector] = replace(
                previous,
                last_run=started_at,
                last_success=started_at if success else previous.last_success,
                duration_seconds=duration_seconds,
                errors=tuple(sorted(counts.items())),
            )
        for listener in self._listeners:
            try:
                listener(device)
            except Exception:  # a metrics problem must never fail the poll that landed
                log.exception("state listener failed", extra={"device": device})

    # -- reading -------------------------------------------------------------------------
    def _view_of(self, name: str, entry: _Device) -> DeviceView:
        return DeviceView(
            info=entry.info,
            maintenance=name in self._maintenance,
            software_version=entry.software_version,
            health=entry.health,
            config=entry.config,
            libraries=entry.libraries,
            licences=entry.licences,
            collectors=dict(entry.collectors),
        )

    def view(self) -> FleetView:
        with self._lock:
            devices = tuple(self._view_of(name, entry) for name, entry in self._devices.items())
            return FleetView(devices, dict(self._intervals), self._uplinks)

    def device_view(self, name: str) -> tuple[DeviceView, frozenset[tuple[str, str]]] | None:
        """One device's view and the fleet's uplinks, or None if it left the fleet."""
        with self._lock:
            entry = self._devices.get(name)
            return None if entry is None else (self._view_of(name, entry), self._uplinks)
