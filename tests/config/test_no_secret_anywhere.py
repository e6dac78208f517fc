"""No planted secret reaches anything netmon writes or serves.

The lab prints every vendor's configuration with canary secrets in the vendor's own line
shapes (agent/lab/cli/*.toml ``[secrets]``). This test fetches one device of every distinct
shape over real SSH on loopback, through the daemon's configuration kind (fetch, redaction,
store, drift state, git export), once as it is and once after a configuration change, and
then looks for every canary in: the database file itself, the git export's whole history,
the drift diff, every document kind in every format (docx read by unzipping its XML), the
/metrics text, a spool entry of the write queue, and every log record netmon writes while it
fetches (at DEBUG, with the extras). None may appear anywhere.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import subprocess
import zipfile
from pathlib import Path

import pytest
from drift_support import planted_secrets
from prometheus_client import generate_latest

from agent import drift
from agent.inventory import Device
from agent.kind_writes import ConfigCodec, ConfigWrite
from agent.kinds import ConfigKind, SshFailure
from agent.lab.lab import Lab
from agent.metrics import build_registry
from agent.reports import FORMATS, REPORT_KINDS
from agent.reports.build import make_report
from agent.reports.period import day_period, month_period, report_timezone
from agent.reports.settings import ReportSettings
from agent.state import FleetState
from agent.store import open_store
from agent.store.repository import sync_devices
from agent.store.schema import upgrade
from collectors.config import ConfigCollector, fetch_running_config
from collectors.profiles import get_profile

pytestmark = pytest.mark.lab


def canaries_of(device: Device) -> tuple[str, ...]:
    family = get_profile(device.vendor).models[device.model].family
    return tuple(planted_secrets(device.vendor, device.model, family))


def one_device_per_shape(devices: list[Device]) -> list[tuple[Device, tuple[str, ...]]]:
    """A device of every (vendor, family, planted secrets) shape the lab prints."""
    chosen: dict[tuple[str, str, tuple[str, ...]], Device] = {}
    for device in sorted(devices, key=lambda d: d.name):
        canaries = canaries_of(device)
        if canaries:
            family = get_profile(device.vendor).models[device.model].family
            chosen.setdefault((device.vendor, family, canaries), device)
    return [(device, canaries) for (_, _, canaries), device in sorted(chosen.items())]


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8", errors="replace")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


def file_text(path: Path) -> str:
    if path.suffix == ".docx":
        return docx_text(path)
    return path.read_bytes().decode("utf-8", errors="replace")


class _Records(logging.Handler):
    """Every record netmon's side logs, message and extras; the lab's own loggers (which print
    the configurations on purpose) and the SSH server library it runs on are not netmon."""

    HARNESS = ("agent.lab", "asyncssh")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(self.HARNESS):
            self.lines.append(f"{record.name} {record.getMessage()} {record.__dict__!r}")


def test_no_planted_secret_reaches_any_document_export_or_metric(
    clean_lab: Lab, lab_devices: list[Device], tmp_path: Path
) -> None:
    shapes = one_device_per_shape(lab_devices)
    vendors = {device.vendor for device, _ in shapes}
    assert vendors == {"h3c", "huawei", "topsec", "leadsec", "venustech", "nsfocus"}, vendors
    canaries = sorted({canary for _, found in shapes for canary in found})

    database = tmp_path / "netmon.db"
    url = f"sqlite:///{database}"
    upgrade(url)
    store = open_store(url)
    git_dir = tmp_path / "configs.git"
    state = FleetState()
    devices = [device for device, _ in shapes]
    state.set_devices(devices)
    kind = ConfigKind(
        ConfigCollector(key=b"netmon-test-redaction-key-000001", read_timeout=20),
        store,
        state,
        git_dir=git_dir,
    )
    spooled: list[str] = []
    records = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        with store.session() as session:
            sync_devices(session, devices)
        for device, planted in shapes:
            # The canaries are really on the wire (else this test could not fail).
            raw = fetch_running_config(device, read_timeout=20)
            assert [c for c in planted if c in raw], f"{device.name} printed no canary"
            for fault in (None, "config-change"):
                if fault is not None:
                    clean_lab.set_fault(device.name, fault)
                started = dt.datetime.now(dt.UTC)
                result = asyncio.run(kind.collect(device))
                assert not isinstance(result, SshFailure), result
                kind.record(result, started)
                spooled.append(json.dumps(ConfigCodec(kind).encode(ConfigWrite(result, started))))
            clean_lab.clear(device.name)
        texts: dict[str, str] = {
            "database": b"".join(
                Path(f"{database}{suffix}").read_bytes()
                for suffix in ("", "-wal")
                if Path(f"{database}{suffix}").exists()
            ).decode("utf-8", errors="replace"),
            "git export": subprocess.run(
                ["git", "-C", str(git_dir), "log", "-p", "--all", "--format=%H %s%n%b"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout,
            "/metrics": generate_latest(build_registry(state)).decode(),
            "spool": "\n".join(spooled),
            "logs": "\n".join(records.lines),
        }
        assert records.lines, "nothing was logged (the log check could not fail)"
        assert texts["git export"].count("\ndiff --git") >= len(shapes)
        for device, _ in shapes:
            texts[f"diff of {device.name}"] = drift.diff(store, device.name)
            assert texts[f"diff of {device.name}"], f"{device.name}: the change made no diff"

        tz = report_timezone("Asia/Shanghai")
        today = dt.datetime.now(tz).date()
        periods = {
            "daily": day_period(today.isoformat(), tz),
            "monthly": month_period(today.strftime("%Y-%m"), tz),
            "maintenance": month_period(today.strftime("%Y-%m"), tz),
            "upgrades": month_period(today.strftime("%Y-%m"), tz),
        }
        settings = ReportSettings(agency="测试机关", contractor="测试承包商")
        documents = tmp_path / "documents"
        documents.mkdir()
        for report in REPORT_KINDS:
            for fmt in FORMATS:
                for lang in ("zh", "en"):
                    out = documents / f"{report}.{lang}.{fmt}"
                    for path in make_report(
                        store, report, periods[report], fmt, out, lang, settings
                    ):
                        texts[f"{report} {lang} {fmt}: {path.name}"] = file_text(path)
        # The documents do speak of the configurations (else they could hide nothing).
        assert any(device.name in texts["monthly zh html: monthly.zh.html"] for device, _ in shapes)
    finally:
        root.removeHandler(records)
        root.setLevel(level)
        store.close()

    leaks = [
        f"{canary!r} in {where}"
        for where, text in texts.items()
        for canary in canaries
        if canary in text
    ]
    assert not leaks, leaks
