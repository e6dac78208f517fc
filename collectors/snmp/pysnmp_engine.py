"""Requests through pysnmp 7's engine: the reference, and the SNMPv3 pairs usm.py leaves to it.

pysnmp's high-level calls (``get_cmd`` and friends) resolve every variable through the MIB
machinery on the way in and out. Health polls need none of that: OIDs come from the vendor
profile as numbers and values are read by type. So each target is configured once (pysnmp's
LCD), ready-made ``(ObjectName, Null)`` pairs go to pysnmp's command generators and the
returned pyasn1 values are converted straight to Python (int, bytes, str).

Targets get an engine per credential set, because pysnmp keys USM users by name and two boxes
may share a user name with other keys. pysnmp enforces timeout and retries itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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

from collectors.snmp import codec
from collectors.snmp.errors import SnmpError, SnmpTimeout
from collectors.snmp.usm import protocol_key

if TYPE_CHECKING:
    from collectors.snmp.client import SnmpTarget

OID = tuple[int, ...]

AUTH_PROTOCOLS = {
    "MD5": engine_config.USM_AUTH_HMAC96_MD5,
    "SHA": engine_config.USM_AUTH_HMAC96_SHA,
    "SHA224": engine_config.USM_AUTH_HMAC128_SHA224,
    "SHA256": engine_config.USM_AUTH_HMAC192_SHA256,
    "SHA384": engine_config.USM_AUTH_HMAC256_SHA384,
    "SHA512": engine_config.USM_AUTH_HMAC384_SHA512,
}
# net-snmp's AES-192 / AES-256 extend a short key as draft-blumenthal-aes-usm-04 says; its
# AES-192-C / AES-256-C (Cisco's) as draft-reeder-snmpv3-usm-3desede does. pysnmp names the
# first "_BLUMENTHAL" and the second plainly (checked against snmpd in test_client_snmpd.py).
PRIV_PROTOCOLS = {
    "": engine_config.USM_PRIV_NONE,
    "DES": engine_config.USM_PRIV_CBC56_DES,
    "AES": engine_config.USM_PRIV_CFB128_AES,
    "AES128": engine_config.USM_PRIV_CFB128_AES,
    "AES192": engine_config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": engine_config.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": engine_config.USM_PRIV_CFB192_AES,
    "AES256C": engine_config.USM_PRIV_CFB256_AES,
}


def to_python(value: Any) -> int | bytes | str | None:
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


def to_codec_value(value: Any) -> codec.Value:
    """pyasn1 value -> the codec's representation (exceptions as its singletons)."""
    if isinstance(value, EndOfMibView):
        return codec.END_OF_MIB_VIEW
    if isinstance(value, NoSuchObject):
        return codec.NO_SUCH_OBJECT
    if isinstance(value, NoSuchInstance):
        return codec.NO_SUCH_INSTANCE
    converted = to_python(value)
    return codec.NULL if converted is None else converted


class PysnmpEngine:
    """GET and GETBULK through pysnmp (v2c and v3): AES-192/256 keys that need extending, and
    the reference the tests and benchmarks compare netmon's own path against."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engines: dict[tuple[str, ...], SnmpEngine] = {}
        self._targets: dict[SnmpTarget, tuple[SnmpEngine, str]] = {}
        self._lcd = CommandGeneratorLcdConfigurator()
        self._get = cmdgen.GetCommandGenerator()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()

    def _engine_for(self, target: SnmpTarget) -> SnmpEngine:
        key: tuple[str, ...] = ("v2c",)
        if target.version == "3":
            key = (
                "v3",
                target.user,
                target.auth_protocol,
                target.auth_key,
                target.priv_protocol,
                target.priv_key,
            )
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = SnmpEngine()
        return engine

    async def _configure(self, target: SnmpTarget) -> tuple[SnmpEngine, str]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # pysnmp's transports belong to the loop that opened them: a client reused from an
            # earlier (finished) loop starts with fresh engines on this one.
            self._engines.clear()
            self._targets.clear()
            self._loop = loop
        configured = self._targets.get(target)
        if configured is not None:
            return configured
        engine = self._engine_for(target)
        if target.version == "3":
            try:
                auth_protocol = AUTH_PROTOCOLS[protocol_key(target.auth_protocol)]
                priv_protocol = PRIV_PROTOCOLS[protocol_key(target.priv_protocol)]
            except KeyError as error:
                raise SnmpError(f"unsupported SNMPv3 protocol {error.args[0]}") from None
            auth: CommunityData | UsmUserData = UsmUserData(
                target.user,
                authKey=target.auth_key or None,
                privKey=(target.priv_key or None) if target.priv_protocol else None,
                authProtocol=auth_protocol,
                privProtocol=priv_protocol,
            )
        else:
            auth = CommunityData(target.community, mpModel=1)
        transport = await UdpTransportTarget.create(
            (target.address, target.port), timeout=target.timeout, retries=target.retries
        )
        addr_name, _params = self._lcd.configure(engine, auth, transport, "")
        self._targets[target] = (engine, addr_name)
        return engine, addr_name

    async def get(self, target: SnmpTarget, oids: Sequence[OID]) -> list[codec.VarBind]:
        engine, addr_name = await self._configure(target)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        var_binds = [(ObjectName(oid), rfc1902.Null("")) for oid in oids]
        self._get.send_varbinds(engine, addr_name, None, "", var_binds, _resolve, future)
        return _converted(await _await_response(future, target))

    async def get_bulk(
        self, target: SnmpTarget, oids: Sequence[OID], max_repetitions: int
    ) -> list[codec.VarBind]:
        engine, addr_name = await self._configure(target)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        var_binds = [(ObjectName(oid), rfc1902.Null("")) for oid in oids]
        self._bulk.send_varbinds(
            engine, addr_name, None, "", 0, max_repetitions, var_binds, _resolve, future
        )
        return _converted(await _await_response(future, target))


def _converted(var_binds: list[Any]) -> list[codec.VarBind]:
    return [(tuple(name), to_codec_value(value)) for name, value in var_binds]


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
        future.set_exception(
            SnmpError(f"error status {error_status.prettyPrint()} at index {int(error_index)}")
        )
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
