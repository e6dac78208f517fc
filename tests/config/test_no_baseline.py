"""Before a baseline is approved the state is "no baseline", not drift (issue 14): no drift
event, the metric reads -1 (NetmonConfigDrift only fires on 1), and ``netmon config status``
prompts the first approval."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from prometheus_client import generate_latest

from agent import drift
from agent.cli import main
from agent.inventory import load_inventory
from agent.metrics import build_registry
from agent.state import FleetState
from agent.store import Store
from collectors.config.collector import ConfigSnapshot
from tests.conftest import SHIPPED_INVENTORY

DEVICE = "huawei-s5700-01"


def snapshot(text: str, at: dt.datetime) -> ConfigSnapshot:
    return ConfigSnapshot(
        device=DEVICE,
        vendor="huawei",
        collected_at=at,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        secrets_redacted=0,
        volatile_dropped=0,
    )


def drift_metric(state: drift.DriftState) -> float:
    fleet = FleetState()
    fleet.set_devices([d for d in load_inventory(SHIPPED_INVENTORY).devices if d.name == DEVICE])
    fleet.update_config(DEVICE, state.drift, state.last_change, state.baseline_at)
    text = generate_latest(build_registry(fleet)).decode()
    (line,) = [x for x in text.splitlines() if x.startswith("netmon_config_drift{")]
    return float(line.rsplit(" ", 1)[1])


def test_changes_before_the_first_approval_are_not_drift(
    fleet_store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    first = drift.record_config(fleet_store, snapshot("sysname sw\n", start))
    assert (first.label, first.drift, first.has_baseline) == ("no baseline", False, False)
    changed = drift.record_config(
        fleet_store, snapshot("sysname sw\nvlan 10\n", start + dt.timedelta(hours=1))
    )
    assert (changed.label, changed.drift) == ("no baseline", False)
    assert drift_metric(changed) == -1

    events = [e for e in drift.history(fleet_store, DEVICE)]
    assert [v.sequence for v in events] == [1, 2]

    assert main(["config", "--url", db_url, "status"]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith(DEVICE))
    assert "no baseline" in row and "DRIFT" not in row
    assert "no approved baseline yet" in printed
    assert "netmon config approve" in printed  # the first approval is prompted

    drift.approve(fleet_store, DEVICE, "initial baseline", by="duty")
    back = drift.record_config(fleet_store, snapshot("sysname sw\n", start + dt.timedelta(hours=2)))
    assert (back.label, back.drift) == ("drift", True)
    assert drift_metric(back) == 1
    assert main(["config", "--url", db_url, "status"]) == 0
    printed = capsys.readouterr().out
    assert "DRIFT" in next(line for line in printed.splitlines() if line.startswith(DEVICE))
