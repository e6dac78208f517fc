"""The daemon's configuration file: defaults, every key, and errors that name file/line/key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import bcrypt
import pytest

from agent.settings import SettingsError, load_settings, parse_listen


def write(tmp_path: Path, text: str, name: str = "netmon.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_documented_defaults() -> None:
    settings = load_settings(None)
    assert (settings.listen_host, settings.listen_port) == ("127.0.0.1", 9464)
    assert settings.intervals == {"health": 30.0, "config": 3600.0, "signatures": 14400.0}
    assert settings.staleness_limit("av") == dt.timedelta(days=7)
    assert settings.staleness_limit("IPS") == dt.timedelta(days=14)
    assert settings.staleness_limit("something-else") == dt.timedelta(days=30)
    assert settings.licence_warning_days == 30
    assert not settings.web.tls and not settings.web.users


def test_every_key_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
inventory = "fleet.toml"
store_url = "sqlite:////var/lib/netmon/other.db"
maintenance = ["h3c-s5500-02"]

[metrics]
listen = "[::1]:9999"

[intervals]
health = 45
config = 1800
signatures = 7200

[scheduler]
jitter = 3
snmp_concurrency = 10
ssh_concurrency = 2
job_timeout = 60
backoff_max = 300
health_retry = 5

[staleness]
av = 3
default = 21

[licences]
warning_days = 45
""",
    )
    settings = load_settings(path)
    assert settings.inventory == tmp_path / "fleet.toml"  # relative to the file
    assert settings.store_url == "sqlite:////var/lib/netmon/other.db"
    assert settings.maintenance == {"h3c-s5500-02"}
    assert (settings.listen_host, settings.listen_port) == ("::1", 9999)
    assert settings.listen == "[::1]:9999"
    assert settings.intervals == {"health": 45, "config": 1800, "signatures": 7200}
    assert (settings.jitter, settings.snmp_concurrency, settings.ssh_concurrency) == (3, 10, 2)
    assert (settings.job_timeout, settings.backoff_max) == (60, 300)
    assert settings.health_retry == 5
    assert settings.staleness_limit("av") == dt.timedelta(days=3)
    assert settings.staleness_limit("url") == dt.timedelta(days=30)
    assert settings.staleness_limit("other") == dt.timedelta(days=21)
    assert settings.licence_warning_days == 45


def test_errors_name_file_line_and_key_all_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """maintenance = ["a"]

[scheduler]
jiter = 5
snmp_concurrency = 0

[intervals]
health = "often"

[metrics]
listen = "localhost"
""",
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    errors = caught.value.errors
    assert len(errors) == 4, errors
    assert errors[0].startswith(f"{path}:4: scheduler: unknown key 'jiter'; did you mean 'jitter'")
    assert errors[1].startswith(f"{path}:5: scheduler.snmp_concurrency: ")
    assert errors[2].startswith(f"{path}:8: intervals.health: ")
    assert errors[3].startswith(f"{path}:11: metrics.listen: ")
    assert "HOST:PORT" in errors[3]


def test_unknown_top_level_key_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'inventroy = "x.toml"\n')
    with pytest.raises(
        SettingsError, match=r":1: unknown key 'inventroy'; did you mean 'inventory'"
    ):
        load_settings(path)
    with pytest.raises(SettingsError, match="no such file"):
        load_settings(tmp_path / "absent.toml")


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[metrics]\nlisten = 127.0.0.1:9464\n")
    with pytest.raises(SettingsError, match=rf"^{path}:2: TOML syntax error"):
        load_settings(path)


@pytest.mark.parametrize("value", ["127.0.0.1:0", "127.0.0.1:70000", "::1:9464", "host"])
def test_bad_listen_addresses(value: str) -> None:
    with pytest.raises(ValueError):
        parse_listen(value)


def test_web_config_tls_and_users(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("x")
    (tmp_path / "key.pem").write_text("x")
    hashed = bcrypt.hashpw(b"secret", bcrypt.gensalt(rounds=4)).decode()
    write(
        tmp_path,
        f"""tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
basic_auth_users:
  prometheus: {hashed}
""",
        "web.yml",
    )
    path = write(tmp_path, '[metrics]\nweb_config = "web.yml"\n')
    web = load_settings(path).web
    assert web.tls and web.cert_file == tmp_path / "cert.pem"
    assert [u.name for u in web.users] == ["prometheus"]
    assert hashed not in repr(web.users[0])


def test_web_config_errors_name_the_web_file_line_and_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        """tls_server_config:
  cert_file: missing.pem
  key_fiel: key.pem
basic_auth_users:
  prometheus: not-a-hash
extra: 1
""",
        "web.yml",
    )
    path = write(tmp_path, '[metrics]\nweb_config = "web.yml"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    text = str(caught.value)
    web = tmp_path / "web.yml"
    assert (
        f"{web}:2: tls_server_config.cert_file: {tmp_path / 'missing.pem'} does not exist" in text
    )
    assert f"{web}:3: tls_server_config.key_fiel: unknown key; did you mean 'key_file'?" in text
    assert f"{web}:5: basic_auth_users.prometheus: not a bcrypt hash" in text
    assert f"{web}:6: extra: unknown key" in text
    assert "cert_file and key_file go together" in text


def test_web_config_yaml_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "basic_auth_users:\n  a: [\n", "web.yml")
    path = write(tmp_path, '[metrics]\nweb_config = "web.yml"\n')
    with pytest.raises(SettingsError, match=r"web\.yml:\d+: YAML syntax error"):
        load_settings(path)


def test_the_shipped_example_configuration_loads() -> None:
    from agent.reports.settings import report_settings

    example = Path(__file__).resolve().parents[2] / "deploy" / "netmon.toml"
    settings = load_settings(example)
    assert settings.intervals["health"] == 30
    assert settings.listen_port == 9464
    assert report_settings(example).timezone == "Asia/Shanghai"


def test_retention_windows(tmp_path: Path) -> None:
    assert (load_settings(None).raw_retention_days, load_settings(None).rollup_retention_days) == (
        14,
        731,
    )
    settings = load_settings(write(tmp_path, "[retention]\nraw_days = 7\nrollup_days = 400\n"))
    assert (settings.raw_retention_days, settings.rollup_retention_days) == (7, 400)
    path = write(tmp_path, "[retention]\nraw_days = 30\nrollup_days = 7\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    (error,) = caught.value.errors
    assert error.startswith(f"{path}:") and "rollup_days must be at least raw_days" in error


def test_interface_hourly_window(tmp_path: Path) -> None:
    assert load_settings(None).interface_hourly_retention_days == 62
    settings = load_settings(write(tmp_path, "[retention]\ninterface_hourly_days = 35\n"))
    assert settings.interface_hourly_retention_days == 35
    path = write(tmp_path, "[retention]\ninterface_hourly_days = 0\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    (error,) = caught.value.errors
    assert error.startswith(f"{path}:") and "interface_hourly_days" in error


def test_health_retry_must_stay_below_half_the_outage_threshold(tmp_path: Path) -> None:
    """A retry as slow as 15 s plus a 15 s scrape would let one missed poll reach the 30 s
    `for:` of NetmonDeviceDown: refused, naming the line."""
    assert load_settings(write(tmp_path, "")).health_retry == 10
    path = write(tmp_path, "[scheduler]\nhealth_retry = 15\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    (error,) = caught.value.errors
    assert error.startswith(f"{path}:2: scheduler.health_retry: "), error
