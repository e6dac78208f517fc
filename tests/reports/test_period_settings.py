"""Periods in local time, the [report] settings, and the chart font fallback."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from agent.reports.period import (
    PeriodError,
    choose_period,
    day_period,
    month_period,
    range_period,
    report_timezone,
)
from agent.reports.settings import ReportSettingsError, report_settings

BEIJING = report_timezone("Asia/Shanghai")


def test_a_month_is_beijing_midnight_to_midnight_in_utc() -> None:
    period = month_period("2026-12", BEIJING)
    assert period.start == dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2026, 12, 31, 16, tzinfo=dt.UTC)
    assert period.last_day == dt.date(2026, 12, 31)


def test_days_and_ranges_include_their_last_day() -> None:
    assert day_period("2026-04-11", BEIJING).end - day_period("2026-04-11", BEIJING).start == (
        dt.timedelta(days=1)
    )
    span = range_period("2026-04-01", "2026-04-15", BEIJING)
    assert span.end - span.start == dt.timedelta(days=15)
    assert span.label == "2026-04-01..2026-04-15"


def test_defaults_are_so_far_and_previous_is_the_whole_last_day_or_month() -> None:
    # Issue 12 changed the defaults: on 2026-05-03 09:30 Beijing time, `report monthly` without
    # flags is May so far (not April, when nothing may have been stored yet) and `daily` is
    # today so far; --previous (the timers) is the whole previous day or month.
    now = dt.datetime(2026, 5, 3, 1, 30, tzinfo=dt.UTC)
    options = {"month": None, "date": None, "first": None, "last": None, "now": now, "tz": BEIJING}
    daily = choose_period("daily", **options)
    assert daily.label == "2026-05-03" and daily.partial
    assert (daily.start, daily.end) == (dt.datetime(2026, 5, 2, 16, tzinfo=dt.UTC), now)
    monthly = choose_period("monthly", **options)
    assert monthly.label == "2026-05" and monthly.partial and monthly.end == now
    assert monthly.start == dt.datetime(2026, 4, 30, 16, tzinfo=dt.UTC)
    yesterday = choose_period("daily", **options, previous=True)
    assert yesterday.label == "2026-05-02" and not yesterday.partial
    assert yesterday.end - yesterday.start == dt.timedelta(days=1)
    assert choose_period("monthly", **options, previous=True).label == "2026-04"
    january = dict(options, now=dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    assert choose_period("upgrades", **january, previous=True).label == "2025-12"
    # A named period still running is cut at now; one already over is whole.
    assert choose_period("monthly", **dict(options, month="2026-05")).end == now
    assert not choose_period("monthly", **dict(options, month="2026-04")).partial
    with pytest.raises(PeriodError, match="--month and --previous"):
        choose_period("monthly", **dict(options, month="2026-04"), previous=True)


@pytest.mark.parametrize("text", ["2026-4", "2026-00", "26-04", "april"])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(PeriodError, match="YYYY-MM"):
        month_period(text, BEIJING)


def test_settings_default_and_from_a_file(tmp_path: Path) -> None:
    assert report_settings(None).agency == "北京市某执法机关" or report_settings().agency
    path = tmp_path / "netmon.toml"
    path.write_text(
        '[report]\nagency = "某某局"\n[staleness]\nav = 3\n[licences]\nwarning_days = 45\n',
        encoding="utf-8",
    )
    settings = report_settings(path)
    assert (settings.agency, settings.contractor) == ("某某局", "安全服务承包商")
    # Stale and expiring follow the daemon's own rules in the same file.
    assert settings.staleness_days["av"] == 3 and settings.staleness_days["ips"] == 14
    assert settings.licence_warning_days == 45


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[report]\ntimezone = 8\n", "must be a str"),
        ("[staleness]\nav = -1\n", "staleness rule 'av'"),
        ("[report]\nagencyy = 1\n", "unknown keys: agencyy"),
        ("[report\n", "netmon.toml"),
    ],
)
def test_bad_settings_name_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "netmon.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ReportSettingsError, match=message):
        report_settings(path)


def test_charts_fall_back_to_english_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.reports import charts

    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    charts._warn_no_cjk.cache_clear()
    with pytest.warns(UserWarning, match="no CJK font"):
        assert charts.chart_language("zh") == "en"
    assert charts.chart_language("en") == "en"


def test_a_cjk_font_is_installed_for_chinese_charts() -> None:
    from agent.reports import charts

    if charts.cjk_font() is None:
        message = "no CJK font (Debian package fonts-noto-cjk or fonts-wqy-microhei)"
        if os.environ.get("NETMON_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip(message)
    assert charts.chart_language("zh") == "zh"


def test_cover_names_and_prefix_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "netmon.toml"
    path.write_text(
        '[report]\ndocument_prefix = "BJ-WB"\nprepared_by = "驻场一组"\nreviewed_by = "王工"\n',
        encoding="utf-8",
    )
    settings = report_settings(path)
    assert (settings.document_prefix, settings.prepared_by, settings.reviewed_by) == (
        "BJ-WB",
        "驻场一组",
        "王工",
    )
    assert settings.issue == 1
    path.write_text('[report]\ndocument_prefix = "a b"\n', encoding="utf-8")
    with pytest.raises(ReportSettingsError, match="document_prefix"):
        report_settings(path)
    # The issue number is per document (--issue), never a site setting.
    path.write_text("[report]\nissue = 2\n", encoding="utf-8")
    with pytest.raises(ReportSettingsError, match="unknown keys: issue"):
        report_settings(path)
