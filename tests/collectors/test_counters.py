from collectors.counters import COUNTER64_MODULUS, CounterTracker


def test_first_reading_has_no_rate() -> None:
    reading = CounterTracker().update("fw1", "if1.in", 1000, uptime=100, at=0)
    assert reading.total == 1000
    assert reading.rate is None


def test_steady_growth_gives_rate_and_monotonic_total() -> None:
    tracker = CounterTracker()
    tracker.update("fw1", "c", 1000, uptime=100, at=0)
    reading = tracker.update("fw1", "c", 3000, uptime=110, at=10)
    assert reading.total == 3000
    assert reading.rate == 200
    assert not reading.wrapped


def test_counter32_wrap_is_not_a_reset() -> None:
    tracker = CounterTracker()
    tracker.update("fw1", "c", 2**32 - 100, uptime=100, at=0)
    reading = tracker.update("fw1", "c", 50, uptime=110, at=10)
    assert reading.wrapped
    assert reading.total == 2**32 + 50
    assert reading.rate == 15


def test_counter64_uses_its_own_modulus() -> None:
    tracker = CounterTracker()
    tracker.update("sw", "hc", COUNTER64_MODULUS - 10, uptime=5, at=0, modulus=COUNTER64_MODULUS)
    reading = tracker.update("sw", "hc", 10, uptime=6, at=1, modulus=COUNTER64_MODULUS)
    assert reading.rate == 20


def test_reboot_restarts_without_a_bogus_rate() -> None:
    tracker = CounterTracker()
    tracker.update("fw1", "c", 5_000_000, uptime=100_000, at=0)
    reading = tracker.update("fw1", "c", 700, uptime=30, at=60)
    assert reading.rebooted
    assert reading.rate is None
    assert reading.total == 5_000_700  # still monotonic for Prometheus
    after = tracker.update("fw1", "c", 1700, uptime=40, at=70)
    assert after.rate == 100


def test_devices_and_counters_are_kept_apart() -> None:
    tracker = CounterTracker()
    tracker.update("a", "c", 10, uptime=1, at=0)
    tracker.update("b", "c", 99, uptime=1, at=0)
    assert tracker.update("a", "c", 20, uptime=2, at=1).rate == 10
    tracker.forget("a")
    assert tracker.update("a", "c", 30, uptime=3, at=2).rate is None
