"""Hostile SNMP agents on loopback for the daemon-level fault matrix: the lab's own agent
(agent/lab/snmp_agent.py, the one tests/corpus serves recordings with) serving a lab device's
recording with hostile values written into it, and an agent that never answers.

The values are what the SNMP types allow on the wire but a device should never send (a
Counter64 at 2**64-1, negative INTEGERs where a percent or a speed is read, a string where a
number is read), or sizes that only a broken agent answers (kilobyte-long names, a table that
goes on past the reader's row bound).
"""

from __future__ import annotations

import asyncio
import socket
import threading

from agent.lab.device import (
    TAG_COUNTER64,
    TAG_INTEGER,
    TAG_OCTET_STRING,
    LabCredentials,
    RecordedValue,
    SimulatedDevice,
    VendorBehaviour,
    parse_oid,
)
from agent.lab.snmp_agent import SnmpAgentHandle, start_snmp_agent
from collectors.snmp.health import MAX_TABLE_ROWS

OID = tuple[int, ...]
COUNTER64_MAX = 2**64 - 1
# H3C's CPU and memory columns (HH3C-ENTITY-EXT-MIB, collectors/profiles/h3c/snmp.toml) and
# IF-MIB's columns; board 2 is the module(9) row of the lab's Comware recordings.
H3C_CPU = parse_oid("1.3.6.1.4.1.25506.2.6.1.1.1.1.6.2")
H3C_MEMORY = parse_oid("1.3.6.1.4.1.25506.2.6.1.1.1.1.8.2")
IF_DESCR = parse_oid("1.3.6.1.2.1.2.2.1.2")
IF_OPER_STATUS = parse_oid("1.3.6.1.2.1.2.2.1.8")
IF_IN_ERRORS = parse_oid("1.3.6.1.2.1.2.2.1.14")
IF_HC_IN_OCTETS = parse_oid("1.3.6.1.2.1.31.1.1.1.6")
IF_HIGH_SPEED = parse_oid("1.3.6.1.2.1.31.1.1.1.15")
IF_ALIAS = parse_oid("1.3.6.1.2.1.31.1.1.1.18")
# Rows past the end of the recorded ifTable, enough to go beyond the reader's bound.
ENDLESS_ROWS = MAX_TABLE_ROWS + 2_000
HUGE_STRING_BYTES = 1_500  # ifAlias is SIZE(0..64); a bulk answer of them still fits a datagram


def garbage(recording: dict[OID, RecordedValue]) -> dict[OID, RecordedValue]:
    """The recording with values no real box should send but the wire carries."""
    changed = dict(recording)
    changed[H3C_CPU] = RecordedValue(TAG_INTEGER, -5)  # a negative percent
    changed[H3C_MEMORY] = RecordedValue(TAG_OCTET_STRING, b"lots")  # a string for a number
    changed[(*IF_HC_IN_OCTETS, 1)] = RecordedValue(TAG_COUNTER64, COUNTER64_MAX)  # legal
    changed[(*IF_HIGH_SPEED, 2)] = RecordedValue(TAG_INTEGER, -1)  # wrong type, negative
    changed[(*IF_IN_ERRORS, 3)] = RecordedValue(TAG_INTEGER, -7)  # a negative counter
    return changed


def oversized(recording: dict[OID, RecordedValue]) -> dict[OID, RecordedValue]:
    """The recording with a kilobyte-long alias on every interface."""
    changed = dict(recording)
    for oid in [oid for oid in recording if oid[: len(IF_DESCR)] == IF_DESCR]:
        index = oid[len(IF_DESCR) :]
        changed[(*IF_ALIAS, *index)] = RecordedValue(TAG_OCTET_STRING, b"A" * HUGE_STRING_BYTES)
    return changed


def endless(recording: dict[OID, RecordedValue]) -> dict[OID, RecordedValue]:
    """The recording with an ifTable that runs on past the reader's row bound."""
    changed = dict(recording)
    first = 100_000  # above any recorded ifIndex
    for index in range(first, first + ENDLESS_ROWS):
        changed[(*IF_DESCR, index)] = RecordedValue(TAG_OCTET_STRING, f"ghost{index}".encode())
        changed[(*IF_OPER_STATUS, index)] = RecordedValue(TAG_INTEGER, 2)
    return changed


def free_udp_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def closed_tcp_port(address: str) -> int:
    """A TCP port on ``address`` that nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


class HostileAgents:
    """Lab agents serving altered copies of lab devices, on the copies' own loopback address
    and a free UDP port, in one event loop thread; and silent sockets. A context manager."""

    def __init__(self, credentials: LabCredentials) -> None:
        self.credentials = credentials
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.handles: list[SnmpAgentHandle] = []
        self.silent: list[socket.socket] = []

    def __enter__(self) -> HostileAgents:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        async def close() -> None:
            for handle in self.handles:
                await handle.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        for sock in self.silent:
            sock.close()

    def serve(self, like: SimulatedDevice, recording: dict[OID, RecordedValue]) -> int:
        """Serve ``recording`` as ``like`` (its identity and address); returns the UDP port.
        No lab behaviour: values are served as recorded, never moved."""
        sim = SimulatedDevice(
            name=like.name,
            vendor=like.vendor,
            model=like.model,
            kind=like.kind,
            address=like.address,
            snmp_port=free_udp_port(like.address),
            ssh_port=like.ssh_port,
            recording=recording,
            behaviour=VendorBehaviour(like.vendor, {}, {}, {}, {}),
        )
        handle = asyncio.run_coroutine_threadsafe(
            start_snmp_agent(sim, self.credentials), self.loop
        ).result(30)
        self.handles.append(handle)
        return sim.snmp_port

    def never_answering(self, address: str) -> int:
        """A bound UDP socket nobody reads: requests vanish, as to a box that ignores us."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((address, 0))
        self.silent.append(sock)
        return int(sock.getsockname()[1])
