"""Capture a real box once: what turns a profile's assumption into a fact (issue 11).

``capture_snmp`` walks, with GETBULK, every subtree the device's health plan reads (the
system group, the interface tables, and the table or scalar group around each profile OID, so
that neighbouring objects a profile does not use yet are kept too), paced to a bounded number
of requests per second, and writes what it read in snmprec format with the SNMP types kept:
``netmon lab --recordings DIR`` serves it and tests replay it.

``capture_cli`` runs every read-only command (``display``/``show``) the vendor's CLI profile
names and writes one transcript per command. Every line of every output goes through the
vendor's secret rules (collectors/config) with a key of this capture only, before anything is
written: the captured directory is meant to be committed.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import NetmonError

if TYPE_CHECKING:
    from agent.inventory import Device
    from collectors.snmp.client import SnmpTarget

OID = tuple[int, ...]

SYSTEM_GROUP: OID = (1, 3, 6, 1, 2, 1, 1)
IF_TABLE: OID = (1, 3, 6, 1, 2, 1, 2, 2)
IF_X_TABLE: OID = (1, 3, 6, 1, 2, 1, 31, 1, 1)

DEFAULT_RATE = 10.0  # requests per second: a box's agent shares its CPU with forwarding
DEFAULT_MAX_REQUESTS = 5_000  # a runaway walk (an agent that loops) stops here
# Commands whose first word is one of these only read: they are the ones a capture may send.
READ_ONLY_VERBS = ("display", "show")


class CaptureError(NetmonError):
    """The capture cannot go on; the message names the device and the step."""


@dataclass
class SnmpCapture:
    subtrees: list[OID]
    values: dict[OID, tuple[str, str]]  # OID -> (snmprec tag, snmprec value text)
    requests: int = 0
    seconds: float = 0.0
    truncated: list[OID] = field(default_factory=list)


@dataclass
class CliCapture:
    transcripts: dict[str, str]  # command -> redacted output
    skipped: dict[str, str]  # command -> why it was not sent
    secrets_redacted: int = 0


# --- SNMP -----------------------------------------------------------------------------------
def capture_subtrees(vendor: str, model: str, kind: str) -> list[OID]:
    """The subtrees to walk: the system group, the interface tables, and the parent of every
    OID and column the health plan reads, without subtrees nested in another."""
    from collectors.snmp.plan import plan_for

    plan = plan_for(vendor, model, kind)
    wanted = {SYSTEM_GROUP, IF_TABLE, IF_X_TABLE}
    # The scalar group around each scalar (x.y.N.0 -> x.y), the column of an indexed instance.
    wanted.update(oid[:-2] if oid[-1] == 0 else oid[:-1] for oid in plan.scalar_oids())
    wanted.update(column[:-1] for column in plan.columns())  # the whole table entry
    ordered = sorted(wanted)
    return [
        oid
        for oid in ordered
        if not any(other != oid and oid[: len(other)] == other for other in ordered)
    ]


def _snmprec_value(value: Any) -> tuple[str, str] | None:
    """pyasn1 value -> (snmprec tag, value text); None for the v2 exceptions."""
    from pyasn1.type import univ
    from pysnmp.proto import rfc1902
    from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

    if isinstance(value, NoSuchObject | NoSuchInstance | EndOfMibView):
        return None
    # Order matters: the application types are subclasses of INTEGER / OCTET STRING.
    if isinstance(value, rfc1902.Counter64):
        return "70", str(int(value))
    if isinstance(value, rfc1902.Counter32):
        return "65", str(int(value))
    if isinstance(value, rfc1902.TimeTicks):
        return "67", str(int(value))
    if isinstance(value, rfc1902.Gauge32 | rfc1902.Unsigned32):
        return "66", str(int(value))
    if isinstance(value, rfc1902.IpAddress):
        return "64", ".".join(str(b) for b in bytes(value))
    if isinstance(value, univ.Null):
        return "5", ""
    if isinstance(value, univ.OctetString):
        raw = bytes(value)
        if all(0x20 <= b <= 0x7E for b in raw) and b"|" not in raw:
            return "4", raw.decode("ascii")
        return "4x", raw.hex()
    if isinstance(value, univ.ObjectIdentifier):
        return "6", ".".join(str(part) for part in value)
    if isinstance(value, univ.Integer):
        return "2", str(int(value))
    raise CaptureError(f"unsupported SNMP type {type(value).__name__}")


def _auth(target: SnmpTarget) -> Any:
    from pysnmp.hlapi.v3arch.asyncio import CommunityData, UsmUserData

    from collectors.snmp.pysnmp_engine import AUTH_PROTOCOLS, PRIV_PROTOCOLS
    from collectors.snmp.usm import protocol_key

    if target.version != "3":
        return CommunityData(target.community, mpModel=1)
    return UsmUserData(
        target.user,
        authKey=target.auth_key or None,
        privKey=(target.priv_key or None) if target.priv_protocol else None,
        authProtocol=AUTH_PROTOCOLS[protocol_key(target.auth_protocol)],
        privProtocol=PRIV_PROTOCOLS[protocol_key(target.priv_protocol)],
    )


async def capture_snmp(
    device_name: str,
    target: SnmpTarget,
    subtrees: list[OID],
    *,
    rate: float = DEFAULT_RATE,
    max_requests: int = DEFAULT_MAX_REQUESTS,
) -> SnmpCapture:
    """Walk ``subtrees`` with GETBULK (``target.max_repetitions`` per request), at most
    ``rate`` requests per second, keeping every value with its SNMP type."""
    from pysnmp.hlapi.v3arch.asyncio import (
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        bulk_cmd,
    )

    if rate <= 0:
        raise CaptureError("the request rate must be above 0")
    engine = SnmpEngine()
    auth = _auth(target)
    transport = await UdpTransportTarget.create(
        (target.address, target.port), timeout=target.timeout, retries=target.retries
    )
    capture = SnmpCapture(subtrees=list(subtrees), values={})
    interval = 1.0 / rate
    started = time.monotonic()
    next_send = started
    try:
        for subtree in subtrees:
            cursor = subtree
            while True:
                if capture.requests >= max_requests:
                    capture.truncated.append(subtree)
                    break
                delay = next_send - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_send = max(next_send + interval, time.monotonic())
                capture.requests += 1
                indication, status, index, rows = await bulk_cmd(
                    engine,
                    auth,
                    transport,
                    ContextData(),
                    0,
                    target.max_repetitions,
                    ObjectType(ObjectIdentity(cursor)),
                    lookupMib=False,
                )
                if indication:
                    raise CaptureError(
                        f"{device_name}: SNMP walk of {_dotted(subtree)}: {indication}"
                    )
                if status and int(status):
                    raise CaptureError(
                        f"{device_name}: SNMP walk of {_dotted(subtree)}: "
                        f"{status.prettyPrint()} at index {int(index)}"
                    )
                left = False
                for name, value in _flatten(rows):
                    oid = tuple(name)
                    encoded = _snmprec_value(value)
                    if encoded is None or oid[: len(subtree)] != subtree or oid <= cursor:
                        left = True  # end of the subtree, of the MIB, or an agent going back
                        break
                    capture.values[oid] = encoded
                    cursor = oid
                if left or not rows:
                    break
    finally:
        engine.close_dispatcher()
    capture.seconds = time.monotonic() - started
    return capture


def _flatten(rows: Any) -> list[tuple[Any, Any]]:
    flat: list[tuple[Any, Any]] = []
    for row in rows:
        if isinstance(row, list | tuple) and row and isinstance(row[0], list | tuple):
            flat.extend((name, value) for name, value in row)
        else:
            name, value = row
            flat.append((name, value))
    return flat


def _dotted(oid: OID) -> str:
    return ".".join(str(part) for part in oid)


def render_snmprec(device: Device, capture: SnmpCapture, captured_at: datetime) -> str:
    lines = [
        f"# {device.model} ({device.vendor}, {device.kind}): captured by `netmon capture "
        f"{device.name}` at {captured_at.isoformat(timespec='seconds')}.",
        "# Real values of a real box: review the diff of the snapshot before committing.",
        "# Subtrees walked: " + ", ".join(_dotted(s) for s in capture.subtrees),
    ]
    for oid in sorted(capture.values):
        tag, text = capture.values[oid]
        lines.append(f"{_dotted(oid)}|{tag}|{text}")
    return "\n".join(lines) + "\n"


# --- CLI ------------------------------------------------------------------------------------
def is_read_only(command: str) -> bool:
    """``display …`` / ``show …`` / ``show-running``, or TOS's object-first ``… show``
    (``system license show``); anything else may change the box and is never sent."""
    words = command.lower().split()
    if not words:
        return False
    first, last = words[0], words[-1]
    return (
        first in READ_ONLY_VERBS
        or any(first.startswith(f"{verb}-") for verb in READ_ONLY_VERBS)
        or (len(words) > 1 and last in READ_ONLY_VERBS)
    )


def capture_cli(device: Device) -> CliCapture:
    """Every read-only command of the vendor's CLI profile, outputs redacted in memory."""
    from collectors.cli import CliError, cli_profile, open_cli_for_device
    from collectors.config.redact import Redactor
    from collectors.config.rules import config_rules

    profile = cli_profile(device.vendor)
    # Loaded before any command is sent: without the secret rules nothing may be written.
    rules = config_rules(device.vendor)
    redactor = Redactor(os.urandom(32))  # this capture's own key: tokens match nothing else
    commands = list(dict.fromkeys(profile.commands.values()))
    result = CliCapture(transcripts={}, skipped={})
    wanted = []
    for command in commands:
        if is_read_only(command):
            wanted.append(command)
        else:
            result.skipped[command] = "not a display/show command: never sent by a capture"
    if not wanted:
        return result
    try:
        connection = open_cli_for_device(device)
    except CliError as error:
        raise CaptureError(f"{device.name}: CLI: {error}") from None
    try:
        for command in wanted:
            output = str(connection.send_command(command, read_timeout=60))  # type: ignore[attr-defined]
            lines, found = redactor.redact(output.splitlines(), rules)
            result.secrets_redacted += found
            result.transcripts[command] = "\n".join(lines) + "\n"
    finally:
        connection.disconnect()  # type: ignore[attr-defined]
    return result


def transcript_name(command: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", command).strip("-").lower() + ".txt"


# --- writing --------------------------------------------------------------------------------
def write_capture(
    out_dir: Path,
    device: Device,
    snmp: SnmpCapture | None,
    cli: CliCapture | None,
    captured_at: datetime,
    *,
    rate: float,
) -> Path:
    """Write ``<slug>.snmprec``, ``<slug>.cli/<command>.txt`` and ``<slug>.capture.toml``."""
    from agent.lab.device import model_slug

    slug = model_slug(device.model)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = [
        "# What `netmon capture` read, and how. Review, then commit with the recording.",
        f'device = "{device.name}"',
        f'vendor = "{device.vendor}"',
        f'model = "{device.model}"',
        f'kind = "{device.kind}"',
        f'captured_at = "{captured_at.isoformat(timespec="seconds")}"',
    ]
    if snmp is not None:
        (out_dir / f"{slug}.snmprec").write_text(
            render_snmprec(device, snmp, captured_at), encoding="utf-8"
        )
        manifest += [
            "",
            "[snmp]",
            f'recording = "{slug}.snmprec"',
            "subtrees = [" + ", ".join(f'"{_dotted(s)}"' for s in snmp.subtrees) + "]",
            f"values = {len(snmp.values)}",
            f"requests = {snmp.requests}",
            f"seconds = {snmp.seconds:.2f}",
            f"max_requests_per_second = {rate:g}",
            "truncated = [" + ", ".join(f'"{_dotted(s)}"' for s in snmp.truncated) + "]",
        ]
    if cli is not None:
        folder = out_dir / f"{slug}.cli"
        folder.mkdir(exist_ok=True)
        manifest += ["", "[cli]", f"secrets_redacted = {cli.secrets_redacted}"]
        for command, text in cli.transcripts.items():
            (folder / transcript_name(command)).write_text(text, encoding="utf-8")
        manifest.append("[cli.transcripts]")
        manifest += [
            f'"{command}" = "{slug}.cli/{transcript_name(command)}"' for command in cli.transcripts
        ]
        manifest.append("[cli.skipped]")
        manifest += [f'"{command}" = "{why}"' for command, why in cli.skipped.items()]
    path = out_dir / f"{slug}.capture.toml"
    text = "\n".join(manifest) + "\n"
    tomllib.loads(text)  # what we write must read back
    path.write_text(text, encoding="utf-8")
    return path


def capture_device(
    device: Device,
    out_dir: Path,
    *,
    rate: float = DEFAULT_RATE,
    max_repetitions: int = 10,
    snmp: bool = True,
    cli: bool = True,
) -> Path:
    from collectors.snmp.target import snmp_target_for

    captured_at = datetime.now(UTC)
    snmp_result = None
    if snmp:
        target = snmp_target_for(device, max_repetitions=max_repetitions)
        subtrees = capture_subtrees(device.vendor, device.model, device.kind)
        snmp_result = asyncio.run(capture_snmp(device.name, target, subtrees, rate=rate))
    cli_result = capture_cli(device) if cli else None
    return write_capture(out_dir, device, snmp_result, cli_result, captured_at, rate=rate)
