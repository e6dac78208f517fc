"""Column widths for the Word tables, from what the columns hold.

Word and LibreOffice split a table evenly unless told otherwise, so a two-character "数量"
column got as much room as the sentence next to it, and months, dates, device names and counts
broke mid-word (``2026-`` / ``03``, ``unreachabl`` / ``e``) while the text column beside them
had room to spare. Here every column is measured:

- its *token*: the widest run a line cannot break inside (a date, a time, a percentage, a
  device name, a number; headers included). Latin letters, digits and signs stay together,
  hyphens and slashes too, so ``2026-11-30`` and ``topsec-ngfw4000-01`` are one token; a line
  may break at a space and around CJK ideographs, never before a closing full-width
  punctuation mark (``，`` ``）``) nor after an opening one (``（``);
- its *line*: its widest cell on one line (a header counts up to a few characters: headers
  wrap).

A column whose cells are short values (its line is its token, or a few characters) is a value
column: it wants each value on one line. Any other column holds text that wraps. The widths go
through levels, each narrower than the one before, and the table takes the first level that fits
the page's text width, widened towards the level before it to fill the width exactly:

0. every cell on one line (text capped at ``WIDEST_TEXT_EM``);
1. text columns shrink first, to their token or ``TEXT_COMFORT_EM`` (what is wider wraps);
2. value columns wrap at their spaces (a date above its time);
3. text columns shrink to their token or ``TEXT_MIN_EM``;
4. value columns with CJK characters wrap onto two lines ("未到场" / "（远程处置）");
5. text columns break their long tokens (an interface name inside a sentence), to
   ``TEXT_MIN_EM``;
6. value columns wrap further, down to their token;
7. text columns down to ``NARROWEST_EM`` (two CJK characters);
8. every column down to ``NARROWEST_EM``: values break, the last resort.

At steps 2 and 4 value columns narrow one at a time, as few as will do (a value wraps or it
does not: a width in between is wasted), and the room left goes to the text; the other steps
narrow their columns together, in proportion. A table that cannot keep its tokens whole at
9 pt (level 4) is set at 8 pt.

Widths are measured with the metrics of DejaVu Serif (shipped with matplotlib, a dependency),
the font LibreOffice substitutes for Times New Roman where that is not installed; it is wider
than Times New Roman for every glyph, so what fits in the PDF fits in Word too. CJK and
full-width characters are one em wide in every Chinese font.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

CM_PER_PT = 2.54 / 72
# The tables' font size, and the left plus right margins of a cell (render_docx sets them). A
# table that would break a token at 9 pt (many columns: the engineers' records have nine) is set
# a point smaller instead.
TABLE_FONT_PT = 9.0
SMALL_TABLE_FONT_PT = 8.0
# Word's default margins (0.19 cm a side): narrower ones let the text of neighbouring cells run
# together for a PDF reader's text extraction (pdftotext read "基线配置+0 / -1" as one word).
CELL_PADDING_CM = 0.38
# LibreOffice and Word round glyph positions; a column exactly as wide as its text may still
# wrap the last character. This much room (cm) is added to every measured width.
SLACK_CM = 0.08
# In em (the font size): a column never narrower than two CJK characters ("中断"), a text
# column eight wide before a date wraps above its time and not narrower than five while it can
# be helped, and a long text column asks for at most twenty (it wraps; it must not take the
# room the values need).
NARROWEST_EM = 2.0
TEXT_MIN_EM = 5.0
TEXT_COMFORT_EM = 8.0
WIDEST_TEXT_EM = 20.0
# A header counts up to this many em towards its column's width: headers wrap.
HEADER_EM = 4.0
# A column whose widest cell is no wider than this (em) is a value column even when its cells
# have spaces or CJK characters ("2026-04-01 08:30" is 9 em, "5天11小时51分" 7.5, "无记录 / 否"):
# they stay on one line while the page allows.
SHORT_EM = 10.0
# A value this wide (em) or narrower stays on one line rather than make two of a character or
# two each.
SHORT_VALUE_EM = 3.5
# A token wider than this (em; a URL, a configuration line) breaks anyway: it asks for no more.
# A device name of 23 characters is 12 em.
WIDEST_TOKEN_EM = 16.0
# The space LibreOffice and Word put between a CJK ideograph and a Latin letter or digit.
AUTOSPACE_EM = 0.25
# Widths are measured a character at a time in Python; documents repeat their cell texts
# (statuses, dates, device names) and their characters, so each is measured once per
# process. Bounded: the daemon may make documents for months.
MEASURED_TEXTS_KEPT = 65_536


@cache
def _latin_advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance widths (em) of DejaVu Serif, the font the PDF's Latin text is set in."""
    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    path = _matplotlib_data() / "fonts" / "ttf" / name
    font = TTFont(path, lazy=True)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    advances = {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}
    font.close()
    return advances, max(advances.values())


def _matplotlib_data() -> Path:
    """matplotlib's data directory (``matplotlib.get_data_path()``: ``mpl-data`` beside the
    package), found without importing matplotlib: a Word document without charts (the daily
    report, the summary) would load it, and numpy, for this path alone (~0.25 s)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("matplotlib is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data"


@cache  # one entry per distinct character
def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def char_em(ch: str, bold: bool = False) -> float:
    """Width of one character in em: CJK and full-width one em, Latin as DejaVu Serif sets it
    (a character DejaVu lacks is taken as its widest glyph)."""
    if _is_wide(ch):
        return 1.0
    if ch == BREAK_HINT:
        return 0.0
    advances, widest = _latin_advances(bold)
    return advances.get(ord(ch), widest)


def _autospace(before: str, after: str) -> float:
    """LibreOffice and Word add space between a CJK ideograph and a Latin letter or digit
    ("2 天 5 小时"): about a quarter em, counted here so "2天5小时0分" still fits."""
    if (_ideograph(before) and _latin(after)) or (_latin(before) and _ideograph(after)):
        return AUTOSPACE_EM
    return 0.0


def _ideograph(ch: str) -> bool:
    return _is_wide(ch) and unicodedata.category(ch) == "Lo"


def _latin(ch: str) -> bool:
    return ch.isalnum() and not _is_wide(ch)


def _run_em(text: str, bold: bool) -> float:
    width, previous = 0.0, ""
    for ch in text:
        width += char_em(ch, bold) + (_autospace(previous, ch) if previous else 0.0)
        previous = ch
    return width


@lru_cache(maxsize=MEASURED_TEXTS_KEPT)
def text_em(text: str, bold: bool = False) -> float:
    """Width in em of ``text``'s longest line, unbroken."""
    return max((_run_em(line, bold) for line in text.splitlines()), default=0.0)


@lru_cache(maxsize=MEASURED_TEXTS_KEPT)
def word_em(text: str, bold: bool = False) -> float:
    """Width in em of the widest part of ``text`` between spaces (a date or a time of
    "2026-04-01 08:30"): what a value needs when it wraps at its spaces only. Text with CJK
    characters does not wrap at its spaces only (a line fills up to a break between two
    characters: "无记录 / 无记" / "录"), so it needs its whole width."""
    if any(_is_wide(ch) for ch in text):
        return text_em(text, bold)
    return max((_run_em(word, bold) for word in text.split()), default=0.0)


def _opens(ch: str) -> bool:
    """A full-width opening mark (（《「): no line break after it."""
    return _is_wide(ch) and unicodedata.category(ch) in ("Ps", "Pi")


def _closes(ch: str) -> bool:
    """A full-width closing or trailing mark (）》」，。、：；): no line break before it."""
    return _is_wide(ch) and unicodedata.category(ch) in ("Pe", "Pf", "Po")


# A zero-width space: a line may break here, nothing is printed.
BREAK_HINT = "\u200b"


def with_break_hints(text: str) -> str:
    """``text`` with a break allowed after a full-width mark that is followed by Latin text.
    LibreOffice keeps "、" with the Latin word after it, so a list of names joined by "、"
    ("health_hourly、outages、events") is one unbreakable run, broken mid-name in any column
    narrower than all of it; after the hint it wraps after a "、"."""
    out = []
    for index, ch in enumerate(text):
        out.append(ch)
        following = text[index + 1 : index + 2]
        if _closes(ch) and following and _latin(following):
            out.append(BREAK_HINT)
    return "".join(out)


def _break_between(before: str, after: str) -> bool:
    """May a line break between these two (non-space) characters?"""
    if _closes(after) or _opens(before):
        return False
    # LibreOffice keeps a full-width mark with the Latin text beside it ("库、URL" broke as
    # "库" / "、U" / "RL" in a column narrower than that).
    if (_is_wide(before) and not _ideograph(before) and not _is_wide(after)) or (
        _is_wide(after) and not _ideograph(after) and not _is_wide(before)
    ):
        return False
    # Around a CJK character, yes; between Latin letters, digits and signs, no: dates, names,
    # numbers and versions stay whole (a break after a hyphen is allowed but reads badly).
    return _is_wide(before) or _is_wide(after)


@lru_cache(maxsize=MEASURED_TEXTS_KEPT)
def token_em(text: str, bold: bool = False) -> float:
    """Width in em of the widest part of ``text`` a line cannot break inside."""
    longest = current = 0.0
    previous = ""
    for ch in with_break_hints(text):
        if ch.isspace() or ch == BREAK_HINT:
            current, previous = 0.0, ""
            continue
        if previous and _break_between(previous, ch):
            current = 0.0
        elif previous:
            current += _autospace(previous, ch)
        current += char_em(ch, bold)
        longest = max(longest, current)
        previous = ch
    return longest


def _cm(em: float, size_pt: float) -> float:
    return em * size_pt * CM_PER_PT + CELL_PADDING_CM + SLACK_CM


# What narrows from one level to the next (see the module text).
TEXT, VALUES = "text", "values"
STEPS = (TEXT, VALUES, TEXT, VALUES, TEXT, TEXT, TEXT, TEXT)
# The last level at which no token breaks (values wrapped at their spaces and between CJK
# characters, text wrapped between words).
TOKENS_WHOLE = 4
# The last level at which values wrap only at their spaces (a date above its time), never
# between their characters.
VALUES_WHOLE = 3


@dataclass(frozen=True)
class _Column:
    is_text: bool
    levels: tuple[float, ...]  # cm, widest first, one per level 0..8


def _column(header: str, cells: Sequence[str], size_pt: float) -> _Column:
    line = max((text_em(cell) for cell in cells), default=0.0)
    header_line = min(text_em(header, bold=True), HEADER_EM)
    token = max(token_em(header, bold=True), *(token_em(cell) for cell in cells))
    token = min(max(token, NARROWEST_EM), WIDEST_TOKEN_EM)
    words = max((word_em(cell) for cell in cells), default=0.0)
    is_text = line > max(token, SHORT_EM)
    if is_text:
        whole = max(token, TEXT_MIN_EM)
        first = max(min(line, WIDEST_TEXT_EM), header_line, whole)
        comfort = max(token, TEXT_COMFORT_EM)
        widths = [first, comfort, comfort, whole, whole, TEXT_MIN_EM, TEXT_MIN_EM, NARROWEST_EM]
        widths.append(NARROWEST_EM)
    else:
        one_line = max(line, header_line, token)
        # Wrapped at their spaces, values still keep the header on its line ("响应时间", not
        # "响应时" / "间"); wrapped between CJK characters, the header wraps too.
        spaced = max(words, token, header_line)
        two_lines = max(
            token,
            min(_two_lines_em(header, bold=True), HEADER_EM),
            *(_two_lines_em(cell) for cell in cells),
        )
        widths = [one_line, one_line, spaced, spaced, two_lines, two_lines, token, token]
        widths.append(NARROWEST_EM)
    for level in range(1, len(widths)):
        widths[level] = min(widths[level], widths[level - 1])
    return _Column(is_text, tuple(_cm(width, size_pt) for width in widths))


@lru_cache(maxsize=MEASURED_TEXTS_KEPT)
def _two_lines_em(text: str, bold: bool = False) -> float:
    """About what a value with CJK characters needs on two lines (a line fills up to a
    character, so half its width and one character more); other values wrap at spaces. Up to
    three characters ("已完成", "实施人") stay on one line: two lines of them read badly."""
    if not any(_is_wide(ch) for ch in text):
        return word_em(text, bold)
    width = text_em(text, bold)
    return width if width <= SHORT_VALUE_EM else width / 2 + 1.0


def _columns(
    headers: Sequence[str], rows: Sequence[Sequence[str]], size_pt: float
) -> list[_Column]:
    return [
        _column(header, [row[index] for row in rows], size_pt)
        for index, header in enumerate(headers)
    ]


def table_layout(
    headers: Sequence[str], rows: Sequence[Sequence[str]], total_cm: float
) -> tuple[float, list[float]]:
    """The font size (pt) and column widths (cm, summing to ``total_cm``) of a table: the
    normal size when no token has to break at it, else the smaller one (where fewer break)."""
    columns = _columns(headers, rows, TABLE_FONT_PT)
    if _tokens_whole(columns, total_cm):
        return TABLE_FONT_PT, _fit(columns, total_cm)
    return SMALL_TABLE_FONT_PT, _fit(_columns(headers, rows, SMALL_TABLE_FONT_PT), total_cm)


def too_wide(headers: Sequence[str], rows: Sequence[Sequence[str]], total_cm: float) -> bool:
    """True when ``total_cm`` is too narrow for the table at the normal size without
    breaking a short value between its characters ("6 分（达" / "标）", "设备网管中" / "断")
    or worse (a date or name broken, the smaller size). Such a table wants a wider page
    (render_docx puts it on a landscape one)."""
    columns = _columns(headers, rows, TABLE_FONT_PT)
    return sum(column.levels[VALUES_WHOLE] for column in columns) > total_cm


def _tokens_whole(columns: list[_Column], total_cm: float) -> bool:
    """Whether every column keeps its tokens whole within ``total_cm``."""
    return sum(column.levels[TOKENS_WHOLE] for column in columns) <= total_cm


def column_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    total_cm: float,
    size_pt: float = TABLE_FONT_PT,
) -> list[float]:
    """Widths in cm for the columns of a table set at ``size_pt``, summing to ``total_cm``."""
    return _fit(_columns(headers, rows, size_pt), total_cm)


def _fit(columns: list[_Column], total: float) -> list[float]:
    if not columns:
        return []
    widest = [column.levels[0] for column in columns]
    if sum(widest) <= total:
        # Everything fits on one line: the spare room is shared in proportion.
        return _scaled(widest, total)
    for step, kind in enumerate(STEPS):
        wider = [column.levels[step] for column in columns]
        narrower = [column.levels[step + 1] for column in columns]
        if sum(narrower) > total:
            continue
        if kind == TEXT or step == len(STEPS) - 1:
            room = (total - sum(narrower)) / (sum(wider) - sum(narrower))
            return [low + room * (high - low) for high, low in zip(wider, narrower, strict=True)]
        return _wrap_values(columns, wider, narrower, total)
    # Too many columns for the page even at the narrowest: every one shrinks alike.
    return _scaled([column.levels[-1] for column in columns], total)


def _wrap_values(
    columns: list[_Column], wider: list[float], narrower: list[float], total: float
) -> list[float]:
    """Narrow as few value columns as will do: the one that alone saves enough and least, or
    else the one that saves most, until the table fits; the room left goes to the text."""
    widths = list(wider)
    candidates = {index for index in range(len(columns)) if narrower[index] < wider[index]}
    while sum(widths) > total + 1e-9:
        deficit = sum(widths) - total
        savings = {index: wider[index] - narrower[index] for index in candidates}
        enough = [index for index, saving in savings.items() if saving >= deficit]
        chosen = (
            min(enough, key=savings.__getitem__)
            if enough
            else max(savings, key=savings.__getitem__)
        )
        widths[chosen] = narrower[chosen]
        candidates.remove(chosen)
    spare = total - sum(widths)
    text = [index for index, column in enumerate(columns) if column.is_text]
    receivers = text or list(range(len(columns)))
    share = sum(widths[index] for index in receivers)
    for index in receivers:
        widths[index] += spare * widths[index] / share
    return widths


def _scaled(widths: list[float], total: float) -> list[float]:
    factor = total / sum(widths)
    return [width * factor for width in widths]
