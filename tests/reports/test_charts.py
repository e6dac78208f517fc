"""Charts for a day, a week and a month: the plot area shows the data (pixel test on the PNG)
and the Chart block records how many points were drawn."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from matplotlib import image

from agent.reports import charts
from agent.reports.data import DailyFigures

LABELS = {"cpu_avg": "CPU", "cpu_max": "CPU max", "memory_avg": "mem", "usage_axis": "%"}
CPU_BLUE = np.array([0x1F, 0x5F, 0xA8]) / 255


def _days(count: int) -> list[DailyFigures]:
    first = dt.date(2026, 4, 1)
    return [
        DailyFigures(first + dt.timedelta(days=n), 0.3 + 0.01 * n, 0.6, 0.5, 0.55)
        for n in range(count)
    ]


def _pixels_of(png: bytes, colour: np.ndarray) -> int:
    pixels = image.imread(io.BytesIO(png))[..., :3]
    return int((np.abs(pixels - colour).max(axis=-1) < 0.08).sum())


@pytest.mark.parametrize("count", [1, 7, 30])
def test_trend_chart_plots_its_days(count: int) -> None:
    daily = _days(count)
    png = charts.trend_chart(daily, LABELS)
    assert charts.trend_points(daily) == 3 * count
    # The CPU lines (for one day, their markers) are drawn: more blue than the legend's
    # swatches alone, which is what a chart of the same days without values shows.
    empty = [DailyFigures(point.day, None, None, None, None) for point in daily]
    legend_only = _pixels_of(charts.trend_chart(empty, LABELS), CPU_BLUE)
    assert _pixels_of(png, CPU_BLUE) > legend_only + 30


def test_missing_values_are_not_counted_as_points() -> None:
    daily = [DailyFigures(dt.date(2026, 4, 1), None, None, 0.5, 0.5)]
    assert charts.trend_points(daily) == 1


def test_availability_chart_has_bars() -> None:
    png = charts.availability_chart([("fw-1", 0.995), ("sw-1", 0.90)], "%")
    red = np.array([0xC6, 0x28, 0x28]) / 255
    assert _pixels_of(png, red) > 200


def _full_draw(daily: list[DailyFigures]) -> bytes:
    """The chart as savefig draws it from scratch: what the cached frame must reproduce."""
    figure = charts._trend_figure(daily, LABELS)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


@pytest.mark.parametrize("count", [1, 7, 31])
def test_charts_drawn_on_a_kept_frame_equal_full_draws(count: int) -> None:
    """Devices after the first reuse its frame: each PNG is byte for byte the full draw,
    whatever the values (gaps, 0 % and 100 % on the axes' edges, none at all)."""
    first = dt.date(2026, 5, 1)
    values = (None, 0.0, 1.0, 0.42, 0.9)
    devices = [
        [
            DailyFigures(
                first + dt.timedelta(days=n),
                values[(n + device) % 5],
                values[(n * 3 + device) % 5],
                values[(n + 2 * device) % 5],
                None,
            )
            for n in range(count)
        ]
        for device in range(4)
    ]
    devices.append([DailyFigures(point.day, None, None, None, None) for point in devices[0]])
    for daily in devices:
        assert charts.trend_chart(daily, LABELS) == _full_draw(daily)
