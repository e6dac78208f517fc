"""SIGHUP against the real ``netmon run`` process: netmon.toml and the inventory are re-read
together; a broken file of either kind, or an inventory whose secrets cannot be read, is
refused with the running configuration kept (no false outage); a good pair is applied and the
log says what changed. At start, unreadable secrets refuse the start unless netmon.toml allows.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from agent.lab.lab import Lab
from tests.support.daemon import (
    MODELS,
    daemon_environment,
    free_port,
    lab_inventory,
    read_log,
    receive,
    spawn_netmon_run,
    write_credentials,
)

pytestmark = pytest.mark.lab

REFUSED = "new inventory or settings refused; keeping the running ones"


def settings_text(inventory: Path, port: int, extra: str = "", health: int = 5) -> str:
    return (
        f'inventory = "{inventory}"\n{extra}\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
        f"[intervals]\nhealth = {health}\nconfig = 600\nsignatures = 600\n"
        "[scheduler]\njitter = 0.5\njob_timeout = 30\n"
    )


def wait_for_log(path: Path, message: str, count: int, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in read_log(path) if e.get("msg") == message]
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.2)
    raise AssertionError(f"no {count}. {message!r} in the log:\n{path.read_text()[-3000:]}")


def up_series(port: int) -> dict[str, str]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {
        line.split('device="', 1)[1].split('"', 1)[0]: line.rsplit(" ", 1)[1]
        for line in text.splitlines()
        if line.startswith("netmon_device_up{")
    }


def test_unreadable_secrets_refuse_the_start_unless_allowed(lab: Lab, tmp_path: Path) -> None:
    credentials = write_credentials(lab, tmp_path / "credentials")
    (credentials / "ssh-password").unlink()
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(lab_inventory(lab))
    config = tmp_path / "netmon.toml"
    config.write_text(settings_text(inventory, free_port()))
    env = daemon_environment(tmp_path, credentials)
    subprocess.run([sys.executable, "-m", "agent.cli", "db", "upgrade"], env=env, check=True)
    refused = subprocess.run(
        [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "Traceback" not in refused.stderr + refused.stdout
    assert f"{inventory}: {len(MODELS)} secret references cannot be read" in refused.stderr
    assert "ssh.password" in refused.stderr and "allow_unreadable_secrets" in refused.stderr

    # Allowed explicitly: it starts, says which secrets are missing, and serves.
    port = free_port()
    config.write_text(settings_text(inventory, port, "allow_unreadable_secrets = true"))
    notify = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    log_file = tmp_path / "allowed.log"
    process = spawn_netmon_run(
        config, daemon_environment(tmp_path, credentials, notify=notify), log_file
    )
    try:
        receive(listener, "READY=1", 60)
        warning = wait_for_log(
            log_file,
            "secrets cannot be read; the devices using them will show as down "
            "(allow_unreadable_secrets = true)",
            1,
        )
        assert len(warning["problems"]) == len(MODELS)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=150) == 0
    finally:
        if process.poll() is None:
            process.kill()
        listener.close()


def test_sighup_rereads_settings_and_inventory_together(lab: Lab, tmp_path: Path) -> None:
    credentials = write_credentials(lab, tmp_path / "credentials")
    inventory = tmp_path / "inventory.toml"
    good_inventory = lab_inventory(lab)
    inventory.write_text(good_inventory)
    port = free_port()
    config = tmp_path / "netmon.toml"
    config.write_text(settings_text(inventory, port))
    notify = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    env = daemon_environment(tmp_path, credentials, notify=notify)
    subprocess.run([sys.executable, "-m", "agent.cli", "db", "upgrade"], env=env, check=True)
    log_file = tmp_path / "netmon-run.log"
    process = spawn_netmon_run(config, env, log_file)
    names = [next(s.name for s in lab.devices.values() if s.model == m) for m in MODELS]
    try:
        receive(listener, "READY=1", 60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and up_series(port) != dict.fromkeys(names, "1.0"):
            time.sleep(1)
        assert up_series(port) == dict.fromkeys(names, "1.0")

        # 1. A broken netmon.toml: refused, naming the file and line.
        config.write_text(settings_text(inventory, port) + "[scheduler]\njob_timeout = -1\n")
        process.send_signal(signal.SIGHUP)
        refused = wait_for_log(
            log_file, "new inventory or settings refused; keeping the running ones", 1
        )
        assert any(str(config) in problem for problem in refused["problems"]), refused
        # 2. Secrets that cannot be read: refused, the fleet stays up (no false outage).
        config.write_text(settings_text(inventory, port))
        inventory.write_text(good_inventory.replace('"ssh-password"', '"no-such-credential"'))
        process.send_signal(signal.SIGHUP)
        refused = wait_for_log(
            log_file, "new inventory or settings refused; keeping the running ones", 2
        )
        assert any("cannot be read" in problem for problem in refused["problems"]), refused
        time.sleep(6)  # a health round with the old, good credentials
        assert up_series(port) == dict.fromkeys(names, "1.0")
        # 3. Deeply nested TOML: refused with the line, no traceback.
        inventory.write_text(good_inventory + "x = " + "[" * 5000 + "]" * 5000 + "\n")
        process.send_signal(signal.SIGHUP)
        refused = wait_for_log(
            log_file, "new inventory or settings refused; keeping the running ones", 3
        )
        assert any("nested more than 32 deep" in problem for problem in refused["problems"])

        # 4. A good pair: one device removed, one changed, maintenance, intervals, listen.
        removed, changed, silenced = names[0], names[1], names[2]
        blocks = good_inventory.split("[[device]]")
        kept = [b for b in blocks if f'name = "{removed}"' not in b]
        text = "[[device]]".join(kept)
        at = text.index(f'name = "{changed}"')
        text = text[:at] + 'site = "moved"\n' + text[at:]
        inventory.write_text(text)
        config.write_text(
            settings_text(inventory, port, f'maintenance = ["{silenced}"]', health=7).replace(
                "job_timeout = 30", "job_timeout = 25"
            )
        )
        process.send_signal(signal.SIGHUP)
        reloaded = wait_for_log(log_file, "configuration reloaded", 1)
        assert reloaded["removed"] == [removed] and reloaded["added"] == []
        assert reloaded["changed"] == [changed]
        assert set(reloaded["settings_changed"]) == {"maintenance", "intervals", "job_timeout"}
        assert reloaded["restart_needed"] == []
        series = up_series(port)
        assert removed not in series and set(series) == set(names) - {removed}
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        assert f'netmon_device_maintenance{{device="{silenced}"}} 1.0' in metrics.decode()

        # 5. A listen address change is reported as needing a restart, and not applied.
        config.write_text(settings_text(inventory, free_port(), health=7))
        process.send_signal(signal.SIGHUP)
        reloaded = wait_for_log(log_file, "configuration reloaded", 2)
        assert "listen_port" in reloaded["restart_needed"]
        assert set(up_series(port)) == set(names) - {removed}

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=150) == 0
    finally:
        if process.poll() is None:
            process.kill()
        listener.close()
    output = log_file.read_text(errors="replace")
    assert "Traceback" not in output and '"traceback"' not in output
    for secret in (lab.credentials.ssh_password, lab.credentials.v3_auth_key):
        assert secret not in output
