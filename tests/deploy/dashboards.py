"""What the deploy/ files ask of Prometheus: dashboard queries, rule expressions, metric names.

Shared by tests/deploy (static checks) and the end-to-end test, which runs every dashboard query
against a real Prometheus scraping a real netmon:

    from dashboards import dashboard_queries          # tests/deploy on sys.path
    for query in dashboard_queries():
        promql = query.concrete({"device": "topsec-ngfw4000-01"})

No PromQL parser is available in Python, so metric names are found with a small tokenizer that
is exact for the subset of PromQL used here (string literals, label matchers, ranges and
by/on label lists are removed before identifiers are read; an identifier followed by "(" is a
function or an aggregation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARD_DIR = DEPLOY / "grafana" / "dashboards"
RULES_DIR = DEPLOY / "prometheus" / "rules"
METRICS_DOC = ROOT / "docs" / "metrics.md"

# Series Prometheus makes itself: alert state and per-target scrape health.
BUILTIN_METRICS = frozenset(
    {
        "ALERTS",
        "ALERTS_FOR_STATE",
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        # prometheus_client's process collector (agent/self_metrics.py registers it)
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    }
)
# Labels that Prometheus or the rules add to every series or alert.
BUILTIN_LABELS = frozenset(
    {"__name__", "job", "instance", "alertname", "alertstate", "severity", "failure"}
)

# Values for Grafana's own variables and the dashboards' "All" selections.
DEFAULT_VARIABLES: Mapping[str, str] = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "__range_s": "3600",
    "site": ".*",
    "vendor": ".*",
    "kind": ".*",
}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{([^{}]*)\}")
_MATCHER_LABEL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_:.$])[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
     "bool", "offset", "inf", "nan", "Inf", "NaN"}
)  # fmt: skip
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
_TABLE_ROW = re.compile(r"^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|\s*(\w+)\s*\|([^|]*)\|")


@dataclass(frozen=True)
class DashboardQuery:
    """One PromQL target of one dashboard panel."""

    dashboard: str
    dashboard_uid: str
    panel: str
    panel_id: int
    ref_id: str
    expr: str
    instant: bool

    def concrete(self, variables: Mapping[str, str] | None = None) -> str:
        """The query with Grafana variables replaced, ready for Prometheus' API."""
        return substitute_variables(self.expr, variables)

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} [{self.ref_id}]"


def substitute_variables(expr: str, variables: Mapping[str, str] | None = None) -> str:
    """Replace $var, ${var} and [[var]]; an unknown variable is an error naming it."""
    values = {**DEFAULT_VARIABLES, **(variables or {})}

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name not in values:
            raise ValueError(f"no value for dashboard variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def load_dashboards() -> dict[Path, dict[str, Any]]:
    return {
        path: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARD_DIR.glob("*.json"))
    }


def iter_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in panels:
        yield panel
        yield from iter_panels(panel.get("panels", []))


def dashboard_queries() -> list[DashboardQuery]:
    """Every PromQL query of every provisioned dashboard (template variable queries excluded)."""
    queries = []
    for dashboard in load_dashboards().values():
        for panel in iter_panels(dashboard.get("panels", [])):
            for target in panel.get("targets", []):
                if not target.get("expr"):
                    continue
                queries.append(
                    DashboardQuery(
                        dashboard=dashboard["title"],
                        dashboard_uid=dashboard["uid"],
                        panel=panel.get("title", ""),
                        panel_id=panel["id"],
                        ref_id=target.get("refId", ""),
                        expr=target["expr"],
                        instant=bool(target.get("instant")),
                    )
                )
    return queries


def variable_queries() -> list[tuple[str, str, str]]:
    """(dashboard title, variable name, query) of every query-type template variable."""
    found = []
    for dashboard in load_dashboards().values():
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") != "query":
                continue
            query = variable.get("query")
            if isinstance(query, dict):
                query = query.get("query", "")
            found.append((dashboard["title"], variable["name"], query))
    return found


def load_rules() -> list[dict[str, Any]]:
    rules = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            rules.extend(group["rules"])
    return rules


def annotation_queries(rule: dict[str, Any]) -> list[str]:
    """PromQL inside an alert's annotation templates (the `...` of printf ... | query)."""
    found = []
    for text in rule.get("annotations", {}).values():
        found.extend(re.findall(r"printf\s+`([^`]*)`[^}]*\|\s*query", text))
    return [query.replace("%s", "x") for query in found]


def documented_metrics(doc: Path = METRICS_DOC) -> dict[str, set[str]]:
    """Metric name -> its labels, from the tables of docs/metrics.md."""
    metrics: dict[str, set[str]] = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        match = _TABLE_ROW.match(line.strip())
        if match:
            name, kind, labels = match.groups()
            metrics[name] = {label.strip() for label in labels.split(",") if label.strip()}
            if kind == "histogram":  # the series a histogram is made of
                metrics[f"{name}_bucket"] = metrics[name] | {"le"}
                metrics[f"{name}_count"] = metrics[f"{name}_sum"] = metrics[name]
    return metrics


def _without_strings(expr: str) -> str:
    return _STRING.sub('""', expr)


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression reads."""
    text = _without_strings(expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _LABEL_LIST.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        word = match.group(0)
        rest = text[match.end() :].lstrip()
        if word in _KEYWORDS or rest.startswith("("):
            continue
        names.add(word)
    return names


def label_names(expr: str) -> set[str]:
    """Label names a PromQL expression matches on or groups by."""
    text = _without_strings(expr)
    labels = set()
    for body in _MATCHERS.findall(text):
        labels.update(_MATCHER_LABEL.findall(body))
    for body in _LABEL_LIST.findall(text):
        labels.update(label.strip() for label in body.split(",") if label.strip())
    return labels
