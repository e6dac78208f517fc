"""Each document as the agency receives it: Word converted to PDF by LibreOffice (headless),
read back with pdftotext as a reviewer would read it.

One ``soffice`` call converts the four kinds and the work summary (LibreOffice's start-up is
most of the cost);
scripts/test installs libreoffice-writer-nogui, poppler-utils and fonts-noto-cjk, so under
NETMON_TEST_STRICT=1 a missing tool fails the test instead of skipping it.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest
from english import pdf_english_words
from report_history import PERIOD

from agent.inventory import load_inventory
from agent.reports import REPORT_KINDS
from agent.reports.build import build_document, read_data, write_document
from agent.reports.column_widths import too_wide
from agent.reports.document import Document, Table
from agent.reports.lang import zh
from agent.reports.render_docx import TEXT_WIDTH_CM
from agent.reports.settings import ReportSettings
from agent.reports.summary import build_summary
from agent.reports.summary_data import load_summary_data
from agent.store import Store
from agent.store.models import Base
from tests.support import require_tool

ROOT = Path(__file__).resolve().parents[2]
GENERATED_AT = PERIOD.end + dt.timedelta(hours=2)
SETTINGS = ReportSettings(
    agency="测试机关", contractor="测试承包商", prepared_by="驻场一组", reviewed_by="项目经理"
)
TEMPLATE_FIELD = re.compile(r"\{[A-Za-z_][A-Za-z0-9_:]*\}")
# Values a table column must never break inside: months, dates, times, percentages (device
# names are taken from the inventory).
TABLE_VALUE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?|\d{2}:\d{2}|\d+(?:\.\d+)?%")
KINDS = (*REPORT_KINDS, "summary")


def _squeezed(text: str) -> str:
    """Without white space: cells and the cover wrap names and times over lines."""
    return re.sub(r"\s+", "", text)


def _mentioned_devices(document: Document, names: list[str]) -> list[str]:
    """The inventory devices the document itself names (its tables, headings, paragraphs)."""
    parts: list[str] = []
    for _, section in document.walk():
        parts.append(section.title)
        for block in section.blocks:
            parts.extend(
                repr(getattr(block, name, "")) for name in ("text", "items", "rows", "caption")
            )
    text = "\n".join(parts)
    return [name for name in names if name in text]


@pytest.fixture(scope="module")
def pdfs(fleet_store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    soffice = require_tool("soffice", "libreoffice-writer-nogui")
    pdftotext = require_tool("pdftotext", "poppler-utils")
    pdfimages = require_tool("pdfimages", "poppler-utils")
    pdfinfo = require_tool("pdfinfo", "poppler-utils")
    directory = tmp_path_factory.mktemp("pdf")
    data = read_data(fleet_store, PERIOD, GENERATED_AT)
    documents = {kind: build_document(kind, data, "zh", SETTINGS) for kind in REPORT_KINDS}
    with fleet_store.session(read_only=True) as session:
        summary_data = load_summary_data(session, PERIOD, GENERATED_AT)
    documents["summary"] = build_summary(summary_data, "zh", SETTINGS)
    sources = []
    for kind, document in documents.items():
        sources.append(directory / f"{kind}.docx")
        write_document(document, "docx", sources[-1], data.generated_at)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{directory / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(directory),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
        timeout=280,
    )
    texts, images, pages = {}, {}, {}
    for kind in KINDS:
        pdf = directory / f"{kind}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF"), f"{kind}: no PDF written"
        texts[kind] = subprocess.run(
            # Reading order (not -layout): a table cell's lines stay together.
            [pdftotext, str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        listing = subprocess.run(
            [pdfimages, "-list", str(pdf)], check=True, capture_output=True, text=True
        ).stdout
        # Rows after the two header lines; a PNG with alpha adds an "smask" row of its own.
        rows = [line.split() for line in listing.splitlines()[2:]]
        images[kind] = sum(1 for row in rows if len(row) > 2 and row[2] == "image")
        pages[kind] = _pages(pdftotext, pdfinfo, pdf)
    return {"documents": documents, "texts": texts, "images": images, "pages": pages, "data": data}


PAGE_SIZE = re.compile(r"^Page\s+(\d+)\s+size:\s+([\d.]+)\s+x\s+([\d.]+)", re.M)


def _pages(pdftotext: str, pdfinfo: str, pdf: Path) -> list[tuple[bool, list[str]]]:
    """Each page: whether it is landscape (pdfinfo's page size), and its non-empty lines as
    laid out (the header first, the footer's page number last)."""
    info = subprocess.run(
        [pdfinfo, "-f", "1", "-l", "9999", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    sizes = [(float(width), float(height)) for _, width, height in PAGE_SIZE.findall(info)]
    laid_out = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout.split("\f")
    texts = [[line.strip() for line in page.splitlines() if line.strip()] for page in laid_out]
    assert len(texts) >= len(sizes) and not any(texts[len(sizes) :]), "text past the last page"
    return [(width > height, lines) for (width, height), lines in zip(sizes, texts, strict=False)]


@pytest.mark.timeout(600)  # five documents for 40 devices and one LibreOffice run: ~1 min
@pytest.mark.parametrize("kind", KINDS)
def test_each_document_reads_right_as_pdf(pdfs: dict[str, dict[str, object]], kind: str) -> None:
    document: Document = pdfs["documents"][kind]  # type: ignore[assignment]
    text: str = pdfs["texts"][kind]  # type: ignore[assignment]
    flat = _squeezed(text)
    # The cover: title, number, period, generation time, who prepared and reviewed it.
    assert document.title in text
    assert re.fullmatch(r"NETMON-(XJ|RB|SJ|WB|ZJ)-202604-01", document.number)
    assert "文档编号" in text and document.number in text
    assert "报告周期" in flat and "2026-04-0100:00至2026-05-0100:00（北京时间）" in flat
    assert "生成时间" in text and "2026年05月01日02时00分（北京时间）" in flat
    assert "巡检人" in text or "编制" in text or "值班人" in text
    assert "驻场一组" in flat and "审核人" in flat and "项目经理" in flat
    # The sign-off block, both parties, at the end.
    signoff = flat.rindex("签字确认")
    assert "甲方（用户单位）：测试机关" in flat[signoff:]
    assert "乙方（服务单位）：测试承包商" in flat[signoff:]
    assert flat.count("日期：") >= 3
    # Every device the document names is in the PDF; the monthly report names all 40.
    names = [device.name for device in load_inventory(ROOT / "inventory.toml").devices]
    mentioned = _mentioned_devices(document, names)
    assert mentioned, f"{kind} names no device"
    if kind == "monthly":
        assert len(mentioned) == 40
    # A name wrapped in a narrow column loses its hyphen at the break in pdftotext's output.
    unhyphenated = flat.replace("-", "")
    missing = [name for name in mentioned if name.replace("-", "") not in unhyphenated]
    assert not missing, f"{kind}: devices missing from the PDF: {missing}"
    # No template left unfilled: no {field}, no message key.
    assert not TEMPLATE_FIELD.search(text), TEMPLATE_FIELD.findall(text)
    keys = [key for key in zh.STRINGS if "." in key and key in text]
    assert not keys, f"{kind}: message keys printed as text: {keys}"
    # Every chart made it into the PDF as a picture.
    assert pdfs["images"][kind] == len(document.charts())


@pytest.mark.timeout(600)  # shares the conversion above
@pytest.mark.parametrize("kind", KINDS)
def test_the_chinese_pdf_has_no_english(pdfs: dict[str, dict[str, object]], kind: str) -> None:
    """As the reviewer reads it: no English word outside the data's own names (devices,
    models, components, versions, notes) and the short list of units and abbreviations."""
    text: str = pdfs["texts"][kind]  # type: ignore[assignment]
    # The work summary cites the store's tables (数据依据) by their names.
    tables = {table.name for table in Base.metadata.sorted_tables}
    leaks = pdf_english_words(text, pdfs["data"], tables)  # type: ignore[arg-type]
    assert leaks == [], f"{kind}: English in the Chinese PDF: {sorted(set(leaks))}"


def _table_values(document: Document, names: list[str]) -> set[str]:
    """The dates, times, percentages and device names that make up a table cell by themselves
    ("2026-04-12 09:06", "99.92%", "leadsec-a2350-01"). Inside a sentence ("将于 2026-05-20
    到期") a date wraps with the text: LibreOffice breaks a line after its hyphen."""
    values: set[str] = set()
    for _, section in document.walk():
        for block in section.blocks:
            if isinstance(block, Table):
                for row in block.rows:
                    for cell in row:
                        parts = cell.split()
                        if parts and all(
                            TABLE_VALUE.fullmatch(part) or part in names for part in parts
                        ):
                            values.update(parts)
    return values


def _split_values(text: str, values: set[str]) -> list[tuple[str, str, str]]:
    """Values printed in two pieces: the end of one line and the start of the next (pdftotext
    in reading order keeps a cell's lines together)."""
    lines = [line.strip() for line in text.splitlines()]
    split = []
    for before, after in pairwise(lines):
        tail = before.split()[-1] if before.split() else ""
        head = after.split()[0] if after.split() else ""
        joined = tail + head
        for value in values:
            if value in joined and value not in tail and value not in head:
                split.append((value, before, after))
    return split


@pytest.mark.timeout(600)  # shares the conversion above
@pytest.mark.parametrize("kind", KINDS)
def test_table_values_are_not_broken_across_lines(
    pdfs: dict[str, dict[str, object]], kind: str
) -> None:
    """Column widths follow the content: a date, a time, a percentage or a device name in a
    table stays on one line (evenly split columns broke them: ``2026-`` / ``04-12``)."""
    document: Document = pdfs["documents"][kind]  # type: ignore[assignment]
    text: str = pdfs["texts"][kind]  # type: ignore[assignment]
    names = [device.name for device in load_inventory(ROOT / "inventory.toml").devices]
    values = _table_values(document, names)
    assert any("-" in value and value[:4].isdigit() for value in values), "no date in a table"
    assert any(value in names for value in values), f"{kind}: no device name in a table"
    # Each value is printed whole somewhere, and nowhere in two pieces.
    missing = sorted(value for value in values if value not in text)
    assert not missing, f"{kind}: table values not printed whole: {missing[:10]}"
    split = _split_values(text, values)
    assert not split, f"{kind}: table values broken across lines: {split[:5]}"


@pytest.mark.timeout(600)  # shares the conversion above
@pytest.mark.parametrize("kind", KINDS)
def test_every_page_has_its_header_number_and_content(
    pdfs: dict[str, dict[str, object]], kind: str
) -> None:
    """Landscape sections run on from the portrait ones: the document number at the top and
    the page number at the foot of every page, counting on; no page left blank by a section
    break. The cover and the sign-off page are portrait."""
    document: Document = pdfs["documents"][kind]  # type: ignore[assignment]
    pages: list[tuple[bool, list[str]]] = pdfs["pages"][kind]  # type: ignore[assignment]
    for number, (_, lines) in enumerate(pages, start=1):
        assert lines[0] == document.number, f"{kind} page {number}: header {lines[:1]}"
        assert lines[-1] == str(number), f"{kind} page {number}: footer {lines[-1:]}"
        assert len(lines) > 2, f"{kind} page {number} is blank"
    assert not pages[0][0] and not pages[-1][0], f"{kind}: cover or sign-off not portrait"


def _page_of(pages: list[tuple[bool, list[str]]], caption: str) -> int:
    found = [
        index
        for index, (_, lines) in enumerate(pages)
        if _squeezed(caption) in _squeezed("".join(lines))
    ]
    assert len(found) == 1, f"caption {caption!r} on pages {found}"
    return found[0]


@pytest.mark.timeout(600)  # shares the conversion above
def test_wide_tables_are_on_landscape_pages(pdfs: dict[str, dict[str, object]]) -> None:
    """The work summary's tables (each with its own numbered caption): a table too wide for
    the portrait text width is on a landscape page, every other on a portrait one. The
    engineers' records (nine columns) and the incident records (eight) are wide."""
    document: Document = pdfs["documents"]["summary"]  # type: ignore[assignment]
    pages: list[tuple[bool, list[str]]] = pdfs["pages"]["summary"]  # type: ignore[assignment]
    wide = set()
    for table in document.tables():
        assert table.caption, "a summary table without a caption"
        is_wide = too_wide(table.headers, table.rows, TEXT_WIDTH_CM)
        landscape, _ = pages[_page_of(pages, table.caption)]
        assert landscape == is_wide, f"{table.caption}: landscape {landscape}, wide {is_wide}"
        if is_wide:
            wide.add(len(table.headers))
    assert {8, 9} <= wide
    assert any(not landscape for landscape, _ in pages[1:-1]), "no portrait page in the body"
