"""Every event kind the code writes is worded in both languages from its kind and details;
documents never print the stored (English) message."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from english import english_words

from agent.event_kinds import EVENT_KINDS, is_informational
from agent.reports.event_text import event_text, kind_label
from agent.reports.period import month_period
from agent.reports.text import Text

ROOT = Path(__file__).resolve().parents[2]
PERIOD = month_period("2026-04", dt.UTC)

# Plausible details of each kind; the values are the data (versions, names), not wording.
SAMPLES: dict[str, dict[str, object]] = {
    "config-first-seen": {"version": 1, "sha256": "ab" * 32},
    "config-change": {"from": 1, "to": 2, "added": 1, "removed": 0, "secrets_changed": 0},
    "config-drift": {"version": 3, "reference": 2},
    "config-drift-cleared": {"version": 3},
    "config-approved": {"version": 3, "by": "运维主管", "reason": "工单 7"},
    "identity-mismatch": {"detected_model": "USG6550E", "sys_descr": "Huawei", "sys_object_id": ""},
    "device-serial": {"serial": "210235A1BSH19C000123"},
    "device-replaced": {"serial": "210235A1BSH19C000999", "previous_serial": "210235A1BSH19C00012"},
    "signature-upgrade": {"library": "ips", "from_version": "5.6.10", "to_version": "5.6.11"},
    "signature-rollback": {
        "library": "av",
        "from_version": "2026.04.02",
        "to_version": "2026.04.01",
    },
    "licence-renewed": {
        "feature": "threat-subscription",
        "from_expiry": "2026-04-20",
        "to_expiry": "2027-04-20",
    },
    "licence-changed": {"feature": "base-system", "from_expiry": "2026-04-20", "to_expiry": None},
    "device-down": {},
    "fan-failed": {"component": "Fan 1"},
    "psu-failed": {"component": "Power Supply 2"},
    "cpu-high": {"value": 0.97},
    "interface-down": {"interface": "GigabitEthernet1/0/2"},
    "licence-expiring": {"feature": "threat-subscription", "expires_on": "2026-05-20"},
    "config-changed": {"unapproved": True},
}


def _literal_kinds(node: ast.expr, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literal_kinds(node.body, where) | _literal_kinds(node.orelse, where)
    raise AssertionError(f"{where}: the event kind is not a literal: {ast.unparse(node)}")


def emitted_kinds() -> dict[str, str]:
    """Every kind an ``add_event`` call in agent/ can write, with where it is written."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "agent").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
            if name != "add_event":
                continue
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            keyword = next((k.value for k in call.keywords if k.arg == "kind"), None)
            node = keyword if keyword is not None else call.args[1]
            for kind in _literal_kinds(node, where):
                found.setdefault(kind, where)
    return found


def test_every_written_kind_is_registered_and_every_registered_kind_is_written() -> None:
    written = emitted_kinds()
    assert len(written) >= 15  # the walk found the writers (drift, recorder, signatures, demo)
    unregistered = {kind: where for kind, where in written.items() if kind not in EVENT_KINDS}
    assert not unregistered, f"add these kinds to agent/event_kinds.py: {unregistered}"
    assert set(EVENT_KINDS) - set(written) == set(), "registered kinds nobody writes"
    assert set(SAMPLES) == set(EVENT_KINDS)


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_each_kind_reads_in_chinese_and_english(kind: str) -> None:
    details = SAMPLES[kind]
    values = {str(v) for v in details.values() if v is not None and not isinstance(v, bool)}
    zh = event_text(Text("zh", PERIOD), kind, details)
    en = event_text(Text("en", PERIOD), kind, details)
    for rendered in (zh, en):
        assert "{" not in rendered and "}" not in rendered, rendered
    # The full wording, not the fallback to the kind's name (unless the kind has no details).
    assert zh != kind_label(Text("zh", PERIOD), kind) or not EVENT_KINDS[kind].details, zh
    assert english_words(zh, values) == [], zh
    assert re.search(r"[\u4e00-\u9fff]", zh), zh
    assert not re.search(r"[\u4e00-\u9fff]", en.replace("运维主管", "").replace("工单", "")), en
    for key in EVENT_KINDS[kind].details:
        value = details.get(key)
        if isinstance(value, str) and key not in ("library",):
            assert value in zh, (key, zh)


def test_the_configuration_change_of_the_issue_reads_in_chinese() -> None:
    details = {"from": 1, "to": 2, "added": 1, "removed": 0, "secrets_changed": 0}
    zh = event_text(Text("zh", PERIOD), "config-change", details)
    assert zh == "配置变更：v1 → v2（新增 1 行，删除 0 行）"
    secrets = event_text(Text("zh", PERIOD), "config-change", {**details, "secrets_changed": 2})
    assert "2 处口令/密钥变更" in secrets


def test_words_chosen_from_details() -> None:
    zh = Text("zh", PERIOD)
    assert event_text(zh, "signature-upgrade", SAMPLES["signature-upgrade"]) == (
        "入侵防御特征库由 5.6.10 升级到 5.6.11"
    )
    assert "永久" in event_text(zh, "licence-changed", SAMPLES["licence-changed"])
    assert event_text(zh, "cpu-high", {"value": 97}) == "CPU 使用率过高（97%）"
    assert event_text(zh, "config-drift", {"version": 4, "reference": None}).endswith(
        "无参照配置（未审批）"
    )
    assert event_text(zh, "identity-mismatch", {"detected_model": None}) == (
        "设备识别结果与资产清单不符"
    )


def test_unknown_kinds_and_missing_details_fall_back_clearly() -> None:
    zh, en = Text("zh", PERIOD), Text("en", PERIOD)
    assert event_text(zh, "disk-full", {"x": 1}) == "未登记的事件类型（disk-full）"
    assert event_text(en, "disk-full", None) == "event of an unregistered kind (disk-full)"
    # An old event without the details: the kind's name, never a half-filled sentence.
    assert event_text(zh, "config-change", {}) == "配置变更"
    assert event_text(zh, "fan-failed", None) == "风扇故障"


def test_informational_kinds_are_not_problems() -> None:
    assert is_informational("config-first-seen", "info")
    assert is_informational("signature-upgrade", "warning")  # the kind decides, too
    assert not is_informational("config-change", "warning")
    assert is_informational("anything", "info")
