"""Chassis serial numbers (issue 11): read for H3C and Huawei from entPhysicalSerialNum, and a
changed serial on the same device is a ``device-replaced`` event, also across restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from agent.inventory import load_inventory
from agent.lab.device import TAG_OCTET_STRING
from agent.recorder import Recorder
from agent.store import open_store
from agent.store.models import Event
from agent.store.repository import add_event, sync_devices
from agent.store.schema import upgrade
from collectors.base import HealthSnapshot, Identity
from collectors.health import HealthCollector
from collectors.snmp.plan import plan_for

if TYPE_CHECKING:
    from agent.inventory import Device
    from agent.lab.lab import Lab

ROOT = Path(__file__).resolve().parents[1]
ENT_SERIAL = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11)


@pytest.mark.lab
@pytest.mark.parametrize("model", ["S5500", "S3600", "LS-5560-54C-EI", "S5700"])
def test_switch_serials_are_read_from_the_chassis_row(
    model: str, clean_lab: Lab, lab_devices: list[Device]
) -> None:
    device = next(d for d in lab_devices if d.model == model)
    sim = clean_lab.devices[device.name]
    recorded = [v for oid, v in sim.recording.items() if oid[: len(ENT_SERIAL)] == ENT_SERIAL]
    assert len(recorded) == 1 and recorded[0].tag == TAG_OCTET_STRING
    snapshot = asyncio.run(HealthCollector(use_cli=False).collect(device))
    assert snapshot.identity.serial_number == recorded[0].value.decode()  # type: ignore[union-attr]
    assert snapshot.identity.serial_source == "snmp"


def test_appliances_without_a_serial_rule_have_none() -> None:
    assert plan_for("topsec", "NGFW4000", "firewall").serial is None
    assert plan_for("h3c", "S5500", "switch").serial is not None


def _store(path: Path) -> str:
    return _store_at(f"sqlite:///{path / 'netmon.db'}")


def _store_at(url: str) -> str:
    upgrade(url)
    store = open_store(url)
    try:
        with store.session() as session:
            sync_devices(session, load_inventory(ROOT / "inventory.toml").devices)
    finally:
        store.close()
    return url


def _snapshot(serial: str | None, source: str | None = None) -> HealthSnapshot:
    return HealthSnapshot(
        device="h3c-s5500-01",
        collected_at=datetime.now(UTC),
        reachable=True,
        identity=Identity(
            sys_object_id="1.3.6.1.4.1.25506.1.1", serial_number=serial, serial_source=source
        ),
    )


def _events(url: str) -> list[tuple[str, str, dict]]:
    with open_store(url).session() as session:
        rows = session.scalars(
            select(Event).where(Event.kind.in_(("device-serial", "device-replaced")))
            .order_by(Event.id)
        )  # fmt: skip
        return [(e.kind, e.severity, dict(e.details)) for e in rows]


def test_a_new_serial_on_the_same_device_is_a_replacement_event(tmp_path: Path) -> None:
    url = _store(tmp_path)
    inventory = load_inventory(ROOT / "inventory.toml")
    assert any(d.name == "h3c-s5500-01" for d in inventory.devices)
    recorder = Recorder(open_store(url))
    now = datetime.now(UTC)
    recorder.save_health(_snapshot("210235A0AAAA", "snmp"), now)
    recorder.save_health(_snapshot("210235A0AAAA", "snmp"), now)  # same box: nothing new
    recorder.save_health(_snapshot(None), now)  # a poll without the column: nothing
    assert _events(url) == [("device-serial", "info", {"serial": "210235A0AAAA", "source": "snmp"})]

    recorder.save_health(_snapshot("210235A0BBBB", "snmp"), now)
    assert _events(url)[-1] == (
        "device-replaced",
        "warning",
        {"serial": "210235A0BBBB", "source": "snmp", "previous_serial": "210235A0AAAA"},
    )

    # After a restart the last serial is read back from the store.
    restarted = Recorder(open_store(url))
    restarted.save_health(_snapshot("210235A0BBBB", "snmp"), now)
    assert len(_events(url)) == 2
    restarted.save_health(_snapshot("210235A0CCCC", "snmp"), now)
    assert _events(url)[-1][2] == {
        "serial": "210235A0CCCC",
        "source": "snmp",
        "previous_serial": "210235A0BBBB",
    }


def test_a_serial_from_another_source_is_not_a_replaced_box(tmp_path: Path) -> None:
    """Issue 11: whether Comware's entPhysicalSerialNum and `display device manuinfo` print the
    same string is unverified (docs/sources/snmp-h3c-huawei.md [comware-serial-sources]). SNMP
    going silent and the CLI standing in with a differently written serial is not a replaced
    box; a new serial from the same source still is, also after a restart."""
    url = _store(tmp_path)
    recorder = Recorder(open_store(url))
    now = datetime.now(UTC)
    recorder.save_health(_snapshot("210235A0AAAA", "snmp"), now)
    recorder.save_health(_snapshot("SN-AAAA-CHASSIS", "cli"), now)  # only the source changed
    recorder.save_health(_snapshot("210235A0AAAA", "snmp"), now)  # and back
    recorder.save_health(_snapshot("SN-AAAA-CHASSIS", "cli"), now)
    assert _events(url) == [
        ("device-serial", "info", {"serial": "210235A0AAAA", "source": "snmp"}),
        ("device-serial", "info", {"serial": "SN-AAAA-CHASSIS", "source": "cli"}),
    ]

    restarted = Recorder(open_store(url))
    restarted.save_health(_snapshot("210235A0AAAA", "snmp"), now)
    assert len(_events(url)) == 2
    restarted.save_health(_snapshot("210235A0BBBB", "snmp"), now)  # a new box, seen by SNMP
    assert _events(url)[-1] == (
        "device-replaced",
        "warning",
        {"serial": "210235A0BBBB", "source": "snmp", "previous_serial": "210235A0AAAA"},
    )
    restarted.save_health(_snapshot("SN-BBBB-CHASSIS", "cli"), now)  # and by the CLI
    assert _events(url)[-1][2] == {
        "serial": "SN-BBBB-CHASSIS",
        "source": "cli",
        "previous_serial": "SN-AAAA-CHASSIS",
    }
    assert len(_events(url)) == 4


@contextmanager
def _recorder(url: str) -> Iterator[Recorder]:
    """A fresh Recorder (as after a daemon restart) on ``url``, its store closed afterwards."""
    store = open_store(url)
    try:
        yield Recorder(store)
    finally:
        store.close()


def _legacy_serial_event(url: str, serial: str) -> None:
    """A device-serial event as netmon wrote it before serial sources were kept: no source."""
    with _recorder(url) as recorder, recorder.store.session() as session:
        add_event(
            session,
            "device-serial",
            "info",
            f"h3c-s5500-01: serial number {serial}",
            device="h3c-s5500-01",
            details={"serial": serial},
        )


def _kinds(url: str) -> list[str]:
    return [kind for kind, _, _ in _events(url)]


def test_a_legacy_serial_without_a_source_is_never_the_basis_of_a_replacement(
    db_url: str,
) -> None:
    """After the upgrade the first serial from the CLI (or SNMP) meets a stored serial without
    a source that may have come from the other one: it is a baseline, not a replaced box. Once
    a source has its own baseline, a new serial from it is a replacement again."""
    url = _store_at(db_url)
    _legacy_serial_event(url, "210235A0AAAA")  # written by SNMP, but the event cannot say so
    now = datetime.now(UTC)
    with _recorder(url) as recorder:
        recorder.save_health(_snapshot("SN-AAAA-CHASSIS", "cli"), now)
        recorder.save_health(_snapshot("210235A0AAAA", "snmp"), now)
    assert _events(url) == [
        ("device-serial", "info", {"serial": "210235A0AAAA"}),
        ("device-serial", "info", {"serial": "SN-AAAA-CHASSIS", "source": "cli"}),
        ("device-serial", "info", {"serial": "210235A0AAAA", "source": "snmp"}),
    ]
    with _recorder(url) as restarted:
        restarted.save_health(_snapshot("210235A0AAAA", "snmp"), now)
        restarted.save_health(_snapshot("SN-AAAA-CHASSIS", "cli"), now)
        assert len(_events(url)) == 3
        restarted.save_health(_snapshot("210235A0BBBB", "snmp"), now)
    assert _events(url)[-1] == (
        "device-replaced",
        "warning",
        {"serial": "210235A0BBBB", "source": "snmp", "previous_serial": "210235A0AAAA"},
    )


def test_the_first_sourced_serial_after_the_upgrade_is_a_baseline_in_either_order(
    db_url: str,
) -> None:
    """SNMP first this time: a legacy serial written by the CLI and a sourced SNMP serial that
    differs from it are no replacement either."""
    url = _store_at(db_url)
    _legacy_serial_event(url, "SN-AAAA-CHASSIS")
    with _recorder(url) as recorder:
        recorder.save_health(_snapshot("210235A0AAAA", "snmp"), datetime.now(UTC))
    assert _events(url)[-1] == (
        "device-serial",
        "info",
        {"serial": "210235A0AAAA", "source": "snmp"},
    )
    assert "device-replaced" not in _kinds(url)


def test_a_serial_without_a_source_is_never_called_a_replacement(db_url: str) -> None:
    """A sample spooled before the upgrade and replayed after it has no source: it is neither
    compared with a sourced serial nor with a legacy one (either may be the other source's).
    A serial already known adds nothing; an unknown one is kept as a plain event."""
    url = _store_at(db_url)
    _legacy_serial_event(url, "210235A0AAAA")
    now = datetime.now(UTC)
    with _recorder(url) as recorder:
        recorder.save_health(_snapshot("SN-AAAA-CHASSIS", "cli"), now)
        recorder.save_health(_snapshot("210235A0AAAA"), now)  # known (legacy): nothing
    with _recorder(url) as recorder:
        recorder.save_health(_snapshot("SN-AAAA-CHASSIS"), now)  # known (cli): nothing
        assert len(_events(url)) == 2
        recorder.save_health(_snapshot("210235A0ZZZZ"), now)  # unknown: kept, not a replacement
    assert _events(url)[-1] == ("device-serial", "info", {"serial": "210235A0ZZZZ"})
    # And it is no basis for the sourced serials that follow.
    with _recorder(url) as recorder:
        recorder.save_health(_snapshot("SN-AAAA-CHASSIS", "cli"), now)
    assert _kinds(url) == ["device-serial"] * 3


def test_the_serial_source_survives_the_write_queue_spool(tmp_path: Path) -> None:
    """A sample spooled to disk (the daemon's write-behind queue) keeps its serial's source; an
    entry spooled before sources were kept decodes without one (never called a replacement)."""
    import json

    from agent.recorder import HealthCodec

    recorder = Recorder(open_store(_store(tmp_path)))
    item = recorder.prepare(_snapshot("210235A0AAAA", "cli"), datetime.now(UTC))
    assert (item.serial, item.serial_source) == ("210235A0AAAA", "cli")
    encoded = json.loads(json.dumps(HealthCodec().encode(item)))
    assert HealthCodec().decode(encoded) == item
    encoded.pop("serial_source")
    assert HealthCodec().decode(encoded).serial_source is None
