"""Read an operator's TOML file (inventory, daemon settings) with errors that name file and line.

The reader is bounded: a file larger than ``MAX_BYTES`` is refused before it is read whole, and
values nested deeper than ``MAX_DEPTH`` (arrays and inline tables) are refused with the line
where the nesting goes too deep, instead of the parser's RecursionError traceback.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from agent.errors import NetmonError

# tomllib (3.11) puts the position only in the message: "... (at line 5, column 10)".
_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")

# A 20,000-device inventory is about 5 MB. tomllib reads strings a character at a time (about
# 4 s for 16 MB of one string), so the limit also bounds what a hostile file can cost.
MAX_BYTES = 16 * 1024 * 1024
# Tables, arrays and inline tables inside each other; netmon's own files need 4.
MAX_DEPTH = 32

# What changes the nesting outside comments and strings, for finding the line of the error.
_TOKENS = re.compile(r'"""|\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}\n]')


def read_toml(
    path: Path, error: type[NetmonError], max_bytes: int = MAX_BYTES
) -> tuple[str, dict[str, Any]]:
    """The file's text (for line lookups) and its parsed tables; any failure raises ``error``
    with a message that starts with the path, and the line where the TOML breaks."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > max_bytes:
        raise error(f"{path}: larger than {max_bytes // (1024 * 1024)} MB; refusing to read it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(syntax_error(path, exc)) from None
    except RecursionError:
        raise error(_too_deep(path, text)) from None
    if _depth(data) > MAX_DEPTH:
        raise error(_too_deep(path, text))
    return text, data


def _depth(data: Any) -> int:
    """How deeply tables and arrays nest in ``data`` (iterative: no recursion to exhaust; only
    containers are visited, so the scalars of a large file cost little)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                return deepest
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _too_deep(path: Path, text: str) -> str:
    """The error for nesting past MAX_DEPTH, with the line where the brackets go too deep
    (a scan that skips strings and comments; only run once the file is known to be bad)."""
    depth, line, position = 0, 1, 0
    while (token := _TOKENS.search(text, position)) is not None:
        value, position = token.group(), token.end()
        if value == "\n":
            line += 1
        elif value in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return (
                    f"{path}:{line}: values nested more than {MAX_DEPTH} deep "
                    "(arrays or inline tables inside each other); refusing to read it"
                )
        elif value in ("]", "}"):
            depth = max(0, depth - 1)
        elif value in ('"""', "'''"):
            end = text.find(value, position)
            end = len(text) if end < 0 else end
            line += text.count("\n", position, end)
            position = end + 3
    return f"{path}: values nested more than {MAX_DEPTH} deep; refusing to read it"


def syntax_error(path: Path, error: tomllib.TOMLDecodeError) -> str:
    message = str(error)
    match = _POSITION.search(message)
    if match is None:
        return f"{path}: TOML syntax error: {message}"
    reason = message[: match.start()]
    return f"{path}:{match.group(1)}: TOML syntax error: {reason} (column {match.group(2)})"
