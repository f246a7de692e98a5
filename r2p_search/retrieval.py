"""Retrieval: candidate passages for a question, by meaning (dense), by words (BM25), or both fused.

Each retriever looks CANDIDATES deep; selection (selection.py) then collapses duplicates, keeps
to --per-doc and picks the final k.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from .fusion import Candidate, Fusion
from .query import Era, Scope
from .store import READERS
from .words import STOPWORDS

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

    from .planning import Plan
    from .store import Store

CANDIDATES = 200
"""How deep each retriever looks before fusion, collapsing and --per-doc pick the final k."""

COMMON_SHARE = 0.05
COMMON_MIN = 5000
"""BM25 leaves out a question's words found in more than this share and this number of passages."""

Ranking = list[tuple[int, float]]  # (row, score), best first

ERA_WEIGHT = 0.15
"""A passage of a year the question's evidence points to gains this share of the best score,
times its year's weight (query.Era): enough to lift it among near ties, not over clearly
better passages of other years."""

WEAK_COSINE = {"all-MiniLM-L6-v2": 0.27}
"""Below this cosine between a question and the closest passage in scope, nothing matched well
(unless a passage holds every word of it: see `Retriever.weak`).

By model: each model spreads its cosines differently, and one not listed is not judged. Set in
the gap between real questions and off-topic ones over one speech and over the 2011 debates
(benchmarks/weak.py). The more passages an index holds, the closer its nearest one comes to any
question, so over many years fewer off-topic questions are marked: it errs towards silence."""


def lexical_terms(query: str) -> list[str]:
    """A query's words and symbols as quoted FTS5 terms, each once.

    Stopwords are dropped (unless the query is nothing else) so that BM25 ranks by the words
    that carry meaning.
    """
    terms: list[str] = []
    fallback: list[str] = []
    for chunk in query.split():
        tokens = re.findall(r"\w+", chunk.lower())
        if not tokens:
            continue
        if len(tokens) > 1:
            terms.append('"' + " ".join(tokens) + '"')
            continue
        fallback.append(f'"{tokens[0]}"')
        if tokens[0] not in STOPWORDS:
            terms.append(f'"{tokens[0]}"')
    return list(dict.fromkeys(terms or fallback))


def lexical_match(query: str, passages: int = 0, count: Callable[[str], int] | None = None) -> str | None:
    """An FTS5 expression for a query: any of its words, symbols such as A/66/874 as phrases;
    None if it has no words. See `kept_terms`."""
    terms = kept_terms(lexical_terms(query), passages, count)
    return " OR ".join(terms) if terms else None


def kept_terms(terms: list[str], passages: int = 0, count: Callable[[str], int] | None = None) -> list[str]:
    """The terms BM25 ranks by.

    In an index of more than COMMON_MIN `passages`, terms that `count` finds in very many of them
    ("international", "world") are left out, unless all are. Such a term weighs little in BM25
    (idf about 3, against 8 or more for a name) but makes most of its cost, for the same quality
    on the development questions (benchmarks/README.md).
    """
    if len(terms) < 2 or count is None or passages <= COMMON_MIN:
        return terms
    common = max(COMMON_SHARE * passages, COMMON_MIN)
    counts = [count(t) for t in terms]
    kept = [t for t, c in zip(terms, counts, strict=True) if c <= common]
    return kept or [terms[counts.index(min(counts))]]


class Retriever:
    """Dense and BM25 retrieval over one store, fused by `fusion`."""

    def __init__(self, store: Store, fusion: Fusion) -> None:
        self.store = store
        self.fusion = fusion
        self._worker: ThreadPoolExecutor | None = None  # runs BM25 beside the dense search
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True)

    @property
    def size(self) -> int:
        return int(self.store.vectors.ntotal)

    def pool_size(self, k: int) -> int:
        return min(self.size, max(CANDIDATES, k * 5))

    def rule(self, text: str, mode: str) -> tuple[str, float] | None:
        """How dense and BM25 are fused for this text: (method, lexical weight); None unless hybrid."""
        return self.fusion.rule(text) if mode == "hybrid" else None

    def wants_lexical(self, query: str, mode: str) -> bool:
        # A fusion rule may give a query no lexical weight: then skip BM25 rather than compute and ignore it.
        return mode == "lexical" or (mode == "hybrid" and self.fusion.rule(query)[1] > 0)

    def lexical_soon(self, plan: Plan, k: int, mode: str) -> Future[Ranking] | None:
        """BM25 for a plan, started on a worker thread; None when the plan needs none.

        BM25 runs in SQLite, which lets go of the GIL: it proceeds on the other core while the
        question is embedded and the vectors scanned, so a short question waits for the slower
        of the two, not their sum.
        """
        if plan.listing or not self.wants_lexical(plan.text, mode) or self.size == 0:
            return None
        with self._lock:  # a server asks from many threads
            if self._worker is None:
                from concurrent.futures import ThreadPoolExecutor  # only questions that use BM25 pay for it

                self._worker = ThreadPoolExecutor(READERS, thread_name_prefix="r2p-lexical")
        return self._worker.submit(self.lexical, plan.text, self.pool_size(k), plan.scope, plan.favoured())

    def weak(self, plan: Plan, ranked: list[Candidate]) -> bool:
        """Whether nothing in scope matched the question well: no candidate is close in meaning,
        and no passage holds every word of it.

        Judged by cosine, which every candidate of the dense ranking carries whatever scale the
        fused score is on (reciprocal rank, or cosine plus BM25), so a question is judged alike
        in every mode that embeds it; a BM25 ranking alone has no cosine and is not judged.
        """
        threshold = WEAK_COSINE.get(self.store.manifest.model.name)
        cosines = [c.dense_score for c in ranked if c.dense_score is not None]
        if threshold is None or not cosines or max(cosines) >= threshold:
            return False
        # Names and symbols ("Burhanuddin Rabbani", "resolution 1701 (2006)") sit far from every
        # passage in meaning, yet a passage holding all their words is what was asked for.
        terms = lexical_terms(plan.text)
        return not (terms and self.store.lexical(" AND ".join(terms), 1, plan.scope))

    def dense(self, vector: np.ndarray, n: int, scope: Scope | None = None) -> Ranking:
        rows = self.store.scope_rows(scope) if scope else None
        return self.store.nearest(vector, n, rows)

    def lexical(
        self, query: str, n: int, scope: Scope | None = None, favoured: Scope | None = None
    ) -> Ranking:
        terms = lexical_terms(query)
        matches = self.store.matches(terms)
        kept = kept_terms(terms, self.size, matches.count if matches else self.store.match_count)
        return self.store.bm25(kept, n, scope, also=favoured, matches=matches)

    def candidates(
        self,
        query: str,
        vector: np.ndarray | None,
        n: int,
        mode: str,
        *,
        scope: Scope | None = None,
        favoured: Scope | None = None,
        lexical_soon: Future[Ranking] | None = None,
        era: Era = (),
    ) -> list[Candidate]:
        """The `n`-deep candidates for `query` (embedded as `vector`), best first.

        favoured: the countries a question names as speakers ("What did Canada say"): their
        passages join the candidates, by both retrievers, and come first.
        era: years the question's evidence points to ("back in 2004"): their passages join the
        candidates and gain by their year's weight, and no other year is excluded.
        """
        dense = self.dense(vector, n, scope) if vector is not None else []
        if lexical_soon is not None:
            lexical = lexical_soon.result()
        else:
            lexical = self.lexical(query, n, scope, favoured) if self.wants_lexical(query, mode) else []
        lifted: set[int] = set()
        if favoured is not None:
            # Their passages join even when the whole index holds closer ones.
            rows = self.store.scope_rows(favoured)
            lifted = set(rows.tolist())
            if lifted and vector is not None:
                dense = _union(dense, self.store.nearest(vector, n, rows))
        if era and vector is not None:
            likely = [year for year, weight in era if weight >= 0.5]
            within = replace(favoured or scope or Scope(), year_from=min(likely), year_to=max(likely))
            dense = _union(dense, self.store.nearest(vector, n, self.store.scope_rows(within)))
        if mode == "dense":
            ranked = [Candidate(r, s, dense_rank=i, dense_score=s) for i, (r, s) in enumerate(dense, 1)]
        elif mode == "lexical":
            ranked = [Candidate(r, s, lexical_rank=i, lexical_score=s) for i, (r, s) in enumerate(lexical, 1)]
        else:
            missing = sorted({r for r, _ in lexical} - {r for r, _ in dense})
            dense_of = {}
            if missing and vector is not None:
                cosines = self.store.vectors_at(missing) @ vector
                dense_of = {r: float(c) for r, c in zip(missing, cosines, strict=True)}
            ranked = self.fusion.rank(query, dense, lexical, dense_of)
        if era and ranked:
            ranked = self._with_era(ranked, era)
        if lifted:
            # "Russia on Ukraine", "What did Canada say": the speaker's passages come first, their
            # scores left as they are (a lift on the cosine scale would mean nothing to
            # reciprocal-rank scores, and +0.1 let other countries' passages on Ukraine win).
            ranked.sort(key=lambda c: (c.row not in lifted, -c.score, c.row))
        return ranked

    def _with_era(self, ranked: list[Candidate], era: Era) -> list[Candidate]:
        """`ranked` with each candidate's score raised by its year's weight in `era`, as a share
        of the best score (so on the scale of whichever fusion ranked them)."""
        weights = dict(era)
        years = self.store.years_of([c.row for c in ranked])
        lift = ERA_WEIGHT * ranked[0].score
        for c in ranked:
            c.score += lift * weights.get(years.get(c.row, 0), 0.0)
        return sorted(ranked, key=lambda c: (-c.score, c.row))


def _union(first: Ranking, second: Ranking) -> Ranking:
    """Two rankings of the same scores merged: best first, each row once."""
    merged = dict(first)
    merged.update(second)
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))
