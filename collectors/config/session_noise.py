"""What the SSH session adds around and inside a configuration display, taken out before the
display is checked, redacted and normalised (issue 11 Comware 5 echo, issue 13 item 6).

- Terminal escape sequences (colour, cursor moves, a pager erased with ``ESC[nD`` or
  backspaces) and other control characters, applied as a terminal would: a box that sends them
  would otherwise make every fetch a new version.
- The echoed prompt and command in front of the display (Comware 5 prints
  ``<h3c-s5500-03>display current-configuration`` as the first line when the echo is not
  recognised) and prompt lines after it: never part of the configuration.
- A prompt line *inside* the display means the session mixed another command's output (or a
  box tried to fake its end): the display is incomplete, never stored.

Prompts are the vendor's ``[session] prompt_pattern``; commands are those the profile names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ECMA-48 sequences: CSI (ESC [ params final), OSC (ESC ] ... BEL or ESC \\), two-character
# escapes; and one character at a time otherwise.
SEQUENCE = re.compile(
    r"\x1b\[(?P<params>[0-?]*)[ -/]*(?P<final>[@-~])"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[@-Z\\-_]"
    r"|(?P<char>[\s\S])"
)
LINE_ENDS = re.compile(r"\r*\n")


def _render_line(raw: str) -> str:
    """What a terminal shows for one line: cursor moves (backspace, ``ESC[nD``, ``ESC[nC``,
    carriage return) and erasures (``ESC[K``) applied, every other sequence and control
    character dropped. A pager prompt erased this way leaves nothing behind."""
    cells: list[str] = []
    cursor = 0
    for match in SEQUENCE.finditer(raw):
        char = match.group("char")
        final = match.group("final")
        if final is not None:
            count = int(match.group("params") or "1") if match.group("params").isdigit() else 1
            if final == "D":
                cursor = max(0, cursor - count)
            elif final == "C":
                cursor += count
            elif final == "K":
                del cells[cursor:]
            continue
        if char is None:
            continue
        if char == "\b":
            cursor = max(0, cursor - 1)
        elif char == "\r":
            cursor = 0
        elif char == "\t" or (char >= " " and char != "\x7f" and not "\x80" <= char <= "\x9f"):
            cells.extend(" " * (cursor - len(cells)))
            if cursor < len(cells):
                cells[cursor] = char
            else:
                cells.append(char)
            cursor += 1
    return "".join(cells)


@dataclass(frozen=True)
class SessionNoise:
    """A vendor's prompt and the commands its sessions send (from ``cli.toml``)."""

    prompt: re.Pattern[str] | None
    commands: tuple[str, ...]
    #: The configuration line naming the box (group 1), e.g. `sysname (\S+)`.
    hostname: re.Pattern[str] | None = None

    def _prompt_prefix(self) -> re.Pattern[str] | None:
        if self.prompt is None:
            return None
        pattern = self.prompt.pattern
        if pattern.endswith("$"):
            pattern = pattern[:-1]
        # A prompt pattern may allow one trailing blank; the echo follows right after it.
        return re.compile(pattern)

    def is_prompt_line(self, line: str) -> bool:
        """The line is a bare prompt, or a prompt followed by one of the profile's commands."""
        if self.prompt is None:
            return False
        if self.prompt.fullmatch(line) or self.prompt.fullmatch(line.rstrip()):
            return True
        prefix = self._prompt_prefix()
        match = prefix.match(line) if prefix is not None else None
        if match is None or match.end() == 0:
            return False
        rest = line[match.end() :].strip()
        return any(rest == command or rest.startswith(command + " ") for command in self.commands)


def clean_terminal_text(raw: str) -> str:
    """``raw`` as a terminal would show it, with ``\\n`` line ends."""
    return "\n".join(_render_line(line) for line in LINE_ENDS.split(raw))


def strip_session_noise(raw: str, noise: SessionNoise) -> tuple[list[str], int, int | None]:
    """The display's lines without escapes and without prompt lines before and after it.

    Returns (lines, how many leading lines were dropped, the 1-based line number of a prompt
    line found inside the display or None). Line numbers count the lines the box printed.
    """
    lines = [line.rstrip() for line in clean_terminal_text(raw).split("\n")]
    start = 0
    while start < len(lines) and (not lines[start].strip() or noise.is_prompt_line(lines[start])):
        start += 1
    end = len(lines)
    while end > start and (not lines[end - 1].strip() or noise.is_prompt_line(lines[end - 1])):
        end -= 1
    # A prompt inside counts when it names the box (if the display says its name): a banner
    # line that merely looks like a prompt (`[WARNING]`) is configuration, not a prompt.
    name = next(
        (
            found.group(1)
            for line in lines[start:end]
            if noise.hostname and (found := noise.hostname.match(line))
        ),
        None,
    )
    inside = next(
        (
            index
            for index in range(start, end)
            if noise.is_prompt_line(lines[index]) and (name is None or name in lines[index])
        ),
        None,
    )
    return lines[start:end], start, None if inside is None else inside + 1
