"""Fill a vendor's output templates from a ``SimulatedDevice``, so CLI and SNMP agree.

Template syntax (kept tiny on purpose, and safe for configurations full of ``$``, ``%`` and
``{``): ``{{ key }}`` or ``{{ key:format-spec }}`` (Python's format mini-language, e.g.
``{{ name:<12 }}``). A line that holds nothing but one placeholder is dropped when the value is
empty and expanded line by line (keeping its indentation) when the value has several lines;
that is how optional lines (a fault's extra policy) and repeated rows (``[blocks]``) work.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from agent.lab.cli.spec import CliDataError, CliSpec
from agent.lab.device import Fault, SimulatedDevice, parse_oid

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*(?::\s*([^}]*?))?\s*\}\}")
RANGE = re.compile(r"\{(\d+)-(\d+)\}")
SYS_CONTACT = parse_oid("1.3.6.1.2.1.1.4.0")
SYS_LOCATION = parse_oid("1.3.6.1.2.1.1.6.0")
ENT_PHYSICAL_SERIAL = parse_oid("1.3.6.1.2.1.47.1.1.1.1.11")
CIPHER_ALPHABET = string.ascii_letters + string.digits + "!#&()*+,-.:;<=>?@[]^_`{|}~"

Value = str | int | float | Callable[[], str]


def render(template: str, context: dict[str, Value], where: str) -> str:
    """``template`` with its placeholders filled; ``where`` names it in errors."""

    def lookup(key: str, spec: str | None) -> str:
        try:
            value = context[key]
        except KeyError:
            raise CliDataError(f"{where}: unknown placeholder {{{{ {key} }}}}") from None
        if callable(value):
            value = value()
        try:
            return format(value, spec) if spec else str(value)
        except ValueError as error:
            raise CliDataError(f"{where}: {{{{ {key}:{spec} }}}}: {error}") from None

    lines: list[str] = []
    for line in template.splitlines():
        whole = PLACEHOLDER.fullmatch(line.strip())
        if whole:
            value = lookup(whole.group(1), whole.group(2))
            if value == "":
                continue
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + part for part in value.splitlines())
            continue
        lines.append(PLACEHOLDER.sub(lambda m: lookup(m.group(1), m.group(2)), line))
    return "\n".join(lines)


def _metric(sim: SimulatedDevice, name: str) -> int | None:
    """A metric of the device's SNMP view, or None while the lab behaviour lacks it."""
    try:
        return int(sim.metric(name))
    except (KeyError, ValueError, TypeError):
        return None


def _recorded_text(sim: SimulatedDevice, oid: tuple[int, ...], fallback: str) -> str:
    recorded = sim.recording.get(oid)
    if recorded is None or not isinstance(recorded.value, bytes):
        return fallback
    return recorded.value.decode("utf-8", "replace") or fallback


def _recorded_serial(sim: SimulatedDevice, fallback: str) -> str:
    """The first non-empty entPhysicalSerialNum of the recording (the chassis row, as the SNMP
    collector reads it), so the CLI prints the serial SNMP gives; ``fallback`` without one."""
    column = len(ENT_PHYSICAL_SERIAL)
    for oid in sorted(o for o in sim.recording if o[:column] == ENT_PHYSICAL_SERIAL):
        text = _recorded_text(sim, oid, "").strip()
        if text:
            return text
    return fallback


def bump_version(version: str) -> str:
    """One step up: the last number in the version grows by one, keeping its width."""
    numbers = list(re.finditer(r"\d+", version))
    if not numbers:
        return version + ".1"
    last = numbers[-1]
    bumped = str(int(last.group()) + 1).zfill(len(last.group()))
    return version[: last.start()] + bumped + version[last.end() :]


def expand_interfaces(patterns: list[str]) -> list[str]:
    """``["GigabitEthernet1/0/{1-3}"]`` -> the three interface names."""
    names: list[str] = []
    for pattern in patterns:
        match = RANGE.search(pattern)
        if match is None:
            names.append(pattern)
            continue
        first, last = int(match.group(1)), int(match.group(2))
        names.extend(
            pattern[: match.start()] + str(n) + pattern[match.end() :]
            for n in range(first, last + 1)
        )
    return names


def _uptime_parts(seconds: float) -> dict[str, Value]:
    total = int(seconds)
    minutes_total, secs = divmod(total, 60)
    hours_total, minutes = divmod(minutes_total, 60)
    days_total, hours = divmod(hours_total, 24)
    weeks, days = divmod(days_total, 7)
    return {
        "uptime_total_seconds": total,
        "uptime_total_days": days_total,
        "uptime_weeks": weeks,
        "uptime_days": days,
        "uptime_hours": hours,
        "uptime_minutes": minutes,
        "uptime_seconds": secs,
    }


def _fresh_secret(settings: dict[str, Any]) -> Callable[[], str]:
    """A secret the device re-encrypts on every display (Huawei VRP's ``%^%#...%^%#``)."""
    prefix = str(settings.get("prefix", ""))
    suffix = str(settings.get("suffix", ""))
    length = int(settings.get("length", 40))

    def make() -> str:
        body = "".join(secrets.choice(CIPHER_ALPHABET) for _ in range(length))
        return prefix + body + suffix

    return make


class DeviceView:
    """Everything the templates of one device may print, computed at display time."""

    def __init__(self, sim: SimulatedDevice, spec: CliSpec) -> None:
        self.sim = sim
        self.spec = spec

    # -- numbers shared with SNMP ------------------------------------------------------
    def cpu(self) -> int:
        if self.sim.has(Fault.CPU_HIGH):
            return 97
        measured = _metric(self.sim, "cpu")
        return measured if measured is not None else int(self.spec.values.get("cpu", 12))

    def memory(self) -> tuple[int, int, int]:
        """(percent used, total bytes, used bytes); totals come from the model's data."""
        total = int(self.spec.values.get("memory_total_bytes", 1024 * 1024 * 1024))
        snmp_total = _metric(self.sim, "memory_total")
        snmp_free = _metric(self.sim, "memory_free")
        unit = int(self.spec.values.get("memory_metric_unit_bytes", 0))
        if snmp_total and unit:
            total = snmp_total * unit  # the SNMP view gives the size: print the same one
        percent = _metric(self.sim, "memory")
        if percent is None and snmp_total and snmp_free is not None:
            # A ratio only: the SNMP units (bytes or KB) do not matter here.
            percent = round(100 * (snmp_total - snmp_free) / snmp_total)
        if percent is None:
            percent = int(self.spec.values.get("memory", 41))
        return percent, total, total * percent // 100

    def context(self) -> dict[str, Value]:
        sim, spec = self.sim, self.spec
        now = datetime.now()
        today = now.date()
        date_format = str(spec.values.get("date_format", "%Y-%m-%d"))
        memory_percent, memory_total, memory_used = self.memory()
        temperature = _metric(sim, "temperature")
        sessions = _metric(sim, "sessions")
        started = datetime.fromtimestamp(sim.started_at)
        changed_at = started if sim.has(Fault.CONFIG_CHANGE) else started - timedelta(days=3)
        context: dict[str, Value] = {
            **{k: v for k, v in spec.values.items() if isinstance(v, str | int | float)},
            "name": sim.name,
            "model": sim.model,
            "vendor": sim.vendor,
            "address": sim.address,
            "now": now.strftime("%Y-%m-%d %H:%M:%S"),
            "now_date": now.strftime(date_format),
            "now_time": now.strftime("%H:%M:%S"),
            "config_changed_at": changed_at.strftime("%Y-%m-%d %H:%M:%S"),
            "boot_time": datetime.fromtimestamp(time.time() - sim.uptime_seconds()).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "cpu": self.cpu(),
            "memory": memory_percent,
            "memory_free_percent": 100 - memory_percent,
            "memory_total_bytes": memory_total,
            "memory_used_bytes": memory_used,
            "memory_free_bytes": memory_total - memory_used,
            "memory_total_kb": memory_total // 1024,
            "memory_used_kb": memory_used // 1024,
            "memory_free_kb": (memory_total - memory_used) // 1024,
            "memory_total_mb": memory_total // (1024 * 1024),
            "memory_used_mb": memory_used // (1024 * 1024),
            "temperature": temperature
            if temperature is not None
            else int(spec.values.get("temperature", 38)),
            "sessions": sessions if sessions is not None else int(spec.values.get("sessions", 0)),
            "sys_location": _recorded_text(
                sim, SYS_LOCATION, str(spec.values.get("sys_location", "lab"))
            ),
            "sys_contact": _recorded_text(
                sim, SYS_CONTACT, str(spec.values.get("sys_contact", "netmon lab"))
            ),
            "chassis_serial": _recorded_serial(sim, str(spec.values.get("chassis_serial", ""))),
            **_uptime_parts(sim.uptime_seconds()),
        }
        for name, settings in spec.secrets.items():
            if "fresh" in settings:
                context[f"secret_{name}"] = _fresh_secret(settings["fresh"])
            else:
                context[f"secret_{name}"] = str(settings.get("value", ""))
        context["config_change"] = (
            str(spec.faults.get("config_change", "")) if sim.has(Fault.CONFIG_CHANGE) else ""
        )
        items = self.items(today, date_format)
        for name, block in spec.blocks.items():
            where = f"{spec.source} [blocks.{name}]"
            source = str(block.get("items", ""))
            if source not in items:
                raise CliDataError(f"{where}: items must be one of {', '.join(items)}")
            rows = [
                render(str(block.get("template", "")), {**context, **row}, where)
                for row in items[source]
            ]
            context[name] = "\n".join(rows)
        return context

    def items(self, today: date, date_format: str) -> dict[str, list[dict[str, Value]]]:
        sim, spec = self.sim, self.spec
        states = spec.states

        def component(count: int, failed_index: int, fault: Fault, kind: str) -> list[dict]:
            rows = []
            for index in range(1, count + 1):
                failed = sim.has(fault) and index == failed_index
                state = states.get(f"{kind}_failed" if failed else f"{kind}_ok", "")
                rows.append({"index": index, "index0": index - 1, "state": state})
            return rows

        signature_bump = sim.has(Fault.SIGNATURE_UPDATE)
        signatures = []
        for entry in spec.signatures:
            released = today - timedelta(days=int(entry.get("age_days", 30)))
            version = str(entry["version"])
            signatures.append(
                {
                    **{k: v for k, v in entry.items() if isinstance(v, str | int | float)},
                    "version": bump_version(version) if signature_bump else version,
                    "released": (today if signature_bump else released).strftime(date_format),
                }
            )
        licences = []
        for entry in spec.licences:
            days_left = 7 if sim.has(Fault.LICENCE_EXPIRING) else int(entry.get("days", 200))
            expires = today + timedelta(days=days_left)
            licences.append(
                {
                    **{k: v for k, v in entry.items() if isinstance(v, str | int | float)},
                    "expires": expires.strftime(date_format),
                    "days_left": days_left,
                    "licence_state": states.get(
                        "licence_expiring" if days_left <= 30 else "licence_ok", ""
                    ),
                }
            )
        interfaces = [
            {"ifname": ifname, "index": index}
            for index, ifname in enumerate(
                expand_interfaces(list(spec.values.get("interfaces", []))), start=1
            )
        ]
        return {
            "fans": component(int(spec.values.get("fan_count", 2)), 1, Fault.FAN_FAIL, "fan"),
            "psus": component(int(spec.values.get("psu_count", 2)), 2, Fault.PSU_FAIL, "psu"),
            "signatures": signatures,
            "licences": licences,
            "interfaces": interfaces,
        }

    def output(self, name: str) -> str:
        where = f"{self.spec.source} [outputs.{name}] ({self.spec.model})"
        return render(self.spec.outputs[name], self.context(), where)

    def text(self, template: str, where: str) -> str:
        return render(template, self.context(), f"{self.spec.source} {where}")
