"""`netmon run` as systemd runs it: a real process with an inventory of lab devices, secrets
from systemd credentials, READY/WATCHDOG/STOPPING on $NOTIFY_SOCKET, /metrics served, SIGHUP
with a broken inventory refused, SIGTERM a clean exit.

The inventory here is written for the lab's loopback endpoints: the shipped inventory's
placeholder addresses are never polled by any test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agent.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("S5500", "S5700", "NGFW4000", "USG-1008DP", "SASNX3-GL2100")

pytestmark = pytest.mark.lab


def lab_inventory(lab: Lab) -> str:
    """An inventory of one lab device per model, secrets as systemd credentials."""
    entries = [
        "[defaults]",
        'site = "lab"',
        '[defaults.snmp]\ncommunity = { credential = "snmp-community" }',
        '[defaults.ssh]\nusername = "netmon"\npassword = { credential = "ssh-password" }',
        "[vendors.huawei.snmp]",
        'version = "3"\nuser = "netmon"\nauth_protocol = "SHA"\npriv_protocol = "AES"',
        'auth_key = { credential = "auth-key" }\npriv_key = { credential = "priv-key" }',
    ]
    for model in MODELS:
        sim = next(s for s in lab.devices.values() if s.model == model)
        entries.append(
            "[[device]]\n"
            f'name = "{sim.name}"\nvendor = "{sim.vendor}"\nmodel = "{sim.model}"\n'
            f'services = ["hardware", "tuning"]\naddress = "{sim.address}"\n'
            f"snmp = {{ port = {sim.snmp_port} }}\nssh = {{ port = {sim.ssh_port} }}"
        )
    return "\n".join(entries) + "\n"


def receive(sock: socket.socket, wanted: str, timeout: float) -> list[str]:
    """Notify messages until one contains ``wanted``."""
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


def test_netmon_run_under_a_systemd_like_supervisor(lab: Lab, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    for name, value in {
        "snmp-community": lab.credentials.community,
        "ssh-password": lab.credentials.ssh_password,
        "auth-key": lab.credentials.v3_auth_key,
        "priv-key": lab.credentials.v3_priv_key,
    }.items():
        (credentials / name).write_text(value + "\n")
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(lab_inventory(lab))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "netmon.toml"
    config.write_text(
        f'inventory = "{inventory}"\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
        "[intervals]\nhealth = 5\nconfig = 600\nsignatures = 600\n"
        "[scheduler]\njitter = 0.5\njob_timeout = 30\n"
    )
    notify = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(notify),
        "WATCHDOG_USEC": "2000000",
        "CREDENTIALS_DIRECTORY": str(credentials),
        "NETMON_STATE_DIR": str(tmp_path / "state"),
    }
    env.pop("NETMON_DB_URL", None)
    subprocess.run(
        [sys.executable, "-m", "agent.cli", "db", "upgrade"], env=env, check=True, timeout=60
    )
    # Logs to a file, not a pipe: a pipe nobody reads fills up and blocks the daemon.
    log_file = tmp_path / "netmon-run.log"
    with log_file.open("w") as log_handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
            env=env,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
        )
    try:
        receive(listener, "READY=1", 60)
        receive(listener, "WATCHDOG=1", 10)
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline:
            text = urllib.request.urlopen(url, timeout=5).read().decode()
            if text.count("netmon_device_up{") == len(MODELS) and " 0.0\n" not in "".join(
                line for line in text.splitlines(True) if line.startswith("netmon_device_up{")
            ):
                break
            time.sleep(1)
        up = [line for line in text.splitlines() if line.startswith("netmon_device_up{")]
        assert len(up) == len(MODELS) and all(line.endswith(" 1.0") for line in up), up
        assert "lab-ssh-password" not in text and lab.credentials.community not in text

        inventory.write_text("[[device]]\nname = \n")  # broken: refused, old fleet kept
        process.send_signal(signal.SIGHUP)
        time.sleep(3)
        assert process.poll() is None
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        assert text.count("netmon_device_up{") == len(MODELS)

        # The notify queue holds a few datagrams: empty it so STOPPING=1 has room, as a
        # supervisor that keeps reading would.
        listener.setblocking(False)
        while True:
            try:
                listener.recv(4096)
            except BlockingIOError:
                break
        listener.setblocking(True)
        process.send_signal(signal.SIGTERM)
        # SIGTERM lets collections in flight finish (an SSH fetch may be one): bounded by the
        # job timeout, not instant.
        assert process.wait(timeout=150) == 0
        receive(listener, "STOPPING=1", 5)
    finally:
        if process.poll() is None:
            process.kill()
        output = log_file.read_text(errors="replace")
        listener.close()
    assert "inventory" in output and "refused" in output.lower(), output[-2000:]
    for secret in (lab.credentials.ssh_password, lab.credentials.v3_auth_key):
        assert secret not in output
