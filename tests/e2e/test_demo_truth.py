"""``netmon demo`` tells the truth (issue 14): its /metrics pass ``promtool check metrics``,
and under a CPU hog on the host (busy-loop processes, bounded in time) no device reads as down,
because the lab runs in a process of its own; the daemon's own series show the load instead.

Slow (about 2 minutes: the fleet's start, a 30 s hog and its aftermath); everything on
127.0.0.1 and 127.x addresses, ports picked at random or free.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import require_tool
from tests.support.demo import spawn_demo

ROOT = Path(__file__).resolve().parents[2]
FLEET_SIZE = 40
STARTUP_WAIT = 150.0  # upper bounds for conditions; never asserted as durations
HOG_SECONDS = 30.0

pytestmark = [pytest.mark.lab, pytest.mark.timeout(420)]


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def device_up(text: str) -> dict[str, float]:
    return {
        sample.labels["device"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "netmon_device_up"
    }


def counter(text: str, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("demo-truth")
    env = {**os.environ, "NETMON_STATE_DIR": str(tmp / "state")}
    env.pop("NETMON_DB_URL", None)
    env.pop("NETMON_LAB_DIR", None)  # the demo's own private lab directory
    process = spawn_demo(env, tmp / "demo.err")
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.decode(errors="replace"))

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + STARTUP_WAIT
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            url = next((m.group(0) for x in lines if (m := re.search(r"http://\S+", x))), None)
            time.sleep(0.5)
        if url is None:
            pytest.fail("demo did not start: " + (tmp / "demo.err").read_text()[-3000:])
        lab_line = next(x for x in lines if x.strip().startswith("lab:"))
        lab_dir = Path(lab_line.split(":", 1)[1].split()[0])
        assert lab_dir.name.startswith("netmon-demo-lab-")  # private to this run
        while len([v for v in device_up(scrape(url)).values() if v == 1]) < FLEET_SIZE:
            if time.monotonic() > deadline:
                pytest.fail(f"the fleet never came up: {device_up(scrape(url))}")
            time.sleep(2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert not lab_dir.exists(), "the private lab directory is removed at exit"


def test_demo_metrics_pass_promtool_check_metrics(demo: str) -> None:
    promtool = require_tool("promtool", "prometheus")
    text = scrape(demo)
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # netmon's own series are there from the first scrape
    for name in ("netmon_jobs_scheduled_total", "process_resident_memory_bytes"):
        assert name in text
    assert 'netmon_collector_errors_total{collector="health"' in text


def test_no_device_reads_as_down_under_a_cpu_hog(demo: str) -> None:
    """Busy loops on every core (and then some) for 30 s: the poller is starved, the lab in its
    own process answers; no device may read as down during or after the hog."""
    hogs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import time\nend = time.monotonic() + {HOG_SECONDS}\n"
                "while time.monotonic() < end:\n    pass\n",
            ]
        )
        for _ in range(2 * (os.cpu_count() or 2))
    ]
    seen_down: dict[str, float] = {}
    try:
        before = scrape(demo)
        end = time.monotonic() + HOG_SECONDS + 25  # and two health intervals after it
        while time.monotonic() < end:
            for device, value in device_up(scrape(demo)).items():
                if value == 0:
                    seen_down[device] = time.monotonic()
            time.sleep(2)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait(timeout=10)
    after = scrape(demo)
    assert not seen_down, f"devices read as down under CPU load: {sorted(seen_down)}"
    ran = counter(after, "netmon_jobs_run_total") - counter(before, "netmon_jobs_run_total")
    assert ran > 0, "the daemon kept polling"
    late = counter(after, "netmon_jobs_late_total") - counter(before, "netmon_jobs_late_total")
    overlap = counter(after, "netmon_jobs_skipped_total", reason="overlap") - counter(
        before, "netmon_jobs_skipped_total", reason="overlap"
    )
    print(
        f"\nunder a {HOG_SECONDS:g} s CPU hog: {ran:.0f} jobs run, {late:.0f} late, "
        f"{overlap:.0f} skipped (overlap), 0 devices down"
    )
