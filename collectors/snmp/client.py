"""A lean asyncio SNMP client on pysnmp 7's engine, for periodic health polls.

pysnmp's high-level calls (``get_cmd`` and friends) resolve every variable through the MIB
machinery on the way in and out. Health polls need none of that: OIDs come from the vendor
profile as numbers and values are read by type. So this client configures each target once
(pysnmp's LCD), then hands ready-made ``(ObjectName, Null)`` pairs to pysnmp's command
generators and converts the returned pyasn1 values straight to Python (int, bytes, str).

One ``SnmpEngine`` serves every v2c target; SNMPv3 targets get an engine per credential set,
because pysnmp keys USM users by name and two boxes may share a user name with other keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.entity import config as engine_config
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
)
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.proto import rfc1902
from pysnmp.proto.rfc1902 import ObjectName
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

OID = tuple[int, ...]
Value = int | bytes | str


class SnmpError(Exception):
    """A failed SNMP exchange with one device (timeout, auth failure, error status)."""


class SnmpTimeout(SnmpError):
    pass


@dataclass(frozen=True)
class SnmpTarget:
    address: str
    port: int = 161
    version: str = "2c"
    community: str = ""
    user: str = ""
    auth_protocol: str = "SHA"
    auth_key: str = ""
    priv_protocol: str = "AES"
    priv_key: str = ""
    timeout: float = 2.0
    retries: int = 1
    max_repetitions: int = 25

    def __repr__(self) -> str:  # never show communities or keys
        return f"SnmpTarget({self.address}:{self.port} v{self.version})"


AUTH_PROTOCOLS = {
    "MD5": engine_config.USM_AUTH_HMAC96_MD5,
    "SHA": engine_config.USM_AUTH_HMAC96_SHA,
    "SHA224": engine_config.USM_AUTH_HMAC128_SHA224,
    "SHA256": engine_config.USM_AUTH_HMAC192_SHA256,
    "SHA384": engine_config.USM_AUTH_HMAC256_SHA384,
    "SHA512": engine_config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "DES": engine_config.USM_PRIV_CBC56_DES,
    "AES": engine_config.USM_PRIV_CFB128_AES,
    "AES128": engine_config.USM_PRIV_CFB128_AES,
    "AES192": engine_config.USM_PRIV_CFB192_AES,
    "AES256": engine_config.USM_PRIV_CFB256_AES,
}


def _protocol_key(name: str) -> str:
    """``SHA-256`` (inventory, net-snmp spelling) and ``sha256`` both name ``SHA256``."""
    return name.upper().replace("-", "").replace("_", "")


def to_python(value: Any) -> Value | None:
    """pyasn1 SNMP value -> int, bytes or dotted str; None for noSuchObject/Instance/endOfMib."""
    if isinstance(value, NoSuchObject | NoSuchInstance | EndOfMibView | univ.Null):
        return None
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(b) for b in bytes(value))
    if isinstance(value, univ.OctetString):
        return bytes(value)
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(part) for part in value)
    return int(value)


class SnmpClient:
    """Sends GET and GETBULK requests to many targets over shared pysnmp engines."""

    def __init__(self) -> None:
        self._engines: dict[tuple[str, ...], SnmpEngine] = {}
        self._targets: dict[SnmpTarget, tuple[SnmpEngine, str]] = {}
        self._lcd = CommandGeneratorLcdConfigurator()
        self._get = cmdgen.GetCommandGenerator()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()

    def _engine_for(self, target: SnmpTarget) -> SnmpEngine:
        key: tuple[str, ...] = ("v2c",)
        if target.version == "3":
            key = ("v3", target.user, target.auth_protocol, target.auth_key,
                   target.priv_protocol, target.priv_key)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = SnmpEngine()
        return engine

    async def _configure(self, target: SnmpTarget) -> tuple[SnmpEngine, str]:
        configured = self._targets.get(target)
        if configured is not None:
            return configured
        engine = self._engine_for(target)
        if target.version == "3":
            auth: CommunityData | UsmUserData = UsmUserData(
                target.user,
                authKey=target.auth_key or None,
                privKey=target.priv_key or None,
                authProtocol=AUTH_PROTOCOLS[_protocol_key(target.auth_protocol)],
                privProtocol=PRIV_PROTOCOLS[_protocol_key(target.priv_protocol)],
            )
        else:
            auth = CommunityData(target.community, mpModel=1)
        transport = await UdpTransportTarget.create(
            (target.address, target.port), timeout=target.timeout, retries=target.retries
        )
        addr_name, _params = self._lcd.configure(engine, auth, transport, "")
        self._targets[target] = (engine, addr_name)
        return engine, addr_name

    async def get(self, target: SnmpTarget, oids: Sequence[OID]) -> dict[OID, Value | None]:
        """GET ``oids``; a missing object maps to None."""
        engine, addr_name = await self._configure(target)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        var_binds = [(ObjectName(oid), rfc1902.Null("")) for oid in oids]
        self._get.send_varbinds(engine, addr_name, None, "", var_binds, _resolve, future)
        var_binds_out = await _await_response(future, target)
        return {tuple(name): to_python(value) for name, value in var_binds_out}

    async def bulk_walk(
        self, target: SnmpTarget, columns: Sequence[OID], max_rows: int = 10_000
    ) -> dict[OID, dict[OID, Value]]:
        """Walk several table columns at once with GETBULK; returns column -> {index: value}."""
        engine, addr_name = await self._configure(target)
        results: dict[OID, dict[OID, Value]] = {column: {} for column in columns}
        cursors = {column: column for column in columns}
        rows = 0
        while cursors and rows < max_rows:
            active = list(cursors)
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            var_binds = [(ObjectName(cursors[c]), rfc1902.Null("")) for c in active]
            self._bulk.send_varbinds(
                engine, addr_name, None, "", 0, target.max_repetitions, var_binds,
                _resolve, future,
            )
            table = await _await_response(future, target)
            if not table:
                break
            # The response is row-major: each row holds one varbind per requested column.
            width = len(active)
            progressed: set[OID] = set()
            for position, (name, value) in enumerate(table):
                column = active[position % width]
                if column not in cursors:
                    continue
                oid = tuple(name)
                converted = to_python(value)
                if converted is None or oid[: len(column)] != column or oid <= cursors[column]:
                    del cursors[column]  # left the column, end of MIB, or agent went backwards
                    continue
                results[column][oid[len(column):]] = converted
                cursors[column] = oid
                progressed.add(column)
                rows += 1
            for column in list(cursors):
                if column not in progressed:
                    del cursors[column]
        return results


def _resolve(
    snmp_engine: Any,
    send_request_handle: Any,
    error_indication: Any,
    error_status: Any,
    error_index: Any,
    var_binds: Any,
    future: asyncio.Future[Any],
) -> None:
    if future.cancelled():
        return
    if error_indication:
        future.set_exception(_error_from(error_indication))
    elif error_status and int(error_status):
        future.set_exception(SnmpError(f"error status {error_status.prettyPrint()} "
                                       f"at index {int(error_index)}"))
    else:
        # GETBULK responses arrive as a table (list of rows); GET as a flat list.
        if var_binds and isinstance(var_binds[0], list):
            var_binds = [vb for row in var_binds for vb in row]
        future.set_result(var_binds)


def _error_from(indication: Any) -> SnmpError:
    text = str(indication)
    if "timeout" in text.lower() or "No SNMP response" in text:
        return SnmpTimeout(text)
    return SnmpError(text)


async def _await_response(future: asyncio.Future[Any], target: SnmpTarget) -> list[Any]:
    # pysnmp enforces timeout and retries itself; this outer bound only guards against a lost
    # callback so that one device can never hang a poll forever.
    limit = target.timeout * (target.retries + 1) + 5
    try:
        return list(await asyncio.wait_for(future, limit))
    except TimeoutError:
        raise SnmpTimeout(
            f"no answer from {target.address}:{target.port} in {limit:.0f} s"
        ) from None
