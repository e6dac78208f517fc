"""The lab's SNMP agent: one real pysnmp command responder per simulated device.

Every agent runs on the *current* asyncio loop (the lab runs 40 of them on one loop) and answers
from its ``SimulatedDevice`` only: a custom MIB instrumentation controller maps the device's
recorded values to pysnmp types, so no MIB module is loaded or looked up per request.

- SNMPv2c with the read-only community of ``LabCredentials``; a wrong community gets no answer
  (pysnmp drops it and counts snmpInBadCommunityNames, as real agents do).
- SNMPv3 user with HMAC-SHA-96 authentication and AES-128 privacy (authPriv).
- GET, GETNEXT and GETBULK; SET is not served (lab devices are read-only).
- Faults are checked per datagram, so switching one on or off takes effect at once:
  ``down`` / ``snmp-timeout`` drop the request at the transport, ``slow`` feeds it to the engine
  ``sim.answer_delay()`` seconds later (``loop.call_later``; the loop is never blocked).

Cost, measured once on this machine (pysnmp 7.1, CPython 3.11, net-snmp's snmpbulkget against
the LS-5560-54C-EI recording): a v2c GETBULK answered with 100 varbinds takes about 6 ms of the
agent process's CPU, most of it pyasn1 decoding and encoding; no MIB lookup is involved.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
from dataclasses import dataclass, field
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.smi import instrum

from agent.lab.device import (
    OID,
    TAG_COUNTER32,
    TAG_COUNTER64,
    TAG_GAUGE32,
    TAG_INTEGER,
    TAG_IP_ADDRESS,
    TAG_NULL,
    TAG_OBJECT_ID,
    TAG_OCTET_STRING,
    TAG_TIMETICKS,
    Fault,
    LabCredentials,
    RecordedValue,
    SimulatedDevice,
)

log = logging.getLogger(__name__)

# Large enough for a lab that may run many agents behind one socket each; see
# environment.md: the default ~208 KiB receive buffer overflows under bursts of polls.
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
# pysnmp's responder caps a GETBULK answer at 64 varbinds; real agents are limited by message
# size only (net-snmp answers 250-varbind polls), so the lab allows more.
MAX_BULK_VARBINDS = 256
# IANA enterprise number of the engine ID: 8072 (net-snmp), as many appliance agents use.
ENGINE_ID_ENTERPRISE = 8072
CLOSE_TIMEOUT_SECONDS = 5.0

_CONVERTERS: dict[str, Any] = {
    TAG_INTEGER: rfc1902.Integer32,
    TAG_OCTET_STRING: rfc1902.OctetString,
    TAG_OBJECT_ID: rfc1902.ObjectIdentifier,
    TAG_IP_ADDRESS: rfc1902.IpAddress,
    TAG_COUNTER32: rfc1902.Counter32,
    TAG_GAUGE32: rfc1902.Gauge32,
    TAG_TIMETICKS: rfc1902.TimeTicks,
    TAG_COUNTER64: rfc1902.Counter64,
}


def to_snmp_value(recorded: RecordedValue) -> Any:
    """A recorded value as the pysnmp (pyasn1) object that goes on the wire."""
    if recorded.tag == TAG_NULL:
        return rfc1902.Null("")
    return _CONVERTERS[recorded.tag](recorded.value)


class DeviceMibController(instrum.AbstractMibInstrumController):
    """Answers GET / GETNEXT from a SimulatedDevice instead of pysnmp's MIB tree.

    Access control is not consulted: every configured principal (one community, one v3 user)
    may read everything, which is what the lab wants.
    """

    def __init__(self, sim: SimulatedDevice) -> None:
        self._sim = sim
        self._names: dict[OID, rfc1902.ObjectName] = {}
        # OID -> (the RecordedValue it was built from, its pysnmp value); reused while the
        # device returns the very same RecordedValue object (the value did not move).
        self._values: dict[OID, tuple[RecordedValue, Any]] = {}

    def _name(self, oid: OID) -> rfc1902.ObjectName:
        name = self._names.get(oid)
        if name is None:
            name = self._names[oid] = rfc1902.ObjectName(oid)
        return name

    def _value(self, oid: OID, current: RecordedValue) -> Any:
        cached = self._values.get(oid)
        if cached is not None and cached[0] is current:
            return cached[1]
        converted = to_snmp_value(current)
        self._values[oid] = (current, converted)
        return converted

    def _missing(self, oid: OID) -> Any:
        # noSuchInstance when the object (the column or scalar above the instance) exists.
        parent = oid[:-1]
        following = self._sim.next_oid(parent)
        if parent and following is not None and following[: len(parent)] == parent:
            return rfc1905.noSuchInstance
        return rfc1905.noSuchObject

    def read_variables(self, *var_binds: Any, **_context: Any) -> list[tuple[Any, Any]]:
        answer = []
        for name, _value in var_binds:
            oid = tuple(name)
            current = self._sim.value(oid)
            if current is None:
                answer.append((name, self._missing(oid)))
            else:
                answer.append((name, self._value(oid, current)))
        return answer

    def read_next_variables(self, *var_binds: Any, **_context: Any) -> list[tuple[Any, Any]]:
        answer = []
        for name, _value in var_binds:
            oid = tuple(name)
            following = self._sim.next_oid(oid)
            current = self._sim.value(following) if following is not None else None
            if following is None or current is None:
                answer.append((name, rfc1905.endOfMibView))
            else:
                answer.append((self._name(following), self._value(following, current)))
        return answer

    def write_variables(self, *var_binds: Any, **_context: Any) -> list[tuple[Any, Any]]:
        raise NotImplementedError("lab agents are read-only")


class _BulkResponder(cmdrsp.BulkCommandResponder):
    max_varbinds = MAX_BULK_VARBINDS


class _FaultAwareUdpTransport(udp.UdpAsyncioTransport):
    """pysnmp's asyncio UDP transport, with the device's faults applied to each datagram."""

    def __init__(self, sim: SimulatedDevice, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._sim = sim
        self.closed_event = asyncio.Event()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.closed_event.set()  # asyncio has closed the socket: the port is free again

    def datagram_received(self, datagram: bytes, transport_address: Any) -> None:
        sim = self._sim
        if sim.has(Fault.DOWN) or sim.has(Fault.SNMP_TIMEOUT):
            return  # dropped: the manager sees a timeout
        callback = self._callback_function
        if callback is None:
            return
        delay = sim.answer_delay()
        if delay > 0:
            self.loop.call_later(delay, self._deliver, transport_address, datagram)
        else:
            self.loop.call_soon(callback, self, transport_address, datagram)

    def _deliver(self, transport_address: Any, datagram: bytes) -> None:
        # The agent may have been closed while the request waited.
        if self._callback_function is not None and self.transport is not None:
            self._callback_function(self, transport_address, datagram)


def _engine_id(sim: SimulatedDevice) -> bytes:
    """A stable, per-agent SNMP engine ID (RFC 3411 format 5: octets, administratively set).

    Every agent needs its own: SNMPv3 managers key time windows and localized keys by it.
    """
    digest = hashlib.sha1(f"{sim.address}:{sim.snmp_port}".encode()).digest()[:8]
    prefix = (0x80000000 | ENGINE_ID_ENTERPRISE).to_bytes(4, "big")
    return prefix + b"\x05" + b"netmon" + digest


def _set_engine_id(snmp_engine: engine.SnmpEngine, engine_id: bytes) -> None:
    # Set after construction rather than through SnmpEngine(snmpEngineID=...), which also
    # writes an engine-boots file under the system temp directory for every ID.
    (mib_engine_id,) = snmp_engine.get_mib_builder().import_symbols(
        "__SNMP-FRAMEWORK-MIB", "snmpEngineID"
    )
    mib_engine_id.syntax = mib_engine_id.syntax.clone(engine_id)
    snmp_engine.snmpEngineID = mib_engine_id.syntax


def _bound_socket(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.setblocking(False)
        sock.bind((address, port))  # raises OSError (address in use, ...) right here
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class SnmpAgentHandle:
    """A running lab agent; ``close()`` frees its port and its engine."""

    sim: SimulatedDevice
    snmp_engine: engine.SnmpEngine
    transport: _FaultAwareUdpTransport
    responders: list[Any] = field(default_factory=list)
    closed: bool = False

    @property
    def endpoint(self) -> tuple[str, int]:
        return self.sim.address, self.sim.snmp_port

    async def close(self) -> None:
        """Stop answering, and return once the socket is closed (its port can be reused)."""
        if self.closed:
            return
        self.closed = True
        for responder in self.responders:
            responder.close(self.snmp_engine)
        self.responders.clear()
        config.delete_transport(self.snmp_engine, udp.DOMAIN_NAME)
        self.transport.close_transport()
        self.snmp_engine.close_dispatcher()
        try:
            await asyncio.wait_for(self.transport.closed_event.wait(), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("lab snmp agent socket did not close", extra={"device": self.sim.name})
        log.debug("lab snmp agent stopped", extra={"device": self.sim.name})


async def start_snmp_agent(sim: SimulatedDevice, credentials: LabCredentials) -> SnmpAgentHandle:
    """Serve ``sim`` over SNMP on UDP (sim.address, sim.snmp_port) on the running loop."""
    loop = asyncio.get_running_loop()
    sock = _bound_socket(sim.address, sim.snmp_port)

    snmp_engine = engine.SnmpEngine()
    _set_engine_id(snmp_engine, _engine_id(sim))

    transport = _FaultAwareUdpTransport(sim, loop)
    transport.open_server_mode(sock=sock)
    config.add_transport(snmp_engine, udp.DOMAIN_NAME, transport)
    await transport._lport  # the datagram endpoint is ready (pysnmp schedules it as a task)

    # v2c: community -> security name; no VACM needed because the controller grants reads.
    config.add_v1_system(snmp_engine, "lab-read", credentials.community)
    config.add_v3_user(
        snmp_engine,
        credentials.v3_user,
        config.USM_AUTH_HMAC96_SHA,
        credentials.v3_auth_key,
        config.USM_PRIV_CFB128_AES,
        credentials.v3_priv_key,
    )

    snmp_context = context.SnmpContext(snmp_engine)
    snmp_context.unregister_context_name(b"")
    snmp_context.register_context_name(b"", DeviceMibController(sim))
    responders = [
        cmdrsp.GetCommandResponder(snmp_engine, snmp_context),
        cmdrsp.NextCommandResponder(snmp_engine, snmp_context),
        _BulkResponder(snmp_engine, snmp_context),
    ]
    log.debug(
        "lab snmp agent started",
        extra={"device": sim.name, "address": sim.address, "port": sim.snmp_port},
    )
    return SnmpAgentHandle(sim, snmp_engine, transport, responders)
