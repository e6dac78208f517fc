"""Peak memory and threads of `netmon run` against the whole lab: the figures behind
MemoryMax= and TasksMax= in deploy/systemd/netmon.service.

    python3 benchmarks/daemon_peak.py                 # 90 s, then 300 slow clients + scrapes
    python3 benchmarks/daemon_peak.py --seconds 300

Starts `netmon lab` (the 40 devices of inventory.toml as SNMP agents and SSH servers on a
127.x address, its own process), writes an inventory that points every device at its twin
(secrets as systemd-style credential files), and runs `netmon run` with short intervals
(health 5 s, configuration and signatures 20 s: far more work than production's 30 s / 1 h /
4 h) and SQLite in a temporary state directory. While it runs it samples the daemon's
/proc/PID/status every 0.25 s: VmRSS, VmHWM (the kernel's own peak) and Threads; in the
last third it also opens 300 slow clients (from 127.0.0.2) and scrapes /metrics in a loop.
Prints the peaks. Only loopback is used.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CREDENTIAL_NAMES = {
    "snmp-community": "community",
    "snmpv3-auth-key-huawei": "v3_auth_key",
    "snmpv3-priv-key-huawei": "v3_priv_key",
    "ssh-password": "ssh_password",
    **{
        f"ssh-password-{vendor}": "ssh_password"
        for vendor in ("topsec", "leadsec", "venustech", "nsfocus", "h3c", "huawei")
    },
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status(pid: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            fields[key] = int(value.split()[0])
    return fields


def start_lab(lab_dir: Path) -> subprocess.Popen[str]:
    base = f"127.{random.randint(40, 250)}.0.1"
    snmp_port = random.randint(20000, 39999)
    lab = subprocess.Popen(
        [
            sys.executable, "-m", "agent.cli", "lab", "--lab-dir", str(lab_dir),
            "--base-address", base, "--snmp-port", str(snmp_port),
            "--ssh-port", str(snmp_port + 20000),
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert lab.stdout is not None
    for line in lab.stdout:
        if "running until Ctrl-C" in line:
            threading.Thread(target=lab.stdout.read, daemon=True).start()  # keep it drained
            return lab
    raise SystemExit("netmon lab did not start")


def lab_inventory(state: dict) -> str:
    """inventory.toml with each device's address and ports replaced by its twin's."""
    text = (ROOT / "inventory.toml").read_text(encoding="utf-8")
    for endpoint in state["devices"]:
        pattern = re.compile(
            rf'(name = "{re.escape(endpoint["name"])}"\n(?:.*\n)*?)address = "[^"]+"'
        )
        replacement = (
            rf'\g<1>address = "{endpoint["address"]}"'
            f"\nsnmp = {{ port = {endpoint['snmp_port']} }}"
            f"\nssh = {{ port = {endpoint['ssh_port']} }}"
        )
        text, count = pattern.subn(replacement, text, count=1)
        assert count == 1, endpoint["name"]
    return text


def slow_clients(port: int, count: int, stop: threading.Event) -> None:
    clients = []
    for _ in range(count):
        with contextlib.suppress(OSError):
            # From another loopback address: the flood and the scraper are different hosts.
            sock = socket.create_connection(
                ("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0)
            )
            sock.sendall(b"GET /metrics HTTP/1.1\r\n")
            clients.append(sock)
    while not stop.wait(1):
        for sock in clients:
            with contextlib.suppress(OSError):
                sock.send(b"X")
    for sock in clients:
        sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        lab = start_lab(tmp / "lab")
        daemon = None
        try:
            state = json.loads((tmp / "lab" / "lab.json").read_text())
            credentials = tmp / "credentials"
            credentials.mkdir()
            for name, field in CREDENTIAL_NAMES.items():
                (credentials / name).write_text(state["credentials"][field] + "\n")
            inventory = tmp / "inventory.toml"
            inventory.write_text(lab_inventory(state), encoding="utf-8")
            port = free_port()
            config = tmp / "netmon.toml"
            config.write_text(
                f'inventory = "{inventory}"\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
                "[intervals]\nhealth = 5\nconfig = 20\nsignatures = 20\n"
                "[scheduler]\njitter = 1\njob_timeout = 30\n"
            )
            env = {
                **os.environ,
                "CREDENTIALS_DIRECTORY": str(credentials),
                "NETMON_STATE_DIR": str(tmp / "state"),
            }
            env.pop("NETMON_DB_URL", None)
            env.pop("NOTIFY_SOCKET", None)
            subprocess.run(
                [sys.executable, "-m", "agent.cli", "db", "upgrade"],
                cwd=ROOT, env=env, check=True, capture_output=True,
            )  # fmt: skip
            log = (tmp / "run.log").open("w")
            daemon = subprocess.Popen(
                [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            started = time.monotonic()
            peak = {"VmRSS": 0, "VmHWM": 0, "Threads": 0}
            stop = threading.Event()
            flood: threading.Thread | None = None
            scrapes = 0
            while time.monotonic() - started < args.seconds:
                if daemon.poll() is not None:
                    raise SystemExit(f"netmon run exited {daemon.returncode}; see its log")
                sample = status(daemon.pid)
                peak = {k: max(peak[k], sample.get(k, 0)) for k in peak}
                elapsed = time.monotonic() - started
                if flood is None and elapsed > args.seconds * 2 / 3:
                    flood = threading.Thread(target=slow_clients, args=(port, 300, stop))
                    flood.start()
                if flood is not None:
                    with contextlib.suppress(OSError):
                        url = f"http://127.0.0.1:{port}/metrics"
                        urllib.request.urlopen(url, timeout=5).read()
                        scrapes += 1
                time.sleep(0.25)
            stop.set()
            if flood is not None:
                flood.join()
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
            up = re.findall(rb'^netmon_device_up\{device="[^"]+"\} (\S+)$', text, re.M)
            print(f"netmon run, {len(up)} lab devices ({up.count(b'1.0')} up), {args.seconds:g} s")
            print(f"  peak RSS (sampled): {peak['VmRSS'] / 1024:.0f} MB")
            print(f"  peak RSS (VmHWM):   {peak['VmHWM'] / 1024:.0f} MB")
            print(f"  peak threads:       {peak['Threads']}")
            print(f"  scrapes during the slow-client flood: {scrapes}")
        finally:
            if daemon is not None and daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    daemon.kill()
            lab.send_signal(signal.SIGINT)
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                lab.kill()


if __name__ == "__main__":
    main()
