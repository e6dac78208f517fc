"""netmon's asyncio SNMP client for periodic health polls: GET and GETBULK table walks.

Two engines behind one API:

- netmon's own: ``codec`` (BER for the PDUs and the v2c message), ``usm`` and ``v3`` (the SNMPv3
  message, keys, HMAC authentication, AES privacy, engine discovery) and ``transport`` (one
  shared UDP socket, id matching, retries). pysnmp would spend ~85% of a poll's CPU building
  pyasn1 objects; this path costs ~10x less (benchmarks/snmp_engine.py measures it).
- pysnmp 7's engine (``pysnmp_engine``), configured once per target and fed pre-built OIDs
  without MIB lookups: for the SNMPv3 protocol pairs ``usm`` leaves to it (AES-192/256 keys
  that need extending), and as the reference the tests compare the own path against.

Both return values the same way: int (INTEGER, Counter32/64, Gauge32, TimeTicks), bytes
(OCTET STRING, Opaque), dotted str (OBJECT IDENTIFIER, IpAddress); ``get`` maps noSuchObject,
noSuchInstance and endOfMibView to None. A semaphore bounds the requests one client has in
flight, so a burst of polls cannot overflow the socket's receive buffer.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collectors.snmp import codec, usm
from collectors.snmp.codec import NoValue
from collectors.snmp.errors import SnmpError, SnmpTimeout
from collectors.snmp.pysnmp_engine import PysnmpEngine, to_python
from collectors.snmp.transport import SnmpTransport
from collectors.snmp.v3 import V3Engine

__all__ = ["SnmpClient", "SnmpError", "SnmpTarget", "SnmpTimeout", "to_python"]

OID = tuple[int, ...]
Value = int | bytes | str

DEFAULT_MAX_IN_FLIGHT = 64
V2C_VERSIONS = frozenset(("2c", "2", "v2c"))


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


class SnmpClient:
    """Sends GET and GETBULK requests to many targets; one instance serves a whole poller."""

    def __init__(
        self, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, *, via_pysnmp: bool = False
    ) -> None:
        """``via_pysnmp`` sends every request through pysnmp: the reference for tests and
        benchmarks, ~10x the CPU of netmon's own path."""
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self.via_pysnmp = via_pysnmp
        self._transport = SnmpTransport()
        self._v3 = V3Engine(self._transport)
        self._pysnmp = PysnmpEngine()
        self._limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._limits = weakref.WeakKeyDictionary()

    def _limit(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        limit = self._limits.get(loop)
        if limit is None:
            limit = self._limits[loop] = asyncio.Semaphore(self.max_in_flight)
        return limit

    async def _exchange(
        self, target: SnmpTarget, oids: Sequence[OID], max_repetitions: int | None
    ) -> list[codec.VarBind]:
        """One GET (``max_repetitions`` None) or GETBULK request; the answer's varbinds."""
        async with self._limit():
            if target.version in V2C_VERSIONS and not self.via_pysnmp:
                return await self._v2c_exchange(target, oids, max_repetitions)
            if (
                target.version == "3"
                and not self.via_pysnmp
                and usm.supports(target.auth_protocol, target.priv_protocol)
            ):
                pdu = await self._v3.exchange(target, _pdu_builder(oids, max_repetitions))
                _raise_error_status(target, pdu.error_status, pdu.error_name, pdu.error_index)
                return pdu.var_binds
            if target.version == "3" or target.version in V2C_VERSIONS:
                if max_repetitions is None:
                    return await self._pysnmp.get(target, oids)
                return await self._pysnmp.get_bulk(target, oids, max_repetitions)
            raise SnmpError(f"SNMP version {target.version!r} is not supported (use 2c or 3)")

    async def _v2c_exchange(
        self, target: SnmpTarget, oids: Sequence[OID], max_repetitions: int | None
    ) -> list[codec.VarBind]:
        community = target.community.encode()
        request_id = self._transport.new_request_id()
        if max_repetitions is None:
            datagram = codec.encode_request(codec.PDU_GET, request_id, community, list(oids))
        else:
            datagram = codec.encode_request(
                codec.PDU_GET_BULK,
                request_id,
                community,
                list(oids),
                max_repetitions=max_repetitions,
            )
        response = await self._transport.request(
            target.address,
            target.port,
            community,
            request_id,
            datagram,
            target.timeout,
            target.retries,
        )
        _raise_error_status(
            target, response.error_status, response.error_name, response.error_index
        )
        return response.var_binds

    async def get(self, target: SnmpTarget, oids: Sequence[OID]) -> dict[OID, Value | None]:
        """GET ``oids``; a missing object maps to None."""
        var_binds = await self._exchange(target, oids, None)
        return {
            name: None if value.__class__ is NoValue else value  # type: ignore[misc]
            for name, value in var_binds
        }

    async def bulk_walk(
        self, target: SnmpTarget, columns: Sequence[OID], max_rows: int = 10_000
    ) -> dict[OID, dict[OID, Value]]:
        """Walk several table columns at once with GETBULK; returns column -> {index: value}.

        A column may also be any subtree (then the index is the OID's suffix below it).
        ``max_rows`` bounds each column (an agent whose table never ends): a column stops
        once it holds that many rows, so a caller that asks for one more row than it accepts
        can tell a cut table from a complete one.
        """
        results: dict[OID, dict[OID, Value]] = {column: {} for column in columns}
        cursors = {column: column for column in columns}
        while cursors:
            active = list(cursors)
            table = await self._exchange(
                target, [cursors[c] for c in active], target.max_repetitions
            )
            if not table:
                break
            # The response is row-major: each row holds one varbind per requested column.
            width = len(active)
            progressed: set[OID] = set()
            for position, (oid, value) in enumerate(table):
                column = active[position % width]
                cursor = cursors.get(column)
                if cursor is None:
                    continue
                size = len(column)
                if value.__class__ is NoValue or oid[:size] != column or oid <= cursor:
                    del cursors[column]  # left the column, end of MIB, or agent went backwards
                    continue
                results[column][oid[size:]] = value  # type: ignore[assignment]
                cursors[column] = oid
                progressed.add(column)
                if len(results[column]) >= max_rows:
                    del cursors[column]  # bounded: the rest of the column is not read
            for column in list(cursors):
                if column not in progressed:
                    del cursors[column]
        return results

    def close(self) -> None:
        """Close the socket (pysnmp's engines close with their loop)."""
        self._transport.close()
        self._v3.forget()


def _pdu_builder(oids: Sequence[OID], max_repetitions: int | None) -> Callable[[int], bytes]:
    listed = list(oids)
    if max_repetitions is None:
        return lambda request_id: codec.encode_pdu(codec.PDU_GET, request_id, listed)
    return lambda request_id: codec.encode_pdu(
        codec.PDU_GET_BULK, request_id, listed, max_repetitions=max_repetitions
    )


def _raise_error_status(target: SnmpTarget, status: int, name: str, index: int) -> None:
    if status:
        raise SnmpError(f"{target.address}:{target.port} answered {name} at index {index}")
