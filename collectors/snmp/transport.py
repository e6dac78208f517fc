"""SNMP over UDP on asyncio: one socket per address family, requests matched by their id.

Every request of a client goes out through one shared, unconnected UDP socket. A v2c answer is
decoded with ``codec.decode_response`` and handed to the waiting request only when the
request-id, the source address and port, and the community all match. A v3 answer is matched by
its msgID and source, and handed over as it came: the USM layer (``usm.py``) verifies and
decrypts it, because only the request knows the user's keys. Anything else (a late answer to a
request that already timed out, a stray or malformed datagram) is dropped and counted. A retry
resends the same datagram with the same id, so a slow first answer still completes the request.

The socket gets a large receive buffer: with dozens of polls in flight, bursts of answers
overflow Linux's default (~208 KiB) and are dropped by the kernel, which shows up as false
timeouts (RcvbufErrors in /proc/net/snmp). The caller bounds the requests in flight too.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from dataclasses import dataclass

from collectors.snmp.codec import CodecError, Response, decode_response
from collectors.snmp.errors import SnmpError, SnmpTimeout
from collectors.snmp.usm import SNMP_V3, message_id

log = logging.getLogger(__name__)

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
REQUEST_ID_LIMIT = 2**31  # request-id is an Integer32; keep it positive


@dataclass
class _Pending:
    future: asyncio.Future[Response | bytes]
    peer: tuple[str, int]
    community: bytes | None  # None: an SNMPv3 request, answered by the raw datagram


@dataclass
class DropCounts:
    """Datagrams the transport ignored, by reason (for diagnostics and tests)."""

    malformed: int = 0
    unmatched: int = 0
    wrong_peer: int = 0
    wrong_community: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: SnmpTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.owner.datagram_received(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP errors on an unconnected socket cannot be tied to a request: the request's
        # timeout reports the device instead.
        log.debug("snmp socket error", extra={"error": str(exc)})


def _open_socket(family: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        # SO_RCVBUF is capped by net.core.rmem_max; root may go past the cap.
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < RECEIVE_BUFFER_BYTES:
            force = getattr(socket, "SO_RCVBUFFORCE", None)
            if force is not None:
                sock.setsockopt(socket.SOL_SOCKET, force, RECEIVE_BUFFER_BYTES)
    except OSError as error:
        log.warning("snmp receive buffer not enlarged", extra={"error": str(error)})
    return sock


class SnmpTransport:
    """Sends requests and matches answers; bound to the asyncio loop that first uses it."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sockets: dict[int, tuple[asyncio.DatagramTransport, socket.socket]] = {}
        self._pending: dict[int, _Pending] = {}
        self._next_id = random.randrange(1, REQUEST_ID_LIMIT)
        self._peers: dict[tuple[str, int], tuple[int, tuple[str, int]]] = {}
        self.dropped = DropCounts()

    def new_request_id(self) -> int:
        request_id = self._next_id
        while request_id in self._pending:
            request_id = request_id % (REQUEST_ID_LIMIT - 1) + 1
        self._next_id = request_id % (REQUEST_ID_LIMIT - 1) + 1
        return request_id

    async def _resolve(self, host: str, port: int) -> tuple[int, tuple[str, int]]:
        peer = self._peers.get((host, port))
        if peer is None:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            if not infos:
                raise SnmpError(f"cannot resolve {host}")
            family, _type, _proto, _name, sockaddr = infos[0]
            peer = self._peers[(host, port)] = (family, (sockaddr[0], sockaddr[1]))
        return peer

    async def _socket(self, family: int) -> asyncio.DatagramTransport:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A client reused from another (finished) loop: start over on this one.
            self.close()
            self._loop = loop
        opened = self._sockets.get(family)
        if opened is None or opened[0].is_closing():
            sock = _open_socket(family)
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _Protocol(self), sock=sock
            )
            opened = self._sockets[family] = (transport, sock)
        return opened[0]

    async def request(
        self,
        host: str,
        port: int,
        community: bytes,
        request_id: int,
        datagram: bytes,
        timeout: float,
        retries: int,
    ) -> Response:
        """Send a v2c ``datagram`` (carrying ``request_id``) up to ``retries + 1`` times."""
        answer = await self._exchange(host, port, community, request_id, datagram, timeout, retries)
        assert isinstance(answer, Response)
        return answer

    async def request_v3(
        self, host: str, port: int, msg_id: int, datagram: bytes, timeout: float, retries: int
    ) -> bytes:
        """Send a v3 ``datagram`` (carrying ``msg_id``); the answer as received."""
        answer = await self._exchange(host, port, None, msg_id, datagram, timeout, retries)
        assert isinstance(answer, bytes)
        return answer

    async def _exchange(
        self,
        host: str,
        port: int,
        community: bytes | None,
        request_id: int,
        datagram: bytes,
        timeout: float,
        retries: int,
    ) -> Response | bytes:
        family, peer = await self._resolve(host, port)
        transport = await self._socket(family)
        future: asyncio.Future[Response | bytes] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = _Pending(future, peer, community)
        try:
            for _attempt in range(retries + 1):
                transport.sendto(datagram, peer)
                done, _ = await asyncio.wait((future,), timeout=timeout)
                if done:
                    return future.result()
        finally:
            del self._pending[request_id]
            if not future.done():
                future.cancel()
        raise SnmpTimeout(f"no answer from {host}:{port} in {timeout:g} s x {retries + 1} attempts")

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if _version(data) == SNMP_V3:
            msg_id = message_id(data)
            if msg_id is None:
                self.dropped.malformed += 1
                return
            self._deliver(msg_id, addr, None, data)
            return
        try:
            response = decode_response(data)
        except CodecError as error:
            self.dropped.malformed += 1
            log.debug(
                "malformed snmp datagram dropped", extra={"peer": addr[0], "error": str(error)}
            )
            return
        self._deliver(response.request_id, addr, response.community, response)

    def _deliver(
        self,
        request_id: int,
        addr: tuple[str, int],
        community: bytes | None,
        answer: Response | bytes,
    ) -> None:
        pending = self._pending.get(request_id)
        if pending is None or pending.future.done():
            self.dropped.unmatched += 1  # late (after timeout or a retry's answer) or stray
            return
        if (addr[0], addr[1]) != pending.peer:
            self.dropped.wrong_peer += 1
            return
        if community != pending.community:
            self.dropped.wrong_community += 1  # also a v2c answer to a v3 request, or back
            return
        pending.future.set_result(answer)

    def close(self) -> None:
        loop_alive = self._loop is not None and not self._loop.is_closed()
        for transport, sock in self._sockets.values():
            if loop_alive:
                transport.close()
            else:
                sock.close()  # the transport cannot close itself once its loop is closed
        self._sockets.clear()
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.cancel()


def _version(data: bytes) -> int | None:
    """The message's version field, read from its first octets without decoding the rest."""
    if len(data) < 5 or data[0] != 0x30:
        return None
    at = 2 + (data[1] & 0x7F if data[1] & 0x80 else 0)
    if len(data) < at + 3 or data[at] != 0x02 or data[at + 1] != 1:
        return None
    return data[at + 2]
