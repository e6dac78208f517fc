"""Markdown for e-mail: pipe tables, numbered headings, charts as PNG files beside the text
(``<name>_files/chart-NN.png``, linked relatively)."""

from __future__ import annotations

from agent.reports.document import BulletList, Chart, Document, Paragraph, Table


def _cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>") or " "


def _table(table: Table) -> list[str]:
    lines = []
    if table.caption:
        lines += [f"**{table.caption}**", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.headers) + " |")
    lines.append("|" + "|".join("---" for _ in table.headers) + "|")
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows]
    return [*lines, ""]


def render_markdown(document: Document, assets_dir: str) -> tuple[str, dict[str, bytes]]:
    """The Markdown text and the chart files it links to (relative name -> PNG bytes)."""
    lines = [f"# {document.title}", ""]
    lines += [f"- **{label}**: {value}" for label, value in document.cover]
    lines.append("")
    assets: dict[str, bytes] = {}
    for depth, section in document.walk():
        lines += [f"{'#' * min(depth + 1, 6)} {section.number} {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                text = block.text
                if block.style == "note":
                    text = f"*{text}*"
                elif block.style == "warning":
                    text = f"**{text}**"
                lines += [text, ""]
            elif isinstance(block, BulletList):
                lines += [f"- {item}" for item in block.items]
                lines.append("")
            elif isinstance(block, Table):
                lines += _table(block)
            elif isinstance(block, Chart):
                name = f"{assets_dir}/chart-{len(assets) + 1:02d}.png"
                assets[name] = block.png
                lines += [f"![{block.caption}]({name})", "", f"*{block.caption}*", ""]
    if document.signoff is not None:
        lines += [f"## {document.signoff.title}", ""]
        for party in document.signoff.parties:
            lines += [f"**{party.party}**", ""]
            lines += [line for signed in party.lines for line in (signed, "")]
    return "\n".join(lines).rstrip() + "\n", assets
