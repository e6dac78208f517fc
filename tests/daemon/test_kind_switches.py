"""Collector kinds switched off per vendor or device (netmon.toml ``[collectors]``, issue 10
item 4): such a kind gets no job at all for that device; a bad kind name is an error naming
the file and line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.daemon import Daemon, Schedule
from agent.settings import SettingsError, load_settings
from agent.state import FleetState
from tests.daemon.test_daemon import RecordingKind, fleet


class _Named(RecordingKind):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


def test_switched_off_kinds_get_no_jobs(tmp_path: Path) -> None:
    devices = fleet()
    one = devices[0]
    vendor = next(d.vendor for d in devices if d.vendor != one.vendor)
    path = tmp_path / "netmon.toml"
    path.write_text(
        "[collectors]\n"
        'off = ["health_cli"]\n'
        f'vendors = {{ {vendor} = ["signatures"] }}\n'
        f'devices = {{ "{one.name}" = ["config"] }}\n'
    )
    switches = load_settings(path).kinds

    async def main() -> set[str]:
        daemon = Daemon(
            [_Named("config"), _Named("signatures")],
            devices,
            FleetState(),
            Schedule(intervals={"config": 3600, "signatures": 3600}, first_run_spread=3600),
            enabled=lambda kind, device: switches.enabled(kind, device.name, device.vendor),
        )
        await daemon.start()
        jobs = set(daemon.first_run_times())
        await daemon.drain()
        return jobs

    jobs = asyncio.run(main())
    expected = {f"config:{d.name}" for d in devices if d.name != one.name} | {
        f"signatures:{d.name}" for d in devices if d.vendor != vendor
    }
    assert jobs == expected
    assert not switches.enabled("health_cli", one.name, one.vendor)
    assert switches.enabled("health", one.name, one.vendor)


def test_an_unknown_kind_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "netmon.toml"
    path.write_text('[collectors]\noff = ["confg"]\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert "netmon.toml:2" in str(caught.value) and "'confg'" in str(caught.value)


def test_shard_index_must_be_below_count(tmp_path: Path) -> None:
    path = tmp_path / "netmon.toml"
    path.write_text('[shard]\nmode = "static"\nindex = 2\ncount = 2\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert "index 2 is not below count 2" in str(caught.value)
