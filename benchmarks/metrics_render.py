"""/metrics render cost per scrape at N synthetic 48-port switches (issue 10 item 4).

Not a test: prints figures. For each N it fills a ``FleetState`` with N healthy devices
(5 components, 2 sensors, 48 interfaces with all counters, 2 uplinks each), then measures:

- ``full``: ``generate_latest`` over the registry, i.e. everything built from scratch (what
  every scrape cost before the incremental rendering);
- ``first``: the first incremental scrape (every device rendered once, filling the cache);
- ``steady``: a scrape after a quarter of the devices got a new health snapshot without a
  finished run (so the scrape renders them), which is what a 15 s scrape sees with a 60 s
  health interval;
- ``at runs``: the same quarter polled again as the daemon records it (snapshot, then
  ``record_run``, which re-renders the device there and then): the CPU spent at the runs;
- ``scrape``: the scrape after those runs, joining cached text;
- ``idle``: a scrape with nothing changed;

with ``interfaces = "all"`` and ``"uplinks"``, and the size of the answer.

    python3 benchmarks/metrics_render.py                 # N = 1,000 and 5,000
    python3 benchmarks/metrics_render.py --devices 200   # a quick run
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client.exposition import generate_latest

from agent.inventory import Device, SecretRef, SnmpSettings, SshSettings
from agent.metrics import InterfaceSelection, build_registry, exposition
from agent.state import FleetState
from collectors.base import Component, HealthSnapshot, Identity, Interface, Sensor

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _device(index: int) -> Device:
    return Device(
        name=f"sw-{index:05d}",
        vendor="h3c",
        model="S5560",
        kind="switch",
        site="headquarters",
        services=("hardware",),
        address=f"127.1.{index // 250}.{index % 250 + 1}",
        snmp=SnmpSettings(version="2c", community=SecretRef("env", "C")),
        ssh=SshSettings(port=22, username="netmon", password=SecretRef("env", "P")),
        uplinks=("GigabitEthernet1/0/47", "GigabitEthernet1/0/48"),
    )


def _health(name: str, tick: int) -> HealthSnapshot:
    ports = [
        Interface(
            i,
            f"GigabitEthernet1/0/{i}",
            i % 3 != 0,
            10**9,
            1_000_000 * i + tick,
            2_000_000 * i + tick,
            i,
            0,
            tick,
            0,
        )
        for i in range(1, 49)
    ]
    return HealthSnapshot(
        device=name,
        collected_at=NOW + dt.timedelta(seconds=tick),
        reachable=True,
        snmp_rtt_seconds=0.003,
        uptime_seconds=86400.0 + tick,
        cpu_ratio=0.2,
        memory_ratio=0.4,
        temperatures=[Sensor("board", 41.0), Sensor("cpu", 55.0)],
        fans=[Component("Fan 1", "ok", "1"), Component("Fan 2", "ok", "2")],
        power_supplies=[Component("PSU 1", "ok", "1"), Component("PSU 2", "ok", "2")],
        interfaces=ports,
        identity=Identity(sys_descr="H3C Comware Software Version 7.1.070"),
    )


def _fill(count: int) -> FleetState:
    state = FleetState()
    devices = [_device(i) for i in range(count)]
    state.set_devices(devices)
    state.set_intervals({"health": 60.0, "config": 3600.0, "signatures": 14400.0})
    for device in devices:
        state.update_health(_health(device.name, 0))
        state.record_run(device.name, "health", started_at=NOW, duration_seconds=0.05, success=True)
    return state


def _timed(call) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    # A full collection first, so one step does not pay for the garbage of the one before.
    gc.collect()
    started = time.process_time()
    body = call()
    return time.process_time() - started, len(body)


def _measure(count: int, full: bool) -> None:
    for mode in ("all", "uplinks"):
        state = _fill(count)
        names = state.device_names()
        registry = build_registry(state, "bench", InterfaceSelection(mode))
        row = [f"N={count:>5}", f"interfaces={mode:<7}"]
        if full:
            seconds, size = _timed(lambda registry=registry: generate_latest(registry))
            row.append(f"full {seconds:6.3f} s")
        seconds, size = _timed(lambda registry=registry: exposition(registry))
        row.append(f"first {seconds:6.3f} s")
        for tick, name in enumerate(names[: count // 4], start=1):
            state.update_health(_health(name, tick))
        seconds, size = _timed(lambda registry=registry: exposition(registry))
        row.append(f"steady {seconds:6.3f} s")

        def runs(state: FleetState = state, names: list[str] = names) -> bytes:
            for tick, name in enumerate(names[: count // 4], start=10_000):
                state.update_health(_health(name, tick))
                state.record_run(
                    name, "health", started_at=NOW, duration_seconds=0.05, success=True
                )
            return b""

        seconds, _ = _timed(runs)
        row.append(f"at runs {seconds:6.3f} s")
        seconds, size = _timed(lambda registry=registry: exposition(registry))
        row.append(f"scrape {seconds:6.3f} s")
        seconds, size = _timed(lambda registry=registry: exposition(registry))
        row.append(f"idle {seconds:6.3f} s")
        row.append(f"size {size / 1e6:6.2f} MB")
        print("  ".join(row), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"N={count:>5}  peak RSS of this process so far: {peak:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, action="append", help="N (repeatable)")
    parser.add_argument("--no-full", action="store_true", help="skip the from-scratch render")
    args = parser.parse_args()
    print("CPU seconds (process time); full = every scrape before; the rest: see the docstring")
    for count in args.devices or [1000, 5000]:
        _measure(count, full=not args.no_full)


if __name__ == "__main__":
    main()
