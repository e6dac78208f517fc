"""Who the documents name on their cover: the ``[report]`` section of an optional settings file.

The file is ``$NETMON_SETTINGS`` if set, else ``/etc/netmon/netmon.toml`` if it exists; both are
optional and every key has a placeholder default the operator replaces::

    [report]
    agency = "北京市某执法机关"
    contractor = "安全服务承包商"
    timezone = "Asia/Shanghai"          # periods and times in the documents are local time

What counts as a stale library or an expiring licence is not a report setting: the documents
use the daemon's own rules from the same file (``[staleness]`` per library kind and
``[licences] warning_days``), so a report never disagrees with the alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import NetmonError
from agent.settings import settings_path
from agent.tomlfile import read_toml
from collectors.signatures.staleness import (
    DEFAULT_LIBRARY_DAYS,
    DEFAULT_LICENCE_WARNING_DAYS,
    StalenessRules,
    staleness_rules,
)


class ReportSettingsError(NetmonError):
    """The settings file cannot be read or its [report] section is wrong."""


@dataclass(frozen=True)
class ReportSettings:
    agency: str = "北京市某执法机关"
    contractor: str = "安全服务承包商"
    timezone: str = "Asia/Shanghai"
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
        if key in shared:
            continue
        if key not in section:
            continue
        value = section[key]
        if type(value) is not type(default):
            raise ReportSettingsError(
                f"{path}: [report] {key} must be a {type(default).__name__}, got {value!r}"
            )
        values[key] = value
    unknown = sorted(set(section) - set(vars(defaults)) | (set(section) & set(shared)))
    if unknown:
        raise ReportSettingsError(f"{path}: [report] has unknown keys: {', '.join(unknown)}")
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
