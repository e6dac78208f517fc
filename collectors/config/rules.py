"""A vendor's configuration rules, read from ``collectors/profiles/<vendor>/cli.toml``.

``[config]`` says how a complete display ends (``end_marker``, a regex one line must match)
and how short it may be (``min_lines``); ``[[config.volatile]]`` lists lines that change
without a configuration change (dropped); ``[[config.secret]]`` lists secrets to redact.

A secret ``pattern`` marks what it keeps with capturing groups: everything the match covers
outside its groups is the secret (``^(snmp community) \\S+`` keeps ``snmp community`` and
redacts the word after it; a pattern without groups redacts the whole match). Optional keys:
``reencrypted = true`` for cipher text the box re-encrypts on every display (masked without a
hash, since it differs each time), ``block_end`` for a multi-line secret (a private key): the
lines after the matching line up to the ``block_end`` line are the secret.

``[config.leak_check]`` feeds the last check (``leakcheck.py``): the vendor's extra secret
``keywords`` and the ``grammar`` words that may stand between a keyword and its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from agent.errors import NetmonError
from collectors.config.leakcheck import LeakCheck
from collectors.config.session_noise import SessionNoise
from collectors.profiles import get_profile


class ConfigRulesError(NetmonError):
    """A vendor profile's configuration rules are missing or malformed (names file and key)."""


@dataclass(frozen=True)
class SecretRule:
    pattern: re.Pattern[str]
    reencrypted: bool = False
    block_end: re.Pattern[str] | None = None


@dataclass(frozen=True)
class ConfigRules:
    vendor: str
    end_marker: re.Pattern[str] | None
    min_lines: int
    volatile: tuple[re.Pattern[str], ...]
    secrets: tuple[SecretRule, ...]
    leak_check: LeakCheck = field(default_factory=LeakCheck)
    noise: SessionNoise = field(default_factory=lambda: SessionNoise(None, ()))


def _compile(value: Any, where: str) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise ConfigRulesError(f"{where}: pattern must be a non-empty string")
    try:
        return re.compile(value)
    except re.error as error:
        raise ConfigRulesError(f"{where}: bad regular expression: {error}") from None


@cache
def config_rules(vendor: str) -> ConfigRules:
    where = f"collectors/profiles/{vendor}/cli.toml"
    try:
        cli = get_profile(vendor).cli
    except KeyError as error:
        raise ConfigRulesError(f"{where}: {error}") from None
    table = cli.get("config", {})
    session = cli.get("session", {})
    prompt = session.get("prompt_pattern")
    commands = [entry.get("command", "") for entry in cli.get("commands", {}).values()]
    commands.append(session.get("paging_off_command", ""))
    hostname = table.get("hostname_pattern")
    noise = SessionNoise(
        prompt=None if prompt is None else _compile(prompt, f"{where} [session] prompt_pattern"),
        hostname=None
        if hostname is None
        else _compile(hostname, f"{where} [config] hostname_pattern"),
        commands=tuple(sorted({command for command in commands if command})),
    )
    marker = table.get("end_marker")
    min_lines = table.get("min_lines", 1)
    if not isinstance(min_lines, int) or min_lines < 1:
        raise ConfigRulesError(f"{where} [config]: min_lines must be a whole number >= 1")
    volatile = tuple(
        _compile(entry.get("pattern"), f"{where} [[config.volatile]] #{index}")
        for index, entry in enumerate(table.get("volatile", []), start=1)
    )
    secrets = []
    for index, entry in enumerate(table.get("secret", []), start=1):
        place = f"{where} [[config.secret]] #{index}"
        end = entry.get("block_end")
        secrets.append(
            SecretRule(
                pattern=_compile(entry.get("pattern"), place),
                reencrypted=bool(entry.get("reencrypted", False)),
                block_end=None if end is None else _compile(end, f"{place} block_end"),
            )
        )
    check = table.get("leak_check", {})
    return ConfigRules(
        vendor=vendor,
        noise=noise,
        leak_check=LeakCheck.for_vendor(check.get("keywords", []), check.get("grammar", [])),
        end_marker=None if marker is None else _compile(marker, f"{where} [config] end_marker"),
        min_lines=min_lines,
        volatile=volatile,
        secrets=tuple(secrets),
    )


def incomplete_reason(text: str, rules: ConfigRules) -> str | None:
    """Why ``text`` is not a whole configuration display, or None when it is."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < rules.min_lines:
        return f"only {len(lines)} lines (a whole configuration has at least {rules.min_lines})"
    if rules.end_marker is not None and not any(rules.end_marker.search(x) for x in lines):
        return (
            f"the display stopped after {len(lines)} lines without its end line "
            f"(/{rules.end_marker.pattern}/)"
        )
    return None


def drop_volatile(lines: list[str], rules: ConfigRules) -> tuple[list[str], int]:
    """The lines without the volatile ones, and how many were dropped."""
    kept = [line for line in lines if not any(p.search(line) for p in rules.volatile)]
    return kept, len(lines) - len(kept)
