"""The store over a contract year: size, and the cost of the documents (issue 10).

Not a test: it prints figures and never fails on a number.

1. Generates ``--days`` of health history (default 365) for the contract fleet
   (inventory.toml: 40 devices; each switch gets 48 ports, the others 4) at the production
   health interval (``--interval``, 30 s as deploy/netmon.toml), starting ``--start``.
   It writes through the real write path in batches: runs with one Core executemany, then
   ``repository.add_health_samples`` (raw samples + roll-ups, episodes, outages, interface
   states) in one transaction per ``--batch-minutes`` of polls; retention
   (``rollup.enforce_retention``, 14 raw days) runs once per simulated day, as the daemon
   does hourly. Devices go down, fans fail and counters grow and restart, from a fixed seed.
2. Prints the store's size (SQLite file, or ``pg_total_relation_size`` for PostgreSQL).
3. Times ``netmon report monthly`` (the last whole month generated) and ``netmon report
   daily`` (its last day) under GNU ``time -v`` for wall time, CPU time (user + system) and
   peak RSS, with the load average as each ends (HTML; the monthly report also as Word,
   the agency's format), and the nine-month
   work summary (``netmon report summary --from .. --to``, month by month through the query
   layer) the same way; in this process, the query layer over the same nine months in one
   pass, for comparison.

Run a short span first, e.g. ``python3 benchmarks/store.py --days 3``; the figures for a
year scale with ``--days`` (the write rate is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.inventory import load_inventory  # noqa: E402
from agent.reports.data import load_report_data  # noqa: E402
from agent.reports.period import month_period, range_period, report_timezone  # noqa: E402
from agent.store import open_store  # noqa: E402
from agent.store import repository as repo  # noqa: E402
from agent.store.models import CollectionRun  # noqa: E402
from agent.store.rollup import (  # noqa: E402
    DEFAULT_INTERFACE_HOURLY_DAYS,
    DEFAULT_RAW_DAYS,
    enforce_retention,
)
from agent.store.schema import upgrade  # noqa: E402

TZ = report_timezone("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    device_id: int
    started_at: dt.datetime


class Fleet:
    """Deterministic readings for each device at each poll."""

    def __init__(self, devices: list[tuple[int, str, bool]], seed: int) -> None:
        self.devices = devices
        self.rng = random.Random(seed)
        self.counters: dict[tuple[int, int], list[int]] = {}
        self.down_until: dict[int, int] = {}
        self.fan_failed_until: dict[int, int] = {}

    def reading(self, device_id: int, switch: bool, step: int) -> repo.HealthReading:
        rng = self.rng
        if self.down_until.get(device_id, -1) >= step:
            return repo.HealthReading(reachable=False)
        if rng.random() < 1 / 20_000:  # about one outage a week per device at 30 s
            self.down_until[device_id] = step + rng.randint(1, 40)
        if rng.random() < 1 / 50_000:
            self.fan_failed_until[device_id] = step + rng.randint(10, 2_000)
        fan = "failed" if self.fan_failed_until.get(device_id, -1) >= step else "ok"
        ports = 48 if switch else 4
        interfaces = []
        for index in range(1, ports + 1):
            counters = self.counters.setdefault(
                (device_id, index), [rng.randrange(2**40) for _ in range(6)]
            )
            active = index % 3 != 0
            if active:
                counters[0] += rng.randrange(10**8)
                counters[1] += rng.randrange(10**8)
                if rng.random() < 0.01:
                    counters[2] += 1
                if rng.random() < 0.02:
                    counters[5] += rng.randrange(5)
            interfaces.append(
                repo.InterfaceState(
                    index,
                    f"GigabitEthernet1/0/{index}",
                    True,
                    active,
                    10**9,
                    *counters,
                )
            )
        return repo.HealthReading(
            reachable=True,
            rtt_snmp_ms=rng.uniform(2, 30),
            uptime_s=step * 30,
            cpu_ratio=rng.uniform(0.05, 0.9),
            memory_ratio=rng.uniform(0.3, 0.8),
            disk_ratio=0.4,
            components=[
                repo.ComponentState("temperature", "board", "ok", rng.uniform(30, 60)),
                repo.ComponentState("temperature", "cpu", "ok", rng.uniform(40, 75)),
                repo.ComponentState("fan", "Fan 1", fan),
                repo.ComponentState("fan", "Fan 2", "ok"),
                repo.ComponentState("psu", "PSU 1", "ok"),
            ],
            interfaces=interfaces,
        )


def generate(url: str, args: argparse.Namespace) -> tuple[int, float, float]:
    """Returns polls written, wall seconds, and CPU seconds of the write path alone (run
    inserts, add_health_samples, commit; not the generation of the readings)."""
    inventory = load_inventory(ROOT / "inventory.toml")
    start = dt.datetime.fromisoformat(args.start).replace(tzinfo=TZ).astimezone(dt.UTC)
    end = start + dt.timedelta(days=args.days)
    step = dt.timedelta(seconds=args.interval)
    batch = dt.timedelta(minutes=args.batch_minutes)
    with open_store(url) as store:
        with store.session() as session:
            repo.sync_devices(session, inventory.devices, now=start - dt.timedelta(days=1))
            devices = [
                (repo.get_device(session, d.name).id, d.name, d.kind == "switch")
                for d in inventory.devices
            ]
        fleet = Fleet(devices, args.seed)
        runs = CollectionRun.__table__
        polls = 0
        write_cpu = 0.0
        began = time.perf_counter()
        moment, next_retention = start, start + dt.timedelta(days=1)
        while moment < end:
            until = min(moment + batch, end)
            rows, readings = [], []
            at = moment
            while at < until:
                index = int((at - start) / step)
                for device_id, _, switch in devices:
                    rows.append(
                        {
                            "device_id": device_id,
                            "kind": "health",
                            "status": "ok",
                            "started_at": at,
                            "finished_at": at,
                        }
                    )
                    readings.append(fleet.reading(device_id, switch, index))
                at += step
            cpu = time.process_time()
            with store.session() as session:
                ids = session.scalars(
                    runs.insert().returning(runs.c.id, sort_by_parameter_order=True), rows
                ).all()
                items = [
                    repo.HealthItem(Run(run_id, row["device_id"], row["started_at"]), health)
                    for run_id, row, health in zip(ids, rows, readings, strict=True)
                ]
                polls += repo.add_health_samples(session, items)
            write_cpu += time.process_time() - cpu
            moment = until
            if moment >= next_retention:
                with store.session() as session:
                    enforce_retention(session, moment)
                next_retention += dt.timedelta(days=1)
                elapsed = time.perf_counter() - began
                print(
                    f"  {moment:%Y-%m-%d}: {polls:,} polls, {polls / elapsed:,.0f} polls/s",
                    flush=True,
                )
        return polls, time.perf_counter() - began, write_cpu


RAW_TABLES = ("health_samples", "collection_runs")
# What grows with the days kept; every other table (devices, interface_states, the empty
# ones) is counted once, as it is.
GROWING_TABLES = (
    *[
        f"{family}_{bucket}"
        for family in ("health", "temperature", "interface")
        for bucket in ("hourly", "daily")
        if (family, bucket) != ("interface", "hourly")
    ],
    "component_episodes",
    "outages",
)
# Per-port hours are kept [retention] interface_hourly_days (migration 0010), not a year.
PORT_HOURS_TABLE = "interface_hourly"


def compact(url: str) -> None:
    """PostgreSQL: rewrite the tables without the dead row versions the upserts left behind
    (autovacuum reuses that space in a long run; a short run would count it as growth)."""
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            # Only this run's schema: the database may hold other people's tables.
            tables = connection.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            for table in list(tables):
                connection.exec_driver_sql(f'VACUUM FULL "{table}"')
    finally:
        engine.dispose()


def table_bytes(url: str) -> dict[str, int]:
    """Bytes per table, its indexes included (SQLite's dbstat, PostgreSQL's catalog)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if url.startswith("sqlite"):
                rows = connection.execute(
                    sa.text(
                        "SELECT coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s "
                        "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1"
                    )
                )
            else:
                rows = connection.execute(
                    sa.text(
                        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
                    )
                )
            return {name: int(size) for name, size in rows}
    finally:
        engine.dispose()


def relation_bytes(url: str) -> list[tuple[str, str, int]]:
    """PostgreSQL: (relation, table it belongs to, bytes) for every table and index on its
    own, largest first: where a poll's bytes go (heap or which index). Empty for SQLite
    (``table_bytes`` counts its tables with their indexes)."""
    if not url.startswith("postgresql"):
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT c.relname, coalesce(t.relname, c.relname), pg_table_size(c.oid) "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "LEFT JOIN pg_index i ON i.indexrelid = c.oid "
                    "LEFT JOIN pg_class t ON t.oid = i.indrelid "
                    "WHERE c.relkind IN ('r', 'i') AND n.nspname = current_schema() "
                    "ORDER BY 3 DESC"
                )
            )
            return [(name, table, int(size)) for name, table, size in rows]
    finally:
        engine.dispose()


def store_bytes(url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(sa.make_url(url).database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.text(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def timed_report(url: str, kind: str, period: list[str], out: Path, fmt: str = "html") -> str:
    gnu_time = shutil.which("time") or "/usr/bin/time"
    command = [
        gnu_time,
        "-v",
        sys.executable,
        "-m",
        "agent.cli",
        "report",
        kind,
        *period,
        "--format",
        fmt,
        "--url",
        url,
        "--out",
        str(out / f"{kind}.{fmt}"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-300:]}"
    return (
        f"{wall.group(1) if wall else '?'} wall, {_cpu_seconds(done.stderr)} CPU, "
        f"{int(rss.group(1)) / 1024 if rss else float('nan'):.0f} MB peak RSS, "
        f"load average {_load_average()} ({status})"
    )


def _cpu_seconds(time_report: str) -> str:
    """User plus system seconds from GNU time's report: unlike the wall time, it does not grow
    with what else the shared machine runs."""
    seconds = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", time_report)
    return f"{sum(float(value) for value in seconds):.2f} s" if len(seconds) == 2 else "?"


def _load_average() -> str:
    """The one-minute load average as the report finished (Linux), for reading its wall time."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def private_schema(url: str) -> tuple[str, str]:
    """A fresh PostgreSQL schema for this run (the database may be shared): the URL that
    lands in it, and its name."""
    base = sa.make_url(url)
    schema = f"netmon_bench_{os.getpid()}_{int(time.time())}"
    engine = sa.create_engine(base)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        engine.dispose()
    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def drop_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(sa.make_url(url).difference_update_query(["options"]))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365, help="history to generate")
    parser.add_argument("--start", default="2026-03-01T00:00:00", help="local start time")
    parser.add_argument("--interval", type=float, default=30, help="health interval, seconds")
    parser.add_argument("--batch-minutes", type=float, default=10, help="polls per transaction")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--url",
        default=None,
        help="database (default: a temporary SQLite); PostgreSQL gets a private schema",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="netmon-store-bench-"))
    url = args.url or f"sqlite:///{work / 'netmon.db'}"
    schema = None
    if url.startswith("postgresql"):
        url, schema = private_schema(url)
    try:
        upgrade(url)
        print(f"store {sa.make_url(url).render_as_string(hide_password=True)}")
        print(f"generating {args.days:g} days at {args.interval:g} s for the contract fleet")
        polls, seconds, write_cpu = generate(url, args)
        compact(url)
        size = store_bytes(url)
        print(f"written: {polls:,} polls in {seconds:,.0f} s ({polls / seconds:,.0f} polls/s)")
        print(
            f"write path CPU (this process; the database's own work not included for "
            f"PostgreSQL): {write_cpu / polls * 1000:.2f} ms per poll, fleet average"
        )
        print(f"store size: {size / 2**20:,.1f} MiB")
        tables = table_bytes(url)
        for name, bytes_ in sorted(tables.items(), key=lambda item: -item[1])[:12]:
            print(f"  {name:<28} {bytes_ / 2**20:9.1f} MiB")
        relations = relation_bytes(url)
        if relations:
            print(f"  PostgreSQL relations (bytes per raw poll: {polls:,} polls kept):")
        for name, table, bytes_ in relations[:14]:
            per_poll = f"{bytes_ / polls:6.0f} B/poll" if table in RAW_TABLES else ""
            print(f"    {name:<54} {bytes_ / 2**20:9.2f} MiB {per_poll}")
        raw = sum(tables.get(name, 0) for name in RAW_TABLES)
        rest = sum(tables.get(name, 0) for name in GROWING_TABLES)
        port_hours = tables.get(PORT_HOURS_TABLE, 0)
        fixed = sum(tables.values()) - raw - rest - port_hours
        raw_days = min(args.days, DEFAULT_RAW_DAYS)
        port_days = min(args.days, DEFAULT_INTERFACE_HOURLY_DAYS)
        year = (
            raw / raw_days * DEFAULT_RAW_DAYS
            + port_hours / port_days * DEFAULT_INTERFACE_HOURLY_DAYS
            + rest / args.days * 365
            + fixed
        )
        print(
            f"projected for a year (raw: {DEFAULT_RAW_DAYS} days kept, per-port hours "
            f"{DEFAULT_INTERFACE_HOURLY_DAYS} days, the rest grows with days): "
            f"{year / 2**30:.2f} GiB (raw {raw / raw_days / 2**20:.1f} MiB/day, "
            f"per-port hours {port_hours / port_days / 2**20:.2f} MiB/day, "
            f"other roll-ups and episodes {rest / args.days / 2**20:.2f} MiB/day, the rest "
            f"{fixed / 2**20:.1f} MiB; daily rows make spans under a day overstate it)"
        )
        start = dt.datetime.fromisoformat(args.start).replace(tzinfo=TZ)
        last = start + dt.timedelta(days=args.days) - dt.timedelta(seconds=1)
        month = (last.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        if last.month == start.month:  # less than one whole month: the partial month
            month = start.strftime("%Y-%m")
        day = last.strftime("%Y-%m-%d")
        print(f"netmon report monthly --month {month}: ", end="", flush=True)
        print(timed_report(url, "monthly", ["--month", month], work))
        print(f"netmon report monthly --month {month} --format docx: ", end="", flush=True)
        print(timed_report(url, "monthly", ["--month", month], work, "docx"))
        print(f"netmon report daily --date {day}: ", end="", flush=True)
        print(timed_report(url, "daily", ["--date", day], work))
        first = month_period(start.strftime("%Y-%m"), TZ).local_start.date()
        summary_to = (
            (first.replace(month=first.month + 9) - dt.timedelta(days=1))
            if first.month <= 3
            else first + dt.timedelta(days=274)
        ).isoformat()
        print(f"netmon report summary --from {first} --to {summary_to}: ", end="", flush=True)
        print(timed_report(url, "summary", ["--from", str(first), "--to", summary_to], work))
        nine = range_period(
            first.isoformat(),
            (first.replace(month=first.month + 9) - dt.timedelta(days=1)).isoformat()
            if first.month <= 3
            else (first + dt.timedelta(days=274)).isoformat(),
            TZ,
        )
        with open_store(url) as store, store.session() as session:
            began = time.perf_counter()
            load_report_data(session, month_period(month, TZ))
            print(
                f"the month's report data (load_report_data): {time.perf_counter() - began:.2f} s"
            )
            began = time.perf_counter()
            data = load_report_data(session, nine)
            took = time.perf_counter() - began
        print(
            f"nine months' report data ({nine.label}, load_report_data): {took:.2f} s, "
            f"{data.total_samples:,} polls summarised"
        )
    finally:
        if args.keep:
            print(f"kept {work}" + (f" and schema {schema}" if schema else ""))
        else:
            shutil.rmtree(work, ignore_errors=True)
            if schema:
                drop_schema(url, schema)
        if os.environ.get("NETMON_BENCH_DEBUG"):
            print(work)


if __name__ == "__main__":
    main()
