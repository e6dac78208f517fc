"""The real-shaped CLI corpus: each case under tests/corpus/cli/ is the output a real box prints
for the health commands (written by us in the shapes the cited public sources show), replayed
through the vendor's real driver and the CLI fallback, compared with the snapshot in its
``case.json``. One command per ``<command>.txt``; a command without a file answers nothing, so
its values must be unreadable with a reason (one failing section costs only its own values).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collectors.base import HealthSnapshot
from collectors.cli_health import CLI_FILLABLE, SECTION_ERRORS, fill_from_environment
from collectors.component_names import component_namer
from collectors.drivers import get_driver

CORPUS = Path(__file__).parent / "cli"
CASES = sorted(path.name for path in CORPUS.iterdir() if (path / "case.json").is_file())
SOURCES = Path(__file__).parents[2] / "docs" / "sources"
CITATION = re.compile(r"\[([a-z0-9][a-z0-9-]*)\]")
DEFINITION = re.compile(r"^- \*\*\[([a-z0-9][a-z0-9-]*)\]\*\*", re.MULTILINE)


def _case(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / name / "case.json").read_text(encoding="utf-8"))


def _replay(name: str) -> HealthSnapshot:
    case = _case(name)
    outputs = {
        path.stem: path.read_text(encoding="utf-8") for path in (CORPUS / name).glob("*.txt")
    }
    driver = get_driver(case["vendor"])(
        "127.0.0.1", "u", "p", optional_args={"model": case["model"], "device_name": name}
    )
    driver.run = lambda command, **_: outputs.get(command, "")  # type: ignore[method-assign]
    snapshot = HealthSnapshot(name, datetime.now(UTC), reachable=True)
    snapshot.unreadable = dict.fromkeys(CLI_FILLABLE, "snmp: timeout")
    # As read_cli_health hands it over: the sections plus why each empty one is empty.
    environment = {**driver.get_environment(), SECTION_ERRORS: dict(driver.environment_errors)}
    fill_from_environment(snapshot, environment, component_namer(case["vendor"]))
    return snapshot


@pytest.mark.parametrize("name", CASES)
def test_each_cli_case_gives_exactly_its_snapshot(name: str) -> None:
    expected = _case(name)["expected"]
    snapshot = _replay(name)
    observed = {
        "cpu_ratio": None if snapshot.cpu_ratio is None else round(snapshot.cpu_ratio, 6),
        "memory_ratio": None if snapshot.memory_ratio is None else round(snapshot.memory_ratio, 6),
        "temperatures": [[s.name, s.celsius] for s in snapshot.temperatures],
        "fans": [[c.name, c.state, c.raw] for c in snapshot.fans],
        "power_supplies": [[c.name, c.state, c.raw] for c in snapshot.power_supplies],
        "unreadable": sorted(snapshot.unreadable),
    }
    assert observed == expected
    # A value the CLI could not give keeps a reason from the CLI, not SNMP's old one.
    assert all(reason.startswith("cli: ") for reason in snapshot.unreadable.values())


def test_an_absent_slot_is_never_a_failed_part() -> None:
    """Issue 11: every case holds an empty slot, and no empty slot is counted as failed."""
    for name in CASES:
        snapshot = _replay(name)
        parts = snapshot.fans + snapshot.power_supplies
        assert any(c.state == "absent" for c in parts), name
        assert not [c for c in parts if c.state == "failed" and c.raw.lower() in ("absent", "-")]


def test_every_cli_case_cites_sources_defined_inside_the_repository() -> None:
    defined = {
        match.group(1)
        for page in sorted(SOURCES.glob("*.md"))
        for match in DEFINITION.finditer(page.read_text(encoding="utf-8"))
    }
    for name in CASES:
        cited = set(CITATION.findall(_case(name)["sources"]))
        assert cited, f"{name} cites no source"
        assert cited <= defined, f"{name}: undefined {sorted(cited - defined)}"
