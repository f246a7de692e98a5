"""Words of a query: which carry meaning, for BM25 and for highlighting."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your yours""".split()
)


def query_terms(query: str) -> list[str]:
    """The words of a query worth highlighting: no stopwords, no one-letter words."""
    words = re.findall(r"\w+", query.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))


def term_pattern(query: str) -> re.Pattern[str] | None:
    """The query's words worth marking in a text, as one pattern; a word of 4+ letters also
    matches its longer forms ("protect" marks "protection"). None if the query has none."""
    terms = query_terms(query)
    if not terms:
        return None
    alternatives = "|".join(
        re.escape(t) + (r"\w*" if len(t) >= 4 else "") for t in sorted(terms, key=len, reverse=True)
    )
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def stem(word: str) -> str:
    # Five letters are enough to tie "protect", "protection" and "protecting" together.
    return word[:5]
