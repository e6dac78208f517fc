"""The last check before a configuration is kept: no secret-shaped value survived redaction.

Redaction rules are written per vendor and per line shape; a shape nobody foresaw (a new
firmware, a keyword in an unexpected place) would let a secret through silently. This check
does not know shapes: in every redacted line it looks for a secret keyword (``password``,
``secret``, ``key``, ``cipher``, ``community``, ``psk``, ``pre-shared``, ... plus the vendor's
own from ``[config.leak_check] keywords``) and demands that the first word after it, skipping
the vendor's grammar words (``cipher``, ``simple``, ``read``, an algorithm name, ...) and other
keywords, is a redaction token. A keyword at the end of its line is a setting, not a secret
(``authentication-mode password``). A single digit after a keyword is an encryption type
(``key 7 ...``, ``secret 5 ...``) and skipped too, as is an IPv4 address or mask (a peer).

A hit is never repaired here: the fetch fails, naming the device and the line number, never
the value, so a profile gap shows up as an error instead of a leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The words after which a value is a secret on every vendor (issue 11's list, and the
# spellings of the same words our vendors use).
BASE_KEYWORDS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "key",
        "cipher",
        "community",
        "psk",
        "pre-shared",
        "pre-shared-key",
        "shared-secret",
        "shared-key",
        "authpass",
        "privpass",
    }
)
# Words of configuration grammar that sit between a keyword and its value on every vendor.
BASE_GRAMMAR = frozenset({"cipher", "simple", "hash", "irreversible-cipher"})
# What redaction leaves in place of a secret (collectors/config/redact.py writes it).
TOKEN = re.compile(r"<secret:[a-z]+(:[0-9a-f]+)?>")
# A quoted value is one word, blanks included (`shared-secret ' '`).
WORD = re.compile(r"'[^']*'|\"[^\"]*\"|\S+")
ENCRYPTION_TYPE = re.compile(r"\d")
# An address or mask between a keyword and its value (`pre-shared-key address 198.51.100.10
# 255.255.255.255 key cipher ...`) names a peer, it is not the secret.
IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}(/\d{1,2})?")


@dataclass(frozen=True)
class LeakCheck:
    """What counts as a secret keyword, and which words may sit between it and its value."""

    keywords: frozenset[str] = BASE_KEYWORDS
    grammar: frozenset[str] = BASE_GRAMMAR

    @classmethod
    def for_vendor(cls, keywords: list[str], grammar: list[str]) -> LeakCheck:
        return cls(
            keywords=BASE_KEYWORDS | {word.lower() for word in keywords},
            grammar=BASE_GRAMMAR | {word.lower() for word in grammar},
        )

    def line_leaks(self, line: str) -> bool:
        """True when a word after a secret keyword in ``line`` is not a redaction token."""
        words = WORD.findall(line)
        lowered = [word.lower() for word in words]
        skippable = self.grammar | self.keywords
        for index, word in enumerate(lowered):
            if word not in self.keywords:
                continue
            for follower, original in zip(lowered[index + 1 :], words[index + 1 :], strict=True):
                if (
                    follower in skippable
                    or ENCRYPTION_TYPE.fullmatch(follower)
                    or IPV4.fullmatch(follower)
                ):
                    continue
                if not TOKEN.fullmatch(original):
                    return True
                break
        return False

    def leaking_lines(self, lines: list[str]) -> list[int]:
        """The 0-based indexes of the lines in which a secret-shaped value survived."""
        return [index for index, line in enumerate(lines) if self.line_leaks(line)]
