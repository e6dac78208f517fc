"""``netmon signatures`` as an operator runs it: a subprocess with its own state directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from agent.store.schema import upgrade

if TYPE_CHECKING:
    from agent.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[2]


def netmon(*args: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NETMON_DB_URL", "NETMON_STATE_DIR")}
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )


def lab_dir_for(lab: Lab, directory: Path) -> Path:
    directory.mkdir()
    state = {
        "credentials": asdict(lab.credentials),
        "devices": [asdict(e) for e in lab.endpoints()],
    }
    (directory / "lab.json").write_text(json.dumps(state), encoding="utf-8")
    return directory


def test_an_empty_store_says_so(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'netmon.db'}")
    result = netmon("signatures", state_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no signature libraries or licences stored yet" in result.stdout


def test_fetch_from_the_lab_then_print_the_fleet_table(clean_lab: Lab, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    upgrade(f"sqlite:///{state / 'netmon.db'}")
    lab_dir = lab_dir_for(clean_lab, tmp_path / "lab")
    clean_lab.set_fault("leadsec-a2350-01", "licence-expiring")
    inventory = str(ROOT / "inventory.toml")
    fetched = netmon(
        "signatures",
        "--inventory",
        inventory,
        "--lab",
        "--lab-dir",
        str(lab_dir),
        "--fetch",
        "leadsec-a2350-01",
        "venus-1008dp-01",
        "h3c-s5500-01",
        state_dir=state,
    )
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert "leadsec-a2350-01: ok; 3 libraries, software V3.6.2.1, 2 licences" in fetched.stdout

    shown = netmon("signatures", state_dir=state)  # from the store only: no lab needed
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split() == [
        "device",
        "library",
        "version",
        "released",
        "age",
        "licence",
        "expiry",
    ]
    rows = {tuple(line.split()[:3]): line for line in lines[1:] if line.strip()}
    assert ("leadsec-a2350-01", "software", "V3.6.2.1") in rows
    assert ("h3c-s5500-01", "software", "5.20,") in rows  # switches: software only
    assert "EXPIRING" in rows[("leadsec-a2350-01", "licence", "system")]
    # The lab's Venustech URL library is 60 days old: stale under the 30-day default.
    assert "STALE" in rows[("venus-1008dp-01", "url", "1.4.2609.0031")]
    assert "STALE" not in rows[("venus-1008dp-01", "ips", "5.6.2611.1201")]
    assert "EXPIRING" not in rows[("venus-1008dp-01", "ips", "5.6.2611.1201")]
    assert "3 devices;" in lines[-1]


def test_an_unknown_device_is_a_clear_error(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'netmon.db'}")
    result = netmon(
        "signatures",
        "--inventory",
        str(ROOT / "inventory.toml"),
        "--fetch",
        "no-such-box",
        state_dir=tmp_path,
    )
    assert result.returncode == 2
    assert "no device named 'no-such-box'" in result.stderr
    assert "Traceback" not in result.stderr
