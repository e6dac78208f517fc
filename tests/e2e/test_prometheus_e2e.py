"""End to end: ``netmon demo`` scraped by a real Prometheus with the shipped configuration and
rules, alerts through a real Alertmanager to a webhook of this test's own.

Everything listens on 127.0.0.1 on free ports. The faults are switched with ``netmon lab
fault`` (a subprocess, as an operator would) all at once, right after the fleet is seen up, so
that the alert waits (the shipped rules' ``for:``) overlap and the module stays within a
few minutes. Prometheus scrapes and evaluates every 2 s here instead of 15 s; nothing else in
the shipped files is changed: the rules keep their production `for:` and Alertmanager runs the
shipped route tree and inhibit rules, with every receiver replaced by a webhook of this test.
What the on-call receives is counted in notifications (webhook POSTs), not alerts: exactly one
for a switched-off box (none for its collectors), one for all the stale libraries of the fleet,
none for a configuration changed before any baseline was approved.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import require_tool, strict
from tests.support.demo import spawn_demo

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "prometheus"
FLEET_SIZE = 40
INTERVAL = "2s"
STARTUP_WAIT = 90.0  # seconds, upper bounds for conditions; never asserted as durations
ALERT_WAIT = 240.0  # the fleet-wide route waits 2 minutes (group_wait) before its message

DOWN_DEVICE = "h3c-s5500-02"
FAN_DEVICE = "topsec-ngfw4000-02"
CONFIG_DEVICE = "huawei-s5700-01"

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


# -- the webhook receiver --------------------------------------------------------------------
@dataclass
class Webhook:
    alerts: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    # every POST: (when, receiver path, payload): one notification to a person
    notifications: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notified(self, alertname: str, device: str | None = None) -> list[dict[str, Any]]:
        """The notifications (payloads) carrying a firing ``alertname`` (for ``device``)."""
        with self.lock:
            return [
                payload
                for _at, _path, payload in self.notifications
                if any(
                    alert.get("status") == "firing"
                    and alert["labels"].get("alertname") == alertname
                    and (device is None or alert["labels"].get("device") == device)
                    for alert in payload.get("alerts", [])
                )
            ]

    def received(self, alertname: str, device: str | None = None) -> float | None:
        """When the first firing ``alertname`` (for ``device``, if given) arrived."""
        with self.lock:
            for at, alert in self.alerts:
                labels = alert.get("labels", {})
                if (
                    alert.get("status") == "firing"
                    and labels.get("alertname") == alertname
                    and (device is None or labels.get("device") == device)
                ):
                    return at
        return None


def start_webhook(webhook: Webhook) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            now = time.monotonic()
            payload = json.loads(body)
            with webhook.lock:
                webhook.alerts.extend((now, alert) for alert in payload.get("alerts", []))
                webhook.notifications.append((now, self.path, payload))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- processes -------------------------------------------------------------------------------
def start_process(args: list[str], log: Path, **options: Any) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, **options)


def stop_process(process: subprocess.Popen[Any]) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None
    return process.returncode


def http_json(url: str, params: dict[str, str] | None = None) -> Any:
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    metrics_url: str
    prometheus: str
    webhook: Webhook
    demo: subprocess.Popen[bytes]
    started: float = field(default_factory=time.time)
    faults_at: float = 0.0
    # metric sample name -> devices that have it, from /metrics while the whole fleet is up
    healthy: dict[str, set[str]] = field(default_factory=dict)

    def query_range(self, expression: str) -> list[dict[str, Any]]:
        """Over the whole test: a panel that had data at any point had data."""
        reply = http_json(
            f"{self.prometheus}/api/v1/query_range",
            {
                "query": expression,
                "start": f"{self.started:.3f}",
                "end": f"{time.time():.3f}",
                "step": "2",
            },
        )
        assert reply["status"] == "success", reply
        return list(reply["data"]["result"])

    def query(self, expression: str) -> list[dict[str, Any]]:
        reply = http_json(f"{self.prometheus}/api/v1/query", {"query": expression})
        assert reply["status"] == "success", reply
        return list(reply["data"]["result"])

    def netmon(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "agent.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )


def demo_banner(process: subprocess.Popen[bytes], lines: list[str]) -> None:
    assert process.stdout is not None
    for raw in process.stdout:
        lines.append(raw.decode(errors="replace").rstrip("\n"))
        if lines[-1].startswith("running until"):
            return


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus_bin = require_tool("prometheus", "prometheus")
    alertmanager_bin = require_tool("prometheus-alertmanager", "prometheus-alertmanager")
    rules = sorted((DEPLOY / "rules").glob("*.rules.yml"))
    if not (DEPLOY / "prometheus.yml").is_file() or not rules:
        message = "deploy/prometheus/prometheus.yml or its rules are missing"
        if strict():
            pytest.fail(message)
        pytest.skip(message)
    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "NETMON_LAB_DIR": str(tmp / "lab"), "NETMON_STATE_DIR": str(tmp / "state")}
    env.pop("NETMON_DB_URL", None)
    processes: list[subprocess.Popen[Any]] = []
    webhook = Webhook()
    receiver = start_webhook(webhook)
    try:
        # The demo: the whole fleet's lab on a random 127.x/16 and ports, metrics on a free port.
        demo = spawn_demo(env, tmp / "demo.err")
        processes.append(demo)
        banner: list[str] = []
        reader = threading.Thread(target=demo_banner, args=(demo, banner), daemon=True)
        reader.start()
        reader.join(STARTUP_WAIT)
        urls = [m.group(0) for line in banner if (m := re.search(r"http://\S+/metrics", line))]
        if not urls or demo.poll() is not None:
            pytest.fail(
                "netmon demo did not start:\n"
                + "\n".join(banner)
                + (tmp / "demo.err").read_text(errors="replace")[-3000:]
            )
        metrics_url = urls[0]
        demo_target = urllib.parse.urlsplit(metrics_url).netloc
        # Keep draining the demo's stdout so it never blocks on a full pipe.
        threading.Thread(target=lambda: demo.stdout and demo.stdout.read(), daemon=True).start()

        # Alertmanager: the shipped routes, timings and inhibit rules; each receiver a webhook.
        am_port = free_port()
        am_config = tmp / "alertmanager.yml"
        shipped = yaml.safe_load(
            (ROOT / "deploy" / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8")
        )
        hook = f"http://127.0.0.1:{receiver.server_address[1]}"
        am_config.write_text(
            yaml.safe_dump(
                {
                    "route": shipped["route"],
                    "inhibit_rules": shipped["inhibit_rules"],
                    "receivers": [
                        {
                            "name": r["name"],
                            "webhook_configs": [
                                {"url": f"{hook}/{r['name']}", "send_resolved": False}
                            ],
                        }
                        for r in shipped["receivers"]
                    ],
                }
            )
        )
        processes.append(
            start_process(
                [
                    alertmanager_bin,
                    f"--config.file={am_config}",
                    f"--storage.path={tmp / 'am'}",
                    f"--web.listen-address=127.0.0.1:{am_port}",
                    "--cluster.listen-address=",
                ],
                tmp / "alertmanager.log",
            )
        )

        # Prometheus: the shipped configuration, pointed at our ports, faster intervals.
        prom_port = free_port()
        config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
        config["global"].update(
            scrape_interval=INTERVAL, scrape_timeout=INTERVAL, evaluation_interval=INTERVAL
        )
        config["rule_files"] = [str(DEPLOY / "rules" / "*.rules.yml")]
        config["alerting"]["alertmanagers"] = [
            {"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}
        ]
        for job in config["scrape_configs"]:
            target = demo_target if job["job_name"] == "netmon" else f"127.0.0.1:{prom_port}"
            job["static_configs"] = [{"targets": [target]}]
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
        processes.append(
            start_process(
                [
                    prometheus_bin,
                    f"--config.file={tmp / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                tmp / "prometheus.log",
            )
        )
        prometheus = f"http://127.0.0.1:{prom_port}"
        for url in (f"{prometheus}/-/ready", f"http://127.0.0.1:{am_port}/-/ready"):
            wait_for(
                lambda url=url: urllib.request.urlopen(url, timeout=2).status == 200,
                f"{url} to be ready",
                STARTUP_WAIT,
            )
        yield Stack(tmp, env, metrics_url, prometheus, webhook, demo)
    finally:
        codes = [stop_process(p) for p in reversed(processes)]
        receiver.shutdown()
    # SIGTERM drains the demo and it exits cleanly.
    assert codes[-1] == 0, (tmp / "demo.err").read_text(errors="replace")[-3000:]


def scrape_devices(metrics_url: str) -> dict[str, set[str]]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(metrics_url, timeout=10) as response:
        text = response.read().decode()
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, set()).add(sample.labels.get("device", ""))
    return found


def up_devices(stack: Stack) -> set[str]:
    return {r["metric"]["device"] for r in stack.query("netmon_device_up == 1")}


@pytest.fixture(scope="module")
def fleet_up(stack: Stack) -> Stack:
    wait_for(
        lambda: len(up_devices(stack)) == FLEET_SIZE,
        "all 40 devices up in Prometheus",
        STARTUP_WAIT,
    )
    stack.healthy = scrape_devices(stack.metrics_url)
    return stack


@pytest.fixture(scope="module")
def faults(fleet_up: Stack) -> Stack:
    """Every fault at once, so the alerts' `for:` windows run side by side."""
    # Drift is measured against the first version stored: change the configuration only
    # once the daemon has fetched it (config runs every 60 s in the demo).
    wait_for(
        lambda: (
            CONFIG_DEVICE in scrape_devices(fleet_up.metrics_url).get("netmon_config_drift", set())
        ),
        f"a first configuration of {CONFIG_DEVICE}",
        STARTUP_WAIT,
    )
    fleet_up.faults_at = time.monotonic()
    for device, fault in (
        (DOWN_DEVICE, "down"),
        (FAN_DEVICE, "fan-fail"),
        (FAN_DEVICE, "psu-fail"),
        (CONFIG_DEVICE, "config-change"),
    ):
        result = fleet_up.netmon("lab", "fault", device, fault)
        assert result.returncode == 0, result.stderr
    return fleet_up


# -- the tests, in the order they run -------------------------------------------------------
def test_all_devices_up_with_info(fleet_up: Stack) -> None:
    assert len(up_devices(fleet_up)) == FLEET_SIZE
    info = fleet_up.query("netmon_device_info")
    assert len({r["metric"]["device"] for r in info}) == FLEET_SIZE
    scrape = fleet_up.query('scrape_duration_seconds{job="netmon"}')
    samples = fleet_up.query('scrape_samples_scraped{job="netmon"}')
    print(
        f"\n/metrics scrape of the demo fleet: {float(scrape[0]['value'][1]) * 1000:.1f} ms, "
        f"{samples[0]['value'][1]} samples"
    )


def find_dashboard_queries() -> Callable[[], list[Any]] | None:
    """``dashboard_queries`` from tests/deploy (written alongside the dashboards)."""
    for path in sorted((ROOT / "tests" / "deploy").glob("*.py")):
        if "def dashboard_queries" not in path.read_text(encoding="utf-8"):
            continue
        spec = importlib.util.spec_from_file_location(f"_netmon_deploy_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module.dashboard_queries  # type: ignore[no-any-return]
    return None


def wait_for_alert(stack: Stack, alertname: str, device: str | None) -> float:
    """Seconds from the faults being switched on to the alert at the webhook."""
    arrived = wait_for(
        lambda: stack.webhook.received(alertname, device),
        f"{alertname} for {device or 'any device'} at the webhook",
        ALERT_WAIT - (time.monotonic() - stack.faults_at),
    )
    return float(arrived) - stack.faults_at


def test_device_down_reaches_the_webhook_once(faults: Stack) -> None:
    latency = wait_for_alert(faults, "NetmonDeviceDown", DOWN_DEVICE)
    print(
        f"\nNetmonDeviceDown at the webhook {latency:.0f} s after `netmon lab fault "
        f"{DOWN_DEVICE} down` (production rule timings, scrape and evaluation every {INTERVAL})"
    )
    # Only the device that went down.
    assert {r["metric"]["device"] for r in faults.query("netmon_device_up == 0")} == {DOWN_DEVICE}
    assert faults.webhook.received("NetmonDeviceDown", FAN_DEVICE) is None
    # Its collectors fail too (health every 10 s in the demo: stalled after 30 s), but they
    # are its outage, not news: past the critical route's group_interval (1 m), still one
    # notification for the box and none for its collectors.
    time.sleep(70)
    notified = faults.webhook.notified("NetmonDeviceDown", DOWN_DEVICE)
    assert len(notified) == 1, notified
    assert faults.webhook.notified("NetmonCollectorFailing", DOWN_DEVICE) == []
    pages = [
        alert["labels"]["alertname"]
        for payload in faults.webhook.notified("NetmonDeviceDown", DOWN_DEVICE)
        for alert in payload["alerts"]
    ]
    assert pages == ["NetmonDeviceDown"]


def test_fan_failure_fires_its_alert(faults: Stack) -> None:
    latency = wait_for_alert(faults, "NetmonFanFailed", FAN_DEVICE)
    print(f"\nNetmonFanFailed at the webhook {latency:.0f} s after the fault")
    failed = faults.query("netmon_fan_ok == 0")
    assert {r["metric"]["device"] for r in failed} == {FAN_DEVICE}


def test_configuration_change_before_a_baseline_is_not_drift(faults: Stack) -> None:
    """Nobody approved a baseline in the demo: the change is "no baseline" (-1), no alert."""
    wait_for(
        lambda: faults.query(
            f'netmon_config_last_change_timestamp_seconds{{device="{CONFIG_DEVICE}"}}'
        ),
        f"the changed configuration of {CONFIG_DEVICE} fetched",
        ALERT_WAIT,
    )
    (state,) = faults.query(f'netmon_config_drift{{device="{CONFIG_DEVICE}"}}')
    assert state["value"][1] == "-1"
    time.sleep(10)  # NetmonConfigDrift has no `for:`: it would be at the webhook by now
    assert faults.webhook.notified("NetmonConfigDrift") == []


def test_stale_signature_libraries_are_one_notification(faults: Stack) -> None:
    # The lab's libraries were released 30 days ago (agent/lab/cli/*.toml `age_days`): older
    # than the 7-day limit for antivirus libraries, so they are stale without any fault.
    latency = wait_for_alert(faults, "NetmonSignatureStale", None)
    print(f"\nNetmonSignatureStale at the webhook {latency:.0f} s after the faults")
    stale = {r["metric"]["device"] for r in faults.query("netmon_signature_stale == 1")}
    assert len(stale) > 1
    (message,) = faults.webhook.notified("NetmonSignatureStale")
    listed = {alert["labels"]["device"] for alert in message["alerts"]}
    print(f"one message for {len(listed)} devices with a stale library ({len(stale)} stale now)")
    assert len(listed) > 1 and listed <= stale


def metrics_of(expression: str) -> set[str]:
    return set(re.findall(r"\bnetmon_[a-z_]+", expression)) - {"netmon_device_info"}


def test_every_dashboard_query_returns_data(faults: Stack) -> None:
    """Runs after the alert tests: by then a device is down, a fan and a PSU failed and alerts
    fire, so the fleet's problem panels have something to show too."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.deploy.dashboards import dashboard_queries

    queries = dashboard_queries()
    assert queries
    per_device_checked: list[str] = []
    empty: list[str] = []
    unavailable: list[str] = []  # no netmon series of that name exists at all yet

    current = scrape_devices(faults.metrics_url)
    known = {
        name: faults.healthy.get(name, set()) | current.get(name, set())
        for name in faults.healthy.keys() | current.keys()
    }

    def has_data(expression: str) -> bool:
        return bool(faults.query_range(expression))

    with ThreadPoolExecutor(8) as pool:
        for query in queries:
            names = metrics_of(query.expr)
            if names and not all(name in known for name in names):
                unavailable.append(f"{query}: {query.expr}")
                continue
            if "$device" in query.expr or "${device}" in query.expr:
                expected = (
                    set.intersection(*(faults.healthy.get(n, set()) for n in names))
                    if names
                    else set()
                )
                concrete = [query.concrete({"device": d}) for d in sorted(expected)]
                missing = [
                    d
                    for d, ok in zip(sorted(expected), pool.map(has_data, concrete), strict=True)
                    if not ok
                ]
                assert not missing, f"{query}: no data for {missing}"
                if len(expected) == FLEET_SIZE:
                    per_device_checked.append(query.expr)
            elif not has_data(query.concrete()):
                empty.append(f"{query}: {query.expr}")
    assert not empty, "dashboard queries without data:\n" + "\n".join(empty)
    # The device dashboard's core panels were checked for every one of the 40 devices.
    for core in (
        "netmon_device_up",
        "netmon_cpu_usage_ratio",
        "netmon_memory_usage_ratio",
        "netmon_fan_ok",
        "netmon_interface_up",
        "netmon_temperature_celsius",
    ):
        assert any(core in expr for expr in per_device_checked), core
    # Nobody approves a baseline during the demo, so no approval time exists either.
    allowed = {"netmon_config_baseline_timestamp_seconds"}
    # The store's own series come from its collector (agent/store, a separate module); a
    # branch without it has no such series yet.
    allowed |= {"netmon_store_available", "netmon_store_writes_pending"}
    for line in unavailable:
        assert metrics_of(line.split(": ", 1)[1]) & allowed, line


def documented_names() -> set[str]:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    return set(re.findall(r"`(netmon_[a-z_]+)`", text))
