"""Fuse the dense and the lexical rankings into one.

Dense retrieval finds passages that mean what the query means; lexical (BM25) retrieval finds
the exact words: names, symbols such as "A/66/874", rare terms. Each method here takes both
candidate lists and returns one ranking, keeping each passage's ranks and scores so that
`--explain` can show why it came where it did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RRF_K = 30
"""Reciprocal rank fusion's constant: each list votes 1/(RRF_K + rank). The customary 60 gives
less weight to the top of each list; 20 to 40 all did better on every set and index scored
(benchmarks/fusions.py, rule "questions-rrf-k60")."""


@dataclass
class Candidate:
    row: int
    score: float = 0.0
    dense_rank: int | None = None
    dense_score: float | None = None
    lexical_rank: int | None = None
    lexical_score: float | None = None


def _merge(dense: list[tuple[int, float]], lexical: list[tuple[int, float]]) -> dict[int, Candidate]:
    merged: dict[int, Candidate] = {}
    for rank, (row, score) in enumerate(dense, start=1):
        merged[row] = Candidate(row, dense_rank=rank, dense_score=score)
    for rank, (row, score) in enumerate(lexical, start=1):
        candidate = merged.setdefault(row, Candidate(row))
        candidate.lexical_rank, candidate.lexical_score = rank, score
    return merged


def rrf(
    dense: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
    lexical_weight: float = 1.0,
    k: int = RRF_K,
) -> list[Candidate]:
    """Reciprocal rank fusion: each list votes 1/(k + rank); the lexical vote is weighted."""
    merged = _merge(dense, lexical)
    for c in merged.values():
        c.score = (1.0 / (k + c.dense_rank) if c.dense_rank else 0.0) + (
            lexical_weight / (k + c.lexical_rank) if c.lexical_rank else 0.0
        )
    return sorted(merged.values(), key=lambda c: (-c.score, c.row))


def linear(
    dense: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
    lexical_weight: float,
    dense_of: dict[int, float] | None = None,
) -> list[Candidate]:
    """Cosine similarity plus a weighted, max-normalised BM25 score.

    Dense similarity stays the backbone; lexical evidence lifts passages that share the query's
    rarest words. `dense_of` gives the cosine of lexical-only candidates, so that every
    candidate is scored on both scales.
    """
    merged = _merge(dense, lexical)
    top = max((s for _, s in lexical), default=0.0)
    floor = min((s for _, s in dense), default=0.0)
    for c in merged.values():
        cosine = c.dense_score if c.dense_score is not None else (dense_of or {}).get(c.row, floor)
        if c.dense_score is None:
            c.dense_score = cosine
        bm25 = (c.lexical_score or 0.0) / top if top > 0 else 0.0
        c.score = cosine + lexical_weight * bm25
    return sorted(merged.values(), key=lambda c: (-c.score, c.row))


_SYMBOLISH = re.compile(r"\d|/|[A-Z]{3,}")


def is_short(query: str) -> bool:
    """A query of names, symbols or a few keywords: "A/66/874", "resolution 1973", "ECOWAS"."""
    words = query.split()
    return len(words) <= 3 or any(_SYMBOLISH.search(w) for w in words)


@dataclass(frozen=True)
class Fusion:
    """How hybrid mode fuses the two rankings: one rule for questions, one for short queries.

    Short or symbol-like queries are matched by their exact form: cosine plus BM25 at
    `short_weight` lets the rare words decide. Questions are matched by their meaning; the
    lexical ranking gets a smaller vote by reciprocal rank (`lexical_weight`). Over many years
    of debates that vote helps, since a question's names ("Rakhine", "Donbas") pick the right
    speech out of many alike; on a single year it costs a little (figures: benchmarks/README.md,
    "Fusion: the figures behind the rule", from benchmarks/fusions.py and benchmarks/quality.py).
    """

    method: str = "rrf"  # for questions: "rrf" (reciprocal rank) or "linear" (cosine + BM25)
    lexical_weight: float = 0.3
    short_method: str = "linear"
    short_weight: float = 0.5
    rrf_k: int = RRF_K

    def rule(self, query: str) -> tuple[str, float]:
        """The method and lexical weight this query is fused with."""
        if is_short(query):
            return self.short_method, self.short_weight
        return self.method, self.lexical_weight

    def rank(
        self,
        query: str,
        dense: list[tuple[int, float]],
        lexical: list[tuple[int, float]],
        dense_of: dict[int, float],
    ) -> list[Candidate]:
        method, weight = self.rule(query)
        if method == "rrf":
            ranked = rrf(dense, lexical, weight, self.rrf_k)
            for c in ranked:  # ranks alone decide, but a hit found by BM25 still shows its cosine
                if c.dense_score is None and c.row in dense_of:
                    c.dense_score = dense_of[c.row]
            return ranked
        return linear(dense, lexical, weight, dense_of)
