"""Malformed and partial output, served over real SSH by lab twins whose display is replaced
with crafted text: each problem is a clear error naming the device, and nothing stored
before is erased or overwritten by a guess."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from signature_support import record

from agent.inventory import Device, load_inventory
from agent.lab.lab import Lab, LabThread
from agent.lab.ssh_server import SshServerHandle
from agent.store import Store
from agent.store import repository as repo
from collectors.signatures import collect_signatures

SHIPPED = load_inventory(Path(__file__).resolve().parents[2] / "inventory.toml")
NAMES = ("leadsec-a2350-01", "venus-1008dp-01", "nsfocus-sas-gl2100-01")


class CraftedLab:
    """A small lab of its own whose devices can print crafted text for one display."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.devices = {d.name: d for d in lab.lab_inventory_devices(SHIPPED)}
        self.handles = {h.sim.name: h for h in lab._handles if isinstance(h, SshServerHandle)}
        self.originals = {name: h.spec for name, h in self.handles.items()}

    def craft(self, name: str, output: str, text: str) -> None:
        handle = self.handles[name]
        assert output in handle.spec.outputs
        outputs = {**handle.spec.outputs, output: text}
        handle.spec = dataclasses.replace(handle.spec, outputs=outputs)

    def restore(self) -> None:
        for name, spec in self.originals.items():
            self.handles[name].spec = spec


@pytest.fixture(scope="module")
def crafted_lab() -> Iterator[CraftedLab]:
    # Another /16 than the shared lab's (127.40-250.x), random ports.
    base = f"127.{random.randint(20, 39)}.0.1"
    port = random.randint(20000, 39999)
    devices = [d for d in SHIPPED.devices if d.name in NAMES]
    lab = Lab(devices, base_address=base, snmp_port=port, ssh_port=port + 20000)
    with LabThread(lab):
        yield CraftedLab(lab)


@pytest.fixture
def crafted(crafted_lab: CraftedLab) -> Iterator[CraftedLab]:
    crafted_lab.restore()
    yield crafted_lab
    crafted_lab.restore()


def stored(store: Store, name: str) -> dict[str, str]:
    with store.session() as session:
        return {r.library: r.version for r in repo.latest_signature_versions(session, name)}


def stored_licences(store: Store, name: str) -> dict[str, object]:
    with store.session() as session:
        return {
            lic.feature: lic.expires_on
            for lic in repo.current_licences(session)
            if lic.device.name == name
        }


def baseline(crafted: CraftedLab, store: Store, name: str) -> Device:
    device = crafted.devices[name]
    first = collect_signatures(device)
    assert first.errors == {}
    record(store, first)
    return device


LEADSEC_HEADER = (
    "library      version        update time\n------------ -------------- -----------\n"
)


def test_a_missing_library_line_is_reported_and_the_stored_version_kept(
    crafted: CraftedLab, store: Store
) -> None:
    name = "leadsec-a2350-01"
    device = baseline(crafted, store, name)
    before = stored(store, name)
    crafted.craft(
        name,
        "signatures",
        LEADSEC_HEADER + "virus        20261118.01    2026-11-18\n"
        "app          2.0.0.318      2026-10-16\nupdate server: update.example\n",
    )
    snapshot = collect_signatures(device)
    assert [lib.library for lib in snapshot.libraries] == ["av", "app"]
    outcome = record(store, snapshot)
    assert outcome.status == "partial" and outcome.changes == []
    message = snapshot.errors["library ips"]
    assert name in message and "missing from this fetch" in message
    assert before["ips"] in message
    assert stored(store, name) == before


def test_an_unknown_date_format_is_an_error_for_that_library_only(
    crafted: CraftedLab, store: Store
) -> None:
    name = "venus-1008dp-01"
    device = baseline(crafted, store, name)
    before = stored(store, name)
    crafted.craft(
        name,
        "signatures",
        "Library  Version            Release date\n-------- ------------------ ------------\n"
        "IPS      5.6.2611.1299      13/11/2026\n"
        "AV       3.0.2611.2216      2026-11-22\n",
    )
    snapshot = collect_signatures(device)
    assert "13/11/2026" in snapshot.errors["library IPS"]
    assert snapshot.errors["library IPS"].startswith(name)
    assert [(lib.library, lib.version) for lib in snapshot.libraries] == [("av", "3.0.2611.2216")]
    outcome = record(store, snapshot)
    assert [(c.library, c.to_version) for c in outcome.changes] == [("av", "3.0.2611.2216")]
    after = stored(store, name)
    assert after["ips"] == before["ips"]  # neither erased nor replaced by the unread line
    assert after["url"] == before["url"] and after["app"] == before["app"]
    assert "library url" in snapshot.errors  # missing lines are named too


def test_chinese_field_names_and_dates_are_read(crafted: CraftedLab, store: Store) -> None:
    name = "leadsec-a2350-01"
    device = baseline(crafted, store, name)
    before = stored(store, name)
    crafted.craft(
        name,
        "signatures",
        "特征库名称   版本号         更新时间\n------------ -------------- -----------\n"
        "病毒库       20261118.01    2026年11月18日\n"
        "入侵防御     3.1.0.1042     2026/11/05\n"
        "应用识别     2.0.0.318      2026-10-16\n",
    )
    crafted.craft(
        name,
        "licences",
        "许可证名称       状态      到期时间\n---------------- --------- ----------\n"
        "system           有效      2028年07月17日\n"
        "upgrade-service  有效      永久\n",
    )
    snapshot = collect_signatures(device)
    assert snapshot.errors == {}
    assert [
        (lib.library, lib.printed, lib.version, str(lib.release_date)) for lib in snapshot.libraries
    ] == [
        ("av", "病毒库", "20261118.01", "2026-11-18"),
        ("ips", "入侵防御", "3.1.0.1042", "2026-11-05"),
        ("app", "应用识别", "2.0.0.318", "2026-10-16"),
    ]
    assert [(lic.feature, str(lic.expires_on)) for lic in snapshot.licences] == [
        ("system", "2028-07-17"),
        ("upgrade-service", "None"),
    ]
    assert record(store, snapshot).changes == []  # same versions, other words
    assert stored(store, name) == before


def test_unknown_chinese_headers_name_the_line(crafted: CraftedLab, store: Store) -> None:
    name = "leadsec-a2350-01"
    device = baseline(crafted, store, name)
    crafted.craft(
        name,
        "signatures",
        "名称 版本 日期\n"
        "virus        20261118.01    2026-11-18\n"
        "ips          3.1.0.1042     2026-11-05\n"
        "app          2.0.0.318      2026-10-16\n",
    )
    snapshot = collect_signatures(device)
    assert len(snapshot.libraries) == 3
    assert snapshot.errors == {
        "library 名称": f"{name}: line not understood: '名称 版本 日期'",
    }


def test_a_licence_expiry_in_an_unknown_format_is_not_taken_for_permanent(
    crafted: CraftedLab, store: Store
) -> None:
    name = "nsfocus-sas-gl2100-01"
    device = baseline(crafted, store, name)
    before = stored_licences(store, name)
    crafted.craft(
        name,
        "licences",
        "license        status    expire date\n-------------- --------- -----------\n"
        "SAS base       valid     2028-03-19\n"
        "rule upgrade   valid     19.05.2027\n",
    )
    snapshot = collect_signatures(device)
    error = snapshot.errors["licence rule upgrade   valid     19.05.2027"]
    assert error.startswith(name) and "19.05.2027" in error
    assert [lic.feature for lic in snapshot.licences] == ["SAS base"]
    record(store, snapshot)
    after = stored_licences(store, name)
    assert after["rule upgrade"] == before["rule upgrade"] is not None


def test_a_version_outside_the_vendor_rule_names_device_and_library(
    crafted: CraftedLab, store: Store
) -> None:
    name = "leadsec-a2350-01"
    device = baseline(crafted, store, name)
    before = stored(store, name)
    crafted.craft(
        name,
        "signatures",
        LEADSEC_HEADER + "virus        2026-11-18.01  2026-11-18\n"
        "ips          3.1.0.1042     2026-11-05\napp          2.0.0.318      2026-10-16\n",
    )
    snapshot = collect_signatures(device)
    message = snapshot.errors["library virus"]
    assert name in message and "virus" in message and "2026-11-18.01" in message
    record(store, snapshot)
    assert stored(store, name) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LEADSEC_HEADER + "update server: update.example\n", "listed no library"),
        ("% Unknown command.\n", "was refused"),
    ],
    ids=["no-library-lines", "refused"],
)
def test_an_empty_or_refused_display_keeps_everything(
    text: str, expected: str, crafted: CraftedLab, store: Store
) -> None:
    name = "leadsec-a2350-01"
    device = baseline(crafted, store, name)
    before = stored(store, name)
    crafted.craft(name, "signatures", text)
    snapshot = collect_signatures(device)
    assert expected in snapshot.errors["signatures"] and name in snapshot.errors["signatures"]
    assert snapshot.licences and snapshot.software_version  # the other parts still read
    assert record(store, snapshot).status == "partial"
    assert set(snapshot.errors) == {"signatures"}  # no per-library noise on top
    assert stored(store, name) == before
