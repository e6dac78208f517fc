"""The SSH collector kinds the daemon schedules next to health (``agent.daemon.HealthKind``).

Each wraps a collector (``collect``), says whether a run succeeded or found the device
unreachable (``outcome``), and keeps its result: in the store, through the module that owns
that part of the store (``agent.drift`` for configurations), and in the in-memory state that
``/metrics`` renders. For configurations the drift state is only known once the version is
stored, so ``record`` (in the daemon's writer thread) also updates the state; the state is
thread-safe.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.daemon import Outcome, classify_failure
from agent.errors import NetmonError

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.state import FleetState
    from agent.store import Store
    from collectors.config import ConfigCollector, ConfigSnapshot

# Failure reasons of a session that mean "the box did not answer": back off.
UNREACHABLE_REASONS = frozenset({"timeout", "refused", "closed"})
# The daemon's metric reasons (agent.daemon.ERROR_REASONS) for the CLI's own reasons.
METRIC_REASONS = {
    "timeout": "timeout",
    "refused": "refused",
    "closed": "refused",
    "auth": "auth",
    "truncated": "parse",
    "refused-command": "error",
    "profile": "error",
}


@dataclass(frozen=True)
class SshFailure:
    device: str
    reason: str  # the session's or collector's reason (auth, timeout, truncated, ...)
    message: str


class ConfigKind:
    kind = "config"
    transport = "ssh"

    def __init__(
        self,
        collector: ConfigCollector,
        store: Store | None,
        state: FleetState,
        *,
        git_dir: Path | None = None,
    ) -> None:
        self.collector = collector
        self.store = store
        self.state = state
        self.git_dir = git_dir

    async def collect(self, device: Device) -> ConfigSnapshot | SshFailure:
        try:
            return await self.collector.collect(device)
        except NetmonError as error:
            reason = str(getattr(error, "reason", "")) or classify_failure(str(error))
            return SshFailure(device.name, reason, str(error))

    def failed(self, device: Device, reason: str, message: str) -> SshFailure:
        return SshFailure(device.name, reason, message)

    def outcome(self, result: ConfigSnapshot | SshFailure) -> Outcome:
        if isinstance(result, SshFailure):
            return Outcome(
                success=False,
                unreachable=result.reason in UNREACHABLE_REASONS,
                error_reason=METRIC_REASONS.get(result.reason, "error"),
            )
        return Outcome(True, False)

    def update_state(self, state: FleetState, result: ConfigSnapshot | SshFailure) -> None:
        """Nothing yet: drift is known once ``record`` has compared with the stored baseline."""

    def record(self, result: ConfigSnapshot | SshFailure, started_at: dt.datetime) -> None:
        from agent.drift import record_config, record_failure

        if self.store is None:
            return
        if isinstance(result, SshFailure):
            record_failure(self.store, result.device, RuntimeError(result.message))
            return
        drift = record_config(self.store, result, git_dir=self.git_dir)
        self.state.update_config(result.device, drift.drift, drift.last_change, drift.baseline_at)
