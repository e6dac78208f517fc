"""netmon's view of itself: job accounting, poll durations, the process, display names.

``JobAccounting`` is fed by the daemon (``agent.daemon``): every job the scheduler makes due is
*scheduled*; it then either *runs* (polls its device, its duration goes into a histogram) or is
*skipped* with a reason (``overlap``: the previous run of the same job is still going;
``backoff``: the device did not answer and is retried later; ``disabled``: the device was
removed or the daemon is stopping). A job that starts noticeably after its due time is *late*.
Skips for overlap and late starts mean the poller is starved, which ``NetmonFallingBehind``
pages on; before these counters that was only a log line per job.

``SelfCollector`` renders the accounting with every known label set present at 0 from the
first scrape (Prometheus' instrumentation advice: a counter that appears only with its first
increment makes ``rate()`` and ``increase()`` miss that increment). It also renders
``netmon_device_display_info``: the Chinese names that alert texts show instead of label codes
(the site's is the inventory's ``site_name``, else its code).

``register_self_metrics`` adds all of it, plus prometheus_client's process (RSS, CPU, open
file descriptors), platform and GC collectors, to the daemon's registry.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client import GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

if TYPE_CHECKING:
    from agent.state import FleetState

COLLECTOR_KINDS: tuple[str, ...] = ("health", "config", "signatures")
SKIP_REASONS: tuple[str, ...] = ("overlap", "backoff", "disabled")
# Poll durations: SNMP answers in tens of milliseconds, SSH sessions take seconds, a job times
# out at 120 s by default.
DURATION_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

# Names people use for the inventory's vendor and kind codes: the vendors' and kinds' usual
# Chinese names (vendors.md). Sites are named in the inventory itself (``site_name``).
VENDOR_NAMES: dict[str, str] = {
    "topsec": "天融信",
    "leadsec": "网御星云",
    "venustech": "启明星辰",
    "nsfocus": "绿盟",
    "h3c": "华三",
    "huawei": "华为",
}
KIND_NAMES: dict[str, str] = {
    "firewall": "防火墙",
    "ids": "入侵检测",
    "av-gateway": "防病毒网关",
    "vpn": "VPN 网关",
    "behaviour-management": "上网行为管理",
    "network-audit": "网络审计",
    "security-audit": "安全审计",
    "switch": "交换机",
}


def display_name(vendor: str, model: str, kind: str) -> str:
    """``华三 S5500 交换机`` for (h3c, S5500, switch); unknown codes are kept as they are."""
    return f"{VENDOR_NAMES.get(vendor, vendor)} {model} {KIND_NAMES.get(kind, kind)}"


class JobAccounting:
    """Thread-safe counters of the daemon's jobs per collector kind (and skip reason)."""

    def __init__(
        self,
        kinds: Iterable[str] = COLLECTOR_KINDS,
        buckets: Sequence[float] = DURATION_BUCKETS,
    ) -> None:
        self.kinds = tuple(kinds)
        self.buckets = tuple(sorted(buckets))
        self._lock = threading.Lock()
        self.scheduled = dict.fromkeys(self.kinds, 0)
        self.run = dict.fromkeys(self.kinds, 0)
        self.late = dict.fromkeys(self.kinds, 0)
        self.skipped = {(k, r): 0 for k in self.kinds for r in SKIP_REASONS}
        # per kind: counts per bucket (the last one is +Inf), and the sum of durations
        self._bucket_counts = {k: [0] * (len(self.buckets) + 1) for k in self.kinds}
        self._duration_sum = dict.fromkeys(self.kinds, 0.0)

    def _known(self, kind: str) -> None:
        if kind not in self.scheduled:  # a kind added later: start it at 0 like the others
            self.kinds = (*self.kinds, kind)
            self.scheduled[kind] = self.run[kind] = self.late[kind] = 0
            for reason in SKIP_REASONS:
                self.skipped[(kind, reason)] = 0
            self._bucket_counts[kind] = [0] * (len(self.buckets) + 1)
            self._duration_sum[kind] = 0.0

    def job_scheduled(self, kind: str, *, late: bool = False) -> None:
        with self._lock:
            self._known(kind)
            self.scheduled[kind] += 1
            if late:
                self.late[kind] += 1

    def job_skipped(self, kind: str, reason: str) -> None:
        if reason not in SKIP_REASONS:
            raise ValueError(f"unknown skip reason {reason!r}; one of {SKIP_REASONS}")
        with self._lock:
            self._known(kind)
            self.skipped[(kind, reason)] += 1

    def job_ran(self, kind: str, duration_seconds: float) -> None:
        with self._lock:
            self._known(kind)
            self.run[kind] += 1
            self._bucket_counts[kind][bisect.bisect_left(self.buckets, duration_seconds)] += 1
            self._duration_sum[kind] += duration_seconds

    def histogram(self, kind: str) -> tuple[list[tuple[str, float]], float]:
        """Cumulative buckets (``le``, count) including +Inf, and the sum."""
        with self._lock:
            counts = list(self._bucket_counts[kind])
            total = self._duration_sum[kind]
        bounds = [*(f"{b:g}" for b in self.buckets), "+Inf"]
        cumulative, running = [], 0
        for bound, count in zip(bounds, counts, strict=True):
            running += count
            cumulative.append((bound, float(running)))
        return cumulative, total


class SelfCollector(Collector):
    """Renders ``JobAccounting`` and the devices' display names on each scrape."""

    def __init__(self, accounting: JobAccounting, state: FleetState | None = None) -> None:
        self.accounting = accounting
        self.state = state

    def describe(self) -> list[Metric]:
        return []  # collect() only when scraped

    def collect(self) -> Iterator[Metric]:
        acc = self.accounting
        with acc._lock:
            kinds = acc.kinds
            scheduled, run, late = dict(acc.scheduled), dict(acc.run), dict(acc.late)
            skipped = dict(acc.skipped)
        families = (
            ("netmon_jobs_scheduled", "jobs the scheduler made due", scheduled),
            ("netmon_jobs_run", "jobs that polled their device", run),
            ("netmon_jobs_late", "jobs that started late (a starved daemon)", late),
        )
        for name, doc, values in families:
            family = CounterMetricFamily(name, doc, labels=["collector"])
            for kind in kinds:
                family.add_metric([kind], float(values[kind]))
            yield family
        family = CounterMetricFamily(
            "netmon_jobs_skipped",
            "jobs that did not poll, by reason (overlap, backoff, disabled)",
            labels=["collector", "reason"],
        )
        for kind in kinds:
            for reason in SKIP_REASONS:
                family.add_metric([kind, reason], float(skipped[(kind, reason)]))
        yield family
        histogram = HistogramMetricFamily(
            "netmon_poll_duration_seconds", "duration of each poll", labels=["collector"]
        )
        for kind in kinds:
            buckets, total = acc.histogram(kind)
            histogram.add_metric([kind], buckets, total)
        yield histogram
        if self.state is not None:
            yield self._display_info()

    def _display_info(self) -> GaugeMetricFamily:
        assert self.state is not None
        family = GaugeMetricFamily(
            "netmon_device_display_info",
            "the names alert texts show for a device; always 1",
            labels=["device", "display_name", "site_name"],
        )
        for device in self.state.view().devices:
            info = device.info
            family.add_metric(
                [info.name, display_name(info.vendor, info.model, info.kind), info.site_label],
                1.0,
            )
        return family


def register_self_metrics(
    registry: CollectorRegistry, accounting: JobAccounting, state: FleetState | None = None
) -> None:
    """The daemon's own series on its registry: jobs, poll durations, process, Python."""
    registry.register(SelfCollector(accounting, state))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
