"""netmon watching itself (issue 14): job accounting (scheduled, run, skipped, late), poll
duration histogram, counters present at 0 from the first scrape, process series, display
names, a name set that ``promtool check metrics`` accepts, and logs for people (one record per
traceback, device failures once per state change)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agent.daemon import Daemon, JsonLogFormatter, Schedule, configure_logging
from agent.inventory import Device, load_inventory
from agent.metrics import build_registry
from agent.self_metrics import (
    JobAccounting,
    display_name,
    register_self_metrics,
)
from agent.state import FleetState
from tests.daemon.test_daemon import RecordingKind, fleet, until
from tests.support import require_tool


def scrape(state: FleetState, accounting: JobAccounting) -> str:
    registry = build_registry(state, version="9.9")
    register_self_metrics(registry, accounting, state)
    return generate_latest(registry).decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None


def fleet_state(devices: list[Device]) -> FleetState:
    state = FleetState()
    state.set_devices(devices)
    state.set_intervals({"health": 30.0, "config": 3600.0, "signatures": 21600.0})
    return state


# -- the first scrape -------------------------------------------------------------------------
def test_known_label_sets_exist_at_zero_from_the_first_scrape() -> None:
    devices = fleet(3)
    text = scrape(fleet_state(devices), JobAccounting())
    for device in devices:
        for collector in ("health", "config", "signatures"):
            for reason in ("timeout", "auth", "refused", "parse", "partial", "error"):
                labels = {"device": device.name, "collector": collector, "reason": reason}
                assert sample(text, "netmon_collector_errors_total", **labels) == 0, labels
    for collector in ("health", "config", "signatures"):
        for name in ("scheduled", "run", "late"):
            assert sample(text, f"netmon_jobs_{name}_total", collector=collector) == 0
        for reason in ("overlap", "backoff", "disabled"):
            labels = {"collector": collector, "reason": reason}
            assert sample(text, "netmon_jobs_skipped_total", **labels) == 0
        assert sample(text, "netmon_poll_duration_seconds_count", collector=collector) == 0
    # prometheus_client's process and Python collectors
    assert (sample(text, "process_resident_memory_bytes") or 0) > 0
    assert (sample(text, "process_open_fds") or 0) > 0
    assert sample(text, "python_info") == 1


def test_display_names_replace_label_codes() -> None:
    assert display_name("h3c", "S5500", "switch") == "华三 S5500 交换机"
    assert display_name("topsec", "NGFW4000", "firewall") == "天融信 NGFW4000 防火墙"
    assert display_name("acme", "X1", "router") == "acme X1 router"  # unknown: kept
    devices = fleet(40)
    text = scrape(fleet_state(devices), JobAccounting())
    names = display_infos(text)
    assert len(names) == 40
    # The shipped inventory names its one site in [defaults] site_name.
    assert {n["site_name"] for n in names.values()} == {"总部机房"}
    assert all(n["display_name"] for n in names.values())


def display_infos(text: str) -> dict[str, dict[str, str]]:
    return {
        s.labels["device"]: s.labels
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "netmon_device_display_info"
    }


SITES_INVENTORY = """
[defaults]
site = "headquarters"

[defaults.snmp]
community = { env = "NETMON_TEST_COMMUNITY" }

[defaults.ssh]
username = "netmon"
password = { env = "NETMON_TEST_SSH_PASSWORD" }

[sites.city-1]
name = "城区支队"

[[device]]
name = "fw-city"
vendor = "venustech"
model = "USG-FW-310-T-NF1600"
site = "city-1"
services = ["hardware"]
address = "192.0.2.2"

[[device]]
name = "sw-suburb"
vendor = "huawei"
model = "S5700"
site = "suburb-2"
site_name = "郊区大队"
services = ["hardware"]
address = "192.0.2.3"

[[device]]
name = "fw-hq"
vendor = "topsec"
model = "NGFW4000"
services = ["hardware"]
address = "192.0.2.1"
"""


def test_site_names_in_alert_texts_come_from_the_inventory(tmp_path: Path) -> None:
    path = tmp_path / "inventory.toml"
    path.write_text(SITES_INVENTORY, encoding="utf-8")
    text = scrape(fleet_state(list(load_inventory(path).devices)), JobAccounting())
    names = {device: labels["site_name"] for device, labels in display_infos(text).items()}
    # A [sites.<code>] name, a device's own site_name, and the code when the site has none.
    assert names == {"fw-city": "城区支队", "sw-suburb": "郊区大队", "fw-hq": "headquarters"}
    # A reload that renames the site renames it in the next scrape.
    renamed = tmp_path / "renamed.toml"
    renamed.write_text(SITES_INVENTORY.replace("城区支队", "城区二支队"), encoding="utf-8")
    state = fleet_state(list(load_inventory(path).devices))
    state.set_devices(load_inventory(renamed).devices)
    names = {
        d: labels["site_name"]
        for d, labels in display_infos(scrape(state, JobAccounting())).items()
    }
    assert names["fw-city"] == "城区二支队"


def test_the_full_exposition_passes_promtool_check_metrics() -> None:
    promtool = require_tool("promtool", "prometheus")
    devices = fleet()
    accounting = JobAccounting()
    accounting.job_scheduled("health", late=True)
    accounting.job_ran("health", 0.3)
    accounting.job_skipped("config", "backoff")
    text = scrape(fleet_state(devices), accounting)
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_poll_duration_histogram_is_cumulative() -> None:
    accounting = JobAccounting(["health"], buckets=(0.1, 1.0))
    for seconds in (0.05, 0.1, 0.5, 3.0):
        accounting.job_ran("health", seconds)
    buckets, total = accounting.histogram("health")
    assert buckets == [("0.1", 2.0), ("1", 3.0), ("+Inf", 4.0)]
    assert total == pytest.approx(3.65)
    with pytest.raises(ValueError, match="unknown skip reason"):
        accounting.job_skipped("health", "bored")


# -- the daemon counts its jobs ---------------------------------------------------------------
def test_skips_are_counted_by_reason() -> None:
    now = [0.0]
    kind = RecordingKind()
    kind.fake.reachable = False
    devices = fleet(1)
    name = devices[0].name

    async def main() -> Daemon:
        daemon = Daemon(
            [kind],
            devices,
            FleetState(),
            Schedule(intervals={"health": 10}, backoff_max=40),
            clock=lambda: now[0],
        )
        await daemon.run_job("health", name)  # 1st failure
        now[0] += 10
        await daemon.run_job("health", name)  # 2nd failure: backs off 20 s
        await daemon.run_job("health", name)  # skipped: backoff
        daemon._busy.add(("health", name))
        await daemon.run_job("health", name)  # skipped: overlap (our own guard)
        daemon._busy.clear()
        await daemon.run_job("health", "no-such-device")  # skipped: disabled
        await daemon.drain()
        return daemon

    accounting = asyncio.run(main()).accounting
    assert accounting.run["health"] == 2
    assert accounting.skipped[("health", "backoff")] == 1
    assert accounting.skipped[("health", "overlap")] == 1
    assert accounting.skipped[("health", "disabled")] == 1
    buckets, _ = accounting.histogram("health")
    assert buckets[-1] == ("+Inf", 2.0)


def test_a_starved_daemon_counts_late_and_skipped_jobs() -> None:
    """The event loop is blocked (as a CPU-starved or stuck poller would be) while a slow poll
    holds its job: the scheduler's late starts and refused overlapping runs are counted."""
    kind = RecordingKind()
    kind.fake.gate.clear()  # the first polls hang: later runs of the same job overlap
    devices = fleet(4)

    async def main() -> JobAccounting:
        daemon = Daemon(
            [kind],
            devices,
            FleetState(),
            Schedule(intervals={"health": 0.2}, jitter=0, first_run_spread=0),
        )
        await daemon.start()
        await until(lambda: kind.fake.active == 4, "the first polls start")
        await until(
            lambda: daemon.accounting.skipped[("health", "overlap")] >= 4,
            "the scheduler refuses overlapping runs",
        )
        kind.fake.gate.set()
        await asyncio.sleep(0.1)  # the slow polls finish
        time.sleep(1.5)  # starve: nothing on the loop runs, due jobs pile up
        await until(lambda: daemon.accounting.late["health"] >= 1, "late starts are counted")
        await daemon.drain()
        return daemon.accounting

    accounting = asyncio.run(main())
    assert accounting.late["health"] >= 1
    assert accounting.skipped[("health", "overlap")] >= 4
    assert accounting.scheduled["health"] >= accounting.run["health"]


# -- logs for people --------------------------------------------------------------------------
@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The daemon's logging set up into a buffer; the root logger restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in ("paramiko", "apscheduler")}
    stream = io.StringIO()
    configure_logging(logging.DEBUG, stream=stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_traceback_is_one_record_with_the_stack_in_a_field(json_log: io.StringIO) -> None:
    try:
        {}["missing"]
    except KeyError:
        logging.getLogger("netmon.test").error("boom", exc_info=True)
    logging.getLogger("netmon.test").warning("where", stack_info=True)
    (boom, where) = records(json_log)
    assert boom["msg"] == "boom" and boom["error"] == "KeyError: 'missing'"
    assert "Traceback (most recent call last)" in str(boom["traceback"])
    assert "test_a_traceback_is_one_record" in str(where["stack"])


def test_paramiko_tracebacks_do_not_reach_the_log(json_log: io.StringIO) -> None:
    transport = logging.getLogger("paramiko.transport")
    for line in ("Exception (client): error reading SSH protocol banner", "Traceback (most"):
        transport.error(line)
    assert records(json_log) == []


def test_device_failures_are_logged_once_per_state_change(json_log: io.StringIO) -> None:
    now = [0.0]
    kind = RecordingKind()
    kind.fake.reachable = False
    devices = fleet(1)
    name = devices[0].name

    async def main() -> None:
        daemon = Daemon(
            [kind],
            devices,
            FleetState(),
            Schedule(intervals={"health": 10}, backoff_max=10),
            clock=lambda: now[0],
        )
        for _ in range(5):
            await daemon.run_job("health", name)
            now[0] += 10
        kind.fake.reachable = True
        await daemon.run_job("health", name)
        now[0] += 10
        await daemon.run_job("health", name)
        await daemon.drain()

    asyncio.run(main())
    assert kind.fake.calls == 7
    logged = [r for r in records(json_log) if r.get("device") == name]
    warnings = [r for r in logged if r["level"] == "warning"]
    assert [(r["msg"], r["reason"]) for r in warnings] == [("device unreachable", "error")]
    assert [r["msg"] for r in logged if r["level"] == "info"] == ["device answers again"]
    assert not [r for r in records(json_log) if r["level"] == "error"]


def test_json_formatter_is_used_for_every_record(json_log: io.StringIO) -> None:
    logging.getLogger("netmon.test").info(
        "x", extra={"at": dt.datetime(2026, 12, 2, tzinfo=dt.UTC)}
    )
    (entry,) = records(json_log)
    assert entry["at"].startswith("2026-12-02")
    assert isinstance(logging.getLogger().handlers[0].formatter, JsonLogFormatter)
