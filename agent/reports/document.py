"""A report as a format-neutral document: cover, numbered sections, paragraphs, tables, charts,
and the sign-off block the agency and the contractor sign.

Report modules build it; ``render_docx``, ``render_html`` and ``render_md`` print it. Section
numbers are assigned once here (``Document.numbered``), so every format numbers alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "normal"  # normal | note | warning


@dataclass(frozen=True)
class BulletList:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None = None

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"table row {row!r} does not match headers {self.headers!r}")


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str
    width_cm: float = 15.0
    points: int = 0  # data points drawn (bars, or non-empty values over all lines)


@dataclass(frozen=True)
class SignParty:
    """One signing party: who it is (甲方：agency) and the lines its people sign on."""

    party: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class SignOff:
    title: str
    parties: tuple[SignParty, ...]


Block = Paragraph | BulletList | Table | Chart


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    number: str = ""

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self

    def sub(self, title: str) -> Section:
        child = Section(title)
        self.subsections.append(child)
        return child


@dataclass
class Document:
    title: str
    cover: list[tuple[str, str]]  # (label, value): number, period, generated at, who, ...
    sections: list[Section] = field(default_factory=list)
    lang: str = "zh"
    number: str = ""  # the document number, also on the cover
    signoff: SignOff | None = None  # printed after the last section

    def section(self, title: str) -> Section:
        new = Section(title)
        self.sections.append(new)
        return new

    def numbered(self) -> Document:
        """Give every section its number: 1, 2, 2.1, 2.1.1 ..."""

        def number(sections: list[Section], prefix: str) -> None:
            for index, section in enumerate(sections, start=1):
                section.number = f"{prefix}{index}"
                number(section.subsections, f"{section.number}.")

        number(self.sections, "")
        return self

    def walk(self) -> Iterator[tuple[int, Section]]:
        """Every section with its depth (1 for top level), in reading order."""

        def visit(sections: list[Section], depth: int) -> Iterator[tuple[int, Section]]:
            for section in sections:
                yield depth, section
                yield from visit(section.subsections, depth + 1)

        yield from visit(self.sections, 1)

    def tables(self) -> list[Table]:
        return [b for _, s in self.walk() for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for _, s in self.walk() for b in s.blocks if isinstance(b, Chart)]
