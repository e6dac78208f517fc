"""A session that fails mid-command is a reason per value, never an exception for the job.

Found by the hostile-device matrix on a loaded machine: netmiko's ReadTimeout from the facts
read escaped ``read_cli_health`` and reached the daemon as "collector failed" with a traceback.
The wire is covered there (tests/faults/test_hostile_devices.py); here the mapping alone, with
a driver that fails the way netmiko does."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from netmiko.exceptions import ReadTimeout

import collectors.drivers as drivers
from collectors.cli_health import read_cli_health


class _Driver:
    def __init__(self, failing: str, error: BaseException) -> None:
        self.failing = failing
        self.error = error
        self.closed = False

    def open(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def _maybe_fail(self, getter: str) -> None:
        if getter == self.failing:
            raise self.error

    def get_facts(self) -> dict[str, Any]:
        self._maybe_fail("facts")
        return {"os_version": "7.1.070", "model": "S5560"}

    def get_environment(self) -> dict[str, Any]:
        self._maybe_fail("environment")
        return {"cpu": {"0": {"%usage": 12.0}}}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ReadTimeout("Pattern not detected: '<fake>' in output."), "ssh: SSH connection timed out"),
        (EOFError(), "ssh: SSH connection closed by the device"),
        (OSError("Socket is closed"), "ssh: SSH connection closed by the device"),
    ],
)
def test_the_facts_read_failing_mid_command_is_a_reason(
    monkeypatch: pytest.MonkeyPatch, error: BaseException, reason: str
) -> None:
    driver = _Driver("facts", error)
    monkeypatch.setattr(drivers, "driver_for_device", lambda device: driver)
    result = read_cli_health(SimpleNamespace(name="sw-1"), facts=True, environment=True)  # type: ignore[arg-type]
    assert result.errors == {"software_version": reason, "cli": reason}
    assert result.software_version is None and result.environment is None
    assert driver.closed


def test_what_was_read_before_the_failure_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = _Driver("environment", ReadTimeout("no prompt"))
    monkeypatch.setattr(drivers, "driver_for_device", lambda device: driver)
    result = read_cli_health(SimpleNamespace(name="sw-1"), facts=True, environment=True)  # type: ignore[arg-type]
    assert result.software_version == "7.1.070" and result.model == "S5560"
    assert result.errors == {"cli": "ssh: SSH connection timed out"}
    assert driver.closed
