"""The period a report covers: a calendar month, a day, a range of days, or the last 24 hours.

Periods are whole local days (the agency's time zone, Asia/Shanghai by default) turned into a
half-open UTC range ``[start, end)``, which is what the store's queries take. A period still
running when the report is made (the current month or today, "so far") ends at that moment
and says so (``partial``), so a document never claims days that have not happened yet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.errors import NetmonError

log = logging.getLogger(__name__)

# China has kept UTC+8 without daylight saving since 1991: a safe stand-in without tzdata.
CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


class PeriodError(NetmonError):
    """A --month, --date, --from or --to value that does not name a period."""


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    tz: dt.tzinfo
    kind: str  # month | day | range | last24h
    label: str  # 2026-04, 2026-04-15, 2026-04-01..2026-04-15, or the end time
    partial: bool = False  # cut short at the moment the report was made

    def so_far(self, now: dt.datetime) -> Period:
        """This period up to ``now`` (to the minute) if it is still running, else unchanged."""
        moment = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
        if not self.start < moment < self.end:
            return self
        return dataclasses.replace(self, end=moment, partial=True)

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.tz)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.tz)

    @property
    def last_day(self) -> dt.date:
        """The last local day the period touches."""
        return (self.local_end - dt.timedelta(microseconds=1)).date()

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)


def report_timezone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name in ("Asia/Shanghai", "Asia/Chongqing", "PRC"):
            log.warning("no tz database; using UTC+8", extra={"timezone": name})
            return CHINA_STANDARD_TIME
        raise PeriodError(f"unknown time zone {name!r} in the [report] settings") from None


def _day(text: str, option: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise PeriodError(f"{option} {text!r}: expected a date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{option} {text!r}: no such date") from None


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)


def month_period(text: str, tz: dt.tzinfo) -> Period:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"--month {text!r}: expected a month as YYYY-MM, e.g. 2026-04")
    year, month = int(match.group(1)), int(match.group(2))
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return Period(_midnight(first, tz), _midnight(following, tz), tz, "month", text)


def day_period(text: str, tz: dt.tzinfo) -> Period:
    day = _day(text, "--date")
    return Period(
        _midnight(day, tz), _midnight(day + dt.timedelta(days=1), tz), tz, "day", day.isoformat()
    )


def range_period(first: str, last: str, tz: dt.tzinfo) -> Period:
    """``--from`` .. ``--to``, both days included."""
    start, stop = _day(first, "--from"), _day(last, "--to")
    if stop < start:
        raise PeriodError(f"--to {last} is before --from {first}")
    return Period(
        _midnight(start, tz),
        _midnight(stop + dt.timedelta(days=1), tz),
        tz,
        "range",
        f"{start.isoformat()}..{stop.isoformat()}",
    )


def year_period(text: str, tz: dt.tzinfo) -> Period:
    """``--year YYYY``: the calendar year (the annual work summary)."""
    if not re.fullmatch(r"\d{4}", text) or int(text) < 1970:
        raise PeriodError(f"--year {text!r}: expected a year as YYYY, e.g. 2026")
    year = int(text)
    return Period(
        _midnight(dt.date(year, 1, 1), tz), _midnight(dt.date(year + 1, 1, 1), tz), tz, "year", text
    )


def months_of(period: Period) -> list[Period]:
    """The calendar months ``period`` touches, each cut to the period (a month cut short is a
    range labelled with its month)."""
    months: list[Period] = []
    local = period.local_start.date().replace(day=1)
    while True:
        month = month_period(f"{local.year:04d}-{local.month:02d}", period.tz)
        if month.start >= period.end:
            return months
        start, end = max(month.start, period.start), min(month.end, period.end)
        whole = (start, end) == (month.start, month.end)
        months.append(Period(start, end, period.tz, "month" if whole else "range", month.label))
        local = month.local_end.date()


def last_24_hours(now: dt.datetime, tz: dt.tzinfo) -> Period:
    end = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    label = end.astimezone(tz).strftime("%Y-%m-%d-%H%M")
    return Period(end - dt.timedelta(hours=24), end, tz, "last24h", label)


def previous_month(now: dt.datetime, tz: dt.tzinfo) -> Period:
    local = now.astimezone(tz)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return month_period(f"{year:04d}-{month:02d}", tz)


def current_month(now: dt.datetime, tz: dt.tzinfo) -> Period:
    """The calendar month ``now`` falls in, up to ``now``."""
    return month_period(now.astimezone(tz).strftime("%Y-%m"), tz).so_far(now)


def previous_day(now: dt.datetime, tz: dt.tzinfo) -> Period:
    return day_period((now.astimezone(tz).date() - dt.timedelta(days=1)).isoformat(), tz)


def today(now: dt.datetime, tz: dt.tzinfo) -> Period:
    """The local day ``now`` falls in, up to ``now``."""
    return day_period(now.astimezone(tz).date().isoformat(), tz).so_far(now)


def choose_period(
    kind: str,
    *,
    month: str | None,
    date: str | None,
    first: str | None,
    last: str | None,
    now: dt.datetime,
    tz: dt.tzinfo,
    previous: bool = False,
) -> Period:
    """The period the options name. Without a period, the daily report covers today so far
    and every other report the current month so far; ``previous`` (``--previous``, what the
    timers use) names the whole previous day or month instead. A period that has not ended
    by ``now`` is cut at ``now``."""
    given = [name for name, value in (("--month", month), ("--date", date)) if value]
    if first or last:
        given.append("--from/--to")
    if previous:
        given.append("--previous")
    if len(given) > 1:
        raise PeriodError(f"give one period, not {' and '.join(given)}")
    if first or last:
        if not (first and last):
            raise PeriodError("--from and --to go together")
        return range_period(first, last, tz).so_far(now)
    if month:
        return month_period(month, tz).so_far(now)
    if date:
        return day_period(date, tz).so_far(now)
    if kind == "daily":
        return previous_day(now, tz) if previous else today(now, tz)
    return previous_month(now, tz) if previous else current_month(now, tz)
