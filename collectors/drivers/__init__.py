"""NAPALM drivers for the fleet, one per vendor, on our netmiko sessions and TextFSM templates.

``get_driver(vendor)`` gives the class, ``driver_for_device(device)`` an instance for an
inventory device (address, SSH port, user, password, timeout, model family)::

    driver = driver_for_device(device)
    driver.open()
    try:
        facts = driver.get_facts()
    finally:
        driver.close()

Why our own drivers for H3C and Huawei too: the community packages were tried against the lab
(2026-11). napalm-huawei-vrp 1.2.0 returned no fans, power or temperature, the CPU as a string
under "usage" instead of a float under "%usage", hostname "Unknown" and no serial.
napalm-h3c-comware 0.1.5 (Comware 7 only) failed get_facts (it needs ``display interface`` and
``display device manuinfo`` and cannot tell an error reply from output), returned an empty CPU
table (it reads ``display cpu-usage summary``) and gave the error text of a refused command as
the startup configuration. Comware 5 is covered by neither.
"""

from __future__ import annotations

from typing import Any, Protocol

from collectors.drivers.base import DriverError, NetmonCliDriver
from collectors.drivers.vendors import (
    H3cComwareDriver,
    HuaweiVrpDriver,
    LeadsecDriver,
    NsfocusDriver,
    TopsecDriver,
    VenustechDriver,
)
from collectors.library_kinds import library_kind

__all__ = [
    "DRIVERS",
    "DriverError",
    "NetmonCliDriver",
    "driver_for_device",
    "get_driver",
    "library_kind",
]

DRIVERS: dict[str, type[NetmonCliDriver]] = {
    cls.vendor: cls
    for cls in (
        TopsecDriver,
        LeadsecDriver,
        VenustechDriver,
        NsfocusDriver,
        H3cComwareDriver,
        HuaweiVrpDriver,
    )
}


def get_driver(vendor: str) -> type[NetmonCliDriver]:
    try:
        return DRIVERS[vendor]
    except KeyError:
        known = ", ".join(sorted(DRIVERS))
        raise DriverError(f"no driver for vendor {vendor!r} (known: {known})") from None


class _DeviceLike(Protocol):
    """The inventory ``Device`` fields a driver needs."""

    name: str
    vendor: str
    model: str
    address: str

    @property
    def ssh(self) -> Any: ...


def driver_for_device(device: _DeviceLike) -> NetmonCliDriver:
    """A (not yet opened) driver for an inventory device."""
    ssh = device.ssh
    cls = get_driver(device.vendor)
    return cls(
        device.address,
        str(ssh.username),
        ssh.password.reveal(),
        timeout=int(float(getattr(ssh, "timeout", 10) or 10)),
        optional_args={
            "port": int(ssh.port),
            "device_name": device.name,
            "model": getattr(device, "model", ""),
        },
    )
