"""A NAPALM ``NetworkDriver`` built on our netmiko session (``open_cli``) and our templates.

Everything vendor-specific is data: the commands and templates come from the vendor's
``collectors/profiles/<vendor>/cli.toml``, the parsed rows share field names across vendors
(``vendor_templates/``), so one class does the work and each vendor's subclass only names its
vendor and the few habits that differ (how interface lines look, how libraries are called).

Getters follow NAPALM's shapes (``get_facts``, ``get_environment``, ``get_config``) plus two of
ours in the same style: ``get_signatures`` and ``get_licences``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

from napalm.base import NetworkDriver
from netmiko.base_connection import BaseConnection

from agent.errors import NetmonError
from collectors.cli import CliError, cli_profile, open_cli
from collectors.cli.bounds import OutputTooLarge
from collectors.cli.parse import (
    clean_output,
    component_state,
    duration_seconds,
    iso_date,
    number,
    parse,
    percent,
    to_bytes,
)
from collectors.cli.serial import chassis_serial
from collectors.library_kinds import library_kind
from collectors.profiles import get_profile

log = logging.getLogger(__name__)

# Expiry words that mean "never expires" (licence templates: never / permanent / 永久 / dashes).
PERMANENT = re.compile(r"never|permanent|unlimited|-+|永久", re.I)


class DriverError(NetmonError):
    """A getter could not do its job on a device (names the device, command and why)."""


class NetmonCliDriver(NetworkDriver):
    """One vendor's CLI as a NAPALM driver; subclasses set ``vendor``."""

    vendor: ClassVar[str] = ""
    #: How the running configuration names an interface (group 1 is its name).
    interface_line: ClassVar[re.Pattern[str]] = re.compile(r"^interface\s+(\S+)", re.M)
    #: How long the configuration may take to arrive; None: the profile's
    #: ``[commands.running_config] command_timeout_s`` (large configurations, slow boxes).
    config_read_timeout: ClassVar[float | None] = None

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        options = dict(optional_args or {})
        self.hostname = hostname
        self.username = username
        self.password = password
        self.timeout = timeout
        self.port = int(options.get("port", 22))
        self.device_name = str(options.get("device_name") or f"{hostname}:{self.port}")
        self.model = str(options.get("model", ""))
        self.family = str(options.get("family", "")) or self._family_of(self.model)
        self.device: BaseConnection | None = None
        self.profile = cli_profile(self.vendor)
        self._outputs: dict[str, str] = {}
        #: Why a section of the last get_environment is empty (section -> reason).
        self.environment_errors: dict[str, str] = {}

    def _family_of(self, model: str) -> str:
        info = get_profile(self.vendor).models.get(model) if model else None
        return info.family if info else ""

    # -- session ------------------------------------------------------------------------
    def open(self) -> None:
        self.device = open_cli(
            self.vendor,
            self.hostname,
            self.port,
            self.username,
            self.password,
            timeout=float(self.timeout),
            device_name=self.device_name,
        )

    def close(self) -> None:
        if self.device is None:
            return
        try:
            self.device.disconnect()
        except (OSError, EOFError) as error:  # already gone: nothing left to close
            log.debug("ssh close failed", extra={"device": self.device_name, "error": str(error)})
        finally:
            self.device = None

    def is_alive(self) -> dict[str, bool]:  # type: ignore[override]
        if self.device is None:
            return {"is_alive": False}
        try:
            return {"is_alive": bool(self.device.is_alive())}
        except (OSError, EOFError):
            return {"is_alive": False}

    def _session(self) -> BaseConnection:
        if self.device is None:
            raise CliError(
                f"{self.device_name}: no open session (call open() first)",
                device=self.device_name,
                reason="closed",
            )
        return self.device

    def run(self, command_name: str, *, read_timeout: float | None = None) -> str:
        """The cleaned output of one profile command; each command text runs once per getter
        (fans, power and temperature share one command on several vendors).

        The output is bounded by the profile's size and time caps for that command: past the
        size cap the session is dropped (the box is still talking) and the call fails with a
        ``CliError`` (``too-large``) naming the device, the command and the cap."""
        command = self.profile.commands.get(command_name)
        if command is None:
            raise DriverError(
                f"{self.device_name}: collectors/profiles/{self.vendor}/cli.toml names no "
                f"{command_name!r} command"
            )
        if command not in self._outputs:
            max_chars, max_seconds = self.profile.limit(command_name)
            session = self._session()
            bound = getattr(session, "bound_output", None)
            if bound is not None:
                bound(command, max_chars)
            try:
                output = session.send_command(
                    command, read_timeout=read_timeout if read_timeout else max_seconds
                )
            except OutputTooLarge as error:
                self.close()
                log.info(
                    "command output too large",
                    extra={"device": self.device_name, "command": command, "cap": error.cap},
                )
                raise CliError(
                    f"{self.device_name}: {command!r} printed more than {error.cap} characters "
                    f"(max_output_chars of collectors/profiles/{self.vendor}/cli.toml); "
                    "session dropped",
                    device=self.device_name,
                    reason="too-large",
                ) from None
            finally:
                if bound is not None and self.device is not None:
                    bound("", None)
            text = clean_output(str(output))
            for pattern in self.profile.error_patterns:
                found = re.search(pattern, text, re.M)
                if found:
                    start = text.rfind("\n", 0, found.start()) + 1
                    end = text.find("\n", found.end())
                    line = text[start : end if end != -1 else len(text)].strip()
                    raise DriverError(f"{self.device_name}: {command!r} was refused: {line}")
            self._outputs[command] = text
        return self._outputs[command]

    def rows(self, command_name: str, *, allow_empty: bool = False) -> list[dict[str, str]]:
        return parse(
            self.vendor,
            command_name,
            self.run(command_name),
            family=self.family_for_templates(),
            allow_empty=allow_empty,
        )

    def family_for_templates(self) -> str | None:
        return self.family or None

    def _fresh(self) -> None:
        """Forget outputs of an earlier getter: every getter reads the device anew."""
        self._outputs = {}

    # -- NAPALM getters -----------------------------------------------------------------
    def get_facts(self) -> dict[str, Any]:  # type: ignore[override]
        self._fresh()
        version = self.rows("version")[0]
        hostname = self.hostname_from_prompt()
        config = self.run("running_config", read_timeout=self.config_read_timeout)
        interfaces = list(dict.fromkeys(self.interface_line.findall(config)))
        uptime = duration_seconds(version.get("uptime"), version.get("uptime_tail"))
        display = get_profile(self.vendor).display_name
        return {
            "vendor": display.split()[0],
            "model": version.get("model") or self.model,
            "os_version": version.get("os_version", ""),
            "serial_number": version.get("serial", ""),
            "hostname": hostname,
            "fqdn": hostname,
            "uptime": float(uptime) if uptime is not None else -1.0,
            "interface_list": interfaces,
        }

    def get_chassis_serial(self) -> str | None:
        """The box's serial over the CLI, for vendors whose profile has a ``[serial]`` rule
        (H3C: ``display device manuinfo``); None when the profile has none or no preferred
        part printed a serial. A refused command or an unknown layout raises, naming both."""
        rule = self.profile.raw.get("serial")
        if not rule:
            return None
        return chassis_serial(self.rows(str(rule["command"])), list(rule["parts"]))

    def hostname_from_prompt(self) -> str:
        prompt = str(self._session().base_prompt or "")
        return prompt.strip().strip("[]<>")

    def get_environment(self) -> dict[str, Any]:  # type: ignore[override]
        """NAPALM's environment, section by section: a section whose command is refused or
        whose template does not match the output (Huawei ``display power`` with a Slot column
        on a stack) costs only its own values, left empty, with the reason in
        ``environment_errors``. A lost session (``CliError``) still ends the read."""
        self._fresh()
        self.environment_errors = {}
        readers = {
            "fans": self.environment_fans,
            "power": self.environment_power,
            "temperature": self.environment_temperature,
            "cpu": self.environment_cpu,
            "memory": self.environment_memory,
        }
        environment: dict[str, Any] = {}
        for section, reader in readers.items():
            try:
                environment[section] = reader()
            except CliError:
                raise
            except (NetmonError, LookupError, ValueError) as error:
                empty: dict[str, Any] = {"available_ram": -1, "used_ram": 0}
                environment[section] = empty if section == "memory" else {}
                self.environment_errors[section] = str(error) or type(error).__name__
                log.info(
                    "cli section unreadable",
                    extra={"device": self.device_name, "section": section},
                )
        return environment

    @staticmethod
    def _name(row: dict[str, str], key: str, word: str) -> str:
        """A component name: "fan1" as printed, or "Slot 1 Fan 2" built from numbered rows."""
        value = row.get(key, "")
        if not value.isdigit():
            # Stacks repeat names per member ("PWR1" in slot 0 and in slot 1): keep them apart.
            return f"Slot {row['slot']} {value}" if row.get("slot") and value else value
        where = " ".join(
            f"{label} {row[field]}"
            for field, label in (("unit", "Unit"), ("slot", "Slot"))
            if row.get(field)
        )
        return f"{where} {word} {value}".strip()

    def component_state(self, kind: str, row: dict[str, str]) -> str:
        """Our state of a fan (``kind`` "fans") or power supply ("psus") row: the vendor's words
        from ``[states.<kind>]`` of its cli.toml, then the shared words. An absent word in the
        presence column (``online``: Huawei prints ``Absent`` there and ``-`` as the state of
        an empty slot) makes the part absent, never failed."""
        table = (self.profile.raw.get("states") or {}).get(kind) or {}
        words = {
            str(word).lower(): state
            for state in ("ok", "failed", "absent", "unknown")
            for word in table.get(state, ())
        }

        def state_of(word: str | None) -> str | None:
            text = (word or "").strip().lower()
            return words.get(text) or component_state(text)

        if state_of(row.get("online")) == "absent":
            return "absent"
        return state_of(row.get("status")) or "unknown"

    def environment_fans(self) -> dict[str, dict[str, Any]]:
        fans: dict[str, dict[str, Any]] = {}
        for row in self.rows("fans"):
            state = self.component_state("fans", row)
            # NAPALM's shape (status: working or not) plus our state and the printed word.
            fans[self._name(row, "fan", "Fan")] = {
                "status": state == "ok",
                "state": state,
                "raw": row.get("status", ""),
            }
        return fans

    def environment_power(self) -> dict[str, dict[str, Any]]:
        power: dict[str, dict[str, Any]] = {}
        for row in self.rows("power"):
            watts = number(row.get("power_w"))
            state = self.component_state("psus", row)
            power[self._name(row, "psu", "Power")] = {
                "status": state == "ok",
                "state": state,
                "raw": row.get("status", ""),
                "capacity": -1.0,  # none of the fleet prints a rated capacity
                "output": watts if watts is not None else -1.0,
            }
        return power

    def environment_temperature(self) -> dict[str, dict[str, Any]]:
        sensors: dict[str, dict[str, Any]] = {}
        for row in self.rows("temperature"):
            celsius = number(row.get("celsius"))
            if celsius is None:
                continue
            alert = number(row.get("alert_c"))
            critical = number(row.get("critical_c"))
            name = " ".join(
                part
                for part in (
                    f"Slot {row['slot']}" if row.get("slot") else "",
                    row.get("sensor", "") if row.get("sensor", "NA") != "NA" else "",
                )
                if part
            )
            sensors[name or "temperature"] = {
                "temperature": celsius,
                "is_alert": alert is not None and celsius >= alert,
                "is_critical": critical is not None and celsius >= critical,
            }
        return sensors

    def environment_cpu(self) -> dict[str | int, dict[str, float]]:
        cpu: dict[str | int, dict[str, float]] = {}
        for index, row in enumerate(self.rows("cpu")):
            usage = percent(row.get("cpu_percent"))
            if usage is not None:
                cpu[index] = {"%usage": usage}
        return cpu

    def environment_memory(self) -> dict[str, int]:
        row = self.rows("memory")[0]
        unit = row.get("memory_unit") or "bytes"
        total = to_bytes(row.get("memory_total"), unit)
        used = to_bytes(row.get("memory_used"), unit)
        free = to_bytes(row.get("memory_free"), unit)
        used_percent = percent(row.get("memory_used_percent"))
        free_percent = percent(row.get("memory_free_percent"))
        if used is None and total is not None:
            if free is not None:
                used = total - free
            elif used_percent is not None:
                used = round(total * used_percent / 100)
            elif free_percent is not None:
                used = round(total * (100 - free_percent) / 100)
        # NAPALM's available_ram is the total usable memory (its IOS driver: free + used).
        return {"available_ram": total if total is not None else -1, "used_ram": used or 0}

    def get_config(  # type: ignore[override]
        self,
        retrieve: str = "all",
        full: bool = False,
        sanitized: bool = False,
        format: str = "text",
    ) -> dict[str, str]:
        if retrieve not in ("all", "running", "startup", "candidate"):
            raise DriverError(
                f"get_config: retrieve={retrieve!r}; use all, running, startup or candidate"
            )
        if sanitized:
            raise NotImplementedError("masking secrets is the configuration collector's job")
        self._fresh()
        config = {"running": "", "startup": "", "candidate": ""}
        if retrieve in ("all", "running"):
            text = self.run("running_config", read_timeout=self.config_read_timeout)
            config["running"] = text.strip("\n") + "\n"
        # The fleet's security boxes have no documented startup-configuration command, and the
        # switches' saved configuration is not collected: startup and candidate stay empty.
        return config

    # -- ours, in the same style --------------------------------------------------------
    def get_sessions(self) -> int | None:
        """Current sessions (connections) of a security box; None where the box has none."""
        self._fresh()
        if "sessions" not in self.profile.commands:
            return None
        found = number(self.rows("sessions")[0].get("sessions"))
        return int(found) if found is not None else None

    def get_signatures(self) -> list[dict[str, str | None]]:
        """Signature libraries: {library, version, release_date (YYYY-MM-DD or None), raw}.

        A line the template could not read (an unknown date format, a cut row, a header in
        unknown words) or a release date that is no date comes back with an ``error`` key
        naming the line, so the caller can report it per library instead of losing it."""
        self._fresh()
        if "signatures" not in self.profile.commands:
            return []  # the box has no signature libraries (switches)
        entries: list[dict[str, str | None]] = []
        for row in self.rows("signatures", allow_empty=True):
            if row.get("unparsed"):
                line = row["unparsed"]
                entries.append(
                    {
                        "library": library_kind(line.split()[0]),
                        "version": "",
                        "release_date": None,
                        "raw": line.split()[0],
                        "error": f"line not understood: {line!r}",
                    }
                )
                continue
            printed = row.get("release_date", "")
            entry: dict[str, str | None] = {
                "library": library_kind(row["library"]),
                "version": row.get("version", ""),
                "release_date": iso_date(printed),
                "raw": row["library"],
            }
            if printed and entry["release_date"] is None:
                entry["error"] = f"release date {printed!r} is not a date"
            entries.append(entry)
        return entries

    def get_licences(self) -> list[dict[str, str | None]]:
        """Licences: {feature, expires (YYYY-MM-DD or None when it never expires), status}.

        As in ``get_signatures``, a line the template could not read, or an expiry that is
        neither a date nor a word for "permanent", carries an ``error`` key."""
        self._fresh()
        if "licences" not in self.profile.commands:
            return []
        entries: list[dict[str, str | None]] = []
        for row in self.rows("licences", allow_empty=True):
            if row.get("unparsed"):
                line = row["unparsed"]
                entries.append(
                    {
                        "feature": line,
                        "expires": None,
                        "status": "",
                        "error": f"line not understood: {line!r}",
                    }
                )
                continue
            printed = row.get("expires", "")
            entry: dict[str, str | None] = {
                "feature": row["feature"],
                "expires": iso_date(printed),
                "status": row.get("status", "").lower(),
            }
            if entry["expires"] is None and printed and not PERMANENT.fullmatch(printed):
                entry["error"] = f"expiry {printed!r} is not a date"
            entries.append(entry)
        return entries
