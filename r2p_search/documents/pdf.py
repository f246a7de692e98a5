"""PDF: text in reading order, laid out as the UN lays out its reports and verbatim records.

PDFium (through pypdfium2) gives each run of text on a line with its box; why PDFium and not
pypdf or pdfminer is recorded in docs/formats.md. From the boxes:

1. runs on one baseline become a line; a small raised number on a line is a footnote mark and
   is dropped, so that "protect.3" reads "protect.";
2. a page with many lines wholly left of its middle and many wholly right of it is set in two
   columns: within each band between lines that span the page, the left column is read before
   the right;
3. furniture goes: running headers and footers (the symbol, page numbers, job numbers, the
   barcode line, "Please recycle"), by pattern and as lines repeated at the top or foot of
   pages; the first page's masthead becomes metadata (un.masthead);
4. lines in a smaller type at the foot of a page are its footnotes, kept as passages of their own;
5. lines become paragraphs where the space between lines grows, where a line is indented after
   a finished sentence, where the last line stopped short after a full stop, or where a number
   continues the document's paragraph numbering ("12." after "11.").

A page with no text layer (a scan) is read by Tesseract when OCR is asked for (ocr.py), and
laid out the same way. PDFium runs no JavaScript in this build and fetches nothing; a file's
pages, size and reading time are bounded (config.MAX_PDF_PAGES, FORMAT_MAX_BYTES,
MAX_SECONDS_PER_FILE).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from .. import config
from ..errors import BadFileError
from .model import Block, SourceFile
from .reading import Deadline, Read
from .un import NUMBERED, is_furniture, is_notice, masthead, number_blocks

_SENTENCE_END = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")
_FOOTNOTE_START = re.compile(r"^(\d{1,3})\s*\S")
_NOTE_NUMBER = re.compile(r"^(\d{1,3})\s+[A-Z(\"\u201c\u2018]")  # "1 See ...": a note in the text's size
_LABEL = re.compile(r"^(?:\d{1,3}|[IVXL]{1,6}|[A-Z]|\([a-z0-9]{1,4}\))\.?$")  # "11.", "IV.", "B.", "(a)"


@dataclass(eq=False)  # lines are told apart by identity: two may read the same
class Line:
    text: str
    left: float
    right: float
    top: float  # PDF space: y grows upwards
    bottom: float
    size: float  # font size of its first run
    page: int
    column: int = 0  # 0 spans the page (or the page has one column), 1 left, 2 right
    row: int = 0  # lines at one height share a row, numbered from the top of the page
    bold: bool = False  # every run of it is set in a bold face (headings)

    @property
    def height(self) -> float:
        return self.top - self.bottom


@dataclass
class _Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)


def read(file: SourceFile, data: bytes, deadline: Deadline, ocr: bool = False) -> Read:
    pages, info = _extract(file.source, data, deadline)
    if any(page.lines for page in pages):
        return layout(pages, info)
    if not ocr:
        raise BadFileError(
            f"{file.source}: PDF has no text layer (a scan?): index with --ocr to read it with "
            "Tesseract, or run OCR on it first (for example ocrmypdf)"
        )
    from . import ocr as tesseract

    # OCR takes seconds a page: a scan gets that much more time than the limit for one file.
    deadline.extend(len(pages) * tesseract.SECONDS_PER_PAGE / 4)
    pages, info = _extract(file.source, data, deadline, scanned=True)
    if not any(page.lines for page in pages):
        raise BadFileError(f"{file.source}: PDF has no text layer, and OCR found no text in it")
    found = layout(pages, info)
    found.meta["ocr"] = True
    return found


def _extract(
    source: str, data: bytes, deadline: Deadline, scanned: bool = False
) -> tuple[list[_Page], dict[str, Any]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise BadFileError(
                f"{source}: PDF is encrypted (password-protected): save an unlocked copy"
            ) from None
        if code == pdfium.raw.FPDF_ERR_SECURITY:
            raise BadFileError(f"{source}: PDF uses an unsupported security handler") from None
        why = str(exc).split("(", 1)[-1].rstrip(").") if "(" in str(exc) else str(exc)
        raise BadFileError(
            f"{source}: damaged or truncated PDF ({why}); get a fresh copy or save it again"
        ) from None
    try:
        count = len(pdf)
        if count > config.MAX_PDF_PAGES:
            raise BadFileError(
                f"{source}: PDF has {count:,} pages, over the {config.MAX_PDF_PAGES:,}-page limit"
            )
        info = {key.lower(): value for key, value in pdf.get_metadata_dict(skip_empty=True).items()}
        pages = []
        for index in range(count):
            deadline.check()
            page = pdf[index]
            try:
                pages.append(
                    _scanned_lines(page, index + 1, source) if scanned else _page_lines(page, index + 1)
                )
            finally:
                page.close()
        return pages, info
    except pdfium.PdfiumError as exc:
        raise BadFileError(f"{source}: damaged PDF ({exc})") from None
    finally:
        pdf.close()


def _page_lines(page: Any, number: int) -> _Page:
    """The page's characters, in PDFium's order, cut into runs of text that sit side by side."""
    import ctypes

    import pypdfium2.raw as raw

    width, height = page.get_size()
    textpage = page.get_textpage()
    runs: list[Line] = []
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count > 0 else ""
        if len(text) != count:  # characters outside the BMP: positions and text no longer align
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")[:count]
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        run: Line | None = None
        for index, char in enumerate(text):
            if char in "\r\n\x00":
                run = None
                continue
            if char.isspace():
                if run is not None and not run.text.endswith(" "):
                    run.text += " "
                continue
            raw.FPDFText_GetCharBox(textpage, index, left, right, bottom, top)
            box = (left.value, right.value, bottom.value, top.value)
            if run is None or not _continues(run, box):
                size = raw.FPDFText_GetFontSize(textpage, index) or (box[3] - box[2])
                bold = raw.FPDFText_GetFontWeight(textpage, index) >= 600
                run = Line("", box[0], box[1], box[3], box[2], float(size), number, bold=bold)
                runs.append(run)
            elif char.isdigit() and raw.FPDFText_GetFontSize(textpage, index) < 0.8 * run.size:
                continue  # a raised footnote mark inside a line: the note is kept at the page's foot
            # PDFium marks a hyphen that ends a line as \x02; the splitter decides whether it stays.
            run.text += "-" if char in "\x02\ufffe" else char
            run.right = max(run.right, box[1])
            run.top = max(run.top, box[3])
            run.bottom = min(run.bottom, box[2])
    finally:
        textpage.close()
    for run in runs:
        run.text = run.text.strip()
    return _Page(number, width, height, _lines([r for r in runs if r.text]))


def _scanned_lines(page: Any, number: int, source: str) -> _Page:
    from .ocr import page_lines

    width, height = page.get_size()
    lines = [
        Line(text, left, right, top, bottom, size, number, row=row)
        for row, (text, left, right, top, bottom, size) in enumerate(page_lines(page, source))
    ]
    lines.sort(key=lambda line: (-line.top, line.left))
    # Word heights vary with the letters in them ("x" against "Mg"): sizes within a third of the
    # page's usual one are that size, so that only real headings and footnotes stand apart.
    usual = statistics.median([line.size for line in lines]) if lines else 0.0
    for row, line in enumerate(lines):
        line.row = row
        if abs(line.size - usual) < usual / 3:
            line.size = usual
    return _Page(number, width, height, lines)


def _continues(run: Line, box: tuple[float, float, float, float]) -> bool:
    """Whether a character's box carries on `run`: on its line, just after it."""
    left, _right, bottom, top = box
    overlap = min(run.top, top) - max(run.bottom, bottom)
    if overlap < 0.3 * min(run.top - run.bottom or 1.0, (top - bottom) or 1.0):
        return False
    return run.right - run.size <= left <= run.right + 1.5 * run.size


def _lines(runs: list[Line]) -> list[Line]:
    """Runs at one height as lines: a row split where a wide gap (a column gutter) parts it.

    Glyph boxes differ in height ("g" reaches lower than "a"), so rows are found by overlap, not
    by equal coordinates. A small raised number inside a line is a footnote mark and is dropped;
    at a line's start it is a note's own number and is kept.
    """
    if not runs:
        return []
    body = statistics.median([r.size for r in runs])
    rows: list[list[Line]] = []
    for run in sorted(runs, key=lambda r: -(r.top + r.bottom) / 2):
        row = rows[-1] if rows else None
        if row is not None and _overlaps(row, run):
            row.append(run)
        else:
            rows.append([run])
    lines: list[Line] = []
    for number, row in enumerate(rows):
        row.sort(key=lambda r: r.left)
        current: Line | None = None
        for run in row:
            mark = run.text.isdigit() and len(run.text) <= 3 and run.size < 0.8 * body
            gap = run.left - current.right if current is not None else 0.0
            # A paragraph's number stands apart from its text (a hanging indent), a column gutter further.
            reach = 6 if current is not None and _LABEL.match(current.text) else 1.5
            if current is not None and gap < reach * max(current.size, run.size):
                if mark:
                    continue  # a superscript footnote mark: the note itself is kept at the page's foot
                gap = (
                    " "
                    if run.left - current.right > 0.1 * current.size and not current.text.endswith("-")
                    else ""
                )
                current.text = f"{current.text}{gap}{run.text}"
                current.right = max(current.right, run.right)
                current.top = max(current.top, run.top)
                current.bottom = min(current.bottom, run.bottom)
                current.bold = current.bold and run.bold
                continue
            current = Line(
                run.text,
                run.left,
                run.right,
                run.top,
                run.bottom,
                run.size,
                run.page,
                row=number,
                bold=run.bold,
            )
            lines.append(current)
    return lines


def _overlaps(row: list[Line], run: Line) -> bool:
    top = max(r.top for r in row)
    bottom = min(r.bottom for r in row)
    overlap = min(top, run.top) - max(bottom, run.bottom)
    return overlap > 0.4 * min(top - bottom, run.height)


def layout(pages: list[_Page], info: dict[str, Any]) -> Read:
    """Blocks and metadata from the lines of every page."""
    all_lines = [line for page in pages for line in page.lines]
    body_size = _body_size(all_lines)
    repeated = _repeated_edges(pages)
    for page in pages:
        page.lines = _reading_order(page)
    # The masthead is read top down across the whole page: the symbol sits at the top right,
    # above the second column.
    first = sorted(pages[0].lines, key=lambda line: (line.row, line.left)) if pages else []
    meta, used_at = masthead([line.text for line in first])
    used = {id(first[i]) for i in used_at}
    symbols = [meta["symbol"]] if meta.get("symbol") else []
    title_lines: list[Line] = []
    body: list[Line] = []
    footnotes: list[Line] = []
    asides: list[list[Line]] = []  # small type that is not a footnote: boxes, notices, captions
    numbered = 0  # footnotes seen so far: a note in the text's size must carry the next number
    for page in pages:
        kept = [
            line
            for line in page.lines
            if id(line) not in used
            and not is_furniture(line.text, symbols)
            and _edge_key(line, page) not in repeated
        ]
        if page.number == 1:
            title_lines = _title(kept, body_size)
            kept = [line for line in kept if line not in title_lines]
        notes = _footnote_lines(kept, body_size, numbered + 1)
        numbered += sum(1 for line in notes if _FOOTNOTE_START.match(line.text))
        small = [line for line in kept if line not in notes and line.size <= body_size - 0.8]
        footnotes.extend(notes)
        asides.append(small)
        # Small type stays out of the running text, which may go on past it to the next page.
        body.extend(line for line in kept if line not in notes and line not in small)
    blocks = _paragraphs(body, body_size)
    for small in asides:
        blocks.extend(replace(b, part="aside") for b in _paragraphs(small, body_size))
    blocks = [b for b in blocks if not is_notice(b.text)]
    title = " ".join(line.text for line in title_lines).strip() or None
    found = Read(body="", meta=meta, title=title or _info_title(info, meta))
    blocks = number_blocks(blocks)
    blocks.extend(_footnotes(footnotes))
    found.blocks = blocks
    return found


def _info_title(info: dict[str, Any], meta: dict[str, Any]) -> str | None:
    if meta.get("meeting") and meta.get("organ"):
        return f"{meta['organ']}, {meta['meeting']}"
    # Writers leave "untitled" or "Microsoft Word - draft.docx" in the file's own title.
    title = re.sub(r"^Microsoft Word - ", "", str(info.get("title") or "").strip())
    if title.lower() in ("untitled", "") or title.lower().endswith((".doc", ".docx")):
        return meta.get("symbol")
    return title


def _body_size(lines: list[Line]) -> float:
    """The size of the running text: the size most of the document's characters are set in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _edge_key(line: Line, page: _Page) -> tuple[str, str] | None:
    """A line at the top or foot of a page, its digits masked: running headers repeat so."""
    band = 0.1 * page.height
    if line.top >= page.height - band:
        edge = "top"
    elif line.bottom <= band:
        edge = "foot"
    else:
        return None
    return edge, re.sub(r"\d+", "#", " ".join(line.text.lower().split()))


def _repeated_edges(pages: list[_Page]) -> set[tuple[str, str] | None]:
    """Lines at the top or foot of pages that recur on many pages: running headers and footers."""
    if len(pages) < 3:
        return set()
    counts: Counter[tuple[str, str]] = Counter()
    for page in pages:
        counts.update({key for line in page.lines if (key := _edge_key(line, page)) is not None})
    needed = max(3, len(pages) // 2)
    return {key for key, n in counts.items() if n >= needed}


def _reading_order(page: _Page) -> list[Line]:
    """The page's lines in reading order: column by column within bands of full-width lines."""
    middle = page.width / 2
    lines = sorted(page.lines, key=lambda line: (line.row, line.left))
    # Columns are told by full lines of text on either side of the middle: a masthead's short
    # lines (the organ on the left, the symbol on the right) do not make a page two columns.
    wide = 0.3 * page.width
    left = [line for line in lines if line.right <= middle + 2 and line.right - line.left >= wide]
    right = [line for line in lines if line.left >= middle - 2 and line.right - line.left >= wide]
    if min(len(left), len(right)) < 5 or len(left) + len(right) < 0.4 * len(lines):
        return lines
    ordered: list[Line] = []
    band: list[Line] = []
    for line in lines:
        if line.right <= middle + 2:
            line.column = 1
            band.append(line)
        elif line.left >= middle - 2:
            line.column = 2
            band.append(line)
        else:
            ordered.extend(_by_column(band))
            band = []
            ordered.append(line)
    ordered.extend(_by_column(band))
    return ordered


def _by_column(band: list[Line]) -> list[Line]:
    return [line for line in band if line.column == 1] + [line for line in band if line.column == 2]


def _title(lines: list[Line], body_size: float) -> list[Line]:
    """The first page's title: near its top, a run of lines set clearly larger than the text."""
    for start, line in enumerate(lines[:8]):
        if line.size >= body_size * 1.25 and len(line.text.split()) >= 2:
            end = start
            while end + 1 < len(lines) and abs(lines[end + 1].size - line.size) < 0.5:
                end += 1
            return lines[start : end + 1]
    return []


def _footnote_lines(lines: list[Line], body_size: float, expected: int) -> list[Line]:
    """The footnotes at a page's foot, after its last line of text.

    Set smaller than the text, as in UN reports; or, as a word processor may print them, in the
    text's size but set apart below a gap and opening with the next note's number (`expected`).
    """
    notes: list[Line] = []
    for line in reversed(lines):
        if line.size <= body_size - 0.8:
            notes.append(line)
        else:
            break
    notes.reverse()
    if notes:
        # Small type that does not open with a note's number is a caption or a box, not notes.
        return notes if _FOOTNOTE_START.match(notes[0].text) else []
    steps = [a.bottom - b.bottom for a, b in itertools.pairwise(lines) if a.column == b.column]
    usual = statistics.median([s for s in steps if s > 0] or [body_size * 1.2])
    for start in range(len(lines) - 1, 0, -1):
        above, line = lines[start - 1], lines[start]
        if line.column != above.column or above.bottom - line.bottom > 1.8 * usual:
            number = _NOTE_NUMBER.match(line.text)
            if number and int(number.group(1)) == expected and line.column == above.column:
                return lines[start:]
            return []
    return []


def _footnotes(lines: list[Line]) -> list[Block]:
    """One block per footnote: a note starts at a line opening with its number."""
    from .lines import join_lines, vocabulary_of

    vocabulary = vocabulary_of(" ".join(line.text for line in lines))
    notes: list[list[Line]] = []
    for line in lines:
        start = _FOOTNOTE_START.match(line.text)
        expected = len(notes) + 1
        if (
            not notes
            or (start and int(start.group(1)) in (expected, expected + 1))
            or line.left < notes[-1][0].left - 3
        ):
            notes.append([line])
        else:
            notes[-1].append(line)
    return [
        Block(join_lines([line.text for line in note], vocabulary), page=note[0].page, part="footnote")
        for note in notes
    ]


def _paragraphs(lines: list[Line], body_size: float) -> list[Block]:
    """The running text's lines, in reading order, cut into paragraphs."""
    from .lines import join_lines, vocabulary_of

    if not lines:
        return []
    vocabulary = vocabulary_of(" ".join(line.text for line in lines))
    spacing = _line_spacing(lines)
    margins = _margins(lines)
    groups: list[list[Line]] = []
    expected = 1
    for previous, line in zip([None, *lines[:-1]], lines, strict=True):
        numbered = NUMBERED.match(line.text)
        continues_numbering = numbered is not None and int(numbered.group(1)) == expected
        if previous is None or _breaks(previous, line, spacing, margins, body_size) or continues_numbering:
            groups.append([line])
        else:
            groups[-1].append(line)
        if continues_numbering:
            expected += 1
    blocks = []
    for group in groups:
        text = join_lines([line.text for line in group], vocabulary)
        heading = all(line.size >= body_size * 1.15 or line.bold for line in group) or (
            # One short line with no closing punctuation: "II. Background", "Summary".
            len(group) == 1 and len(text.split()) <= 12 and not re.search(r"[.!?:;,]\W*$", text)
        )
        blocks.append(Block(text, page=group[0].page, part="heading" if heading else None))
    return blocks


def _line_spacing(lines: list[Line]) -> float:
    """The usual distance between the baselines of two lines of one paragraph."""
    steps = [
        a.bottom - b.bottom
        for a, b in itertools.pairwise(lines)
        if a.page == b.page and a.column == b.column and 0 < a.bottom - b.bottom < 4 * a.size
    ]
    return statistics.median(steps) if steps else 12.0


def _margins(lines: list[Line]) -> dict[tuple[int, int], tuple[float, float]]:
    """The left and right edge of the text in each column of each page."""
    edges: dict[tuple[int, int], list[Line]] = {}
    for line in lines:
        edges.setdefault((line.page, line.column), []).append(line)
    return {
        key: (min(line.left for line in group), max(line.right for line in group))
        for key, group in edges.items()
    }


def _breaks(
    previous: Line,
    line: Line,
    spacing: float,
    margins: dict[tuple[int, int], tuple[float, float]],
    size: float,
) -> bool:
    """Whether `line` opens a new paragraph after `previous`."""
    left, _right = margins[(line.page, line.column)]
    indented = line.left > left + 0.8 * size
    ended = bool(_SENTENCE_END.search(previous.text))
    if abs(line.size - previous.size) > 1.0 or line.bold != previous.bold:
        return True  # a heading or a title ends, or begins
    same_column = previous.page == line.page and previous.column == line.column
    if same_column and previous.bottom - line.bottom > 1.45 * spacing:
        return True  # space between paragraphs
    previous_right = margins[(previous.page, previous.column)][1]
    next_word = len(line.text.split()[0]) if line.text.split() else 0
    if ended and previous.right + (next_word + 1) * 0.5 * size < previous_right - 2 * size:
        return True  # the last line of a paragraph stops short
    hanging = NUMBERED.match(previous.text) and not NUMBERED.match(line.text)
    if indented and ended and not hanging:
        prev_left = margins[(previous.page, previous.column)][0]
        return previous.left <= prev_left + 0.8 * size or not same_column
    return False
