"""Output bounds for SSH sessions (issue 13 item 4): per command a size cap and a time cap.

netmiko reads a command's output until the prompt comes back or its ``read_timeout`` passes,
keeping everything in memory. A box that never stops talking (a runaway debug, a hostile
server) would grow the process by hundreds of MB within the time cap. ``bounded_class`` wraps
a netmiko connection class so that ``read_channel`` counts what a command has returned so
far; past the command's cap it raises ``OutputTooLarge`` and the caller drops the session
(it is in an unknown state: the box is still talking). At most one read (bounded by the SSH
channel window, 2 MiB) lies beyond the cap, so memory stays bounded by a small multiple of the
cap (netmiko copies the output as it grows: ~4.5 x, measured by the flood test in
tests/config/test_fetch_failures.py) instead of growing for as long as the box talks.

The caps come from the vendor profile: ``[session] max_output_chars`` and
``command_timeout_s`` for every command, the same keys under ``[commands.<name>]`` for one
command (the running configuration is larger and slower than the rest).
"""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_OUTPUT_CHARS = 4_000_000  # far above any health display; a config has its own
DEFAULT_COMMAND_TIMEOUT_S = 30.0


class OutputTooLarge(Exception):
    """A command's output passed its cap; carries the command and the cap, never the text."""

    def __init__(self, command: str, cap: int) -> None:
        super().__init__(f"{command!r} printed more than {cap} characters")
        self.command = command
        self.cap = cap


class _BoundedRead:
    """Mixed in before a netmiko connection class (see ``bounded_class``)."""

    _output_cap: int | None = None
    _output_read = 0
    _output_command = ""

    def bound_output(self, command: str, cap: int | None) -> None:
        """Count the next reads against ``cap`` characters (None: no bound, e.g. at login)."""
        self._output_cap = cap
        self._output_read = 0
        self._output_command = command

    def read_channel(self) -> str:
        data: str = super().read_channel()  # type: ignore[misc]
        if self._output_cap is not None:
            self._output_read += len(data)
            if self._output_read > self._output_cap:
                cap, self._output_cap = self._output_cap, None
                raise OutputTooLarge(self._output_command, cap)
        return data


def bounded_class(base: type[Any]) -> type[Any]:
    """``base`` (a netmiko connection class) whose reads can be bounded per command. Not
    cached: ``configured_class`` makes a new base per session, a cache would keep them all."""
    return type(base.__name__, (_BoundedRead, base), {})
