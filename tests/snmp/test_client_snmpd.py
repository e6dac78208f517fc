"""The client against a real net-snmp ``snmpd`` on loopback, v2c and v3 on netmon's own path.

One snmpd per module on 127.43.0.1 and a free port, with a v2c community, SNMPv3 users for
several authentication and privacy pairs, and ``override`` objects for the awkward values
(negative INTEGER, an OID with arcs past 2**28, Gauge32 at its maximum). Answers are also
checked against pysnmp's own handling of the same agent (``SnmpClient(via_pysnmp=True)``) and
against net-snmp's ``snmpget``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from collectors.snmp.client import SnmpClient, SnmpError, SnmpTarget, SnmpTimeout

ADDRESS = "127.43.0.1"
COMMUNITY = "netmon-test"
V3_USER = "netmontest"
V3_AUTH = "test-auth-key-1"
V3_PRIV = "test-priv-key-1"
# More v3 users: (name, net-snmp auth, net-snmp priv). The first four go through netmon's own
# USM code; SHA-1 with AES-256 needs key extension, which is left to pysnmp.
V3_USERS = [
    ("u-sha256-aes", "SHA-256", "AES"),
    ("u-sha512-aes256", "SHA-512", "AES-256"),
    ("u-sha384-aes192", "SHA-384", "AES-192"),
    ("u-sha224-nopriv", "SHA-224", ""),
    ("u-sha-aes256", "SHA", "AES-256"),
    ("u-sha-aes256c", "SHA", "AES-256-C"),  # Cisco's key extension (Reeder draft)
]

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYSTEM = (1, 3, 6, 1, 2, 1, 1)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_TYPE = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
IF_MTU = (1, 3, 6, 1, 2, 1, 2, 2, 1, 4)
IF_HC_IN_OCTETS = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)  # IF-MIB ifHCInOctets, Counter64
HR_SW_RUN_NAME = (1, 3, 6, 1, 2, 1, 25, 4, 2, 1, 2)  # HOST-RESOURCES-MIB, many rows
# Our test objects under an unassigned enterprise number (snmpd.conf "override").
TEST_BASE = (1, 3, 6, 1, 4, 1, 99999)
NEGATIVE = (*TEST_BASE, 1, 0)
BIG_ARC_NAME = (*TEST_BASE, 2, 4294967295, 0)
BIG_ARC_VALUE = (*TEST_BASE, 3, 0)
EMPTY_STRING = (*TEST_BASE, 5, 0)


def _need(tool: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin")
    if path is None:
        message = f"{tool} not installed (Debian packages snmpd / snmp)"
        if os.environ.get("NETMON_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _free_udp_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Snmpd:
    v2c: SnmpTarget
    v3: SnmpTarget

    @property
    def endpoint(self) -> str:
        return f"{self.v2c.address}:{self.v2c.port}"


def _config(directory: Path) -> Path:
    config = directory / "snmpd.conf"
    config.write_text(
        f"rocommunity {COMMUNITY} 127.0.0.0/8\n"
        f"createUser {V3_USER} SHA {V3_AUTH} AES {V3_PRIV}\n"
        f"rouser {V3_USER} priv\n"
        + "".join(
            f"createUser {name} {auth} {V3_AUTH}{f' {priv} {V3_PRIV}' if priv else ''}\n"
            f"rouser {name} {'priv' if priv else 'auth'}\n"
            for name, auth, priv in V3_USERS
        )
        + "dontLogTCPWrappersConnects yes\n"
        f"override {'.'.join(map(str, NEGATIVE))} integer -42\n"
        f"override {'.'.join(map(str, BIG_ARC_NAME))} uinteger 4294967295\n"
        f"override {'.'.join(map(str, BIG_ARC_VALUE))} object_id 1.3.6.1.4.1.4000000000.7\n"
        f'override {".".join(map(str, EMPTY_STRING))} octet_str ""\n'
    )
    return config


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    binary = _need("snmpd")
    directory = tmp_path_factory.mktemp("snmpd")
    config = _config(directory)
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(directory)}
    for _attempt in range(3):
        port = _free_udp_port(ADDRESS)
        log = (directory / "snmpd.log").open("wb")
        process = subprocess.Popen(
            [binary, "-f", "-Lo", "-C", "-I", "-smux", "-c", str(config), f"udp:{ADDRESS}:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        target = SnmpTarget(ADDRESS, port, community=COMMUNITY, timeout=0.5, retries=0)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                asyncio.run(SnmpClient().get(target, [SYS_UPTIME]))
                break
            except SnmpError:
                time.sleep(0.1)
        else:
            process.kill()
            process.wait()
            log.close()
            continue  # the port was taken meanwhile, or snmpd failed: try again
        break
    else:
        pytest.fail(f"snmpd did not start: {(directory / 'snmpd.log').read_text()[-2000:]}")
    try:
        yield Snmpd(
            v2c=replace(target, timeout=2.0, retries=1),
            v3=SnmpTarget(
                ADDRESS,
                port,
                version="3",
                user=V3_USER,
                auth_protocol="SHA",
                auth_key=V3_AUTH,
                priv_protocol="AES",
                priv_key=V3_PRIV,
            ),
        )
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def snmpget_text(agent: Snmpd, oid: tuple[int, ...]) -> str:
    tool = _need("snmpget")
    result = subprocess.run(
        [tool, "-v2c", "-c", COMMUNITY, "-On", "-Oqv", agent.endpoint, ".".join(map(str, oid))],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "MIBS": ""},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_v2c_get_matches_snmpget(snmpd: Snmpd) -> None:
    values = run(SnmpClient().get(snmpd.v2c, [SYS_DESCR, SYS_OBJECT_ID, NEGATIVE, EMPTY_STRING]))
    assert values[SYS_DESCR] == snmpget_text(snmpd, SYS_DESCR).strip('"').encode()
    assert "." + str(values[SYS_OBJECT_ID]) == snmpget_text(snmpd, SYS_OBJECT_ID)
    assert values[NEGATIVE] == -42
    assert values[EMPTY_STRING] == b""


def test_v2c_answers_equal_pysnmps(snmpd: Snmpd) -> None:
    oids = [SYS_DESCR, SYS_OBJECT_ID, NEGATIVE, BIG_ARC_NAME, BIG_ARC_VALUE, (1, 3, 6, 1, 9, 9)]
    columns = [IF_DESCR, IF_TYPE, IF_MTU, IF_HC_IN_OCTETS, TEST_BASE]

    async def both(client: SnmpClient) -> tuple[Any, Any]:
        return await client.get(snmpd.v2c, oids), await client.bulk_walk(snmpd.v2c, columns)

    ours = run(both(SnmpClient()))
    reference = run(both(SnmpClient(via_pysnmp=True)))
    assert ours[0] == reference[0]
    # ifHCInOctets grows with our own loopback traffic: same rows, values not compared.
    for column in columns:
        assert ours[1][column].keys() == reference[1][column].keys(), column
        if column != IF_HC_IN_OCTETS:
            assert ours[1][column] == reference[1][column], column
    assert ours[0][BIG_ARC_NAME] == 4294967295
    assert ours[0][BIG_ARC_VALUE] == "1.3.6.1.4.1.4000000000.7"
    assert ours[1][TEST_BASE][(1, 0)] == -42
    assert all(isinstance(v, int) and v >= 0 for v in ours[1][IF_HC_IN_OCTETS].values())


def test_v2c_missing_objects_are_none(snmpd: Snmpd) -> None:
    no_such_object = (1, 3, 6, 1, 9, 9, 0)
    no_such_instance = (1, 3, 6, 1, 2, 1, 1, 1, 7)  # sysDescr exists, instance .7 does not
    values = run(SnmpClient().get(snmpd.v2c, [no_such_object, no_such_instance, SYS_UPTIME]))
    assert values[no_such_object] is None and values[no_such_instance] is None
    assert isinstance(values[SYS_UPTIME], int)


def test_v2c_walk_of_a_large_table_over_many_requests(snmpd: Snmpd) -> None:
    target = replace(snmpd.v2c, max_repetitions=7)
    walked = run(SnmpClient().bulk_walk(target, [HR_SW_RUN_NAME, SYSTEM]))
    names = walked[HR_SW_RUN_NAME]
    assert len(names) > 7  # more rows than one request returns
    assert all(len(index) == 1 and isinstance(name, bytes) for index, name in names.items())
    assert b"snmpd" in names.values()
    assert walked[SYSTEM][(1, 0)] == snmpget_text(snmpd, SYS_DESCR).strip('"').encode()


def test_walk_past_the_end_of_the_mib_stops(snmpd: Snmpd) -> None:
    beyond = (1, 3, 6, 1, 6, 3, 99)  # after everything snmpd serves: endOfMibView
    assert run(SnmpClient().bulk_walk(snmpd.v2c, [beyond])) == {beyond: {}}


def test_max_rows_bounds_a_walk(snmpd: Snmpd) -> None:
    walked = run(SnmpClient().bulk_walk(replace(snmpd.v2c, max_repetitions=5), [SYSTEM], 5))
    assert len(walked[SYSTEM]) == 5


def test_wrong_community_times_out(snmpd: Snmpd) -> None:
    target = replace(snmpd.v2c, community="not-the-community", timeout=0.3, retries=1)
    with pytest.raises(SnmpTimeout, match=r"2 attempts"):
        run(SnmpClient().get(target, [SYS_DESCR]))


def test_v3_auth_priv_get_and_walk_equal_v2c(snmpd: Snmpd) -> None:
    client_v2c, client_v3 = SnmpClient(), SnmpClient()
    v2c_values = run(client_v2c.get(snmpd.v2c, [SYS_DESCR, NEGATIVE, (1, 3, 6, 1, 9, 9)]))
    v3_values = run(client_v3.get(snmpd.v3, [SYS_DESCR, NEGATIVE, (1, 3, 6, 1, 9, 9)]))
    assert v3_values == v2c_values
    columns = [IF_DESCR, IF_MTU]
    assert run(client_v3.bulk_walk(snmpd.v3, columns)) == run(
        client_v2c.bulk_walk(snmpd.v2c, columns)
    )


def _v3_user(agent: Snmpd, name: str, auth: str, priv: str) -> SnmpTarget:
    return replace(agent.v3, user=name, auth_protocol=auth, priv_protocol=priv)


@pytest.mark.parametrize(("name", "auth", "priv"), V3_USERS)
def test_v3_protocol_pairs_equal_pysnmp_and_v2c(
    snmpd: Snmpd, name: str, auth: str, priv: str
) -> None:
    target = _v3_user(snmpd, name, auth, priv)
    oids = [SYS_DESCR, NEGATIVE, BIG_ARC_VALUE, (1, 3, 6, 1, 9, 9)]
    ours = run(SnmpClient().get(target, oids))
    assert ours == run(SnmpClient(via_pysnmp=True).get(target, oids))
    assert ours == run(SnmpClient().get(snmpd.v2c, oids))
    columns = [IF_DESCR, IF_MTU]
    assert run(SnmpClient().bulk_walk(target, columns)) == run(
        SnmpClient().bulk_walk(snmpd.v2c, columns)
    )


def test_v3_wrong_auth_key_is_named(snmpd: Snmpd) -> None:
    target = replace(snmpd.v3, auth_key="not-the-key-1", timeout=0.5, retries=0)
    with pytest.raises(SnmpError, match="wrong authentication key"):
        run(SnmpClient().get(target, [SYS_DESCR]))


@pytest.mark.parametrize(
    ("change", "message"),
    [({"auth_key": ""}, "without an authentication key"), ({"priv_key": ""}, "privacy key")],
)
def test_v3_missing_key_is_named_before_sending(
    snmpd: Snmpd, change: dict[str, str], message: str
) -> None:
    with pytest.raises(SnmpError, match=message):
        run(SnmpClient().get(replace(snmpd.v3, **change), [SYS_DESCR]))


def test_v3_unknown_user_is_named(snmpd: Snmpd) -> None:
    target = replace(snmpd.v3, user="nobody-here", timeout=0.5, retries=0)
    with pytest.raises(SnmpError, match="does not know this user"):
        run(SnmpClient().get(target, [SYS_DESCR]))


def test_v3_wrong_priv_key_is_an_error(snmpd: Snmpd) -> None:
    # net-snmp cannot decrypt the PDU: it counts a decryption error and answers with a Report,
    # or stays silent; either way the poll fails and says so.
    target = replace(snmpd.v3, priv_key="not-the-key-2", timeout=0.5, retries=0)
    with pytest.raises(SnmpError, match=r"decryption error|no answer"):
        run(SnmpClient().get(target, [SYS_DESCR]))


def test_v3_engine_time_is_resynchronised(snmpd: Snmpd) -> None:
    """Our idea of the agent's clock drifts (a suspended host, a reboot of the box): the agent
    answers notInTimeWindow, and one retry with its time succeeds."""
    client = SnmpClient()

    async def poll_twice() -> tuple[Any, Any, int]:
        first = await client.get(snmpd.v3, [NEGATIVE])
        key = (snmpd.v3.address, snmpd.v3.port)
        engine = client._v3._engines[key]
        true_time = engine.time
        engine.time += 10_000  # far outside the 150 s window of RFC 3414
        second = await client.get(snmpd.v3, [NEGATIVE])
        return first, second, client._v3._engines[key].time - true_time

    first, second, drift = run(poll_twice())
    assert first == second == {NEGATIVE: -42}
    assert 0 <= drift < 60  # back on the agent's clock


def test_v3_answer_tampered_on_the_way_is_refused(snmpd: Snmpd) -> None:
    """A relay on loopback flips one bit of every answer after discovery: the digest check
    refuses it instead of returning altered values."""

    class Relay(asyncio.DatagramProtocol):
        def __init__(self) -> None:
            self.client: tuple[str, int] | None = None
            self.answers = 0

        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            if addr == (ADDRESS, snmpd.v3.port):
                self.answers += 1
                if self.answers > 1:  # the discovery report passes unchanged
                    data = data[:-1] + bytes((data[-1] ^ 1,))
                assert self.client is not None
                self.transport.sendto(data, self.client)
            else:
                self.client = addr
                self.transport.sendto(data, (ADDRESS, snmpd.v3.port))

    async def through_relay() -> None:
        loop = asyncio.get_running_loop()
        transport, _relay = await loop.create_datagram_endpoint(Relay, local_addr=("127.43.0.2", 0))
        port = transport.get_extra_info("sockname")[1]
        try:
            target = replace(snmpd.v3, address="127.43.0.2", port=port, timeout=1, retries=0)
            await SnmpClient().get(target, [SYS_DESCR])
        finally:
            transport.close()

    with pytest.raises(SnmpError, match="digest is wrong"):
        run(through_relay())


def test_unsupported_version_is_an_error(snmpd: Snmpd) -> None:
    with pytest.raises(SnmpError, match="not supported"):
        run(SnmpClient().get(replace(snmpd.v2c, version="1"), [SYS_DESCR]))


def test_many_concurrent_polls_share_one_socket(snmpd: Snmpd) -> None:
    client = SnmpClient(max_in_flight=16)

    async def poll_many() -> list[dict[tuple[int, ...], Any]]:
        return await asyncio.gather(
            *(client.bulk_walk(snmpd.v2c, [IF_DESCR, SYSTEM]) for _ in range(200))
        )

    answers = run(poll_many())
    first = answers[0]
    assert first[IF_DESCR] and first[SYSTEM]
    # sysUpTime (.3.0) ticks between polls; everything else is identical
    for answer in answers:
        assert answer[IF_DESCR] == first[IF_DESCR]
        assert answer[SYSTEM].keys() == first[SYSTEM].keys()
    assert client._transport.dropped.unmatched == 0


def test_one_client_serves_successive_event_loops(snmpd: Snmpd) -> None:
    client = SnmpClient()
    for _ in range(3):
        assert run(client.get(snmpd.v2c, [NEGATIVE])) == {NEGATIVE: -42}
        assert run(client.get(snmpd.v3, [NEGATIVE])) == {NEGATIVE: -42}
    client.close()


def test_concurrent_v3_polls_discover_the_engine_once(snmpd: Snmpd) -> None:
    client = SnmpClient()
    discoveries = 0
    original = client._v3._discover

    async def counted(target: SnmpTarget) -> Any:
        nonlocal discoveries
        discoveries += 1
        return await original(target)

    client._v3._discover = counted  # type: ignore[method-assign]

    async def many() -> list[Any]:
        return await asyncio.gather(*(client.get(snmpd.v3, [NEGATIVE]) for _ in range(20)))

    assert run(many()) == [{NEGATIVE: -42}] * 20
    assert discoveries == 1


def test_max_rows_bounds_each_column_of_a_walk(snmpd: Snmpd) -> None:
    """An endless column stops at the bound without cutting the others short."""
    walked = run(SnmpClient().bulk_walk(snmpd.v2c, [SYSTEM, HR_SW_RUN_NAME], 3))
    full = run(SnmpClient().bulk_walk(snmpd.v2c, [SYSTEM, HR_SW_RUN_NAME]))
    assert len(walked[SYSTEM]) == len(walked[HR_SW_RUN_NAME]) == 3
    assert list(walked[SYSTEM]) == list(full[SYSTEM])[:3]  # the first rows, in order
