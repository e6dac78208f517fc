"""/metrics: the families of docs/metrics.md rendered from in-memory state, served over HTTP
(plain, and with TLS and basic auth as configured by a Prometheus web-config file)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt
import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agent.inventory import Device, SecretRef, SnmpSettings, SshSettings
from agent.metrics import MetricsServer, build_registry
from agent.self_metrics import JobAccounting, SelfCollector
from agent.settings import BasicAuthUser, WebConfig
from agent.state import FleetState
from collectors.base import Component, HealthSnapshot, Identity, Interface, Sensor

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
NOW = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)


def documented() -> dict[str, tuple[str, set[str]]]:
    """metric name -> (type, label set) from the tables of docs/metrics.md."""
    table = re.compile(r"^\| `(netmon_[a-z_]+)` \| (gauge|counter) \| ([^|]*) \|", re.M)
    return {
        name: (kind, {label.strip() for label in labels.split(",") if label.strip()})
        for name, kind, labels in table.findall(DOCS.read_text(encoding="utf-8"))
    }


def device(name: str, vendor: str = "h3c", model: str = "S5500") -> Device:
    return Device(
        name=name,
        vendor=vendor,
        model=model,
        kind="switch",
        site="headquarters",
        services=("hardware",),
        address="192.0.2.10",
        snmp=SnmpSettings(version="2c", community=SecretRef("env", "X")),
        ssh=SshSettings(port=22, username="netmon", password=SecretRef("env", "Y")),
    )


def healthy(name: str) -> HealthSnapshot:
    return HealthSnapshot(
        device=name,
        collected_at=NOW,
        reachable=True,
        snmp_rtt_seconds=0.004,
        uptime_seconds=86400.0,
        cpu_ratio=0.25,
        memory_ratio=None,  # memory not read
        temperatures=[Sensor("board", 41.0)],
        fans=[
            Component("Fan 1", "ok", "1"),
            Component("Fan 2", "failed", "2"),
            Component("Fan 3", "absent", "3"),
        ],
        power_supplies=[Component("PSU 1", "ok", "1"), Component("PSU 2", "unknown", "9")],
        interfaces=[
            Interface(1, "GE1/0/1", True, 1_000_000_000, 10, 20, 0, 1, 2, 3),
            Interface(2, "GE1/0/2", False, None, None, None, None, None, None, None),
        ],
        sessions=1200,
        new_sessions_per_second=None,
        ha_role="standby",
        identity=Identity(sys_descr="H3C Switch S5500 Software Version 5.20, Release 2220P02"),
        unreadable={"memory": "noSuchObject"},
    )


def filled_state() -> FleetState:
    state = FleetState()
    state.set_devices([device("sw-1"), device("sw-2"), device("fw-1", "topsec", "NGFW4000")])
    state.set_intervals({"health": 30.0})
    state.set_maintenance(["sw-2"])
    state.set_uplinks([("sw-1", "GE1/0/1")])
    state.update_health(healthy("sw-1"))
    state.update_health(
        HealthSnapshot("sw-2", NOW, reachable=False, unreadable={"snmp": "timeout: no answer"})
    )
    state.record_run(
        "sw-1", "health", started_at=NOW, duration_seconds=0.1, success=True, error_reason="partial"
    )
    state.record_run(
        "sw-2",
        "health",
        started_at=NOW,
        duration_seconds=4.0,
        success=False,
        error_reason="timeout",
    )
    state.record_run(
        "sw-2",
        "health",
        started_at=NOW,
        duration_seconds=4.0,
        success=False,
        error_reason="timeout",
    )
    state.update_config("fw-1", True, NOW, NOW - dt.timedelta(days=3))
    state.update_signatures(
        "fw-1",
        [("ips", "5.6.10", dt.date(2026, 11, 1), NOW, True)],
        [("ips", dt.date(2027, 1, 31)), ("av", None)],
    )
    state.update_health(HealthSnapshot("gone", NOW, reachable=True))  # not in the fleet
    return state


def samples(state: FleetState) -> dict[str, list[tuple[dict[str, str], float]]]:
    registry = build_registry(state, version="9.9")
    # netmon's own series (jobs, display names) render from the daemon's accounting.
    registry.register(SelfCollector(JobAccounting(), state))
    text = generate_latest(registry).decode()
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(found: dict, name: str, **labels: str) -> float | None:
    for sample_labels, sample_value in found.get(name, []):
        if all(sample_labels.get(k) == v for k, v in labels.items()):
            return sample_value
    return None


def test_every_rendered_series_is_documented_with_exactly_its_labels() -> None:
    docs = documented()
    assert len(docs) >= 39  # the table parser found every table
    found = samples(filled_state())
    for name, rows in found.items():
        if name.startswith("netmon_poll_duration_seconds"):
            # a histogram: its _bucket/_count/_sum samples; the table row says "histogram"
            assert "| `netmon_poll_duration_seconds` | histogram | collector |" in (
                DOCS.read_text(encoding="utf-8")
            )
            continue
        assert name in docs, f"{name} is not in docs/metrics.md"
        for labels, _ in rows:
            assert set(labels) == docs[name][1], (name, labels)
    # Everything a healthy, configured, signature-carrying fleet produces is there.
    expected_absent = {
        "netmon_disk_usage_ratio",  # no audit box in this state
        "netmon_new_sessions_per_second",
        "netmon_memory_usage_ratio",  # not read in this state
    }
    assert set(docs) - set(found) == expected_absent


def test_values_labels_and_absent_readings() -> None:
    found = samples(filled_state())
    assert value(found, "netmon_build_info", version="9.9") == 1
    # The NGFW4000's capacity comes from its profile (models.toml max_sessions); switches have none.
    assert value(found, "netmon_sessions_limit", device="fw-1") == 1_000_000
    assert value(found, "netmon_sessions_limit", device="sw-1") is None
    assert value(found, "netmon_device_up", device="sw-1") == 1
    assert value(found, "netmon_device_up", device="sw-2") == 0
    # fw-1 was never polled: no up series at all, but its info and maintenance are there.
    assert value(found, "netmon_device_up", device="fw-1") is None
    assert (
        value(
            found,
            "netmon_device_info",
            device="sw-1",
            software_version="5.20",
            vendor="h3c",
            model="S5500",
            kind="switch",
            site="headquarters",
            address="192.0.2.10",
        )
        == 1
    )
    assert value(found, "netmon_device_info", device="fw-1", software_version="") == 1
    assert value(found, "netmon_device_maintenance", device="sw-2") == 1
    assert value(found, "netmon_device_maintenance", device="sw-1") == 0
    # Not read -> no series, never 0.
    assert value(found, "netmon_memory_usage_ratio", device="sw-1") is None
    assert value(found, "netmon_cpu_usage_ratio", device="sw-1") == 0.25
    assert value(found, "netmon_cpu_usage_ratio", device="sw-2") is None  # unreachable
    assert value(found, "netmon_interface_speed_bytes_per_second", interface="GE1/0/2") is None
    assert value(found, "netmon_interface_up", device="sw-1", interface="GE1/0/2") == 0
    assert value(found, "netmon_interface_receive_bytes_total", interface="GE1/0/1") == 10
    assert value(found, "netmon_interface_transmit_discards_total", interface="GE1/0/1") == 3
    assert value(found, "netmon_interface_uplink", device="sw-1", interface="GE1/0/1") == 1
    # Fans and PSUs: failed and unknown are 0, absent has no series.
    assert value(found, "netmon_fan_ok", fan="Fan 1") == 1
    assert value(found, "netmon_fan_ok", fan="Fan 2") == 0
    assert value(found, "netmon_fan_ok", fan="Fan 3") is None
    assert value(found, "netmon_power_supply_ok", psu="PSU 2") == 0
    assert value(found, "netmon_temperature_celsius", device="sw-1", sensor="board") == 41
    assert value(found, "netmon_ha_role", device="sw-1", role="standby") == 1
    assert value(found, "netmon_ha_role", device="sw-1", role="active") == 0
    assert value(found, "netmon_device_uptime_seconds", device="sw-1") == 86400
    # Configuration and signatures.
    assert value(found, "netmon_config_drift", device="fw-1") == 1
    assert value(found, "netmon_config_last_change_timestamp_seconds") == NOW.timestamp()
    assert value(found, "netmon_signature_info", library="ips", version="5.6.10") == 1
    assert value(found, "netmon_signature_stale", library="ips") == 1
    assert value(found, "netmon_signature_release_timestamp_seconds", library="ips") == (
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()
    )
    assert value(found, "netmon_licence_expiry_timestamp_seconds", licence="ips") == (
        dt.datetime(2027, 1, 31, tzinfo=dt.UTC).timestamp()
    )
    assert value(found, "netmon_licence_expiry_timestamp_seconds", licence="av") is None
    # Collectors.
    assert value(found, "netmon_collector_errors_total", device="sw-2", reason="timeout") == 2
    assert value(found, "netmon_collector_errors_total", device="sw-1", reason="partial") == 1
    assert value(found, "netmon_collector_last_success_timestamp_seconds", device="sw-2") is None
    assert value(found, "netmon_collector_last_run_timestamp_seconds", device="sw-2") == (
        NOW.timestamp()
    )
    assert value(found, "netmon_collector_interval_seconds", collector="health") == 30
    # A result for a device that is not in the fleet does not appear.
    assert value(found, "netmon_device_up", device="gone") is None


def test_reload_keeps_collected_state_and_drops_removed_devices() -> None:
    state = filled_state()
    state.set_devices([device("sw-1")])
    found = samples(state)
    assert value(found, "netmon_device_up", device="sw-1") == 1
    assert value(found, "netmon_device_info", device="sw-2") is None


# -- HTTP ------------------------------------------------------------------------------------
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netmon test")])
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def fetch(
    url: str, context: ssl.SSLContext | None = None, auth: tuple[str, str] | None = None
) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_plain_http_server_on_loopback() -> None:
    server = MetricsServer(build_registry(filled_state()), "127.0.0.1", 0).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        status, body = fetch(server.url)
        assert status == 200 and 'netmon_device_up{device="sw-1"} 1.0' in body
        assert fetch(server.url.replace("/metrics", "/nothing"))[0] == 404
    finally:
        server.stop()


def test_tls_and_basic_auth(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    web = WebConfig(
        path=tmp_path / "web.yml",
        cert_file=cert_file,
        key_file=key_file,
        users=(BasicAuthUser("prometheus", hashed),),
    )
    server = MetricsServer(build_registry(filled_state()), "127.0.0.1", 0, web).start()
    trusted = ssl.create_default_context(cafile=str(cert_file))
    try:
        assert server.url.startswith("https://")
        assert fetch(server.url, trusted)[0] == 401
        assert fetch(server.url, trusted, ("prometheus", "wrong"))[0] == 401
        assert fetch(server.url, trusted, ("nobody", "s3cret"))[0] == 401
        status, body = fetch(server.url, trusted, ("prometheus", "s3cret"))
        assert status == 200 and "netmon_device_up" in body
        # Remembered credentials still have to match exactly.
        assert fetch(server.url, trusted, ("prometheus", "s3cret"))[0] == 200
        assert fetch(server.url, trusted, ("prometheus", "s3cret!"))[0] == 401
        # Plain HTTP against the TLS listener gets nothing.
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(server.url.replace("https", "http"), timeout=5)
        # A client that does not trust the certificate refuses the server.
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(server.url, context=ssl.create_default_context(), timeout=5)
    finally:
        server.stop()


def test_uplinks_come_from_the_inventory() -> None:
    from agent.inventory import load_inventory

    inventory = load_inventory(Path(__file__).resolve().parents[2] / "inventory.toml")
    state = FleetState()
    state.set_devices(inventory.devices)
    uplinks = state.view().uplinks
    assert ("h3c-s5500-01", "GigabitEthernet1/0/28") in uplinks
    assert ("huawei-s5700-01", "GigabitEthernet0/0/27") in uplinks
    assert not any(device.startswith("topsec") for device, _ in uplinks)
