"""The lab's SNMP agent over real UDP on loopback, read by net-snmp and by our pysnmp client.

All 20 models are served at once on one asyncio loop in a background thread (as the lab does),
each on its own 127.42.0.x address and a free port; faults are switched on the SimulatedDevice
while the agents run.
"""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agent.lab.device import Fault, LabCredentials, SimulatedDevice, format_oid, parse_oid
from agent.lab.snmp_agent import start_snmp_agent
from collectors.profiles import load_profiles
from collectors.snmp.client import SnmpClient, SnmpTarget, SnmpTimeout
from tests.support import require_tool

pytestmark = pytest.mark.lab

CREDENTIALS = LabCredentials()
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_HC_IN_OCTETS_1 = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)
BASE_ADDRESS = "127.42.0."


def _free_udp_port(addresses: list[str]) -> int:
    """A port free on every address (the agents share one port, as in the lab)."""
    for _ in range(50):
        port = random.randint(20000, 60000)
        sockets = []
        try:
            for address in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind((address, port))
            return port
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free UDP port found")


class AgentLoop:
    """Runs SNMP agents on one asyncio loop in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def agents() -> Iterator[dict[str, SimulatedDevice]]:
    models = [
        (vendor, model, info.kind)
        for vendor, profile in sorted(load_profiles().items())
        for model, info in profile.models.items()
    ]
    addresses = [f"{BASE_ADDRESS}{n}" for n in range(1, len(models) + 1)]
    port = _free_udp_port(addresses)
    sims = {
        model: SimulatedDevice.from_model(
            name=f"lab-{n}",
            vendor=vendor,
            model=model,
            kind=kind,
            address=address,
            snmp_port=port,
            ssh_port=0,
        )
        for n, ((vendor, model, kind), address) in enumerate(zip(models, addresses, strict=True))
    }
    runner = AgentLoop()

    async def start_all() -> list[Any]:
        return [await start_snmp_agent(sim, CREDENTIALS) for sim in sims.values()]

    handles = runner.call(start_all())
    try:
        yield sims
    finally:

        async def stop_all() -> None:
            for handle in handles:
                await handle.close()

        runner.call(stop_all())
        runner.stop()


@pytest.fixture
def s5500(agents: dict[str, SimulatedDevice]) -> Iterator[SimulatedDevice]:
    sim = agents["S5500"]
    sim.clear_faults()
    yield sim
    sim.clear_faults()


def _endpoint(sim: SimulatedDevice) -> str:
    return f"{sim.address}:{sim.snmp_port}"


def _v2c(sim: SimulatedDevice, **options: Any) -> SnmpTarget:
    return SnmpTarget(
        sim.address, sim.snmp_port, version="2c", community=CREDENTIALS.community, **options
    )


def _v3(sim: SimulatedDevice) -> SnmpTarget:
    return SnmpTarget(
        sim.address,
        sim.snmp_port,
        version="3",
        user=CREDENTIALS.v3_user,
        auth_protocol="SHA",
        auth_key=CREDENTIALS.v3_auth_key,
        priv_protocol="AES",
        priv_key=CREDENTIALS.v3_priv_key,
    )


def _snmp(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    require_tool(tool, "snmp")
    return subprocess.run([tool, "-On", *args], capture_output=True, text=True, timeout=30)


def _get(target: SnmpTarget, *oids: tuple[int, ...]) -> dict[tuple[int, ...], Any]:
    return asyncio.run(SnmpClient().get(target, list(oids)))


def _recorded_text(sim: SimulatedDevice, oid: str) -> str:
    value = sim.recording[parse_oid(oid)].value
    return value.decode() if isinstance(value, bytes) else str(value)


# --- net-snmp ------------------------------------------------------------------------------
def test_snmpget_v2c_reads_system_group(s5500: SimulatedDevice) -> None:
    result = _snmp(
        "snmpget",
        "-v2c",
        "-c",
        CREDENTIALS.community,
        "-Oqv",
        _endpoint(s5500),
        SYS_OBJECT_ID,
        SYS_DESCR,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "." + _recorded_text(s5500, SYS_OBJECT_ID)
    assert "S5500-28C-EI" in result.stdout and "Hangzhou H3C" in result.stdout


def test_snmpget_v3_auth_priv(s5500: SimulatedDevice) -> None:
    result = _snmp(
        "snmpget",
        "-v3",
        "-l",
        "authPriv",
        "-u",
        CREDENTIALS.v3_user,
        "-a",
        "SHA",
        "-A",
        CREDENTIALS.v3_auth_key,
        "-x",
        "AES",
        "-X",
        CREDENTIALS.v3_priv_key,
        "-Oqv",
        _endpoint(s5500),
        SYS_OBJECT_ID,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "." + _recorded_text(s5500, SYS_OBJECT_ID)


def test_snmpget_v3_wrong_key_is_refused(s5500: SimulatedDevice) -> None:
    result = _snmp(
        "snmpget",
        "-v3",
        "-l",
        "authPriv",
        "-u",
        CREDENTIALS.v3_user,
        "-t",
        "1",
        "-r",
        "0",
        "-a",
        "SHA",
        "-A",
        "not-the-key-1",
        "-x",
        "AES",
        "-X",
        CREDENTIALS.v3_priv_key,
        _endpoint(s5500),
        SYS_OBJECT_ID,
    )
    assert result.returncode != 0
    assert "Authentication failure" in result.stderr or "Timeout" in result.stderr


def test_wrong_community_gets_no_answer(s5500: SimulatedDevice) -> None:
    result = _snmp(
        "snmpget",
        "-v2c",
        "-c",
        "not-the-community",
        "-t",
        "1",
        "-r",
        "0",
        _endpoint(s5500),
        SYS_OBJECT_ID,
    )
    assert result.returncode != 0
    assert "Timeout" in result.stderr


def test_snmpbulkwalk_returns_every_interface(s5500: SimulatedDevice) -> None:
    result = _snmp(
        "snmpbulkwalk",
        "-v2c",
        "-c",
        CREDENTIALS.community,
        "-Cr50",
        _endpoint(s5500),
        format_oid(IF_DESCR),
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(rows) == int(s5500.recording[IF_NUMBER].value)
    assert "GigabitEthernet1/0/1" in rows[0]


def test_unknown_oid_is_no_such_object(s5500: SimulatedDevice) -> None:
    result = _snmp(
        "snmpget",
        "-v2c",
        "-c",
        CREDENTIALS.community,
        _endpoint(s5500),
        "1.3.6.1.4.1.99999.1.0",
        "1.3.6.1.2.1.1.1.7",
    )
    assert result.returncode == 0, result.stderr
    assert "No Such Object" in result.stdout
    assert "No Such Instance" in result.stdout  # sysDescr exists, instance .7 does not


# --- our pysnmp client -----------------------------------------------------------------------
def test_client_gets_and_walks_over_v2c_and_v3(s5500: SimulatedDevice) -> None:
    count = int(s5500.recording[IF_NUMBER].value)
    for target in (_v2c(s5500), _v3(s5500)):
        values = _get(target, parse_oid(SYS_OBJECT_ID), IF_NUMBER)
        assert values[parse_oid(SYS_OBJECT_ID)] == _recorded_text(s5500, SYS_OBJECT_ID)
        assert values[IF_NUMBER] == count
        walked = asyncio.run(SnmpClient().bulk_walk(target, [IF_DESCR]))
        assert len(walked[IF_DESCR]) == count
        assert walked[IF_DESCR][(1,)] == b"GigabitEthernet1/0/1"


def test_client_sees_missing_object_as_none(s5500: SimulatedDevice) -> None:
    missing = (1, 3, 6, 1, 4, 1, 99999, 1, 0)
    assert _get(_v2c(s5500), missing) == {missing: None}


def test_counters_increase_between_polls(s5500: SimulatedDevice) -> None:
    first = _get(_v2c(s5500), IF_HC_IN_OCTETS_1)[IF_HC_IN_OCTETS_1]
    time.sleep(0.2)  # the counter grows with wall-clock time (~10**5 octets/s here)
    second = _get(_v2c(s5500), IF_HC_IN_OCTETS_1)[IF_HC_IN_OCTETS_1]
    assert isinstance(first, int) and isinstance(second, int)
    assert second > first


def test_cpu_high_reads_97(s5500: SimulatedDevice) -> None:
    cpu = s5500.behaviour.metrics["cpu"]
    assert _get(_v2c(s5500), cpu)[cpu] < 90
    s5500.set_fault(Fault.CPU_HIGH)
    assert _get(_v2c(s5500), cpu)[cpu] == 97
    s5500.clear_faults()
    assert _get(_v2c(s5500), cpu)[cpu] < 90


def test_fan_fail_changes_the_first_fans_state(s5500: SimulatedDevice) -> None:
    fan = s5500.behaviour.metrics["fan1_state"]
    assert _get(_v2c(s5500), fan)[fan] == 2  # hh3cEntityExtErrorStatus normal(2)
    s5500.set_fault(Fault.FAN_FAIL)
    assert _get(_v2c(s5500), fan)[fan] == 41  # fanError(41)


def test_psu_fail_changes_the_second_psus_state(agents: dict[str, SimulatedDevice]) -> None:
    sim = agents["S5700"]
    psu = sim.behaviour.metrics["psu2_state"]
    try:
        assert _get(_v2c(sim), psu)[psu] == 1  # hwEntityPwrState supply(1)
        sim.set_fault(Fault.PSU_FAIL)
        assert _get(_v2c(sim), psu)[psu] == 2  # notSupply(2)
    finally:
        sim.clear_faults()


@pytest.mark.parametrize("fault", [Fault.DOWN, Fault.SNMP_TIMEOUT])
def test_down_and_snmp_timeout_drop_requests(s5500: SimulatedDevice, fault: Fault) -> None:
    target = _v2c(s5500, timeout=0.5, retries=0)
    s5500.set_fault(fault)
    with pytest.raises(SnmpTimeout):
        _get(target, IF_NUMBER)
    s5500.clear_faults()
    assert _get(target, IF_NUMBER)[IF_NUMBER] == int(s5500.recording[IF_NUMBER].value)


def test_slow_delays_the_answer(s5500: SimulatedDevice) -> None:
    target = _v2c(s5500, timeout=5.0, retries=0)
    s5500.set_fault(Fault.SLOW)
    started = time.monotonic()
    assert _get(target, IF_NUMBER)[IF_NUMBER] == int(s5500.recording[IF_NUMBER].value)
    assert time.monotonic() - started >= s5500.answer_delay() - 0.1


def test_all_models_answer_at_once(agents: dict[str, SimulatedDevice]) -> None:
    client = SnmpClient()
    sims = list(agents.values())

    async def poll_all() -> list[dict[tuple[int, ...], Any]]:
        return await asyncio.gather(
            *(client.get(_v2c(sim), [parse_oid(SYS_OBJECT_ID)]) for sim in sims)
        )

    answers = asyncio.run(poll_all())
    assert len(answers) == 20
    for sim, answer in zip(sims, answers, strict=True):
        assert answer[parse_oid(SYS_OBJECT_ID)] == _recorded_text(sim, SYS_OBJECT_ID), sim.model


def test_closed_agent_frees_its_port(s5500: SimulatedDevice) -> None:
    address = "127.42.1.1"
    port = _free_udp_port([address])
    sim = SimulatedDevice.from_model(
        name="reuse",
        vendor=s5500.vendor,
        model=s5500.model,
        kind=s5500.kind,
        address=address,
        snmp_port=port,
        ssh_port=0,
    )

    async def start_stop_twice() -> None:
        for _ in range(2):
            handle = await start_snmp_agent(sim, CREDENTIALS)
            await handle.close()

    asyncio.run(start_stop_twice())
