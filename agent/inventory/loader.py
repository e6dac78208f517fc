"""Read inventory.toml, check all of it, and build the typed ``Inventory``.

Checks run in three passes so that one run reports every problem: the shape of each table
(pydantic, ``agent.inventory.schema``), the facts that need the vendor profiles and the other
devices (vendor, model, kind, duplicate names and addresses), and completeness of each
device's merged settings (``[defaults]`` < ``[vendors.<vendor>]`` < the device entry). An
inventory with any error is never returned.
"""

from __future__ import annotations

import difflib
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.inventory.layers import merge, missing_settings, snmp_settings, ssh_settings
from agent.inventory.locate import LineLocator
from agent.inventory.model import Device, Inventory, InventoryError, SecretRef
from agent.inventory.schema import (
    TOP_LEVEL_KEYS,
    DefaultsTable,
    DeviceTable,
    SiteTable,
    VendorTable,
    known_keys,
    parse_address,
)
from agent.tomlfile import read_toml
from collectors.profiles import DEVICE_KINDS, VendorProfile, load_profiles

Location = tuple[str | int, ...]


def load_inventory(path: str | Path) -> Inventory:
    """Load and check ``path``; raise ``InventoryError`` listing every problem found."""
    path = Path(path)
    text, data = read_toml(path, InventoryError)
    return _Checker(path, text, data).run()


# difflib's cost grows with the word: a 5 MB "vendor" would take seconds. No name is longer.
_SUGGEST_MAX = 100


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = (
        difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
        if len(word) <= _SUGGEST_MAX
        else []
    )
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(choices)}"


_CLIP = 300  # characters of one part of an error line; a 5 MB value is not echoed back


def _clip(text: str) -> str:
    """``text``, or its start and end around a note of how much was cut (the hint that ends
    most messages survives)."""
    if len(text) <= _CLIP:
        return text
    return f"{text[:160]}…[{len(text) - 240} characters cut]…{text[-80:]}"


@dataclass
class _Problem:
    line: int | None
    order: int
    text: str


class _Checker:
    def __init__(self, path: Path, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self.locator = LineLocator(text)
        self.profiles: dict[str, VendorProfile] = load_profiles()
        self.problems: list[_Problem] = []
        self.site_names: dict[str, str] = {}

    # -- reporting -----------------------------------------------------------------------
    def report(
        self, location: Location, where: str | None, field: str | None, message: str
    ) -> None:
        line = self.locator.line_of(location)
        parts = [f"{self.path}:{line}" if line else str(self.path)]
        parts += [_clip(part) for part in (where, field) if part]
        parts.append(_clip(message))
        self.problems.append(_Problem(line, len(self.problems), ": ".join(parts)))

    def validate(self, model: type[BaseModel], raw: Any, location: Location, where: str) -> Any:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                if error["type"] == "extra_forbidden":
                    key = str(loc[-1])
                    field = ".".join(str(p) for p in loc[:-1]) or None
                    hint = _suggest(key, known_keys(model, loc[:-1]))
                    message = f"unknown key {key!r}; {hint}"
                elif error["type"] == "missing":
                    field, message = ".".join(str(p) for p in loc), "missing (required)"
                elif error["type"] == "model_type":
                    field, message = ".".join(str(p) for p in loc) or None, "must be a table"
                else:
                    field, message = ".".join(str(p) for p in loc) or None, error["msg"]
                self.report((*location, *loc), where, field, message)
            return None

    # -- passes --------------------------------------------------------------------------
    def run(self) -> Inventory:
        for key in self.data:
            if key not in TOP_LEVEL_KEYS:
                self.report(
                    (key,),
                    "top level",
                    None,
                    f"unknown key {key!r}; {_suggest(key, TOP_LEVEL_KEYS)}",
                )
        defaults = self.validate(
            DefaultsTable, self.data.get("defaults", {}), ("defaults",), "defaults"
        )
        vendor_tables = self._vendor_tables()
        self.site_names = self._site_tables()
        devices = self._devices(defaults, vendor_tables)
        self._check_sites(devices)
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: (p.line is None, p.line or 0, p.order))
            raise InventoryError([problem.text for problem in ordered])
        return Inventory(path=self.path, devices=tuple(devices))

    def _vendor_tables(self) -> dict[str, VendorTable]:
        raw = self.data.get("vendors", {})
        if not isinstance(raw, dict):
            self.report(("vendors",), None, "vendors", "must be a table of [vendors.<vendor>]")
            return {}
        tables: dict[str, VendorTable] = {}
        for vendor, body in raw.items():
            where = f"vendors.{vendor}"
            if vendor not in self.profiles:
                known = ", ".join(self.profiles)
                self.report(
                    ("vendors", vendor), where, None, f"unknown vendor {vendor!r}; known: {known}"
                )
                continue
            table = self.validate(VendorTable, body, ("vendors", vendor), where)
            if table is not None:
                tables[vendor] = table
        return tables

    def _site_tables(self) -> dict[str, str]:
        raw = self.data.get("sites", {})
        if not isinstance(raw, dict):
            self.report(("sites",), None, "sites", "must be a table of [sites.<site>]")
            return {}
        names: dict[str, str] = {}
        for site, body in raw.items():
            table = self.validate(SiteTable, body, ("sites", site), f"sites.{site}")
            if table is not None:
                names[site] = table.name
        return names

    def _check_sites(self, devices: list[Device]) -> None:
        """A [sites.<site>] no device uses is a typo; one site has one display name."""
        used = {device.site for device in devices}
        for site in self.site_names:
            if devices and site not in used:
                known = ", ".join(sorted(used))
                self.report(
                    ("sites", site),
                    f"sites.{site}",
                    None,
                    f"no device is at site {site!r} (sites in use: {known})",
                )

    def _devices(
        self, defaults: DefaultsTable | None, vendor_tables: dict[str, VendorTable]
    ) -> list[Device]:
        raw_devices = self.data.get("device")
        if isinstance(raw_devices, dict):
            self.report(("device",), None, "device", "write [[device]] (one entry per device)")
            return []
        if not isinstance(raw_devices, list) or not raw_devices:
            self.report(("device",), None, None, "no devices: add [[device]] entries")
            return []
        devices: list[Device] = []
        first_at_site: dict[str, Device] = {}
        names: dict[str, int] = {}
        addresses: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, str] = {}
        for index, raw in enumerate(raw_devices):
            location: Location = ("device", index)
            if not isinstance(raw, dict):
                self.report(location, f"device #{index + 1}", None, "must be a table ([[device]])")
                continue
            name = raw.get("name")
            where = f"device {name!r}" if isinstance(name, str) and name else f"device #{index + 1}"
            table = self.validate(DeviceTable, raw, location, where)
            kind = self._identity(raw, location, where)
            self._duplicates(raw, location, where, names, addresses)
            if table is None or kind is None or defaults is None:
                continue
            device = self._merge(
                table, kind, defaults, vendor_tables.get(table.vendor), location, where
            )
            if device is not None:
                self._one_site_name(device, first_at_site, location, where)
                devices.append(device)
        return devices

    def _one_site_name(
        self, device: Device, first_at_site: dict[str, Device], location: Location, where: str
    ) -> None:
        first = first_at_site.setdefault(device.site, device)
        if first.site_name != device.site_name:
            self.report(
                (*location, "site_name"),
                where,
                "site_name",
                f"site {device.site!r} is named {device.site_name!r} here but "
                f"{first.site_name!r} at device {first.name!r}; give a site one name",
            )

    def _identity(self, raw: dict[str, Any], location: Location, where: str) -> str | None:
        """Check vendor, model and kind against the profiles; the device's kind if all agree."""
        vendor, model, kind = raw.get("vendor"), raw.get("model"), raw.get("kind")
        if isinstance(kind, str) and kind not in DEVICE_KINDS:
            self.report(
                (*location, "kind"),
                where,
                "kind",
                f"unknown kind {kind!r}; {_suggest(kind, DEVICE_KINDS)}",
            )
            return None
        if not isinstance(vendor, str):
            return None
        profile = self.profiles.get(vendor)
        if profile is None:
            known = ", ".join(self.profiles)
            self.report(
                (*location, "vendor"), where, "vendor", f"unknown vendor {vendor!r}; known: {known}"
            )
            return None
        if not isinstance(model, str):
            return None
        info = profile.models.get(model)
        if info is None:
            models = ", ".join(repr(m) for m in profile.models)
            guess = (
                difflib.get_close_matches(model, list(profile.models), n=1)
                if len(model) <= _SUGGEST_MAX
                else []
            )
            close = f" (did you mean {guess[0]!r}?)" if guess else ""
            self.report(
                (*location, "model"),
                where,
                "model",
                f"{model!r} is not a {vendor} model; {vendor} models: {models}{close}",
            )
            return None
        if isinstance(kind, str) and kind != info.kind:
            self.report(
                (*location, "kind"),
                where,
                "kind",
                f"{kind!r} disagrees with the {vendor} profile: {model} is a {info.kind!r}",
            )
            return None
        return info.kind

    def _duplicates(
        self,
        raw: dict[str, Any],
        location: Location,
        where: str,
        names: dict[str, int],
        addresses: dict[Any, str],
    ) -> None:
        name = raw.get("name")
        line = self.locator.line_of(location)
        if isinstance(name, str):
            if name in names:
                self.report(
                    (*location, "name"),
                    where,
                    "name",
                    f"duplicate name {name!r} (first at line {names[name]})",
                )
            else:
                names[name] = line or 0
        try:
            address = parse_address(raw.get("address"))
        except ValueError:
            return
        if address in addresses:
            self.report(
                (*location, "address"),
                where,
                "address",
                f"duplicate address {address}: also the address of {addresses[address]}",
            )
        else:
            addresses[address] = where

    def _merge(
        self,
        table: DeviceTable,
        kind: str,
        defaults: DefaultsTable,
        vendor: VendorTable | None,
        location: Location,
        where: str,
    ) -> Device | None:
        snmp, ssh = merge((defaults, vendor, table))
        missing = missing_settings(snmp, ssh, table.vendor)
        site = table.site or defaults.site
        if not site:
            missing.append(("site", "missing; set site on the device or in [defaults]"))
        for field, message in missing:
            self.report(location, where, field, message)
        if missing or not site:
            return None
        site_name = table.site_name or self.site_names.get(site)
        if site_name is None and site == defaults.site:
            site_name = defaults.site_name
        return Device(
            name=table.name,
            vendor=table.vendor,
            model=table.model,
            kind=kind,
            site=site,
            services=table.services,
            address=table.address,
            snmp=snmp_settings(snmp, self._anchor),
            ssh=ssh_settings(ssh, self._anchor),
            line=self.locator.line_of(location),
            uplinks=tuple(table.uplinks),
            site_name=site_name,
        )

    def _anchor(self, ref: SecretRef) -> SecretRef:
        """A relative secret file is relative to the inventory's folder, not the cwd."""
        if ref.kind == "file" and not Path(ref.name).is_absolute():
            return SecretRef("file", str((self.path.parent / ref.name).absolute()))
        return ref
