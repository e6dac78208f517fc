"""A ``SignatureSnapshot`` into the store: history, upgrade records, events; and the fleet view.

``record_snapshot(session, snapshot, started_at)`` is the one place that writes what the
signature collector read:

- library and software versions and licence expiries go through the repository, which adds a
  row only when something changed (``signature_versions``, ``licences``);
- each changed version also gets an upgrade record (from / to / when seen / release date),
  compared by the vendor's version rule, with ``rollback`` set when the version went
  backwards, and an event: ``signature-upgrade`` (info) or ``signature-rollback`` (warning);
- a changed licence expiry gets a ``licence-renewed`` (info) or ``licence-changed`` (warning)
  event; the licences table keeps the history;
- nothing is ever deleted or overwritten by a partial fetch: a library or licence missing from
  this fetch stays as stored, and the snapshot's ``errors`` say so.

``fleet_rows(session, rules, today)`` reads the current state back for ``netmon signatures``
and the daemon's metrics, marking stale libraries and expiring licences.
``SignaturesKind`` is the daemon's registration for this collector kind.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.store import repository as repo
from collectors.library_kinds import library_kind
from collectors.signatures.collector import SOFTWARE, SignatureSnapshot, in_signature_scope
from collectors.signatures.staleness import (
    StalenessRules,
    library_stale,
    licence_expiring,
)
from collectors.signatures.versions import VersionError, version_rules

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionChange:
    device: str
    library: str
    from_version: str
    to_version: str
    seen_at: dt.datetime
    release_date: dt.date | None
    rollback: bool


@dataclass
class RecordOutcome:
    status: str  # ok | partial | failed (the collection run's status)
    changes: list[VersionChange] = field(default_factory=list)
    licence_changes: list[tuple[str, dt.date | None, dt.date | None]] = field(
        default_factory=list
    )  # (feature, old expiry, new expiry)


def _direction(snapshot: SignatureSnapshot, library: str, kind: str, old: str, new: str) -> int:
    """-1 / 0 / 1 by the vendor's rule; raises VersionError naming device and library."""
    return version_rules(snapshot.vendor).compare(snapshot.device, library, kind, old, new)


def _library_readings(
    session: Session, snapshot: SignatureSnapshot, seen_at: dt.datetime, outcome: RecordOutcome
) -> None:
    stored = {row.library: row for row in repo.latest_signature_versions(session, snapshot.device)}
    readings: list[tuple[str, str, str, dt.date | None]] = [
        (lib.library, lib.kind, lib.version, lib.release_date) for lib in snapshot.libraries
    ]
    if snapshot.software_version is not None:
        readings.append((SOFTWARE, SOFTWARE, snapshot.software_version, None))
    to_store: list[repo.SignatureReading] = []
    for library, kind, version, released in readings:
        before = stored.get(library)
        if before is None or before.version == version:
            to_store.append(repo.SignatureReading(library, version, released))
            continue
        try:
            direction = _direction(snapshot, library, kind, before.version, version)
        except VersionError as error:
            # The stored version no longer reads under the vendor's rule (the rule changed):
            # the new one is kept, but its order is unknown; say so rather than guess.
            snapshot.errors[f"library {library}"] = f"{error}; recorded without an order"
            direction = 1
        if direction == 0:  # the same version written differently (1.2 / 1.2.0): no change
            to_store.append(repo.SignatureReading(library, before.version, released))
            continue
        to_store.append(repo.SignatureReading(library, version, released))
        outcome.changes.append(
            VersionChange(
                snapshot.device, library, before.version, version, seen_at, released, direction < 0
            )
        )
    repo.record_signature_versions(session, snapshot.device, to_store, seen_at=seen_at)

    read = {library for library, *_ in readings}
    # Libraries whose line was there but unreadable: named by the box's word for them.
    broken = {
        what.removeprefix("library ").lower()
        for what in snapshot.errors
        if what.startswith("library ")
    }
    broken_kinds = {library_kind(name) for name in broken} - {"other"}
    for library, row in stored.items():
        if library in read:
            continue
        if library == SOFTWARE:
            if SOFTWARE not in snapshot.errors:
                snapshot.errors[SOFTWARE] = (
                    f"{snapshot.device}: no software version read; {row.version} is kept"
                )
            continue
        if "signatures" in snapshot.errors or library in broken:
            continue  # already explained by its own error
        if library_kind(library) in broken_kinds:
            continue
        snapshot.errors[f"library {library}"] = (
            f"{snapshot.device}: {library} is missing from this fetch; the stored version "
            f"{row.version} is kept"
        )


def _licence_readings(
    session: Session, snapshot: SignatureSnapshot, seen_at: dt.datetime, outcome: RecordOutcome
) -> None:
    stored = {row.feature: row for row in repo.current_licences(session, device=snapshot.device)}
    readings = [repo.LicenceReading(lic.feature, lic.expires_on) for lic in snapshot.licences]
    for created in repo.record_licences(session, snapshot.device, readings, seen_at=seen_at):
        before = stored.get(created.feature)
        if before is not None:
            outcome.licence_changes.append((created.feature, before.expires_on, created.expires_on))
    if "licences" in snapshot.errors:
        return
    read = {lic.feature for lic in snapshot.licences}
    for feature, row in stored.items():
        if feature not in read and f"licence {feature}" not in snapshot.errors:
            expiry = row.expires_on.isoformat() if row.expires_on else "never"
            snapshot.errors[f"licence {feature}"] = (
                f"{snapshot.device}: licence {feature} is missing from this fetch; the stored "
                f"expiry ({expiry}) is kept"
            )


def _events(session: Session, snapshot: SignatureSnapshot, outcome: RecordOutcome) -> None:
    for change in outcome.changes:
        what = "software" if change.library == SOFTWARE else f"{change.library} library"
        verb = "went back" if change.rollback else "upgraded"
        # Kinds are literals: tests find every kind written and check documents word it.
        repo.add_event(
            session,
            "signature-rollback" if change.rollback else "signature-upgrade",
            "warning" if change.rollback else "info",
            f"{change.device}: {what} {verb} from {change.from_version} to {change.to_version}",
            device=change.device,
            details={
                "library": change.library,
                "from_version": change.from_version,
                "to_version": change.to_version,
                "release_date": change.release_date.isoformat() if change.release_date else None,
                "rollback": change.rollback,
            },
            occurred_at=change.seen_at,
        )
    for feature, old, new in outcome.licence_changes:
        renewed = old is not None and (new is None or new > old)
        repo.add_event(
            session,
            "licence-renewed" if renewed else "licence-changed",
            "info" if renewed else "warning",
            f"{snapshot.device}: licence {feature} expiry {old or 'never'} -> {new or 'never'}",
            device=snapshot.device,
            details={
                "feature": feature,
                "from_expiry": old.isoformat() if old else None,
                "to_expiry": new.isoformat() if new else None,
            },
            occurred_at=snapshot.collected_at,
        )


def record_snapshot(
    session: Session, snapshot: SignatureSnapshot, started_at: dt.datetime | None = None
) -> RecordOutcome:
    """Store one collection (see the module docstring); the caller commits."""
    seen_at = snapshot.collected_at
    run = repo.start_run(session, snapshot.device, "signatures", started_at=started_at or seen_at)
    outcome = RecordOutcome(status="failed")
    if snapshot.reachable:
        _library_readings(session, snapshot, seen_at, outcome)
        _licence_readings(session, snapshot, seen_at, outcome)
        for change in outcome.changes:
            repo.record_upgrade(
                session,
                snapshot.device,
                change.library,
                change.from_version,
                change.to_version,
                seen_at=change.seen_at,
                release_date=change.release_date,
                rollback=change.rollback,
            )
        _events(session, snapshot, outcome)
        outcome.status = "partial" if snapshot.errors else "ok"
    repo.finish_run(session, run, outcome.status, error=snapshot.error_text() or None)
    return outcome


# -- reading the fleet back ------------------------------------------------------------------
@dataclass(frozen=True)
class LibraryRow:
    device: str
    library: str
    kind: str
    version: str
    release_date: dt.date | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    stale: bool

    def age_days(self, today: dt.date) -> int | None:
        return None if self.release_date is None else (today - self.release_date).days


@dataclass(frozen=True)
class LicenceRow:
    device: str
    feature: str
    expires_on: dt.date | None
    expiring: bool


@dataclass(frozen=True)
class DeviceSignatures:
    device: str
    in_scope: bool
    silenced: bool
    libraries: tuple[LibraryRow, ...]
    licences: tuple[LicenceRow, ...]


def fleet_rows(
    session: Session,
    rules: StalenessRules,
    today: dt.date | None = None,
    device: str | None = None,
) -> list[DeviceSignatures]:
    """Every active device's current libraries (software included) and licences, marked;
    with ``device``, that one device's, read with a constant number of queries whatever the
    fleet's size (the daemon calls this after every signatures result).
    Devices outside the signature scope are never marked stale (nobody is paid to update
    them); their licences are still marked expiring. Retired devices are left out in SQL."""
    today = today or dt.datetime.now(dt.UTC).date()
    if device is None:
        devices = repo.active_devices(session)
    else:
        one = repo.get_device(session, device)
        devices = [] if one.retired_at is not None else [one]
    if not devices:
        return []
    target = None if device is None else devices[0]
    libraries: dict[str, list[LibraryRow]] = {}
    for row in repo.latest_signature_versions(session, target):
        kind = SOFTWARE if row.library == SOFTWARE else library_kind(row.library)
        in_scope = in_signature_scope(row.device.services)
        libraries.setdefault(row.device.name, []).append(
            LibraryRow(
                row.device.name,
                row.library,
                kind,
                row.version,
                row.release_date,
                row.first_seen,
                row.last_seen,
                in_scope and library_stale(kind, row.release_date, today, rules, row.device.name),
            )
        )
    licences: dict[str, list[LicenceRow]] = {}
    for lic in repo.current_licences(session, device=target):
        name = lic.device.name
        licences.setdefault(name, []).append(
            LicenceRow(
                name,
                lic.feature,
                lic.expires_on,
                licence_expiring(lic.expires_on, today, rules, name),
            )
        )
    return [
        DeviceSignatures(
            row.name,
            in_signature_scope(row.services),
            row.name in rules.silenced,
            tuple(libraries.get(row.name, ())),
            tuple(licences.get(row.name, ())),
        )
        for row in devices
        if row.name in libraries or row.name in licences
    ]


def state_rows(
    view: DeviceSignatures,
) -> tuple[list[tuple[str, str, dt.date | None, dt.datetime | None, bool]], list[tuple]]:
    """The rows ``FleetState.update_signatures`` takes, from one device's stored view.
    ``updated_at`` is when netmon first saw the version (no box prints its own update time)."""
    libraries = [
        (lib.library, lib.version, lib.release_date, lib.first_seen, lib.stale)
        for lib in view.libraries
        if lib.library != SOFTWARE  # the state keeps the software version on its own
    ]
    licences = [(lic.feature, lic.expires_on) for lic in view.licences]
    return libraries, licences
