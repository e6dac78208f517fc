"""Health over the CLI: what the health collector asks SSH for when SNMP cannot say it.

Two uses, both through the vendor's NAPALM-shaped driver (``collectors/drivers``):

- **identity** on first contact: ``get_facts`` gives the software version (kept on the
  snapshot) and the model the box prints, compared with the inventory; when SNMP gave no
  chassis serial, ``get_chassis_serial`` reads it where the profile says how (H3C's
  ``display device manuinfo``), for the same replaced-box check;
- **fallback**: when SNMP could not read CPU, memory, temperatures, fans or power supplies (an
  SNMP agent that is off or broken, an object the box does not publish), ``get_environment``
  fills them in and the snapshot records the SSH response time.

Everything here is blocking (netmiko); the health collector runs it in a worker thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.errors import NetmonError
from collectors.base import Component, HealthSnapshot, Sensor
from collectors.cli import REASON_TEXT, SESSION_FAILURES, session_failure_reason

if TYPE_CHECKING:
    from agent.inventory import Device
    from collectors.component_names import Renamer

log = logging.getLogger(__name__)

# The snapshot values a driver's get_environment can give.
CLI_FILLABLE = ("cpu", "memory", "temperature", "fans", "psus")
# NAPALM's environment sections -> the snapshot value each fills.
SECTION_VALUES = {
    "cpu": "cpu",
    "memory": "memory",
    "temperature": "temperature",
    "fans": "fans",
    "power": "psus",
}
# Where read_cli_health puts the per-section reasons inside the environment it returns.
SECTION_ERRORS = "section_errors"


@dataclass
class CliHealth:
    software_version: str | None = None
    model: str | None = None
    serial_number: str | None = None
    environment: dict[str, Any] | None = None
    rtt_seconds: float | None = None
    errors: dict[str, str] = field(default_factory=dict)


def read_cli_health(
    device: Device, *, facts: bool, environment: bool, serial: bool = False
) -> CliHealth:
    """One SSH session: facts (with the chassis serial when ``serial``) and/or environment;
    failures are kept per value, not raised."""
    from collectors.drivers import driver_for_device

    result = CliHealth()
    started = time.monotonic()
    try:
        driver = driver_for_device(device)
        driver.open()
    except NetmonError as error:
        reason = f"ssh: {error}"
        if facts:
            result.errors["software_version"] = reason
        if environment:
            result.errors["cli"] = reason
        return result
    result.rtt_seconds = time.monotonic() - started
    try:
        _read(driver, device, result, facts=facts, environment=environment, serial=serial)
    except SESSION_FAILURES as error:
        # The session failed mid-command (a read timeout, the connection dropped): the values
        # not read yet get the reason, what was read stays, and the job never sees an exception.
        reason = f"ssh: {REASON_TEXT[session_failure_reason(error)]}"
        if facts and result.software_version is None:
            result.errors.setdefault("software_version", reason)
        if environment and result.environment is None:
            result.errors.setdefault("cli", reason)
    finally:
        driver.close()
    return result


def _read(
    driver: Any, device: Device, result: CliHealth, *, facts: bool, environment: bool, serial: bool
) -> None:
    """read_cli_health's commands on an open session; fills ``result`` as it goes."""
    if facts:
        try:
            got = driver.get_facts()
            result.software_version = got.get("os_version") or None
            result.model = got.get("model") or None
        except NetmonError as error:
            result.errors["software_version"] = f"cli: {error}"
    if facts and serial:
        # A box that cannot print its serial keeps its version: the serial is only logged
        # as missing (the replaced-box check needs a serial; nothing else waits on it).
        try:
            result.serial_number = driver.get_chassis_serial()
        except (NetmonError, LookupError, ValueError) as error:
            log.info(
                "cli serial unreadable",
                extra={"device": device.name, "reason": str(error)},
            )
    if environment:
        try:
            read = driver.get_environment()
            errors = getattr(driver, "environment_errors", {})
            result.environment = {**read, SECTION_ERRORS: dict(errors)}
        except NetmonError as error:
            result.errors["cli"] = f"cli: {error}"


def model_mismatch(inventory_model: str, printed_model: str | None) -> str | None:
    """The CLI's model disagrees with the inventory (compared without case, spaces, dashes)."""
    if not printed_model:
        return None

    def squash(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    printed, expected = squash(printed_model), squash(inventory_model)
    # Series names print with or without a prefix (LS-5560-54C-EI prints S5560-54C-EI).
    if printed in expected or expected in printed:
        return None
    return f"version output names {printed_model!r}, inventory says {inventory_model}"


def fill_from_environment(
    snapshot: HealthSnapshot, environment: dict[str, Any], rename: Renamer | None = None
) -> list[str]:
    """Put into ``snapshot`` what SNMP left unreadable; returns the names filled.

    ``rename`` gives a fan or power supply the name SNMP knows it by (the vendor profile's
    ``[components]`` rules, ``collectors/component_names.py``), so one component read by
    either protocol is one component downstream."""
    filled: list[str] = []
    missing = set(snapshot.unreadable) | ({*CLI_FILLABLE} if not snapshot.reachable else set())
    cpu = environment.get("cpu") or {}
    if "cpu" in missing and cpu:
        usages = [float(entry["%usage"]) for entry in cpu.values() if "%usage" in entry]
        if usages:
            snapshot.cpu_ratio = max(usages) / 100
            filled.append("cpu")
    memory = environment.get("memory") or {}
    used, available = memory.get("used_ram"), memory.get("available_ram")
    # NAPALM's available_ram is the total usable memory (-1 when unknown).
    if (
        "memory" in missing
        and isinstance(used, int)
        and isinstance(available, int)
        and available > 0
    ):
        snapshot.memory_ratio = used / available
        filled.append("memory")
    temperatures = environment.get("temperature") or {}
    if "temperature" in missing and temperatures:
        snapshot.temperatures = [
            Sensor(name, float(entry["temperature"]))
            for name, entry in temperatures.items()
            if entry.get("temperature") is not None
        ]
        filled.append("temperature")
    for name, key in (("fans", "fans"), ("psus", "power")):
        entries = environment.get(key) or {}
        if name in missing and entries:
            components = [
                _component(rename(name, label) if rename else label, entry)  # type: ignore[arg-type]
                for label, entry in entries.items()
            ]
            if name == "fans":
                snapshot.fans = components
            else:
                snapshot.power_supplies = components
            filled.append(name)
    for name in filled:
        snapshot.unreadable.pop(name, None)
    # A section that failed on the CLI says why, for the values SNMP could not give either.
    for section, reason in (environment.get(SECTION_ERRORS) or {}).items():
        name = SECTION_VALUES.get(section)
        if name in missing and name not in filled:
            snapshot.unreadable[name] = f"cli: {reason}"
    if filled and not snapshot.reachable:
        snapshot.reachable = True  # SNMP is silent but the box answers on SSH
    return filled


def _component(name: str, entry: dict[str, Any]) -> Component:
    """A NAPALM fan or power entry as a snapshot component: our drivers add ``state`` (ok /
    failed / absent / unknown, so an empty slot is not a failure) and ``raw`` (the word the
    box printed); a plain NAPALM entry has only ``status`` (True when working)."""
    state = entry.get("state") or ("ok" if entry.get("status") else "failed")
    raw = entry.get("raw") or str(entry.get("status"))
    return Component(name, state, str(raw)[:32])  # type: ignore[arg-type]
