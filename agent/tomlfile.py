"""Read an operator's TOML file (inventory, daemon settings) with errors that name file and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from agent.errors import NetmonError

# tomllib (3.11) puts the position only in the message: "... (at line 5, column 10)".
_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_toml(path: Path, error: type[NetmonError]) -> tuple[str, dict[str, Any]]:
    """The file's text (for line lookups) and its parsed tables; any failure raises ``error``
    with a message that starts with the path, and the line where the TOML syntax breaks."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(syntax_error(path, exc)) from None


def syntax_error(path: Path, error: tomllib.TOMLDecodeError) -> str:
    message = str(error)
    match = _POSITION.search(message)
    if match is None:
        return f"{path}: TOML syntax error: {message}"
    reason = message[: match.start()]
    return f"{path}:{match.group(1)}: TOML syntax error: {reason} (column {match.group(2)})"
