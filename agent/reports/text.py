"""Wording and number formats of the reports: ``Text(lang)`` looks strings up in
``lang/<lang>.py`` and formats percentages, times and durations the same way everywhere."""

from __future__ import annotations

import datetime as dt
import importlib
from types import ModuleType

from agent.errors import NetmonError
from agent.reports import LANGUAGES
from agent.reports.period import Period


def language_module(lang: str) -> ModuleType:
    if lang not in LANGUAGES:
        raise NetmonError(f"--lang {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return importlib.import_module(f"agent.reports.lang.{lang}")


class Text:
    def __init__(self, lang: str, period: Period) -> None:
        self.lang = lang
        self.period = period
        self._module = language_module(lang)
        self._strings: dict[str, str] = self._module.STRINGS

    def __call__(self, key: str, **values: object) -> str:
        return self._strings[key].format(**values)

    def table(self, name: str) -> dict[str, str]:
        """One of the language module's tables (EVENTS, EVENT_KINDS, LIBRARIES, ...)."""
        table: dict[str, str] = getattr(self._module, name)
        return table

    def _lookup(self, table: str, key: str) -> str:
        return getattr(self._module, table).get(key, key)

    def vendor(self, key: str) -> str:
        return self._lookup("VENDORS", key)

    def kind(self, key: str) -> str:
        return self._lookup("KINDS", key)

    def service(self, key: str) -> str:
        return self._lookup("SERVICES", key)

    def severity(self, key: str) -> str:
        return self._lookup("SEVERITIES", key)

    def event_state(self, key: str) -> str:
        return self._lookup("EVENT_STATES", key)

    def component(self, kind: str, name: str | None = None) -> str:
        label = self._lookup("COMPONENTS", kind)
        return label if name is None else f"{label} {name}"

    def component_status(self, key: str) -> str:
        return self._lookup("COMPONENT_STATUSES", key)

    def library(self, key: str) -> str:
        # The label alone: a code such as "(av)" would be English inside a Chinese document.
        # A vendor's own library name (no label) is a proper name and stays as the box says.
        return self._lookup("LIBRARIES", key)

    def record_kind(self, key: str) -> str:
        return self._lookup("RECORD_KINDS", key)

    def record_state(self, key: str) -> str:
        return self._lookup("RECORD_STATES", key)

    # --- numbers and times -------------------------------------------------------------------

    def pct(self, ratio: float | None, digits: int = 1) -> str:
        return self("dash") if ratio is None else f"{ratio * 100:.{digits}f}%"

    def availability(self, ratio: float | None) -> str:
        # Two decimals: 99.86% and 100.00% must not both round to 99.9% / 100.0%.
        return self("not_polled") if ratio is None else self.pct(ratio, 2)

    def time(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return self("dash")
        return self.period.local(moment).strftime("%Y-%m-%d %H:%M")

    def date(self, day: dt.date | dt.datetime | None) -> str:
        if day is None:
            return self("dash")
        if isinstance(day, dt.datetime):
            day = self.period.local(day).date()
        return day.isoformat()

    def duration(self, span: dt.timedelta) -> str:
        minutes = max(0, round(span.total_seconds() / 60))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return self("duration.dhm", d=days, h=hours, m=minutes)
        if hours:
            return self("duration.hm", h=hours, m=minutes)
        return self("duration.m", m=minutes)

    def written_time(self, moment: dt.datetime) -> str:
        """A moment written out for the cover: 2026年12月02日 10时05分（北京时间）."""
        local = self.period.local(moment)
        return self(
            "time.written",
            y=local.year,
            m=local.month,
            d=local.day,
            H=local.hour,
            M=local.minute,
            tz=self.zone_name(),
        )

    def zone_name(self) -> str:
        if _tz_name(self.period) in BEIJING_ZONES:
            return self("tz.beijing")
        return _tz_name(self.period)

    def period_text(self) -> str:
        start = self.period.local_start.strftime("%Y-%m-%d %H:%M")
        end = self.period.local_end.strftime("%Y-%m-%d %H:%M")
        key = "period.so_far" if self.period.partial else "period.range"
        return self(key, start=start, end=end, tz=self.zone_name())


BEIJING_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "PRC", "CST"}


def _tz_name(period: Period) -> str:
    key = getattr(period.tz, "key", None)
    return key or period.local_start.tzname() or "UTC"
