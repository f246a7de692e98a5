"""Hard-wrapped lines made whole: what every reader of laid-out text shares.

Text extracted from a page (a PDF, or a text file cut from one) ends each line where the page
did, and splits words at line ends with the typesetter's hyphen. `join_lines` puts a
paragraph's lines back on one line and tells that hyphen from a compound's by the words the
rest of the document uses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"\w+")
_HYPHENATED = re.compile(r"(\w+)-$")


def _hyphenated(prev: str) -> re.Match[str] | None:
    """The word before a hyphen that ends `prev`. Only the end is searched: a search of the whole
    growing paragraph for each of its lines made splitting quadratic in paragraph length."""
    if not prev.endswith("-"):
        return None
    tail = max(0, len(prev) - 64)
    match = _HYPHENATED.search(prev, tail)
    if match and tail and match.start() == tail:
        return _HYPHENATED.search(prev)  # the word may start further back
    return match


# Endings that are not words of their own: after a line-end hyphen they finish the word before.
_SUFFIXES = frozenset(
    """tion tions sion sions ment ments ing ings ed ly ity ities ness ance ances ence ences al ally ial
    ive ives ous ious ible able ably ary ory ories ism isms ist ists ise ised ize ized ization isation
    ate ated ating ation ations ic ical ics ful less ship er ers or ors ant ants ent ents ure ures
    age ages ery ty cy""".split()
)


# Prefixes English writes with a hyphen ("co-founding", "non-State", "post-conflict").
_PREFIXES = frozenset("co non self ex post well cross half all quasi".split())


def join_line(prev: str, line: str, vocabulary: Counter[str]) -> str:
    """`line` added to the paragraph so far, `prev`: after a space, or as the end of a hyphenated word."""
    match = _hyphenated(prev)
    if match and line[:1].islower():
        found = _WORD.match(line)
        head, tail = match.group(1).lower(), found.group(0).lower() if found else ""
        # A compound keeps its hyphen ("self-" + "determination"): both halves are words found
        # elsewhere in the document (besides here) and the two written as one are not. Anything
        # else is the typesetter's hyphen: "inter-" + "national", "inspira-" + "tion", "compro-" + "mise".
        whole = head + tail
        compound = head in _PREFIXES or (
            vocabulary[head] > 1 and vocabulary[tail] > 1 and tail not in _SUFFIXES
        )
        if tail and (vocabulary[whole] > 0 or not compound):
            return prev[:-1] + line
        return prev + line
    if match and line[:1].isupper():
        return prev + line  # a capital after the hyphen: "Secretary-" + "General", "Al-" + "Qaida"
    return prev + " " + line


def vocabulary_of(text: str) -> Counter[str]:
    """The words of a document, lower-cased and counted: what tells a typesetter's hyphen from a
    compound's."""
    return Counter(w.lower() for w in _WORD.findall(text))


def join_lines(lines: Sequence[str], vocabulary: Counter[str]) -> str:
    """Wrapped lines of one paragraph as one line, words hyphenated across lines made whole."""
    joined = ""
    for line in lines:
        stripped = line.strip()
        if stripped:
            joined = join_line(joined, stripped, vocabulary) if joined else stripped
    return re.sub(r" {2,}", " ", joined)
