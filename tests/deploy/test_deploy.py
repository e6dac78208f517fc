"""deploy/: systemd unit, Prometheus config and rules, Alertmanager example, Grafana dashboards.

The tools are the Debian packages the README's test command installs: promtool (prometheus),
amtool (prometheus-alertmanager), systemd-analyze (systemd). A test that needs a missing tool
skips, or fails under NETMON_TEST_STRICT=1.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from dashboards import (
    BUILTIN_LABELS,
    BUILTIN_METRICS,
    DEPLOY,
    METRICS_DOC,
    ROOT,
    annotation_queries,
    dashboard_queries,
    documented_metrics,
    iter_panels,
    label_names,
    load_dashboards,
    load_rules,
    metric_names,
    substitute_variables,
    variable_queries,
)

PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
RULES = DEPLOY / "prometheus" / "rules" / "netmon.rules.yml"
RULE_TESTS = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
ALERTMANAGER_TEMPLATE = DEPLOY / "alertmanager" / "templates" / "netmon.tmpl"
UNIT = DEPLOY / "systemd" / "netmon.service"
GRAFANA = DEPLOY / "grafana"
README = DEPLOY / "README.md"

REQUIRED_ALERTS = (
    "NetmonDeviceDown",
    "NetmonHighCpu",
    "NetmonHighMemory",
    "NetmonHighTemperature",
    "NetmonFanFailed",
    "NetmonPowerSupplyFailed",
    "NetmonUplinkDown",
    "NetmonSessionsNearLimit",
    "NetmonConfigDrift",
    "NetmonSignatureStale",
    "NetmonLicenceExpiring",
    "NetmonCollectorFailing",
    "NetmonIdentityMismatch",
    "NetmonDiskFull",
)
# Alerts about netmon itself rather than one device: no device join, no maintenance.
NOT_PER_DEVICE = {"NetmonDaemonDown", "NetmonFallingBehind", "NetmonStoreUnavailable"}
MAX_EXPOSURE = 2.0  # systemd-analyze security: 0 (locked down) .. 10 (unprotected)


def require_tool(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian package {package!r})"
        if os.environ.get("NETMON_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def alert_rules() -> list[dict[str, Any]]:
    return [rule for rule in load_rules() if "alert" in rule]


# --------------------------------------------------------------------------- Prometheus


def test_prometheus_config_is_valid() -> None:
    promtool = require_tool("promtool", "prometheus")
    result = run(promtool, "check", "config", PROMETHEUS_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout, "prometheus.yml must load netmon's rules"


def test_prometheus_config_scrapes_netmon_and_alerts_locally() -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    assert config["global"]["scrape_interval"] == "15s"
    netmon = next(job for job in config["scrape_configs"] if job["job_name"] == "netmon")
    assert netmon["static_configs"][0]["targets"] == ["127.0.0.1:9464"]
    managers = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert managers == ["127.0.0.1:9093"]
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                assert ipaddress.ip_address(target.rsplit(":", 1)[0]).is_loopback, target


def test_rules_are_valid() -> None:
    promtool = require_tool("promtool", "prometheus")
    result = run(promtool, "check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass() -> None:
    promtool = require_tool("promtool", "prometheus")
    assert RULE_TESTS, "no promtool rule tests under deploy/prometheus/tests"
    result = run(promtool, "test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]


def test_rule_unit_tests_catch_a_wrong_expectation(tmp_path: Path) -> None:
    """The rule tests are not vacuous: a changed threshold makes promtool fail."""
    promtool = require_tool("promtool", "prometheus")
    (tmp_path / "rules").mkdir()
    broken = RULES.read_text().replace("netmon_device_up == 0", "netmon_device_up == 2")
    assert broken != RULES.read_text()
    (tmp_path / "rules" / "netmon.rules.yml").write_text(broken)
    (tmp_path / "tests").mkdir()
    test_file = tmp_path / "tests" / "availability.yml"
    shutil.copy(DEPLOY / "prometheus" / "tests" / "availability.yml", test_file)
    result = run(promtool, "test", "rules", test_file)
    assert result.returncode != 0
    assert "NetmonDeviceDown" in result.stdout + result.stderr


def test_required_alerts_exist_with_severity_and_actionable_annotations() -> None:
    rules = alert_rules()
    names = {rule["alert"] for rule in rules}
    assert set(REQUIRED_ALERTS) <= names, set(REQUIRED_ALERTS) - names
    for rule in rules:
        where = f"alert {rule['alert']}"
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, where
        annotations = rule["annotations"]
        assert {"summary", "summary_zh", "description", "runbook"} <= set(annotations), where
        if rule["alert"] in NOT_PER_DEVICE:
            continue
        for key in ("summary", "summary_zh"):
            for label in ("device", "vendor", "model", "site"):
                assert f"$labels.{label}" in annotations[key], f"{where}: {key} lacks {label}"
        expr = rule["expr"]
        assert "group_left(vendor, model, kind, site) netmon_device_info" in expr, where
        assert "unless on(device) (netmon_device_maintenance == 1)" in expr, where


def readme_anchors(readme: Path = ROOT / "README.md") -> set[str]:
    """GitHub's anchors of the README's headings: lower case, punctuation dropped, spaces -."""
    anchors = set()
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#{1,6} (.+)", line)
        if match:
            slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
            anchors.add(slug)
    return anchors


def test_every_alert_links_a_runbook_section_that_exists() -> None:
    anchors = readme_anchors()
    assert "netmondevicedown" in anchors and "on-call-what-pages-what-waits" in anchors
    for rule in alert_rules():
        url = rule["annotations"].get("runbook_url", "")
        assert url.startswith("README.md#"), f"alert {rule['alert']}: runbook_url {url!r}"
        assert url.removeprefix("README.md#") in anchors, f"alert {rule['alert']}: {url}"


def test_severities_follow_the_contract() -> None:
    """Page for down, hardware and HA loss; a ticket for stale libraries and drift."""
    levels: dict[str, set[str]] = {}
    for rule in alert_rules():
        levels.setdefault(rule["alert"], set()).add(rule["labels"]["severity"])
    paging_alerts = ["NetmonDeviceDown", "NetmonFanFailed", "NetmonPowerSupplyFailed"]
    paging_alerts.append("NetmonHaLost")
    for paging in paging_alerts:
        assert levels[paging] == {"critical"}, paging
    for ticket in ("NetmonSignatureStale", "NetmonConfigDrift", "NetmonCollectorFailing"):
        assert levels[ticket] == {"warning"}, ticket


def test_collector_failures_of_a_dead_box_never_fire() -> None:
    """One page per dead box: the rule itself leaves out devices that do not answer, so the
    collector alert cannot reach anyone before NetmonDeviceDown (and inhibition) does."""
    for rule in alert_rules():
        if rule["alert"] == "NetmonCollectorFailing":
            assert "unless on(device) (netmon_device_up == 0)" in rule["expr"]


def test_times_in_alert_texts_are_beijing_time() -> None:
    text = RULES.read_text(encoding="utf-8")
    assert "humanizeTimestamp" not in text  # it writes "+0000 UTC"
    assert text.count("北京时间") >= 5
    template = ALERTMANAGER_TEMPLATE.read_text(encoding="utf-8")
    assert ".Local" not in template and "北京时间" in template


def test_device_down_reaches_alertmanager_within_two_minutes() -> None:
    """Health polls every 30 s, retried every 10 s while a box is silent: one missed poll
    must not page (the retry ends it well within `for:`), a dead box must within ~2 min
    (issue 14: `for: 30s`, the documents' outage threshold; tests/availability checks both)."""
    (rule,) = [rule for rule in alert_rules() if rule["alert"] == "NetmonDeviceDown"]
    assert rule["labels"]["severity"] == "critical"
    assert rule["for"] == "30s"


def test_licence_alert_levels() -> None:
    levels = {
        rule["labels"]["severity"]: rule["expr"]
        for rule in alert_rules()
        if rule["alert"] == "NetmonLicenceExpiring"
    }
    assert "<= 30" in levels["warning"] and "> 7" in levels["warning"]
    assert "<= 7" in levels["critical"]


def rule_test_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for path in RULE_TESTS:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in group.get("alert_rule_test", []):
                cases.append((path.name, group, check))
    return cases


def test_every_alert_has_firing_quiet_and_maintenance_tests() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    maintenance: set[str] = set()
    for _name, group, check in rule_test_cases():
        alertname = check["alertname"]
        expected = check.get("exp_alerts") or []
        (firing if expected else quiet).add(alertname)
        in_maintenance = {
            re.search(r'device="([^"]+)"', series["series"]).group(1)
            for series in group["input_series"]
            if series["series"].startswith("netmon_device_maintenance")
            and series["values"].startswith("1")
        }
        if in_maintenance:
            maintenance.add(alertname)
            for alert in expected:
                assert alert["exp_labels"].get("device") not in in_maintenance, alertname
        for alert in expected:
            assert alert.get("exp_annotations"), f"{alertname}: annotations not checked"
    names = {rule["alert"] for rule in alert_rules()}
    assert names <= firing, f"never seen firing: {names - firing}"
    assert names <= quiet, f"never seen quiet: {names - quiet}"
    per_device = names - NOT_PER_DEVICE
    assert per_device <= maintenance, f"maintenance never tested: {per_device - maintenance}"


def test_rule_expressions_use_documented_metrics_and_labels() -> None:
    documented = documented_metrics()
    known_labels = set().union(*documented.values()) | BUILTIN_LABELS
    for rule in load_rules():
        name = rule.get("alert") or rule.get("record")
        for expr in [rule["expr"], *annotation_queries(rule)]:
            unknown = metric_names(expr) - set(documented) - BUILTIN_METRICS
            assert not unknown, f"{name}: undocumented metrics {unknown} in {expr!r}"
            assert label_names(expr) <= known_labels, f"{name}: {label_names(expr) - known_labels}"


# --------------------------------------------------------------------------- metric names


def test_metric_doc_parses() -> None:
    documented = documented_metrics()
    text = METRICS_DOC.read_text()
    rows = len(re.findall(r"^\| `netmon_", text, re.M))
    histograms = len(re.findall(r"^\| `netmon_\w+` \| histogram \|", text, re.M))
    assert histograms >= 1  # netmon_poll_duration_seconds: _bucket, _count, _sum besides
    assert len(documented) == rows + 3 * histograms
    assert documented["netmon_device_info"] >= {"device", "vendor", "model", "kind", "site"}
    assert documented["netmon_collector_interval_seconds"] == {"collector"}


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('up{job="netmon"} == 0 or absent(up{job="netmon"})', {"up"}),
        ("rate(a_total[5m] offset 1h) * 8 > 1e3", {"a_total"}),
        (
            'sum by (device) (x) * on(device) group_left(site) y{site=~"$site"}',
            {"x", "y"},
        ),
        ('count(b{device="and"} == 1) or vector(0)', {"b"}),
        ("time() - c_seconds[$__rate_interval]", {"c_seconds"}),
    ],
)
def test_metric_name_extraction(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


# --------------------------------------------------------------------------- Alertmanager


def alertmanager_copy(tmp_path: Path, template: str | None = None) -> Path:
    """The example config with its template next to it, as it is installed."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "netmon.tmpl").write_text(
        template if template is not None else ALERTMANAGER_TEMPLATE.read_text()
    )
    config = tmp_path / "alertmanager.yml"
    shutil.copy(ALERTMANAGER_CONFIG, config)
    return config


def test_alertmanager_config_is_valid(tmp_path: Path) -> None:
    amtool = require_tool("amtool", "prometheus-alertmanager")
    result = run(amtool, "check-config", alertmanager_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 templates" in result.stdout


def test_alertmanager_check_rejects_a_broken_template(tmp_path: Path) -> None:
    amtool = require_tool("amtool", "prometheus-alertmanager")
    config = alertmanager_copy(tmp_path, template='{{ define "netmon.alert" }}{{ if }}')
    result = run(amtool, "check-config", config)
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=NetmonDeviceDown", "severity=critical"], "netmon-critical"),
        (["alertname=NetmonConfigDrift", "severity=warning"], "netmon-warning"),
        (["alertname=NetmonDeviceRebooted", "severity=info"], "netmon-info"),
        (["alertname=NetmonSignatureStale", "severity=warning", "device=a"], "netmon-warning"),
        (["alertname=NetmonLicenceExpiring", "severity=critical", "device=a"], "netmon-critical"),
    ],
)
def test_alertmanager_routes_by_severity(tmp_path: Path, labels: list[str], receiver: str) -> None:
    amtool = require_tool("amtool", "prometheus-alertmanager")
    config = alertmanager_copy(tmp_path)
    result = run(amtool, "config", "routes", "test", f"--config.file={config}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_alertmanager_pages_fast_and_device_down_inhibits_the_rest() -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    route = config["route"]
    assert route["group_by"] == ["alertname", "device"]
    critical = next(r for r in route["routes"] if r["matchers"] == ['severity="critical"'])
    assert critical["group_wait"] == "5s"  # issue 14: the page budget (rules file)
    receiver = next(r for r in config["receivers"] if r["name"] == critical["receiver"])
    assert {"wechat_configs", "email_configs", "webhook_configs"} <= set(receiver)
    inhibit = next(
        rule
        for rule in config["inhibit_rules"]
        if rule["source_matchers"] == ['alertname="NetmonDeviceDown"']
    )
    assert inhibit["equal"] == ["device"]
    assert 'alertname!="NetmonDeviceDown"' in inhibit["target_matchers"]


def test_alertmanager_example_sends_nothing_off_the_host() -> None:
    """Confidentiality: as shipped, every destination is on loopback."""
    text = ALERTMANAGER_CONFIG.read_text()
    config = yaml.safe_load(text)
    urls = re.findall(
        r"https?://[^\s\"']+", "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    )
    assert urls
    for url in urls:
        assert ipaddress.ip_address(urlsplit(url).hostname).is_loopback, url
    smarthost = config["global"]["smtp_smarthost"].rsplit(":", 1)[0]
    assert ipaddress.ip_address(smarthost).is_loopback


def test_alertmanager_templates_render_in_both_languages(tmp_path: Path) -> None:
    amtool = require_tool("amtool", "prometheus-alertmanager")
    glob = f"--template.glob={ALERTMANAGER_TEMPLATE}"
    for name in ("netmon.email.subject", "netmon.email.text", "netmon.wechat.message"):
        text = f'--template.text={{{{ template "{name}" . }}}}'
        result = run(amtool, "template", "render", glob, text)
        assert result.returncode == 0, f"{name}: {result.stderr}"
        assert "RESOLVED" in result.stdout or "FIRING" in result.stdout, name
    # amtool's sample alerts carry none of netmon's labels, but rendering each one exercises
    # the per-alert block (time formatting included).
    result = run(
        amtool,
        "template",
        "render",
        glob,
        '--template.text={{ range .Alerts }}{{ template "netmon.alert" . }}{{ end }}',
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("开始 Since:") == 2
    text = ALERTMANAGER_TEMPLATE.read_text()
    headings = ("设备 Device", "站点 Site", "厂商/型号 Vendor/model", "开始 Since", "处置 Runbook")
    for heading in headings:
        assert heading in text


# --------------------------------------------------------------------------- Grafana


def test_dashboards_load_with_unique_ids_and_the_provisioned_datasource() -> None:
    dashboards = load_dashboards()
    assert {d["uid"] for d in dashboards.values()} >= {
        "netmon-fleet",
        "netmon-device",
        "netmon-config",
        "netmon-signatures",
        "netmon-collectors",
    }
    assert len({d["uid"] for d in dashboards.values()}) == len(dashboards)
    for path, dashboard in dashboards.items():
        assert 36 <= dashboard["schemaVersion"] <= 39, path.name
        panels = list(iter_panels(dashboard["panels"]))
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["DS_PROMETHEUS"]["current"]["value"] == "prometheus"
        for panel in panels:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", f"{path.name}: {panel}"
            assert panel["targets"], f"{path.name}: panel {panel['title']!r} has no query"


def test_device_dashboard_has_a_device_variable() -> None:
    (device,) = [d for d in load_dashboards().values() if d["uid"] == "netmon-device"]
    variables = {v["name"]: v for v in device["templating"]["list"]}
    assert variables["device"]["query"]["query"] == "label_values(netmon_device_info, device)"
    exprs = [q.expr for q in dashboard_queries() if q.dashboard_uid == "netmon-device"]
    assert any("rate(netmon_interface_receive_bytes_total" in expr for expr in exprs)


def test_dashboard_queries_use_documented_metrics_and_labels() -> None:
    documented = documented_metrics()
    known_labels = set().union(*documented.values()) | BUILTIN_LABELS
    queries = dashboard_queries()
    assert len(queries) >= 60
    for query in queries:
        unknown = metric_names(query.expr) - set(documented) - BUILTIN_METRICS
        assert not unknown, f"{query}: undocumented metrics {unknown}"
        assert label_names(query.expr) <= known_labels, f"{query}: {query.expr}"
    for title, name, query in variable_queries():
        match = re.fullmatch(r"label_values\((\w+), (\w+)\)", query)
        assert match, f"{title} ${name}: {query}"
        assert match.group(1) in documented and match.group(2) in documented[match.group(1)]


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Every query, with its variables filled in, compiles (as a recording rule, for promtool)."""
    promtool = require_tool("promtool", "prometheus")
    rules = [
        {"record": f"dashboard:query_{index}", "expr": query.concrete({"device": "some-device"})}
        for index, query in enumerate(dashboard_queries())
    ]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run(promtool, "check", "rules", "--lint=none", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_query_helper_substitutes_variables() -> None:
    assert substitute_variables('x{device="$device"}[$__rate_interval]', {"device": "d1"}) == (
        'x{device="d1"}[1m]'
    )
    with pytest.raises(ValueError, match=r"\$device"):
        substitute_variables('x{device="${device}"}')
    query = next(q for q in dashboard_queries() if "$device" in q.expr)
    assert "$" not in query.concrete({"device": "d1"})
    assert query.dashboard and query.panel and query.ref_id


def test_grafana_provisioning() -> None:
    datasource = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "netmon-prometheus.yml").read_text()
    )["datasources"][0]
    assert datasource["uid"] == "prometheus" and datasource["type"] == "prometheus"
    assert ipaddress.ip_address(urlsplit(datasource["url"]).hostname).is_loopback
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "netmon.yml").read_text())[
        "providers"
    ][0]
    assert provider["type"] == "file" and provider["options"]["path"]


# --------------------------------------------------------------------------- systemd


def unit_settings(unit: Path = UNIT, section_name: str = "[Service]") -> dict[str, list[str]]:
    """Directive -> every value it is given in one section (repeated keys accumulate)."""
    settings: dict[str, list[str]] = {}
    section = None
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == section_name:
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def inventory_credentials(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["credential"]} if isinstance(node.get("credential"), str) else set()
        for value in node.values():
            found |= inventory_credentials(value)
        return found
    if isinstance(node, list):
        return set().union(*(inventory_credentials(item) for item in node)) if node else set()
    return set()


def test_unit_loads_every_credential_the_inventory_names() -> None:
    inventory = tomllib.loads((ROOT / "inventory.toml").read_text(encoding="utf-8"))
    wanted = inventory_credentials(inventory)
    assert {"snmp-community", "ssh-password-topsec", "ssh-password-huawei"} <= wanted
    loaded = {value.split(":", 1)[0] for value in unit_settings()["LoadCredential"]}
    assert loaded == wanted


def test_unit_hardening() -> None:
    settings = {key: values[-1] for key, values in unit_settings().items()}
    expected = {
        "Type": "notify",
        "ExecStart": "/usr/local/bin/netmon run --config /etc/netmon/netmon.toml",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "DynamicUser": "yes",
        "StateDirectory": "netmon",
        "StateDirectoryMode": "0700",
        "ConfigurationDirectory": "netmon",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
        "Restart": "on-failure",
    }
    for key, value in expected.items():
        assert settings.get(key) == value, key
    assert "@system-service" in unit_settings()["SystemCallFilter"]
    assert settings["WatchdogSec"]


def unit_for_verification(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at a binary that exists here (verify checks it)."""
    unit = tmp_path / "netmon.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/netmon", "/bin/true"))
    return unit


def test_unit_verifies(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", "systemd")
    unit = unit_for_verification(tmp_path)
    result = run(analyze, "verify", unit)
    assert result.returncode == 0, result.stderr
    complaints = [line for line in result.stderr.splitlines() if "netmon.service" in line]
    assert not complaints, complaints


def test_unit_exposure_is_low(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", "systemd")
    result = run(analyze, "security", "--offline=yes", "--no-pager", UNIT)
    match = re.search(r"Overall exposure level for netmon\.service: ([\d.]+)", result.stdout)
    if match is None and "offline" in result.stderr:
        message = f"this systemd-analyze has no --offline mode: {result.stderr.strip()}"
        if os.environ.get("NETMON_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip(message)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) < MAX_EXPOSURE, result.stdout
    readme_figure = re.search(r"exposure[^\d]*([\d.]+)", README.read_text())
    assert readme_figure and readme_figure.group(1) == match.group(1), (
        "deploy/README.md must state the measured exposure"
    )


# --------------------------------------------------------------------------- report timers

REPORT_SERVICES = sorted((DEPLOY / "systemd").glob("netmon-report-*.service"))
REPORT_TIMERS = sorted((DEPLOY / "systemd").glob("netmon-report-*.timer"))
# The daemon's sandbox, from NoNewPrivileges to the end of [Service]: the report services must
# carry every line of it unchanged (what differs is said above the sandbox in each unit).
SANDBOX_START = "NoNewPrivileges"


def sandbox(unit: Path) -> dict[str, list[str]]:
    settings = unit_settings(unit)
    keys = list(settings)
    return {key: settings[key] for key in keys[keys.index(SANDBOX_START) :]}


def test_report_units_exist_for_every_scheduled_document() -> None:
    from agent.cli import build_parser

    assert [unit.name for unit in REPORT_SERVICES] == [
        "netmon-report-daily.service",
        "netmon-report-monthly.service",
    ]
    kinds = []
    for unit in REPORT_SERVICES:
        for command in unit_settings(unit)["ExecStart"]:
            argv = shlex.split(command)
            assert argv[0] == "/usr/local/bin/netmon"
            args = build_parser().parse_args(argv[1:])  # the options exist and parse
            assert args.command == "report" and args.format == "docx"
            kinds.append(args.kind)
    assert sorted(kinds) == ["daily", "maintenance", "monthly", "upgrades"]


def test_report_units_share_the_daemons_identity_and_sandbox() -> None:
    daemon = unit_settings()
    for unit in REPORT_SERVICES:
        settings = unit_settings(unit)
        assert sandbox(unit) == sandbox(UNIT), unit.name
        for key in ("DynamicUser", "User", "Group", "ConfigurationDirectory", "UMask"):
            assert settings[key] == daemon[key], (unit.name, key)
        assert settings["StateDirectory"] == ["netmon netmon/reports"]
        assert settings["WorkingDirectory"] == ["%S/netmon/reports"]
        assert settings["Type"] == ["oneshot"]
        assert "LoadCredential" not in settings  # reads the store only: no device secret


def test_report_timers_are_valid_and_persistent() -> None:
    analyze = require_tool("systemd-analyze", "systemd")
    assert [timer.stem for timer in REPORT_TIMERS] == [unit.stem for unit in REPORT_SERVICES]
    for timer in REPORT_TIMERS:
        settings = unit_settings(timer, "[Timer]")
        assert settings["Persistent"] == ["true"]
        assert settings["Unit"] == [f"{timer.stem}.service"]
        (calendar,) = settings["OnCalendar"]
        assert calendar.endswith("Asia/Shanghai")  # the agency's day, whatever the host's zone
        result = run(analyze, "calendar", calendar)
        assert result.returncode == 0, result.stderr
        assert unit_settings(timer, "[Install]")["WantedBy"] == ["timers.target"]


def test_report_units_verify_with_low_exposure(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", "systemd")
    for unit in [*REPORT_SERVICES, *REPORT_TIMERS]:
        text = unit.read_text().replace("/usr/local/bin/netmon", "/bin/true")
        (tmp_path / unit.name).write_text(text)
    names = [str(tmp_path / unit.name) for unit in [*REPORT_SERVICES, *REPORT_TIMERS]]
    result = run(analyze, "verify", *names)
    assert result.returncode == 0, result.stderr
    complaints = [line for line in result.stderr.splitlines() if "netmon-report" in line]
    assert not complaints, complaints
    for unit in REPORT_SERVICES:
        result = run(analyze, "security", "--offline=yes", "--no-pager", unit)
        match = re.search(rf"Overall exposure level for {unit.name}: ([\d.]+)", result.stdout)
        assert match, result.stdout + result.stderr
        assert float(match.group(1)) < MAX_EXPOSURE, result.stdout


def _mdwe_supported() -> bool:
    probe = run(sys.executable, "-c", textwrap.dedent(MDWE_PRELUDE) + "print('ok')")
    return probe.returncode == 0


MDWE_PRELUDE = """
    import ctypes, sys
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        sys.exit(3)
"""


def test_cpython_and_netmon_run_under_memory_deny_write_execute() -> None:
    """MemoryDenyWriteExecute=yes: netmon's imports and a CLI command work with W^X enforced.

    The kernel's PR_SET_MDWE (Linux 6.3+) enforces the same rule as systemd's seccomp filter."""
    if not hasattr(ctypes, "CDLL") or not _mdwe_supported():
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+) to enforce W^X on a process")
    program = textwrap.dedent(MDWE_PRELUDE) + textwrap.dedent(
        """
        import mmap
        try:
            mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        except OSError:
            pass
        else:
            sys.exit("W^X is not enforced")
        import asyncssh, netmiko, pysnmp.hlapi.v3arch.asyncio, sqlalchemy, textfsm
        import prometheus_client
        from agent.cli import main
        asyncssh.generate_private_key("ssh-ed25519")
        sys.exit(main(["check", "inventory.toml"]))
        """
    )
    result = run(sys.executable, "-c", program, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def test_readme_explains_each_piece() -> None:
    text = README.read_text()
    for piece in ("netmon.service", "prometheus.yml", "promtool", "alertmanager.yml", "Grafana"):
        assert piece in text, piece


def test_fleet_wide_conditions_are_one_message_not_one_per_device() -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    (fleet,) = [
        route
        for route in config["route"]["routes"]
        if "NetmonSignatureStale" in " ".join(route.get("matchers", []))
    ]
    assert "NetmonLicenceExpiring" in " ".join(fleet["matchers"])
    assert "device" not in fleet["group_by"]
    assert fleet["group_by"] == ["alertname", "severity"]
    # the fleet's polls are spread over the interval: wait for all of them before the first
    assert fleet["group_wait"] == "2m"
