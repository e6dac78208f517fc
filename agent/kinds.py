"""The SSH collector kinds the daemon schedules next to health (``agent.daemon.HealthKind``):
configuration (``ConfigKind``) and signature libraries and licences (``SignaturesKind``).

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
from collectors.signatures.collector import SignatureSnapshot, in_signature_scope
from collectors.signatures.staleness import library_stale

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.kind_writes import ConfigWrite, SignatureWrite
    from agent.state import FleetState
    from agent.store import Store
    from collectors.config import ConfigCollector, ConfigSnapshot
    from collectors.signatures import SignatureCollector
    from collectors.signatures.staleness import StalenessRules

# Failure reasons of a session that mean "the box did not answer": back off.
UNREACHABLE_REASONS = frozenset({"timeout", "refused", "closed"})
# The daemon's metric reasons (agent.daemon.ERROR_REASONS) for the CLI's own reasons.
METRIC_REASONS = {
    "timeout": "timeout",
    "refused": "refused",
    "closed": "refused",
    "auth": "auth",
    "truncated": "parse",
    # Output past the profile's size cap was cut: an incomplete configuration, as "truncated".
    "too-large": "parse",
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

    def pending_write(
        self, result: ConfigSnapshot | SshFailure, started_at: dt.datetime
    ) -> ConfigWrite | None:
        """The store write as a queue item (``agent.kind_writes``), or None without a store."""
        from agent.kind_writes import ConfigWrite

        return None if self.store is None else ConfigWrite(result, started_at)


class SignaturesKind:
    """Signatures over SSH (``SignatureCollector``) into store and state, for ``agent.daemon``.

    ``update_state`` (on the loop) takes a complete snapshot as it is; ``record`` (writer
    thread) stores it and then refreshes the state from the store, so a partial fetch never
    makes a library vanish from the metrics either."""

    kind = "signatures"
    transport = "ssh"

    def __init__(
        self,
        collector: SignatureCollector,
        store: Store | None,
        rules: StalenessRules,
        state: FleetState | None = None,
    ) -> None:
        self.collector = collector
        self.store = store
        self.rules = rules
        self.state = state

    async def collect(self, device: Device) -> SignatureSnapshot:
        return await self.collector.collect(device)

    def failed(self, device: Device, reason: str, message: str) -> SignatureSnapshot:
        snapshot = SignatureSnapshot(
            device.name,
            device.vendor,
            dt.datetime.now(dt.UTC),
            in_scope=in_signature_scope(device.services),
            reachable=False,
        )
        snapshot.errors["job"] = f"{reason}: {message}"
        return snapshot

    def outcome(self, result: SignatureSnapshot) -> Outcome:
        if not result.reachable:
            return Outcome(False, True, classify_failure(result.error_text() or "no answer"))
        return Outcome(True, False, "partial" if result.errors else None)

    def update_state(self, state: FleetState, result: SignatureSnapshot) -> None:
        self.state = state
        if not result.reachable or result.errors:
            return
        today = result.collected_at.date()
        libraries = [
            (
                lib.library,
                lib.version,
                lib.release_date,
                lib.updated_at,
                result.in_scope
                and library_stale(lib.kind, lib.release_date, today, self.rules, result.device),
            )
            for lib in result.libraries
        ]
        licences = [(lic.feature, lic.expires_on) for lic in result.licences]
        state.update_signatures(result.device, libraries, licences)

    def record(self, result: SignatureSnapshot, started_at: dt.datetime) -> None:
        from agent.signatures import fleet_rows, record_snapshot, state_rows

        if self.store is None:
            return
        with self.store.session() as session:
            record_snapshot(session, result, started_at)
            if self.state is None:
                return
            for view in fleet_rows(session, self.rules, device=result.device):
                libraries, licences = state_rows(view)
                self.state.update_signatures(result.device, libraries, licences)

    def pending_write(
        self, result: SignatureSnapshot, started_at: dt.datetime
    ) -> SignatureWrite | None:
        """The store write as a queue item (``agent.kind_writes``), or None without a store."""
        from agent.kind_writes import SignatureWrite

        return None if self.store is None else SignatureWrite(result, started_at)
