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
import threading
import warnings
from collections.abc import Sequence
from functools import cache
from operator import attrgetter

import matplotlib

# Agg, no display. pyplot is not imported (figures are made with Figure and drawn on an Agg
# canvas): its import alone costs about 0.15 s of every monthly report.
matplotlib.use("Agg")

import matplotlib.dates
import matplotlib.image
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
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
    matplotlib.rcParams.update(style)
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
    one-day period shows its points; one tick per day up to ten days, fewer beyond.

    A monthly report draws one per device over the same days with the same labels, so the
    frame (axes, ticks, grid, labels, legend, layout) is drawn once per (days, labels) and each
    chart only draws its lines and what lies above them (``_TrendFrame``); the PNG is the
    one a full draw of the same figure gives, byte for byte."""
    key = (tuple(point.day for point in daily), tuple(sorted(labels.items())), cjk_font())
    with _TREND_FRAMES_LOCK:
        frame = _TREND_FRAMES.pop(key, None)
        if frame is None:
            frame = _TrendFrame(daily, labels)
        _TREND_FRAMES[key] = frame  # most recently used last
        while len(_TREND_FRAMES) > TREND_FRAMES_KEPT:
            del _TREND_FRAMES[next(iter(_TREND_FRAMES))]
        return frame.png(daily)


TREND_SERIES = ("cpu_avg", "cpu_max", "memory_avg")
# Frames kept: one per language and period is what a process making reports needs; each holds
# a figure and a copy of its pixels (~1.3 MB).
TREND_FRAMES_KEPT = 4
_TREND_FRAMES: dict[tuple[object, ...], _TrendFrame] = {}
_TREND_FRAMES_LOCK = threading.Lock()


def _trend_values(daily: Sequence[DailyFigures], name: str) -> list[float]:
    return [
        float("nan") if getattr(point, name) is None else getattr(point, name) * 100
        for point in daily
    ]


class _TrendFrame:
    """A trend chart's figure drawn without its data lines, ready to take each device's.

    Axes draw their children in z-order: the axes patch, the axes (grid, ticks and labels:
    z 1.5), the lines (2), then the spines (2.5) and the legend (5). Everything below the first
    line is drawn once and its pixels kept; a chart restores them, sets the lines' values and
    draws the lines and everything above them in that same order, so the pixels are those of
    a full draw. Nothing kept depends on the values: both axes' limits are set from the days
    (no autoscaling) and the layout leaves out the lines, which are clipped to the axes."""

    def __init__(self, daily: Sequence[DailyFigures], labels: dict[str, str]) -> None:
        self.figure = _trend_figure(daily, labels)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.tight_layout()
        axes = self.figure.axes[0]
        self.lines = list(axes.get_lines())
        # Axes.draw's order: its children (the patch apart) sorted by z-order, a stable sort.
        children = sorted(
            (child for child in axes.get_children() if child is not axes.patch),
            key=attrgetter("zorder"),
        )
        first_line = min(children.index(line) for line in self.lines)
        self.over_background = children[first_line:]
        for artist in self.over_background:
            artist.set_animated(True)  # left out of the background's draw
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def png(self, daily: Sequence[DailyFigures]) -> bytes:
        for line, name in zip(self.lines, TREND_SERIES, strict=True):
            line.set_ydata(_trend_values(daily, name))
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in self.over_background:
            artist.draw(renderer)
        buffer = io.BytesIO()
        # What savefig's PNG writer does with the drawn canvas (FigureCanvasAgg.print_png);
        # no "Software" stamp: the same data gives byte-identical images.
        matplotlib.image.imsave(
            buffer,
            self.canvas.buffer_rgba(),
            format="png",
            origin="upper",
            dpi=self.figure.dpi,
            metadata={"Software": None},
        )
        return buffer.getvalue()


def _trend_figure(daily: Sequence[DailyFigures], labels: dict[str, str]) -> Figure:
    figure = _figure(6.0, 2.2)
    axes = figure.add_subplot()
    days = [point.day for point in daily]
    marker = {"marker": "o", "markersize": 3}
    axes.plot(
        days,
        _trend_values(daily, "cpu_avg"),
        color="#1f5fa8",
        linewidth=1.4,
        label=labels["cpu_avg"],
        **marker,
    )
    axes.plot(
        days,
        _trend_values(daily, "cpu_max"),
        color="#1f5fa8",
        linewidth=0.8,
        linestyle="--",
        label=labels["cpu_max"],
        **marker,
    )
    axes.plot(
        days,
        _trend_values(daily, "memory_avg"),
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
    return figure


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
