"""An event's text in the document's language, from its kind and details.

The stored ``message`` is English for logs; a document renders ``lang/<lang>.py``'s
``EVENTS[kind]`` with values taken from the details (dates, percentages and library names
worded for the language). A variant ``<kind>.<variant>`` is used when the details call for
it (secrets changed, no reference, an unknown model). Details missing a value the wording
needs give the kind's short name; a kind nobody registered says so, naming the kind.
"""

from __future__ import annotations

from typing import Any

from agent.event_kinds import EVENT_KINDS
from agent.reports.text import Text
from collectors.library_kinds import library_kind


def event_text(text: Text, kind: str, details: dict[str, Any] | None) -> str:
    templates: dict[str, str] = text.table("EVENTS")
    labels: dict[str, str] = text.table("EVENT_KINDS")
    if kind not in EVENT_KINDS or kind not in templates:
        return templates["unknown"].format(kind=kind)
    values = _values(text, kind, details or {})
    variant = _variant(kind, values)
    template = templates.get(f"{kind}.{variant}", templates[kind]) if variant else templates[kind]
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return labels.get(kind, kind)


def kind_label(text: Text, kind: str) -> str:
    """The short name of an event kind (an unknown kind: the 'unknown' wording)."""
    labels: dict[str, str] = text.table("EVENT_KINDS")
    if kind in labels:
        return labels[kind]
    return str(text.table("EVENTS")["unknown"].format(kind=kind))


def _variant(kind: str, values: dict[str, Any]) -> str | None:
    if kind == "config-change" and int(values.get("secrets_changed") or 0) > 0:
        return "secrets"
    if kind == "config-drift" and values.get("reference") is None and "version" in values:
        return "no_reference"
    if kind == "identity-mismatch" and not values.get("detected_model"):
        return "unknown_model"
    if kind == "config-changed" and values.get("unapproved"):
        return "unapproved"
    return None


def _values(text: Text, kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """The details with the language-dependent ones worded; keys the wording cannot use
    (None for a required number) are dropped so the fallback applies."""
    values = {key: value for key, value in details.items() if isinstance(key, str)}
    if "library" in values:
        values["library"] = _library(text, str(values["library"]))
    for key in ("from_expiry", "to_expiry", "expires_on"):
        if key in values:
            values[key] = text("perpetual") if values[key] is None else str(values[key])
    if kind == "cpu-high" and isinstance(values.get("value"), int | float):
        ratio = float(values["value"])
        values["value"] = text.pct(ratio / 100 if ratio > 1 else ratio, 0)
    for key in ("version", "from", "to", "added", "removed"):
        if key in values and values[key] is None:
            del values[key]
    return values


def _library(text: Text, name: str) -> str:
    libraries: dict[str, str] = text.table("LIBRARIES")
    return libraries.get(name) or libraries.get(library_kind(name)) or name
