"""What a real agent can do wrong, and what the health snapshot says about it.

Each case runs a real SNMP exchange on loopback: the lab's agent serving an edited copy of a
model's recording (an object missing, a table empty, a value of the wrong type, a column cut
short), or a scripted agent that answers GET but ignores GETBULK. The snapshot must name what
could not be read and keep everything else.
"""

from __future__ import annotations

import asyncio
import random
from importlib import resources
from pathlib import Path
from typing import Any

from pyasn1.codec.ber import decoder as ber_decoder
from pyasn1.codec.ber import encoder as ber_encoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v2c

from agent.lab.device import LabCredentials, SimulatedDevice, model_slug
from agent.lab.snmp_agent import start_snmp_agent
from collectors.base import HealthSnapshot
from collectors.counters import CounterTracker
from collectors.snmp.client import SnmpClient, SnmpTarget
from collectors.snmp.health import SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SnmpHealthReader
from collectors.snmp.plan import plan_for

CREDENTIALS = LabCredentials()
H3C_CPU = "1.3.6.1.4.1.25506.2.6.1.1.1.1.6."
H3C_ERROR_STATUS = "1.3.6.1.4.1.25506.2.6.1.1.1.1.19."
H3C_MEMORY = "1.3.6.1.4.1.25506.2.6.1.1.1.1.8."
H3C_TEMPERATURE = "1.3.6.1.4.1.25506.2.6.1.1.1.1.12."
H3C_DEVM_FAN = "1.3.6.1.4.1.25506.8.35.9.1.1.1.2."  # hh3cDevMFanStatus, the fans' fallback
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6."
TOPSEC_CPU = "1.3.6.1.4.1.14331.5.5.1.4.5.0"  # TOS CPU [fygroup-topsec-firewall]


def edited_recording(
    model: str, tmp_path: Path, drop: tuple[str, ...], replace: dict[str, str]
) -> Path:
    """A copy of the model's recording without lines starting with ``drop`` and with
    ``replace`` (line prefix -> new line) applied."""
    text = resources.files("agent.lab").joinpath(f"recordings/{model_slug(model)}.snmprec")
    lines = []
    for line in text.read_text(encoding="utf-8").splitlines():
        if line.startswith(drop):
            continue
        for prefix, new in replace.items():
            if line.startswith(prefix):
                line = new
        lines.append(line)
    (tmp_path / f"{model_slug(model)}.snmprec").write_text("\n".join(lines) + "\n")
    return tmp_path


def poll(vendor: str, model: str, kind: str, recordings: Path) -> HealthSnapshot:
    async def run() -> HealthSnapshot:
        sim = SimulatedDevice.from_model(
            name="edge-1",
            vendor=vendor,
            model=model,
            kind=kind,
            address="127.44.0.1",
            snmp_port=random.randint(20000, 60000),
            ssh_port=0,
            recordings_dir=recordings,
        )
        handle = await start_snmp_agent(sim, CREDENTIALS)
        try:
            target = SnmpTarget(sim.address, sim.snmp_port, community=CREDENTIALS.community)
            reader = SnmpHealthReader(SnmpClient(), CounterTracker())
            return await reader.read(sim.name, vendor, model, target, plan_for(vendor, model, kind))
        finally:
            await handle.close()

    return asyncio.run(run())


def test_a_missing_scalar_is_named_and_the_rest_kept(tmp_path: Path) -> None:
    recordings = edited_recording("NGFW4000", tmp_path, drop=(TOPSEC_CPU,), replace={})
    snapshot = poll("topsec", "NGFW4000", "firewall", recordings)
    assert snapshot.reachable
    assert snapshot.unreadable == {"cpu": "noSuchObject"}
    assert snapshot.cpu_ratio is None
    assert snapshot.memory_ratio is not None and snapshot.sessions is not None


def test_empty_table_wrong_type_and_cut_column(tmp_path: Path) -> None:
    recordings = edited_recording(
        "S5500",
        tmp_path,
        # Fans: their status rows gone in both sources (an empty table); ifHCInOctets only for
        # ports 1-9.
        drop=(
            f"{H3C_ERROR_STATUS}3|",
            f"{H3C_ERROR_STATUS}4|",
            H3C_DEVM_FAN,
            *(f"{IF_HC_IN_OCTETS}{i}|" for i in range(10, 31)),
        ),
        # The board's CPU as text: a value of the wrong type.
        replace={f"{H3C_CPU}2|": f"{H3C_CPU}2|4|high"},
    )
    snapshot = poll("h3c", "S5500", "switch", recordings)
    assert snapshot.reachable
    assert snapshot.unreadable["fans"] == "no rows"
    assert snapshot.unreadable["cpu"].startswith("not a number")
    # Besides the per-row "no sensor" temperatures of the recording's virtue Boards.
    assert {key for key in snapshot.unreadable if "[" not in key} == {"fans", "cpu"}
    assert snapshot.fans == [] and snapshot.cpu_ratio is None
    # The cut column falls back to the 32-bit counters for the rows it lacks.
    assert len(snapshot.interfaces) == 30
    assert all(port.in_octets is not None for port in snapshot.interfaces)
    assert snapshot.memory_ratio is not None and len(snapshot.power_supplies) == 2


class GetOnlyAgent(asyncio.DatagramProtocol):
    """An agent that answers GET and silently ignores GETNEXT and GETBULK (as some old,
    v1-minded agents do)."""

    def __init__(self, values: dict[tuple[int, ...], Any]) -> None:
        self.values = values
        self.transport: asyncio.DatagramTransport | None = None
        self.ignored = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message, _ = ber_decoder.decode(data, asn1Spec=v2c.Message())
        request = v2c.apiMessage.get_pdu(message)
        if not request.isSameTypeWith(v2c.GetRequestPDU()):
            self.ignored += 1
            return
        response = v2c.apiPDU.get_response(request)
        varbinds = []
        for name, _ in v2c.apiPDU.get_varbinds(request):
            value = self.values.get(tuple(name))
            varbinds.append((name, value if value is not None else v2c.NoSuchObject()))
        v2c.apiPDU.set_varbinds(response, varbinds)
        v2c.apiMessage.set_pdu(message, response)
        assert self.transport is not None
        self.transport.sendto(bytes(ber_encoder.encode(message)), addr)


def test_an_agent_that_ignores_getbulk_keeps_what_get_gave() -> None:
    async def run() -> tuple[HealthSnapshot, int]:
        agent = GetOnlyAgent(
            {
                SYS_DESCR: rfc1902.OctetString(b"Topsec NGFW4000 TOS 3.3"),
                SYS_OBJECT_ID: rfc1902.ObjectName("1.3.6.1.4.1.14331.1.4"),
                SYS_UPTIME: rfc1902.TimeTicks(123_400),
                tuple(int(p) for p in TOPSEC_CPU.split(".")): rfc1902.Integer32(42),
            }
        )
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: agent, local_addr=("127.44.0.2", 0)
        )
        try:
            port = transport.get_extra_info("sockname")[1]
            target = SnmpTarget("127.44.0.2", port, community="x", timeout=0.4, retries=0)
            reader = SnmpHealthReader(SnmpClient(), CounterTracker())
            plan = plan_for("topsec", "NGFW4000", "firewall")
            snapshot = await reader.read("old-fw", "topsec", "NGFW4000", target, plan)
            return snapshot, agent.ignored
        finally:
            transport.close()

    snapshot, ignored = asyncio.run(run())
    assert ignored >= 2  # the interface walk and the table walk were both tried
    assert snapshot.reachable
    assert snapshot.cpu_ratio == 0.42
    assert snapshot.uptime_seconds == 1234.0
    assert snapshot.identity.detected_model == "NGFW4000"
    assert snapshot.unreadable["interfaces"].startswith("walk failed")
    assert snapshot.unreadable["tables"].startswith("walk failed")
    assert snapshot.interfaces == [] and snapshot.fans == []


def test_comware_fans_without_entity_ext_rows_come_from_the_vendor_fan_table(
    tmp_path: Path,
) -> None:
    # Real Comware agents often leave hh3cEntityExtErrorStatus out on the fan rows (issue 11):
    # the profile's fallback, hh3cdevMFanStatusTable, then gives the fans.
    recordings = edited_recording(
        "S5500",
        tmp_path,
        drop=(f"{H3C_ERROR_STATUS}3|", f"{H3C_ERROR_STATUS}4|"),
        replace={f"{H3C_DEVM_FAN}2|": f"{H3C_DEVM_FAN}2|2|2"},  # fan 2 deactive(2)
    )
    snapshot = poll("h3c", "S5500", "switch", recordings)
    assert [(f.name, f.state, f.raw) for f in snapshot.fans] == [
        ("fan 1", "ok", "1"),
        ("fan 2", "failed", "2"),
    ]
    assert "fans" not in snapshot.unreadable
    # The power supplies still come from their primary source, the entity-ext rows.
    assert [p.name for p in snapshot.power_supplies] == ["Power Supply 1", "Power Supply 2"]


def test_garbage_values_are_refused_one_by_one_and_the_rest_kept(tmp_path: Path) -> None:
    # Values no agent may send for these objects (issue 13 item 1 / issue 11): a negative
    # error counter (sent as Integer32), a memory percentage of 250, a board temperature of
    # 400 degC. Each is named or left out; the other values of the snapshot stay. (The lab
    # always serves sysUpTime as moving TimeTicks, so a garbage uptime is not played here.)
    recordings = edited_recording(
        "S5500",
        tmp_path,
        drop=(),
        replace={
            "1.3.6.1.2.1.2.2.1.14.1|": "1.3.6.1.2.1.2.2.1.14.1|2|-3",
            f"{H3C_MEMORY}2|": f"{H3C_MEMORY}2|2|250",
            f"{H3C_TEMPERATURE}2|": f"{H3C_TEMPERATURE}2|2|400",
        },
    )
    snapshot = poll("h3c", "S5500", "switch", recordings)
    assert snapshot.unreadable["memory"] == "out of range (250 not in 0..100) (row 2)"
    assert snapshot.memory_ratio is None
    assert snapshot.unreadable["temperature[2]"] == "out of range (400 not in -40..150)"
    # The virtue Boards' own readings are kept, their equal names made unique.
    assert [s.name for s in snapshot.temperatures] == ["virtue Board (12)", "virtue Board (13)"]
    port_1 = snapshot.interfaces[0]
    assert port_1.index == 1 and port_1.in_errors is None and port_1.out_errors is not None
    assert snapshot.cpu_ratio is not None and len(snapshot.fans) == 2


def test_free_memory_above_total_is_refused(tmp_path: Path) -> None:
    # memAvailReal above memTotalReal would make a negative usage ratio: an agent error.
    recordings = edited_recording(
        "TD3000-FS1200",
        tmp_path,
        drop=(),
        replace={"1.3.6.1.4.1.2021.4.6.0|": "1.3.6.1.4.1.2021.4.6.0|2|99999999"},
    )
    snapshot = poll("leadsec", "TD3000-FS1200", "ids", recordings)
    assert snapshot.memory_ratio is None
    # (The lab wobbles the free value a little around the recorded one.)
    assert snapshot.unreadable["memory"].startswith("out of range (free ")
    assert snapshot.unreadable["memory"].endswith(" above total 8388608)")
    assert snapshot.cpu_ratio is not None
