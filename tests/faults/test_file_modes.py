"""Every file netmon writes is 0600 and every directory it makes 0700, whatever the umask:
the git export of configurations and the lab's lab.json (which holds the lab's credentials);
reports in tests/reports/test_report_file_modes.py (their fixtures live there)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.inventory import Inventory

LOOSE = 0o022  # the usual umask: files 0644, directories 0755 unless netmon says otherwise


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(LOOSE)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def open_to_others(root: Path) -> list[str]:
    """Every path under ``root`` (itself included) that group or others may read."""
    found = [] if mode(root) & 0o077 == 0 else [f"{root} {oct(mode(root))}"]
    for path in root.rglob("*"):
        if mode(path) & 0o077:
            found.append(f"{path} {oct(mode(path))}")
    return found


def test_lab_json_with_credentials_is_private(
    tmp_path: Path, inventory: Inventory, loose_umask: None
) -> None:
    from agent.lab.lab import Lab

    lab = Lab(list(inventory.devices)[:2], base_address="127.77.0.1")
    lab_dir = tmp_path / "lab"

    async def serve_once() -> None:
        await lab.serve_control(lab_dir)
        assert lab._control is not None
        lab._control.close()
        await lab._control.wait_closed()

    asyncio.run(serve_once())
    assert mode(lab_dir / "lab.json") == 0o600
    assert mode(lab_dir) == 0o700
    assert lab.credentials.ssh_password in (lab_dir / "lab.json").read_text()
    # Written again over a file someone loosened: tightened again.
    os.chmod(lab_dir / "lab.json", 0o644)
    asyncio.run(serve_once())
    assert mode(lab_dir / "lab.json") == 0o600


def test_the_git_export_is_private(tmp_path: Path, inventory: Inventory, loose_umask: None) -> None:
    from agent.drift import export_git
    from agent.store import open_store
    from agent.store.repository import add_config_version, sync_devices
    from agent.store.schema import upgrade
    from tests.support import require_tool

    require_tool("git", "git")
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    store = open_store(url)
    devices = list(inventory.devices)[:2]
    try:
        with store.session() as session:
            sync_devices(session, devices)
            for n, device in enumerate(devices):
                add_config_version(
                    session,
                    device.name,
                    f"sysname {device.name}\n",
                    collected_at=dt.datetime(2026, 12, 1, n, tzinfo=dt.UTC),
                )
        export = tmp_path / "exports" / "configs"
        assert export_git(store, export) == 2
    finally:
        store.close()
    assert (export / f"{devices[0].name}.cfg").is_file()
    assert open_to_others(export) == []
    # The parent made on the way is private too.
    assert mode(tmp_path / "exports") == 0o700
