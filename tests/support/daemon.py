"""The real ``netmon run`` process for tests: an inventory of lab devices on loopback, secrets
as systemd credentials, the process started with its log in a file, and a handle to watch it
(log lines, /metrics, RSS and threads) and stop it.

The inventory is written for the lab's loopback endpoints: the shipped inventory's placeholder
addresses are never polled by any test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
# One lab device per model: both switch vendors and three firewall vendors.
MODELS = ("S5500", "S5700", "NGFW4000", "USG-1008DP", "SASNX3-GL2100")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lab_inventory(lab: Lab, models: Iterable[str] = MODELS) -> str:
    """An inventory of the first lab device of each model, secrets as systemd credentials."""
    entries = [
        "[defaults]",
        'site = "lab"',
        '[defaults.snmp]\ncommunity = { credential = "snmp-community" }',
        '[defaults.ssh]\nusername = "netmon"\npassword = { credential = "ssh-password" }',
        "[vendors.huawei.snmp]",
        'version = "3"\nuser = "netmon"\nauth_protocol = "SHA"\npriv_protocol = "AES"',
        'auth_key = { credential = "auth-key" }\npriv_key = { credential = "priv-key" }',
    ]
    for model in models:
        sim = next(s for s in lab.devices.values() if s.model == model)
        entries.append(
            device_entry(sim.name, sim.vendor, sim.model, sim.address, sim.snmp_port, sim.ssh_port)
        )
    return "\n".join(entries) + "\n"


def device_entry(
    name: str, vendor: str, model: str, address: str, snmp_port: int, ssh_port: int
) -> str:
    """One ``[[device]]`` block of :func:`lab_inventory`'s shape."""
    return (
        "[[device]]\n"
        f'name = "{name}"\nvendor = "{vendor}"\nmodel = "{model}"\n'
        f'services = ["hardware", "tuning"]\naddress = "{address}"\n'
        f"snmp = {{ port = {snmp_port} }}\nssh = {{ port = {ssh_port} }}"
    )


def write_credentials(lab: Lab, directory: Path) -> Path:
    """The lab's secrets as files in ``directory``, as systemd's LoadCredential= gives them."""
    directory.mkdir(exist_ok=True)
    for name, value in {
        "snmp-community": lab.credentials.community,
        "ssh-password": lab.credentials.ssh_password,
        "auth-key": lab.credentials.v3_auth_key,
        "priv-key": lab.credentials.v3_priv_key,
    }.items():
        (directory / name).write_text(value + "\n")
    return directory


def daemon_environment(
    tmp_path: Path,
    credentials: Path,
    *,
    store_url: str | None = None,
    notify: Path | None = None,
    **extra: str,
) -> dict[str, str]:
    """The process environment: credentials, a private state directory, the store URL (the
    default store under the state directory without one), $NOTIFY_SOCKET only if given."""
    env = {
        **os.environ,
        "CREDENTIALS_DIRECTORY": str(credentials),
        "NETMON_STATE_DIR": str(tmp_path / "state"),
        **extra,
    }
    env.pop("NETMON_DB_URL", None)
    env.pop("NOTIFY_SOCKET", None)
    if store_url is not None:
        env["NETMON_DB_URL"] = store_url
    if notify is not None:
        env["NOTIFY_SOCKET"] = str(notify)
    return env


def netmon(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """``netmon ARGS`` as the operator runs it; its output, or an error with that output."""
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"netmon {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def spawn_netmon_run(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``netmon run --config CONFIG`` with stdout and stderr in ``log``: a file, not a pipe (a
    pipe nobody reads fills up and blocks the daemon)."""
    with log.open("w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def read_log(path: Path) -> list[dict[str, Any]]:
    """The daemon's JSON log lines; a line that is not JSON (a traceback's) is kept as
    ``{"msg": line, "unparsed": True}`` so that tests can refuse it."""
    entries: list[dict[str, Any]] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entries.append(json.loads(raw))
        except ValueError:
            entries.append({"msg": raw, "unparsed": True})
    return entries


def scrape(url: str) -> str:
    return urllib.request.urlopen(url, timeout=5).read().decode()


@dataclass
class RunningDaemon:
    """A started ``netmon run``: what tests watch while it runs, and a clean stop."""

    process: subprocess.Popen[bytes]
    log: Path
    metrics_url: str
    env: dict[str, str]

    def log_lines(self) -> list[dict[str, Any]]:
        return read_log(self.log)

    def metrics_text(self) -> str:
        return scrape(self.metrics_url)

    def metric(self, name: str) -> float:
        """The value of an unlabelled series."""
        for line in self.metrics_text().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        raise AssertionError(f"{name} not in /metrics")

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 45.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the daemon died: {self.log.read_text()[-3000:]}"
            if condition():
                return
            time.sleep(0.25)
        raise AssertionError(f"never happened: {what}\n{self.log.read_text()[-3000:]}")

    def resources(self) -> tuple[float, int]:
        """(RSS in MB, thread count) of the process now."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])

    def stop(self, timeout: float = 60) -> dict[str, Any]:
        """SIGTERM, a clean exit, and the store writer's final account."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=timeout) == 0, self.log.read_text()[-3000:]
        (account,) = [
            line for line in self.log_lines() if line.get("msg") == "store writer stopped"
        ]
        return account

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def receive(sock: socket.socket, wanted: str, timeout: float) -> list[str]:
    """Messages on a $NOTIFY_SOCKET listener until one contains ``wanted``."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            message = sock.recv(4096).decode()
        except TimeoutError:
            break
        seen.append(message)
        if wanted in message:
            return seen
    raise AssertionError(f"no {wanted!r} on NOTIFY_SOCKET; got {seen}")


def stored_moment(value: object) -> dt.datetime:
    """A timestamp column as an aware UTC datetime (SQLite gives naive text or datetimes)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def samples_by_device(url: str, since: dt.datetime | None = None) -> dict[str, list[dt.datetime]]:
    """The stored health samples' times by device name, oldest first (from ``since``)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT d.name, s.sampled_at FROM health_samples s "
                    "JOIN devices d ON d.id = s.device_id ORDER BY s.sampled_at"
                )
            ).all()
    finally:
        engine.dispose()
    result: dict[str, list[dt.datetime]] = defaultdict(list)
    for name, sampled_at in rows:
        moment = stored_moment(sampled_at)
        if since is None or moment >= since:
            result[name].append(moment)
    return result
