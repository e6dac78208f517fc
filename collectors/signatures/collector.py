"""Read a device's signature libraries, software version and licences over its CLI.

``SignatureCollector.collect(device)`` runs the vendor's NAPALM-shaped driver in a thread
(``asyncio.to_thread``) and returns a ``SignatureSnapshot``. Nothing here raises for bad
output: every value that could not be read becomes an entry of ``snapshot.errors`` (what ->
why, each naming the device), and the value is left out of the snapshot, so whoever records
it keeps what was stored before instead of overwriting it with a guess.

Why the CLI: no public SNMP object carries signature versions or licence expiry for these
vendors (``/work/shared/reference/vendors.md``; the profiles' ``[signatures]`` sections say so).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import paramiko
from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

from agent.errors import NetmonError
from collectors.signatures.versions import VersionError, VersionRules, version_rules

if TYPE_CHECKING:
    from agent.inventory import Device
    from collectors.drivers import NetmonCliDriver

log = logging.getLogger(__name__)

SOFTWARE = "software"  # the library name under which the system software version is kept
# The service that puts a device in signature scope: the inventory spells it "signatures",
# the contract's tables (and the store's older rows) "SIG".
SCOPE_SERVICES = frozenset({"signatures", "sig"})
SESSION_FAILURES = (
    ReadTimeout,
    NetmikoTimeoutException,
    TimeoutError,
    OSError,
    EOFError,
    paramiko.SSHException,
)


@dataclass(frozen=True)
class LibraryReading:
    """One library as the box printed it. ``library`` is the name netmon keeps it under: its
    kind (ips, av, url, app, ...) or, for an unknown kind or a second library of one kind,
    the name the box printed."""

    library: str
    kind: str
    printed: str
    version: str
    release_date: date | None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class LicenceReading:
    feature: str
    expires_on: date | None  # None: never expires
    status: str


@dataclass
class SignatureSnapshot:
    """What one collection read. ``errors`` maps what could not be read ("session",
    "software", "signatures", "library <name>", "licences", "licence <name>") to why."""

    device: str
    vendor: str
    collected_at: datetime
    in_scope: bool
    reachable: bool = True
    software_version: str | None = None
    libraries: list[LibraryReading] = field(default_factory=list)
    licences: list[LicenceReading] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        return self.reachable and bool(self.errors)

    def error_text(self) -> str:
        return "; ".join(f"{what}: {why}" for what, why in sorted(self.errors.items()))


def in_signature_scope(services: Iterable[str]) -> bool:
    return any(str(service).lower() in SCOPE_SERVICES for service in services)


def _iso(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _session_error(device: str, error: BaseException) -> str:
    if isinstance(error, ReadTimeout | NetmikoTimeoutException | TimeoutError):
        return f"{device}: the device did not finish its answer in time"
    return f"{device}: the SSH session failed ({type(error).__name__}: {error})"


class _Reader:
    """One collection of one device on an open driver."""

    def __init__(self, driver: NetmonCliDriver, snapshot: SignatureSnapshot) -> None:
        self.driver = driver
        self.snapshot = snapshot
        self.rules: VersionRules | None = None
        try:
            self.rules = version_rules(snapshot.vendor)
        except VersionError as error:
            snapshot.errors["versions"] = f"{snapshot.device}: {error}"

    def fail(self, what: str, why: str) -> None:
        self.snapshot.errors[what] = (
            why if why.startswith(self.snapshot.device) else (f"{self.snapshot.device}: {why}")
        )

    def version_fits(self, what: str, library: str, kind: str, version: str) -> bool:
        if self.rules is None:
            self.fail(what, "no version rules for this vendor (see the 'versions' error)")
            return False
        try:
            self.rules.key(self.snapshot.device, library, kind, version)
        except VersionError as error:
            self.fail(what, str(error))
            return False
        return True

    def software(self) -> None:
        self.driver._fresh()
        version = self.driver.rows("version")[0].get("os_version", "").strip()
        if not version:
            self.fail(SOFTWARE, "the version display printed no software version")
        elif self.version_fits(SOFTWARE, SOFTWARE, SOFTWARE, version):
            self.snapshot.software_version = version

    def libraries(self) -> None:
        from collectors.drivers import library_kind

        entries = self.driver.get_signatures()
        if not entries and self.snapshot.in_scope:
            if "signatures" not in self.driver.profile.commands:
                self.fail("signatures", "the vendor profile names no signatures command")
            else:
                self.fail("signatures", "the display listed no library")
            return
        taken: set[str] = set()
        for entry in entries:
            printed = str(entry.get("raw") or entry.get("library") or "?")
            what = f"library {printed}"
            if entry.get("error"):
                self.fail(what, str(entry["error"]))
                continue
            kind = str(entry.get("library") or library_kind(printed))
            name = kind if kind != "other" and kind not in taken else printed.lower()[:32]
            version = str(entry.get("version") or "")
            if not version:
                self.fail(what, "no version printed")
                continue
            if not self.version_fits(what, printed, kind, version):
                continue
            taken.add(name)
            self.snapshot.libraries.append(
                LibraryReading(
                    library=name,
                    kind=kind,
                    printed=printed,
                    version=version,
                    release_date=_iso(entry.get("release_date")),
                    updated_at=None,  # none of the fleet's displays prints an update time
                )
            )

    def licences(self) -> None:
        for entry in self.driver.get_licences():
            feature = str(entry.get("feature") or "?")
            if entry.get("error"):
                self.fail(f"licence {feature}", str(entry["error"]))
                continue
            self.snapshot.licences.append(
                LicenceReading(feature, _iso(entry.get("expires")), str(entry.get("status", "")))
            )

    def read(self) -> None:
        for what, step in (
            (SOFTWARE, self.software),
            ("signatures", self.libraries),
            ("licences", self.licences),
        ):
            try:
                step()
            except NetmonError as error:  # DriverError, ParseError: this part only
                self.fail(what, str(error))
            except SESSION_FAILURES as error:
                self.fail(what, _session_error(self.snapshot.device, error))
                return  # the session is gone: the remaining parts would fail the same way


def collect_signatures(device: Device) -> SignatureSnapshot:
    """One blocking collection (the daemon runs it in a thread)."""
    from collectors.drivers import driver_for_device

    snapshot = SignatureSnapshot(
        device=device.name,
        vendor=device.vendor,
        collected_at=datetime.now(UTC),
        in_scope=in_signature_scope(device.services),
    )
    try:
        driver = driver_for_device(device)
        driver.open()
    except NetmonError as error:
        snapshot.reachable = False
        snapshot.errors["session"] = str(error)
        return snapshot
    except SESSION_FAILURES as error:
        snapshot.reachable = False
        snapshot.errors["session"] = _session_error(device.name, error)
        return snapshot
    try:
        _Reader(driver, snapshot).read()
    finally:
        driver.close()
    if snapshot.errors:
        log.info(
            "signature collection incomplete",
            extra={"device": device.name, "problems": sorted(snapshot.errors)},
        )
    return snapshot


class SignatureCollector:
    """The signature-library collector the daemon schedules (``kind = "signatures"``)."""

    kind = "signatures"

    def collect_sync(self, device: Device) -> SignatureSnapshot:
        return collect_signatures(device)

    async def collect(self, device: Device) -> SignatureSnapshot:
        return await asyncio.to_thread(collect_signatures, device)
