"""The client against the lab's pysnmp agent (agent/lab/snmp_agent.py) on loopback.

The agent and the client share one asyncio loop per test, as in the lab. The recording is the
truth: what the client reads over v2c and v3 (netmon's own path, and pysnmp as the
reference) must equal it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from agent.lab.device import Fault, LabCredentials, SimulatedDevice, parse_oid
from agent.lab.snmp_agent import start_snmp_agent
from collectors.profiles import get_profile
from collectors.snmp.client import SnmpClient, SnmpTarget, SnmpTimeout

pytestmark = pytest.mark.lab

CREDENTIALS = LabCredentials()
ADDRESS = "127.43.2.1"
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_HC_IN_OCTETS = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((ADDRESS, 0))
        return int(sock.getsockname()[1])


def _device(model: str = "S5500", vendor: str = "h3c") -> SimulatedDevice:
    return SimulatedDevice.from_model(
        name="client-test",
        vendor=vendor,
        model=model,
        kind=get_profile(vendor).models[model].kind,
        address=ADDRESS,
        snmp_port=_free_udp_port(),
        ssh_port=0,
    )


def _v2c(sim: SimulatedDevice, **options: Any) -> SnmpTarget:
    return SnmpTarget(sim.address, sim.snmp_port, community=CREDENTIALS.community, **options)


def _v3(sim: SimulatedDevice, **options: Any) -> SnmpTarget:
    return SnmpTarget(
        sim.address,
        sim.snmp_port,
        version="3",
        user=CREDENTIALS.v3_user,
        auth_key=CREDENTIALS.v3_auth_key,
        priv_key=CREDENTIALS.v3_priv_key,
        **options,
    )


def with_agent(test: Callable[[SimulatedDevice, SnmpClient], Awaitable[None]]) -> None:
    async def scenario() -> None:
        sim = _device()
        handle = await start_snmp_agent(sim, CREDENTIALS)
        client = SnmpClient()
        try:
            await test(sim, client)
        finally:
            client.close()
            closing = handle.close()
            if asyncio.iscoroutine(closing):
                await closing

    asyncio.run(scenario())


def _recorded(sim: SimulatedDevice, oid: tuple[int, ...]) -> Any:
    return sim.recording[oid].value


def test_get_and_walk_equal_the_recording_over_v2c_and_v3() -> None:
    async def test(sim: SimulatedDevice, client: SnmpClient) -> None:
        count = int(_recorded(sim, IF_NUMBER))
        for target in (_v2c(sim), _v3(sim)):
            values = await client.get(target, [SYS_OBJECT_ID, IF_NUMBER])
            expected_oid = _recorded(sim, SYS_OBJECT_ID)
            if isinstance(expected_oid, bytes):
                expected_oid = expected_oid.decode()
            assert values == {SYS_OBJECT_ID: str(expected_oid), IF_NUMBER: count}
            walked = await client.bulk_walk(target, [IF_DESCR, IF_HC_IN_OCTETS])
            assert len(walked[IF_DESCR]) == count
            assert walked[IF_DESCR][(1,)] == b"GigabitEthernet1/0/1"
            for index, name in walked[IF_DESCR].items():
                assert name == _recorded(sim, IF_DESCR + index)
            assert all(isinstance(v, int) and v >= 0 for v in walked[IF_HC_IN_OCTETS].values())

    with_agent(test)


def test_v2c_and_v3_and_pysnmp_read_the_same_table() -> None:
    async def test(sim: SimulatedDevice, client: SnmpClient) -> None:
        reference = SnmpClient(via_pysnmp=True)
        target = _v2c(sim, max_repetitions=10)
        ours = await client.bulk_walk(target, [IF_DESCR])
        assert ours == await reference.bulk_walk(target, [IF_DESCR])
        assert ours == await client.bulk_walk(_v3(sim, max_repetitions=10), [IF_DESCR])
        assert ours == await reference.bulk_walk(_v3(sim, max_repetitions=10), [IF_DESCR])
        # The fleet's v3 pair (SHA/AES) stays on netmon's own path: pysnmp was never used.
        assert not client._pysnmp._targets and reference._pysnmp._targets

    with_agent(test)


def test_missing_objects_are_none() -> None:
    async def test(sim: SimulatedDevice, client: SnmpClient) -> None:
        missing_object = (1, 3, 6, 1, 4, 1, 99999, 1, 0)
        missing_instance = parse_oid("1.3.6.1.2.1.1.1.7")
        values = await client.get(_v2c(sim), [missing_object, missing_instance, IF_NUMBER])
        assert values[missing_object] is None and values[missing_instance] is None
        assert values[IF_NUMBER] == int(_recorded(sim, IF_NUMBER))

    with_agent(test)


def test_wrong_community_times_out() -> None:
    async def test(sim: SimulatedDevice, client: SnmpClient) -> None:
        target = SnmpTarget(sim.address, sim.snmp_port, community="wrong", timeout=0.3, retries=0)
        with pytest.raises(SnmpTimeout):
            await client.get(target, [IF_NUMBER])

    with_agent(test)


@pytest.mark.parametrize("fault", [Fault.SNMP_TIMEOUT, Fault.DOWN])
def test_dropped_requests_time_out_then_recover(fault: Fault) -> None:
    async def test(sim: SimulatedDevice, client: SnmpClient) -> None:
        target = _v2c(sim, timeout=0.3, retries=1)
        sim.set_fault(fault)
        with pytest.raises(SnmpTimeout):
            await client.get(target, [IF_NUMBER])
        with pytest.raises(SnmpTimeout):
            await client.bulk_walk(target, [IF_DESCR])
        sim.clear_faults()
        assert (await client.get(target, [IF_NUMBER]))[IF_NUMBER] == int(_recorded(sim, IF_NUMBER))

    with_agent(test)


def test_cpu_high_fault_is_read() -> None:
    async def test(sim: SimulatedDevice, client: SnmpClient) -> None:
        cpu = sim.behaviour.metrics["cpu"]
        sim.set_fault(Fault.CPU_HIGH)
        assert (await client.get(_v2c(sim), [cpu]))[cpu] == 97

    with_agent(test)
