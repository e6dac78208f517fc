"""`netmon run` as systemd runs it: a real process with an inventory of lab devices, secrets
from systemd credentials, READY/WATCHDOG/STOPPING on $NOTIFY_SOCKET, /metrics served, SIGHUP
with a broken inventory refused, SIGTERM a clean exit.

The inventory here is written for the lab's loopback endpoints: the shipped inventory's
placeholder addresses are never polled by any test.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agent.lab.lab import Lab
from tests.support.daemon import (
    MODELS,
    daemon_environment,
    free_port,
    lab_inventory,
    receive,
    spawn_netmon_run,
    write_credentials,
)

pytestmark = pytest.mark.lab


def test_netmon_run_under_a_systemd_like_supervisor(lab: Lab, tmp_path: Path) -> None:
    credentials = write_credentials(lab, tmp_path / "credentials")
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(lab_inventory(lab))
    port = free_port()
    config = tmp_path / "netmon.toml"
    config.write_text(
        f'inventory = "{inventory}"\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
        "[intervals]\nhealth = 5\nconfig = 600\nsignatures = 600\n"
        "[scheduler]\njitter = 0.5\njob_timeout = 30\n"
    )
    notify = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    env = daemon_environment(tmp_path, credentials, notify=notify, WATCHDOG_USEC="2000000")
    subprocess.run(
        [sys.executable, "-m", "agent.cli", "db", "upgrade"], env=env, check=True, timeout=60
    )
    log_file = tmp_path / "netmon-run.log"
    process = spawn_netmon_run(config, env, log_file)
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


def test_netmon_run_says_which_address_is_in_use(lab: Lab, tmp_path: Path) -> None:
    """Another program holds the metrics port: `netmon run` exits non-zero with one line that
    names the address, no traceback (the bind used to fail inside the HTTP server's cleanup
    with an AttributeError)."""
    credentials = write_credentials(lab, tmp_path / "credentials")
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(lab_inventory(lab))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = int(holder.getsockname()[1])
        config = tmp_path / "netmon.toml"
        config.write_text(f'inventory = "{inventory}"\n[metrics]\nlisten = "127.0.0.1:{port}"\n')
        env = daemon_environment(tmp_path, credentials)
        subprocess.run(
            [sys.executable, "-m", "agent.cli", "db", "upgrade"], env=env, check=True, timeout=60
        )
        result = subprocess.run(
            [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"127.0.0.1:{port} is in use" in result.stderr, result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "AttributeError" not in output, output
    errors = [line for line in result.stderr.splitlines() if "in use" in line]
    assert len(errors) == 1, result.stderr
