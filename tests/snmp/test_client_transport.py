"""The v2c transport against scripted UDP responders on loopback (real sockets, no mocks).

Each responder decodes the client's request with pyasn1 (the reference) and answers, or
misbehaves, as the test scripts it: stray and malformed datagrams, a wrong community, a
datagram from another address, a dropped first try, a late answer, an error status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pyasn1.codec.ber import decoder as ber_decoder
from pyasn1.codec.ber import encoder as ber_encoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v2c

from collectors.snmp.client import SnmpClient, SnmpError, SnmpTarget, SnmpTimeout

COMMUNITY = "transport-test"
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)

Send = Callable[[bytes], None]
Script = Callable[[int, Send, "Responder"], Awaitable[None]]


def answer(
    request_id: int, value: Any = b"edge-fw-1", community: str = COMMUNITY, status: int = 0
) -> bytes:
    pdu = v2c.ResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_error_status(pdu, status)
    v2c.apiPDU.set_error_index(pdu, 1 if status else 0)
    v2c.apiPDU.set_varbinds(pdu, [(SYS_NAME, rfc1902.OctetString(value))])
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(ber_encoder.encode(message))


class Responder(asyncio.DatagramProtocol):
    """Runs ``script(request_id, send, self)`` for every request it receives."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[int] = []
        self.open = 0
        self.most_open = 0
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message, _ = ber_decoder.decode(data, asn1Spec=v2c.Message())
        request_id = int(v2c.apiPDU.get_request_id(v2c.apiMessage.get_pdu(message)))
        self.requests.append(request_id)
        assert self.transport is not None
        transport = self.transport

        def send(datagram: bytes) -> None:
            transport.sendto(datagram, addr)

        async def run() -> None:
            self.open += 1
            self.most_open = max(self.most_open, self.open)
            try:
                await self.script(request_id, send, self)
            finally:
                self.open -= 1

        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def start(script: Script, address: str = "127.43.1.1") -> tuple[Responder, SnmpTarget]:
    responder = Responder(script)
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: responder, local_addr=(address, 0)
    )
    port = transport.get_extra_info("sockname")[1]
    return responder, SnmpTarget(address, port, community=COMMUNITY, timeout=0.5, retries=0)


def test_stray_malformed_and_foreign_datagrams_are_ignored() -> None:
    async def script(request_id: int, send: Send, responder: Responder) -> None:
        send(b"\x30\x03garbage")
        send(answer(request_id + 1, b"someone else"))
        send(answer(request_id, b"wrong community", community="other"))
        send(answer(request_id))

    async def scenario() -> None:
        _responder, target = await start(script)
        client = SnmpClient()
        assert await client.get(target, [SYS_NAME]) == {SYS_NAME: b"edge-fw-1"}
        dropped = client._transport.dropped
        assert (dropped.malformed, dropped.unmatched, dropped.wrong_community) == (1, 1, 1)
        client.close()

    asyncio.run(scenario())


def test_answer_from_another_address_is_ignored() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        impostor, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.43.1.2", 0)
        )

        async def script(request_id: int, send: Send, responder: Responder) -> None:
            client_address = client._transport._sockets[2][1].getsockname()  # AF_INET socket
            impostor.sendto(answer(request_id, b"forged"), ("127.0.0.1", client_address[1]))
            await asyncio.sleep(0.05)
            send(answer(request_id))

        _responder, target = await start(script)
        client = SnmpClient()
        assert await client.get(target, [SYS_NAME]) == {SYS_NAME: b"edge-fw-1"}
        assert client._transport.dropped.wrong_peer == 1
        impostor.close()
        client.close()

    asyncio.run(scenario())


def test_retry_resends_the_same_request_and_gets_the_answer() -> None:
    async def script(request_id: int, send: Send, responder: Responder) -> None:
        if len(responder.requests) >= 2:  # the first try is lost
            send(answer(request_id))

    async def scenario() -> None:
        responder, target = await start(script)
        client = SnmpClient()
        with pytest.raises(SnmpTimeout):
            await client.get(target, [SYS_NAME])
        responder.requests.clear()
        retrying = SnmpTarget(
            target.address, target.port, community=COMMUNITY, timeout=0.3, retries=2
        )
        assert await client.get(retrying, [SYS_NAME]) == {SYS_NAME: b"edge-fw-1"}
        assert len(responder.requests) == 2
        assert responder.requests[0] == responder.requests[1]
        client.close()

    asyncio.run(scenario())


def test_late_answer_does_not_complete_a_later_request() -> None:
    async def script(request_id: int, send: Send, responder: Responder) -> None:
        if len(responder.requests) == 1:
            await asyncio.sleep(0.4)  # after the client gave up on this request
            send(answer(request_id, b"late"))
        else:
            await asyncio.sleep(0.6)  # the late answer above arrives while this one waits
            send(answer(request_id, b"fresh"))

    async def scenario() -> None:
        _responder, target = await start(script)
        client = SnmpClient()
        short = SnmpTarget(target.address, target.port, community=COMMUNITY, timeout=0.2, retries=0)
        with pytest.raises(SnmpTimeout):
            await client.get(short, [SYS_NAME])
        patient = SnmpTarget(target.address, target.port, community=COMMUNITY, timeout=3, retries=0)
        assert await client.get(patient, [SYS_NAME]) == {SYS_NAME: b"fresh"}
        assert client._transport.dropped.unmatched == 1
        client.close()

    asyncio.run(scenario())


def test_error_status_is_an_snmp_error() -> None:
    async def script(request_id: int, send: Send, responder: Responder) -> None:
        send(answer(request_id, status=5))

    async def scenario() -> None:
        _responder, target = await start(script)
        with pytest.raises(SnmpError, match="genErr at index 1"):
            await SnmpClient().get(target, [SYS_NAME])

    asyncio.run(scenario())


def test_requests_in_flight_are_bounded() -> None:
    async def script(request_id: int, send: Send, responder: Responder) -> None:
        await asyncio.sleep(0.02)
        send(answer(request_id))

    async def scenario() -> None:
        responder, target = await start(script)
        client = SnmpClient(max_in_flight=4)
        patient = SnmpTarget(target.address, target.port, community=COMMUNITY, timeout=5)
        answers = await asyncio.gather(*(client.get(patient, [SYS_NAME]) for _ in range(40)))
        assert all(a == {SYS_NAME: b"edge-fw-1"} for a in answers)
        assert len(responder.requests) == 40
        assert responder.most_open == 4
        client.close()

    asyncio.run(scenario())


def test_max_in_flight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SnmpClient(max_in_flight=0)
