"""Real UN text laid out as UN documents (PDF, DOCX, HTML) by real writers, with the ground truth.

No UN file can be downloaded where the tests run, so the tests take real General Debate speeches
(../shared/data/ungdc) and lay them out the way the UN prints them: a one-column report with
numbered paragraphs and footnotes, a two-column verbatim record, a Word draft, a statement page as
saved from un.org, and a set of broken and hostile files. Each writer returns what a reader must
get back, so a test compares the engine's extraction with the source text, not with itself.

Everything is deterministic: the same input gives byte-identical files (fixed seeds, reportlab's
invariant mode, fixed dates in DOCX core properties and zip entries), so a failing test names a
change in the engine, not in the data.

Compare texts with `normalize_space`: readers legitimately differ in how they render runs of
whitespace and no-break spaces, and the ground truth is written with single plain spaces.

Run as a script to build a researcher's folder: python tests/undocs.py OUTDIR [--ungdc DIR]
"""

from __future__ import annotations

import argparse
import html
import io
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

# The third-party writers (reportlab, python-docx, Pillow) are imported inside the functions that
# use them: speech_paragraphs and the byte-level hostile writers then work without them, and a test
# module can importorskip just the writer it needs.

# Keywords a reader's skip reason is expected to contain, per kind of unusable file.
SKIP_NO_TEXT = "no text"  # a scanned PDF: pages are images, no text layer
SKIP_PASSWORD = "password"  # an encrypted PDF that needs a user password
SKIP_DAMAGED = "damaged"  # a truncated PDF, a .docx that is not a zip
SKIP_UNSUPPORTED = "unsupported"  # Word 97 .doc, PowerPoint .ppt, images

PAGE_W, PAGE_H = 595.2756, 841.8898  # A4 in points, as reportlab.lib.pagesizes.A4

DEFAULT_UNGDC = Path(__file__).resolve().parents[2] / "shared" / "data" / "ungdc"


@dataclass
class Para:
    text: str  # the paragraph's text exactly as a reader should get it back (no number prefix, no marks)
    number: int | None = None  # printed paragraph number ("11. "), None for title/summary/unnumbered text
    kind: str = "body"  # "body" | "title" | "summary" | "footnote" | "heading"
    page: int | None = None  # filled in by the PDF writers: 1-based page where the paragraph starts
    footnote: int | None = None  # for kind "footnote": its number
    cites: tuple[int, ...] = ()  # footnotes whose superscript marks follow a sentence in this paragraph


@dataclass
class UNDoc:
    symbol: str  # e.g. "A/66/874" or joint "A/66/874–S/2012/578" (en dash)
    organ: str  # "General Assembly" (or "Security Council", "Human Rights Council")
    session: str  # e.g. "Sixty-sixth session"
    agenda_item: str  # e.g. "Agenda item 14" or "Agenda items 14 and 117"
    date: str  # e.g. "25 July 2012" (printed after "Distr.: General")
    title: str  # e.g. "Responsibility to protect: timely and decisive response"
    subtitle: str = "Report of the Secretary-General"
    job: str = "12-44215 (E)   270712"  # job number line printed on page 1 footer and later pages
    paras: list[Para] = field(default_factory=list)  # summary, then numbered body, headings between
    footnotes: list[Para] = field(default_factory=list)  # kind "footnote", with .footnote = number


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (NBSP, tabs, line breaks included) to one space, strip the ends."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Reading the UNGDC speeches
# ---------------------------------------------------------------------------------------------

# The extractions keep the records' page furniture: "11-51398 12", "13 11-51398", "16-29559 21/28",
# bare page numbers, and now and then the running header ("A/63/PV.13", "13/01/2021").
_FURNITURE = re.compile(
    r"\d+(?:/\d+)?"
    r"|(?:\d+(?:/\d+)?\s+)?\d{2}-\d{5}(?:\s*\([A-Z]\))?(?:\s+\d+(?:/\d+)?)?"
    r"|A/\d+/PV\.\d+|\d{2}/\d{2}/\d{4}"
)
# From 2016 the job number and "page/pages" are sometimes glued into a text line; that pair is never text.
_INLINE_FURNITURE = re.compile(r"(?<!\S)(?:\d+/\d+\s+\d{2}-\d{5}|\d{2}-\d{5}\s+\d+/\d+)(?!\S)")
_LETTERS = re.compile(r"[^\W\d_]+")
_STEM_BEFORE_HYPHEN = re.compile(r"([^\W\d_]+)-$")


def speech_paragraphs(path: Path) -> list[str]:
    """The paragraphs of a UNGDC .txt speech as clean single-line strings: BOM/CRLF removed, hard wraps
    joined, a paragraph starts at a line indented by a space; line-end hyphenation joined where the joined
    word appears elsewhere in the text (else keep the hyphen). Drop lines that are pure page furniture
    (digits only, or like '11-51398'). Paragraphs of fewer than 6 words are merged into the next one
    (the last one into the one before).

    Files without any indented line (older years are one paragraph per line, blank-line separated) are
    split at blank lines instead; in the indented files blank lines sit inside paragraphs, around the
    page furniture, so there they mean nothing.
    """
    raw = Path(path).read_bytes().decode("utf-8-sig", errors="replace").replace("\ufeff", "")
    lines = [ln.rstrip() for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [_INLINE_FURNITURE.sub(" ", ln) for ln in lines]
    lines = [ln for ln in lines if not _FURNITURE.fullmatch(ln.strip())]
    indented = any(ln[:1] in (" ", "\t") and ln.strip() for ln in lines)
    vocabulary = {w.lower() for w in _LETTERS.findall(raw)}

    groups: list[list[str]] = []
    for ln in lines:
        if not ln.strip():
            if not indented and groups and groups[-1]:
                groups.append([])
            continue
        if not groups or (indented and ln[:1] in (" ", "\t")):
            groups.append([])
        groups[-1].append(ln.strip())

    paragraphs: list[str] = []
    carry = ""
    for group in groups:
        if not group:
            continue
        text = _join_wrapped(group, vocabulary)
        if carry:
            text = carry + " " + text
        if len(text.split()) < 6:
            carry = text
        else:
            paragraphs.append(text)
            carry = ""
    if carry:
        if paragraphs:
            paragraphs[-1] += " " + carry
        else:
            paragraphs.append(carry)
    return paragraphs


def _join_wrapped(lines: list[str], vocabulary: set[str]) -> str:
    out = ""
    for ln in lines:
        # only the tail can end in a hyphen; searching all of `out` would be quadratic
        stem = _STEM_BEFORE_HYPHEN.search(out[-80:]) if out.endswith("-") else None
        head = _LETTERS.match(ln)
        if stem and head:
            # "protec-" + "tion" is the printer's hyphen when "protection" is a word of this speech;
            # "Secretary-" + "General" keeps its hyphen because "secretarygeneral" never occurs.
            joined = (stem.group(1) + head.group(0)).lower()
            out = (out[:-1] if joined in vocabulary else out) + ln
        else:
            out = f"{out} {ln}" if out else ln
    return normalize_space(out)


# ---------------------------------------------------------------------------------------------
# A report made of real paragraphs
# ---------------------------------------------------------------------------------------------

_HEADINGS = [
    "Introduction",
    "Background",
    "Prevention and early warning",
    "Timely and decisive response",
    "Regional and subregional arrangements",
    "The role of the Security Council",
    "Protection of civilians",
    "Accountability for the most serious crimes",
    "Partnerships and capacity-building",
    "Conclusions and recommendations",
]

_FOOTNOTE_TEXTS = [
    "See General Assembly resolution 60/1, paras. 138 and 139.",
    "A/63/677.",
    "See A/65/877–S/2011/393, paras. 12–15.",
    "Security Council resolution 1973 (2011), para. 4.",
    "Official Records of the General Assembly, Sixty-sixth Session, Plenary Meetings, 11th meeting "
    "(A/66/PV.11), and corrigendum.",
    "Security Council resolution 1674 (2006), para. 4.",
    "See A/64/864, annex.",
    "Rome Statute of the International Criminal Court (United Nations, Treaty Series, vol. 2187, "
    "No. 38544), art. 7.",
]


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out += letters
            n -= value
    return out


def report_from_speeches(
    paths: list[Path],
    symbol: str = "A/66/874–S/2012/578",
    organ: str = "General Assembly",
    session: str = "Sixty-sixth session",
    agenda_item: str = "Agenda items 14 and 117",
    date: str = "25 July 2012",
    title: str = "Responsibility to protect: timely and decisive response",
    subtitle: str = "Report of the Secretary-General",
    job: str = "12-44215 (E)   270712",
    footnotes: int = 3,
    heading_every: int = 8,
    max_paragraphs: int | None = None,
) -> UNDoc:
    """A Secretary-General-style report whose numbered paragraphs are the real paragraphs of the given
    speeches, with a summary (first paragraph of the first speech as the summary text, kind 'summary', no
    number), a heading (kind 'heading', 'I. Introduction', 'II. Background', ...) before every
    `heading_every` body paragraphs, and `footnotes` footnotes with short real-looking text
    ('See General Assembly resolution 60/1, paras. 138 and 139.'), each cited by one body paragraph.
    `max_paragraphs` caps the number of body paragraphs (for small documents)."""
    texts = [p for path in paths for p in speech_paragraphs(Path(path))]
    if len(texts) < 2:
        raise ValueError("the speeches give fewer than two paragraphs: nothing to number")
    summary, body = texts[0], texts[1:]
    if max_paragraphs is not None:
        body = body[:max_paragraphs]
    notes = [
        Para(_FOOTNOTE_TEXTS[k % len(_FOOTNOTE_TEXTS)], kind="footnote", footnote=k + 1)
        for k in range(footnotes)
    ]
    # Citing paragraphs are spread evenly, so that footnotes land on different pages.
    citing = {(k + 1) * len(body) // (footnotes + 1): k + 1 for k in range(footnotes)}
    paras = [Para(summary, kind="summary")]
    for i, text in enumerate(body):
        if i % heading_every == 0:
            n = i // heading_every
            paras.append(Para(f"{_roman(n + 1)}. {_HEADINGS[n % len(_HEADINGS)]}", kind="heading"))
        cites = (citing[i],) if i in citing else ()
        paras.append(Para(text, number=i + 1, cites=cites))
    return UNDoc(symbol, organ, session, agenda_item, date, title, subtitle, job, paras, notes)


# Where a footnote mark goes: after the first sentence that ends with a full stop (not "Mr." or an
# initial), the k-th mark after the k-th such sentence, else after the last word.
_ABBREVIATIONS = {
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "no.",
    "nos.",
    "st.",
    "para.",
    "paras.",
    "vol.",
    "art.",
    "e.g.",
    "i.e.",
}
_SENTENCE_END = re.compile(r"[.!?][”’\")]*$")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")


def _mark_positions(words: list[str], cites: tuple[int, ...]) -> dict[int, str]:
    ends = [
        i
        for i, w in enumerate(words)
        if i >= 5
        and _SENTENCE_END.search(w)
        and w.lower() not in _ABBREVIATIONS
        and not _INITIALS.fullmatch(w)
        and (i == len(words) - 1 or words[i + 1][:1].isupper() or words[i + 1][:1] in '“‘"(')
    ]
    marks: dict[int, str] = {}
    for k, number in enumerate(cites):
        at = ends[k] if k < len(ends) else len(words) - 1
        marks[at] = f"{marks[at]},{number}" if at in marks else str(number)
    return marks


def _ordinal(n: int) -> str:
    ones = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    ones += "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
    ordinal = ["", *ones.split()]
    tens = {2: "twent", 3: "thirt", 4: "fort", 5: "fift", 6: "sixt", 7: "sevent", 8: "eight", 9: "ninet"}
    if n < 20:
        return ordinal[n].capitalize()
    t, o = divmod(n, 10)
    return (f"{tens[t]}ieth" if o == 0 else f"{tens[t]}y-{ordinal[o]}").capitalize()


# ---------------------------------------------------------------------------------------------
# Laying out text by hand on a reportlab canvas
# ---------------------------------------------------------------------------------------------

ROMAN, BOLD, ITALIC = "Times-Roman", "Times-Bold", "Times-Italic"
SANS, SANS_BOLD = "Helvetica", "Helvetica-Bold"


def _pdf_safe(text: str) -> str:
    """The text the standard PDF fonts can show: they are WinAnsi-encoded, so anything outside cp1252
    is folded to its ASCII base (or '?'); the ground truth then records what was actually printed."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            # letters such as Ł and Đ have no decomposition, hence the table
            base = (
                _NO_DECOMPOSITION.get(ch)
                or unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            )
            out.append(base or "?")
    return "".join(out)


_NO_DECOMPOSITION = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t"}


@dataclass
class _Word:
    text: str
    font: str
    size: float
    mark: str = ""  # superscript footnote number(s) printed right after the word

    def width(self) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        w = stringWidth(self.text, self.font, self.size)
        if self.mark:
            w += stringWidth(self.mark, self.font, self.size * 0.65)
        return w


@dataclass
class _Line:
    words: list[_Word]
    indent: float = 0.0
    last: bool = False  # the last line of a paragraph is not justified


def _space(font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(" ", font, size)


def _natural(words: list[_Word]) -> float:
    return sum(w.width() for w in words) + sum(_space(w.font, w.size) for w in words[:-1])


_SUFFIXES = ("tional", "tion", "sion", "ment", "ments", "ance", "ence", "ness", "ity", "ing", "able", "ible")
_PREFIXES = ("counter", "inter", "trans", "under", "over", "multi")
_VOWELS = set("aeiouy")
_DIGRAPHS = {"th", "ch", "sh", "ph", "wh", "ck", "qu", "gh", "ng"}
_HYPHENATABLE = re.compile(r"([a-z]{9,})([.,;:”’)]*)")


def _hyphen_points(core: str) -> list[int]:
    """Plausible break positions in a lower-case word, best first: before a suffix, after a prefix, then
    between two consonants or before a consonant that starts a syllable (never inside 'th', 'ch' ...)."""
    points: list[int] = []
    low = core.lower()
    for suffix in _SUFFIXES:
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            points.append(len(low) - len(suffix))
    for prefix in _PREFIXES:
        if low.startswith(prefix) and len(low) - len(prefix) >= 4:
            points.append(len(prefix))
    for i in range(3, len(low) - 3):
        a, b, c = low[i - 1], low[i], low[i + 1]
        if low[i - 1 : i + 1] in _DIGRAPHS or low[i : i + 2] in _DIGRAPHS:
            continue
        if a not in _VOWELS and b not in _VOWELS and c in _VOWELS and low[i - 2] in _VOWELS:
            points.append(i)
        elif a in _VOWELS and b not in _VOWELS and c in _VOWELS:
            points.append(i)
    return list(dict.fromkeys(points))


def _split(word: _Word, room: float) -> tuple[_Word, _Word] | None:
    """The widest head of `word` that fits in `room`, ending in a hyphen, and the rest: at a hyphen the
    word already has ("foreign-" / "exchange"), or at a syllable break of a long lower-case word
    ("protec-" / "tion", a printer's hyphen the reader must undo)."""
    cuts: list[tuple[str, str]] = []
    for i, ch in enumerate(word.text):
        if (
            ch == "-"
            and 2 <= i < len(word.text) - 3
            and word.text[i - 1].isalpha()
            and word.text[i + 1].isalpha()
        ):
            cuts.append((word.text[: i + 1], word.text[i + 1 :]))
    match = _HYPHENATABLE.fullmatch(word.text)
    if match:
        core, tail = match.groups()
        cuts += [(core[:p] + "-", core[p:] + tail) for p in _hyphen_points(core)]
    for head, rest in sorted(cuts, key=lambda cut: -len(cut[0])):
        first = _Word(head, word.font, word.size)
        if first.width() <= room:
            return first, _Word(rest, word.font, word.size, word.mark)
    return None


def _wrap(words: list[_Word], width: float, first_indent: float = 0.0, hyphenate: bool = True) -> list[_Line]:
    """Greedy line breaking. A word that does not fit is split with a hyphen (see _split) when more than
    25 pt would otherwise stay empty, as a word processor with automatic hyphenation does."""
    lines: list[_Line] = []
    current: list[_Word] = []
    used = 0.0  # natural width of `current`
    indent = first_indent
    for word in words:
        gap = _space(current[-1].font, current[-1].size) if current else 0.0
        if not current or used + gap + word.width() <= width - indent:
            current.append(word)
            used += gap + word.width()
            continue
        room = width - indent - used - gap
        pieces = _split(word, room) if hyphenate and room > 25 else None
        if pieces:
            current.append(pieces[0])
            word = pieces[1]
        lines.append(_Line(current, indent))
        current, used, indent = [word], word.width(), 0.0
    if current:
        lines.append(_Line(current, indent))
    if lines:
        lines[-1].last = True
    return lines


def _words(text: str, font: str, size: float, marks: dict[int, str] | None = None) -> list[_Word]:
    marks = marks or {}
    return [_Word(w, font, size, marks.get(i, "")) for i, w in enumerate(text.split())]


def _draw_line(c: Any, line: _Line, x: float, y: float, width: float, justify: bool = True) -> None:
    """One BT/ET text object per line, real space characters between words and the justification
    as word spacing (Tw), as word processors write PDFs: extractors see ordinary spaces."""
    words = line.words
    gaps = len(words) - 1
    natural = _natural(words)
    slack = width - line.indent - natural
    word_space = 0.0
    if justify and not line.last and gaps and 0 < slack / gaps < 20:
        word_space = slack / gaps
    t = c.beginText(x + line.indent, y)
    t.setWordSpace(word_space)
    for i, w in enumerate(words):
        t.setFont(w.font, w.size)
        t.textOut(w.text)
        if w.mark:
            t.setFont(w.font, w.size * 0.65)
            t.setRise(w.size * 0.35)
            t.textOut(w.mark)
            t.setRise(0)
            t.setFont(w.font, w.size)
        if i < gaps:
            t.textOut(" ")
    t.setWordSpace(0)
    c.drawText(t)


def _canvas(path: Path, **kwargs: Any) -> Any:
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    # invariant=1 fixes the creation date and document ID, so the same input gives the same bytes.
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1, **kwargs)
    c.setCreator("Microsoft® Word 2010")  # what UN PDFs of the period say; readers must not care
    c.setProducer("Microsoft® Word 2010")
    return c


def _emblem(c: Any, x: float, y: float, r: float) -> None:
    """A line drawing in the place of the UN emblem (a globe of meridians and parallels)."""
    c.saveState()
    c.setLineWidth(0.6)
    c.circle(x, y, r)
    c.ellipse(x - r * 0.5, y - r, x + r * 0.5, y + r)
    c.line(x, y - r, x, y + r)
    for dy in (-0.5, 0.0, 0.5):
        half = r * (1 - dy * dy) ** 0.5
        c.line(x - half, y + dy * r, x + half, y + dy * r)
    c.restoreState()


def _barcode_footer(c: Any, job: str, x: float, y: float) -> None:
    """Job line, Code 39 barcode with its '*1244215*' text, and 'Please recycle', as on every page 1."""
    from reportlab.graphics.barcode import code39

    digits = "".join(ch for ch in job.split("(")[0] if ch.isdigit())
    c.setFont(SANS, 8)
    c.drawString(x, y + 26, job)
    code39.Standard39(digits, barWidth=0.55, barHeight=13, checksum=0, quiet=0).drawOn(c, x, y + 6)
    c.setFont(SANS, 7)
    c.drawString(x, y - 2, f"*{digits}*")
    c.setFont(SANS, 8)
    c.drawRightString(PAGE_W - x, y + 6, "Please recycle")
    # the three chasing arrows, reduced to a triangle
    rx, ry = PAGE_W - x - 70, y + 4
    c.setLineWidth(0.8)
    c.lines([(rx, ry, rx + 10, ry), (rx + 10, ry, rx + 5, ry + 9), (rx + 5, ry + 9, rx, ry)])


def _short_job(job: str) -> str:
    return job.split()[0] if job.split() else job


def _organs(symbol: str, organ: str) -> list[str]:
    """Organs named in the masthead: one per symbol of a joint document ("A/..–S/.." is both)."""
    names = {"A": "General Assembly", "S": "Security Council", "E": "Economic and Social Council"}
    out = [names.get(part.strip().split("/")[0], organ) for part in symbol.split("–")]
    return list(dict.fromkeys(out)) or [organ]


# ---------------------------------------------------------------------------------------------
# The one-column report
# ---------------------------------------------------------------------------------------------

_L = 64.0  # left margin: headings and paragraph numbers
_R = PAGE_W - 64.0
_IND = 28.0  # hanging indent of paragraph text
_TOP = PAGE_H - 64.0
_BOTTOM = 70.0
_LEAD = 12.0
_GAP = 6.0
_NOTE_SIZE, _NOTE_LEAD = 8.0, 9.5


def write_report_pdf(doc: UNDoc, path: Path) -> UNDoc:
    """One column, A4, reportlab canvas drawn by hand.

    Page 1: emblem, 'United Nations' + symbol top right, organ name(s), 'Distr.: General', date,
    'Original: English', then organ + session + agenda item, title (bold, larger), subtitle, 'Summary'
    and the summary text; footer: job line, a Code 39 barcode with '*1244215*', 'Please recycle'.
    The body starts on page 2. Later pages: running header = the symbol (left on even pages, right on
    odd), footer = page number and job number. Body paragraphs: number 'N.' at the left margin, the text
    with a hanging indent, justified Times 10pt; some long words at line ends are hyphenated
    ('protec-' / 'tion'). Footnote marks are small raised digits after the citing sentence; the
    footnotes are printed at the foot of the page that cites them, 8pt, below a short rule, starting
    with their number. Paragraphs flow across pages.

    Returns a copy of doc with .page filled for every para and footnote (page where each starts); text
    outside cp1252 is folded as printed (see _pdf_safe).
    """
    path = Path(path)
    paras = [replace(p, text=_pdf_safe(p.text)) for p in doc.paras]
    notes = {n.footnote: replace(n, text=_pdf_safe(n.text)) for n in doc.footnotes}
    c = _canvas(path)
    c.setTitle(f"{doc.symbol} - {doc.title}")
    c.setAuthor("United Nations")
    c.setSubject(doc.subtitle)

    state = {"page": 1, "y": 0.0, "notes": [], "notes_h": 0.0}
    note_width = _R - _L - _IND

    def note_lines(note: Para) -> list[_Line]:
        return _wrap(_words(note.text, ROMAN, _NOTE_SIZE), note_width, hyphenate=False)

    def notes_height(new: list[Para]) -> float:
        h = sum(len(note_lines(n)) * _NOTE_LEAD + 2 for n in new)
        return h + (14 if new and not state["notes"] else 0)

    def finish_page() -> None:
        page = state["page"]
        if state["notes"]:
            y = _BOTTOM + state["notes_h"] - 4
            c.setLineWidth(0.5)
            c.line(_L + _IND, y, _L + _IND + 100, y)  # the short rule above the footnotes
            y -= 12
            for note in state["notes"]:
                c.setFont(ROMAN, _NOTE_SIZE)
                c.drawRightString(_L + _IND - 6, y, str(note.footnote))
                for line in note_lines(note):
                    _draw_line(c, line, _L + _IND, y, note_width)
                    y -= _NOTE_LEAD
                y -= 2
        if page > 1:
            c.setFont(SANS_BOLD, 9)
            if page % 2 == 0:
                c.drawString(_L, PAGE_H - 42, doc.symbol)
            else:
                c.drawRightString(_R, PAGE_H - 42, doc.symbol)
            c.setLineWidth(0.5)
            c.line(_L, PAGE_H - 47, _R, PAGE_H - 47)
            c.line(_L, 52, _R, 52)
            c.setFont(SANS_BOLD, 8)
            left, right = (
                (str(page), _short_job(doc.job)) if page % 2 == 0 else (_short_job(doc.job), str(page))
            )
            c.drawString(_L, 40, left)
            c.drawRightString(_R, 40, right)
        c.showPage()
        state.update(page=page + 1, y=_TOP, notes=[], notes_h=0.0)

    def place(
        para: Para, lines: list[_Line], x: float, width: float, number: str = "", font: str = ROMAN
    ) -> None:
        """Flow the lines down the page, moving on when a line and its footnotes do not fit."""
        for i, line in enumerate(lines):
            # a footnote cited twice is printed once, where first cited
            cited = [
                notes[int(m)]
                for w in line.words
                if w.mark
                for m in w.mark.split(",")
                if int(m) in notes and notes[int(m)].page is None
            ]
            extra = notes_height(cited)
            if state["y"] - _LEAD < _BOTTOM + state["notes_h"] + extra:
                finish_page()
                extra = notes_height(cited)
            state["y"] -= _LEAD
            if i == 0:
                para.page = state["page"]
                if number:
                    c.setFont(font, 10)
                    c.drawString(_L, state["y"], number)
            _draw_line(c, line, x, state["y"], width)
            for note in cited:
                note.page = state["page"]
                state["notes"].append(note)
            state["notes_h"] += extra

    # --- page 1: masthead -------------------------------------------------------------------
    organs = _organs(doc.symbol, doc.organ)
    top = PAGE_H - 50
    _emblem(c, _L + 12, top - 4, 12)
    c.setFont(SANS, 13)
    c.drawString(_L + 30, top - 9, "United Nations")
    c.setFont(SANS_BOLD, 15 if len(doc.symbol) < 16 else 13)
    c.drawRightString(_R, top - 9, doc.symbol)
    c.setLineWidth(2)
    c.line(_L, top - 18, _R, top - 18)
    c.setFont(SANS_BOLD, 16)
    y = top - 40
    for name in organs:
        c.drawString(_L, y, name)
        y -= 19
    c.setFont(SANS, 10)
    rx = _L + 330
    c.drawString(rx, top - 36, "Distr.: General")
    c.drawString(rx, top - 48, doc.date)
    c.drawString(rx, top - 72, "Original: English")
    y = min(y, top - 78) - 6
    c.setLineWidth(2)
    c.line(_L, y, _R, y)

    # organ, session, agenda item: one column per organ, as on joint reports
    y -= 18
    columns = [[doc.organ, doc.session, doc.agenda_item]]
    if len(organs) > 1:
        years = re.findall(r"S/(\d{4})/", doc.symbol)
        council = [organs[1], f"{_ordinal(int(years[0]) - 1945)} year" if years else ""]
        columns.append(council)
    for k, column in enumerate(columns):
        cy = y
        for j, text in enumerate(column):
            c.setFont(SANS_BOLD if j == 0 else SANS, 9)
            c.drawString(_L + k * 230, cy, text)
            cy -= 11
    y -= 11 * 3 + 14

    title_lines = _wrap(_words(_pdf_safe(doc.title), BOLD, 16), _R - _L - 40, hyphenate=False)
    for line in title_lines:
        y -= 19
        _draw_line(c, line, _L, y, _R - _L, justify=False)
    y -= 10
    for line in _wrap(_words(_pdf_safe(doc.subtitle), BOLD, 12), _R - _L, hyphenate=False):
        y -= 15
        _draw_line(c, line, _L, y, _R - _L, justify=False)
    state["y"] = y - 20

    # page 1's footer is its own, not a running one; drawn first so that a summary too long for the
    # page cannot push it onto page 2
    _barcode_footer(c, doc.job, _L, 28)
    summary = [p for p in paras if p.kind == "summary"]
    if summary:
        c.setFont(BOLD, 10)
        c.drawCentredString(PAGE_W / 2, state["y"] - _LEAD, "Summary")
        state["y"] -= _LEAD + 8
    sx, sw = _L + 2 * _IND, _R - _L - 4 * _IND
    for para in summary:
        place(para, _wrap(_words(para.text, ROMAN, 10), sw), sx, sw)
        state["y"] -= _GAP
    finish_page()  # the body starts on a new page, as after a UN report's summary

    # --- body ---------------------------------------------------------------------------------
    body = [p for p in paras if p.kind != "summary"]
    width = _R - _L - _IND
    for k, para in enumerate(body):
        if para.kind == "heading":
            numeral, _, text = para.text.partition(". ")
            if not text:
                numeral, text = "", para.text
            lines = _wrap(_words(text, BOLD, 11), width, hyphenate=False)
            following = body[k + 1] if k + 1 < len(body) else None
            # keep a heading with the first two lines of what follows it
            need = 14 + len(lines) * _LEAD + (2 * _LEAD if following else 0)
            if state["y"] < _TOP and state["y"] - need < _BOTTOM + state["notes_h"]:
                finish_page()
            if state["y"] < _TOP:
                state["y"] -= 14
            place(para, lines, _L + _IND, width, numeral + "." if numeral else "", BOLD)
            state["y"] -= 4
            continue
        words = para.text.split()
        marks = _mark_positions(words, para.cites)
        lines = _wrap(_words(para.text, ROMAN, 10, marks), width)
        if state["y"] < _TOP:
            state["y"] -= _GAP
        number = f"{para.number}." if para.number is not None else ""
        place(para, lines, _L + _IND, width, number)
    if state["y"] < _TOP or state["notes"]:
        finish_page()
    c.save()
    return replace(doc, paras=paras, footnotes=[notes[n.footnote] for n in doc.footnotes])


# ---------------------------------------------------------------------------------------------
# The two-column verbatim record
# ---------------------------------------------------------------------------------------------

_NOTICE = (
    "This record contains the text of speeches delivered in English and of the interpretation of "
    "speeches delivered in other languages. Corrections should be submitted to the original languages "
    "only. They should be incorporated in a copy of the record and sent under the signature of a member "
    "of the delegation concerned to the Chief of the Verbatim Reporting Service, room U-506. Corrections "
    "will be issued after the end of the session in a consolidated corrigendum."
)


def _speaker_parts(speaker: str) -> tuple[str, str, str]:
    """(honorific, full name, surname) from 'Barack Obama' or 'Ms. Dilma Rousseff'."""
    words = speaker.split()
    honorific = "Mr."
    if words and words[0] in ("Mr.", "Ms.", "Mrs.", "Miss", "Dr."):
        honorific, words = words[0], words[1:]
    return honorific, " ".join(words), words[-1] if words else speaker


def write_verbatim_pdf(
    speeches: list[tuple[str, str, Path]],
    path: Path,
    symbol: str = "A/66/PV.11",
    meeting: str = "11th plenary meeting",
    date: str = "Wednesday, 21 September 2011, 3 p.m.",
    session: str = "Sixty-sixth session",
    president: tuple[str, str] = ("Mr. Al-Nasser", "Qatar"),
    job: str = "11-50962 (E)",
) -> list[Para]:
    """A General Assembly verbatim record in TWO columns.

    Page 1: masthead ('United Nations', symbol, 'General Assembly', session, 'Official Records', meeting,
    date, 'New York', 'President: Mr. Al-Nasser ....... (Qatar)'), the boxed corrections notice at the
    page foot above the job number, barcode and 'Please recycle'. Then 'The meeting was called to order',
    'Agenda item 8 (continued)' / 'General debate', and for each (speaker, country, UNGDC path) the
    heading 'Address by Mr. <name>, President of <country>', the escort line, the President's welcome,
    the speech, whose first paragraph starts 'President <surname>: ', the President's thanks and the
    escort out. Speaker names are bold, procedural lines italic, paragraphs unnumbered with an indented
    first line, justified. Later pages: running header with the symbol and the meeting's date (symbol
    outside), footer with the page number (outside) and the job number - the page number sits in the
    footer as in real records.

    Returns the paragraphs in reading order with .page set: headings kind 'heading', everything else
    kind 'body' with number None; the speaker prefix is part of the first paragraph's text as printed.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    path = Path(path)
    paras: list[Para] = []
    styled: list[tuple[Para, str, int]] = []  # (para, font of the body, number of leading bold words)

    def add(text: str, kind: str = "body", font: str = ROMAN, bold_words: int = 0) -> None:
        para = Para(_pdf_safe(normalize_space(text)), kind=kind)
        paras.append(para)
        styled.append((para, font, bold_words))

    hour = re.search(r"(\d{1,2}(?:\.\d\d)? [ap]\.m\.)", date)
    add(
        f"The meeting was called to order at {hour.group(1) if hour else '10 a.m.'}", font=ITALIC
    )  # "p.m." ends it
    add("Agenda item 8 (continued)", "heading")
    add("General debate", "heading")
    for speaker, country, source in speeches:
        honorific, name, surname = _speaker_parts(speaker)
        her = honorific in ("Ms.", "Mrs.", "Miss")
        excellency = "Her Excellency" if her else "His Excellency"
        them, they = ("her", "she") if her else ("him", "he")
        add(f"Address by {honorific} {name}, President of {country}", "heading")
        add(
            f"{honorific} {name}, President of {country}, was escorted into the General Assembly Hall.",
            font=ITALIC,
        )
        add(
            "The President: On behalf of the General Assembly, I have the honour to welcome to the United "
            f"Nations the President of {country}, {excellency} {honorific} {name}, and to invite "
            f"{them} to address the Assembly.",
            bold_words=2,
        )
        speech = speech_paragraphs(Path(source))
        for i, text in enumerate(speech):
            if i == 0:
                add(f"President {surname}: {text}", bold_words=2)
            else:
                add(text)
        add(
            "The President: On behalf of the General Assembly, I wish to thank the President of "
            f"{country} for the statement {they} has just made.",
            bold_words=2,
        )
        add(
            f"{honorific} {name}, President of {country}, was escorted from the General Assembly Hall.",
            font=ITALIC,
        )

    c = _canvas(path)
    c.setTitle(symbol)
    c.setAuthor("United Nations")
    left, right = 54.0, PAGE_W - 54.0
    gutter = 18.0
    col_w = (right - left - gutter) / 2
    lead = 11.5
    day = re.search(r"(\d{1,2}) (\w+) (\d{4})", date)
    months = "January February March April May June July August September October November December".split()
    short_date = (
        f"{int(day.group(1)):02d}/{months.index(day.group(2)) + 1:02d}/{day.group(3)}"
        if day and day.group(2) in months
        else date
    )

    # --- page 1 masthead and notice -------------------------------------------------------------
    top = PAGE_H - 48
    c.setFont(SANS, 12)
    c.drawString(left, top, "United Nations")
    c.setFont(SANS_BOLD, 15)
    c.drawRightString(right, top, symbol)
    c.setLineWidth(1.5)
    c.line(left, top - 8, right, top - 8)
    _emblem(c, left + 16, top - 34, 15)
    c.setFont(SANS_BOLD, 17)
    c.drawString(left + 40, top - 34, "General Assembly")
    c.setFont(SANS, 10)
    c.drawString(left + 40, top - 48, session)
    c.setFont(SANS_BOLD, 14)
    c.drawRightString(right, top - 34, "Official Records")
    c.setLineWidth(0.5)
    c.line(left, top - 58, right, top - 58)
    c.setFont(SANS_BOLD, 10)
    c.drawString(left + 40, top - 74, meeting)
    c.setFont(SANS, 10)
    c.drawString(left + 40, top - 87, date)
    c.drawString(left + 40, top - 100, "New York")
    c.setLineWidth(0.5)
    c.line(left, top - 110, right, top - 110)
    # "President: Mr. Al-Nasser .......... (Qatar)", dots as leader across the first column
    py = top - 128
    c.setFont(BOLD, 10)
    c.drawString(left, py, "President:")
    c.setFont(ROMAN, 10)
    name_x = left + stringWidth("President: ", BOLD, 10)
    c.drawString(name_x, py, president[0])
    tail = f"({president[1]})"
    c.drawRightString(left + col_w, py, tail)
    dots_from = name_x + stringWidth(president[0] + " ", ROMAN, 10)
    dots_to = left + col_w - stringWidth(tail + " ", ROMAN, 10)
    c.drawString(dots_from, py, "." * max(0, int((dots_to - dots_from) / stringWidth(".", ROMAN, 10))))

    box_top, box_bottom = 150.0, 86.0
    c.setLineWidth(0.6)
    c.rect(left, box_bottom, right - left, box_top - box_bottom)
    ny = box_top - 12
    for line in _wrap(_words(_NOTICE, ROMAN, 8), right - left - 16, hyphenate=False):
        _draw_line(c, line, left + 8, ny, right - left - 16)
        ny -= 9.5
    _barcode_footer(c, job, left, 28)

    # --- flowing the columns ----------------------------------------------------------------------
    state = {"page": 1, "col": 0, "y": py - 14}
    bounds = {"top": py - 14, "bottom": box_top + 10}

    def finish_page() -> None:
        page = state["page"]
        if page > 1:
            c.setFont(SANS_BOLD, 8)
            outer, inner = (left, right) if page % 2 == 0 else (right, left)
            for text, x in ((symbol, outer), (short_date, inner)):
                (c.drawString if x == left else c.drawRightString)(x, PAGE_H - 40, text)
            c.setLineWidth(0.5)
            c.line(left, PAGE_H - 45, right, PAGE_H - 45)
            c.line(left, 50, right, 50)
            for text, x in ((str(page), outer), (_short_job(job), inner)):
                (c.drawString if x == left else c.drawRightString)(x, 38, text)
        c.showPage()
        state.update(page=page + 1, col=0, y=PAGE_H - 60)
        bounds.update(top=PAGE_H - 60, bottom=62.0)

    def next_column() -> None:
        if state["col"] == 0:
            state.update(col=1, y=bounds["top"])
        else:
            finish_page()

    for k, (para, font, bold_words) in enumerate(styled):
        words = para.text.split()
        if para.kind == "heading":
            runs = _words(para.text, BOLD, 10)
            lines = _wrap(runs, col_w - 20, hyphenate=False)
            nxt = 2 if k + 1 < len(styled) else 0
            if state["y"] - (len(lines) + nxt) * lead - 8 < bounds["bottom"]:
                next_column()
            if state["y"] < bounds["top"]:
                state["y"] -= 8
        else:
            runs = [_Word(w, BOLD if i < bold_words else font, 10) for i, w in enumerate(words)]
            lines = _wrap(runs, col_w, first_indent=18)
            if state["y"] < bounds["top"]:
                state["y"] -= 4
        for i, line in enumerate(lines):
            if state["y"] - lead < bounds["bottom"]:
                next_column()
            state["y"] -= lead
            x = left + state["col"] * (col_w + gutter)
            if i == 0:
                para.page = state["page"]
            if para.kind == "heading":
                x += (col_w - _natural(line.words)) / 2
                _draw_line(c, line, x, state["y"], col_w, justify=False)
            else:
                _draw_line(c, line, x, state["y"], col_w)
        if para.kind == "heading":
            state["y"] -= 3
    finish_page()
    c.save()
    return paras


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FIXED = datetime(2012, 7, 25, 9, 0, 0)


def _fixed_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed entry dates: python-docx stamps entries with the current time."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(fixed, src.read(info.filename))


def _run_xml(text: str, superscript: bool = False, size_half_points: int | None = None) -> str:
    props = ""
    if superscript:
        props += '<w:vertAlign w:val="superscript"/>'
    if size_half_points:
        props += f'<w:sz w:val="{size_half_points}"/>'
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r>'


def _footnotes_xml(notes: list[Para]) -> bytes:
    items = [
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
        'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>',
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" '
        'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>',
    ]
    for note in notes:
        items.append(
            f'<w:footnote w:id="{note.footnote}"><w:p><w:pPr><w:spacing w:after="0"/>'
            '<w:ind w:left="1134" w:hanging="567"/></w:pPr>'
            '<w:r><w:rPr><w:vertAlign w:val="superscript"/><w:sz w:val="16"/></w:rPr><w:footnoteRef/></w:r>'
            + _run_xml("\t" + note.text, size_half_points=16)
            + "</w:p></w:footnote>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes xmlns:w="{_W_NS}">'
        + "".join(items)
        + "</w:footnotes>"
    ).encode()


def _add_page_field(paragraph: Any) -> None:
    from docx.oxml import parse_xml

    paragraph._p.append(
        parse_xml(f'<w:fldSimple xmlns:w="{_W_NS}" w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>')
    )


def _numbering(document: Any) -> int:
    """Add a decimal '1.' list definition with a hanging indent; returns its numId."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    numbering = document.part.numbering_part.element
    abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    abstract_id, num_id = max(abstract_ids, default=0) + 1, max(num_ids, default=0) + 1
    abstract = parse_xml(
        f'<w:abstractNum xmlns:w="{_W_NS}" w:abstractNumId="{abstract_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>'
        '<w:lvlJc w:val="left"/><w:pPr><w:tabs><w:tab w:val="num" w:pos="1134"/></w:tabs>'
        '<w:ind w:left="1134" w:hanging="567"/></w:pPr></w:lvl></w:abstractNum>'
    )
    first_num = numbering.find(qn("w:num"))
    # the schema puts every abstractNum before the first num
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(
        parse_xml(
            f'<w:num xmlns:w="{_W_NS}" w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
        )
    )
    return num_id


def write_docx(doc: UNDoc, path: Path, auto_numbering: bool = False) -> UNDoc:
    """The same report as a Word user would write it, with python-docx.

    Masthead as a borderless two-column table ('United Nations' | symbol, organ | 'Distr.: General',
    date, 'Original: English'), organ/session/agenda lines, the title in the 'Title' style, the subtitle,
    'Summary' (Heading 2) and the summary, headings in 'Heading 1' ('I.' + tab + text), numbered body
    paragraphs typed as 'N.' + tab + text with a hanging indent - or, with auto_numbering=True, Word list
    numbering (numPr on each paragraph), so the number is NOT in the text. Footnotes are real Word
    footnotes: a hand-written /word/footnotes.xml part and w:footnoteReference runs after the citing
    sentence. Header: the symbol (right on odd pages, left on even pages); footer: PAGE field and job
    number; page 1 has its own footer with the full job line and '*1244215*'. Core properties carry fixed
    dates and the zip entries a fixed timestamp, so the file is byte-identical for the same input.

    Returns a copy of doc (pages stay None: Word decides them at layout time).
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(6)
    # The template's heading styles take theme fonts and colours (blue Calibri Light), which win over
    # font.name; a UN report has black Times headings, so the theme attributes go.
    for name, size in (("Title", 14), ("Heading 1", 11), ("Heading 2", 10)):
        style = document.styles[name]
        for element in style.element.iter(qn("w:rFonts"), qn("w:color")):
            for attribute in list(element.attrib):
                if "theme" in attribute.lower():
                    del element.attrib[attribute]
        for border in style.element.iter(qn("w:pBdr")):
            border.getparent().remove(border)
        style.font.name = "Times New Roman"
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
    # page number and job number sit at the two margins: one right tab at the text width
    for name in ("Header", "Footer"):
        for tabs in list(document.styles[name].element.iter(qn("w:tabs"))):
            tabs.getparent().remove(tabs)
        document.styles[name].paragraph_format.tab_stops.add_tab_stop(Cm(16.6), WD_TAB_ALIGNMENT.RIGHT)

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.different_first_page_header_footer = True
    document.settings.odd_and_even_pages_header_footer = True
    short_job = _short_job(doc.job)
    for header, align in (
        (section.header, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_header, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        p = header.paragraphs[0]
        p.text = doc.symbol
        p.alignment = align
        p.runs[0].bold = True
    for footer, page_first in ((section.footer, False), (section.even_page_footer, True)):
        p = footer.paragraphs[0]
        if page_first:
            _add_page_field(p)
            p.add_run("\t" + short_job)
        else:
            p.add_run(short_job + "\t")
            _add_page_field(p)
    first = section.first_page_footer.paragraphs[0]
    digits = "".join(ch for ch in doc.job.split("(")[0] if ch.isdigit())
    first.text = doc.job
    section.first_page_footer.add_paragraph(f"*{digits}*\tPlease recycle")

    # masthead
    table = document.add_table(rows=2, cols=2)
    cells = table.rows[0].cells
    cells[0].text, cells[1].text = "United Nations", doc.symbol
    cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    cells[1].paragraphs[0].runs[0].bold = True
    cells = table.rows[1].cells
    cells[0].text = "\n".join(_organs(doc.symbol, doc.organ))
    cells[0].paragraphs[0].runs[0].bold = True
    cells[1].text = f"Distr.: General\n{doc.date}\n\nOriginal: English"
    for line in (doc.organ, doc.session, doc.agenda_item):
        p = document.add_paragraph(line)
        p.paragraph_format.space_after = Pt(0)
    document.add_paragraph(doc.title, style="Title")
    sub = document.add_paragraph()
    sub.add_run(doc.subtitle).bold = True

    notes = {n.footnote: n for n in doc.footnotes}
    num_id = _numbering(document) if auto_numbering else None
    summary_started = False
    for para in doc.paras:
        if para.kind == "summary":
            if not summary_started:
                document.add_heading("Summary", level=2)
                summary_started = True
            document.add_paragraph(para.text).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            continue
        if para.kind == "heading":
            numeral, _, text = para.text.partition(". ")
            document.add_heading(f"{numeral}.\t{text}" if text else para.text, level=1)
            continue
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt = p.paragraph_format
        fmt.left_indent, fmt.first_line_indent = Cm(2.0), Cm(-1.0)
        fmt.tab_stops.add_tab_stop(Cm(2.0))
        if para.number is not None:
            if num_id is not None:
                p._p.get_or_add_pPr().insert(
                    0,
                    parse_xml(
                        f'<w:numPr xmlns:w="{_W_NS}"><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'
                    ),
                )
            else:
                p.add_run(f"{para.number}.\t")
        words = para.text.split()
        marks = _mark_positions(words, tuple(n for n in para.cites if n in notes))
        start = 0
        for at in sorted(marks):
            p.add_run(" ".join(words[start : at + 1]))
            for number in marks[at].split(","):
                ref = parse_xml(
                    f'<w:r xmlns:w="{_W_NS}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                    f'<w:footnoteReference w:id="{number}"/></w:r>'
                )
                p._p.append(ref)
            start = at + 1
            if start < len(words):
                p.add_run(" ")
        if start < len(words):
            p.add_run(" ".join(words[start:]))

    if doc.footnotes:
        part = Part(
            PackURI("/word/footnotes.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
            _footnotes_xml(doc.footnotes),
            document.part.package,
        )
        document.part.relate_to(part, RT.FOOTNOTES)
        # Word writes the separators' ids into the settings; footnotePr goes early in w:settings
        settings = document.settings.element
        pr = parse_xml(
            f'<w:footnotePr xmlns:w="{_W_NS}"><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>'
        )
        anchor = settings.find(qn("w:compat"))
        if anchor is not None:
            anchor.addprevious(pr)
        else:
            settings.append(pr)

    props = document.core_properties
    props.title = doc.title
    props.subject = doc.subtitle
    props.author = "United Nations"
    props.last_modified_by = "United Nations"
    props.identifier = doc.symbol
    props.keywords = doc.symbol
    props.comments = ""
    props.revision = 1
    props.created = props.modified = props.last_printed = _FIXED
    buffer = io.BytesIO()
    document.save(buffer)
    _fixed_zip(buffer.getvalue(), path)
    return replace(doc, paras=[replace(p, page=None) for p in doc.paras])


def docx_to_pdf(docx: Path, outdir: Path, timeout: float = 180) -> Path | None:
    """LibreOffice headless conversion (`soffice --headless --convert-to pdf`), as a Word user would
    export; None if soffice is not installed. A private profile folder keeps parallel runs apart."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="undocs-lo-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                str(docx),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    out = outdir / (Path(docx).stem + ".pdf")
    return out if out.exists() else None


# ---------------------------------------------------------------------------------------------
# HTML statement page
# ---------------------------------------------------------------------------------------------

_LINKABLE = (
    "General Assembly",
    "Security Council",
    "United Nations",
    "Secretary-General",
    "Human Rights Council",
)
_NBSP_AFTER = {"Mr.", "Mrs.", "Ms.", "Dr.", "President", "resolution"}


def _paragraph_markup(text: str, i: int) -> str:
    """Escaped paragraph with the inline markup of a CMS page: a link, an emphasis, &nbsp; after titles."""
    tokens = html.escape(text, quote=False).split(" ")
    for j in range(len(tokens) - 1):
        if tokens[j] in _NBSP_AFTER:
            tokens[j] += "&nbsp;"
    if i % 4 == 2 and len(tokens) > 6:
        tokens[2] = "<em>" + tokens[2]
        tokens[4] = tokens[4] + "</em>"
    out = ""
    for j, token in enumerate(tokens):
        out += token if j == 0 or out.endswith("&nbsp;") else " " + token
    if i % 3 == 1:
        for phrase in _LINKABLE:
            at = out.find(phrase)
            if at >= 0 and "&nbsp;" not in out[at : at + len(phrase)]:
                slug = phrase.lower().replace(" ", "-")
                link = f'<a href="https://www.un.org/en/{slug}" title="{phrase}">{phrase}</a>'
                out = out[:at] + link + out[at + len(phrase) :]
                break
    # CMS output is hard-wrapped in the source; browsers and readers collapse the breaks
    return "\n    ".join(textwrap.wrap(out, 96, break_on_hyphens=False, break_long_words=False))


def write_html(
    doc_or_paras: UNDoc | list[Para] | list[str],
    path: Path,
    charset: str = "utf-8",
    title: str | None = None,
    symbol: str | None = "SG/SM/13838",
    date: str = "23 September 2011",
) -> list[Para]:
    """A statement page as saved from un.org.

    <head> with <meta charset> (or http-equiv content-type when charset is not UTF-8; the file is then
    encoded in that charset, characters it lacks written as numeric references), inline JS, JSON-LD and
    <style>, a cookie banner ('We use cookies ... Accept'), a <nav> menu, breadcrumbs, a 'Check against
    delivery' banner, the press release line '<symbol>  <date>', the title in <h1>, the paragraphs as <p>
    inside <main><article> (some with <a>, <em>, &nbsp;), share buttons, a 'Related links' aside and a
    <footer> with copyright, terms, privacy and site map.

    Returns what a reader must get back: the title (kind 'title'), headings (kind 'heading') and the
    paragraphs (kind 'body', number None); nothing of the furniture. Compare with normalize_space (the
    page puts &nbsp; where the ground truth has a plain space).
    """
    if isinstance(doc_or_paras, UNDoc):
        title = title or doc_or_paras.title
        source = [p for p in doc_or_paras.paras if p.kind in ("summary", "body", "heading")]
    else:
        source = [p if isinstance(p, Para) else Para(str(p)) for p in doc_or_paras]
    title = normalize_space(
        title
        or "Secretary-General’s remarks at breakfast round table with foreign ministers on “The "
        "Responsibility to Protect: Responding to Imminent Threats of Mass Atrocities”"
    )
    out = [Para(title, kind="title")]
    blocks: list[str] = []
    for i, para in enumerate(source):
        text = normalize_space(para.text)
        if para.kind == "heading":
            out.append(Para(text, kind="heading"))
            blocks.append(f"  <h2>{html.escape(text, quote=False)}</h2>")
        elif para.kind in ("body", "summary"):
            out.append(Para(text))
            blocks.append(f"  <p>{_paragraph_markup(text, i)}</p>")

    utf8 = charset.lower().replace("_", "-") in ("utf-8", "utf8")
    meta = (
        f'<meta charset="{charset}">'
        if utf8
        else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    )
    t = html.escape(title, quote=False)
    short = html.escape(title if len(title) < 60 else title[:57] + "...", quote=False)
    ld_title = title.replace("\\", "\\\\").replace('"', '\\"')
    press = (
        f'<div class="press-header"><span class="symbol">{html.escape(symbol)}</span>&nbsp;&nbsp;'
        f'<span class="date">{date}</span></div>\n'
        if symbol
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
{meta}
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{t} | United Nations Secretary-General</title>
<link rel="stylesheet" href="/sg/themes/custom/sg/css/style.css?q8v2x1">
<style>
  body {{ font-family: Roboto, "Helvetica Neue", Arial, sans-serif; color: #333; }}
  .cookie-banner {{ position: fixed; bottom: 0; width: 100%; background: #1f2a44; color: #fff; }}
  .check-delivery {{ font-style: italic; text-align: right; }}
  nav ul li {{ display: inline-block; margin-right: 1em; }}
</style>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('js', new Date());
  gtag('config', 'UA-21434431-1', {{ 'anonymize_ip': true }});
  var cookieMessage = "We use cookies to give you the best experience on the United Nations website";
</script>
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "{ld_title}",
 "datePublished": "2011-09-23", "publisher": {{"@type": "Organization", "name": "United Nations"}}}}
</script>
</head>
<body class="path-node page-node-type-statement">
<div id="cookie-banner" class="cookie-banner" role="dialog" aria-label="Cookie consent">
  <p>We use cookies on this site to enhance your user experience. By clicking any link on this page you are
  giving your consent for us to set cookies.</p>
  <button type="button" class="accept">Accept</button> <a href="/en/about-us/privacy-notice">More info</a>
</div>
<header class="site-header">
  <a class="logo" href="/sg/en"><img src="/sg/themes/custom/sg/logo.svg" alt="United Nations">
    Secretary-General</a>
  <nav aria-label="Main navigation">
    <ul>
      <li><a href="/sg/en">Home</a></li>
      <li><a href="/sg/en/content/sg/biography">The Secretary-General</a></li>
      <li><a href="/sg/en/content/sg/statement">Statements</a></li>
      <li><a href="/sg/en/content/sg/press-encounter">Press Encounters</a></li>
      <li><a href="/sg/en/content/sg/messages">Messages</a></li>
      <li><a href="/sg/en/content/sg/travels">Travels</a></li>
      <li><a href="https://www.un.org/sg/en/spokesperson">Spokesperson</a></li>
    </ul>
  </nav>
</header>
<div class="breadcrumb"><a href="/sg/en">Home</a> &rsaquo;
  <a href="/sg/en/content/sg/statement">Statements</a>
  &rsaquo; <span>{short}</span></div>
<main id="main-content" role="main">
<article class="node node--type-statement">
<div class="check-delivery">Check against delivery</div>
{press}<h1 class="page-title">{t}</h1>
<div class="field field--name-body">
{chr(10).join(blocks)}
</div>
<div class="share-buttons">
  <span>Share this:</span>
  <a class="share facebook"
     href="https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fwww.un.org%2Fsg">Share on Facebook</a>
  <a class="share twitter"
     href="https://twitter.com/intent/tweet?url=https%3A%2F%2Fwww.un.org%2Fsg">Share on Twitter</a>
  <a class="share email"
     href="mailto:?subject=Statement&amp;body=https%3A%2F%2Fwww.un.org%2Fsg">Share by Email</a>
</div>
</article>
<aside class="related-links">
  <h2>Related links</h2>
  <ul>
    <li><a href="/sg/en/content/sg/statement/2011-07-12">Remarks at General Assembly informal
      interactive dialogue on the role of regional arrangements</a></li>
    <li><a href="/sg/en/content/sg/statement/2011-09-21">Address to the General Assembly</a></li>
    <li><a href="/en/genocideprevention/about-responsibility-to-protect.shtml">Office on Genocide
      Prevention and the Responsibility to Protect</a></li>
    <li><a href="/sg/en/content/sg/statement/2009-07-23">Remarks to the General Assembly on
      implementing the responsibility to protect</a></li>
  </ul>
</aside>
</main>
<footer class="site-footer">
  <ul>
    <li><a href="/en/sections/about-website/copyright/">Copyright</a></li>
    <li><a href="/en/sections/about-website/terms-use/">Terms of Use</a></li>
    <li><a href="/en/sections/about-website/privacy-notice/">Privacy Notice</a></li>
    <li><a href="/en/sections/about-website/fraud-alert/">Fraud Alert</a></li>
    <li><a href="/en/site-index">Site Index</a></li>
  </ul>
  <p>&copy; United Nations</p>
</footer>
<script>
  document.querySelector('#cookie-banner .accept').addEventListener('click', function () {{
    document.cookie = 'cookie-agreed=2; path=/'; document.getElementById('cookie-banner').remove();
  }});
</script>
</body>
</html>
"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(page.encode(charset, errors="xmlcharrefreplace"))
    return out


# ---------------------------------------------------------------------------------------------
# Hostile and broken files
# ---------------------------------------------------------------------------------------------

_PARA_138 = (
    "Each individual State has the responsibility to protect its populations from genocide, war crimes, "
    "ethnic cleansing and crimes against humanity. This responsibility entails the prevention of such "
    "crimes, including their incitement, through appropriate and necessary means. We accept that "
    "responsibility and will act in accordance with it. The international community should, as "
    "appropriate, encourage and help States to exercise this responsibility and support the United "
    "Nations in establishing an early warning capability."
)


# Paragraph 139 as adopted, first sentence.
_PARA_139 = (
    "The international community, through the United Nations, also has the responsibility to use "
    "appropriate diplomatic, humanitarian and other peaceful means, in accordance with Chapters VI and VIII "
    "of the Charter, to help to protect populations from genocide, war crimes, ethnic cleansing and crimes "
    "against humanity."
)


def _scan_font(size: int) -> Any:
    from PIL import ImageFont

    for candidate in (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    ):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def write_scanned_pdf(path: Path, text: str = f"138. {_PARA_138}\n\n139. {_PARA_139}") -> None:
    """A page that is only an image of `text` (paragraphs separated by blank lines), rendered by Pillow at
    150 dpi, slightly skewed and speckled like a photocopy; the PDF has no text layer at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    dpi = 150
    w, h = round(PAGE_W / 72 * dpi), round(PAGE_H / 72 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    draw.text((150, 140), "United Nations", font=_scan_font(30))
    draw.text((w - 150, 140), "A/RES/60/1", font=_scan_font(30), anchor="ra")
    draw.line((150, 185, w - 150, 185), fill=0, width=3)
    y = 240
    font = _scan_font(27)
    for para in text.split("\n\n"):
        for line in textwrap.wrap(para, 72):
            draw.text((150, y), line, font=font, fill=20)
            y += 40
        y += 30
    rng = random.Random(138)
    for _ in range(1500):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        draw.point((x0, y0), fill=rng.randrange(0, 160))
    img = img.rotate(0.4, fillcolor=255)
    c = _canvas(Path(path))
    c.drawImage(ImageReader(img), 0, 0, width=PAGE_W, height=PAGE_H)
    c.showPage()
    c.save()


def write_encrypted_pdf(path: Path, user_password: str = "r2p", owner_password: str = "owner") -> None:
    """A report page encrypted with a user password (RC4 128-bit): it cannot be opened without it."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    encrypt = StandardEncryption(user_password, ownerPassword=owner_password, canPrint=1, canCopy=0)
    c = _canvas(Path(path), encrypt=encrypt)
    c.setFont(SANS_BOLD, 14)
    c.drawString(64, PAGE_H - 80, "A/66/874–S/2012/578")
    t = c.beginText(64, PAGE_H - 120)
    t.setFont(ROMAN, 10)
    for line in textwrap.wrap(_PARA_138, 95):
        t.textLine(line)
    c.drawText(t)
    c.showPage()
    c.save()


def write_truncated_pdf(path: Path, source_pdf: Path) -> None:
    """The first 40% of a valid PDF's bytes, as left by an interrupted download."""
    data = Path(source_pdf).read_bytes()
    Path(path).write_bytes(data[: len(data) * 40 // 100])


def write_garbage_pdf(path: Path, size: int = 64 * 1024) -> None:
    """'%PDF-1.4' followed by junk (seeded, so always the same junk)."""
    Path(path).write_bytes(b"%PDF-1.4\n" + random.Random(1945).randbytes(size))


def _pdf_from_objects(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF file from object bodies numbered 1..n, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%b\nendstream" % (len(data), data)


def write_many_pages_pdf(path: Path, pages: int = 5000) -> None:
    """A valid PDF with that many short pages, written as raw objects (reportlab would take ~10 s)."""
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [%b] >>" % (pages, kids),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>",
    ]
    for i in range(pages):
        content = first_page + 2 * i + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % content
        )
        objects.append(
            _stream(
                b"BT /F1 12 Tf 72 770 Td (A/66/PV.11 page %d of %d: the General Assembly met.) Tj ET"
                % (i + 1, pages)
            )
        )
    Path(path).write_bytes(_pdf_from_objects(objects))


def write_nested_pdf(path: Path, depth: int = 100000) -> None:
    """Hand-written PDF whose catalog points at an object nested `depth` levels deep (arrays and
    dictionaries alternating), to catch readers that recurse without a limit. The page itself is valid."""
    opening = b"".join(b"[" if i % 2 == 0 else b"<< /K " for i in range(depth))
    closing = b"".join(b"]" if i % 2 == 0 else b" >>" for i in reversed(range(depth)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Nested 5 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << "
        b"/F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /PieceInfo 5 0 R >>",
        _stream(b"BT /F1 12 Tf 72 770 Td (A page with a deeply nested object behind it.) Tj ET"),
        opening + closing,
    ]
    Path(path).write_bytes(_pdf_from_objects(objects))


def write_not_zip_docx(path: Path) -> None:
    """Plain text bytes under a .docx name (a mail attachment saved with the wrong extension)."""
    Path(path).write_bytes(
        b"Draft - responsibility to protect\r\nThis is not a Word file; it was saved as text.\r\n" * 20
    )


def _zip_entry(name: str, crc: int, compressed: int, size: int, offset: int | None) -> bytes:
    """A local file header (offset None) or central directory record, with zip64 fields when needed."""
    dos_time, dos_date = 0, (2012 - 1980) << 9 | 7 << 5 | 25
    raw = name.encode()
    big = size >= 0xFFFFFFFF or compressed >= 0xFFFFFFFF or (offset or 0) >= 0xFFFFFFFF
    extra = b""
    if big:
        fields = struct.pack("<QQ", size, compressed) + (
            struct.pack("<Q", offset) if offset is not None else b""
        )
        extra = struct.pack("<HH", 1, len(fields)) + fields
    size32 = 0xFFFFFFFF if big else size
    comp32 = 0xFFFFFFFF if big else compressed
    version = 45 if big else 20
    if offset is None:
        return (
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                version,
                0,
                8,
                dos_time,
                dos_date,
                crc,
                comp32,
                size32,
                len(raw),
                len(extra),
            )
            + raw
            + extra
        )
    off32 = 0xFFFFFFFF if big else offset
    return struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50, version, version, 0, 8, dos_time, dos_date, crc, comp32, size32,
        len(raw), len(extra), 0, 0, 0, 0, off32,
    ) + raw + extra  # fmt: skip


def write_docx_bomb(path: Path, uncompressed_mb: int = 2000) -> None:
    """A .docx whose word/document.xml inflates to `uncompressed_mb` MB from a file of about 1/1000 of that.

    zipfile cannot do this fast: at compresslevel 1 the file is 9-16 MB, at 6-9 it takes 11 s for 2000 MB.
    So the zip is written by hand: the same 1 MiB chunk of XML, deflated once and ended with a full flush
    (which makes every copy of the block independent of what came before), repeated; the CRC is chained
    chunk by chunk. Memory stays at a few MB and zipfile reads the result back normally."""
    chunk_size = 1024 * 1024
    head = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{_W_NS}"><w:body>'
    ).encode()
    tail = b"</w:body></w:document>"
    para = b"<w:p><w:r><w:t>" + b" " * (chunk_size - 33) + b"</w:t></w:r></w:p>"
    assert len(para) == chunk_size
    chunks = max(1, -(-(uncompressed_mb * chunk_size - len(head) - len(tail)) // chunk_size))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_block = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(para) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail_block = compressor.compress(tail) + compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(chunks):
        crc = zlib.crc32(para, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + chunks * chunk_size + len(tail)
    compressed = len(head_block) + chunks * len(block) + len(tail_block)

    small = {
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
            b'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
        ),
    }
    central = []
    with open(path, "wb") as out:
        for name, data in small.items():
            deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
            body = deflated.compress(data) + deflated.flush()
            offset = out.tell()
            out.write(_zip_entry(name, zlib.crc32(data), len(body), len(data), None) + body)
            central.append(_zip_entry(name, zlib.crc32(data), len(body), len(data), offset))
        offset = out.tell()
        out.write(_zip_entry("word/document.xml", crc, compressed, size, None))
        out.write(head_block)
        for _ in range(chunks):
            out.write(block)
        out.write(tail_block)
        central.append(_zip_entry("word/document.xml", crc, compressed, size, offset))
        start = out.tell()
        directory = b"".join(central)
        out.write(directory)
        end = out.tell()
        if start >= 0xFFFFFFFF or end >= 0xFFFFFFFF:
            out.write(
                struct.pack(
                    "<IQHHIIQQQQ",
                    0x06064B50,
                    44,
                    45,
                    45,
                    0,
                    0,
                    len(central),
                    len(central),
                    len(directory),
                    start,
                )
                + struct.pack("<IIQI", 0x07064B50, 0, end, 1)
            )
        out.write(
            struct.pack(
                "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory),
                min(start, 0xFFFFFFFF), 0,
            )
        )  # fmt: skip


def write_big_html(path: Path, mb: int = 50) -> None:
    """A statement page of `mb` megabytes: the usual head, then numbered paragraphs until the size is
    reached, written in pieces so that memory stays small."""
    sentences = [s + "." for s in _PARA_138.split(". ") if s]
    target = mb * 1024 * 1024
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Archive of statements</title>"
            "</head><body><main><article><h1>Archive of statements</h1>\n"
        )
        written, i = 0, 0
        while written < target:
            batch = "".join(
                f'<p id="p{i + k}">{i + k}. {sentences[(i + k) % len(sentences)]} '
                f"{sentences[(i + k + 1) % len(sentences)]}</p>\n"
                for k in range(500)
            )
            out.write(batch)
            written += len(batch.encode())
            i += 500
        out.write("</article></main></body></html>\n")


def _ole2(streams: dict[str, bytes]) -> bytes:
    """A small but well-formed OLE2 compound file (version 3, 512-byte sectors) holding the streams.

    Every stream is padded to at least 4096 bytes so that it lives in ordinary sectors (no mini
    stream); sector 0 is the FAT, sector 1 the directory."""
    sector = 512
    free, end_chain, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    padded = {
        name: data.ljust(max(4096, -(-len(data) // sector) * sector), b"\0") for name, data in streams.items()
    }
    assert len(padded) <= 3, "one directory sector holds the root and three streams"
    fat = [fat_sector, end_chain]
    starts = []
    for data in padded.values():
        n = len(data) // sector
        starts.append(len(fat))
        fat += [len(fat) + k + 1 for k in range(n - 1)] + [end_chain]
    assert len(fat) <= sector // 4
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack(
            "<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, free, right, child, b"\0" * 16, 0, 0, 0, start, size
        )

    names = list(padded)
    directory = entry("Root Entry", 5, 1 if names else free, free, end_chain, 0)
    for k, name in enumerate(names):
        right = k + 2 if k + 1 < len(names) else free
        # the padded size: a stream under the 4096-byte cutoff would have to live in the mini stream
        directory += entry(name, 2, free, right, starts[k], len(padded[name]))
    directory = directory.ljust(sector, b"\0")
    difat = [0] + [free] * 108
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, end_chain, 0, end_chain, 0)
        + struct.pack("<109I", *difat)
    )
    assert len(header) == sector
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(padded.values())


def write_legacy_doc(path: Path) -> None:
    """A Word 97-2003 .doc: OLE2 compound file (magic D0 CF 11 E0 A1 B1 1A E1) with a WordDocument stream
    that starts with the Word FIB signature and holds its text as 8-bit characters at 0x400, plus an
    empty 1Table stream."""
    fib = struct.pack("<HHH", 0xA5EC, 0x00C1, 0) + b"\0" * (0x400 - 6)
    text = ("Responsibility to protect: draft remarks.\r" + _PARA_138 + "\r").encode("cp1252")
    Path(path).write_bytes(_ole2({"WordDocument": fib + text, "1Table": b"\0" * 4096}))


def write_legacy_ppt(path: Path) -> None:
    """A PowerPoint 97-2003 .ppt: the same OLE2 container with 'PowerPoint Document' and 'Current User'
    streams."""
    slide_text = "Responsibility to protect: three pillars".encode("utf-16-le")
    record = struct.pack("<HHI", 0, 0x0FA0, len(slide_text)) + slide_text  # a TextCharsAtom
    Path(path).write_bytes(_ole2({"PowerPoint Document": record, "Current User": b"\0" * 64}))


def _write_images(png: Path, jpg: Path) -> None:
    """A bar chart as PNG and a photograph-like gradient as JPEG; neither has text to index."""
    from PIL import Image, ImageDraw

    chart = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(chart)
    draw.line((60, 350, 620, 350), fill="black", width=2)
    draw.line((60, 30, 60, 350), fill="black", width=2)
    for k, value in enumerate((120, 210, 160, 290, 240, 310)):
        draw.rectangle((90 + k * 85, 350 - value, 140 + k * 85, 350), fill=(0, 158, 219))
    chart.save(png, optimize=False)
    photo = Image.new("RGB", (800, 533))
    photo.putdata(
        [
            (x * 255 // 800, (x + y) * 255 // 1333, 180 - y * 120 // 533)
            for y in range(533)
            for x in range(800)
        ]
    )
    photo.save(jpg, quality=85)


# ---------------------------------------------------------------------------------------------
# A researcher's folder
# ---------------------------------------------------------------------------------------------


def _pick(ungdc: Path, year: int, wanted: list[str], count: int) -> list[Path]:
    """The wanted countries' speeches of that year, topped up from the rest in name order."""
    folder = Path(ungdc) / str(year)
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no UNGDC speeches in {folder}")
    by_code = {f.name.split("_")[0]: f for f in files}
    chosen = [by_code[c] for c in wanted if c in by_code]
    chosen += [f for f in files if f not in chosen]
    return chosen[:count]


def mixed_folder(root: Path, ungdc: Path) -> dict[str, Any]:
    """A researcher's folder of real-looking files built from the 2011 UNGDC speeches.

    reports/A_66_874.pdf (one-column report), records/A_66_PV_11.pdf (two-column verbatim record),
    notes/draft.docx (Word draft with real footnotes), statements/sg_sm_13838.html (windows-1252 page),
    plain/SYR_66_2011.txt (copied as is), and the unusable ones: scanned.pdf, locked.pdf, truncated.pdf,
    old.doc, slides.ppt, notzip.docx, chart.png, photo.jpg.

    Returns the ground truth, keyed by POSIX path relative to root: a UNDoc (report with pages, docx),
    a list[Para] (verbatim record, HTML, plain text) or a SKIP_* keyword the skip reason must contain.
    """
    root = Path(root)
    ungdc = Path(ungdc)
    for folder in ("reports", "records", "notes", "statements", "plain"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    truth: dict[str, Any] = {}

    report = report_from_speeches(_pick(ungdc, 2011, ["ZAF", "IRL", "NZL"], 3), symbol="A/66/874–S/2012/578")
    truth["reports/A_66_874.pdf"] = write_report_pdf(report, root / "reports" / "A_66_874.pdf")

    speakers = [
        ("Ms. Dilma Rousseff", "the Federative Republic of Brazil", "BRA"),
        ("Barack Obama", "the United States of America", "USA"),
        ("Nicolas Sarkozy", "the French Republic", "FRA"),
    ]
    paths = _pick(ungdc, 2011, [code for _, _, code in speakers], 3)
    speeches = [(s, c, p) for (s, c, _), p in zip(speakers, paths, strict=True)]
    truth["records/A_66_PV_11.pdf"] = write_verbatim_pdf(speeches, root / "records" / "A_66_PV_11.pdf")

    draft = report_from_speeches(
        _pick(ungdc, 2011, ["CAN"], 1),
        symbol="A/66/XXX",
        date="1 June 2012",
        title="Draft: responsibility to protect and regional arrangements",
        footnotes=2,
        max_paragraphs=16,
    )
    truth["notes/draft.docx"] = write_docx(draft, root / "notes" / "draft.docx")

    statement = speech_paragraphs(_pick(ungdc, 2011, ["GBR"], 1)[0])
    truth["statements/sg_sm_13838.html"] = write_html(
        statement, root / "statements" / "sg_sm_13838.html", charset="windows-1252"
    )

    syr = _pick(ungdc, 2011, ["SYR"], 1)[0]
    shutil.copyfile(syr, root / "plain" / syr.name)
    truth[f"plain/{syr.name}"] = [Para(p) for p in speech_paragraphs(syr)]

    write_scanned_pdf(root / "scanned.pdf")
    truth["scanned.pdf"] = SKIP_NO_TEXT
    write_encrypted_pdf(root / "locked.pdf")
    truth["locked.pdf"] = SKIP_PASSWORD
    write_truncated_pdf(root / "truncated.pdf", root / "reports" / "A_66_874.pdf")
    truth["truncated.pdf"] = SKIP_DAMAGED
    write_legacy_doc(root / "old.doc")
    truth["old.doc"] = SKIP_UNSUPPORTED
    write_legacy_ppt(root / "slides.ppt")
    truth["slides.ppt"] = SKIP_UNSUPPORTED
    write_not_zip_docx(root / "notzip.docx")
    truth["notzip.docx"] = SKIP_DAMAGED
    _write_images(root / "chart.png", root / "photo.jpg")
    truth["chart.png"] = SKIP_UNSUPPORTED
    truth["photo.jpg"] = SKIP_UNSUPPORTED
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a researcher's folder of UN documents built from real text."
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument(
        "--ungdc", type=Path, default=DEFAULT_UNGDC, help="UNGDC folder (with year subfolders)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    truth = mixed_folder(args.outdir, args.ungdc)
    for name, value in truth.items():
        if isinstance(value, UNDoc):
            pages = max((p.page or 0 for p in value.paras), default=0)
            shown = f"{len(value.paras)} paragraphs, {len(value.footnotes)} footnotes" + (
                f", {pages} pages" if pages else ""
            )
        elif isinstance(value, list):
            shown = f"{len(value)} paragraphs"
        else:
            shown = f"skip: {value}"
        print(f"{name:32} {shown}")
    print(f"written to {args.outdir} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
