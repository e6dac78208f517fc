"""SNMPv3 requests on netmon's own path: engine discovery, time keeping, and the exchange.

One ``V3Engine`` serves a client. The first request to an agent discovers its engine ID, boots
and time (RFC 3414 section 4); later requests reuse them, with the time advanced on our own
clock. Every authenticated answer refreshes them, so a reboot of the box (boots + 1) is followed
at once; an agent that still finds us out of its time window, or no longer knows the engine ID
we used, gets one retry with what its Report said. Other Reports (unknown user, wrong digest,
decryption error) become errors that say which.

The messages themselves are built and checked in ``usm.py``; the UDP side is the transport that
v2c uses too.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from collectors.snmp import codec, usm
from collectors.snmp.errors import SnmpError

if TYPE_CHECKING:
    from collectors.snmp.client import SnmpTarget
    from collectors.snmp.transport import SnmpTransport

PduBuilder = Callable[[int], bytes]  # request-id -> encoded PDU


@lru_cache(maxsize=256)
def _user(
    name: str, auth_protocol: str, auth_key: str, priv_protocol: str, priv_key: str
) -> usm.UsmUser:
    return usm.UsmUser(
        name=name.encode(),
        auth_protocol=usm.protocol_key(auth_protocol),
        auth_password=auth_key.encode(),
        priv_protocol=usm.protocol_key(priv_protocol) if priv_protocol else "",
        priv_password=priv_key.encode(),
    )


def user_of(target: SnmpTarget) -> usm.UsmUser:
    return _user(
        target.user, target.auth_protocol, target.auth_key, target.priv_protocol, target.priv_key
    )


class V3Engine:
    def __init__(self, transport: SnmpTransport) -> None:
        self.transport = transport
        self._engines: dict[tuple[str, int], usm.EngineTimes] = {}
        self._discovering: dict[tuple[str, int], asyncio.Future[usm.EngineTimes]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._salt = random.getrandbits(64)

    def forget(self) -> None:
        """Drop what agents said of themselves (the client is closing)."""
        self._engines.clear()
        self._discovering.clear()

    def _next_salt(self) -> bytes:
        # RFC 3826 section 3.1.2.1: a 64-bit integer, incremented per message, random start.
        self._salt = (self._salt + 1) % 2**64
        return self._salt.to_bytes(8, "big")

    async def exchange(self, target: SnmpTarget, build: PduBuilder) -> codec.Pdu:
        """Send the PDU ``build`` makes (for a request-id) and return the agent's Response-PDU."""
        if not target.auth_key:
            raise SnmpError(f"{_where(target)}: SNMPv3 without an authentication key")
        if target.priv_protocol and not target.priv_key:
            raise SnmpError(f"{_where(target)}: SNMPv3 privacy without a privacy key")
        user = user_of(target)
        key = (target.address, target.port)
        for attempt in range(2):
            engine = await self._engine(target)
            msg_id = self.transport.new_request_id()
            datagram = usm.encode_request(
                msg_id,
                user,
                engine,
                engine.now(time.monotonic()),
                self._next_salt(),
                build(msg_id),
            )
            answer = await self._round_trip(target, msg_id, datagram, user)
            if answer.pdu.pdu_type == codec.PDU_REPORT:
                names = {name for name, _value in answer.pdu.var_binds}
                if attempt == 0 and usm.UNKNOWN_ENGINE_ID in names:
                    self._engines.pop(key, None)  # the box was replaced or reset: discover again
                    continue
                authenticated = bool(answer.flags & usm.FLAG_AUTH)
                if attempt == 0 and usm.NOT_IN_TIME_WINDOW in names and authenticated:
                    # Only an authenticated Report may move our idea of the agent's clock.
                    self._remember(key, answer)
                    continue
                raise SnmpError(
                    f"{_where(target)} refused the SNMPv3 request: {usm.report_reason(answer.pdu)}"
                )
            if not answer.flags & usm.FLAG_AUTH or (
                user.priv_protocol and not answer.flags & usm.FLAG_PRIV
            ):
                raise SnmpError(f"{_where(target)}: an answer below the security level asked for")
            self._remember(key, answer)
            return answer.pdu
        raise SnmpError(f"{_where(target)}: SNMPv3 time or engine ID did not settle")

    def _remember(self, key: tuple[str, int], answer: usm.Incoming) -> None:
        self._engines[key] = usm.EngineTimes(
            answer.engine_id, answer.boots, answer.time, time.monotonic()
        )

    async def _engine(self, target: SnmpTarget) -> usm.EngineTimes:
        key = (target.address, target.port)
        known = self._engines.get(key)
        if known is not None:
            return known
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A client reused on a new loop: discoveries of the old one cannot be awaited here
            # (what agents said of themselves stays valid).
            self._discovering.clear()
            self._loop = loop
        # Polls start together: one discovery per agent, the others wait for its result.
        running = self._discovering.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[usm.EngineTimes] = loop.create_future()
        self._discovering[key] = future
        try:
            engine = await self._discover(target)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it; no "never retrieved" warning
            raise
        finally:
            self._discovering.pop(key, None)
        future.set_result(engine)
        self._engines[key] = engine
        return engine

    async def _round_trip(
        self,
        target: SnmpTarget,
        msg_id: int,
        datagram: bytes,
        user: usm.UsmUser | None,
        what: str = "",
    ) -> usm.Incoming:
        """Send, wait (with the target's timeout and retries), then verify and decrypt."""
        raw = await self.transport.request_v3(
            target.address, target.port, msg_id, datagram, target.timeout, target.retries
        )
        try:
            return usm.decode_message(raw, user)
        except usm.UsmError as error:
            raise SnmpError(f"{_where(target)}: {what}{error}") from None

    async def _discover(self, target: SnmpTarget) -> usm.EngineTimes:
        msg_id = self.transport.new_request_id()
        probe = usm.encode_discovery(msg_id, codec.encode_pdu(codec.PDU_GET, msg_id, []))
        answer = await self._round_trip(target, msg_id, probe, None, "engine discovery failed: ")
        if not answer.engine_id:
            raise SnmpError(f"{_where(target)}: engine discovery gave no engine ID")
        return usm.EngineTimes(answer.engine_id, answer.boots, answer.time, time.monotonic())


def _where(target: SnmpTarget) -> str:
    return f"{target.address}:{target.port}"
