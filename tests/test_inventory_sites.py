"""Site display names: what documents print for a site, from the inventory, checked there,
kept in the store's devices table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.inventory import InventoryError, load_inventory
from agent.store import open_store
from agent.store import repository as repo
from agent.store.schema import upgrade

ROOT = Path(__file__).resolve().parents[1]

HEAD = """
[defaults]
site = "headquarters"
{defaults_name}

[defaults.snmp]
community = {{ env = "NETMON_TEST_COMMUNITY" }}

[defaults.ssh]
username = "netmon"
password = {{ env = "NETMON_TEST_SSH_PASSWORD" }}
"""

DEVICES = """
[[device]]
name = "fw-hq"
vendor = "topsec"
model = "NGFW4000"
services = ["hardware", "tuning"]
address = "192.0.2.1"

[[device]]
name = "fw-city"
vendor = "venustech"
model = "USG-FW-310-T-NF1600"
site = "city-1"
{city_name}
services = ["hardware", "signatures", "tuning"]
address = "192.0.2.2"

[[device]]
name = "sw-city"
vendor = "huawei"
model = "S5700"
site = "city-1"
services = ["hardware", "tuning"]
address = "198.51.100.1"
"""


def _write(
    tmp_path: Path, *, defaults_name: str = "", sites: str = "", city_name: str = ""
) -> Path:
    path = tmp_path / "inventory.toml"
    text = HEAD.format(defaults_name=defaults_name) + sites + DEVICES.format(city_name=city_name)
    path.write_text(text, encoding="utf-8")
    return path


def test_default_and_per_site_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        defaults_name='site_name = "总部机房"',
        sites='\n[sites.city-1]\nname = "城区支队"\n',
    )
    names = {d.name: (d.site, d.site_label) for d in load_inventory(path).devices}
    assert names == {
        "fw-hq": ("headquarters", "总部机房"),
        "fw-city": ("city-1", "城区支队"),
        "sw-city": ("city-1", "城区支队"),
    }


def test_the_default_name_is_not_given_to_another_site(tmp_path: Path) -> None:
    path = _write(tmp_path, defaults_name='site_name = "总部机房"')
    labels = {d.name: d.site_label for d in load_inventory(path).devices}
    # city-1 has no name: its code, never the default site's name.
    assert labels == {"fw-hq": "总部机房", "fw-city": "city-1", "sw-city": "city-1"}


def test_one_site_has_one_name(tmp_path: Path) -> None:
    path = _write(tmp_path, city_name='site_name = "城区支队"')
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    (problem,) = caught.value.errors
    assert "device 'sw-city': site_name: site 'city-1' is named None here but '城区支队'" in (
        problem
    )
    assert problem.startswith(f"{path}:")


def test_a_named_site_nobody_uses_is_a_typo(tmp_path: Path) -> None:
    path = _write(tmp_path, sites='\n[sites.city-2]\nname = "郊区支队"\n')
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    (problem,) = caught.value.errors
    assert "sites.city-2: no device is at site 'city-2' (sites in use: city-1, headquarters)" in (
        problem
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('""', "site_name must be a non-empty string"),
        ('"   "', "site_name must be a non-empty string"),
        ('"' + "支" * 65 + '"', "site_name longer than 64 characters"),
        ('"城区\\n支队"', "site_name must be one line"),
        ("3", "site_name must be a non-empty string"),
    ],
)
def test_bad_site_names(tmp_path: Path, value: str, message: str) -> None:
    path = _write(tmp_path, defaults_name=f"site_name = {value}")
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    (problem,) = caught.value.errors
    assert f"defaults: site_name: {message}" in problem, problem


def test_a_site_table_needs_a_name(tmp_path: Path) -> None:
    path = _write(tmp_path, sites='\n[sites.city-1]\nnmae = "城区支队"\n')
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    text = "\n".join(caught.value.errors)
    assert "sites.city-1: unknown key 'nmae'; did you mean 'name'?" in text
    assert "sites.city-1: name: missing (required)" in text


def test_the_shipped_inventory_names_its_sites() -> None:
    devices = load_inventory(ROOT / "inventory.toml").devices
    assert all(device.site_name for device in devices)


def test_the_store_keeps_the_display_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    path = _write(tmp_path, sites='\n[sites.city-1]\nname = "城区支队"\n')
    store = open_store(url)
    try:
        with store.session() as session:
            repo.sync_devices(session, load_inventory(path).devices)
        with store.session() as session:
            row = repo.get_device(session, "fw-city")
            assert (row.site, row.site_name) == ("city-1", "城区支队")
            assert repo.get_device(session, "fw-hq").site_name is None
        renamed = _write(tmp_path, sites='\n[sites.city-1]\nname = "城区一支队"\n')
        with store.session() as session:
            result = repo.sync_devices(session, load_inventory(renamed).devices)
            assert sorted(result.updated) == ["fw-city", "sw-city"]
            assert repo.get_device(session, "fw-city").site_name == "城区一支队"
    finally:
        store.close()
