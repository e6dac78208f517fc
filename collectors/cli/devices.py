"""netmiko device classes for the vendors netmiko does not know.

netmiko 4.8 ships drivers for H3C Comware (``hp_comware``) and Huawei VRP (``huawei``); Topsec,
Leadsec, Venustech and NSFOCUS have none, and netmiko has no plugin registry, so these classes
subclass its base connection and are instantiated directly by ``collectors.cli.open_cli``.
Each overrides only the hooks that differ: how the prompt ends, how paging is turned off, what
logout asks. Those values live only in the vendor's ``collectors/profiles/<vendor>/cli.toml``
(with the source of each); ``configured_class`` sets them on the class ``open_cli`` uses.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from netmiko.cisco_base_connection import CiscoBaseConnection
from netmiko.exceptions import ReadTimeout
from netmiko.no_config import NoConfig
from netmiko.no_enable import NoEnable


class ProfileDrivenSSH(CiscoBaseConnection):
    """A CLI described by a few class attributes (set from the vendor profile)."""

    #: The characters a prompt ends with (the first is the usual one).
    prompt_terminators: ClassVar[tuple[str, ...]] = ("#", ">")
    #: The command that stops the pager for this session; empty if the box has none.
    paging_off_command: ClassVar[str] = ""
    #: What ends the session, and the question (regex) logout may ask plus our answer.
    exit_command: ClassVar[str] = "exit"
    logout_question: ClassVar[str] = ""
    logout_answer: ClassVar[str] = "n"

    def _prompt_regex(self) -> str:
        ends = "".join(re.escape(t) for t in self.prompt_terminators)
        return rf"[{ends}]\s*$"

    def session_preparation(self) -> None:
        self._test_channel_read(pattern=self._prompt_regex())
        self.set_base_prompt()
        if self.paging_off_command:
            self.disable_paging(command=self.paging_off_command)
        self.clear_buffer()

    def set_base_prompt(
        self,
        pri_prompt_terminator: str = "",
        alt_prompt_terminator: str = "",
        delay_factor: float = 1.0,
        pattern: str | None = None,
    ) -> str:
        terminators = self.prompt_terminators
        pri = pri_prompt_terminator or terminators[0]
        alt = alt_prompt_terminator or (terminators[1] if len(terminators) > 1 else pri)
        return super().set_base_prompt(
            pri_prompt_terminator=pri,
            alt_prompt_terminator=alt,
            delay_factor=delay_factor,
            pattern=pattern,
        )

    def cleanup(self, command: str = "") -> None:
        """Leave the CLI, answering the logout question if the box asks one."""
        try:
            if self.check_config_mode():
                self.exit_config_mode()
        except Exception:  # the session may already be half gone: logout anyway
            pass
        self.write_channel((command or self.exit_command) + self.RETURN)
        if not self.logout_question:
            return
        try:
            self.read_until_pattern(pattern=self.logout_question, read_timeout=5)
        except (ReadTimeout, OSError, EOFError):
            return
        self.write_channel(self.logout_answer + self.RETURN)


# The vendor classes carry no vendor facts: prompt characters, paging and logout come from the
# vendor's cli.toml (``configured_class``), where each has its source. Only the CLI's shape
# (one mode or Cisco-like enable/config) is code.


class TopsecTosSSH(NoEnable, NoConfig, ProfileDrivenSSH):
    """Topsec TOS (NGFW4000, TopVPN, TopSentry, TopFilter): one mode."""


class LeadsecSSH(NoEnable, NoConfig, ProfileDrivenSSH):
    """Leadsec PowerV / TD3000 / ACM / LA-DT: assumed one privileged mode."""


class VenustechUsgSSH(ProfileDrivenSSH):
    """Venustech USG: Cisco-like, user mode, then ``enable``, then ``configure terminal``."""


class NsfocusSasSSH(NoEnable, NoConfig, ProfileDrivenSSH):
    """NSFOCUS SAS: assumed Linux-like console, one mode."""


DEVICE_CLASSES: dict[str, type[ProfileDrivenSSH]] = {
    cls.__name__: cls for cls in (TopsecTosSSH, LeadsecSSH, VenustechUsgSSH, NsfocusSasSSH)
}


def configured_class(name: str, settings: dict[str, Any]) -> type[ProfileDrivenSSH]:
    """``DEVICE_CLASSES[name]`` with the profile's prompt / paging / logout values set (the
    schema requires ``prompt_terminators`` wherever a profile names one of these classes)."""
    base = DEVICE_CLASSES[name]
    overrides: dict[str, Any] = {"prompt_terminators": tuple(settings["prompt_terminators"])}
    for key in ("paging_off_command", "exit_command", "logout_question", "logout_answer"):
        if key in settings:
            overrides[key] = str(settings[key])
    return type(base.__name__, (base,), overrides)
