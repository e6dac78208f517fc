"""One CLI session of a simulated device: line editing, modes, paging, commands, logout.

Independent of SSH: it reads characters from an ``asyncio.Queue`` (``None`` means the client
went away) and writes text through a callback, so the same code serves the interactive shell
and single ``exec`` requests. Everything vendor-specific comes from the ``CliSpec``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agent.lab.cli.render import DeviceView, render
from agent.lab.cli.spec import LOGOUT, CliSpec, Command
from agent.lab.device import SimulatedDevice

log = logging.getLogger(__name__)

CR, LF = "\r", "\n"
NEWLINE = "\r\n"  # what the boxes send at the end of a line
BACKSPACES = ("\x7f", "\b")
CTRL_C, CTRL_Z, ESC = "\x03", "\x1a", "\x1b"
PAGE_KEY, LINE_KEYS = " ", (CR, LF)


class SessionClosed(Exception):
    """The client went away."""


class CliSession:
    def __init__(
        self,
        sim: SimulatedDevice,
        spec: CliSpec,
        write: Callable[[str], None],
        keys: asyncio.Queue[str | None],
    ) -> None:
        self.sim = sim
        self.spec = spec
        self.view = DeviceView(sim, spec)
        self._write = write
        self._keys = keys
        self.mode = spec.start_mode
        self.paging = bool(spec.pager_text)
        self._pushed_back: str | None = None

    # -- input -------------------------------------------------------------------------
    async def _key(self) -> str:
        if self._pushed_back is not None:
            key, self._pushed_back = self._pushed_back, None
            return key
        key = await self._keys.get()
        if key is None:
            raise SessionClosed
        return key

    def _swallow_lf_after_cr(self) -> None:
        """A CR LF pair is one Enter: drop the LF if it is already waiting."""
        if self._pushed_back is None and not self._keys.empty():
            waiting = self._keys.get_nowait()
            if waiting != LF:
                self._pushed_back = waiting
            if waiting is None:
                self._pushed_back = None
                self._keys.put_nowait(None)

    async def read_line(self) -> str | None:
        """One line as typed (echoed back like a terminal); None after Ctrl+C.

        Echo is gathered while keys are already waiting and written in one piece: a client
        that types a whole line at once gets one echo packet, as from a real box.
        """
        buffer: list[str] = []
        echo: list[str] = []

        def flush() -> None:
            if echo:
                self._write("".join(echo))
                echo.clear()

        while True:
            if self._keys.empty() and self._pushed_back is None:
                flush()
            key = await self._key()
            if key in LINE_KEYS:
                if key == CR:
                    self._swallow_lf_after_cr()
                echo.append(NEWLINE)
                flush()
                return "".join(buffer)
            if key in BACKSPACES:
                if buffer:
                    buffer.pop()
                    echo.append("\b \b")
            elif key in (CTRL_C, CTRL_Z):
                echo.append(NEWLINE)
                flush()
                return None if key == CTRL_C else CTRL_Z
            elif key == ESC or key < " ":
                continue  # arrows and other control keys: not supported by the lab
            else:
                buffer.append(key)
                echo.append(key)

    # -- output ------------------------------------------------------------------------
    def prompt(self) -> str:
        context = {"name": self.sim.name, "model": self.sim.model}
        return render(self.spec.modes[self.mode].prompt, context, f"{self.spec.source} prompt")

    def write_lines(self, lines: list[str]) -> None:
        self._write("".join(line + NEWLINE for line in lines))

    def _erase_pager(self, shown: str) -> None:
        width = len(shown)
        if self.spec.pager_erase == "ansi":
            self._write(f"\x1b[{width}D" + " " * width + f"\x1b[{width}D")
        else:
            self._write("\b" * width + " " * width + "\b" * width)

    async def write_output(self, text: str) -> None:
        """Print ``text``, stopping at the pager every page while paging is on."""
        lines = text.splitlines()
        if not self.paging or len(lines) <= self.spec.page_lines:
            self.write_lines(lines)
            return
        total_bytes = sum(len(line) + 1 for line in lines)
        shown = self.spec.page_lines
        self.write_lines(lines[:shown])
        while shown < len(lines):
            done_bytes = sum(len(line) + 1 for line in lines[:shown])
            pager = render(
                self.spec.pager_text,
                {"percent": done_bytes * 100 // total_bytes, "bytes": total_bytes},
                f"{self.spec.source} [pager]",
            )
            self._write(pager)
            key = await self._key()
            if key == CR:
                self._swallow_lf_after_cr()
            self._erase_pager(pager)
            if key == PAGE_KEY:
                step = self.spec.page_lines
            elif key in LINE_KEYS:
                step = 1
            else:  # q, Ctrl+C or any other key ends the display
                return
            self.write_lines(lines[shown : shown + step])
            shown += step

    def error_text(self, line: str) -> str:
        """The vendor's answer to a command it does not know, caret line included."""
        text = self.view.text(self.spec.error_template, "[error]")
        if not self.spec.error_caret:
            return text
        words = line.split()
        column = len(self.prompt()) + self._unknown_word_offset(line, words)
        return " " * column + "^\n" + text

    def _unknown_word_offset(self, line: str, words: list[str]) -> int:
        known = [c.split() for c in self.spec.commands] + [
            c.split() for c in (*self.spec.paging_off, *self.spec.modes[self.mode].transitions)
        ]
        matched = 0
        for command in known:
            count = 0
            for typed, word in zip(words, command, strict=False):
                if not word.startswith(typed.lower()):
                    break
                count += 1
            matched = max(matched, count)
        offset = 0
        for index, word in enumerate(words):
            offset = line.index(word, offset)
            if index == matched:
                return offset
            offset += len(word)
        return len(line.rstrip())

    # -- commands ----------------------------------------------------------------------
    def _match(self, words: list[str], candidates: list[str]) -> str | None:
        """The candidate the typed words name: exactly, or by unique abbreviation."""
        typed = " ".join(words).lower()
        for candidate in candidates:
            if candidate.lower() == typed:
                return candidate
        if not self.spec.abbreviations:
            return None
        hits = [
            c
            for c in candidates
            if len(c.split()) == len(words)
            and all(w.startswith(t.lower()) for t, w in zip(words, c.lower().split(), strict=True))
        ]
        return hits[0] if len(hits) == 1 else None

    async def execute(self, line: str) -> bool:
        """Run one command line; False when the session should end."""
        words = line.split()
        if not words:
            return True
        mode = self.spec.modes[self.mode]
        delay = self.sim.answer_delay()
        if delay:
            await asyncio.sleep(delay)
        transition = self._match(words, list(mode.transitions))
        if transition is not None:
            target = mode.transitions[transition]
            if target.target == LOGOUT:
                await self._logout()
                return False
            if target.message:
                self.write_lines(self.view.text(target.message, "transition").splitlines())
            self.mode = target.target
            return True
        paging_off = self._match(words, list(self.spec.paging_off))
        if paging_off is not None:
            self.paging = False
            reply = self.spec.paging_off[paging_off]
            if reply:
                self.write_lines(self.view.text(reply, "[paging_off]").splitlines())
            return True
        captured = self.sim.transcripts.get(" ".join(words))
        if captured is not None:  # a real box's output, from a `netmon capture` folder
            await self.write_output(captured.rstrip("\n"))
            return True
        command = self._command(words)
        if command is None:
            self.write_lines(self.error_text(line).splitlines())
            return True
        await self.write_output(self.view.output(command.output))
        return True

    def _command(self, words: list[str], *, any_mode: bool = False) -> Command | None:
        available = [
            text
            for text, command in self.spec.commands.items()
            if any_mode or not command.modes or self.mode in command.modes
        ]
        found = self._match(words, available)
        return self.spec.commands[found] if found else None

    async def _logout(self) -> None:
        if not self.spec.logout_question:
            return
        self._write(self.spec.logout_question)
        answer = await self.read_line()
        log.debug("lab logout answer", extra={"device": self.sim.name, "answer": answer})

    # -- the whole session -------------------------------------------------------------
    async def run_shell(self) -> None:
        """Login message, then prompt / command until logout or the client leaves."""
        try:
            if self.spec.login_message:
                self.write_lines(
                    ["", *self.view.text(self.spec.login_message, "login").split("\n")]
                )
            while True:
                self._write(self.prompt())
                line = await self.read_line()
                if line is None:
                    continue
                if line == CTRL_Z:  # back to the start mode, as Ctrl+Z does on these CLIs
                    self.mode = self.spec.start_mode
                    continue
                if not await self.execute(line):
                    return
        except SessionClosed:
            return

    async def run_exec(self, command: str) -> int:
        """A single command from an SSH ``exec`` request; exit status 0 if known.

        Runs with the user's full privilege (no ``enable`` step), like an exec channel on
        Cisco-like CLIs; no pager, since there is no terminal to page on.
        """
        self.paging = False
        words = command.split()
        found = self._command(words, any_mode=True)
        delay = self.sim.answer_delay()
        if delay:
            await asyncio.sleep(delay)
        if found is None:
            self.write_lines(self.view.text(self.spec.error_template, "[error]").splitlines())
            return 1
        self.write_lines(self.view.output(found.output).splitlines())
        return 0
