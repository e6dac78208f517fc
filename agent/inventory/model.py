"""What a loaded inventory is: devices with resolved settings and secret references.

These types are what the rest of netmon works with. They are built only by the loader
(``agent.inventory.loader``) from a file that passed every check, or by the lab
(``Device.with_endpoint``), so a ``Device`` is always complete and consistent.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from agent.errors import ProblemsError

SecretKind = Literal["env", "file", "credential", "literal"]

# What the contract's tables call HW, SIG and TUNE.
SERVICES: tuple[str, ...] = ("hardware", "signatures", "tuning")

# SNMPv3 protocols we accept, in the spelling net-snmp's `-a` / `-x` options use. MD5 and DES
# are left out on purpose: both are broken and every model of the fleet offers SHA and AES.
AUTH_PROTOCOLS: tuple[str, ...] = ("SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512")
# AES-192/256 with a hash shorter than the key extend the key: "AES-192"/"AES-256" as net-snmp
# does by default (draft-blumenthal-aes-usm-04), "-C" as Cisco does (draft-reeder-3desede).
PRIV_PROTOCOLS: tuple[str, ...] = ("AES", "AES-192", "AES-256", "AES-192-C", "AES-256-C")


class InventoryError(ProblemsError):
    """One or more problems with an inventory; ``errors`` holds one line per problem."""


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives. The value is read only when ``reveal()`` is called.

    ``name`` is the variable name (env), the path (file), the systemd credential name
    (credential) or, for ``literal`` refs that only code creates (the lab), the value itself.
    """

    kind: SecretKind
    name: str

    @classmethod
    def literal(cls, value: str) -> SecretRef:
        return cls("literal", value)

    def __repr__(self) -> str:
        if self.kind == "literal":
            return "SecretRef(literal=***)"
        return f"SecretRef({self.kind}={self.name!r})"

    def __str__(self) -> str:
        if self.kind == "literal":
            return "<literal secret>"
        return f'{{ {self.kind} = "{self.name}" }}'

    def _path(self) -> Path:
        if self.kind == "file":
            return Path(self.name)
        directory = os.environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            raise InventoryError(
                f"{self}: $CREDENTIALS_DIRECTORY is not set (systemd sets it for a unit "
                f"with LoadCredential={self.name}:<file>)"
            )
        return Path(directory) / self.name

    def reveal(self) -> str:
        """The secret's value, read now. Errors name the reference, never a value."""
        if self.kind == "literal":
            return self.name
        if self.kind == "env":
            value = os.environ.get(self.name)
            if value is None:
                raise InventoryError(f"{self}: environment variable {self.name} is not set")
        else:
            path = self._path()
            try:
                # Editors and `echo > file` add a final newline that is not part of the secret.
                value = path.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as error:
                raise InventoryError(f"{self}: cannot read {path}: {error.strerror}") from None
            except UnicodeDecodeError:
                raise InventoryError(f"{self}: {path} is not UTF-8 text") from None
        if not value:
            raise InventoryError(f"{self}: the secret is empty")
        return value


@dataclass(frozen=True)
class SnmpSettings:
    version: Literal["2c", "3"]
    port: int = 161
    timeout: float = 2.0
    retries: int = 1
    community: SecretRef | None = None  # v2c only
    user: str | None = None  # v3 only, from here on
    auth_protocol: str | None = None
    auth_key: SecretRef | None = None
    priv_protocol: str | None = None
    priv_key: SecretRef | None = None


@dataclass(frozen=True)
class SshSettings:
    port: int
    username: str
    password: SecretRef
    timeout: float = 30.0


@dataclass(frozen=True)
class Device:
    name: str
    vendor: str
    model: str
    kind: str
    site: str
    services: tuple[str, ...]
    address: str
    snmp: SnmpSettings
    ssh: SshSettings
    line: int | None = None  # line of the device's [[device]] header in its file
    uplinks: tuple[str, ...] = ()  # interface names the alerts treat as uplinks
    site_name: str | None = None  # the site's display name in documents ("城区支队")

    @property
    def site_label(self) -> str:
        """What a reader sees for the site: its display name, else the code."""
        return self.site_name or self.site

    def secret_refs(self) -> Iterator[tuple[str, SecretRef]]:
        """Every secret this device needs, as (field, reference)."""
        for field_name, ref in (
            ("snmp.community", self.snmp.community),
            ("snmp.auth_key", self.snmp.auth_key),
            ("snmp.priv_key", self.snmp.priv_key),
            ("ssh.password", self.ssh.password),
        ):
            if ref is not None:
                yield field_name, ref

    def with_endpoint(
        self,
        address: str,
        snmp_port: int,
        ssh_port: int,
        *,
        community: str,
        v3_user: str,
        v3_auth_key: str,
        v3_priv_key: str,
        ssh_username: str,
        ssh_password: str,
    ) -> Device:
        """A copy pointed at a lab twin: same identity and SNMP version, lab credentials."""
        if self.snmp.version == "3":
            snmp = replace(
                self.snmp,
                port=snmp_port,
                community=None,
                user=v3_user,
                auth_protocol="SHA",
                auth_key=SecretRef.literal(v3_auth_key),
                priv_protocol="AES",
                priv_key=SecretRef.literal(v3_priv_key),
            )
        else:
            snmp = replace(self.snmp, port=snmp_port, community=SecretRef.literal(community))
        ssh = replace(
            self.ssh,
            port=ssh_port,
            username=ssh_username,
            password=SecretRef.literal(ssh_password),
        )
        return replace(self, address=address, snmp=snmp, ssh=ssh)


def _count(values: Iterator[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


@dataclass(frozen=True)
class Inventory:
    path: Path
    devices: tuple[Device, ...]

    def by_name(self, name: str) -> Device:
        for device in self.devices:
            if device.name == name:
                return device
        names = [device.name for device in self.devices]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InventoryError(f"{self.path}: no device named {name!r}{hint}")

    def summary(self) -> dict[str, Any]:
        """Device counts: in total and per vendor, model, kind, site and service scope."""
        return {
            "devices": len(self.devices),
            "vendors": _count(d.vendor for d in self.devices),
            "models": _count(d.model for d in self.devices),
            "kinds": _count(d.kind for d in self.devices),
            "sites": _count(d.site for d in self.devices),
            "services": _count("+".join(d.services) for d in self.devices),
        }

    def unreadable_secrets(self) -> list[str]:
        """One line per secret that cannot be read now (device and field; never a value)."""
        problems: list[str] = []
        cache: dict[SecretRef, str | None] = {}
        for device in self.devices:
            for field_name, ref in device.secret_refs():
                if ref not in cache:
                    try:
                        ref.reveal()
                        cache[ref] = None
                    except InventoryError as error:
                        cache[ref] = str(error)
                problem = cache[ref]
                if problem is not None:
                    where = f"{self.path}:{device.line}" if device.line else str(self.path)
                    problems.append(f"{where}: device {device.name!r}: {field_name}: {problem}")
        return problems
