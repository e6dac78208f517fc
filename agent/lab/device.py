"""A simulated device: its SNMP recording, its moving values and the faults switched on.

The SNMP agent and the SSH server of the lab both read one ``SimulatedDevice``, so what a
device says over SNMP and what it prints on its CLI agree (CPU, fans, power supplies, ...).

Recordings use snmpsim's ``.snmprec`` format (``OID|TAG|VALUE``, one per line) so that they can
also be served by snmpsim itself or read by anyone who knows that format. What the recording
cannot say (values that move, faults) comes from the vendor's lab behaviour file
(``agent/lab/vendors/<vendor>.toml``) and is applied here.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import time
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

OID = tuple[int, ...]

# snmprec type tags (snmpsim's numbering, which follows the BER tags of the SNMP types).
TAG_INTEGER = "2"
TAG_OCTET_STRING = "4"
TAG_NULL = "5"
TAG_OBJECT_ID = "6"
TAG_IP_ADDRESS = "64"
TAG_COUNTER32 = "65"
TAG_GAUGE32 = "66"
TAG_TIMETICKS = "67"
TAG_COUNTER64 = "70"
KNOWN_TAGS = {
    TAG_INTEGER,
    TAG_OCTET_STRING,
    TAG_NULL,
    TAG_OBJECT_ID,
    TAG_IP_ADDRESS,
    TAG_COUNTER32,
    TAG_GAUGE32,
    TAG_TIMETICKS,
    TAG_COUNTER64,
}
SYS_UPTIME: OID = (1, 3, 6, 1, 2, 1, 1, 3, 0)


class Fault(StrEnum):
    """The faults that ``netmon lab fault DEVICE KIND`` can switch on."""

    DOWN = "down"  # neither SNMP nor SSH answers
    SLOW = "slow"  # every answer is delayed (SLOW_DELAY_SECONDS)
    SNMP_TIMEOUT = "snmp-timeout"  # SNMP requests are dropped; SSH still works
    AUTH_FAIL = "auth-fail"  # SSH refuses every password
    CPU_HIGH = "cpu-high"
    FAN_FAIL = "fan-fail"
    PSU_FAIL = "psu-fail"
    CONFIG_CHANGE = "config-change"
    SIGNATURE_UPDATE = "signature-update"
    LICENCE_EXPIRING = "licence-expiring"


SLOW_DELAY_SECONDS = 1.5


def parse_oid(text: str) -> OID:
    return tuple(int(part) for part in text.strip().strip(".").split("."))


def format_oid(oid: OID) -> str:
    return ".".join(str(part) for part in oid)


@dataclass(frozen=True)
class RecordedValue:
    tag: str  # snmprec type tag, without the "x" (hex) suffix
    value: str | bytes | int  # str for OIDs and IP addresses, bytes for strings, int for numbers


class RecordingError(ValueError):
    pass


def parse_snmprec(text: str, source: str = "<recording>") -> dict[OID, RecordedValue]:
    """Parse snmprec text; errors name the file and line."""
    values: dict[OID, RecordedValue] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            oid_text, tag, value = line.split("|", 2)
        except ValueError:
            raise RecordingError(f"{source}:{number}: expected OID|TAG|VALUE") from None
        is_hex = tag.endswith("x")
        tag = tag.rstrip("x")
        if tag not in KNOWN_TAGS:
            raise RecordingError(f"{source}:{number}: unknown type tag {tag!r}")
        try:
            oid = parse_oid(oid_text)
            if tag == TAG_OCTET_STRING:
                parsed: str | bytes | int = bytes.fromhex(value) if is_hex else value.encode()
            elif tag in (TAG_OBJECT_ID, TAG_IP_ADDRESS):
                parsed = value
            elif tag == TAG_NULL:
                parsed = 0
            else:
                parsed = int(value)
        except ValueError as error:
            raise RecordingError(f"{source}:{number}: {error}") from None
        values[oid] = RecordedValue(tag, parsed)
    return values


def _package_text(relative: str) -> str:
    return resources.files("agent.lab").joinpath(relative).read_text(encoding="utf-8")


def model_slug(model: str) -> str:
    """File-name form of a model name: ``TopVPN 6000`` -> ``topvpn-6000``."""
    return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in model.lower()).strip("-")


@dataclass(frozen=True)
class OidOverride:
    """A value the vendor's lab behaviour file sets while a fault is on.

    ``prefix`` ending in ``*`` covers every instance under it (a whole table column).
    """

    oid: OID
    whole_column: bool
    value: int | str


@dataclass(frozen=True)
class VendorBehaviour:
    """The lab behaviour file of one vendor (agent/lab/vendors/<vendor>.toml), parsed."""

    vendor: str
    raw: dict[str, Any]
    moving: dict[OID, int]  # OID -> amplitude of its wobble around the recorded value
    metrics: dict[str, OID]  # name the CLI uses -> OID whose value it prints
    fault_overrides: dict[Fault, tuple[OidOverride, ...]]


def load_vendor_behaviour(vendor: str) -> VendorBehaviour:
    source = f"agent/lab/vendors/{vendor}.toml"
    raw = tomllib.loads(_package_text(f"vendors/{vendor}.toml"))
    snmp = raw.get("snmp", {})
    moving = {parse_oid(oid): int(amp) for oid, amp in snmp.get("moving", {}).items()}
    metrics = {name: parse_oid(oid) for name, oid in snmp.get("metrics", {}).items()}
    overrides: dict[Fault, tuple[OidOverride, ...]] = {}
    for fault_name, settings in snmp.get("faults", {}).items():
        try:
            fault = Fault(fault_name)
        except ValueError:
            raise RecordingError(f"{source}: unknown fault {fault_name!r}") from None
        entries = []
        for oid_text, value in settings.items():
            whole = oid_text.endswith(".*")
            entries.append(OidOverride(parse_oid(oid_text.removesuffix(".*")), whole, value))
        overrides[fault] = tuple(entries)
    return VendorBehaviour(vendor, raw, moving, metrics, overrides)


@dataclass
class SimulatedDevice:
    """One device of the lab: identity, endpoint, recording and the faults now on."""

    name: str
    vendor: str
    model: str
    kind: str
    address: str
    snmp_port: int
    ssh_port: int
    recording: dict[OID, RecordedValue]
    behaviour: VendorBehaviour
    started_at: float = field(default_factory=time.time)
    faults: set[Fault] = field(default_factory=set)
    # Outputs captured from a real box (`netmon capture`), by command: answered as captured.
    transcripts: dict[str, str] = field(default_factory=dict)
    # A [variants.<name>] of the vendor's lab CLI data (agent/lab/cli/<vendor>.toml), "" for none.
    cli_variant: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sorted_oids: list[OID] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._sorted_oids = sorted(self.recording)

    @classmethod
    def from_model(
        cls,
        *,
        name: str,
        vendor: str,
        model: str,
        kind: str,
        address: str,
        snmp_port: int,
        ssh_port: int,
        recordings_dir: Path | None = None,
    ) -> SimulatedDevice:
        slug = model_slug(model)
        transcripts: dict[str, str] = {}
        if recordings_dir is None:
            text = _package_text(f"recordings/{slug}.snmprec")
            source = f"agent/lab/recordings/{slug}.snmprec"
        else:
            path = recordings_dir / f"{slug}.snmprec"
            text, source = path.read_text(encoding="utf-8"), str(path)
            transcripts = load_transcripts(recordings_dir, slug)
        return cls(
            name=name,
            vendor=vendor,
            model=model,
            kind=kind,
            address=address,
            snmp_port=snmp_port,
            ssh_port=ssh_port,
            recording=parse_snmprec(text, source),
            behaviour=load_vendor_behaviour(vendor),
            transcripts=transcripts,
        )

    # -- faults --------------------------------------------------------------------------
    def set_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.add(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def has(self, fault: Fault) -> bool:
        return fault in self.faults

    def answer_delay(self) -> float:
        return SLOW_DELAY_SECONDS if Fault.SLOW in self.faults else 0.0

    # -- values --------------------------------------------------------------------------
    def uptime_seconds(self) -> float:
        recorded = self.recording.get(SYS_UPTIME)
        base = int(recorded.value) / 100 if recorded else 0.0
        return base + (time.time() - self.started_at)

    def _override(self, oid: OID) -> int | str | None:
        for fault in self.faults:
            for entry in self.behaviour.fault_overrides.get(fault, ()):
                if entry.oid == oid or (entry.whole_column and oid[: len(entry.oid)] == entry.oid):
                    return entry.value
        return None

    def value(self, oid: OID) -> RecordedValue | None:
        """The value of ``oid`` now: recorded, moved with time, or overridden by a fault."""
        recorded = self.recording.get(oid)
        if recorded is None:
            return None
        override = self._override(oid)
        if override is not None:
            if recorded.tag == TAG_OCTET_STRING:
                return RecordedValue(recorded.tag, _with_number(recorded.value, override))
            return RecordedValue(recorded.tag, override)
        elapsed = time.time() - self.started_at
        if oid == SYS_UPTIME:
            return RecordedValue(TAG_TIMETICKS, (int(recorded.value) + int(elapsed * 100)) % 2**32)
        if recorded.tag in (TAG_COUNTER32, TAG_COUNTER64):
            base = int(recorded.value)
            # Counters grow as if the recorded value had accumulated over one day;
            # Counter32 wraps at 2**32 as real agents do (collectors must handle it).
            # A zero counter (no errors, say) stays zero; only counters that moved keep moving.
            rate = base // 86_400
            modulus = 2**32 if recorded.tag == TAG_COUNTER32 else 2**64
            return RecordedValue(recorded.tag, (base + int(rate * elapsed)) % modulus)
        amplitude = self.behaviour.moving.get(oid)
        if amplitude and _is_number(recorded.value):
            base = _number_of(recorded.value)
            wobble = round(amplitude * math.sin(elapsed / 7.0))
            moved = max(0, base + wobble)
            if recorded.tag == TAG_OCTET_STRING:  # a number printed as text ("123", "mem:41%")
                return RecordedValue(recorded.tag, _with_number(recorded.value, moved))
            return RecordedValue(recorded.tag, moved)
        return recorded

    def next_oid(self, oid: OID) -> OID | None:
        """The first recorded OID after ``oid`` in lexicographic order (GETNEXT/GETBULK)."""
        index = bisect.bisect_right(self._sorted_oids, oid)
        return self._sorted_oids[index] if index < len(self._sorted_oids) else None

    def metric(self, name: str) -> int | str:
        """A named value for the CLI (``cpu``, ``memory``, ``fan1`` ...), read from SNMP view."""
        oid = self.behaviour.metrics.get(name)
        if oid is None:
            raise KeyError(f"{self.vendor} lab behaviour has no metric {name!r}")
        current = self.value(oid)
        if current is None:
            raise KeyError(f"{self.model} recording has no {format_oid(oid)} for metric {name!r}")
        value = current.value
        if isinstance(value, bytes) and _is_number(value):
            return _number_of(value)  # "23%" on the wire is 23 in the CLI's "23%"
        return value.decode() if isinstance(value, bytes) else value


# A number printed as text, with the decorations real agents add: a "label:" before, a "%"
# after (Venustech cpuUsage "23%", memUsage "mem:41%").
_DECORATED_NUMBER = re.compile(r"(\s*(?:[A-Za-z][\w ]*:)?\s*)(\d+)(\s*%?\s*)")


def load_transcripts(folder: Path, slug: str) -> dict[str, str]:
    """The CLI outputs of a `netmon capture` folder (``<slug>.capture.toml`` [cli.transcripts]),
    by command; none when the folder has no CLI capture."""
    manifest = folder / f"{slug}.capture.toml"
    if not manifest.exists():
        return {}
    try:
        listed = tomllib.loads(manifest.read_text(encoding="utf-8"))["cli"]["transcripts"]
        return {
            " ".join(command.split()): (folder / relative).read_text(encoding="utf-8")
            for command, relative in listed.items()
        }
    except KeyError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RecordingError(f"{manifest}: {error}") from None


def _is_number(value: str | bytes | int) -> bool:
    """Whether a recorded value can move: a number, or a number printed as text. A recording
    may hold a deliberately wrong type (tests of the collectors); that one stays as recorded."""
    if isinstance(value, int):
        return True
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    return _DECORATED_NUMBER.fullmatch(text) is not None


def _number_of(value: str | bytes | int) -> int:
    if isinstance(value, int):
        return value
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    match = _DECORATED_NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a number")
    return int(match.group(2))


def _with_number(recorded: str | bytes | int, number: int | str) -> bytes:
    """``number`` as text, in the recorded value's decoration when it has one."""
    if isinstance(recorded, bytes):
        match = _DECORATED_NUMBER.fullmatch(recorded.decode("ascii", "replace"))
        if match is not None:
            return f"{match.group(1)}{number}{match.group(3)}".encode()
    return str(number).encode()


@dataclass(frozen=True)
class LabCredentials:
    """What every lab device accepts. Lab-only values: they protect nothing real."""

    community: str = "netmon-lab"
    v3_user: str = "netmon"
    v3_auth_protocol: str = "SHA"  # usmHMACSHAAuthProtocol
    v3_auth_key: str = "lab-auth-key-1"
    v3_priv_protocol: str = "AES"  # usmAesCfb128Protocol
    v3_priv_key: str = "lab-priv-key-1"
    ssh_username: str = "netmon"
    ssh_password: str = "lab-ssh-password"
