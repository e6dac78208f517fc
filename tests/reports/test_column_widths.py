"""Word tables get column widths from their content: values (months, dates, times, percentages,
device names, counts) keep their unbreakable parts on one line, long text takes the rest and
wraps, and a table wider than the page narrows its text first."""

from __future__ import annotations

import io

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from agent.reports.column_widths import (
    CELL_PADDING_CM,
    CM_PER_PT,
    NARROWEST_EM,
    SLACK_CM,
    SMALL_TABLE_FONT_PT,
    TABLE_FONT_PT,
    column_widths,
    table_layout,
    text_em,
    token_em,
    too_wide,
    with_break_hints,
)
from agent.reports.document import Document, Table
from agent.reports.render_docx import LANDSCAPE_TEXT_WIDTH_CM, TEXT_WIDTH_CM, render_docx

PAGE = 16.6
MONTHS = tuple(
    (f"2026-{month:02d}", "99.92%", "2", "10（7/3）", "本月完成例行巡检与特征库升级，" * 3)
    for month in range(3, 12)
)
MONTH_HEADERS = ("月份", "可用率", "中断", "配置变更（已审批/未审批）", "说明")
RECORD_HEADERS = (
    "编号",
    "类别",
    "设备",
    "实施人",
    "开始时间",
    "结束时间",
    "内容",
    "处理措施",
    "状态",
)
RECORDS = (
    (
        "10",
        "日常维护/巡检",
        "topsec-topfilter8000-02",
        "驻场一组",
        "2026-03-06 08:30",
        "2026-03-06 17:30",
        "检查 GigabitEthernet1/0/2 端口闪断，更换光模块",
        "现场检查发现上联光模块故障，更换后恢复" * 2,
        "已完成",
    ),
    (
        "11",
        "维修",
        "leadsec-la-dt-1100b-01",
        "驻场二组",
        "2026-11-30 23:05",
        "2026-12-01 01:40",
        "电源 Power Supply 2 故障",
        "更换故障风扇 Fan 1，观察 30 分钟后恢复正常",
        "已完成",
    ),
)


def needs(text: str, size_pt: float = TABLE_FONT_PT) -> float:
    """What ``text`` needs in a cell on one line (cm), measured as the module measures it."""
    return text_em(text) * size_pt * CM_PER_PT + CELL_PADDING_CM + SLACK_CM


def test_cjk_counts_double_and_latin_is_measured() -> None:
    assert text_em("中断") == 2.0
    # Digits of DejaVu Serif are 0.636 em: half a CJK character and a little more.
    assert text_em("2026-03") == pytest.approx(7 * 0.6, abs=0.5)
    assert text_em("第一行\n更长的第二行") == 6.0
    # A narrow "i" is narrower than a wide "W".
    assert text_em("iiii") < text_em("WWWW")


def test_tokens_keep_dates_names_and_numbers_whole() -> None:
    # A space breaks; a hyphen, a colon, a dot and a slash do not.
    assert token_em("2026-11-30 08:30") == pytest.approx(text_em("2026-11-30"))
    assert token_em("topsec-ngfw4000-uf-01") == pytest.approx(text_em("topsec-ngfw4000-uf-01"))
    assert token_em("可用率 99.92% 偏低") == pytest.approx(text_em("99.92%"))
    # A line breaks between CJK characters, not before a closing mark nor after an opening one.
    assert token_em("设备中断") == 1.0
    assert token_em("恢复，更换") == 2.0
    assert token_em("10（7/3）") == pytest.approx(text_em("10（7/3）"))
    # ... except where render_docx hints a break after the mark: a list of names wraps.
    assert token_em("病毒库、URL 分类库") == pytest.approx(text_em("URL"))
    assert with_break_hints("health_hourly、outages") == "health_hourly、\u200boutages"
    assert token_em("health_hourly、outages、events") == pytest.approx(text_em("health_hourly、"))
    # CJK and digits side by side get a little space between them: counted.
    assert text_em("2天") > text_em("2") + 1.0


def test_short_columns_keep_their_values_on_one_line() -> None:
    widths = column_widths(MONTH_HEADERS, MONTHS, PAGE)
    assert sum(widths) == pytest.approx(PAGE)
    month, availability, outages, changes, note = widths
    assert month >= needs("2026-03") and availability >= needs("99.92%")
    assert changes >= needs("10（7/3）") and outages >= needs("中断")
    # The sentence takes what is left: more than any other column.
    assert note == max(widths) and note > PAGE / len(MONTH_HEADERS)


def test_a_table_that_fits_shares_the_spare_room() -> None:
    widths = column_widths(("设备", "状态"), [("fw-1", "正常")], PAGE)
    assert sum(widths) == pytest.approx(PAGE)
    assert all(width > needs("fw-1") for width in widths)


def test_a_wide_table_narrows_its_text_and_keeps_every_value_whole() -> None:
    size, widths = table_layout(RECORD_HEADERS, RECORDS, PAGE)
    assert sum(widths) == pytest.approx(PAGE)
    number, _, device, _, begun, ended, content, action, _ = widths
    # Nine columns do not keep their tokens whole at 9 pt: set a point smaller.
    assert size == SMALL_TABLE_FONT_PT
    for value, width in (
        ("topsec-topfilter8000-02", device),
        ("leadsec-la-dt-1100b-01", device),
        ("2026-03-06", begun),
        ("08:30", begun),
        ("2026-12-01", ended),
        ("10", number),
        ("编号", number),
    ):
        assert width >= needs(value, size), (value, width)
    # The text columns wrap: narrower than their sentences, and not to a character per line.
    assert content < needs(RECORDS[0][6], size) and action < needs(RECORDS[0][7], size)
    assert min(content, action) >= needs("五个汉字字", size)
    # Evenly split columns would give the device 1.84 cm and break its name.
    assert device > PAGE / len(RECORD_HEADERS) + 1


def test_a_slightly_wide_table_wraps_one_value_column_not_all() -> None:
    """Values wrap or they do not: the table narrows the one column that saves enough."""
    headers = ("设备", "发生时间", "处置时间", "达标", "说明")
    rows = (
        ("topsec-topsentry3000-01", "2026-04-20 22:00", "2天5小时0分", "无记录 / 无记录", "短"),
    )
    one_line = [needs(cell) for cell in rows[0]]
    total = sum(one_line) - 0.3  # just too narrow for every value on one line
    widths = column_widths(headers, rows, total)
    assert sum(widths) == pytest.approx(total)
    on_one_line = [width >= need - 1e-9 for width, need in zip(widths, one_line, strict=True)]
    assert on_one_line.count(False) == 1, widths
    # Whichever wrapped, no date, time or device name breaks inside.
    assert widths[0] >= needs("topsec-topsentry3000-01")
    assert widths[1] >= needs("2026-04-20")


def test_a_table_too_wide_for_anything_shares_the_page() -> None:
    headers = tuple(f"列{index}" for index in range(14))
    rows = (tuple("2026-11-30 08:30" for _ in headers),)
    widths = column_widths(headers, rows, PAGE)
    assert sum(widths) == pytest.approx(PAGE)
    assert max(widths) - min(widths) < 1e-6
    assert min(widths) >= PAGE / len(headers) - 1e-6
    # Never narrower than two CJK characters while the page has room for that.
    narrow = column_widths(headers[:6], rows, PAGE)
    assert min(narrow) >= needs("中断") and NARROWEST_EM == 2.0


def test_the_word_file_carries_the_widths_and_the_size() -> None:
    document = Document(title="测试", cover=[("文档编号", "NETMON-XJ-202604-01")], lang="zh")
    document.section("逐月情况").add(Table(MONTH_HEADERS, MONTHS))
    document.section("工作记录").add(Table(RECORD_HEADERS, RECORDS))
    opened = docx.Document(io.BytesIO(render_docx(document)))
    # The records' nine columns do not fit the portrait page: they are set on a landscape one.
    assert not too_wide(MONTH_HEADERS, MONTHS, TEXT_WIDTH_CM)
    assert too_wide(RECORD_HEADERS, RECORDS, TEXT_WIDTH_CM)
    portrait, landscape = opened.sections
    assert portrait.page_width < portrait.page_height
    assert landscape.orientation == WD_ORIENT.LANDSCAPE
    assert landscape.page_width > landscape.page_height
    for table, (headers, rows), text_width in zip(
        opened.tables[-2:],
        ((MONTH_HEADERS, MONTHS), (RECORD_HEADERS, RECORDS)),
        (TEXT_WIDTH_CM, LANDSCAPE_TEXT_WIDTH_CM),
        strict=True,
    ):
        size, expected = table_layout(headers, rows, text_width)
        grid = [column.width.cm for column in table.columns]
        assert grid == pytest.approx(expected, abs=0.01)
        # Word reads each cell's width; every row carries them.
        for row in table.rows:
            assert [cell.width.cm for cell in row.cells] == pytest.approx(expected, abs=0.01)
            assert {run.font.size.pt for cell in row.cells for run in cell.paragraphs[0].runs} == {
                size
            }
        assert not table.autofit
        properties = table._tbl.tblPr.xml
        # The cell margins the widths were computed with, and the table as wide as the text.
        assert 'w:left w:w="108"' in properties and 'w:right w:w="108"' in properties
        width = table._tbl.tblPr.find(qn("w:tblW"))
        assert width.get(qn("w:type")) == "dxa"
        assert int(width.get(qn("w:w"))) == pytest.approx(text_width / 2.54 * 1440, abs=10)
