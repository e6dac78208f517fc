"""ifAdminStatus and ifAlias are read over SNMP from the lab (issue 12 item 4): the NGFW4000
recording describes ifIndex 1 as "uplink" and leaves the other descriptions empty."""

from __future__ import annotations

import asyncio

from agent.inventory import Device
from agent.lab.lab import Lab
from collectors.health import HealthCollector


def test_the_interface_plan_reads_admin_status_and_description(
    clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = next(d for d in lab_devices if d.model == "NGFW4000")
    snapshot = asyncio.run(HealthCollector(use_cli=False).collect(device))
    ports = {port.index: port for port in snapshot.interfaces}
    assert ports[1].alias == "uplink"
    assert all(port.alias == "" for index, port in ports.items() if index != 1)
    assert all(port.admin_up is True for port in ports.values())
