"""Secrets out of a configuration before anything keeps it.

A secret becomes ``<secret:hmac:1a2b3c4d>``: the first 8 hex digits of HMAC-SHA256 under a key
only this installation has. The line stays, so a changed secret is a changed line ("secret
changed") and equal secrets compare equal, yet nobody can test guesses against the stored
text without the key. Cipher text that the box re-encrypts on every display (Huawei VRP's
``%^%#...%^%#``) becomes ``<secret:reencrypted>``: hashing it would report a change on every
fetch, so a change of such a secret is not visible (the line around it still is).

The key lives in ``<state dir>/redaction.key`` (32 random bytes, created 0600 on first use).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from agent.errors import NetmonError
from collectors.config.leakcheck import TOKEN
from collectors.config.rules import ConfigRules, SecretRule

KEY_FILE = "redaction.key"
KEY_BYTES = 32
REENCRYPTED = "<secret:reencrypted>"


class RedactionKeyError(NetmonError):
    """The redaction key cannot be read or created (the message names the file)."""


def load_key(state_dir: Path | None = None) -> bytes:
    """The installation's redaction key, created on first use."""
    if state_dir is None:
        from agent.store.engine import default_state_dir

        state_dir = default_state_dir()
    path = Path(state_dir) / KEY_FILE
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        Path(state_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another netmon process made it just now
        return _read_key(path)
    except OSError as error:
        raise RedactionKeyError(f"cannot create {path}: {error.strerror}") from None
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise RedactionKeyError(f"cannot read {path}: {error.strerror}") from None
    if len(key) < 16:
        raise RedactionKeyError(f"{path}: the key is too short ({len(key)} bytes); remove it")
    return key


class Redactor:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, secret: str) -> str:
        digest = hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"<secret:hmac:{digest[:8]}>"

    def redact(self, lines: list[str], rules: ConfigRules) -> tuple[list[str], int]:
        """The lines with every secret replaced, and how many secrets were found."""
        out, _, count = self.redact_numbered(lines, rules)
        return out, count

    def redact_numbered(
        self, lines: list[str], rules: ConfigRules
    ) -> tuple[list[str], list[int], int]:
        """As ``redact``, plus for each output line the index of the input line it came from
        (a key block becomes one line), so that errors can name the line the box printed."""
        out: list[str] = []
        origins: list[int] = []
        count = 0
        block: list[str] | None = None
        block_rule: SecretRule | None = None
        block_start = 0
        for index, line in enumerate(lines):
            if block is not None and block_rule is not None and block_rule.block_end:
                if block_rule.block_end.search(line):
                    out.append(self.token("\n".join(block)))
                    origins.append(block_start)
                    out.append(line)
                    origins.append(index)
                    count += 1
                    block, block_rule = None, None
                else:
                    block.append(line)
                continue
            for rule in rules.secrets:
                if rule.block_end is not None:
                    if rule.pattern.search(line):
                        block, block_rule, block_start = [], rule, index + 1
                    continue
                line, found = self._redact_line(line, rule)
                count += found
            out.append(line)
            origins.append(index)
        if block is not None:
            # A key block without its end line: its body is still a secret.
            out.append(self.token("\n".join(block)))
            origins.append(block_start)
            count += 1
        return out, origins, count

    def _redact_line(self, line: str, rule: SecretRule) -> tuple[str, int]:
        found = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal found
            start, end = match.span()
            kept = sorted(
                match.span(group)
                for group in range(1, (match.re.groups or 0) + 1)
                if match.span(group)[0] >= 0
            )
            pieces: list[str] = []
            cursor = start
            for group_start, group_end in [*kept, (end, end)]:
                if group_start > cursor:
                    gap = match.string[cursor:group_start]
                    pieces.append(self._mask(gap, rule))
                    found += 1 if gap.strip() and not TOKEN.fullmatch(gap.strip()) else 0
                if group_end > cursor:
                    pieces.append(match.string[max(cursor, group_start) : group_end])
                cursor = max(cursor, group_end)
            return "".join(pieces)

        return rule.pattern.sub(replace, line), found

    def _mask(self, gap: str, rule: SecretRule) -> str:
        """Replace the secret in ``gap``, keeping the white space around it."""
        secret = gap.strip()
        if not secret or TOKEN.fullmatch(secret):
            return gap
        lead = gap[: len(gap) - len(gap.lstrip())]
        trail = gap[len(gap.rstrip()) :]
        masked = REENCRYPTED if rule.reencrypted else self.token(secret)
        return lead + masked + trail
