"""Word (.docx, python-docx): what the agency receives. A4, a cover page, numbered headings,
gridded tables with a shaded header row, charts as pictures, page numbers in the footer.

A table too wide for the portrait page (``column_widths.too_wide``: its values would break
between their characters, or worse; the engineers' records with nine columns, the incidents
with eight) goes on landscape pages: a new section turns the page before it, taking along
its section's heading and lead-in paragraphs, and the next one turns it back; wide tables
with only text between them share the landscape pages. The sections after the first are
linked to it, so the document number and the page numbers run on.

Chinese text uses the fonts Chinese offices expect (宋体 body, 黑体 headings); Word maps them
on Windows, LibreOffice substitutes an installed CJK font.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from agent.reports.column_widths import (
    CELL_PADDING_CM,
    table_layout,
    too_wide,
    with_break_hints,
)
from agent.reports.document import (
    Block,
    BulletList,
    Chart,
    Document,
    Paragraph,
    Section,
    SignOff,
    Table,
)

BODY_FONT = ("Times New Roman", "宋体")
HEADING_FONT = ("Arial", "黑体")
HEADER_FILL = "E8EEF5"
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 2.2  # A4 portrait
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
LANDSCAPE_TEXT_WIDTH_CM = PAGE_HEIGHT_CM - 2 * MARGIN_CM
COVER_COLUMNS_CM = (3.5, 10.5)
TABLE_STYLE, BULLET_STYLE = "Table Grid", "List Bullet"


def _font(style: BaseStyle, latin: str, east_asian: str, size: float | None = None) -> None:
    font = style.font  # type: ignore[attr-defined]
    font.name = latin
    if size is not None:
        font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _set_up(docx: object, document: Document, generated_at: dt.datetime | None) -> None:
    section = docx.sections[0]  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin = section.bottom_margin = Cm(MARGIN_CM)
    styles = docx.styles  # type: ignore[attr-defined]
    _font(styles["Normal"], *BODY_FONT, size=10.5)
    for level, size in ((1, 16), (2, 14), (3, 12), (4, 11)):
        style = styles[f"Heading {level}"]
        _font(style, *HEADING_FONT, size=size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.bold = True
    _font(styles["Title"], *HEADING_FONT, size=26)
    properties = docx.core_properties  # type: ignore[attr-defined]
    properties.title = document.title
    properties.author = "netmon"
    properties.last_modified_by = "netmon"
    if generated_at is not None:
        moment = generated_at.astimezone(dt.UTC).replace(tzinfo=None)
        properties.created = properties.modified = moment
    _page_numbers(section.footer.paragraphs[0])


def _page_numbers(paragraph: DocxParagraph) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _cover(docx: object, document: Document, page_break: bool = True) -> None:
    for _ in range(5):
        docx.add_paragraph()  # type: ignore[attr-defined]
    title = docx.add_paragraph(document.title, style="Title")  # type: ignore[attr-defined]
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(4):
        docx.add_paragraph()  # type: ignore[attr-defined]
    table = docx.add_table(rows=0, cols=2)  # type: ignore[attr-defined]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = [Cm(width) for width in COVER_COLUMNS_CM]
    _grid(table, widths)
    for label, value in document.cover:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = f"{label}：" if document.lang == "zh" else f"{label}:", value
        cells[0].paragraphs[0].runs[0].bold = True
        cells[0].width, cells[1].width = widths
    if page_break:
        docx.add_paragraph().add_run().add_break(WD_BREAK.PAGE)  # type: ignore[attr-defined]


def _shade(cell: object, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _grid(table: DocxTable, widths: list[Length]) -> None:
    """Fixed column widths: the table's width and grid for LibreOffice, each cell's width (set
    by the caller as rows are added) for Word; and the cell margins the widths were computed
    with (Word's default is wider)."""
    table.autofit = False
    properties = table._tbl.tblPr
    width = properties.find(qn("w:tblW"))  # python-docx writes one ("auto")
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(column.twips for column in widths)))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(Cm(CELL_PADDING_CM / 2).twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    # Word rejects a tblPr whose children are out of the schema's order.
    properties.insert_element_before(
        margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"
    )
    for column, column_width in zip(table.columns, widths, strict=True):
        column.width = column_width


def _repeat_header(table: DocxTable) -> None:
    row_properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row_properties.append(header)


def _style_ids(docx: object) -> dict[str, str]:
    """The ids of the styles the blocks use, looked up once per document: python-docx
    searches the styles part by name on every assignment (~1.5 ms each, hundreds a month)."""
    part = docx.part  # type: ignore[attr-defined]
    ids = {TABLE_STYLE: part.get_style_id(TABLE_STYLE, WD_STYLE_TYPE.TABLE)}
    for name in (BULLET_STYLE, *(f"Heading {level}" for level in range(1, 5))):
        ids[name] = part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
    return ids


def _styled_paragraph(docx: object, text: str, style_id: str) -> None:
    """``docx.add_paragraph(text, style=name)`` with the style's id already known."""
    paragraph = docx.add_paragraph(text)  # type: ignore[attr-defined]
    paragraph._p.style = style_id


def _table_cell(cell: object, text: str, size: Length) -> None:
    """The cell's text in one run at the table's size, no space after the paragraph; set as
    the cell is filled (walking the table's rows and cells again costs more than all this)."""
    cell.text = text  # type: ignore[attr-defined]
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.runs[0].font.size = size


def _table(docx: object, block: Table, style_id: str, text_width_cm: float) -> None:
    if block.caption:
        caption = docx.add_paragraph()  # type: ignore[attr-defined]
        caption.add_run(block.caption).bold = True
        caption.paragraph_format.keep_with_next = True
    table = docx.add_table(rows=1, cols=len(block.headers))  # type: ignore[attr-defined]
    table._tbl.tblStyle_val = style_id
    size_pt, widths_cm = table_layout(block.headers, block.rows, text_width_cm)
    size = Pt(size_pt)
    widths = [Cm(width) for width in widths_cm]
    _grid(table, widths)
    for cell, header, width in zip(table.rows[0].cells, block.headers, widths, strict=True):
        _table_cell(cell, header, size)
        cell.width = width
        cell.paragraphs[0].runs[0].bold = True
        _shade(cell, HEADER_FILL)
    _repeat_header(table)
    # add_row gives each new cell its column's width (_grid set the columns).
    for row in block.rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            _table_cell(cell, with_break_hints(value), size)
    docx.add_paragraph()  # type: ignore[attr-defined]


def _chart(docx: object, block: Chart) -> None:
    docx.add_picture(io.BytesIO(block.png), width=Cm(block.width_cm))  # type: ignore[attr-defined]
    docx.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]
    caption = docx.add_paragraph(block.caption)  # type: ignore[attr-defined]
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.runs[0].font.size = Pt(9)


def _paragraph(docx: object, block: Paragraph) -> None:
    paragraph = docx.add_paragraph()  # type: ignore[attr-defined]
    run = paragraph.add_run(block.text)
    if block.style == "note":
        run.italic = True
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    elif block.style == "warning":
        run.bold = True


def _signoff(docx: object, signoff: SignOff) -> None:
    """The signature block, kept on one page (every paragraph keeps with the next)."""
    heading = docx.add_paragraph()  # type: ignore[attr-defined]
    heading.paragraph_format.space_before = Pt(18)
    heading.paragraph_format.keep_with_next = True
    heading.add_run(signoff.title).bold = True
    for party in signoff.parties:
        name = docx.add_paragraph()  # type: ignore[attr-defined]
        name.paragraph_format.space_before = Pt(12)
        name.paragraph_format.keep_with_next = True
        name.add_run(party.party).bold = True
        for line in party.lines:
            signed = docx.add_paragraph(line)  # type: ignore[attr-defined]
            signed.paragraph_format.space_before = Pt(10)
            signed.paragraph_format.keep_with_next = True
    docx.paragraphs[-1].paragraph_format.keep_with_next = False  # type: ignore[attr-defined]


def _header(section: object, number: str) -> None:
    """The document number on every page, top right."""
    paragraph = section.header.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(number)
    run.font.size = Pt(8)


@dataclass(frozen=True)
class _Entry:
    """One thing of the body in reading order: a section's heading, or one of its blocks."""

    depth: int
    section: Section
    block: Block | None = None  # None: the heading


def _entries(document: Document) -> list[_Entry]:
    entries = []
    for depth, section in document.walk():
        entries.append(_Entry(depth, section))
        entries.extend(_Entry(depth, section, block) for block in section.blocks)
    return entries


def _landscape(entries: list[_Entry]) -> list[bool]:
    """Which entries go on landscape pages: each table too wide for the portrait text width,
    and what leads up to it in its section (the paragraphs before it back to the heading, and
    the headings right above): a heading is not left alone at the foot of a portrait page.
    A table or chart before it stays where it is, so wide tables with only text between them
    end up on the same landscape pages."""
    landscape = [False] * len(entries)
    for index, entry in enumerate(entries):
        block = entry.block
        if not isinstance(block, Table) or not too_wide(block.headers, block.rows, TEXT_WIDTH_CM):
            continue
        landscape[index] = True
        before = index - 1
        while before >= 0 and isinstance(entries[before].block, Paragraph | BulletList):
            landscape[before] = True
            before -= 1
        while before >= 0 and entries[before].block is None:
            landscape[before] = True
            before -= 1
    return landscape


def _turn_page(docx: object, landscape: bool) -> None:
    """A new section on a new page, landscape or portrait. python-docx links it to the one
    before (headers, footers, page numbering run on); the spacer after a table is dropped
    first, the section break's own paragraph takes its place."""
    body = docx.element.body  # type: ignore[attr-defined]
    paragraphs = body.findall(qn("w:p"))
    if paragraphs and len(paragraphs[-1]) == 0:
        body.remove(paragraphs[-1])
    section = docx.add_section(WD_SECTION.NEW_PAGE)  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = Cm(PAGE_HEIGHT_CM), Cm(PAGE_WIDTH_CM)
    if landscape:
        section.page_width, section.page_height = long_side, short_side
    else:
        section.page_width, section.page_height = short_side, long_side


def _block(docx: object, block: Block, style_ids: dict[str, str], text_width_cm: float) -> None:
    if isinstance(block, Paragraph):
        _paragraph(docx, block)
    elif isinstance(block, BulletList):
        for item in block.items:
            _styled_paragraph(docx, item, style_ids[BULLET_STYLE])
    elif isinstance(block, Table):
        _table(docx, block, style_ids[TABLE_STYLE], text_width_cm)
    elif isinstance(block, Chart):
        _chart(docx, block)


def render_docx(document: Document, generated_at: dt.datetime | None = None) -> bytes:
    docx = new_docx()
    _set_up(docx, document, generated_at)
    if document.number:
        _header(docx.sections[0], document.number)
    entries = _entries(document)
    landscape = _landscape(entries)
    # A landscape first page starts its own section, which starts a page: no page break too.
    _cover(docx, document, page_break=not (landscape and landscape[0]))
    style_ids = _style_ids(docx)
    turned = False
    for entry, wide in zip(entries, landscape, strict=True):
        if wide != turned:
            _turn_page(docx, wide)
            turned = wide
        if entry.block is None:
            title = f"{entry.section.number} {entry.section.title}"
            _styled_paragraph(docx, title, style_ids[f"Heading {min(entry.depth, 4)}"])
        else:
            _block(docx, entry.block, style_ids, LANDSCAPE_TEXT_WIDTH_CM if wide else TEXT_WIDTH_CM)
    if document.signoff is not None:
        if turned:
            _turn_page(docx, False)
        _signoff(docx, document.signoff)
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()
