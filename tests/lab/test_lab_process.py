"""The demo's defaults that must not collide on a shared host (issue 14): a private lab
directory per run, the next free loopback address for the lab when its port is taken."""

from __future__ import annotations

import random
import socket
import stat
from pathlib import Path

import pytest

from agent.lab.lab import LabError
from agent.lab.process import free_base_address, private_lab_dir


def test_each_demo_run_gets_its_own_private_lab_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    first, second = private_lab_dir(), private_lab_dir()
    try:
        assert first != second
        assert first.parent == second.parent == tmp_path
        assert first.name.startswith("netmon-demo-lab-")
        assert stat.S_IMODE(first.stat().st_mode) == 0o700
    finally:
        first.rmdir()
        second.rmdir()


def test_the_lab_steps_to_the_next_loopback_address_when_its_port_is_taken() -> None:
    port = random.randint(40000, 49999)
    first = f"127.{random.randint(60, 200)}.0.1"
    assert free_base_address(first, port) == first
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((first, port))
        chosen = free_base_address(first, port)
    assert chosen != first and chosen.startswith("127.") and chosen.endswith(".0.1")
    assert int(chosen.split(".")[1]) == int(first.split(".")[1]) + 1


def test_no_address_outside_loopback_is_ever_chosen() -> None:
    port = random.randint(40000, 49999)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.255.0.1", port))
        with pytest.raises(LabError, match="no free loopback address"):
            free_base_address("127.255.0.1", port)
