"""The SSH side of a simulated device: an asyncssh server speaking its vendor's CLI.

``start_ssh_server(sim, credentials, host_key=...)`` listens on ``(sim.address, sim.ssh_port)``
(loopback only; ``Lab`` chooses the address) and answers interactive shells (with a PTY, as
netmiko's paramiko ``invoke_shell`` asks) and single ``exec`` requests. The CLI itself lives
in ``agent.lab.cli``: vendor data in ``agent/lab/cli/<vendor>.toml``, generic code here.

Faults: ``down`` closes every new connection at once; ``auth-fail`` refuses every password;
``slow`` delays each command's output (inside the session, without blocking the loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging

import asyncssh

from agent.lab.cli.session import CliSession
from agent.lab.cli.spec import CliSpec, load_cli_spec
from agent.lab.device import Fault, LabCredentials, SimulatedDevice

log = logging.getLogger(__name__)

__all__ = ["SshServerHandle", "start_ssh_server"]


class _DeviceSession(asyncssh.SSHServerSession):  # type: ignore[misc]
    """One SSH channel: feeds keystrokes to a ``CliSession`` running as a task."""

    def __init__(self, sim: SimulatedDevice, spec: CliSpec) -> None:
        self._sim = sim
        self._spec = spec
        self._keys: asyncio.Queue[str | None] = asyncio.Queue()
        self._chan: asyncssh.SSHServerChannel | None = None
        self._command: str | None = None
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: object, term_modes: object) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def session_started(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def data_received(self, data: str, datatype: object) -> None:
        for key in data:
            self._keys.put_nowait(key)

    def eof_received(self) -> bool:
        self._keys.put_nowait(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._keys.put_nowait(None)

    def _write(self, text: str) -> None:
        if self._chan is not None and not self._chan.is_closing():
            self._chan.write(text)

    async def _run(self) -> None:
        assert self._chan is not None
        cli = CliSession(self._sim, self._spec, self._write, self._keys)
        status = 0
        try:
            if self._command is not None:
                status = await cli.run_exec(self._command)
            else:
                await cli.run_shell()
        except Exception:
            # A lab bug must not kill the loop that serves the other 39 devices.
            log.exception("lab CLI session failed", extra={"device": self._sim.name})
            status = 255
        finally:
            if not self._chan.is_closing():
                self._chan.exit(status)


class _DeviceServer(asyncssh.SSHServer):  # type: ignore[misc]
    """Authentication and faults at connection level for one device."""

    def __init__(self, handle: SshServerHandle) -> None:
        self._handle = handle
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        if self._handle.sim.has(Fault.DOWN):
            conn.abort()
            return
        self._handle.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._handle.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        banner = self._handle.spec.ssh_banner
        if banner and self._conn is not None:
            self._conn.send_auth_banner(banner.replace("\n", "\r\n") + "\r\n")
        return True

    def password_auth_supported(self) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return True

    def _accepts(self, username: str, password: str) -> bool:
        sim, credentials = self._handle.sim, self._handle.credentials
        if sim.has(Fault.AUTH_FAIL):
            return False
        return username == credentials.ssh_username and password == credentials.ssh_password

    def validate_password(self, username: str, password: str) -> bool:
        accepted = self._accepts(username, password)
        if not accepted:
            log.info("lab ssh login refused", extra={"device": self._handle.sim.name})
        return accepted

    def get_kbdint_challenge(
        self, username: str, lang: str, submethods: str
    ) -> tuple[str, str, str, list[tuple[str, bool]]]:
        return "", "", "", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: list[str]) -> bool:
        return len(responses) == 1 and self._accepts(username, responses[0])

    def session_requested(self) -> _DeviceSession:
        return _DeviceSession(self._handle.sim, self._handle.spec)


class SshServerHandle:
    """A running SSH server of one simulated device; ``close()`` stops it and its sessions."""

    def __init__(self, sim: SimulatedDevice, credentials: LabCredentials, spec: CliSpec) -> None:
        self.sim = sim
        self.credentials = credentials
        self.spec = spec
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.acceptor: asyncssh.SSHAcceptor | None = None

    @property
    def port(self) -> int:
        assert self.acceptor is not None
        return int(self.acceptor.get_port())

    async def close(self) -> None:
        if self.acceptor is not None:
            self.acceptor.close()
            with contextlib.suppress(Exception):
                await self.acceptor.wait_closed()
            self.acceptor = None
        for conn in list(self.connections):
            conn.close()
        self.connections.clear()


async def start_ssh_server(
    sim: SimulatedDevice, credentials: LabCredentials, *, host_key: asyncssh.SSHKey
) -> SshServerHandle:
    """Serve ``sim``'s CLI over SSH on ``(sim.address, sim.ssh_port)``; port 0 picks one."""
    if not ipaddress.ip_address(sim.address).is_loopback:
        raise ValueError(f"lab SSH for {sim.name}: {sim.address} is not a loopback address")
    spec = load_cli_spec(sim.vendor, sim.model, variant=sim.cli_variant)
    handle = SshServerHandle(sim, credentials, spec)
    handle.acceptor = await asyncssh.create_server(
        lambda: _DeviceServer(handle),
        sim.address,
        sim.ssh_port,
        server_host_keys=[host_key],
        line_editor=False,  # the CLI echoes and edits lines itself, like the real boxes
        encoding=spec.encoding,
        keepalive_interval=0,
        login_timeout=30,
        # What the box says in its SSH identification string (e.g. "Comware-7.1.064").
        server_version=str(spec.values.get("ssh_server_version", "lab")),
    )
    log.debug(
        "lab ssh server listening",
        extra={"device": sim.name, "address": sim.address, "port": handle.port},
    )
    return handle
