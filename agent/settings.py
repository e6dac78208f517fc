"""The daemon's own configuration: ``/etc/netmon/netmon.toml`` (or ``--config FILE``).

Everything has a default an operator would expect, so an empty file (or none at all) gives a
working daemon on loopback. Every problem is reported at once, each naming the file, the line
and the key, the way the inventory loader does::

    inventory = "/etc/netmon/inventory.toml"
    store_url = "postgresql+psycopg://netmon@db.example/netmon"   # default: SQLite, see db docs
    maintenance = ["h3c-s5500-02"]          # silenced devices (offline on purpose)
    allow_unreadable_secrets = false        # true: start (or reload) even when a secret
                                            # cannot be read; those devices show as down

    [metrics]
    listen = "127.0.0.1:9464"
    web_config = "/etc/netmon/web-config.yml"   # Prometheus web-config: TLS, basic auth
    interfaces = "all"     # interface series: all | uplinks (inventory uplinks + names) | none
    interface_names = []   # with "uplinks": ports exported on every device besides uplinks

    [intervals]        # seconds between runs of each collector kind, per device
    health = 30
    config = 3600
    signatures = 14400

    [scheduler]
    jitter = 5             # seconds of random delay added to every run
    snmp_concurrency = 32  # SNMP collections in flight at once
    ssh_concurrency = 8    # SSH sessions open at once
    job_timeout = 120      # seconds one collection of one device may take
    backoff_max = 900      # longest pause between tries of an unreachable device
    health_retry = 10      # a device whose health poll failed is re-polled this often until
                           # it answers (below 15: half the 30 s outage threshold)

    [staleness]        # days after its release a signature library counts as stale
    av = 7
    ips = 14
    url = 30
    app = 30
    default = 30

    [licences]
    warning_days = 30

    [collectors]       # collector kinds switched off: health_cli (SSH part of health),
    off = []           # config, signatures; everywhere, per vendor or per device
    vendors = { h3c = ["signatures"] }
    devices = { "fw-01" = ["config", "health_cli"] }

    [shard]            # several agents on one PostgreSQL (agent/shard.py, deploy/README.md)
    mode = "off"       # off | static (index/count) | advisory (buckets claimed by locks)
    index = 0
    count = 1
    buckets = 64
    claim_interval = 10

The web-config file follows Prometheus' format (exporter-toolkit): ``tls_server_config``
(``cert_file``, ``key_file``, optional ``client_ca_file`` / ``client_auth_type``) and
``basic_auth_users`` (user: bcrypt hash). Relative paths are relative to that file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.errors import ProblemsError
from agent.inventory.locate import LineLocator
from agent.settings_location import SETTINGS_VARIABLE as SETTINGS_VARIABLE
from agent.settings_location import SYSTEM_SETTINGS as SYSTEM_SETTINGS
from agent.settings_location import settings_path as settings_path
from agent.tomlfile import read_toml

DEFAULT_LISTEN = "127.0.0.1:9464"
# [scheduler] health_retry must stay below this (seconds): half of NetmonDeviceDown's `for:`
# (agent.availability.DEVICE_DOWN_AFTER; tests/availability checks the two agree).
HEALTH_RETRY_LIMIT = 15.0
COLLECTOR_KINDS: tuple[str, ...] = ("health", "config", "signatures")


class SettingsError(ProblemsError):
    """One or more problems with the daemon's configuration; one line per problem."""


# -- the file's shape ------------------------------------------------------------------------
class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


INTERFACE_SELECTIONS: tuple[str, ...] = ("all", "uplinks", "none")


class MetricsTable(_Table):
    listen: str = DEFAULT_LISTEN
    web_config: str | None = None
    # Which per-interface series /metrics exports: a 48-port switch is ~400 series with
    # "all", a dozen with "uplinks" (issue 10: scrape size at 5,000 devices).
    interfaces: str = "all"
    interface_names: list[str] = Field(default_factory=list)

    @field_validator("interfaces")
    @classmethod
    def _interfaces(cls, value: str) -> str:
        if value not in INTERFACE_SELECTIONS:
            raise ValueError(f"{value!r} is not one of {', '.join(INTERFACE_SELECTIONS)}")
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen(value)
        return value


class IntervalsTable(_Table):
    health: float = Field(30.0, gt=0)
    config: float = Field(3600.0, gt=0)
    signatures: float = Field(14400.0, gt=0)


class SchedulerTable(_Table):
    jitter: float = Field(5.0, ge=0)
    snmp_concurrency: int = Field(32, ge=1)
    ssh_concurrency: int = Field(8, ge=1)
    job_timeout: float = Field(120.0, gt=0)
    backoff_max: float = Field(900.0, gt=0)
    # The silence of one missed poll lasts one retry; with Prometheus' 15 s scrape it must stay
    # visible for less than NetmonDeviceDown's `for:` (agent.availability.DEVICE_DOWN_AFTER,
    # 30 s), so that one missed poll never pages: retry + scrape < 30 s.
    health_retry: float = Field(10.0, ge=1, lt=HEALTH_RETRY_LIMIT)


class StalenessTable(_Table):
    av: float = Field(7, gt=0)
    ips: float = Field(14, gt=0)
    url: float = Field(30, gt=0)
    app: float = Field(30, gt=0)
    default: float = Field(30, gt=0)


class LicencesTable(_Table):
    warning_days: int = Field(30, ge=0)


class RetentionTable(_Table):
    # Raw health polls (full resolution is Prometheus' job); roll-ups, episodes and outages
    # for the contract period (March to December) and a year after it.
    raw_days: float = Field(14, gt=0)
    rollup_days: float = Field(731, gt=0)
    # Per-port hourly roll-ups (the largest table): documents read whole days from the daily
    # rows, so hours are only needed for recent partial days (agent/store/rollup.py).
    interface_hourly_days: float = Field(62, gt=0)

    @model_validator(mode="after")
    def _rollups_outlive_raw_polls(self) -> RetentionTable:
        if self.rollup_days < self.raw_days:
            raise ValueError(
                "rollup_days must be at least raw_days: roll-ups are what remains of old polls"
            )
        return self


SWITCHABLE_KINDS: tuple[str, ...] = ("health_cli", "config", "signatures")


def _check_kinds(kinds: list[str]) -> list[str]:
    for kind in kinds:
        if kind not in SWITCHABLE_KINDS:
            raise ValueError(f"{kind!r} is not one of {', '.join(SWITCHABLE_KINDS)}")
    return kinds


class CollectorsTable(_Table):
    off: list[str] = Field(default_factory=list)
    vendors: dict[str, list[str]] = Field(default_factory=dict)
    devices: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("off")
    @classmethod
    def _off(cls, value: list[str]) -> list[str]:
        return _check_kinds(value)

    @field_validator("vendors", "devices")
    @classmethod
    def _per(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kinds in value.values():
            _check_kinds(kinds)
        return value


SHARD_MODES: tuple[str, ...] = ("off", "static", "advisory")


class ShardTable(_Table):
    mode: str = "off"
    index: int = Field(0, ge=0)
    count: int = Field(1, ge=1)
    buckets: int = Field(64, ge=1, le=4096)
    claim_interval: float = Field(10.0, gt=0)

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in SHARD_MODES:
            raise ValueError(f"{value!r} is not one of {', '.join(SHARD_MODES)}")
        return value

    @model_validator(mode="after")
    def _index_in_count(self) -> ShardTable:
        if self.index >= self.count:
            raise ValueError(f"index {self.index} is not below count {self.count}")
        return self


class SettingsFile(_Table):
    inventory: str | None = None
    store_url: str | None = None
    allow_unreadable_secrets: bool = False
    maintenance: list[str] = Field(default_factory=list)
    metrics: MetricsTable = Field(default_factory=MetricsTable)
    intervals: IntervalsTable = Field(default_factory=IntervalsTable)
    scheduler: SchedulerTable = Field(default_factory=SchedulerTable)
    staleness: StalenessTable = Field(default_factory=StalenessTable)
    licences: LicencesTable = Field(default_factory=LicencesTable)
    retention: RetentionTable = Field(default_factory=RetentionTable)
    collectors: CollectorsTable = Field(default_factory=CollectorsTable)
    shard: ShardTable = Field(default_factory=ShardTable)
    # The documents' cover and wording: read and checked by agent.reports.settings.
    report: dict[str, Any] = Field(default_factory=dict)


# -- what the rest of netmon uses ------------------------------------------------------------
@dataclass(frozen=True)
class BasicAuthUser:
    name: str
    bcrypt_hash: str

    def __repr__(self) -> str:  # a hash is not a password, but it need not travel in logs
        return f"BasicAuthUser({self.name!r})"


@dataclass(frozen=True)
class WebConfig:
    """Prometheus' web configuration: TLS for the listener and basic-auth users."""

    path: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    client_ca_file: Path | None = None
    client_auth_type: str = "NoClientCert"
    min_version: str | None = None
    users: tuple[BasicAuthUser, ...] = ()

    @property
    def tls(self) -> bool:
        return self.cert_file is not None


@dataclass(frozen=True)
class KindSwitches:
    """Which collector kinds are off for which device (netmon.toml ``[collectors]``)."""

    off: frozenset[str] = frozenset()
    vendors: dict[str, frozenset[str]] = field(default_factory=dict)
    devices: dict[str, frozenset[str]] = field(default_factory=dict)

    def enabled(self, kind: str, device: str, vendor: str) -> bool:
        return not (
            kind in self.off
            or kind in self.vendors.get(vendor, ())
            or kind in self.devices.get(device, ())
        )


@dataclass(frozen=True)
class ShardSettings:
    mode: str = "off"  # off | static | advisory
    index: int = 0
    count: int = 1
    buckets: int = 64
    claim_interval: float = 10.0


@dataclass(frozen=True)
class Settings:
    path: Path | None = None  # None: built-in defaults, no file
    inventory: Path | None = None
    store_url: str | None = None
    # False: an inventory whose secrets cannot all be read is refused at start and on SIGHUP
    # (else every device using one would look down: a fleet-wide false outage).
    allow_unreadable_secrets: bool = False
    maintenance: frozenset[str] = frozenset()
    listen_host: str = "127.0.0.1"
    listen_port: int = 9464
    web: WebConfig = field(default_factory=WebConfig)
    interfaces: str = "all"  # all | uplinks | none: which interface series /metrics exports
    interface_names: frozenset[str] = frozenset()
    intervals: dict[str, float] = field(
        default_factory=lambda: {"health": 30.0, "config": 3600.0, "signatures": 14400.0}
    )
    jitter: float = 5.0
    snmp_concurrency: int = 32
    ssh_concurrency: int = 8
    job_timeout: float = 120.0
    backoff_max: float = 900.0
    health_retry: float = 10.0
    staleness_days: dict[str, float] = field(
        default_factory=lambda: {"av": 7, "ips": 14, "url": 30, "app": 30, "default": 30}
    )
    licence_warning_days: int = 30
    raw_retention_days: float = 14
    rollup_retention_days: float = 731
    interface_hourly_retention_days: float = 62
    kinds: KindSwitches = field(default_factory=KindSwitches)
    shard: ShardSettings = field(default_factory=ShardSettings)

    def staleness_limit(self, library_kind: str) -> dt.timedelta:
        """How old a library of this kind may get before it counts as stale."""
        days = self.staleness_days.get(library_kind.lower(), self.staleness_days["default"])
        return dt.timedelta(days=days)

    @property
    def listen(self) -> str:
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"{host}:{self.listen_port}"


def parse_listen(value: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` into (host, port); a bad value raises ValueError."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d+)|([^:\[\]]+):(\d+)", value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not HOST:PORT (e.g. {DEFAULT_LISTEN} or [::1]:9464)")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range 1..65535")
    if match.group(1):
        ipaddress.IPv6Address(host)
    return host, port


def load_settings(path: str | Path | None) -> Settings:
    """Read and check ``path`` (None: the defaults); raise ``SettingsError`` listing every
    problem found."""
    if path is None:
        return Settings()
    path = Path(path)
    text, data = read_toml(path, SettingsError)
    locator = LineLocator(text)
    try:
        parsed = SettingsFile.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_describe(path, locator, exc)) from None
    return _build(path, locator, parsed)


def _describe(path: Path, locator: LineLocator, exc: ValidationError) -> list[str]:
    problems: list[tuple[int, str]] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        line = locator.line_of(loc)
        where = f"{path}:{line}" if line else str(path)
        if error["type"] == "extra_forbidden":
            key = str(loc[-1])
            parent = ".".join(str(p) for p in loc[:-1])
            known = _known_keys(loc[:-1])
            # A huge key would make difflib slow; no real key is that long.
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6) if len(key) < 100 else []
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
            text = f"{where}: {parent + ': ' if parent else ''}unknown key {key!r}; {hint}"
        else:
            key = ".".join(str(p) for p in loc)
            message = str(error["msg"]).removeprefix("Value error, ")
            text = f"{where}: {key}: {message}"
        problems.append((line or 0, text))
    return [text for _line, text in sorted(problems, key=lambda p: p[0])]


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = SettingsFile
    for part in loc:
        annotation = model.model_fields.get(str(part))
        target = getattr(annotation, "annotation", None) if annotation else None
        if not (isinstance(target, type) and issubclass(target, BaseModel)):
            return []
        model = target
    return list(model.model_fields)


def _build(path: Path, locator: LineLocator, parsed: SettingsFile) -> Settings:
    host, port = parse_listen(parsed.metrics.listen)
    base = path.parent
    web = WebConfig()
    if parsed.metrics.web_config:
        web_path = _relative(base, parsed.metrics.web_config)
        line = locator.line_of(("metrics", "web_config"))
        web = load_web_config(web_path, referenced_from=f"{path}:{line}" if line else str(path))
    return Settings(
        path=path,
        inventory=_relative(base, parsed.inventory) if parsed.inventory else None,
        store_url=parsed.store_url,
        allow_unreadable_secrets=parsed.allow_unreadable_secrets,
        maintenance=frozenset(parsed.maintenance),
        listen_host=host,
        listen_port=port,
        web=web,
        interfaces=parsed.metrics.interfaces,
        interface_names=frozenset(parsed.metrics.interface_names),
        intervals=parsed.intervals.model_dump(),
        jitter=parsed.scheduler.jitter,
        snmp_concurrency=parsed.scheduler.snmp_concurrency,
        ssh_concurrency=parsed.scheduler.ssh_concurrency,
        job_timeout=parsed.scheduler.job_timeout,
        backoff_max=parsed.scheduler.backoff_max,
        health_retry=parsed.scheduler.health_retry,
        staleness_days=parsed.staleness.model_dump(),
        licence_warning_days=parsed.licences.warning_days,
        raw_retention_days=parsed.retention.raw_days,
        rollup_retention_days=parsed.retention.rollup_days,
        interface_hourly_retention_days=parsed.retention.interface_hourly_days,
        kinds=KindSwitches(
            frozenset(parsed.collectors.off),
            {k: frozenset(v) for k, v in parsed.collectors.vendors.items()},
            {k: frozenset(v) for k, v in parsed.collectors.devices.items()},
        ),
        shard=ShardSettings(**parsed.shard.model_dump()),
    )


def _relative(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base / candidate


# -- Prometheus web configuration (YAML) -----------------------------------------------------
_TLS_KEYS = ("cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version")
_CLIENT_AUTH_TYPES = ("NoClientCert", "RequireAndVerifyClientCert", "VerifyClientCertIfGiven")
_TLS_VERSIONS = ("TLS12", "TLS13")
_BCRYPT = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")


def load_web_config(path: Path, referenced_from: str = "") -> WebConfig:
    """Read a Prometheus web-config file; every problem names the file, line and key."""
    import yaml

    prefix = f" (web_config of {referenced_from})" if referenced_from else ""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"{path}: cannot read{prefix}: {error.strerror}") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or str(error)
        raise SettingsError(f"{where}: YAML syntax error: {problem}") from None
    checker = _WebConfigChecker(path)
    result = checker.check(root)
    if checker.problems:
        raise SettingsError(checker.problems)
    return result


class _WebConfigChecker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def problem(self, node: Any, key: str, message: str) -> None:
        self.problems.append(f"{self.path}:{node.start_mark.line + 1}: {key}: {message}")

    def mapping(self, node: Any, key: str) -> list[tuple[Any, Any]]:
        import yaml

        if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~")):
            return []
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, key or "web config", "must be a mapping")
            return []
        return list(node.value)

    def scalar(self, node: Any, key: str) -> str | None:
        import yaml

        if not isinstance(node, yaml.ScalarNode) or not node.value:
            self.problem(node, key, "must be a non-empty string")
            return None
        return str(node.value)

    def check(self, root: Any) -> WebConfig:
        values: dict[str, Any] = {"path": self.path}
        users: list[BasicAuthUser] = []
        for key_node, value_node in self.mapping(root, ""):
            key = key_node.value
            if key == "tls_server_config":
                values.update(self.tls(value_node))
            elif key == "basic_auth_users":
                for user_node, hash_node in self.mapping(value_node, key):
                    hashed = self.scalar(hash_node, f"{key}.{user_node.value}")
                    if hashed is None:
                        continue
                    if not _BCRYPT.match(hashed):
                        self.problem(
                            hash_node,
                            f"{key}.{user_node.value}",
                            "not a bcrypt hash "
                            "(make one with `htpasswd -nBC 10 USER` or python bcrypt)",
                        )
                        continue
                    users.append(BasicAuthUser(str(user_node.value), hashed))
            elif key == "http_server_config":
                # HTTP/2 and response headers: nothing for netmon's small server to apply.
                continue
            else:
                known = "tls_server_config, basic_auth_users, http_server_config"
                self.problem(key_node, key, f"unknown key; known: {known}")
        values["users"] = tuple(users)
        if bool(values.get("cert_file")) != bool(values.get("key_file")):
            self.problem(root, "tls_server_config", "cert_file and key_file go together")
        return WebConfig(**values)

    def tls(self, node: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key_node, value_node in self.mapping(node, "tls_server_config"):
            key = key_node.value
            name = f"tls_server_config.{key}"
            if key not in _TLS_KEYS:
                close = difflib.get_close_matches(key, _TLS_KEYS, n=1) if len(key) < 100 else []
                hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(_TLS_KEYS)}"
                self.problem(key_node, name, f"unknown key; {hint}")
                continue
            value = self.scalar(value_node, name)
            if value is None:
                continue
            if key.endswith("_file"):
                file = _relative(self.path.parent, value)
                if not file.is_file():
                    self.problem(value_node, name, f"{file} does not exist")
                found[key] = file
            elif key == "client_auth_type" and value not in _CLIENT_AUTH_TYPES:
                self.problem(value_node, name, f"{value!r}; known: {', '.join(_CLIENT_AUTH_TYPES)}")
            elif key == "min_version" and value not in _TLS_VERSIONS:
                self.problem(value_node, name, f"{value!r}; known: {', '.join(_TLS_VERSIONS)}")
            else:
                found[key] = value
        return found
