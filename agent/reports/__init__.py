"""The contract's documents, built from what netmon stored.

``netmon report KIND`` (agent/commands/report.py) picks a period (``period``), reads the store
through one query layer (``data.load_report_data``), lets one module per kind (``monthly``,
``daily``, ``upgrades``, ``maintenance``) turn that into a format-neutral ``document.Document``,
and hands it to a renderer (``render_docx``, ``render_html``, ``render_md``). Wording lives in
``lang/<language>.py`` only; charts come from ``charts`` (matplotlib, Agg, PNG).
"""

from __future__ import annotations

REPORT_KINDS = ("monthly", "daily", "upgrades", "maintenance")
FORMATS = ("docx", "html", "md")
LANGUAGES = ("zh", "en")
