"""The UN's document conventions, shared by every format: symbols, a first page's masthead, page
furniture and numbered paragraphs. See ../shared/UN-DOCUMENTS.md for how the documents look.

- A symbol names a document: `A/66/874`, joint `A/66/874–S/2012/578`, `S/RES/1973 (2011)`,
  `A/66/PV.11`, `SG/SM/13838`. The organ is its first part.
- A report's first page carries a masthead: "United Nations", the symbol, "Distr.: General", the
  date, the organ, the session, the agenda item; then the title. A verbatim record's names the
  meeting and its date, and a notice on interpretation. All of it is metadata, never a passage.
- Later pages carry furniture: the symbol as a running header, page numbers, the job number
  (`11-53307 (E) 171011`), a barcode line (`*1153307*`), "Please recycle".
- Reports and resolutions number their paragraphs `1.`, `2.`, ...: a citation uses that number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from .model import Block

_SYMBOL_BODY = (
    r"(?:A|S|E|ST|SG|GA|SC|DPI|HRC|UNEP|CRC|CCPR|CERD|CEDAW|TD|DP)"
    r"(?:/(?:\d{1,5}(?:\.\d{1,3})?|[A-Z]{1,6}(?:\.\d{1,5})?|(?:Add|Rev|Corr|Amend|Sup)\.\d{1,4}))+"
)
SYMBOL = re.compile(rf"(?<![\w/.])(?:{_SYMBOL_BODY})(?:\s?\((?:19|20)\d\d\))?(?![\w/])")
"""One document symbol; a Security Council resolution keeps its year: S/RES/1973 (2011)."""
JOINT_SYMBOL = re.compile(rf"{SYMBOL.pattern}(?:\s*[\u2013\u2014-]\s*{SYMBOL.pattern})*")

_ORGANS = (
    ("A/HRC/", "Human Rights Council"),
    ("A/", "General Assembly"),
    ("S/", "Security Council"),
    ("E/", "Economic and Social Council"),
    ("ST/", "Secretariat"),
    ("SG/", "Secretariat"),
    ("GA/", "General Assembly"),
    ("SC/", "Security Council"),
)
ORGANS = ("General Assembly", "Security Council", "Economic and Social Council", "Human Rights Council")
ORGANS += ("Secretariat",)
_ORGAN_ALIASES = {
    "ga": "General Assembly",
    "sc": "Security Council",
    "unsc": "Security Council",
    "ecosoc": "Economic and Social Council",
    "hrc": "Human Rights Council",
    "sg": "Secretariat",
    "secretary-general": "Secretariat",
}


def organ_named(text: str) -> str | None:
    """The organ a researcher means: its name or abbreviation, in any case ("SC", "security council")."""
    wanted = " ".join(text.lower().split())
    return next((o for o in ORGANS if o.lower() == wanted), None) or _ORGAN_ALIASES.get(wanted)


_ANY_CASE = re.compile(SYMBOL.pattern, re.IGNORECASE)
JOINT_SYMBOL_ANY_CASE = re.compile(JOINT_SYMBOL.pattern, re.IGNORECASE)


_WORD = re.compile(r"[^\W\d_]{2,}")


def has_words(text: str) -> bool:
    """Whether `text` holds a word (two letters or more): a symbol or a citation alone holds none."""
    return _WORD.search(text) is not None


def find_symbols(text: str, any_case: bool = False) -> list[str]:
    """The symbols written in `text`, as written, each once; `any_case` also finds "a/66/874",
    as a question may type it."""
    pattern = _ANY_CASE if any_case else SYMBOL
    found = (m.group(0) for m in pattern.finditer(text))
    return list(dict.fromkeys(symbol for symbol in found if any(c.isdigit() for c in symbol)))


def normalise_symbol(symbol: str) -> str:
    """The form symbols are compared in: upper case, no spaces ("s/res/1973 (2011)" -> "S/RES/1973(2011)")."""
    return re.sub(r"\s+", "", symbol).upper()


def symbol_keys(symbol: str) -> list[str]:
    """Every form a joint symbol is looked up by: each part, and a resolution without its year."""
    keys: list[str] = []
    for part in find_symbols(symbol, any_case=True):
        key = normalise_symbol(part)
        keys.append(key)
        bare = re.sub(r"\(\d{4}\)$", "", key)
        if bare != key:
            keys.append(bare)
    return list(dict.fromkeys(keys))


def organ_of(symbol: str) -> str | None:
    """The organ a symbol belongs to; a joint symbol's organs joined with " and "."""
    organs = []
    for part in find_symbols(symbol):
        organ = next((name for prefix, name in _ORGANS if part.upper().startswith(prefix)), None)
        if organ and organ not in organs:
            organs.append(organ)
    return " and ".join(organs) or None


# Page furniture as it survives in text extracted from a page: page numbers, job numbers, a
# record's symbol and date; the splitter drops such lines even inside a paragraph.
PAGE_FURNITURE = re.compile(
    r"""^(?:
        \d{1,4}                                            # page number
      | \d{1,4}\s+\d{2}-\d{5}(?:\s*\(E\))?                 # "12 11-51398"
      | \d{2}-\d{5}(?:\s*\(E\))?(?:\s+\d{1,4}(?:/\d{1,4})?)?  # "11-51398 2", "15-29425 31/34"
      | \d{1,2}/\d{1,2}(?:/\d{2,4})?(?:\s+(?:A/\d+/PV\.\d+|\d{2}-\d{5}))?
      | (?:A/\d+/PV\.\d+|\d{2}-\d{5})\s+\d{1,2}/\d{1,2}(?:/\d{2,4})?
      | A/\d+/PV\.\d+(?:\s+\d{1,4})?
    )$""",
    re.VERBOSE,
)
# The rest of a page's furniture, matched against a whole line of a PDF, Word or web page.
_FURNITURE = re.compile(
    r"""^(?:
        \d{1,4}\s*/\s*\d{1,4}                                    # "3/24"
      | (?:\d{1,4}\s+)?\d{2}-\d{5}\s*(?:\(E\))?(?:\s+\d{6})?(?:\s+\d{1,4}(?:/\d{1,4})?)?  # job number
      | \*\d{6,9}\*                                              # barcode line
      | (?:please\s+)?recycle\W*
      | (?:please\s+)?check\s+against\s+(?:the\s+)?delivery\W*
      | united\s+nations
      | official\s+records
      | distr\.?:?\s*(?:general|limited|restricted)
      | original:?\s*\w+
      | provisional
      | page\s+\d{1,4}(?:\s+of\s+\d{1,4})?
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def _furniture(text: str) -> bool:
    return bool(PAGE_FURNITURE.match(text) or _FURNITURE.match(text))


def symbol_meta(symbol: str) -> dict[str, Any]:
    """The fields a document's own symbol gives it: the symbol, and the organ it belongs to."""
    organ = organ_of(symbol)
    return {"symbol": symbol, **({"organ": organ} if organ else {})}


def is_furniture(line: str, symbols: Sequence[str] = ()) -> bool:
    """Whether a whole line is page furniture: page numbers, job numbers, the running header..."""
    text = " ".join(line.split())
    if not text:
        return True
    if _furniture(text):
        return True
    # The running header: the symbol, alone or with the page number or a date beside it.
    rest = JOINT_SYMBOL.sub("", text).strip(" \u2013\u2014-")
    if rest != text and (not rest or _furniture(rest)):
        return True
    return any(text == s for s in symbols)


_NOTICE = re.compile(
    r"^\s*This record contains the text of speeches delivered in English and of the interpretation"
    r"|^\s*Corrections (?:to this record )?should be submitted",
    re.IGNORECASE,
)


def is_notice(text: str) -> bool:
    """The boxed notice on a verbatim record's first page, about interpretation and corrections."""
    return bool(_NOTICE.match(text))


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH})\s+((?:19|20)\d\d)\b")
_DATE_US = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}}),?\s+((?:19|20)\d\d)\b")
_SESSION = re.compile(
    r"^(?P<ordinal>\d{1,2}(?:st|nd|rd|th)|[A-Za-z]+(?:-[a-z]+)?)\s+(?:regular\s+|special\s+)?session\b", re.I
)
_AGENDA = re.compile(r"^(?:Provisional\s+)?agenda\s+items?\s+(?P<items>.+)$", re.I)
_MEETING = re.compile(r"^(?P<meeting>\d{1,5}(?:st|nd|rd|th)\s+(?:plenary\s+)?meeting)\b", re.I)
_WEEKDAY = re.compile(r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),", re.I)
_MASTHEAD_LINE = re.compile(
    r"^(?:New York|Geneva|Distr\.?:.*|Original:.*|President:.*|Acting President:.*|Chair:.*|"
    r"(?:(?:Security Council|General Assembly|Economic and Social Council|Human Rights Council)\s*)+|"
    r"(?:\w+(?:-\w+)?\s+year)|\(.*\)|.*\.{4,}.*|"
    r"[A-Z]{1,5}(?:/[A-Za-z0-9.]+)+)$",  # a symbol still to be given: "A/66/XXX"
    re.I,
)


def parse_date(text: str) -> str | None:
    """An ISO date from "25 July 2012" or "July 25, 2012" in `text`; None if there is none."""
    for pattern, order in ((_DATE, (3, 2, 1)), (_DATE_US, (3, 1, 2))):
        match = pattern.search(text)
        if match:
            year, month, day = (match.group(i) for i in order)
            try:
                return date(int(year), datetime.strptime(month, "%B").month, int(day)).isoformat()
            except ValueError:
                continue
    return None


# Sessions in words, as UN documents write them: "the sixty-sixth session", "the fiftieth session".
_TENS = dict(
    zip("twenty thirty forty fifty sixty seventy eighty ninety".split(), range(20, 100, 10), strict=True)
)
_TENTHS = dict(
    zip(
        "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split(),
        _TENS.values(),
        strict=True,
    )
)
_UNITS = dict(
    zip("first second third fourth fifth sixth seventh eighth ninth".split(), range(1, 10), strict=True)
)
ORDINAL_WORDS = rf"(?:{'|'.join(_TENTHS)}|(?:{'|'.join(_TENS)})[-\s](?:{'|'.join(_UNITS)}))"


def session_number(ordinal: str) -> int:
    """66 from "66th" or "sixty-sixth"."""
    digits = re.match(r"\d+", ordinal)
    if digits:
        return int(digits.group(0))
    words = re.split(r"[-\s]+", ordinal.lower())
    if len(words) == 1:
        return _TENTHS[words[0]]
    return _TENS[words[0]] + _UNITS[words[1]]


def masthead(lines: Sequence[str]) -> tuple[dict[str, Any], set[int]]:
    """What a first page's masthead says, and which of its lines are masthead (not text).

    `lines` are the first page's lines in reading order. Only lines before the first line of
    running text are read: a date or a session named in the text is not the document's.
    """
    meta: dict[str, Any] = {}
    used: set[int] = set()
    for i, raw in enumerate(lines):
        line = " ".join(raw.split())
        if not line:
            used.add(i)
            continue
        # "United Nations" and the symbol share the top line; a scan's OCR reads them as one.
        line = re.sub(r"^United Nations\s+(?=[A-Z]+/)", "", line)
        symbol = JOINT_SYMBOL.match(line)
        if symbol and not line[symbol.end() :].strip() and any(c.isdigit() for c in line):
            meta.setdefault("symbol", symbol.group(0))
            used.add(i)
            continue
        session = _SESSION.match(line)
        agenda = _AGENDA.match(line)
        meeting = _MEETING.match(line)
        if session and len(line.split()) <= 4:
            try:
                meta.setdefault("session", session_number(session.group("ordinal")))
            except (KeyError, IndexError):
                pass
        elif agenda:
            meta.setdefault("agenda_item", agenda.group("items").strip())
        elif meeting:
            meta.setdefault("meeting", meeting.group("meeting"))
        elif (_WEEKDAY.match(line) or parse_date(line) == _whole_date(line)) and parse_date(line):
            meta.setdefault("date", parse_date(line))
        elif not (_furniture(line) or _MASTHEAD_LINE.match(line)):
            break  # the first line of text: the masthead is over
        elif "date" not in meta and parse_date(line):
            meta["date"] = parse_date(line)  # "Distr.: General 25 July 2012" on one line
        used.add(i)
    if "symbol" in meta:
        meta.update(symbol_meta(meta["symbol"]))
        if "session" not in meta:
            # A/66/874: the 66th session of the General Assembly.
            session = re.match(r"A/(?:[A-Z]+/)?(\d{1,2})/", meta["symbol"])
            if session:
                meta["session"] = int(session.group(1))
    if "date" in meta:
        meta["year"] = int(meta["date"][:4])
    return meta, used


def _whole_date(line: str) -> str | None:
    """The date `line` holds, when the line is nothing but a date (with a weekday or time)."""
    text = re.sub(r"\b(?:\d{1,2}(?:\.\d\d)?\s*[ap]\.m\.|noon)\b", "", line, flags=re.I)
    text = re.sub(r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?", "", text.strip())
    stripped = _DATE.sub("", text).strip(" ,.")
    return parse_date(line) if not stripped else None


NUMBERED = re.compile(r"^(\d{1,3})\.[\s\u00a0]+(?=\S)")
"""A paragraph's own number opening it: "11. The ..."."""


def number_blocks(blocks: Sequence[Block], strict: bool = False) -> list[Block]:
    """Blocks with the document's own paragraph numbers taken out of their text into `number`.

    A number opens a paragraph only where it continues the sequence 1, 2, 3...: "2005." at the
    start of a wrapped line, or a list numbered inside a paragraph, does not. A document numbers
    its paragraphs when at least three do; with `strict` (plain text, where a speech may hold a
    short numbered list), also when they are at least half its blocks. Unnumbered body blocks
    after a numbered one are its sub-paragraphs ("(a) ...") and share its number; body blocks
    before the first have none: a report's summary (after a "Summary" heading) or a
    resolution's preamble.
    """
    expected = 1
    numbered: dict[int, int] = {}
    for i, block in enumerate(blocks):
        if block.part is not None:
            continue
        match = NUMBERED.match(block.text)
        if match and int(match.group(1)) == expected:
            numbered[i] = expected
            expected += 1
    body = sum(1 for b in blocks if b.part is None)
    if len(numbered) < 3 or (strict and len(numbered) * 2 < body):
        return list(blocks)
    out: list[Block] = []
    current: int | None = None
    front = "preamble"
    for i, block in enumerate(blocks):
        if i in numbered:
            current = numbered[i]
            text = NUMBERED.sub("", block.text, count=1)
            out.append(replace(block, text=text, number=current))
        elif block.part is None and current is not None:
            out.append(replace(block, number=current))
        elif block.part is None:
            out.append(replace(block, part=front))
        else:
            if block.part == "heading" and block.text.strip().rstrip(":").lower() == "summary":
                front = "summary"
            out.append(block)
    return out
