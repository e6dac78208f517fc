"""Helpers of the signature tests (a plain module: pytest puts this folder on sys.path)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from agent.signatures import RecordOutcome, record_snapshot
from collectors.signatures import LibraryReading, LicenceReading, SignatureSnapshot

if TYPE_CHECKING:
    from agent.store import Store

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def snapshot(
    device: str = "leadsec-a2350-01",
    vendor: str = "leadsec",
    at: dt.datetime = T0,
    libraries: dict[str, tuple[str, str, dt.date | None]] | None = None,
    licences: dict[str, dt.date | None] | None = None,
    software: str | None = "V3.6.2.1",
) -> SignatureSnapshot:
    """``libraries``: library -> (kind, version, release date)."""
    libs = libraries if libraries is not None else {"av": ("av", "20261118.01", None)}
    return SignatureSnapshot(
        device=device,
        vendor=vendor,
        collected_at=at,
        in_scope=True,
        software_version=software,
        libraries=[
            LibraryReading(name, kind, name, version, released)
            for name, (kind, version, released) in libs.items()
        ],
        licences=[
            LicenceReading(feature, expires, "valid")
            for feature, expires in (licences or {}).items()
        ],
    )


def record(store: Store, shot: SignatureSnapshot) -> RecordOutcome:
    with store.session() as session:
        return record_snapshot(session, shot, shot.collected_at)
