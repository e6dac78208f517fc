"""Counters that survive wraps and reboots.

A device's Counter32 wraps at 2**32 (a busy gigabit port every ~34 s at line rate) and every
counter restarts at zero when the box reboots. ``CounterTracker`` keeps, per device and
counter, the last raw value and the device's uptime, and turns successive raw readings into a
monotonic total (for Prometheus counters) and a per-second rate:

- raw value went down while uptime went up: a wrap, add ``modulus``;
- uptime went down: the box rebooted, start again from the new raw value (no rate this time).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

COUNTER32_MODULUS = 2**32
COUNTER64_MODULUS = 2**64


@dataclass
class _State:
    raw: int
    total: int
    uptime: float
    at: float


@dataclass(frozen=True)
class CounterReading:
    total: int  # monotonic since netmon first saw the counter (or since the last reboot)
    rate: float | None  # per second since the previous reading; None on first sight or reboot
    wrapped: bool
    rebooted: bool


class CounterTracker:
    def __init__(self) -> None:
        self._states: dict[tuple[str, str], _State] = {}
        self._lock = threading.Lock()

    def update(
        self,
        device: str,
        counter: str,
        raw: int,
        *,
        uptime: float,
        at: float,
        modulus: int = COUNTER32_MODULUS,
    ) -> CounterReading:
        key = (device, counter)
        with self._lock:
            previous = self._states.get(key)
            if previous is None:
                self._states[key] = _State(raw, raw, uptime, at)
                return CounterReading(raw, None, wrapped=False, rebooted=False)
            if uptime < previous.uptime:
                # The box restarted: its counters began again at zero.
                self._states[key] = _State(raw, previous.total + raw, uptime, at)
                return CounterReading(previous.total + raw, None, wrapped=False, rebooted=True)
            wrapped = raw < previous.raw
            delta = raw - previous.raw + (modulus if wrapped else 0)
            total = previous.total + delta
            elapsed = at - previous.at
            self._states[key] = _State(raw, total, uptime, at)
            rate = delta / elapsed if elapsed > 0 else None
            return CounterReading(total, rate, wrapped=wrapped, rebooted=False)

    def forget(self, device: str) -> None:
        with self._lock:
            for key in [k for k in self._states if k[0] == device]:
                del self._states[key]
