"""Turn CLI output into rows with the vendor's TextFSM templates, and rows into typed values.

``parse(vendor, command_name, output, family=...)`` picks the template named by the ``template``
key of ``[commands.<command_name>]`` in ``collectors/profiles/<vendor>/cli.toml`` (files under
``vendor_templates/``; ``{family}`` in the name becomes the model family in lower case, e.g.
``comware5``), cleans the text the way a terminal would show it (CRLF, pager prompts and the
escape sequences that erase them, stray backspaces) and returns one ``dict`` per record, keys in
lower case. Anything wrong becomes a ``ParseError`` naming vendor, command and template.

The helpers below (``number``, ``percent``, ``to_bytes``, ``duration_seconds``, ``iso_date``,
``component_ok``) read the strings TextFSM returns: blank fields give ``None``, Chinese unit and
state words are understood, nothing raises on a blank.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources
from io import StringIO

import textfsm

from agent.errors import NetmonError
from collectors.cli import cli_profile

__all__ = [
    "ParseError",
    "clean_output",
    "component_ok",
    "component_state",
    "duration_seconds",
    "iso_date",
    "number",
    "parse",
    "percent",
    "template_name",
    "to_bytes",
]


class ParseError(NetmonError):
    """CLI output could not be parsed; says which vendor, command and template, and why."""

    def __init__(self, message: str, *, vendor: str, command: str, template: str) -> None:
        super().__init__(f"{vendor} {command!r} (template {template or '-'}): {message}")
        self.vendor = vendor
        self.command = command
        self.template = template


# -- cleaning -------------------------------------------------------------------------------
# Pager prompts as the boxes print them: Comware / VRP "  ---- More ----", Cisco-like
# "--More--", Venustech "--More-- (N% of N bytes)" (docs/sources/cli-and-config.md and
# agent/lab/cli/*.toml).
PAGER = re.compile(r"[ \t]*-{2,4}\s?More\s?-{2,4}(?:[ \t]*\(\d+% of \d+ bytes\))?[ \t]*")
# The terminal erases the pager with cursor moves: ANSI "ESC[16D" (Comware, VRP) or backspaces,
# then blanks and moves back again; the next line overwrites what is left.
ESCAPE = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def _screen_line(line: str) -> str:
    """One line as a terminal shows it after its cursor moves (backspace, ESC[nD, CR)."""
    cells: list[str] = []
    cursor = 0
    position = 0
    while position < len(line):
        char = line[position]
        escape = ESCAPE.match(line, position) if char == "\x1b" else None
        if escape:
            position = escape.end()
            if escape.group(2) == "D":  # cursor left n columns; other sequences are styling
                cursor = max(0, cursor - int(escape.group(1) or 1))
            continue
        position += 1
        if char == "\x08":
            cursor = max(0, cursor - 1)
        elif char == "\r":
            cursor = 0
        else:
            if cursor < len(cells):
                cells[cursor] = char
            else:
                cells.append(char)
            cursor += 1
    return "".join(cells)


def clean_output(output: str) -> str:
    """The output as it reads on screen: LF line ends, no pager prompts nor erase sequences."""
    text = output
    while "\r\n" in text:  # "\r\r\n" is one line end too
        text = text.replace("\r\n", "\n")
    lines = (PAGER.sub("", _screen_line(line)).rstrip() for line in text.split("\n"))
    return "\n".join(lines)


# -- templates ------------------------------------------------------------------------------
def template_name(vendor: str, command_name: str, family: str | None = None) -> str:
    """The template file (relative to ``vendor_templates/``) for one command of a vendor."""
    profile = cli_profile(vendor)
    spec = profile.raw.get("commands", {}).get(command_name)
    where = f"collectors/profiles/{vendor}/cli.toml"
    if spec is None:
        raise ParseError(
            f"{where} has no [commands.{command_name}]",
            vendor=vendor,
            command=command_name,
            template="",
        )
    name = str(spec.get("template", ""))
    if not name:
        raise ParseError(
            f"{where} [commands.{command_name}] has no template key",
            vendor=vendor,
            command=command_name,
            template="",
        )
    if "{family}" in name:
        if not family:
            raise ParseError(
                "the template differs per model family; pass family= (e.g. Comware5)",
                vendor=vendor,
                command=command_name,
                template=name,
            )
        name = name.replace("{family}", family.lower())
    return name


@cache
def _template_text(name: str) -> str | None:
    resource = resources.files("vendor_templates").joinpath(name)
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


def parse(
    vendor: str,
    command_name: str,
    output: str,
    *,
    family: str | None = None,
    allow_empty: bool = False,
) -> list[dict[str, str]]:
    """Rows of ``output`` (keys in lower case); ``ParseError`` if none and ``allow_empty`` is
    False, or if the template is missing or broken."""
    name = template_name(vendor, command_name, family)
    text = _template_text(name)

    def fail(message: str) -> ParseError:
        return ParseError(message, vendor=vendor, command=command_name, template=name)

    if text is None:
        raise fail(f"vendor_templates/{name} does not exist")
    try:
        fsm = textfsm.TextFSM(StringIO(text))
    except textfsm.TextFSMTemplateError as error:
        raise fail(f"template error: {error}") from None
    try:
        records = fsm.ParseText(clean_output(output))
    except textfsm.TextFSMError as error:
        raise fail(f"output did not match: {error}") from None
    header = [column.lower() for column in fsm.header]
    rows = [dict(zip(header, (_text(v) for v in record), strict=True)) for record in records]
    if not rows and not allow_empty:
        first = next((line for line in clean_output(output).splitlines() if line.strip()), "")
        shown = f"first line {first[:80]!r}" if first else "the output was empty"
        raise fail(f"no rows parsed ({shown})")
    return rows


def _text(value: object) -> str:
    if isinstance(value, list):  # List values: keep them readable as one string
        return " ".join(str(v) for v in value)
    return str(value).strip()


# -- typed helpers --------------------------------------------------------------------------
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def number(value: str | None) -> float | None:
    """The first number in ``value`` ("16%", " 41 ", "2.4"), or None if there is none."""
    if not value:
        return None
    match = NUMBER.search(value.replace(",", ""))
    return float(match.group()) if match else None


def percent(value: str | None) -> float | None:
    """A percentage 0..100 from "16", "16%", "2.4%"; None if blank or out of range."""
    found = number(value)
    return found if found is not None and 0 <= found <= 100 else None


UNITS = {
    "": 1,
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "字节": 1,
    "k": 1024,
    "kb": 1024,
    "kbytes": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
}


def to_bytes(value: str | None, unit: str | None = "bytes") -> int | None:
    """``value`` in ``unit`` (bytes, KB, MB, GB; 1024-based as the boxes count) as bytes."""
    found = number(value)
    if found is None:
        return None
    factor = UNITS.get((unit or "").strip().lower())
    if factor is None:
        return None
    return int(found * factor)


DURATION_UNITS = (
    (re.compile(r"(\d+)\s*(?:weeks?|wks?|周|星期)"), 7 * 86400),
    (re.compile(r"(\d+)\s*(?:days?|天|日)"), 86400),
    (re.compile(r"(\d+)\s*(?:hours?|hrs?|小时|时)"), 3600),
    (re.compile(r"(\d+)\s*(?:minutes?|mins?|分钟|分)"), 60),
    (re.compile(r"(\d+)\s*(?:seconds?|secs?|秒)"), 1),
)
CLOCK = re.compile(r"\b(\d+):(\d{2})(?::(\d{2}))?\b")


def duration_seconds(*parts: str | None) -> int | None:
    """Seconds in an uptime text, which may be split over wrapped lines (pass every part):
    "2 weeks, 0 days, 6 hours, 56 minutes", "7 days, 1 hour", "14 days 6:56",
    "3周 2天 5小时 10分钟". None when no unit is found."""
    text = " ".join(p for p in parts if p)
    total, found = 0, False
    for pattern, seconds in DURATION_UNITS:
        for match in pattern.finditer(text):
            total += int(match.group(1)) * seconds
            found = True
    clock = CLOCK.search(text)
    if clock:  # "H:MM" or "H:MM:SS" after the days
        total += int(clock.group(1)) * 3600 + int(clock.group(2)) * 60 + int(clock.group(3) or 0)
        found = True
    return total if found else None


DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def iso_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from "2026-11-04", "2026/11/4", "2026.11.04", "2026年11月4日"; None for
    blanks and words (permanent licences: "never", "永久", "-") or impossible dates."""
    if not value:
        return None
    match = DATE.search(value)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
    except ValueError:
        return None


# State words seen in the profiles and lab data (and their Chinese-mode forms, unverified), used
# where a vendor's cli.toml has no [states] table for the component (or does not list the word).
OK_WORDS = frozenset(
    {"normal", "ok", "good", "supply", "present", "online", "up", "正常", "良好", "在位"}
)
FAILED_WORDS = frozenset(
    {
        "fault",
        "failure",
        "fail",
        "failed",
        "abnormal",
        "error",
        "notsupply",
        "down",
        "故障",
        "异常",
        "错误",
    }
)
# An empty slot is not a failure (issue 11): it reads as absent, like ENTITY-STATE-MIB's and
# LibreNMS' separate "not present" state, and is never counted as a failed part.
ABSENT_WORDS = frozenset({"absent", "not-install", "notinstalled", "notpresent", "不在位"})


def component_state(word: str | None) -> str | None:
    """``ok``, ``failed`` or ``absent`` for a printed state word; None if the word is unknown."""
    text = (word or "").strip().lower()
    if text in OK_WORDS:
        return "ok"
    if text in FAILED_WORDS:
        return "failed"
    if text in ABSENT_WORDS:
        return "absent"
    return None


def component_ok(state: str | None) -> bool | None:
    """True for a working fan / supply, False for a failed or absent one, None if the word is
    unknown."""
    found = component_state(state)
    return None if found is None else found == "ok"
