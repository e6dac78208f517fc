"""What a document's process imports: not the SSH stack, the settings schema or pyplot, and
matplotlib only for the monthly report's charts (issue 10: start-up was most of a report's
time). Checked in a fresh interpreter, as ``netmon report`` runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEVER = {"napalm", "netmiko", "paramiko", "pydantic", "matplotlib.pyplot"}
# What ``netmon report`` imports for every kind, then what the kind adds.
COMMON = (
    "agent.commands.report",
    "agent.reports.build",
    "agent.reports.period",
    "agent.reports.settings",
    "agent.store",
    "agent.reports.render_html",
    "agent.reports.render_docx",
    "agent.reports.render_md",
)
KIND_MODULES = {
    "monthly": ("agent.reports.monthly",),
    "daily": ("agent.reports.daily",),
    "upgrades": ("agent.reports.upgrades",),
    "maintenance": ("agent.reports.maintenance",),
    "summary": ("agent.reports.summary", "agent.reports.summary_data"),
}


def _loaded(modules: tuple[str, ...]) -> set[str]:
    """Which of NEVER and matplotlib a fresh interpreter holds after importing ``modules``."""
    watched = sorted(NEVER | {"matplotlib"})
    lines = [f"import {name}" for name in modules]
    lines.append(f"print(json.dumps(sorted(set(sys.modules) & set({watched!r}))))")
    code = "import json, sys\n" + "\n".join(lines) + "\n"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("kind", sorted(KIND_MODULES))
def test_documents_do_not_load_the_ssh_stack_or_the_settings_schema(kind: str) -> None:
    loaded = _loaded(COMMON + KIND_MODULES[kind])
    assert not loaded & NEVER
    assert ("matplotlib" in loaded) == (kind == "monthly")
