"""The daemon at N simulated switches on loopback, beside snmp_exporter (issue 10).

Not a test: it measures and prints. What it does:

1. Turns the lab's 54-port H3C recording (agent/lab/recordings/ls-5560-54c-ei.snmprec) into
   net-snmp ``override`` lines and starts ``--agents`` ``snmpd`` processes, each listening on
   N / agents loopback addresses (127.60.x.y, one UDP port): every address is one switch.
   net-snmp has no Counter64 override, so 64-bit counters are served as Counter32.
2. Writes an inventory of N such switches and a netmon.toml (health only: the SSH kinds are
   switched off with ``[collectors]``; ``--interfaces`` chooses the exported interface series),
   creates a fresh SQLite store and starts ``netmon run``.
3. Scrapes its /metrics every 15 s like Prometheus (wall time and size of each answer).
4. Starts Debian's ``prometheus-snmp-exporter`` walking the same tables (ifTable, ifXTable and
   the entity columns netmon's H3C profile reads) and scrapes every switch through it once per
   interval, spread over the interval, as Prometheus would.
5. After ``--minutes``, prints for each: health polls done in the measured window against the
   polls due (N x window / interval; a run skipped because the previous one still ran, or
   started late past the window, is missing), the same from each device's gaps between runs
   (a gap of k intervals is k - 1 missed polls: this count does not depend on where the
   window falls against the first runs, which have no jitter and so start ~1 s earlier than
   their successors' average), CPU seconds per poll, RSS, and the /metrics scrape time and
   size. The first interval is warm-up (first runs are spread over it).

    python3 benchmarks/scale.py --devices 200 --minutes 2            # a smoke run
    python3 benchmarks/scale.py --devices 5000 --minutes 10 --agents 20 --interfaces uplinks

Needs the Debian packages snmpd and prometheus-snmp-exporter (scripts/test installs them).
Every address is in 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "agent" / "lab" / "recordings" / "ls-5560-54c-ei.snmprec"
COMMUNITY = "scalebench"
SNMP_PORT = 16161
HEALTH_INTERVAL = 60
SCRAPE_EVERY = 15.0
# snmpd override types by snmprec type code (RFC 1902 types as snmprec numbers them).
OVERRIDE_TYPES = {
    "2": "integer",
    "4": "octet_str",
    "4x": "octet_str",
    "6": "object_id",
    "65": "counter",
    "66": "unsigned",
    "67": "timeticks",
    "70": "counter",
}
WALKS = (
    "1.3.6.1.2.1.2.2.1",  # ifTable
    "1.3.6.1.2.1.31.1.1.1",  # ifXTable
    "1.3.6.1.2.1.47.1.1.1.1.5",  # entPhysicalClass
    "1.3.6.1.2.1.47.1.1.1.1.7",  # entPhysicalName
    "1.3.6.1.4.1.25506.2.6.1.1.1.1.6",  # hh3cEntityExtCpuUsage
    "1.3.6.1.4.1.25506.2.6.1.1.1.1.8",  # hh3cEntityExtMemUsage
    "1.3.6.1.4.1.25506.2.6.1.1.1.1.12",  # hh3cEntityExtTemperature
    "1.3.6.1.4.1.25506.2.6.1.1.1.1.19",  # hh3cEntityExtErrorStatus
)
GETS = ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.3.0")


def address(index: int) -> str:
    return f"127.60.{index // 250}.{index % 250 + 1}"


def override_lines() -> list[str]:
    lines = []
    for raw in RECORDING.read_text().splitlines():
        if not raw or raw.startswith("#"):
            continue
        oid, kind, value = raw.split("|", 2)
        if kind not in OVERRIDE_TYPES:
            continue
        if kind == "4x":
            value = "0x" + value if value else '""'
        elif kind == "4":
            value = '"' + value.replace('"', "'") + '"'
        elif kind in ("65", "70"):
            value = str(int(value) % 2**32)
        lines.append(f"override .{oid} {OVERRIDE_TYPES[kind]} {value}")
    return lines


def need(tool: str) -> str:
    found = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None
    )
    if not found:
        raise SystemExit(f"{tool} is not installed: bash scripts/test installs it")
    return found


@contextlib.contextmanager
def started(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS now, peak RSS) in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} never answered")


class Scraper(threading.Thread):
    """GET /metrics every 15 s; keeps (seconds, bytes) per scrape."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.results: list[tuple[float, int]] = []
        self.last_body = ""
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                body = urllib.request.urlopen(self.url, timeout=60).read()
                self.results.append((time.monotonic() - began, len(body)))
                self.last_body = body.decode()
            except OSError as error:
                print(f"  scrape failed: {error}", flush=True)
            self.stop.wait(max(0.0, SCRAPE_EVERY - (time.monotonic() - began)))


# The daemon's own account, from its last scrape: why polls were missing when they were
# (skipped or late jobs, the store writer behind).
ACCOUNT_SERIES = (
    "netmon_jobs_scheduled_total",
    "netmon_jobs_run_total",
    "netmon_jobs_late_total",
    "netmon_jobs_skipped_total",
    "netmon_store_writes_queued_total",
    "netmon_store_writes_pending",
    "netmon_store_writes_dropped_total",
)


def daemon_account(body: str) -> dict[str, float]:
    """Each of ACCOUNT_SERIES summed over its labels."""
    totals = dict.fromkeys(ACCOUNT_SERIES, 0.0)
    for line in body.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in totals:
            totals[name] += float(line.rsplit(" ", 1)[1])
    return totals


def exporter_config(path: Path) -> None:
    lines = ["h3c_scale:", "  walk:"]
    lines += [f"  - {oid}" for oid in WALKS]
    lines += ["  get:"] + [f"  - {oid}" for oid in GETS]
    lines += [
        "  version: 2",
        "  max_repetitions: 25",
        "  retries: 1",
        "  timeout: 5s",
        "  auth:",
        f"    community: {COMMUNITY}",
        "  metrics:",
        "  - name: ifHCInOctets",
        "    oid: 1.3.6.1.2.1.31.1.1.1.6",
        "    type: counter",
        "    indexes:",
        "    - labelname: ifIndex",
        "      type: gauge",
        "  - name: ifOperStatus",
        "    oid: 1.3.6.1.2.1.2.2.1.8",
        "    type: gauge",
        "    indexes:",
        "    - labelname: ifIndex",
        "      type: gauge",
    ]
    path.write_text("\n".join(lines) + "\n")


def exporter_load(
    port: int, count: int, seconds: float, stop: threading.Event, durations: list[float]
) -> None:
    """Every switch scraped once per interval through the exporter, spread like Prometheus;
    each finished scrape's duration is appended to ``durations`` as it lands."""
    gap = HEALTH_INTERVAL / count

    def one(index: int) -> None:
        url = f"http://127.0.0.1:{port}/snmp?module=h3c_scale&target={address(index)}:{SNMP_PORT}"
        began = time.monotonic()
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=30).read()
            durations.append(time.monotonic() - began)

    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        began = time.monotonic()
        step = 0
        while not stop.is_set() and time.monotonic() - began < seconds:
            pool.submit(one, step % count)
            step += 1
            stop.wait(max(0.0, began + step * gap - time.monotonic()))


def health_runs(db_url: str, since: float, until: float) -> dict[str, int]:
    """device -> health runs started in [``since``, ``until``) (epoch seconds)."""
    import datetime as dt

    from sqlalchemy import create_engine, text

    start, end = (dt.datetime.fromtimestamp(moment, dt.UTC) for moment in (since, until))
    if db_url.startswith("sqlite"):  # stored as naive UTC text
        start, end = (moment.replace(tzinfo=None) for moment in (start, end))
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT d.name, count(*) FROM collection_runs r "
                    "JOIN devices d ON d.id = r.device_id WHERE r.kind = 'health' "
                    "AND r.started_at >= :start AND r.started_at < :end GROUP BY d.name"
                ),
                {"start": start, "end": end},
            ).all()
    finally:
        engine.dispose()
    return {name: count for name, count in rows}


def health_starts(db_url: str, since: float, until: float) -> dict[str, list[float]]:
    """device -> start times (epoch seconds, in order) of its health runs in [since, until)."""
    import datetime as dt

    from sqlalchemy import create_engine, text

    start, end = (dt.datetime.fromtimestamp(moment, dt.UTC) for moment in (since, until))
    if db_url.startswith("sqlite"):  # stored as naive UTC text
        start, end = (moment.replace(tzinfo=None) for moment in (start, end))
    engine = create_engine(db_url)
    starts: dict[str, list[float]] = {}
    try:
        with engine.connect() as connection:
            for name, moment in connection.execute(
                text(
                    "SELECT d.name, r.started_at FROM collection_runs r "
                    "JOIN devices d ON d.id = r.device_id WHERE r.kind = 'health' "
                    "AND r.started_at >= :start AND r.started_at < :end "
                    "ORDER BY d.name, r.started_at"
                ),
                {"start": start, "end": end},
            ):
                if isinstance(moment, str):
                    moment = dt.datetime.fromisoformat(moment)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=dt.UTC)
                starts.setdefault(name, []).append(moment.timestamp())
    finally:
        engine.dispose()
    return starts


def missed_by_gaps(
    starts: dict[str, list[float]], devices: int, window: tuple[float, float], interval: float
) -> tuple[int, int, list[float]]:
    """(missed, late, gaps) from each device's runs: a gap of k intervals between two runs is
    k - 1 missed polls (rounded: the jitter moves a start by a few seconds either way); a gap
    over 1.25 intervals that misses none is late. Only gaps ending in the window count, and
    the polls due between a device's last stored run and the window's end (a device never
    polled in the window misses all of it). Unlike the window count this does not depend on
    where the window falls against the first, unjittered, runs."""
    first, end = window
    missed = late = 0
    gaps: list[float] = []
    for times in starts.values():
        for before, after in itertools.pairwise(times):
            if not first <= after < end:
                continue
            gap = after - before
            gaps.append(gap)
            skipped = max(0, round(gap / interval) - 1)
            missed += skipped
            late += 1 if not skipped and gap > 1.25 * interval else 0
        inside = [moment for moment in times if moment < end]
        # A run long before the window does not make the polls due before it missing. A poll
        # due before the window's end (a tenth of an interval for the jitter) that has not
        # landed in the store by now is missed: started late, or still queued.
        last = max(inside[-1] if inside else first - interval, first - interval)
        missed += max(0, int((end - last) / interval - 0.1))
    never = devices - len(starts)
    missed += never * round((end - first) / interval)
    return missed, late, sorted(gaps)


def drained(url: str, seconds: float) -> bool:
    """Wait until the daemon's write-behind queue is empty (the window's last polls are then
    in the store, not still queued); False if it never empties within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            body = urllib.request.urlopen(url, timeout=30).read().decode()
            if daemon_account(body)["netmon_store_writes_pending"] == 0:
                return True
        time.sleep(1)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--agents", type=int, default=4, help="snmpd processes")
    parser.add_argument("--interfaces", default="all", choices=["all", "uplinks", "none"])
    parser.add_argument("--no-exporter", action="store_true")
    parser.add_argument(
        "--shards",
        type=int,
        default=1,
        help="netmon agents on this host, each polling its static shard of the inventory",
    )
    parser.add_argument(
        "--url",
        help="store URL (an empty PostgreSQL database, the agents' shared store); "
        "default: a new SQLite file",
    )
    args = parser.parse_args()
    snmpd, exporter = need("snmpd"), need("prometheus-snmp-exporter")
    count = args.devices
    work = Path(tempfile.mkdtemp(prefix="netmon-scale-"))
    # Not named snmpd.conf, and each agent has a persistent directory of its own: snmpd
    # writes its persistent data as <persistent dir>/snmpd.conf, and agents sharing one
    # directory with the configuration overwrote it while others were still reading it (a
    # whole agent's 250 switches then never answered: the timeouts of earlier runs).
    conf = work / "scale-agent.conf"
    conf.write_text(
        f"rocommunity {COMMUNITY} 127.0.0.0/8\ndontLogTCPWrappersConnects yes\n"
        + "\n".join(override_lines())
        + "\n"
    )
    per_agent = -(-count // args.agents)
    inventory = [
        '[defaults]\nsite = "bench"\n[defaults.snmp]\ncommunity = { env = "SCALE_COMMUNITY" }'
    ]
    inventory.append('[defaults.ssh]\nusername = "netmon"\npassword = { env = "SCALE_COMMUNITY" }')
    for index in range(count):
        inventory.append(
            f'[[device]]\nname = "sw-{index:05d}"\nvendor = "h3c"\nmodel = "LS-5560-54C-EI"\n'
            f'services = ["hardware"]\naddress = "{address(index)}"\n'
            f"snmp = {{ port = {SNMP_PORT} }}\n"
            'uplinks = ["GigabitEthernet1/0/47", "GigabitEthernet1/0/48"]'
        )
    (work / "inventory.toml").write_text("\n".join(inventory) + "\n")
    metrics_ports, exporter_port = [19464 + shard for shard in range(args.shards)], 19116
    for shard, port in enumerate(metrics_ports):
        (work / f"netmon-{shard}.toml").write_text(
            f'inventory = "{work / "inventory.toml"}"\n'
            f'[metrics]\nlisten = "127.0.0.1:{port}"\ninterfaces = "{args.interfaces}"\n'
            f"[intervals]\nhealth = {HEALTH_INTERVAL}\nconfig = 86400\nsignatures = 86400\n"
            "[scheduler]\njitter = 2\njob_timeout = 30\nsnmp_concurrency = 64\n"
            '[collectors]\noff = ["health_cli", "config", "signatures"]\n'
            + (
                f'[shard]\nmode = "static"\nindex = {shard}\ncount = {args.shards}\n'
                if args.shards > 1
                else ""
            )
        )
    db_url = args.url or f"sqlite:///{work / 'netmon.db'}"
    env = {
        **os.environ,
        "NETMON_DB_URL": db_url,
        "SCALE_COMMUNITY": COMMUNITY,
        "PYTHONPATH": str(ROOT),
    }
    exporter_conf = work / "snmp.yml"
    exporter_config(exporter_conf)
    print(
        f"N={count} devices on {args.agents} snmpd processes, {args.minutes:g} min, "
        f"interfaces={args.interfaces}, {args.shards} netmon agent(s), "
        f"store {'PostgreSQL' if db_url.startswith('postgresql') else 'SQLite'}, work dir {work}",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        agents = []
        for agent in range(args.agents):
            indexes = range(agent * per_agent, min(count, (agent + 1) * per_agent))
            if not indexes:
                break
            endpoints = ",".join(f"udp:{address(i)}:{SNMP_PORT}" for i in indexes)
            agents.append(
                stack.enter_context(
                    started(
                        [snmpd, "-f", "-C", "-c", str(conf), "-I", "-smux", "-Ln", endpoints],
                        work / f"snmpd-{agent}.log",
                        {
                            **os.environ,
                            "MIBS": "",
                            "SNMP_PERSISTENT_DIR": str(work / f"snmpd-{agent}"),
                        },
                    )
                )
            )
        time.sleep(2)
        subprocess.run(
            [sys.executable, "-m", "agent.cli", "db", "upgrade"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        daemons, scrapers = [], []
        for shard, port in enumerate(metrics_ports):
            state_dir = work / f"state-{shard}"
            state_dir.mkdir()
            daemons.append(
                stack.enter_context(
                    started(
                        [
                            sys.executable,
                            "-m",
                            "agent.cli",
                            "run",
                            "--config",
                            str(work / f"netmon-{shard}.toml"),
                        ],
                        work / f"netmon-{shard}.log",
                        {**env, "NETMON_STATE_DIR": str(state_dir)},
                    )
                )
            )
            url = f"http://127.0.0.1:{port}/metrics"
            wait_for(url, 120)
            scrapers.append(Scraper(url))
        for scraper in scrapers:
            scraper.start()
        stop = threading.Event()
        exporter_durations: list[float] = []
        exporter_proc = None
        if not args.no_exporter:
            exporter_proc = stack.enter_context(
                started(
                    [
                        exporter,
                        f"--config.file={exporter_conf}",
                        f"--web.listen-address=127.0.0.1:{exporter_port}",
                    ],
                    work / "exporter.log",
                )
            )
            wait_for(f"http://127.0.0.1:{exporter_port}/metrics", 30)
        seconds = args.minutes * 60
        # The first interval is warm-up (first runs spread over it): measure after it.
        warmup = min(HEALTH_INTERVAL, seconds / 2)
        load = None
        if exporter_proc is not None:
            load = threading.Thread(
                target=exporter_load,
                args=(exporter_port, count, seconds, stop, exporter_durations),
                daemon=True,
            )
            load.start()
        time.sleep(warmup)
        window_start = time.time()
        cpu0 = sum(cpu_seconds(daemon.pid) for daemon in daemons)
        exp_cpu0 = cpu_seconds(exporter_proc.pid) if exporter_proc else 0.0
        exp_done0 = len(exporter_durations)
        agents_cpu0 = sum(cpu_seconds(agent.pid) for agent in agents)
        time.sleep(seconds - warmup)
        window = time.time() - window_start
        cpu = sum(cpu_seconds(daemon.pid) for daemon in daemons) - cpu0
        agents_cpu = sum(cpu_seconds(agent.pid) for agent in agents) - agents_cpu0
        load_average = os.getloadavg()[0]
        memory = [memory_mb(daemon.pid) for daemon in daemons]
        window_end = window_start + window
        # A run still polling at the window's end, or queued for the store, is counted once it
        # lands (started in the window); a run late past it is not.
        time.sleep(min(30.0, HEALTH_INTERVAL / 2))
        for scraper in scrapers:
            if not drained(scraper.url, 60):
                print(f"  {scraper.url}: the store writer did not drain in 60 s", flush=True)
        runs = health_runs(db_url, window_start, window_end)
        starts = health_starts(db_url, window_start - 3 * HEALTH_INTERVAL, window_end)
        stop.set()
        for scraper in scrapers:
            scraper.stop.set()
        for scraper in scrapers:
            scraper.join(timeout=60)  # no scrape in flight when the daemons are stopped
        exp_cpu = (cpu_seconds(exporter_proc.pid) - exp_cpu0) if exporter_proc else 0.0
        exp_rss = memory_mb(exporter_proc.pid)[0] if exporter_proc else 0.0
        exp_done = len(exporter_durations) - exp_done0
        if load is not None:
            load.join(timeout=60)
    due = count * window / HEALTH_INTERVAL  # one poll per device per interval
    done = sum(runs.values())
    print(f"\nmeasured window {window:.0f} s (after {warmup:.0f} s warm-up)")
    print(
        f"netmon: {done} health polls of {due:.0f} due in the window: "
        f"{100 * min(done, due) / due:.1f} % on time (a skipped or late run is a missing one)"
    )
    missed, late, gaps = missed_by_gaps(starts, count, (window_start, window_end), HEALTH_INTERVAL)
    if gaps:
        print(
            f"netmon: by each device's gaps between runs: {missed} polls missed "
            f"({100 * (1 - missed / due):.2f} % on time), {late} late (gap over 1.25 intervals); "
            f"gaps median {gaps[len(gaps) // 2]:.1f} s, 99th percentile "
            f"{gaps[int(0.99 * (len(gaps) - 1))]:.1f} s, max {gaps[-1]:.1f} s"
        )
    print(
        f"netmon: CPU {cpu:.1f} s = {cpu / window:.2f} of a core; "
        f"{1000 * cpu / max(done, 1):.1f} ms CPU per poll (incl. store writes and scrapes)"
    )
    for shard, (rss, peak) in enumerate(memory):
        print(f"netmon agent {shard}: RSS {rss:.0f} MB (peak {peak:.0f} MB)")
    # The simulated switches share the host: when their snmpd processes take most of the
    # cores, polls (netmon's and the exporter's alike) wait for answers, not for netmon.
    print(
        f"host: snmpd agents used {agents_cpu / window:.2f} of a core; "
        f"load average {load_average:.1f} on {os.cpu_count()} cores at the window's end"
    )
    for shard, scraper in enumerate(scrapers):
        if scraper.results:
            times = sorted(t for t, _ in scraper.results)
            print(
                f"netmon agent {shard} /metrics: {len(times)} scrapes, "
                f"median {times[len(times) // 2]:.3f} s, max {times[-1]:.3f} s, "
                f"size {scraper.results[-1][1] / 1e6:.2f} MB"
            )
        if scraper.last_body:
            account = daemon_account(scraper.last_body)
            print(
                f"netmon agent {shard} account at the last scrape: "
                + ", ".join(
                    f"{name.removeprefix('netmon_')} {value:.0f}" for name, value in account.items()
                )
            )
    if exporter_proc is not None:
        print(
            f"snmp_exporter: {exp_done} scrapes in the window, CPU {exp_cpu:.1f} s = "
            f"{1000 * exp_cpu / max(exp_done, 1):.1f} ms per scrape, RSS {exp_rss:.0f} MB"
        )
        if done and exp_done:
            print(
                f"ratio netmon CPU per poll / exporter CPU per scrape: "
                f"{(cpu / done) / (exp_cpu / exp_done):.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
