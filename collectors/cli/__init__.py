"""SSH sessions to the devices: the right netmiko class per vendor, errors netmon can report.

``open_cli(vendor, host, port, username, password)`` reads the vendor's
``collectors/profiles/<vendor>/cli.toml`` and opens a netmiko session with the class it names:
netmiko's own driver where netmiko has one (``netmiko_device_type``: Comware, VRP), one of ours
from ``collectors.cli.devices`` otherwise (``device_class``). The device type is pinned from the
inventory's vendor, never autodetected (autodetection misses Comware 5). Failures become a
``CliError`` naming the device and saying why: ``auth``, ``timeout``, ``refused``, ``closed``.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import paramiko
from netmiko.base_connection import BaseConnection
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)
from netmiko.ssh_dispatcher import CLASS_MAPPER

from agent.errors import NetmonError
from collectors.cli.bounds import (
    DEFAULT_COMMAND_TIMEOUT_S,
    DEFAULT_MAX_OUTPUT_CHARS,
    bounded_class,
)
from collectors.cli.devices import DEVICE_CLASSES, configured_class
from collectors.profiles import get_profile

log = logging.getLogger(__name__)

FailureReason = Literal["auth", "timeout", "refused", "closed", "profile", "too-large"]

__all__ = ["CliError", "CliProfile", "cli_profile", "open_cli", "open_cli_for_device"]


class CliError(NetmonError):
    """An SSH session could not be opened or used; names the device and the reason."""

    def __init__(self, message: str, *, device: str, reason: FailureReason) -> None:
        super().__init__(message)
        self.device = device
        self.reason = reason


@dataclass(frozen=True)
class CliProfile:
    """The SSH side of one vendor, from ``collectors/profiles/<vendor>/cli.toml``."""

    vendor: str
    netmiko_device_type: str  # the platform name (also TextFSM's) of the session
    device_class: str  # our class in collectors.cli.devices, or "" for netmiko's own driver
    class_settings: dict[str, Any]
    enable: bool  # enter the privileged mode after login (Cisco-like CLIs)
    commands: dict[str, str]
    error_patterns: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    #: Per command name: (the most characters its output may have, the seconds it may take).
    limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    default_limit: tuple[int, float] = (DEFAULT_MAX_OUTPUT_CHARS, DEFAULT_COMMAND_TIMEOUT_S)
    encoding: str = "utf-8"

    def limit(self, command_name: str) -> tuple[int, float]:
        """(size cap in characters, time cap in seconds) of one profile command."""
        return self.limits.get(command_name, self.default_limit)


def cli_profile(vendor: str) -> CliProfile:
    try:
        data = get_profile(vendor).cli
    except KeyError as error:
        raise CliError(str(error), device=vendor, reason="profile") from None
    where = f"collectors/profiles/{vendor}/cli.toml"
    session = data.get("session", {})
    device_type = str(session.get("netmiko_device_type", ""))
    device_class = str(session.get("device_class", ""))
    if not device_type:
        raise CliError(
            f"{where}: [session] needs netmiko_device_type", device=vendor, reason="profile"
        )
    if device_class and device_class not in DEVICE_CLASSES:
        known = ", ".join(DEVICE_CLASSES)
        raise CliError(
            f"{where}: unknown device_class {device_class!r} (known: {known})",
            device=vendor,
            reason="profile",
        )
    settings = {
        key: session[key]
        for key in (
            "prompt_terminators",
            "paging_off_command",
            "exit_command",
            "logout_question",
            "logout_answer",
        )
        if key in session
    }
    commands = {name: str(spec["command"]) for name, spec in data.get("commands", {}).items()}
    errors = tuple(str(entry["pattern"]) for entry in data.get("errors", []))
    default_limit = (
        int(session.get("max_output_chars", DEFAULT_MAX_OUTPUT_CHARS)),
        float(session.get("command_timeout_s", DEFAULT_COMMAND_TIMEOUT_S)),
    )
    limits = {
        name: (
            int(spec.get("max_output_chars", default_limit[0])),
            float(spec.get("command_timeout_s", default_limit[1])),
        )
        for name, spec in data.get("commands", {}).items()
    }
    return CliProfile(
        vendor=vendor,
        netmiko_device_type=device_type,
        device_class=device_class,
        class_settings=settings,
        enable=bool(session.get("enable", False)),
        commands=commands,
        error_patterns=errors,
        raw=data,
        limits=limits,
        default_limit=default_limit,
        encoding=str(session.get("encoding", "utf-8")),
    )


# What netmiko, paramiko and the socket raise when a session fails (to open, or mid-command).
SESSION_FAILURES: tuple[type[BaseException], ...] = (
    NetmikoTimeoutException,
    ReadTimeout,
    paramiko.SSHException,
    OSError,
    EOFError,
)


def session_failure_reason(error: BaseException) -> FailureReason:
    """The typed reason of one of SESSION_FAILURES (or netmiko's authentication error)."""
    return _reason(error)


def _reason(error: BaseException) -> FailureReason:
    """Why netmiko could not connect: look at the error paramiko or the socket raised."""
    if isinstance(error, NetmikoAuthenticationException | paramiko.AuthenticationException):
        return "auth"
    cause = error.__cause__ or error.__context__
    for candidate in (error, cause):
        if isinstance(candidate, ConnectionRefusedError):
            return "refused"
        if isinstance(candidate, paramiko.ssh_exception.NoValidConnectionsError):
            return "refused"
        if isinstance(candidate, TimeoutError | socket.timeout):
            return "timeout"
    text = str(error)
    if "Connection refused" in text or "Unable to connect" in text:
        return "refused"
    if "banner" in text.lower() or isinstance(cause, EOFError | ConnectionResetError):
        return "closed"  # the TCP connection opened and was closed before SSH started
    if isinstance(error, ReadTimeout | NetmikoTimeoutException):
        return "timeout"
    return "closed"


REASON_TEXT = {
    "auth": "SSH login refused (wrong user name or password?)",
    "timeout": "SSH connection timed out",
    "refused": "SSH connection refused (nothing listens on that port?)",
    "closed": "SSH connection closed by the device",
    "profile": "vendor profile problem",
    "too-large": "the output passed its size cap",
}


def open_cli(
    vendor: str,
    host: str,
    port: int,
    username: str,
    password: str,
    *,
    timeout: float = 10,
    device_name: str | None = None,
) -> BaseConnection:
    """A logged-in netmiko session with paging off (and in privileged mode where needed)."""
    profile = cli_profile(vendor)
    name = device_name or f"{host}:{port}"
    params: dict[str, Any] = {
        "host": host,
        "port": port,
        "username": username,
        "password": password,
        "conn_timeout": timeout,
        "auth_timeout": timeout,
        "banner_timeout": timeout,
        "timeout": max(timeout, 10),
        "read_timeout_override": None,
        # Read each command's output from its echo on. netmiko turns this off for Comware
        # (long commands wrap at the terminal width; ours are short), and then a prompt still
        # owed to its own Enter probes, arriving after the command was sent, ended the read at
        # once: an empty configuration display under load (CI, tests/faults ssh-flood).
        "global_cmd_verify": True,
        "allow_agent": False,
        "use_keys": False,
        "ssh_strict": False,
        "system_host_keys": False,
        "alt_host_keys": False,
        "encoding": profile.encoding,
    }
    try:
        if profile.device_class:
            base = configured_class(profile.device_class, profile.class_settings)
        else:
            base = CLASS_MAPPER[profile.netmiko_device_type]
        # What ConnectHandler does, with reads that can be bounded per command.
        cls = bounded_class(base)
        connection: BaseConnection = cls(device_type=profile.netmiko_device_type, **params)
        if profile.enable:
            connection.enable()
    except (
        NetmikoAuthenticationException,
        NetmikoTimeoutException,
        ReadTimeout,
        paramiko.SSHException,
        OSError,
        EOFError,
        ValueError,  # netmiko: "Router prompt not found" / "Unable to find prompt"
    ) as error:
        reason = _reason(error)
        log.info(
            "ssh session failed",
            extra={"device": name, "host": host, "port": port, "reason": reason},
        )
        raise CliError(
            f"{name} ({host}:{port}, {vendor}): {REASON_TEXT[reason]}",
            device=name,
            reason=reason,
        ) from None
    return connection


class _DeviceLike(Protocol):
    """What ``open_cli_for_device`` reads: the inventory ``Device`` has these fields; its
    ``ssh`` has ``port``, ``username``, ``password.reveal()`` and ``timeout``."""

    name: str
    vendor: str
    address: str

    @property
    def ssh(self) -> Any: ...


def open_cli_for_device(device: _DeviceLike) -> BaseConnection:
    """``open_cli`` for an inventory device (its address, SSH port, user, password, timeout)."""
    ssh = device.ssh
    return open_cli(
        device.vendor,
        device.address,
        int(ssh.port),
        str(ssh.username),
        ssh.password.reveal(),
        timeout=float(getattr(ssh, "timeout", 10) or 10),
        device_name=getattr(device, "name", None),
    )
