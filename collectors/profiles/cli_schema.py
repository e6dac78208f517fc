"""The typed schema of ``collectors/profiles/<vendor>/cli.toml`` (issue 11 item 7).

A profile is checked when it is loaded, not trusted: every table refuses keys it does not know
(``extra="forbid"``), so a typo such as ``comand`` or ``max_output_char`` is an error naming
the file and the key's path, not a silent default. Regular expressions are compiled here, so a
bad pattern fails at load with its place too. The code keeps reading the plain dictionary;
this module only says what may be in it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"bad regular expression {value!r}: {error}") from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Strict):
    """A fact with its origin: ``source`` (an ID in docs/sources/) or ``unverified``."""

    source: str | None = None
    unverified: str | None = None


class Session(_Sourced):
    netmiko_device_type: str = Field(min_length=1)
    #: Our class in collectors/cli/devices.py where netmiko has no driver for the vendor.
    device_class: str | None = None
    prompt_pattern: str
    #: The characters the prompt ends with (our classes; netmiko's drivers know their own).
    prompt_terminators: list[Annotated[str, Field(min_length=1, max_length=1)]] | None = None
    paging_off_command: str = ""
    exit_command: str | None = None
    logout_question: str | None = None
    logout_answer: str | None = None
    enable: bool = False
    #: How the box encodes its output (Topsec TOS: ISO-8859-1).
    encoding: str = "utf-8"
    max_output_chars: int = Field(gt=0)
    command_timeout_s: float = Field(gt=0)

    _patterns = field_validator("prompt_pattern", "logout_question")(
        lambda value: value if value is None else _regex(value)
    )

    @model_validator(mode="after")
    def _our_classes_need_their_prompt(self) -> Session:
        if self.device_class and not self.prompt_terminators:
            raise ValueError("prompt_terminators: required with device_class")
        for end in self.prompt_terminators or []:
            # A host name bare or in brackets (NSFOCUS prints `[name]$`), with its end.
            shapes = (f"box-1{end}", f"[box-1]{end}", f"box-1{end} ", f"[box-1]{end} ")
            if not any(re.fullmatch(self.prompt_pattern, shape) for shape in shapes):
                raise ValueError(
                    f"prompt_pattern does not accept a prompt ending in {end!r} "
                    "(prompt_terminators and prompt_pattern must agree)"
                )
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value


class Command(_Sourced):
    command: str = Field(min_length=1)
    template: str | None = None
    max_output_chars: int | None = Field(default=None, gt=0)
    command_timeout_s: float | None = Field(default=None, gt=0)


class ErrorLine(_Sourced):
    pattern: str
    _pattern = field_validator("pattern")(lambda value: _regex(value))


class Volatile(_Sourced):
    pattern: str
    _pattern = field_validator("pattern")(lambda value: _regex(value))


class Secret(_Sourced):
    pattern: str
    reencrypted: bool = False
    block_end: str | None = None
    _patterns = field_validator("pattern", "block_end")(
        lambda value: value if value is None else _regex(value)
    )


class LeakCheck(_Strict):
    keywords: list[str] = Field(default_factory=list)
    grammar: list[str] = Field(default_factory=list)


class Config(_Sourced):
    end_marker: str | None = None
    min_lines: int = Field(default=1, ge=1)
    hostname_pattern: str | None = None
    volatile: list[Volatile] = Field(default_factory=list)
    secret: list[Secret] = Field(default_factory=list)
    leak_check: LeakCheck = Field(default_factory=LeakCheck)
    _pattern = field_validator("end_marker", "hostname_pattern")(
        lambda value: value if value is None else _regex(value)
    )


class VersionScheme(_Sourced):
    scheme: Literal["dotted", "date-dotted", "pattern"]
    format: str | None = None
    pattern: str | None = None


class Signatures(_Strict):
    versions: dict[str, VersionScheme] = Field(default_factory=dict)


class ComponentName(_Sourced):
    """One CLI name shape and the SNMP name it stands for (collectors/component_names.py).

    ``pattern`` must match the whole CLI name; ``name`` is built from its named groups
    (``{number}``), a group that did not take part takes its value from ``defaults``, and a
    numeric group is moved by ``shift`` (the CLI counts from 1 where the SNMP index counts
    from 0)."""

    pattern: str
    name: str = Field(min_length=1)
    defaults: dict[str, str] = Field(default_factory=dict)
    shift: dict[str, int] = Field(default_factory=dict)
    _pattern = field_validator("pattern")(lambda value: _regex(value))

    @model_validator(mode="after")
    def _groups_known(self) -> ComponentName:
        import string

        groups = set(re.compile(self.pattern).groupindex)
        used = {field for _, field, _, _ in string.Formatter().parse(self.name) if field}
        unknown = sorted((used | set(self.shift) | set(self.defaults)) - groups)
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a named group of pattern {self.pattern!r}")
        return self


class ComponentNames(_Strict):
    """Per component kind, the CLI name shapes mapped onto the SNMP names (first match)."""

    fans: list[ComponentName] = Field(default_factory=list)
    psus: list[ComponentName] = Field(default_factory=list)


class StateWords(_Sourced):
    """The words a box prints for one component kind, per state of ours (compared without
    case). A word in no list falls back to the shared words of ``collectors/cli/parse.py``."""

    ok: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    failed: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    absent: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    unknown: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_state_per_word(self) -> StateWords:
        seen: dict[str, str] = {}
        for state in ("ok", "failed", "absent", "unknown"):
            for word in getattr(self, state):
                other = seen.setdefault(word.lower(), state)
                if other != state:
                    raise ValueError(f"{word!r} is listed as both {other} and {state}")
        return self


class ComponentStates(_Strict):
    """Per component kind, the vendor's state words mapped onto ok / failed / absent / unknown
    (``collectors/drivers/base.py``): an absent word in the presence column (Huawei's
    ``Online``) wins over the state column, which an empty slot prints as ``-``."""

    fans: StateWords | None = None
    psus: StateWords | None = None


class SerialRule(_Sourced):
    """Which part's serial is the box's own (``collectors/cli/serial.py``): ``command`` names a
    ``[commands]`` entry whose template gives PART / NUMBER / SERIAL rows (and CHASSIS on
    stacked chassis); ``parts`` in order of preference, the first present wins, and within a
    part the lowest chassis, then the lowest number."""

    command: str = Field(min_length=1)
    parts: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class CliProfileFile(_Strict):
    session: Session
    commands: dict[str, Command]
    errors: list[ErrorLine] = Field(default_factory=list)
    config: Config | None = None
    signatures: Signatures | None = None
    components: ComponentNames | None = None
    states: ComponentStates | None = None
    serial: SerialRule | None = None

    @model_validator(mode="after")
    def _serial_command_exists(self) -> CliProfileFile:
        if self.serial and self.serial.command not in self.commands:
            raise ValueError(f"serial.command: no [commands.{self.serial.command}] in this file")
        return self


class CliProfileError(ValueError):
    """A cli.toml does not match the schema; the message names the file and each bad key."""


def _place(location: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts.append(f"#{item + 1}")
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def check_cli_profile(data: dict[str, Any], where: str) -> CliProfileFile:
    """``data`` checked against the schema, or a ``CliProfileError`` naming ``where``."""
    try:
        return CliProfileFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            place = _place(item["loc"])
            if item["type"] == "extra_forbidden":
                problems.append(f"{place}: unknown key")
            elif item["type"] == "missing":
                problems.append(f"{place}: required key missing")
            else:
                problems.append(f"{place}: {item['msg']}")
        raise CliProfileError(f"{where}: " + "; ".join(problems)) from None
