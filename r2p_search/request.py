"""Request: one search, as every front end asks for it (the CLI, tests, an HTTP API).

A `SearchRequest` is checked when it is made: a bad value is a one-line `QueryError`, raised
before any index is opened or built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import QueryError

if TYPE_CHECKING:
    from .query import Scope

MAX_QUERY_CHARS = 2000
"""Longer queries are cut: the model reads at most 256 word pieces of them anyway."""


class Mode(StrEnum):
    """How a question is matched."""

    hybrid = "hybrid"  # meaning and exact words, fused
    dense = "dense"  # meaning only
    lexical = "lexical"  # BM25 words only


MODES = tuple(m.value for m in Mode)


class GroupBy(StrEnum):
    country = "country"  # the best passage of each country, one per country


GROUP_BY = tuple(g.value for g in GroupBy)


@dataclass(frozen=True, kw_only=True)
class SearchRequest:
    query: str
    k: int = 10
    mode: Mode | str = Mode.hybrid  # a string is checked and made a Mode
    scope: Scope | None = None  # only passages of these countries, years, documents
    per_doc: int | None = None  # at most this many passages from one document
    group_by: GroupBy | str | None = None  # by country: one passage per country (per_doc is 1)
    explain: bool = False  # each hit's dense and lexical ranks and scores
    literal: bool = False  # the query as words only: no years or countries read out of it
    # The query's length in characters when it was longer than MAX_QUERY_CHARS and cut; else None.
    truncated_from: int | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        check_k(self.k)
        object.__setattr__(self, "mode", check_mode(self.mode))
        check_per_doc(self.per_doc)
        if self.group_by is not None:
            if self.group_by not in GROUP_BY:
                raise QueryError(f"cannot group by {self.group_by!r}: use {', '.join(GROUP_BY)}")
            object.__setattr__(self, "group_by", GroupBy(self.group_by))
        if self.scope is not None:
            from .query import Scope  # here, not above: the CLI's --help must not pay for it

            if not isinstance(self.scope, Scope):
                raise QueryError(f"scope must be a query.Scope, not {type(self.scope).__name__}")
        if not isinstance(self.query, str):
            raise QueryError(f"a query is text, not {type(self.query).__name__}")
        cleaned = clean_query(self.query, cut=False)
        if len(cleaned) > MAX_QUERY_CHARS:
            object.__setattr__(self, "truncated_from", len(cleaned))
        object.__setattr__(self, "query", cleaned[:MAX_QUERY_CHARS])


def clean_query(query: str, cut: bool = True) -> str:
    """The query with control characters turned to spaces, cut to MAX_QUERY_CHARS (unless not
    `cut`); empty queries are refused."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in query)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QueryError("empty query: type some words to search for")
    return cleaned[:MAX_QUERY_CHARS] if cut else cleaned


def check_k(k: int) -> int:
    if not _whole(k) or k < 1:
        raise QueryError(f"-k must be at least 1, got {k}")
    return k


def check_per_doc(per_doc: int | None) -> int | None:
    if per_doc is not None and (not _whole(per_doc) or per_doc < 1):
        raise QueryError(f"--per-doc must be at least 1, got {per_doc}")
    return per_doc


def check_context(context: int) -> int:
    if not _whole(context) or context < 0:
        raise QueryError(f"--context must be 0 or more, got {context}")
    return context


def _whole(value: object) -> bool:
    # True is an int to Python, and 2.5 would never equal a count of hits.
    return isinstance(value, int) and not isinstance(value, bool)


def check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise QueryError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    return Mode(mode)


MAX_TEXT_CHARS = 20_000
"""A text for "more like this" (`similar --text`): a paragraph or a few pages of a draft."""


def clean_text(text: str) -> str:
    """A text to find passages like, on one line, control characters out; empty or too long refused.

    Not cut as a query is: a draft's later sentences count as much as its first.
    """
    if not isinstance(text, str):
        raise QueryError(f"a text is a string, not {type(text).__name__}")
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if not cleaned:
        raise QueryError("empty text: give a paragraph to find passages like it")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise QueryError(
            f"text of {len(cleaned):,} characters, over the {MAX_TEXT_CHARS:,} read: "
            "give a paragraph or a few"
        )
    return cleaned
