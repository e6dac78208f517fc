"""Fetch a device's running configuration over SSH and make it safe to keep.

``ConfigCollector.collect(device)`` runs the blocking netmiko session in a thread, checks the
display is whole (the vendor's end line and minimum length, so a cut-off fetch is an error and
never a new version), redacts its secrets, drops its volatile lines and returns a
``ConfigSnapshot``. The raw text never leaves ``_prepare``: nothing else sees it, nothing logs
it. Failures are ``ConfigError`` (or the session's ``CliError``) naming the device and why.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import paramiko
from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

from agent.errors import NetmonError
from collectors.cli import CliError
from collectors.config.redact import Redactor, load_key
from collectors.config.rules import ConfigRules, config_rules, drop_volatile, incomplete_reason
from collectors.config.session_noise import strip_session_noise

if TYPE_CHECKING:
    from agent.inventory import Device

log = logging.getLogger(__name__)


def _no_channel_data(record: logging.LogRecord) -> bool:
    """netmiko logs every byte it reads and writes at DEBUG ("read_channel: ..."): a whole
    configuration, secrets included, would reach the logs. Such records are dropped."""
    return record.levelno >= logging.INFO


logging.getLogger("netmiko").addFilter(_no_channel_data)

ConfigFailure = Literal[
    "auth", "timeout", "refused", "closed", "profile", "truncated", "refused-command", "unredacted"
]

FETCH_FAILURES = (ReadTimeout, NetmikoTimeoutException, OSError, EOFError, paramiko.SSHException)
# None: the profile's time cap for the configuration display ([commands.running_config]).
DEFAULT_READ_TIMEOUT: float | None = None


class ConfigError(NetmonError):
    """A configuration fetch failed; names the device and the reason. Nothing was stored."""

    def __init__(self, message: str, *, device: str, reason: ConfigFailure) -> None:
        super().__init__(message)
        self.device = device
        self.reason = reason


@dataclass(frozen=True)
class ConfigSnapshot:
    """A device's running configuration, normalised and redacted (safe to store and show)."""

    device: str
    vendor: str
    collected_at: datetime
    text: str
    sha256: str
    secrets_redacted: int
    volatile_dropped: int


def fetch_running_config(device: Device, read_timeout: float | None = DEFAULT_READ_TIMEOUT) -> str:
    """The raw running configuration, through the vendor's NAPALM-shaped driver (netmiko
    underneath, paging turned off at login). The one place that talks to the box."""
    from collectors.drivers import driver_for_device

    driver = driver_for_device(device)
    # The driver's own default suits production; tests and callers may want it shorter.
    driver.config_read_timeout = read_timeout  # type: ignore[misc]
    driver.open()
    try:
        return driver.get_config(retrieve="running")["running"]
    except ReadTimeout:
        # netmiko waits out its timeout on a closed channel too: tell the two apart.
        if not driver.is_alive().get("is_alive", False):
            raise EOFError("the SSH session closed during the display") from None
        raise
    finally:
        driver.close()


def _fetch_error(device: Device, error: BaseException) -> NetmonError:
    name = device.name
    if isinstance(error, CliError):
        return error
    if isinstance(error, ReadTimeout | NetmikoTimeoutException | TimeoutError):
        return ConfigError(
            f"{name}: the configuration display did not finish (no prompt came back in time)",
            device=name,
            reason="timeout",
        )
    if isinstance(error, OSError | EOFError | paramiko.SSHException):
        return ConfigError(
            f"{name}: the SSH session was closed during the configuration display",
            device=name,
            reason="closed",
        )
    # DriverError: the box refused the command (its message names the device, not the text).
    return ConfigError(f"{name}: {error}", device=name, reason="refused-command")


def prepare(
    device_name: str,
    vendor: str,
    raw: str,
    redactor: Redactor,
    collected_at: datetime,
    rules: ConfigRules | None = None,
) -> ConfigSnapshot:
    """Check, redact and normalise a raw display into a snapshot."""
    rules = rules or config_rules(vendor)
    lines, skipped, prompt_inside = strip_session_noise(raw, rules.noise)
    problem = incomplete_reason("\n".join(lines), rules)
    if problem is None and prompt_inside is not None:
        problem = (
            f"a device prompt inside the display at line {prompt_inside} "
            "(another command's output or a faked end)"
        )
    if problem:
        raise ConfigError(
            f"{device_name}: incomplete configuration: {problem}; nothing stored",
            device=device_name,
            reason="truncated",
        )
    lines, origins, secrets = redactor.redact_numbered(lines, rules)
    leaks = rules.leak_check.leaking_lines(lines)
    if leaks:
        numbers = ", ".join(str(origins[index] + skipped + 1) for index in leaks[:10])
        more = f" and {len(leaks) - 10} more" if len(leaks) > 10 else ""
        raise ConfigError(
            f"{device_name}: a secret-shaped value survived redaction on line {numbers}{more} "
            f"of the display; nothing stored (add a [[config.secret]] rule to "
            f"collectors/profiles/{vendor}/cli.toml)",
            device=device_name,
            reason="unredacted",
        )
    lines, dropped = drop_volatile(lines, rules)
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    text = "\n".join(lines) + "\n"
    return ConfigSnapshot(
        device=device_name,
        vendor=vendor,
        collected_at=collected_at,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        secrets_redacted=secrets,
        volatile_dropped=dropped,
    )


class ConfigCollector:
    """The configuration collector the daemon schedules (``kind = "config"``)."""

    kind = "config"

    def __init__(
        self,
        *,
        key: bytes | None = None,
        state_dir: Path | None = None,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
    ) -> None:
        self._key = key
        self._state_dir = state_dir
        self.read_timeout = read_timeout

    def redactor(self) -> Redactor:
        if self._key is None:
            self._key = load_key(self._state_dir)
        return Redactor(self._key)

    def collect_sync(self, device: Device) -> ConfigSnapshot:
        redactor = self.redactor()  # before the session: a key problem costs no SSH login
        started = datetime.now(UTC)
        try:
            raw = fetch_running_config(device, self.read_timeout)
        except NetmonError as error:
            if not isinstance(error, CliError):
                error = _fetch_error(device, error)
            self._log_failure(device, error)
            raise error from None
        except FETCH_FAILURES as error:
            failure = _fetch_error(device, error)
            self._log_failure(device, failure)
            raise failure from None
        try:
            snapshot = prepare(device.name, device.vendor, raw, redactor, started)
        except ConfigError as error:
            self._log_failure(device, error)
            raise
        finally:
            del raw
        log.debug(
            "configuration fetched",
            extra={
                "device": device.name,
                "sha256": snapshot.sha256,
                "lines": snapshot.text.count("\n"),
                "secrets_redacted": snapshot.secrets_redacted,
                "volatile_dropped": snapshot.volatile_dropped,
            },
        )
        return snapshot

    async def collect(self, device: Device) -> ConfigSnapshot:
        return await asyncio.to_thread(self.collect_sync, device)

    @staticmethod
    def _log_failure(device: Any, error: NetmonError) -> None:
        log.info(
            "configuration fetch failed",
            extra={"device": device.name, "reason": getattr(error, "reason", "error")},
        )
