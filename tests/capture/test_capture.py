"""`netmon capture` against the lab: a recording the lab serves, a poll of it equal to the
poll of the original device, a paced walk, and CLI transcripts with every secret redacted.

Real protocols on loopback only: the lab's SNMP agents and SSH servers (the `lab` fixture).
"""

from __future__ import annotations

import asyncio
import random
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agent.capture import (
    IF_TABLE,
    SYSTEM_GROUP,
    capture_device,
    capture_subtrees,
    is_read_only,
    transcript_name,
)
from agent.lab.device import model_slug, parse_snmprec
from collectors.health import HealthCollector

if TYPE_CHECKING:
    from agent.inventory import Device, Inventory
    from agent.lab.lab import Lab
    from collectors.base import HealthSnapshot

# --- what is walked and sent ------------------------------------------------------------------


def test_the_walk_covers_the_profile_and_nests_nothing() -> None:
    subtrees = capture_subtrees("topsec", "NGFW4000", "firewall")
    assert SYSTEM_GROUP in subtrees and IF_TABLE in subtrees
    # The whole TOS scalar group, so objects of the other public layouts (.4.2, .4.3) come too.
    assert (1, 3, 6, 1, 4, 1, 14331, 5, 5, 1, 4) in subtrees
    for one in subtrees:
        assert not any(o != one and one[: len(o)] == o for o in subtrees), one


def test_only_display_and_show_commands_are_sent() -> None:
    assert is_read_only("display current-configuration")
    assert is_read_only("show running-config")
    assert is_read_only("show-running")  # Topsec TOS
    assert is_read_only("system license show")  # TOS puts the verb last
    assert not is_read_only("showtime")
    assert not is_read_only("system version")  # read-only on TOS, but not provably so
    assert not is_read_only("reboot")
    assert not is_read_only("")
    assert transcript_name("display cpu-usage") == "display-cpu-usage.txt"


def test_snmp_types_are_kept_in_snmprec() -> None:
    from pyasn1.type import univ
    from pysnmp.proto import rfc1902
    from pysnmp.proto.rfc1905 import EndOfMibView

    from agent.capture import _snmprec_value

    assert _snmprec_value(rfc1902.Integer32(-3)) == ("2", "-3")
    assert _snmprec_value(rfc1902.Counter32(7)) == ("65", "7")
    assert _snmprec_value(rfc1902.Gauge32(8)) == ("66", "8")
    assert _snmprec_value(rfc1902.TimeTicks(9)) == ("67", "9")
    assert _snmprec_value(rfc1902.Counter64(2**40)) == ("70", str(2**40))
    assert _snmprec_value(rfc1902.IpAddress("10.1.2.3")) == ("64", "10.1.2.3")
    assert _snmprec_value(rfc1902.OctetString(b"23%")) == ("4", "23%")
    assert _snmprec_value(rfc1902.OctetString(b"a|b")) == ("4x", "617c62")  # "|" splits fields
    assert _snmprec_value(rfc1902.OctetString(b"\x00\x0f")) == ("4x", "000f")
    assert _snmprec_value(univ.ObjectIdentifier("1.3.6.1.4.1.25506.1.1")) == (
        "6",
        "1.3.6.1.4.1.25506.1.1",
    )
    assert _snmprec_value(EndOfMibView()) is None


# --- against the lab --------------------------------------------------------------------------
def _device(lab_devices: list[Device], model: str) -> Device:
    return next(d for d in lab_devices if d.model == model)


def _poll(device: Device) -> HealthSnapshot:
    return asyncio.run(HealthCollector(use_cli=False).collect(device))


def _replay(inventory: Inventory, name: str, recordings: Path) -> tuple[Lab, Device]:
    from agent.lab.lab import Lab

    base = f"127.{random.randint(40, 250)}.{random.randint(1, 200)}.1"
    port = random.randint(20000, 39999)
    original = inventory.by_name(name)
    lab = Lab([original], base_address=base, snmp_port=port, ssh_port=port + 20000,
              recordings_dir=recordings)  # fmt: skip
    return lab, lab.lab_inventory_devices(inventory)[0]


def _assert_same_snapshot(original: HealthSnapshot, replayed: HealthSnapshot) -> None:
    # Sensor-less rows (sentinels) are "not supported" on both alike; nothing else unreadable.
    assert replayed.reachable and replayed.unreadable == original.unreadable
    assert original.failures() == {}
    assert replayed.identity.sys_object_id == original.identity.sys_object_id
    assert replayed.identity.sys_descr == original.identity.sys_descr
    assert replayed.identity.detected_model == original.identity.detected_model
    # The chassis serial too: a replayed capture is the same box, not a replaced one.
    assert replayed.identity.serial_number == original.identity.serial_number
    # The lab moves CPU, sessions and temperatures a little with time: same within that wobble.
    assert replayed.cpu_ratio == pytest.approx(original.cpu_ratio, abs=0.1)
    assert replayed.memory_ratio == pytest.approx(original.memory_ratio, abs=0.1)
    assert [s.name for s in replayed.temperatures] == [s.name for s in original.temperatures]
    assert [s.celsius for s in replayed.temperatures] == pytest.approx(
        [s.celsius for s in original.temperatures], abs=3
    )
    assert [(f.name, f.state) for f in replayed.fans] == [(f.name, f.state) for f in original.fans]
    assert [(p.name, p.state) for p in replayed.power_supplies] == [
        (p.name, p.state) for p in original.power_supplies
    ]
    assert [(i.name, i.oper_up, i.speed_bps) for i in replayed.interfaces] == [
        (i.name, i.oper_up, i.speed_bps) for i in original.interfaces
    ]


@pytest.mark.lab
@pytest.mark.parametrize("model", ["USG-FW-310-T-NF1600", "S5500", "S5700", "NGFW4000"])
def test_a_capture_replays_as_the_same_snapshot(
    model: str, clean_lab: Lab, lab_devices: list[Device], inventory: Inventory, tmp_path: Path
) -> None:
    from agent.lab.lab import LabThread

    device = _device(lab_devices, model)
    original = _poll(device)
    rate = 40.0
    manifest_path = capture_device(device, tmp_path, rate=rate, max_repetitions=10)

    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    slug = model_slug(model)
    recording = parse_snmprec((tmp_path / f"{slug}.snmprec").read_text(encoding="utf-8"))
    assert len(recording) == manifest["snmp"]["values"] > 50
    assert manifest["snmp"]["truncated"] == []
    # Paced: never faster than the rate asked for (slower is fine on a loaded machine); the
    # first request goes at once, each later one waits its interval.
    assert (manifest["snmp"]["requests"] - 1) / manifest["snmp"]["seconds"] <= rate * 1.02

    lab, twin = _replay(inventory, device.name, tmp_path)
    with LabThread(lab):
        assert lab.devices[device.name].recording == recording  # the lab serves the capture
        replayed = _poll(twin)
    _assert_same_snapshot(original, replayed)


@pytest.mark.lab
@pytest.mark.parametrize("model", ["USG-FW-310-T-NF1600", "S5500", "NGFW4000"])
def test_cli_transcripts_are_written_redacted(
    model: str, clean_lab: Lab, lab_devices: list[Device], tmp_path: Path
) -> None:
    device = _device(lab_devices, model)
    manifest_path = capture_device(device, tmp_path, snmp=False)
    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    transcripts = manifest["cli"]["transcripts"]
    assert transcripts and all(is_read_only(command) for command in transcripts)
    for command, relative in transcripts.items():
        text = (tmp_path / relative).read_text(encoding="utf-8")
        assert text.strip(), command
    config_command = next(c for c in transcripts if "config" in c or "running" in c)
    config = (tmp_path / transcripts[config_command]).read_text(encoding="utf-8")
    assert manifest["cli"]["secrets_redacted"] > 0
    assert "<secret:hmac:" in config
    assert "snmp" not in manifest  # --no-snmp wrote no recording
    assert not (tmp_path / f"{model_slug(model)}.snmprec").exists()
    if device.vendor == "topsec":
        assert "system version" in manifest["cli"]["skipped"]


@pytest.mark.lab
@pytest.mark.parametrize("model", ["USG-FW-310-T-NF1600", "S5500"])
def test_the_lab_answers_the_captured_cli_outputs(
    model: str, clean_lab: Lab, lab_devices: list[Device], inventory: Inventory, tmp_path: Path
) -> None:
    from agent.lab.lab import LabThread
    from collectors.cli import cli_profile, open_cli_for_device
    from collectors.cli_health import read_cli_health

    device = _device(lab_devices, model)
    original = read_cli_health(device, facts=True, environment=True)
    manifest_path = capture_device(device, tmp_path, rate=40.0)
    transcripts = tomllib.loads(manifest_path.read_text(encoding="utf-8"))["cli"]["transcripts"]
    version_command = cli_profile(device.vendor).commands["version"]
    captured = (tmp_path / transcripts[version_command]).read_text(encoding="utf-8")

    lab, twin = _replay(inventory, device.name, tmp_path)
    with LabThread(lab):
        assert lab.devices[device.name].transcripts  # the folder's CLI outputs are loaded
        connection = open_cli_for_device(twin)
        try:
            replayed_output = str(connection.send_command(version_command))  # type: ignore[attr-defined]
        finally:
            connection.disconnect()  # type: ignore[attr-defined]
        replayed = read_cli_health(twin, facts=True, environment=True)
    assert replayed_output.strip().splitlines() == captured.strip().splitlines()
    assert replayed.errors == original.errors == {}
    assert replayed.software_version == original.software_version
    assert replayed.model == original.model
    assert replayed.environment is not None and original.environment is not None
    assert replayed.environment.keys() == original.environment.keys()
