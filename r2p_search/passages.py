"""Split passages: turn a document's text into the paragraphs that are embedded and returned.

Real input is messy. The General Debate files are PDF extractions: lines hard-wrapped at about
55 characters, paragraphs marked by an indented first line (some years) or by nothing at all,
page furniture such as `11-51398 2` in the middle of paragraphs, words hyphenated across lines.
Press releases and Markdown use blank lines, or one paragraph per line. The splitter first
decides how a document marks its paragraphs, then rebuilds them:

1. page furniture (page numbers, job numbers, record symbols) is dropped;
2. wrapped lines are joined, undoing line-end hyphenation when the whole word occurs elsewhere
   in the same document;
3. fragments of a few words ("Thank you.", "Ladies and Gentlemen,", headings) are merged into
   the paragraph they introduce or close, so they never stand alone as answers;
4. a paragraph longer than the model's input window is cut into overlapping windows of whole
   sentences, so nothing is silently truncated by the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .documents.lines import join_line, vocabulary_of
from .documents.model import Block
from .documents.un import PAGE_FURNITURE, number_blocks

SPLITTER_VERSION = 3
"""Bumped whenever the same text would split differently; an index from another version is rebuilt."""

MIN_WORDS = 6
"""A paragraph of fewer words is a fragment (salutation, heading, thanks) and is merged."""

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Passage:
    n: int  # 1-based position of the passage within its document
    paragraph: int  # 1-based position of the block (source paragraph) the passage starts in
    text: str
    # The paragraph as a citation gives it: the document's own number where it numbers its
    # paragraphs, else the block position; None for a title, summary, heading or footnote there.
    cited: int | None = None
    page: int | None = None  # 1-based page where the passage starts (PDF only)
    part: str | None = None  # "title", "summary", "footnote"; None for body text


_RULE = re.compile(r"^[-_=*~\u2014\u2013\u2022.\s]{3,}$")
_SENTENCE_END = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\t\u00a0\u2007\u202f\u3000"), " ")


def normalize(text: str) -> str:
    """One newline convention, no BOM or zero-width characters, plain spaces."""
    text = text.translate(_INVISIBLE).translate(_SPACES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\f\v\u2028\u2029\x85]", "\n", text)


def _ends_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line))


def _percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class _Layout:
    wrapped: bool  # lines are hard-wrapped at a fixed width
    width: int  # typical full-line length, when wrapped
    indented: bool  # a paragraph's first line is indented


def _layout(lines: list[str]) -> _Layout:
    text_lines = [line for line in lines if line.strip()]
    if len(text_lines) < 8:
        return _Layout(wrapped=False, width=0, indented=False)
    lengths = [len(line.strip()) for line in text_lines]
    width = _percentile(lengths, 0.9)
    # Indented openings must be a pattern, not an accident of one line.
    indents = sum(1 for line in text_lines if line[:1] == " " and line[1:2] != " ")
    indents += sum(1 for line in text_lines if line[:2] == "  " and line.strip())
    wrapped = width <= 100
    return _Layout(wrapped=wrapped, width=width, indented=indents >= max(2, len(text_lines) // 100))


def _first_word(line: str) -> str:
    return line.split(maxsplit=1)[0] if line.split() else ""


def ended_short(prev: str, line: str, width: int) -> bool:
    """A wrapped line that ends a sentence and had room for the next word was ended on purpose.

    The margin of 4 characters allows for proportional fonts; see benchmarks/paragraph_breaks.py.
    """
    return _ends_sentence(prev) and len(prev) + 1 + len(_first_word(line)) <= width - 4


def _breaks_before(prev: str, line: str, layout: _Layout, blank: bool, furniture: bool) -> bool:
    """Whether `line` opens a new paragraph after `prev`, the text line before it."""
    stripped = line.strip()
    # A sentence left open (a trailing comma or ellipsis, or a lower-case start) runs on.
    continues = prev.endswith((",", "\u2026", "...")) or (stripped[:1].islower() and not _ends_sentence(prev))
    if not layout.wrapped:
        return not continues
    if layout.indented and line[:1] == " ":
        return not prev.endswith(("\u2026", "..."))
    if ended_short(prev, stripped, layout.width):
        return True
    if blank and not furniture:
        return not continues
    return False


def split_paragraphs(text: str) -> list[str]:
    """The document's paragraphs as single-line strings, page furniture removed."""
    lines = normalize(text).split("\n")
    layout = _layout([line for line in lines if not PAGE_FURNITURE.match(line.strip())])
    vocabulary = vocabulary_of(text)
    paragraphs: list[str] = []
    current = last = ""
    blank = furniture = False
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or _RULE.match(stripped):
            blank = True
            continue
        if PAGE_FURNITURE.match(stripped):
            furniture = True
            continue
        if current and _breaks_before(last, line, layout, blank, furniture):
            paragraphs.append(current)
            current = ""
        current = join_line(current, stripped, vocabulary) if current else stripped
        last = stripped
        blank = furniture = False
    if current:
        paragraphs.append(current)
    return [re.sub(r" {2,}", " ", p).strip() for p in paragraphs]


def _word_count(text: str) -> int:
    return len(text.split())


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|No|Nos|Art|Arts|para|paras|Vol|vs|H\.E|e\.g|i\.e|cf)|\b[A-Z])\.$"
)


def split_sentences(text: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_SPLIT.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        if _ABBREVIATION.search(text[start:end]):
            continue  # "Mr. Smith", "No. 5", "J. Smith": not the end of a sentence
        parts.append(text[start:end])
        start = match.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _word_chunks(sentence: str, count_tokens: TokenCounter, budget: int) -> list[str]:
    """Cut one over-long sentence into consecutive word runs that each fit the budget.

    Runs do not overlap: the windows built from them share a boundary run, and overlapping runs
    would repeat words inside a window. Only a single word longer than the budget exceeds it.
    """
    words = sentence.split()
    chunks: list[list[str]] = []
    current: list[str] = []
    total = 0
    for word, cost in zip(words, count_tokens(words), strict=True):
        if current and total + cost > budget:
            chunks.append(current)
            current, total = [], 0
        current.append(word)
        total += cost
    if current:
        chunks.append(current)
    # Word costs add up to the run's cost for word-piece tokenisers; check, and halve any run
    # a tokeniser that merges across spaces makes longer.
    out: list[str] = []
    while chunks:
        chunk = chunks.pop(0)
        if len(chunk) > 1 and count_tokens([" ".join(chunk)])[0] > budget:
            half = len(chunk) // 2
            chunks[:0] = [chunk[:half], chunk[half:]]
            continue
        out.append(" ".join(chunk))
    return out


def windows(text: str, count_tokens: TokenCounter, budget: int) -> list[str]:
    """Overlapping windows of whole sentences, each within `budget` tokens.

    Consecutive windows share their boundary sentence, so a statement that spans the cut is
    whole in at least one of them.
    """
    pieces: list[str] = []
    sentences = split_sentences(text)
    for sentence, tokens in zip(sentences, count_tokens(sentences), strict=True):
        if tokens > budget:
            pieces.extend(_word_chunks(sentence, count_tokens, budget))
        else:
            pieces.append(sentence)
    sizes = count_tokens(pieces)
    result: list[str] = []
    start = 0
    while start < len(pieces):
        end = start
        total = 0
        while end < len(pieces) and (end == start or total + sizes[end] <= budget):
            total += sizes[end]
            end += 1
        result.append(" ".join(pieces[start:end]))
        if end >= len(pieces):
            break
        start = end - 1 if end - start > 1 else end
    return result


def join_windows(parts: Sequence[str]) -> str:
    """Consecutive windows of one paragraph as one text: the inverse of `windows`.

    Neighbouring windows share their boundary sentence; it is written once. Windows that do
    not overlap (a run cut from one over-long sentence) are joined with a space.
    """
    joined = ""
    for part in parts:
        joined = part if not joined else joined + _after_overlap(joined, part)
    return joined


def _after_overlap(before: str, after: str) -> str:
    """What `after` adds to `before`, less the piece they share.

    The shared piece is `before`'s last sentence, or a run of words cut from an over-long
    sentence (several words long). Words that merely repeat across a cut ("... of the" /
    "the Council ...") are kept; a short run cut from an over-long sentence may then show twice.
    """
    last = split_sentences(before)[-1] if before else ""
    if last and _starts_with(after, last):
        return after[len(last) :]
    words = before.split()
    for size in range(len(words) - 1, 7, -1):
        shared = " ".join(words[-size:])
        if _starts_with(after, shared):
            return after[len(shared) :]
    return " " + after


def _starts_with(text: str, piece: str) -> bool:
    return text.startswith(piece) and (len(text) == len(piece) or text[len(piece)] == " ")


def text_blocks(text: str) -> list[Block]:
    """The blocks of a plain-text body: its paragraphs, numbered where the document numbers them."""
    return number_blocks([Block(p) for p in split_paragraphs(text)], strict=True)


def merge_blocks(blocks: Sequence[Block], min_words: int = MIN_WORDS) -> list[tuple[int, Block]]:
    """(block position, block) units in which no fragment stands alone.

    A fragment (a heading, a salutation) joins the block after it, which keeps its own number
    and part; fragments at the very end join the block before (closing thanks). Titles and
    footnotes stand alone, however short, and take in no fragment: a footnote is never glued to
    the text that cites it.
    """
    units: list[tuple[int, Block]] = []
    pending: list[tuple[int, Block]] = []
    for position, block in enumerate(blocks, start=1):
        alone = block.part in ("title", "footnote")
        if not alone and (block.part == "heading" or _word_count(block.text) < min_words):
            pending.append((position, block))
            continue
        if pending and not alone:
            first_position, first = pending[0]
            text = " ".join([b.text for _, b in pending] + [block.text])
            units.append((first_position, replace(block, text=text, page=first.page or block.page)))
            pending = []
        else:
            units.append((position, block))
    if pending:
        tail = " ".join(b.text for _, b in pending)
        absorbing = [i for i, (_, b) in enumerate(units) if b.part not in ("title", "footnote")]
        if absorbing:
            i = absorbing[-1]
            position, block = units[i]
            units[i] = (position, replace(block, text=f"{block.text} {tail}"))
        else:
            position, first = pending[0]
            units.append(
                (position, replace(first, text=tail, part=None if first.part == "heading" else first.part))
            )
    return units


def merge_fragments(paragraphs: list[str], min_words: int = MIN_WORDS) -> list[tuple[int, str]]:
    """(paragraph number, text) units of plain paragraphs in which no fragment stands alone."""
    return [
        (position, block.text) for position, block in merge_blocks([Block(p) for p in paragraphs], min_words)
    ]


def make_passages(
    text: str,
    count_tokens: TokenCounter,
    budget: int,
    min_words: int = MIN_WORDS,
) -> list[Passage]:
    """Passages of a plain-text document body, each of at most `budget` word pieces."""
    return block_passages(text_blocks(text), count_tokens, budget, min_words)


def block_passages(
    blocks: Sequence[Block],
    count_tokens: TokenCounter,
    budget: int,
    min_words: int = MIN_WORDS,
) -> list[Passage]:
    """Passages of a document's blocks, each of at most `budget` word pieces, with their citation."""
    units = merge_blocks(blocks, min_words)
    if not units:
        return []
    numbered = any(b.number is not None for _, b in units)
    budget = max(budget, 8)
    counts = count_tokens([b.text for _, b in units])
    passages: list[Passage] = []
    for (position, block), tokens in zip(units, counts, strict=True):
        if numbered:
            cited = block.number
        else:
            cited = position if block.part is None else None
        parts = [block.text] if tokens <= budget else windows(block.text, count_tokens, budget)
        for part in parts:
            passages.append(
                Passage(
                    n=len(passages) + 1,
                    paragraph=position,
                    text=part,
                    cited=cited,
                    page=block.page,
                    part=block.part,
                )
            )
    return passages
