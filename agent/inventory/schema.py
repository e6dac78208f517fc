"""The shape of inventory.toml, checked by pydantic: keys, types, ranges, secret references.

Every table forbids unknown keys (so a typo is an error, not a silently ignored setting).
Settings tables have every field optional because ``[defaults]``, ``[vendors.<vendor>]`` and
the device entry are layered; whether the merged result is complete is the loader's check.
Validators raise ``PydanticCustomError`` with the operator-facing message; the loader adds
file, line, device and field.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator
from pydantic_core import PydanticCustomError

from agent.inventory.model import AUTH_PROTOCOLS, PRIV_PROTOCOLS, SERVICES, SecretRef

SECRET_SOURCES: tuple[str, ...] = ("env", "file", "credential")
SECRET_FORMS = "{ env = ... }, { file = ... } or { credential = ... }"
_CREDENTIAL_NAME = re.compile(r"^[A-Za-z0-9_.@:-]+$")  # a file name in $CREDENTIALS_DIRECTORY
# A device name is a metric label, a file name in git exports and part of URLs: keep it short.
MAX_NAME = 64
_DEVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # safe in metrics, file names, URLs


def _fail(kind: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, context or None)


def _secret_ref(value: Any) -> SecretRef:
    if isinstance(value, str):
        raise _fail("inline_secret", f"inline secret; use {SECRET_FORMS}")
    if not isinstance(value, dict):
        raise _fail("secret_ref", f"a secret must be a reference: {SECRET_FORMS}")
    unknown = sorted(set(value) - set(SECRET_SOURCES))
    if unknown:
        raise _fail(
            "secret_ref",
            f"unknown secret source {unknown[0]!r}; a secret is {SECRET_FORMS}",
        )
    if len(value) != 1:
        raise _fail("secret_ref", f"a secret reference has exactly one source: {SECRET_FORMS}")
    ((kind, name),) = value.items()
    if not isinstance(name, str) or not name:
        raise _fail("secret_ref", f"{kind} = ... must be a non-empty string")
    if kind == "env" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise _fail("secret_ref", f"{name!r} is not an environment variable name")
    if kind == "credential" and not _CREDENTIAL_NAME.match(name):
        raise _fail("secret_ref", f"{name!r} is not a systemd credential name (no '/')")
    return SecretRef(kind, name)


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise _fail("bad_port", f"bad port {value!r}; a port is an integer 1..65535")
    return value


def _positive_seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _fail("bad_timeout", f"bad timeout {value!r}; give seconds, more than 0")
    return float(value)


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise _fail("bad_retries", f"bad retries {value!r}; an integer 0..10")
    return value


def _snmp_version(value: Any) -> str:
    # People write the version as "2c", "v2c", 3, "3" or "v3"; SNMPv1 is not supported.
    text = str(value).lower().removeprefix("v") if not isinstance(value, bool) else ""
    if text in ("2c", "3"):
        return text
    raise _fail("bad_version", f'bad SNMP version {value!r}; use "2c" or "3"')


def _protocol(value: Any, known: tuple[str, ...], what: str) -> str:
    if isinstance(value, str):
        wanted = value.upper().replace("-", "").replace("_", "")
        if wanted in ("SHA1", "AES128"):  # the plain names RFC 3414 / 3826 define
            wanted = wanted[:3]
        for name in known:
            if name.replace("-", "") == wanted:
                return name
    raise _fail("bad_protocol", f"bad {what} protocol {value!r}; known: {', '.join(known)}")


def _auth_protocol(value: Any) -> str:
    return _protocol(value, AUTH_PROTOCOLS, "SNMPv3 auth")


def _priv_protocol(value: Any) -> str:
    return _protocol(value, PRIV_PROTOCOLS, "SNMPv3 privacy")


@functools.lru_cache(maxsize=65536)
def _parse_text_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(value)


def parse_address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``ipaddress.ip_address``, remembered for strings: the checker asks twice per device,
    and it is a tenth of `netmon check`'s time on a large inventory. Raises ValueError."""
    if isinstance(value, str):
        return _parse_text_address(value)
    return ipaddress.ip_address(value)


def _address(value: Any) -> str:
    try:
        return str(parse_address(value))
    except ValueError:
        raise _fail("bad_address", f"bad address {value!r}; give an IPv4 or IPv6 address") from None


def _services(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail("bad_services", f"must be a non-empty list of {', '.join(SERVICES)}")
    for item in value:
        if item not in SERVICES:
            raise _fail("bad_service", f"unknown service {item!r}; known: {', '.join(SERVICES)}")
    if len(set(value)) != len(value):
        raise _fail("bad_services", "a service is listed twice")
    return tuple(service for service in SERVICES if service in value)


def _device_name(value: Any) -> str:
    if isinstance(value, str) and len(value) > MAX_NAME:
        raise _fail("bad_name", f"name longer than {MAX_NAME} characters ({len(value)})")
    if not isinstance(value, str) or not _DEVICE_NAME.match(value):
        raise _fail(
            "bad_name",
            f"bad name {value!r}; use letters, digits, '.', '_' and '-' (e.g. 'h3c-s5500-01')",
        )
    return value


MAX_SITE_NAME = 64


def _site_name(value: Any) -> str:
    # A display name goes into documents as written: one line, not blank, not a novel.
    if not isinstance(value, str) or not value.strip():
        raise _fail("bad_site_name", "site_name must be a non-empty string, e.g. '城区支队'")
    if len(value) > MAX_SITE_NAME:
        raise _fail("bad_site_name", f"site_name longer than {MAX_SITE_NAME} characters")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise _fail("bad_site_name", "site_name must be one line without control characters")
    return value.strip()


Secret = Annotated[SecretRef, PlainValidator(_secret_ref)]
SiteName = Annotated[str, PlainValidator(_site_name)]
Port = Annotated[int, PlainValidator(_port)]
Seconds = Annotated[float, PlainValidator(_positive_seconds)]
Retries = Annotated[int, PlainValidator(_retries)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SnmpTable(_Table):
    version: Annotated[str, PlainValidator(_snmp_version)] | None = None
    port: Port | None = None
    timeout: Seconds | None = None
    retries: Retries | None = None
    community: Secret | None = None
    user: str | None = None
    auth_protocol: Annotated[str, PlainValidator(_auth_protocol)] | None = None
    auth_key: Secret | None = None
    priv_protocol: Annotated[str, PlainValidator(_priv_protocol)] | None = None
    priv_key: Secret | None = None


class SshTable(_Table):
    port: Port | None = None
    timeout: Seconds | None = None
    username: str | None = None
    password: Secret | None = None


class DefaultsTable(_Table):
    site: str | None = None
    # The display name of the default site (devices that keep [defaults] site).
    site_name: SiteName | None = None
    snmp: SnmpTable | None = None
    ssh: SshTable | None = None


class VendorTable(_Table):
    snmp: SnmpTable | None = None
    ssh: SshTable | None = None


class DeviceTable(_Table):
    name: Annotated[str, PlainValidator(_device_name)]
    vendor: str
    model: str
    kind: str | None = None
    site: str | None = None
    # What documents print for the site ("城区支队"); else [sites.<site>] name.
    site_name: SiteName | None = None
    services: Annotated[tuple[str, ...], PlainValidator(_services)]
    address: Annotated[str, PlainValidator(_address)]
    # Interface names (ifName, as the box prints them) whose loss cuts the box off: alerts
    # watch these ("NetmonUplinkDown").
    uplinks: list[str] = []
    snmp: SnmpTable | None = None
    ssh: SshTable | None = None


class SiteTable(_Table):
    """``[sites.<site>]``: what a site code means to a reader."""

    name: SiteName


TOP_LEVEL_KEYS: tuple[str, ...] = ("defaults", "vendors", "sites", "device")


def known_keys(table: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the sub-table at ``path`` below ``table`` (for 'did you mean')."""
    current: type[BaseModel] = table
    for part in path:
        field = current.model_fields.get(str(part))
        if field is None:
            break
        nested = _model_in(field.annotation)
        if nested is None:
            break
        current = nested
    return list(current.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
