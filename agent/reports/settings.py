"""Who the documents name on their cover: the ``[report]`` section of an optional settings file.

The file is ``$NETMON_SETTINGS`` if set, else ``/etc/netmon/netmon.toml`` if it exists; both are
optional and every key has a placeholder default the operator replaces::

    [report]
    agency = "北京市某执法机关"
    contractor = "安全服务承包商"
    timezone = "Asia/Shanghai"          # periods and times in the documents are local time
    document_prefix = "NETMON"          # document numbers: PREFIX-KIND-PERIOD-ISSUE
    prepared_by = "驻场一组"            # 巡检人/编制 on the cover and the sign-off (a team label)
    reviewed_by = "项目经理"            # 审核人; both may be left out and written by hand

``--prepared-by``/``--reviewed-by`` on ``netmon report`` override the last two.

What counts as a stale library or an expiring licence is not a report setting: the documents
use the daemon's own rules from the same file (``[staleness]`` per library kind and
``[licences] warning_days``), so a report never disagrees with the alerts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import NetmonError
from agent.settings_location import settings_path
from agent.tomlfile import read_toml
from collectors.signatures.staleness import (
    DEFAULT_LIBRARY_DAYS,
    DEFAULT_LICENCE_WARNING_DAYS,
    StalenessRules,
    staleness_rules,
)

COMMAND_ONLY = {"issue"}


class ReportSettingsError(NetmonError):
    """The settings file cannot be read or its [report] section is wrong."""


@dataclass(frozen=True)
class ReportSettings:
    agency: str = "北京市某执法机关"
    contractor: str = "安全服务承包商"
    timezone: str = "Asia/Shanghai"
    document_prefix: str = "NETMON"
    # Empty: the cover and the sign-off leave a line to write the name on by hand.
    prepared_by: str = ""
    reviewed_by: str = ""
    # Which issue of a document this is (``--issue``, never from the file): a re-issued
    # document keeps its period and kind and gets the next number.
    issue: int = 1
    # From the daemon's [staleness] and [licences] sections, not from [report].
    staleness_days: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LIBRARY_DAYS))
    licence_warning_days: float = DEFAULT_LICENCE_WARNING_DAYS

    def staleness(self) -> StalenessRules:
        return staleness_rules(self.staleness_days, self.licence_warning_days)


def report_settings(path: Path | None = None) -> ReportSettings:
    """The ``[report]`` settings, defaults for whatever the file (if any) leaves out."""
    path = path or settings_path()
    if path is None:
        return ReportSettings()
    _, data = read_toml(path, ReportSettingsError)
    section = data.get("report", {})
    if not isinstance(section, dict):
        raise ReportSettingsError(f"{path}: [report] must be a table")
    defaults = ReportSettings()
    values: dict[str, object] = {}
    shared = _shared_rules(path, data)
    for key, default in vars(defaults).items():
        if key in shared or key in COMMAND_ONLY:
            continue
        if key not in section:
            continue
        value = section[key]
        if type(value) is not type(default):
            raise ReportSettingsError(
                f"{path}: [report] {key} must be a {type(default).__name__}, got {value!r}"
            )
        values[key] = value
    unknown = sorted(
        set(section) - set(vars(defaults)) | (set(section) & (set(shared) | COMMAND_ONLY))
    )
    if unknown:
        raise ReportSettingsError(f"{path}: [report] has unknown keys: {', '.join(unknown)}")
    prefix = values.get("document_prefix", defaults.document_prefix)
    if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", str(prefix)):
        raise ReportSettingsError(
            f"{path}: [report] document_prefix {prefix!r}: use letters, digits and single dashes"
        )
    return ReportSettings(**values, **shared)  # type: ignore[arg-type]


def _shared_rules(path: Path, data: dict[str, object]) -> dict[str, object]:
    """The daemon's staleness and licence rules, as netmon.toml gives them (checked there)."""
    staleness = data.get("staleness", {})
    licences = data.get("licences", {})
    if not isinstance(staleness, dict) or not isinstance(licences, dict):
        raise ReportSettingsError(f"{path}: [staleness] and [licences] must be tables")
    days = {**DEFAULT_LIBRARY_DAYS, **staleness}
    warning = licences.get("warning_days", DEFAULT_LICENCE_WARNING_DAYS)
    try:
        staleness_rules(days, warning)
    except ValueError as error:
        raise ReportSettingsError(f"{path}: {error}") from None
    return {"staleness_days": days, "licence_warning_days": warning}
