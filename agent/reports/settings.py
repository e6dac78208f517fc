"""Who the documents name on their cover: the ``[report]`` section of an optional settings file.

The file is ``$NETMON_SETTINGS`` if set, else ``/etc/netmon/netmon.toml`` if it exists; both are
optional and every key has a placeholder default the operator replaces::

    [report]
    agency = "北京市某执法机关"
    contractor = "安全服务承包商"
    timezone = "Asia/Shanghai"          # periods and times in the documents are local time
    stale_signature_days = 30           # a library older than this is called stale
    licence_warning_days = 60           # a licence expiring within this is called out
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from agent.errors import NetmonError

SETTINGS_VARIABLE = "NETMON_SETTINGS"
SYSTEM_SETTINGS = Path("/etc/netmon/netmon.toml")


class ReportSettingsError(NetmonError):
    """The settings file cannot be read or its [report] section is wrong."""


@dataclass(frozen=True)
class ReportSettings:
    agency: str = "北京市某执法机关"
    contractor: str = "安全服务承包商"
    timezone: str = "Asia/Shanghai"
    stale_signature_days: int = 30
    licence_warning_days: int = 60


def _settings_path() -> Path | None:
    configured = os.environ.get(SETTINGS_VARIABLE)
    if configured:
        return Path(configured)
    return SYSTEM_SETTINGS if SYSTEM_SETTINGS.is_file() else None


def report_settings(path: Path | None = None) -> ReportSettings:
    """The ``[report]`` settings, defaults for whatever the file (if any) leaves out."""
    path = path or _settings_path()
    if path is None:
        return ReportSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportSettingsError(f"cannot read settings file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ReportSettingsError(f"{path}: {error}") from None
    section = data.get("report", {})
    if not isinstance(section, dict):
        raise ReportSettingsError(f"{path}: [report] must be a table")
    defaults = ReportSettings()
    values: dict[str, object] = {}
    for key, default in vars(defaults).items():
        if key not in section:
            continue
        value = section[key]
        if type(value) is not type(default):
            raise ReportSettingsError(
                f"{path}: [report] {key} must be a {type(default).__name__}, got {value!r}"
            )
        values[key] = value
    unknown = sorted(set(section) - set(vars(defaults)))
    if unknown:
        raise ReportSettingsError(f"{path}: [report] has unknown keys: {', '.join(unknown)}")
    return ReportSettings(**values)  # type: ignore[arg-type]
