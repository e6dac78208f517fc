"""Charts as PNG bytes (matplotlib, Agg backend: no display needed).

Chinese labels need a CJK font; Debian's ``fonts-noto-cjk`` or ``fonts-wqy-microhei``
provide one. Without any, charts fall back to English labels (with one warning) rather than
print empty boxes.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import warnings
from collections.abc import Sequence
from functools import cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

from agent.reports.data import DailyFigures

log = logging.getLogger(__name__)

CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
)
DPI = 110


@cache
def cjk_font() -> str | None:
    """The first installed CJK font family, or None."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FONT_FAMILIES if family in installed), None)


def chart_language(lang: str) -> str:
    """The language charts can be labelled in: Chinese only with a CJK font installed."""
    if lang == "zh" and cjk_font() is None:
        _warn_no_cjk()
        return "en"
    return lang


@cache
def _warn_no_cjk() -> None:
    message = (
        "no CJK font installed (Debian: fonts-noto-cjk or fonts-wqy-microhei); "
        "chart labels are in English"
    )
    warnings.warn(message, stacklevel=3)
    log.warning("no CJK font for charts", extra={"fallback": "en"})


def _figure(width: float, height: float) -> Figure:
    family = cjk_font()
    style = {"font.size": 8, "axes.unicode_minus": False}
    if family:
        style["font.sans-serif"] = [family, "DejaVu Sans"]
    plt.rcParams.update(style)
    return Figure(figsize=(width, height), dpi=DPI)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    # No "Software" stamp: the same data gives byte-identical images.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def trend_points(daily: Sequence[DailyFigures]) -> int:
    """How many values ``trend_chart`` plots (days with a figure, over its three lines)."""
    return sum(
        getattr(point, name) is not None
        for point in daily
        for name in ("cpu_avg", "cpu_max", "memory_avg")
    )


def trend_chart(daily: Sequence[DailyFigures], labels: dict[str, str]) -> bytes:
    """Daily CPU average and peak and memory average, in percent. Markers on every day, so a
    one-day period shows its points; one tick per day up to ten days, fewer beyond."""
    figure = _figure(6.0, 2.2)
    axes = figure.add_subplot()
    days = [point.day for point in daily]

    def series(name: str) -> list[float]:
        return [float("nan") if getattr(p, name) is None else getattr(p, name) * 100 for p in daily]

    marker = {"marker": "o", "markersize": 3}
    axes.plot(
        days, series("cpu_avg"), color="#1f5fa8", linewidth=1.4, label=labels["cpu_avg"], **marker
    )
    axes.plot(
        days,
        series("cpu_max"),
        color="#1f5fa8",
        linewidth=0.8,
        linestyle="--",
        label=labels["cpu_max"],
        **marker,
    )
    axes.plot(
        days,
        series("memory_avg"),
        color="#c0392b",
        linewidth=1.4,
        label=labels["memory_avg"],
        **marker,
    )
    axes.set_ylim(0, 100)
    if len(days) > 1:
        axes.set_xlim(days[0], days[-1])
    elif days:  # one day: half a day either side, not matplotlib's default of years
        noon = dt.datetime.combine(days[0], dt.time(12))
        axes.set_xlim(noon - dt.timedelta(days=1), noon)
    interval = max(1, math.ceil(len(days) / 10))
    axes.xaxis.set_major_locator(matplotlib.dates.DayLocator(interval=interval))
    axes.set_ylabel(labels["usage_axis"])
    axes.grid(True, linewidth=0.3)
    axes.legend(loc="upper left", fontsize=7, ncols=3, frameon=False)
    figure.autofmt_xdate(rotation=0, ha="center")
    axes.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%m-%d"))
    return _png(figure)


def availability_chart(values: Sequence[tuple[str, float]], axis_label: str) -> bytes:
    """One horizontal bar per device: availability in percent."""
    height = max(1.6, 0.18 * len(values) + 0.6)
    figure = _figure(6.0, height)
    axes = figure.add_subplot()
    names = [name for name, _ in values]
    percents = [value * 100 for _, value in values]
    colours = ["#2e7d32" if v >= 99.9 else "#f9a825" if v >= 99 else "#c62828" for v in percents]
    axes.barh(names, percents, color=colours, height=0.7)
    axes.invert_yaxis()
    lowest = min(percents, default=100)
    axes.set_xlim(max(0.0, min(90.0, lowest - 2)), 100)
    axes.set_xlabel(axis_label)
    axes.tick_params(axis="y", labelsize=6)
    axes.grid(True, axis="x", linewidth=0.3)
    return _png(figure)
