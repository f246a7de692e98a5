"""How strongly a topic is present over the years (or across countries).

Every passage in scope is scored against the question (an exhaustive scan, not a top-k), and a
passage counts as speaking to the topic when its cosine similarity reaches `threshold`. For
each year the timeline gives how many documents have at least one such passage, out of how many
that year, the number of passages, and the best passage. Shares of documents, not counts,
because the number of speeches differs from year to year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .errors import QueryError

if TYPE_CHECKING:
    from .query import Scope
    from .results import Hit
    from .search import Index

DEFAULT_THRESHOLD = 0.5
"""Cosine at which a passage counts as speaking to the topic (all-MiniLM-L6-v2; see README)."""


class By(StrEnum):
    year = "year"  # a bar per year
    country = "country"  # a row per speaker: a country, or who speaks where no country does


GROUPS = tuple(b.value for b in By)


@dataclass
class Bucket:
    key: str  # the year; or the speaker: a country's code, a speaker's or organ's name, a document id
    label: str  # the year, or the country's or speaker's name
    documents: int
    matching_documents: int
    passages: int
    best: Hit | None = None
    kind: str = "year"  # or what the speaker is: country, speaker, organ, document

    @property
    def share(self) -> float:
        return self.matching_documents / self.documents if self.documents else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "documents": self.documents,
            "matching_documents": self.matching_documents,
            "share": round(self.share, 4),
            "passages": self.passages,
            "best": self.best.to_json() if self.best else None,
        }


@dataclass
class Timeline:
    query: str
    by: str
    threshold: float
    understood: str
    buckets: list[Bucket] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "by": self.by,
            "threshold": self.threshold,
            "understood": self.understood,
            "buckets": [b.to_json() for b in self.buckets],
        }


def timeline(
    index: Index,
    query: str,
    by: str = "year",
    scope: Scope | None = None,
    literal: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
) -> Timeline:
    """Presence of `query`'s topic per year (or per country) over the whole index or `scope`."""
    import numpy as np

    from .fusion import Candidate
    from .request import clean_query
    from .selection import hits_at

    if by not in GROUPS:
        raise QueryError(f"--by takes {' or '.join(GROUPS)}, not {by!r}")
    if not -1.0 <= threshold <= 1.0:
        raise QueryError(f"--threshold is a cosine between -1 and 1, got {threshold}")
    query = clean_query(query)
    plan = index.plan(query, scope, literal)
    table = index.scan.rows
    scores = index.scan.scores(index.embed_queries([plan.text])[0])
    in_scope = np.ones(len(scores), dtype=bool)
    if plan.scope:
        in_scope[:] = False
        in_scope[index.store.scope_rows(plan.scope)] = True
    group_of = table.year if by == "year" else table.speaker
    labels = table.year_labels if by == "year" else [label for _, label, _ in table.speakers]
    hits = in_scope & (scores >= threshold)
    buckets: list[Bucket] = []
    for g, label in enumerate(labels):
        rows = in_scope & (group_of == g)
        docs = np.unique(table.doc[rows])
        if len(docs) == 0:
            continue
        matching = hits & (group_of == g)
        best = None
        if matching.any():
            candidates = np.flatnonzero(matching)
            top = int(candidates[np.argmax(scores[candidates])])
            best = hits_at(index.store, [Candidate(top, float(scores[top]))])[0]
        buckets.append(
            Bucket(
                key=label if by == "year" else table.speakers[g][0],
                label=label,
                documents=len(docs),
                matching_documents=len(np.unique(table.doc[matching])),
                passages=int(matching.sum()),
                best=best,
                kind="year" if by == "year" else table.speakers[g][2],
            )
        )
    if by == "country":
        buckets.sort(key=lambda b: (-b.matching_documents, -b.passages, b.label))
    return Timeline(query, by, threshold, plan.describe(), buckets)
