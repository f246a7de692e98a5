"""How strongly a topic is present over the years (or across countries).

Every passage in scope is scored against the question (an exhaustive scan, not a top-k). A
passage speaks to the topic when

- its cosine similarity reaches the threshold: by default one calibrated for each question
  against the scores of every passage in the index (see `calibrate`), or a fixed cosine given
  as `threshold`; or
- its own text holds the topic's words: the topic as a phrase ("responsibility to protect",
  "genocide") counts alone; all of its words, in any order, count when the passage also leans
  to the topic by meaning (a cosine above most passages').

For each year the timeline gives how many documents have at least one such passage, out of how
many that year, the number of passages, and the best passage. Shares of documents, not counts,
because the number of speeches differs from year to year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .errors import QueryError
from .words import STOPWORDS

if TYPE_CHECKING:
    import numpy as np

    from .planning import Plan
    from .query import Scope
    from .results import Hit
    from .search import Index

FIXED_THRESHOLD = 0.5
"""The cosine the timeline once used for every question (all-MiniLM-L6-v2); kept for indexes too
small to calibrate on, and as the old rule benchmarks/timeline.py measures against."""

Z_MEANING = 4.0
"""How many spreads above the typical passage's cosine a passage must stand to count on its
meaning alone: far enough into the tail that a document of 30-40 passages rarely gets there
by chance, whatever the question's own scale of cosines."""

Z_WORDS = 2.0
"""How far above the typical passage a passage holding all of the topic's words must
stand: its words are the evidence, the cosine only has to say they are used about the topic."""

CALIBRATION_SAMPLE = 20_000
"""Passages whose cosines estimate a question's median and spread over a larger index."""

MIN_CALIBRATION = 500
"""Fewer passages than this tell too little about a question's typical scores: a fixed cosine."""


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


@dataclass(frozen=True)
class Presence:
    """What makes a passage count as speaking to a topic."""

    threshold: float  # the cosine at which a passage counts on its meaning alone
    calibrated: bool  # False when the threshold was given, or the index is too small to calibrate
    phrase: str | None = None  # the topic's words in order, found in a passage's text: counts alone
    words: tuple[str, ...] = ()  # its words, all in a passage's text (in any order): count ...
    words_threshold: float | None = None  # ... at this cosine or above

    def describe(self) -> str:
        """In words, for the terminal: 'cosine >= 0.43 (calibrated), or the phrase "genocide"'."""
        parts = [f"cosine >= {self.threshold:.2f}" + (" (calibrated)" if self.calibrated else "")]
        if self.phrase:
            parts.append(f'the phrase "{self.phrase}"')
        if self.words and self.words_threshold is not None:
            together = ", ".join(self.words)
            parts.append(f"the words {together} together at cosine >= {self.words_threshold:.2f}")
        return ", or ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold": round(self.threshold, 4),
            "calibrated": self.calibrated,
            "phrase": self.phrase,
            "words": list(self.words),
            "words_threshold": round(self.words_threshold, 4) if self.words_threshold is not None else None,
        }


@dataclass
class Timeline:
    query: str
    by: str
    presence: Presence
    plan: Plan
    buckets: list[Bucket] = field(default_factory=list)
    truncated_from: int | None = None  # the question's length, when it was cut to the longest kept

    @property
    def threshold(self) -> float:
        return self.presence.threshold

    @property
    def understood(self) -> str:
        """What the question was read as, in words ("year: 2005-2024"), for the terminal."""
        return self.plan.describe()

    def to_json(self) -> dict[str, Any]:
        from .results import understood_json

        return {
            "query": self.query,
            "by": self.by,
            "threshold": round(self.presence.threshold, 4),
            "presence": self.presence.to_json(),
            "understood": understood_json(self.plan, self.query, self.truncated_from),
            "buckets": [b.to_json() for b in self.buckets],
        }


def calibrate(scores: np.ndarray, z: float = Z_MEANING) -> float:
    """The cosine `z` spreads above the typical passage's, for one question's scores over an index.

    Cosines are not comparable across questions: a one-word question ("genocide") scores every
    passage lower than a long one, so one fixed cosine counts too little for some topics and
    too much for others. Most passages of an index do not speak to any one topic: their median
    and median absolute deviation say where the question's unrelated passages lie, and a few
    passages that do speak to it cannot move them (a mean and standard deviation would move).
    """
    median, spread = background(scores)
    return min(median + z * spread, 1.0)


def background(scores: np.ndarray) -> tuple[float, float]:
    """The median of a question's cosines over an index, and their spread (the median absolute
    deviation, scaled to a normal distribution's standard deviation)."""
    import numpy as np

    # Every n-th passage, across all years: an estimate as good as all of them, at a fraction
    # of the cost on a large index.
    sample = scores[:: max(1, len(scores) // CALIBRATION_SAMPLE)]
    median = float(np.median(sample))
    return median, 1.4826 * float(np.median(np.abs(sample - median)))


def topic_words(text: str) -> tuple[str | None, list[str]]:
    """The phrase a topic is (its words in order, without stopwords at either end) and its words
    that carry meaning; (None, []) if it has none."""
    tokens = re.findall(r"\w+", text.lower())
    words = [t for t in tokens if t not in STOPWORDS and len(t) > 1]
    if not words:
        return None, []
    start = next(i for i, t in enumerate(tokens) if t in words)
    end = max(i for i, t in enumerate(tokens) if t in words)
    return " ".join(tokens[start : end + 1]), list(dict.fromkeys(words))


def presence_for(
    plan: Plan, scores: np.ndarray, threshold: float | None, z: float = Z_MEANING, z_words: float = Z_WORDS
) -> Presence:
    """How a passage counts as speaking to the question of `plan`, its `scores` over the index in hand."""
    enough = len(scores) >= MIN_CALIBRATION
    median, spread = background(scores) if enough else (0.0, 0.0)
    calibrated = threshold is None and enough
    if threshold is None:
        # A cosine of FIXED_THRESHOLD is a match whatever the question: calibration lowers the
        # cut for questions whose cosines run low, and never raises it above that.
        threshold = min(median + z * spread, FIXED_THRESHOLD) if calibrated else FIXED_THRESHOLD
    phrase, words = topic_words(plan.text)
    if phrase is None:
        return Presence(threshold, calibrated)
    # A word that is the phrase needs no second rule; nor can words count without a calibration
    # to tell a passage that leans to the topic from one that does not.
    if words == [phrase] or not enough:
        return Presence(threshold, calibrated, phrase)
    words_threshold = min(median + z_words * spread, threshold)
    return Presence(threshold, calibrated, phrase, tuple(words), words_threshold)


def present(index: Index, presence: Presence, scores: np.ndarray) -> np.ndarray:
    """Which passages speak to the topic under `presence`, as a mask by row."""
    import numpy as np

    found = scores >= presence.threshold
    if presence.phrase:
        found[_holding(index, f'text : "{presence.phrase}"', len(scores))] = True
    if presence.words and presence.words_threshold is not None:
        every = " AND ".join(f'text : "{w}"' for w in presence.words)
        rows = _holding(index, every, len(scores))
        found[rows[scores[rows] >= presence.words_threshold]] = True
    return np.asarray(found, dtype=bool)


def _holding(index: Index, match: str, passages: int) -> np.ndarray:
    """The rows whose own text (not their document's metadata) an FTS5 expression matches."""
    rows = index.store.match_rows(match)
    return rows[rows < passages]


def timeline(
    index: Index,
    query: str,
    by: str = "year",
    scope: Scope | None = None,
    literal: bool = False,
    threshold: float | None = None,
) -> Timeline:
    """Presence of `query`'s topic per year (or per country) over the whole index or `scope`.

    `threshold`: a fixed cosine at which a passage counts on its meaning alone; by default one
    calibrated for the question (see `calibrate`).
    """
    import numpy as np

    from .fusion import Candidate
    from .request import clean_query
    from .selection import hits_at

    if by not in GROUPS:
        raise QueryError(f"--by takes {' or '.join(GROUPS)}, not {by!r}")
    if threshold is not None and not -1.0 <= threshold <= 1.0:
        raise QueryError(f"--threshold is a cosine between -1 and 1, got {threshold}")
    whole = clean_query(query, cut=False)
    query = clean_query(query)
    plan = index.plan(query, scope, literal)
    table = index.scan.rows
    scores = index.scan.scores(index.embed_queries([plan.text])[0])
    # Calibrated on the whole index, not the scope: a year counts the same with or without --years.
    presence = presence_for(plan, scores, threshold)
    in_scope = np.ones(len(scores), dtype=bool)
    if plan.scope:
        in_scope[:] = False
        in_scope[index.store.scope_rows(plan.scope)] = True
    group_of = table.year if by == "year" else table.speaker
    labels = table.year_labels if by == "year" else [label for _, label, _ in table.speakers]
    hits = in_scope & present(index, presence, scores)
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
            cosine = float(scores[top])  # the timeline scores by cosine alone
            best = hits_at(index.store, [Candidate(top, cosine, dense_score=cosine)])[0]
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
    return Timeline(query, by, presence, plan, buckets, len(whole) if len(whole) > len(query) else None)
