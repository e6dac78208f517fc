"""Planted secrets never leave the fetch: not in the database file (WAL included), the logs,
the output of any `netmon config` command, nor the git export (files and history).

Every vendor's lab configuration carries known, distinctive secrets (``[secrets.*]`` of
``agent/lab/cli/<vendor>.toml``); Huawei's are re-encrypted on each display, so for it the
test also looks for any ``%^%#`` cipher text. The metrics text is checked after the same
devices went through the daemon's configuration kind (``agent.kinds.ConfigKind``).
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
from dataclasses import asdict
from pathlib import Path

import pytest
from drift_support import REPRESENTATIVES

from agent.cli import main
from agent.inventory import Device
from agent.lab.cli import load_cli_spec
from agent.lab.lab import Lab
from collectors.config import fetch_running_config
from tests.support import require_tool

ROOT = Path(__file__).resolve().parents[2]


def planted_secrets(device: Device) -> list[str]:
    from collectors.profiles import get_profile

    family = get_profile(device.vendor).models[device.model].family
    spec = load_cli_spec(device.vendor, device.model, family)
    found = []
    for settings in spec.secrets.values():
        value = str(settings.get("value", ""))
        found += [line.strip() for line in value.splitlines() if line.strip()]
    return found


def _write_lab_json(lab: Lab, directory: Path) -> None:
    state = {
        "credentials": asdict(lab.credentials),
        "devices": [asdict(e) for e in lab.endpoints()],
    }
    (directory / "lab.json").write_text(json.dumps(state), encoding="utf-8")


def _metrics_after_daemon_runs(devices: list[Device]) -> str:
    """/metrics text after the daemon's config kind fetched and recorded these devices."""
    import asyncio
    from datetime import UTC, datetime

    from prometheus_client.exposition import generate_latest

    from agent.kinds import ConfigKind
    from agent.metrics import build_registry
    from agent.state import FleetState
    from agent.store import open_store
    from collectors.config import ConfigCollector

    state = FleetState()
    state.set_devices(devices)
    with open_store() as store:
        kind = ConfigKind(ConfigCollector(), store, state)
        for device in devices:
            result = asyncio.run(kind.collect(device))
            assert kind.outcome(result).success, result
            kind.record(result, datetime.now(UTC))
    text = generate_latest(build_registry(state)).decode()
    assert text.count("netmon_config_drift{") == len(devices)
    return text


def test_planted_secrets_appear_nowhere(
    clean_lab: Lab,
    lab_devices: list[Device],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    require_tool("git", "git")
    state = tmp_path / "state"
    monkeypatch.setenv("NETMON_STATE_DIR", str(state))
    monkeypatch.delenv("NETMON_DB_URL", raising=False)
    lab_dir, git_dir = tmp_path / "lab", tmp_path / "export"
    lab_dir.mkdir()
    _write_lab_json(clean_lab, lab_dir)
    inventory = str(ROOT / "inventory.toml")
    caplog.set_level(logging.DEBUG)
    assert main(["db", "upgrade"]) == 0
    # A reader kept open: SQLite then leaves the WAL file in place for the test to read.
    reader = sqlite3.connect(state / "netmon.db")
    reader.execute("SELECT count(*) FROM devices").fetchone()

    secrets: set[str] = set()
    for name in REPRESENTATIVES.values():
        device = next(d for d in lab_devices if d.name == name)
        planted = planted_secrets(device)
        raw = fetch_running_config(device, read_timeout=20)
        # The secrets really are in what the box prints (else this test proves nothing).
        present = [secret for secret in planted if secret in raw]
        assert len(present) >= (2 if device.vendor == "huawei" else 5), name
        if device.vendor == "huawei":  # plus six re-encrypted ones, new on each display
            assert raw.count("%^%#") >= 12
        secrets.update(planted)
        fetch = ["config", "fetch", name, "--inventory", inventory, "--lab", "--lab-dir"]
        assert main([*fetch, str(lab_dir), "--git", str(git_dir)]) == 0
        clean_lab.set_fault(name, "config-change")
        assert main([*fetch, str(lab_dir)]) == 0
        assert main(["config", "diff", name]) == 0
        assert main(["config", "approve", name, "--reason", "checked", "--by", "duty"]) == 0
        assert main(["config", "diff", name, "--from", "1", "--to", "2"]) == 0
        assert main(["config", "history", name]) == 0
        clean_lab.clear(name)
    metrics = _metrics_after_daemon_runs(
        [d for d in lab_devices if d.name in REPRESENTATIVES.values()]
    )
    assert main(["config", "status"]) == 0
    assert main(["config", "export", "--git", str(git_dir)]) == 0

    printed = capsys.readouterr()
    logs = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    database = b"".join(
        path.read_bytes() for path in state.iterdir() if path.name.startswith("netmon.db")
    )
    assert database and (state / "netmon.db-wal").stat().st_size > 0
    reader.close()
    git = shutil.which("git")
    assert git is not None
    history = subprocess.run(
        [git, "log", "-p", "--all"], cwd=git_dir, capture_output=True, text=True, check=True
    ).stdout
    files = "\n".join(p.read_text(errors="replace") for p in git_dir.iterdir() if p.is_file())
    assert "configuration v2" in history and "<secret:hmac:" in files

    everything_written = {
        "CLI output": printed.out + printed.err,
        "logs": logs,
        "database": database.decode("utf-8", "replace"),
        "git history": history,
        "git files": files,
        "metrics": metrics,
    }
    assert "v2 is the approved baseline" in printed.out
    for where, text in everything_written.items():
        for secret in sorted(secrets):
            assert secret not in text, f"a planted secret is in the {where}"
            middle = secret[len(secret) // 4 : len(secret) // 4 + 10]
            assert len(middle) < 8 or middle not in text, f"part of a secret is in the {where}"
        assert "%^%#" not in text, f"a Huawei cipher text is in the {where}"
