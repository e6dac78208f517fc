"""The one interface every collector implements, and the typed results they return.

The daemon calls ``Collector.collect(device)`` per device and per collector kind; each result
says explicitly what could not be read (``unreadable``), so a partial answer is never mistaken
for a healthy one. Values are normalised here once: ratios 0..1, Celsius, seconds, bytes,
bits per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from agent.inventory import Device

ComponentState = Literal["ok", "failed", "absent", "unknown"]
# Prefix of an ``unreadable`` reason for a value the device does not have (a profile sentinel).
NOT_SUPPORTED = "not supported"
# Prefix of an ``unreadable`` reason for a row the agent itself marks as holding no reading (a
# per-row status such as entPhySensorOperStatus unavailable(2) or nonoperational(3)).
NOT_AVAILABLE = "not available"
# Reasons the device gives on its own: polling again cannot change them, so they are said but
# are neither a failed poll nor a reason to drop the other rows of an aggregated value.
QUIET_REASONS = (NOT_SUPPORTED, NOT_AVAILABLE)


def is_quiet(why: str) -> bool:
    """True for a reason the device declared itself (no sensor, sensor not readable)."""
    return why.startswith(QUIET_REASONS)


@dataclass(frozen=True)
class Identity:
    """What the device says it is, and whether that matches the inventory."""

    sys_object_id: str | None = None
    sys_descr: str | None = None
    detected_model: str | None = None  # the profile model whose rules matched, if any
    software_version: str | None = None
    mismatch: str | None = None  # why the box does not look like its inventory entry
    serial_number: str | None = None  # the chassis serial: a new one means the box was replaced
    # Where serial_number came from: "snmp" (entPhysicalSerialNum) or "cli" (display device
    # manuinfo). Public evidence does not say the two print the same string for one box
    # (docs/sources/snmp-h3c-huawei.md [comware-serial-sources]), so serials are compared only
    # within one source.
    serial_source: str | None = None


@dataclass(frozen=True)
class Sensor:
    name: str
    celsius: float


@dataclass(frozen=True)
class Component:
    """A fan or a power supply."""

    name: str
    state: ComponentState
    raw: str  # the vendor's own value, kept for the operator


@dataclass(frozen=True)
class Interface:
    index: int
    name: str
    oper_up: bool
    speed_bps: int | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None
    # ifAdminStatus up(1): False for a port the operator shut (not a fault when it is down);
    # None when the agent does not say.
    admin_up: bool | None = None
    alias: str = ""  # ifAlias: the description the operator gave the port ("" if none)


@dataclass
class HealthSnapshot:
    device: str
    collected_at: datetime
    reachable: bool
    snmp_rtt_seconds: float | None = None
    ssh_rtt_seconds: float | None = None
    uptime_seconds: float | None = None
    cpu_ratio: float | None = None
    memory_ratio: float | None = None
    temperatures: list[Sensor] = field(default_factory=list)
    fans: list[Component] = field(default_factory=list)
    power_supplies: list[Component] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    sessions: int | None = None
    new_sessions_per_second: float | None = None
    ha_role: str | None = None
    disk_ratio: float | None = None
    identity: Identity = field(default_factory=Identity)
    # value name -> why it could not be read ("timeout", "noSuchObject", "not a number", ...)
    unreadable: dict[str, str] = field(default_factory=dict)

    def failures(self) -> dict[str, str]:
        """``unreadable`` without the rows the hardware simply does not have (a board without
        a temperature sensor answers a sentinel: "not supported ...") or says it cannot read
        (a sensor whose status is unavailable: "not available ..."): those are said, but a run
        that only has them is not a partial run."""
        return {k: v for k, v in self.unreadable.items() if not is_quiet(v)}


class Collector(Protocol):
    """What the daemon schedules: one kind of collection for one device at a time."""

    kind: str  # "health", "config", "signatures"

    async def collect(self, device: Device) -> object: ...
