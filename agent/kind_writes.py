"""Configuration and signature results as items of the daemon's write-behind queue
(``agent.writer``), next to health samples (``agent.recorder.HealthWrite``).

A run's result is turned into an item when the run lands (``ConfigKind.pending_write``,
``SignaturesKind.pending_write``), so that a store outage keeps every one of them, in memory
and then in the spool (0600 JSON in the state directory), and replays them oldest first once
the store is back, instead of only the newest per device in memory. A configuration is kept
as the collector left it: normalised and redacted, never the raw text.

What the store does not hold (the drift and signature metrics, the git export) changes in the
codec's after-commit step only, so /metrics never shows a write that was not committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from agent.writer import AfterCommit
from collectors.config import ConfigSnapshot
from collectors.signatures.collector import LibraryReading, LicenceReading, SignatureSnapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agent.kinds import ConfigKind, SignaturesKind, SshFailure


def _datetime(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class ConfigWrite:
    """One configuration run: the fetched (redacted) configuration, or why it failed."""

    result: ConfigSnapshot | SshFailure
    started_at: dt.datetime

    @property
    def device(self) -> str:
        return self.result.device


class ConfigCodec:
    """``ConfigWrite`` items of ``kind`` for the write queue."""

    def __init__(self, kind: ConfigKind) -> None:
        self.kind = kind

    def write_batch(self, session: Session, items: Sequence[ConfigWrite]) -> list[AfterCommit]:
        # A configuration run compares with the one before it: one by one, in order.
        steps = [self.write(session, item) for item in items]
        return [step for step in steps if step is not None]

    def write(self, session: Session, item: ConfigWrite) -> AfterCommit | None:
        from agent.drift import export_git, write_config, write_failure
        from agent.kinds import SshFailure

        result = item.result
        if isinstance(result, SshFailure):
            write_failure(session, result.device, result.message, started_at=item.started_at)
            return None
        recorded = write_config(session, result)
        kind = self.kind

        def committed() -> None:
            recorded.log()
            drift = recorded.drift
            kind.state.update_config(
                recorded.device, drift.drift, drift.last_change, drift.baseline_at
            )
            if kind.git_dir is not None and kind.store is not None:
                export_git(kind.store, kind.git_dir)

        return committed

    def encode(self, item: ConfigWrite) -> dict[str, Any]:
        from agent.kinds import SshFailure

        result = item.result
        encoded: dict[str, Any] = {"started_at": item.started_at.isoformat()}
        if isinstance(result, SshFailure):
            encoded["failure"] = asdict(result)
        else:
            snapshot = asdict(result)
            snapshot["collected_at"] = result.collected_at.isoformat()
            encoded["snapshot"] = snapshot
        return encoded

    def decode(self, data: dict[str, Any]) -> ConfigWrite:
        from agent.kinds import SshFailure

        started_at = dt.datetime.fromisoformat(data["started_at"])
        if "failure" in data:
            return ConfigWrite(SshFailure(**data["failure"]), started_at)
        snapshot = dict(data["snapshot"])
        snapshot["collected_at"] = dt.datetime.fromisoformat(snapshot["collected_at"])
        return ConfigWrite(ConfigSnapshot(**snapshot), started_at)

    def describe(self, item: ConfigWrite) -> str:
        return f"configuration run of {item.device} at {item.started_at.isoformat()}"


@dataclass(frozen=True)
class SignatureWrite:
    """One signature run: what it read (or that the device did not answer)."""

    snapshot: SignatureSnapshot
    started_at: dt.datetime

    @property
    def device(self) -> str:
        return self.snapshot.device


class SignatureCodec:
    """``SignatureWrite`` items of ``kind`` for the write queue."""

    def __init__(self, kind: SignaturesKind) -> None:
        self.kind = kind

    def write_batch(self, session: Session, items: Sequence[SignatureWrite]) -> list[AfterCommit]:
        steps = [self.write(session, item) for item in items]
        return [step for step in steps if step is not None]

    def write(self, session: Session, item: SignatureWrite) -> AfterCommit | None:
        from agent.signatures import fleet_rows, record_snapshot, state_rows

        record_snapshot(session, item.snapshot, item.started_at)
        state = self.kind.state
        if state is None:
            return None
        # Read back inside the transaction (it sees its own rows), applied once it committed.
        rows = [
            state_rows(view) for view in fleet_rows(session, self.kind.rules, device=item.device)
        ]

        def committed() -> None:
            for libraries, licences in rows:
                state.update_signatures(item.device, libraries, licences)

        return committed

    def encode(self, item: SignatureWrite) -> dict[str, Any]:
        snapshot = item.snapshot
        return {
            "started_at": item.started_at.isoformat(),
            "device": snapshot.device,
            "vendor": snapshot.vendor,
            "collected_at": snapshot.collected_at.isoformat(),
            "in_scope": snapshot.in_scope,
            "reachable": snapshot.reachable,
            "software_version": snapshot.software_version,
            "libraries": [
                {
                    "library": lib.library,
                    "kind": lib.kind,
                    "printed": lib.printed,
                    "version": lib.version,
                    "release_date": _iso(lib.release_date),
                    "updated_at": _iso(lib.updated_at),
                }
                for lib in snapshot.libraries
            ],
            "licences": [
                {"feature": lic.feature, "expires_on": _iso(lic.expires_on), "status": lic.status}
                for lic in snapshot.licences
            ],
            "errors": dict(snapshot.errors),
        }

    def decode(self, data: dict[str, Any]) -> SignatureWrite:
        snapshot = SignatureSnapshot(
            device=data["device"],
            vendor=data["vendor"],
            collected_at=dt.datetime.fromisoformat(data["collected_at"]),
            in_scope=bool(data["in_scope"]),
            reachable=bool(data["reachable"]),
            software_version=data["software_version"],
            libraries=[
                LibraryReading(
                    library=lib["library"],
                    kind=lib["kind"],
                    printed=lib["printed"],
                    version=lib["version"],
                    release_date=_date(lib["release_date"]),
                    updated_at=_datetime(lib["updated_at"]),
                )
                for lib in data["libraries"]
            ],
            licences=[
                LicenceReading(
                    feature=lic["feature"],
                    expires_on=_date(lic["expires_on"]),
                    status=lic["status"],
                )
                for lic in data["licences"]
            ],
            errors=dict(data["errors"]),
        )
        return SignatureWrite(snapshot, dt.datetime.fromisoformat(data["started_at"]))

    def describe(self, item: SignatureWrite) -> str:
        return f"signature run of {item.device} at {item.started_at.isoformat()}"
