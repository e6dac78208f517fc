"""Sources resolve inside the repository (issue 11).

Profiles, CLI templates and lab recordings cite their public sources by IDs in square brackets
(``[hh3c-entity-ext-mib]``); each ID is defined once under docs/sources/ as a list item that
starts with the bold ID. Nothing may cite vendors.md or vendor-evidence.md, notes that live
outside the project. Each file group is checked on its own so that a failure lists the files
and IDs at fault.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = ROOT / "docs" / "sources"
INDEX = ROOT / "docs" / "sources.md"

# An ID: lower-case words of two or more characters joined by hyphens, starting with a letter
# (so a regex class such as "[a-z]" or "[0-9]" is not one).
ID = r"[a-z][a-z0-9]+(?:-[a-z0-9]{2,})+"
CITATION = re.compile(rf"\[({ID})\]")
DEFINITION = re.compile(rf"^- \*\*\[({ID})\]\*\*", re.MULTILINE)
# Citing notes outside the project; docs/sources/vendors.md is the project's own page.
OUTSIDE = re.compile(r"(?<!sources/)\bvendors\.md\b|\bvendor-evidence\.md\b")

APPLIANCES = ("topsec", "venustech", "nsfocus", "leadsec")
SWITCHES = ("h3c", "huawei")


def _definitions() -> Counter[str]:
    found: Counter[str] = Counter()
    for page in sorted(SOURCES_DIR.glob("*.md")):
        found.update(DEFINITION.findall(page.read_text(encoding="utf-8")))
    return found


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, value


def _toml_sources(path: Path, sections: tuple[str, ...] | None) -> Iterator[tuple[str, str]]:
    """(where, text) of every source/unverified string and comment of a profile TOML."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for key, text in _strings(data, ""):
        top = key.split(".", 1)[0]
        if sections is not None and top not in sections:
            continue
        if key.endswith((".source", ".unverified")) or key in ("source", "unverified"):
            yield f"{path.relative_to(ROOT)}:{key}", text
    if sections is None:  # comments belong to the whole file
        yield from _comments(path)


def _comments(path: Path) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        comment = stripped if stripped.startswith("#") else ""
        if not comment and " # " in line:
            comment = line[line.index(" # ") :]
        if comment:
            yield f"{path.relative_to(ROOT)}:{number}", comment


def _group_texts(group: str) -> list[tuple[str, str]]:
    profiles = ROOT / "collectors" / "profiles"
    recordings = ROOT / "agent" / "lab" / "recordings"
    texts: list[tuple[str, str]] = []
    if group == "appliance-facts":
        for vendor in APPLIANCES:
            texts += _toml_sources(profiles / vendor / "snmp.toml", None)
            texts += _comments(ROOT / "agent" / "lab" / "vendors" / f"{vendor}.toml")
        slugs = _recording_slugs(APPLIANCES)
        for path in sorted(recordings.glob("*.snmprec")):
            if path.stem in slugs:
                texts += _comments(path)
    elif group == "switch-recognition":
        for vendor in SWITCHES:
            texts += _toml_sources(profiles / vendor / "snmp.toml", ("recognition", "models"))
    elif group == "switch-health":
        for vendor in SWITCHES:
            texts += _toml_sources(profiles / vendor / "snmp.toml", ("health",))
            texts += _comments(ROOT / "agent" / "lab" / "vendors" / f"{vendor}.toml")
        slugs = _recording_slugs(SWITCHES)
        for path in sorted(recordings.glob("*.snmprec")):
            if path.stem in slugs:
                texts += _comments(path)
    elif group == "cli":
        for path in sorted(profiles.glob("*/cli.toml")):
            texts += _toml_sources(path, None)
        for path in sorted((ROOT / "vendor_templates").rglob("*")):
            if path.is_file() and path.suffix != ".py":
                texts += _comments(path)
    return texts


def _recording_slugs(vendors: tuple[str, ...]) -> set[str]:
    from agent.lab.device import model_slug
    from collectors.profiles import load_profiles

    profiles = load_profiles()
    return {model_slug(model) for vendor in vendors for model in profiles[vendor].models}


def test_every_id_is_defined_exactly_once() -> None:
    definitions = _definitions()
    assert definitions, "no source IDs defined under docs/sources/"
    twice = sorted(i for i, n in definitions.items() if n > 1)
    assert twice == [], f"defined more than once under docs/sources/: {twice}"


def test_the_index_names_every_page() -> None:
    index = INDEX.read_text(encoding="utf-8")
    for page in sorted(SOURCES_DIR.glob("*.md")):
        assert f"sources/{page.name}" in index, f"docs/sources.md does not link {page.name}"


GROUPS = ["appliance-facts", "switch-recognition", "switch-health", "cli"]


@pytest.mark.parametrize("group", GROUPS)
def test_every_cited_source_resolves_inside_the_repository(group: str) -> None:
    definitions = _definitions()
    texts = _group_texts(group)
    assert texts, f"{group}: no sources found to check"
    undefined = sorted(
        f"{where}: [{cited}]"
        for where, text in texts
        for cited in CITATION.findall(text)
        if cited not in definitions
    )
    outside = sorted(where for where, text in texts if OUTSIDE.search(text))
    assert undefined == [], f"{group}: IDs not defined under docs/sources/: {undefined}"
    assert outside == [], f"{group}: cites notes outside the project: {outside}"


@pytest.mark.parametrize("group", GROUPS)
def test_every_profile_source_cites_an_id(group: str) -> None:
    texts = [(w, t) for w, t in _group_texts(group) if w.endswith(".source")]
    bare = sorted(where for where, text in texts if not CITATION.search(text))
    assert bare == [], f"{group}: source strings without a [source-id]: {bare}"


def test_a_citation_of_an_undefined_id_is_caught() -> None:
    # The check itself can fail: an invented ID is not among the definitions.
    assert "no-such-source-id" not in _definitions()
    assert CITATION.findall('source = "X [no-such-source-id]"') == ["no-such-source-id"]
    assert CITATION.findall("regex [a-z] and [0-9]") == []
    assert OUTSIDE.search("see vendors.md") and not OUTSIDE.search("docs/sources/vendors.md")
