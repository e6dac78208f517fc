"""H3C's serial over SSH (issue 11): when the SNMP agent gives no entPhysicalSerialNum, the
health collector reads ``display device manuinfo`` from the lab's SSH server (real protocols on
loopback, nothing mocked on the wire) and the serial reaches the store as a device-serial
event, the same field the SNMP path fills."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from agent.lab.cli.spec import load_cli_spec
from agent.lab.device import TAG_OCTET_STRING, model_slug
from agent.lab.lab import Lab, LabThread
from agent.recorder import Recorder
from agent.store import open_store
from agent.store.models import Event
from agent.store.repository import sync_devices
from agent.store.schema import upgrade
from collectors.cli_health import read_cli_health
from collectors.health import HealthCollector

if TYPE_CHECKING:
    from agent.inventory import Device, Inventory

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
ENT_SERIAL = "1.3.6.1.2.1.47.1.1.1.1.11."
DEVICE = "h3c-s5500-01"


@pytest.mark.parametrize("model", ["S5500", "LS-5560-54C-EI"])
def test_the_cli_prints_the_serial_snmp_gives(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = next(d for d in lab_devices if d.model == model)
    sim = clean_lab.devices[device.name]
    recorded = [
        v.value.decode()  # type: ignore[union-attr]
        for oid, v in sorted(sim.recording.items())
        if ".".join(map(str, oid)).startswith(ENT_SERIAL) and v.tag == TAG_OCTET_STRING
    ]
    cli = read_cli_health(device, facts=True, environment=False, serial=True)
    assert cli.errors == {}
    assert cli.serial_number == recorded[0]


@pytest.fixture(scope="module")
def serialless_lab(
    inventory: Inventory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Lab, Device]]:
    """One S5500 whose SNMP agent has no entPhysicalSerialNum column (a real Comware 5 shape:
    the agent leaves it out), served from a capture folder."""
    folder = tmp_path_factory.mktemp("serialless")
    slug = model_slug("S5500")
    packaged = ROOT / "agent" / "lab" / "recordings" / f"{slug}.snmprec"
    kept = [
        line
        for line in packaged.read_text(encoding="utf-8").splitlines()
        if not line.startswith(ENT_SERIAL)
    ]
    (folder / f"{slug}.snmprec").write_text("\n".join(kept) + "\n", encoding="utf-8")
    device = next(d for d in inventory.devices if d.name == DEVICE)
    port = random.randint(20000, 39999)
    lab = Lab(
        [device],
        base_address=f"127.{random.randint(40, 250)}.1.1",
        snmp_port=port,
        ssh_port=port + 20000,
        recordings_dir=folder,
    )
    with LabThread(lab):
        yield lab, lab.lab_inventory_devices(inventory)[0]


def _store(path: Path, inventory: Inventory) -> str:
    url = f"sqlite:///{path / 'netmon.db'}"
    upgrade(url)
    with open_store(url).session() as session:
        sync_devices(session, inventory.devices)
    return url


def test_without_an_snmp_serial_the_cli_serial_reaches_the_store(
    serialless_lab: tuple[Lab, Device], inventory: Inventory, tmp_path: Path
) -> None:
    _, device = serialless_lab
    expected = str(load_cli_spec("h3c", "S5500").values["chassis_serial"])
    snmp_only = asyncio.run(HealthCollector(use_cli=False).collect(device))
    assert snmp_only.reachable and snmp_only.identity.serial_number is None

    collector = HealthCollector()
    snapshot = asyncio.run(collector.collect(device))
    assert snapshot.identity.serial_number == expected
    assert snapshot.identity.serial_source == "cli"
    assert snapshot.identity.software_version  # the same facts session read the version

    url = _store(tmp_path, inventory)
    Recorder(open_store(url)).save_health(snapshot, datetime.now(UTC))
    with open_store(url).session() as session:
        events = session.scalars(select(Event).where(Event.kind == "device-serial")).all()
        assert [(e.kind, dict(e.details)) for e in events] == [
            # The source is kept: serials are compared only within one source (issue 11).
            ("device-serial", {"serial": expected, "source": "cli"})
        ]

    # Later polls keep the serial from the facts read, without another SSH session.
    again = asyncio.run(collector.collect(device))
    assert again.identity.serial_number == expected
    assert again.ssh_rtt_seconds is None
