"""The health jobs' trigger keeps the configured interval on average, whatever the jitter
(APScheduler's own IntervalTrigger adds the jitter up: interval + jitter / 2 per period)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from apscheduler.triggers.interval import IntervalTrigger

from agent.steady_trigger import SteadyIntervalTrigger

ANCHOR = dt.datetime(2026, 12, 6, 8, 0, 7, tzinfo=dt.UTC)


def fire_times(trigger: IntervalTrigger, first: dt.datetime, count: int) -> list[dt.datetime]:
    times = [first]
    for _ in range(count - 1):
        times.append(trigger.get_next_fire_time(times[-1], times[-1]))
    return times


def test_every_run_is_its_grid_point_plus_at_most_the_jitter() -> None:
    random.seed(1)
    times = fire_times(SteadyIntervalTrigger(30, ANCHOR, jitter=5), ANCHOR, 2_000)
    for step, moment in enumerate(times):
        offset = (moment - (ANCHOR + dt.timedelta(seconds=30 * step))).total_seconds()
        assert 0 <= offset <= 5, (step, offset)
    period = (times[-1] - times[0]).total_seconds() / (len(times) - 1)
    assert abs(period - 30) < 0.01


def test_apschedulers_own_trigger_drifts_which_is_why_netmon_has_its_own() -> None:
    """If this ever fails, APScheduler stopped adding the jitter up and the steady trigger
    may be dropped."""
    random.seed(1)
    drifting = IntervalTrigger(seconds=30, jitter=5, start_date=ANCHOR, timezone=dt.UTC)
    times = fire_times(drifting, ANCHOR, 2_000)
    period = (times[-1] - times[0]).total_seconds() / (len(times) - 1)
    assert 32 < period < 33


def test_the_jitter_stays_below_half_the_interval() -> None:
    """A jitter as long as the interval would let a late run pass for the next grid point
    and skip a poll; it is capped instead."""
    random.seed(2)
    times = fire_times(SteadyIntervalTrigger(10, ANCHOR, jitter=30), ANCHOR, 500)
    steps = [round((t - ANCHOR).total_seconds() // 10) for t in times]
    assert steps == list(range(500))


def test_the_first_fire_time_without_a_previous_run_is_the_next_grid_point() -> None:
    trigger = SteadyIntervalTrigger(60, ANCHOR)
    assert trigger.get_next_fire_time(None, ANCHOR - dt.timedelta(seconds=5)) == ANCHOR
    later = ANCHOR + dt.timedelta(seconds=61)
    assert trigger.get_next_fire_time(None, later) == ANCHOR + dt.timedelta(seconds=120)


def test_a_short_interval_without_jitter_moves_on_every_time() -> None:
    """Fire times are kept to the microsecond: a grid point read back must not give itself
    again (the scheduler would fire it in a loop)."""
    start = dt.datetime(2026, 12, 6, 8, 0, 0, 123457, tzinfo=dt.UTC)
    times = fire_times(SteadyIntervalTrigger(0.05, start), start, 1_000)
    assert all(later > earlier for earlier, later in itertools.pairwise(times))
    assert abs((times[-1] - start).total_seconds() - 999 * 0.05) < 0.001
