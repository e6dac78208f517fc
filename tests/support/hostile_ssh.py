"""A tiny misbehaving SSH server (a Comware-like CLI, prompt ``<fake>``) on loopback, for the
collector-level fetch tests (tests/config/test_fetch_failures.py) and the daemon-level fault
matrix (tests/faults/test_hostile_devices.py).

``behaviour`` says how the configuration display goes wrong:

- truncate: stops early, prompt back; drop: stops early, closes; hang: stops early, nothing more
- silent: logs in, then never a prompt (hangs after login)
- flood: never stops talking
- prompt-inside: a prompt line in the middle of a display that then ends normally
- escapes: the same with terminal escape sequences (colours, cursor moves, a title) on the
  lines around the prompt, as a box whose terminal settings leak into the output
"""

from __future__ import annotations

import asyncio
import threading

import asyncssh

CONFIG = "\n".join(["#", " sysname fake", *[f"vlan {n}" for n in range(1, 40)], "#", "return"])
PASSWORD = "fake-pass"
BEHAVIOURS = ("truncate", "drop", "hang", "silent", "flood", "prompt-inside", "escapes")


class MisbehavingCli:
    """The server in its own thread and event loop; a context manager. ``port`` is known once
    entered. It listens on ``address`` (any 127/8 address) and takes ``password``."""

    def __init__(
        self, behaviour: str, *, address: str = "127.0.0.1", password: str = PASSWORD
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {BEHAVIOURS}")
        self.behaviour = behaviour
        self.address = address
        self.password = password
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncssh.SSHAcceptor | None = None
        self.port = 0

    def __enter__(self) -> MisbehavingCli:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *_exc: object) -> None:
        async def stop() -> None:
            assert self.server is not None
            self.server.close()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _start(self) -> None:
        key = asyncssh.generate_private_key("ssh-ed25519")
        password = self.password

        class Server(asyncssh.SSHServer):  # type: ignore[misc]
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, given: str) -> bool:
                return given == password

        self.server = await asyncssh.create_server(
            Server,
            self.address,
            0,
            server_host_keys=[key],
            process_factory=self._session,
            # The session echoes each line itself, in order with what it prints, as a real CLI
            # does. asyncssh's line editor echoes as bytes arrive, so under load the echo of a
            # command could overtake the prompt still owed to netmiko's last Enter probe:
            # netmiko then saw "display current-configuration\r\n\r\n<fake>", took the
            # display for ended and returned nothing (a CI run: "only 0 lines" on the flood).
            line_editor=False,
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def _session(self, process: asyncssh.SSHServerProcess) -> None:
        if self.behaviour == "silent":
            await asyncio.sleep(3600)
        out = process.stdout
        out.write("\r\n<fake>")
        try:
            while True:
                line = (await process.stdin.readline()).strip()
                out.write(line + "\r\n")  # the echo, then what the line prints
                if line == "display current-configuration" and self.behaviour == "flood":
                    await self._flood(process)
                    return
                if line == "display current-configuration" and self.behaviour in (
                    "prompt-inside",
                    "escapes",
                ):
                    out.write(self._with_prompt_inside() + "\r\n")
                elif line == "display current-configuration":
                    cut = "\r\n".join(CONFIG.splitlines()[:20])
                    out.write(cut + "\r\n")
                    if self.behaviour == "drop":
                        process.exit(0)
                        process.channel.get_connection().close()
                        return
                    if self.behaviour == "hang":
                        await asyncio.sleep(3600)
                elif line == "quit":
                    process.exit(0)
                    return
                # After the echo's line end, so two Enter probes read together give two
                # prompt lines, not "<fake><fake>" (which netmiko would take for the prompt).
                out.write("<fake>")
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged, ConnectionError):
            return

    def _with_prompt_inside(self) -> str:
        lines = CONFIG.splitlines()
        shown = [*lines[:20], "[fake]", *lines[20:]]
        if self.behaviour == "escapes":
            shown = [
                "\x1b]0;fake\x07" + shown[0],  # a window title
                *(f"\x1b[1m{line}\x1b[0m" for line in shown[1:19]),  # bold
                "\x1b[42D" + " " * 42 + "\x1b[42D" + shown[19],  # a pager line erased
                "\x1b[32m" + shown[20] + "\x1b[0m",  # the prompt, coloured
                *shown[21:],
            ]
        return "\r\n".join(shown)

    @staticmethod
    async def _flood(process: asyncssh.SSHServerProcess) -> None:
        """Configuration-like lines, forever, as fast as the client reads them."""
        chunk = "".join(
            f" description flood line {n:06d} of a box that never stops\r\n" for n in range(1000)
        )
        try:
            while not process.channel.is_closing():
                process.stdout.write(chunk)
                await process.stdout.drain()
        except (asyncssh.Error, ConnectionError, BrokenPipeError):
            return
