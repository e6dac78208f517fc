"""Every kind of event netmon stores, and the details each carries.

An event's stored ``message`` is an English line for logs and the CLI; documents never print
it. They render the text from ``kind`` and ``details`` in their own language
(``agent.reports.event_text``), so each kind lists here the detail keys its wording needs.
Writers pass the kind as a string literal (or a conditional of literals) so that a test can
find every kind the code emits and check that both languages word it.

``INFORMATIONAL`` kinds record a fact (a first configuration, a serial number, an upgrade that
went as it should): documents list them as detail, never as a problem or an open item.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    details: tuple[str, ...]  # keys the wording uses (a missing one falls back to the label)
    informational: bool = False


EVENT_KINDS: dict[str, EventKind] = {
    # agent.drift: configurations and their approval
    "config-first-seen": EventKind(("version",), informational=True),
    "config-change": EventKind(("from", "to", "added", "removed", "secrets_changed")),
    "config-drift": EventKind(("version", "reference")),
    "config-drift-cleared": EventKind(("version",), informational=True),
    "config-approved": EventKind(("version", "by", "reason"), informational=True),
    # agent.recorder: what the box says it is
    "identity-mismatch": EventKind(("detected_model",)),
    "device-serial": EventKind(("serial",), informational=True),
    "device-replaced": EventKind(("serial", "previous_serial")),
    # agent.signatures: libraries, software and licences
    "signature-upgrade": EventKind(("library", "from_version", "to_version"), informational=True),
    "signature-rollback": EventKind(("library", "from_version", "to_version")),
    "licence-renewed": EventKind(("feature", "from_expiry", "to_expiry"), informational=True),
    "licence-changed": EventKind(("feature", "from_expiry", "to_expiry")),
    # agent.reports.demo_history: the alert-shaped events of the generated history
    "device-down": EventKind(()),
    "fan-failed": EventKind(("component",)),
    "psu-failed": EventKind(("component",)),
    "cpu-high": EventKind(("value",)),
    "interface-down": EventKind(("interface",)),
    "licence-expiring": EventKind(("feature", "expires_on")),
    "config-changed": EventKind(("unapproved",)),
}


def is_informational(kind: str, severity: str) -> bool:
    """An event that records a fact rather than a problem: severity info, or a kind that is
    informational whatever severity a writer gave it."""
    known = EVENT_KINDS.get(kind)
    return severity == "info" or (known is not None and known.informational)
