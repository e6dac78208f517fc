"""Configuration drift, store side: versions, baseline, drift, diff, history, git export.

A ``ConfigSnapshot`` (already redacted and normalised by ``collectors.config``) becomes a new
version only when its text differs from the device's latest one; otherwise the latest
version's ``last_seen`` moves. Texts are stored once, by SHA-256 (``config_texts``).

Drift: the current (latest) version differs from the approved baseline. Before anybody has
approved one the state is "no baseline", not drift (``netmon config status`` prompts the first
approval; the metric shows -1); the default diff still compares with the first version seen
then. Every new version is a
``config-change`` event; drift starting is a ``config-drift`` event, drift ending (approval,
or the box going back) a ``config-drift-cleared`` event; approvals are ``config-approved``
events carrying who approved what and why (they feed the maintenance and tuning record).

The daemon calls ``record_config(store, snapshot)`` after each successful fetch (it returns
the ``DriftState`` that the metrics show) and ``record_failure(store, device, error)`` after a
failed one; a failure never touches the stored versions.
"""

from __future__ import annotations

import difflib
import getpass
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from agent.errors import NetmonError
from agent.privatefiles import UMASK, make_private_dir, write_private
from agent.store import repository as repo
from agent.store.engine import Store
from agent.store.models import ConfigVersion, Device

if TYPE_CHECKING:
    from collectors.config import ConfigSnapshot

log = logging.getLogger(__name__)

SECRET_TOKEN = re.compile(r"<secret:[a-z]+(?::[0-9a-f]+)?>")


class DriftError(NetmonError):
    """A drift command cannot do what was asked (names the device, version or directory)."""


@dataclass(frozen=True)
class DriftState:
    """Drift exists only against an approved baseline. Before the first approval the state
    is "no baseline" (``has_baseline`` false, ``drift`` false): a change then is news to
    nobody, since nothing was ever agreed on."""

    drift: bool
    last_change: datetime | None  # when the current version was first seen (None: never changed)
    baseline_at: datetime | None  # when the baseline was approved (None: no approval yet)

    @property
    def has_baseline(self) -> bool:
        return self.baseline_at is not None

    @property
    def label(self) -> str:
        """``no baseline``, ``drift`` or ``ok``: how status output and documents name it."""
        if not self.has_baseline:
            return "no baseline"
        return "drift" if self.drift else "ok"


@dataclass(frozen=True)
class VersionInfo:
    sequence: int
    sha256: str
    first_seen: datetime
    last_seen: datetime
    lines: int
    is_baseline: bool
    approved_at: datetime | None
    approved_by: str | None
    approval_note: str | None


@dataclass(frozen=True)
class DeviceDrift:
    device: str
    current: int | None
    baseline: int | None
    state: DriftState


# --- drift ---------------------------------------------------------------------------------


def _reference(session: Session, device: Device) -> ConfigVersion | None:
    baseline = repo.baseline_config(session, device)
    return baseline if baseline is not None else repo.config_version(session, device, 1)


def drift_state(session: Session, device: Device | str) -> DriftState:
    row = repo.get_device(session, device)
    latest = repo.latest_config(session, row)
    if latest is None:
        return DriftState(drift=False, last_change=None, baseline_at=None)
    baseline = repo.baseline_config(session, row)
    return DriftState(
        drift=baseline is not None and baseline.sha256 != latest.sha256,
        last_change=latest.collected_at if latest.sequence > 1 else None,
        baseline_at=None if baseline is None else baseline.approved_at,
    )


def _changed_lines(diff: str) -> tuple[int, int, int]:
    """(added, removed, secret lines changed) of a unified diff."""
    added = [x[1:] for x in diff.splitlines() if x.startswith("+") and not x.startswith("+++")]
    removed = [x[1:] for x in diff.splitlines() if x.startswith("-") and not x.startswith("---")]
    secret_added = {SECRET_TOKEN.sub("<secret>", x) for x in added if SECRET_TOKEN.search(x)}
    secret_removed = {SECRET_TOKEN.sub("<secret>", x) for x in removed if SECRET_TOKEN.search(x)}
    return len(added), len(removed), len(secret_added & secret_removed)


@dataclass(frozen=True)
class ConfigRecorded:
    """What ``write_config`` did: the version kept and the device's drift state after it."""

    device: str
    sequence: int
    created: bool
    drift: DriftState

    def log(self) -> None:
        log.info(
            "configuration recorded",
            extra={
                "device": self.device,
                "version": self.sequence,
                "new_version": self.created,
                "drift": self.drift.drift,
            },
        )


def record_config(
    store: Store, snapshot: ConfigSnapshot, *, git_dir: Path | None = None
) -> DriftState:
    """Keep one fetched configuration; return the device's drift state afterwards."""
    with store.session() as session:
        recorded = write_config(session, snapshot)
    recorded.log()
    if git_dir is not None:
        export_git(store, git_dir)
    return recorded.drift


def write_config(session: Session, snapshot: ConfigSnapshot) -> ConfigRecorded:
    """Put one fetched configuration into ``session`` (version, run, change and drift events);
    the caller's transaction commits it (alone, or in the daemon's write queue's batch)."""
    device = repo.get_device(session, snapshot.device)
    before = drift_state(session, device)
    run = repo.start_run(session, device, "config", started_at=snapshot.collected_at)
    change = repo.add_config_version(
        session, device, snapshot.text, collected_at=snapshot.collected_at
    )
    version = change.version
    if change.created:
        _change_events(session, device, version, snapshot)
    after = drift_state(session, device)
    if after.drift and not before.drift:
        reference = _reference(session, device)
        repo.add_event(
            session,
            "config-drift",
            "warning",
            f"{device.name}: configuration v{version.sequence} differs from "
            + _reference_name(reference),
            device=device,
            details={"version": version.sequence, "reference": _seq(reference)},
            occurred_at=snapshot.collected_at,
        )
    elif before.drift and not after.drift:
        repo.add_event(
            session,
            "config-drift-cleared",
            "info",
            f"{device.name}: configuration is back to "
            + _reference_name(_reference(session, device)),
            device=device,
            details={"version": version.sequence},
            occurred_at=snapshot.collected_at,
        )
    repo.finish_run(session, run, "ok")
    return ConfigRecorded(snapshot.device, version.sequence, change.created, after)


def _seq(version: ConfigVersion | None) -> int | None:
    return None if version is None else version.sequence


def _reference_name(reference: ConfigVersion | None) -> str:
    if reference is None:
        return "no reference"
    if reference.is_baseline:
        return f"the approved baseline v{reference.sequence}"
    return f"the first version seen, v{reference.sequence} (no baseline approved yet)"


def _change_events(
    session: Session, device: Device, version: ConfigVersion, snapshot: ConfigSnapshot
) -> None:
    if version.sequence == 1:
        repo.add_event(
            session,
            "config-first-seen",
            "info",
            f"{device.name}: first configuration stored as v1",
            device=device,
            details={"version": 1, "sha256": version.sha256},
            occurred_at=snapshot.collected_at,
        )
        return
    added, removed, secrets = _changed_lines(version.diff or "")
    note = f", {secrets} secret(s) changed" if secrets else ""
    repo.add_event(
        session,
        "config-change",
        "warning",
        f"{device.name}: configuration changed, v{version.sequence - 1} -> v{version.sequence} "
        f"(+{added} -{removed} lines{note})",
        device=device,
        details={
            "from": version.sequence - 1,
            "to": version.sequence,
            "sha256": version.sha256,
            "added": added,
            "removed": removed,
            "secrets_changed": secrets,
        },
        occurred_at=snapshot.collected_at,
    )


def record_failure(store: Store, device: str, error: BaseException) -> None:
    """A failed fetch: a failed ``config`` run with the error; versions stay untouched."""
    with store.session() as session:
        write_failure(session, device, str(error))


def write_failure(
    session: Session, device: str, error: str, started_at: datetime | None = None
) -> None:
    """``record_failure`` into the caller's transaction."""
    run = repo.start_run(session, device, "config", started_at=started_at)
    repo.finish_run(session, run, "failed", error=error)


# --- approval, diff, history, status -------------------------------------------------------


def default_approver() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def approve(
    store: Store,
    device: str,
    reason: str,
    by: str | None = None,
    version: int | None = None,
    at: datetime | None = None,
) -> VersionInfo:
    """Make a version (default: the current one) the approved baseline."""
    if not reason.strip():
        raise DriftError(f"{device}: an approval needs a reason")
    by = by or default_approver()
    with store.session() as session:
        row = repo.get_device(session, device)
        before = drift_state(session, row)
        approved = repo.approve_baseline(
            session, row, by, sequence=version, note=reason, approved_at=at
        )
        repo.add_event(
            session,
            "config-approved",
            "info",
            f"{row.name}: configuration v{approved.sequence} approved as baseline by {by}: "
            f"{reason}",
            device=row,
            details={"version": approved.sequence, "by": by, "reason": reason},
            occurred_at=approved.approved_at,
        )
        after = drift_state(session, row)
        if before.drift and not after.drift:
            repo.add_event(
                session,
                "config-drift-cleared",
                "info",
                f"{row.name}: drift cleared by the approval of v{approved.sequence}",
                device=row,
                details={"version": approved.sequence},
                occurred_at=approved.approved_at,
            )
        info = _info(approved)
    log.info("configuration approved", extra={"device": device, "version": info.sequence, "by": by})
    return info


def _info(version: ConfigVersion) -> VersionInfo:
    return VersionInfo(
        sequence=version.sequence,
        sha256=version.sha256,
        first_seen=version.collected_at,
        last_seen=version.last_seen,
        lines=version.text.count("\n"),
        is_baseline=version.is_baseline,
        approved_at=version.approved_at,
        approved_by=version.approved_by,
        approval_note=version.approval_note,
    )


def history(store: Store, device: str) -> list[VersionInfo]:
    with store.session(read_only=True) as session:
        return [_info(v) for v in repo.config_versions(session, device)]


def _version(session: Session, device: Device, sequence: int) -> ConfigVersion:
    found = repo.config_version(session, device, sequence)
    if found is None:
        raise DriftError(f"{device.name}: there is no configuration version {sequence}")
    return found


def diff(
    store: Store, device: str, from_version: int | None = None, to_version: int | None = None
) -> str:
    """A unified diff, by default from the reference (baseline) to the current version; an
    empty string when the two are the same."""
    with store.session(read_only=True) as session:
        row = repo.get_device(session, device)
        latest = repo.latest_config(session, row)
        if latest is None:
            raise DriftError(f"{row.name}: no configuration stored yet (run `netmon config fetch`)")
        old = _version(session, row, from_version) if from_version else _reference(session, row)
        new = _version(session, row, to_version) if to_version else latest
        assert old is not None
        label = " (baseline)" if old.is_baseline else ""
        return "\n".join(
            difflib.unified_diff(
                old.text.splitlines(),
                new.text.splitlines(),
                fromfile=f"{row.name} v{old.sequence}{label}",
                tofile=f"{row.name} v{new.sequence}",
                lineterm="",
            )
        )


def status(store: Store) -> list[DeviceDrift]:
    with store.session(read_only=True) as session:
        result = []
        for device in repo.active_devices(session):
            latest = repo.latest_config(session, device)
            baseline = repo.baseline_config(session, device)
            result.append(
                DeviceDrift(
                    device=device.name,
                    current=_seq(latest),
                    baseline=_seq(baseline),
                    state=drift_state(session, device),
                )
            )
        return result


# --- git export ----------------------------------------------------------------------------

EXPORT_MARK = re.compile(r"^netmon-version: (\S+) v(\d+)$", re.M)


def _safe_file_name(device: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", device) + ".cfg"


def _git(directory: Path, *args: str, env: dict[str, str] | None = None) -> str:
    command = [
        "git",
        "-c", "user.name=netmon",
        "-c", "user.email=netmon@localhost",
        "-c", "commit.gpgsign=false",
        *args,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            umask=UMASK,  # the repository git creates is private like its texts
        )
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or error.stdout or "").strip().splitlines()
        raise DriftError(
            f"git {args[0]} failed in {directory}: {detail[-1] if detail else error.returncode}"
        ) from None
    return done.stdout


def export_git(store: Store, directory: Path) -> int:
    """Commit every version not yet exported to a git repository in ``directory`` (made if
    missing): one file per device, one commit per version, oldest first. Only the stored,
    redacted texts ever reach it. Returns the number of commits made."""
    if shutil.which("git") is None:
        raise DriftError("the git export needs the `git` command (Debian package git)")
    directory = Path(directory)
    try:
        make_private_dir(directory)
    except OSError as error:
        raise DriftError(f"cannot create {directory}: {error.strerror}") from None
    if not (directory / ".git").exists():
        _git(directory, "init", "-q")
    try:
        exported = set(EXPORT_MARK.findall(_git(directory, "log", "--format=%B")))
    except DriftError:  # a repository without commits yet
        exported = set()
    with store.session(read_only=True) as session:
        pending = [
            (version.collected_at, device.name, version.sequence, version.sha256, version.text)
            for device in repo.active_devices(session)
            for version in repo.config_versions(session, device)
            if (device.name, str(version.sequence)) not in exported
        ]
    pending.sort(key=lambda item: (item[0], item[1], item[2]))
    for collected_at, name, sequence, sha256, text in pending:
        file_name = _safe_file_name(name)
        write_private(directory / file_name, text)
        _git(directory, "add", "--", file_name)
        stamp = collected_at.astimezone(UTC).isoformat()
        env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        _git(
            directory,
            "commit", "-q", "--allow-empty",
            "-m", f"{name}: configuration v{sequence}",
            "-m", f"netmon-version: {name} v{sequence}\nsha256: {sha256}",
            env=env,
        )  # fmt: skip
    if pending:
        log.info(
            "configurations exported to git",
            extra={"directory": str(directory), "commits": len(pending)},
        )
    return len(pending)
