"""A vendor's CLI as data: read ``agent/lab/cli/<vendor>.toml`` into a ``CliSpec``.

The file holds everything that differs between vendors (prompts, pager, error text, commands,
output templates); the session code in ``session.py`` is the same for all of them.

Layout of a vendor file (every key documented in the files themselves):

- top level: ``prompt_modes`` (``[modes.<name>]`` with ``prompt`` and ``transitions``),
  ``start_mode``, ``login_message``, ``ssh_banner``, ``[pager]``, ``[paging_off]``,
  ``[error]``, ``logout_question``, ``abbreviations``;
- ``[commands."<command>"]``: ``output`` (a name in ``[outputs]``) and optional ``modes``;
- ``[outputs]``: templates (see ``render.py``); ``[blocks.<name>]``: repeated rows;
- ``[values]``, ``[states]``, ``[secrets.<name>]``, ``[[signatures]]``, ``[[licences]]``,
  ``[faults]``: what the templates print;
- ``[families.<family>]`` and ``[models."<model>"]``: the same keys again, merged over the
  vendor's (family first, then model), so a Comware 5 box prints Comware 5 text;
- ``[variants.<name>]``: the same keys once more, merged last when a lab device is started as
  that variant (``Lab(cli_variants={device: name})``): layouts real boxes print in some
  configurations only (an IRF stack, a Huawei stack), served on demand.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from agent.errors import NetmonError

LOGOUT = "logout"


class CliDataError(NetmonError):
    """A lab CLI data file is missing or malformed (the message names the file and key)."""


@dataclass(frozen=True)
class Transition:
    target: str  # a mode name, or LOGOUT
    message: str = ""


@dataclass(frozen=True)
class Mode:
    name: str
    prompt: str  # a template: "<{{ name }}>"
    transitions: dict[str, Transition]


@dataclass(frozen=True)
class Command:
    text: str
    output: str  # key in outputs
    modes: tuple[str, ...] = ()  # empty: every mode


@dataclass(frozen=True)
class CliSpec:
    """One vendor's CLI, already merged for one model (vendor < family < model)."""

    vendor: str
    model: str
    source: str
    modes: dict[str, Mode]
    start_mode: str
    login_message: str
    ssh_banner: str
    pager_text: str
    pager_erase: str  # "ansi" or "backspace"
    page_lines: int
    paging_off: dict[str, str]  # command -> reply
    error_template: str
    error_caret: bool
    logout_question: str
    abbreviations: bool
    commands: dict[str, Command]
    outputs: dict[str, str]
    blocks: dict[str, dict[str, str]]
    values: dict[str, Any]
    states: dict[str, str]
    secrets: dict[str, dict[str, Any]]
    signatures: list[dict[str, Any]] = field(default_factory=list)
    licences: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, Any] = field(default_factory=dict)
    encoding: str = "utf-8"  # how the box encodes what it prints (Topsec TOS: ISO-8859-1)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``; tables merge key by key, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@cache
def _vendor_raw(vendor: str) -> dict[str, Any]:
    resource = resources.files("agent.lab.cli").joinpath(f"{vendor}.toml")
    if not resource.is_file():
        raise CliDataError(f"agent/lab/cli/{vendor}.toml: no CLI data for vendor {vendor!r}")
    try:
        return tomllib.loads(resource.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CliDataError(f"agent/lab/cli/{vendor}.toml: {error}") from None


def _transition(value: Any, where: str) -> Transition:
    if isinstance(value, str):
        return Transition(value)
    if isinstance(value, dict) and "to" in value:
        return Transition(str(value["to"]), str(value.get("say", "")))
    raise CliDataError(f"{where}: a transition is a mode name or {{ to = ..., say = ... }}")


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    try:
        return table[key]
    except KeyError:
        raise CliDataError(f"{where}: missing key {key!r}") from None


def load_cli_spec(vendor: str, model: str, family: str = "", variant: str = "") -> CliSpec:
    """The CLI of ``model``: vendor data, merged with its family's, the model's own and, when
    ``variant`` is given, that variant's."""
    source = f"agent/lab/cli/{vendor}.toml"
    raw = _vendor_raw(vendor)
    merged = {k: v for k, v in raw.items() if k not in ("families", "models", "variants")}
    model_table = raw.get("models", {}).get(model, {})
    family = family or model_table.get("family", "")
    if family:
        merged = deep_merge(merged, raw.get("families", {}).get(family, {}))
    merged = deep_merge(merged, {k: v for k, v in model_table.items() if k != "family"})
    if variant:
        variants = raw.get("variants", {})
        if variant not in variants:
            known = ", ".join(sorted(variants)) or "none"
            raise CliDataError(f"{source}: no [variants.{variant}] (known: {known})")
        merged = deep_merge(merged, variants[variant])

    modes: dict[str, Mode] = {}
    for name, table in _require(merged, "modes", source).items():
        where = f"{source} [modes.{name}]"
        transitions = {
            " ".join(cmd.split()): _transition(value, f"{where} transitions.{cmd}")
            for cmd, value in table.get("transitions", {}).items()
        }
        modes[name] = Mode(name, str(_require(table, "prompt", where)), transitions)
    start_mode = str(merged.get("start_mode", next(iter(modes))))
    for mode in modes.values():
        for command, transition in mode.transitions.items():
            if transition.target != LOGOUT and transition.target not in modes:
                raise CliDataError(
                    f"{source} [modes.{mode.name}]: {command!r} goes to unknown mode "
                    f"{transition.target!r}"
                )

    outputs = {name: str(text) for name, text in merged.get("outputs", {}).items()}
    commands: dict[str, Command] = {}
    for text, table in merged.get("commands", {}).items():
        where = f"{source} [commands.{text!r}]"
        output = str(_require(table, "output", where))
        if output not in outputs:
            raise CliDataError(f"{where}: output {output!r} is not in [outputs]")
        normal = " ".join(text.split())
        commands[normal] = Command(normal, output, tuple(table.get("modes", ())))

    pager = merged.get("pager", {})
    error = _require(merged, "error", source)
    return CliSpec(
        vendor=vendor,
        model=model,
        source=source,
        modes=modes,
        start_mode=start_mode,
        login_message=str(merged.get("login_message", "")),
        ssh_banner=str(merged.get("ssh_banner", "")),
        pager_text=str(pager.get("text", "")),
        pager_erase=str(pager.get("erase", "backspace")),
        page_lines=int(pager.get("lines", 24)),
        paging_off={
            " ".join(cmd.split()): str(reply) for cmd, reply in merged.get("paging_off", {}).items()
        },
        error_template=str(_require(error, "text", f"{source} [error]")),
        error_caret=bool(error.get("caret", False)),
        logout_question=str(merged.get("logout_question", "")),
        abbreviations=bool(merged.get("abbreviations", False)),
        commands=commands,
        outputs=outputs,
        blocks={name: dict(table) for name, table in merged.get("blocks", {}).items()},
        values=dict(merged.get("values", {})),
        states={k: str(v) for k, v in merged.get("states", {}).items()},
        secrets={k: dict(v) for k, v in merged.get("secrets", {}).items()},
        signatures=[dict(s) for s in merged.get("signatures", [])],
        licences=[dict(s) for s in merged.get("licences", [])],
        faults=dict(merged.get("faults", {})),
        encoding=str(merged.get("encoding", "utf-8")),
    )
