"""CPU per stored 48-port health sample: the ORM write path of before issue 10 (a run, a
sample and a fold per poll, one transaction each) against the write-behind queue's Core
executemany batches (``agent.recorder.write_health_batch``) at the batch sizes the daemon sees
(a 1 s drain holds ~1 sample for the 40-device fleet at 30 s, ~83 for 5,000 devices at 60 s,
up to 1,000 after a stall), and the time to spool and replay a batch during an outage. SQLite
in a temporary directory; nothing leaves the machine.

    python3 benchmarks/writer.py              # 2,000 samples each way
    python3 benchmarks/writer.py --samples 500
    python3 benchmarks/writer.py --devices 1000 --samples 4000   # batches of distinct devices

Figures are process CPU seconds (time.process_time), so a busy machine slows them less than
wall time; SQLite's fsync at commit is wall time and shows in the "wall" column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.recorder import HealthCodec, HealthWrite, health_reading, run_status  # noqa: E402
from agent.store import open_store  # noqa: E402
from agent.store import repository as repo  # noqa: E402
from agent.store.repository import sync_devices  # noqa: E402
from agent.store.schema import upgrade  # noqa: E402
from agent.writer import WriteBehind  # noqa: E402
from collectors.base import Component, HealthSnapshot, Interface, Sensor  # noqa: E402

DEVICES = 40
T0 = dt.datetime(2026, 3, 6, 8, 0, tzinfo=dt.UTC)


class BenchDevice:
    def __init__(self, name: str) -> None:
        self.name, self.vendor, self.model, self.kind = name, "h3c", "S5500", "switch"
        self.site, self.services, self.address = "lab", ("HW",), "127.0.0.1"


def sample(index: int, devices: int = DEVICES) -> HealthWrite:
    """A 48-port switch's sample: 5 components, 48 interfaces with every counter. Samples
    go round the devices, every device polled every 30 s (as in production), the devices'
    polls spread over the 30 s."""
    at = T0 + dt.timedelta(seconds=30 * (index // devices) + 30 * (index % devices) / devices)
    snapshot = HealthSnapshot(
        f"sw-{index % devices:02d}",
        at,
        True,
        snmp_rtt_seconds=0.004,
        uptime_seconds=86400.0 + index,
        cpu_ratio=0.2,
        memory_ratio=0.4,
        temperatures=[Sensor("board", 41.0), Sensor("cpu", 52.0)],
        fans=[Component("fan1", "ok", "1"), Component("fan2", "ok", "1")],
        power_supplies=[Component("psu1", "ok", "1")],
        interfaces=[
            Interface(
                port,
                f"GigabitEthernet1/0/{port}",
                True,
                1_000_000_000,
                *(index * 1000 + port for _ in range(6)),
            )
            for port in range(1, 49)
        ],
    )
    status, error = run_status(snapshot)
    return HealthWrite(snapshot.device, at, at, status, error, health_reading(snapshot))


def store_at(directory: Path, name: str, devices: int = DEVICES):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{directory / name}"
    upgrade(url)
    store = open_store(url)
    with store.session() as session:
        sync_devices(session, [BenchDevice(f"sw-{i:02d}") for i in range(devices)])
    return store


def measure(label: str, count: int, action) -> None:  # type: ignore[no-untyped-def]
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{label:<44} {cpu / count * 1000:8.2f} ms CPU/sample {wall / count * 1000:8.2f} ms wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument(
        "--devices",
        type=int,
        default=DEVICES,
        help="devices the samples go round (5,000 devices at 60 s: batches of 83 distinct ones)",
    )
    args = parser.parse_args()
    items = [sample(i, args.devices) for i in range(args.samples)]
    codec = HealthCodec()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        single = store_at(directory, "single.db", args.devices)

        def orm_one_transaction_each() -> None:
            # The per-item ORM path the queue used before (kept here as the baseline).
            for item in items:
                with single.session() as session:
                    run = repo.start_run(session, item.device, "health", item.started_at)
                    repo.add_health_sample(session, run, item.reading, item.sampled_at)
                    repo.finish_run(session, run, item.status, error=item.error)

        measure("ORM, one transaction per sample (before)", args.samples, orm_one_transaction_each)
        for size in (1, 83, 1000):
            batched = store_at(directory, f"batched-{size}.db", args.devices)
            queue = WriteBehind(
                batched,
                codec,
                directory / f"spool-{size}",
                max_batch=size,
                sqlite_file=directory / f"batched-{size}.db",
            )

            def batches(queue: WriteBehind[HealthWrite] = queue) -> None:
                for item in items:
                    queue.submit(item)
                queue.flush()

            measure(f"write-behind queue, Core, batches of {size:,}", args.samples, batches)
            assert queue.pending == 0 and queue.stats.written == args.samples
            batched.close()
        down = store_at(directory, "down.db", args.devices)
        outage = WriteBehind(
            down,
            codec,
            directory / "spool-outage",
            max_batch=1000,
            sqlite_file=directory / "down.db",
        )
        (directory / "down.db").rename(directory / "away.db")

        def spool() -> None:
            for item in items:
                outage.submit(item)
            outage.flush()

        measure("spool during an outage (JSON, fsync'd)", args.samples, spool)
        spool_bytes = outage.spool.size
        (directory / "away.db").rename(directory / "down.db")
        measure("replay once the store is back", args.samples, outage.flush)
        print(f"spool size: {spool_bytes / args.samples / 1024:.1f} KiB per sample")
        assert outage.pending == 0
        for store in (single, down):
            store.close()


if __name__ == "__main__":
    main()
