"""Evaluate: score retrieval on a query set, so that quality is measured, not guessed.

A query set is a JSON Lines file, one query per line:

    {"query": "states that failed to shield their own people",
     "kind": "paraphrase",
     "relevant": [{"doc": "URY_66_2011", "span": "we cannot ignore mass atrocities such as genocide"}]}

`doc` names a document by its id (its path in the corpus without suffix) or by its file name
without suffix; `span` is a few words quoted from the relevant passage. A hit is relevant when
it comes from that document and its text contains the span (compared case-insensitively, with
white space, quotes and dashes normalised). Naming passages by quoted text, not by passage id,
keeps a query set valid when the splitter changes. `kind` is free text used to break results
down (paraphrase, keyword, name, symbol, speaker, ...); it is optional.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import QueryError
from .results import Hit

CUTOFF = 10


@dataclass(frozen=True)
class Relevant:
    doc: str
    span: str


@dataclass
class EvalQuery:
    query: str
    relevant: list[Relevant]
    kind: str = ""
    line: int = 0


_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)


def normalize_text(text: str) -> str:
    return " ".join(text.translate(_QUOTES).lower().split())


def read_lines(path: Path, what: str) -> list[str]:
    """A user's text file as lines; a missing or unreadable file is a one-line QueryError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise QueryError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read {what} {path}: {exc}") from None
    # Lines end at newlines only: str.splitlines() would also cut at form feeds, separators and
    # other control characters, which a query on one line may contain.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def load_queries(path: Path) -> list[EvalQuery]:
    """Read and check a query set; any malformed line is an error naming the line."""
    lines = read_lines(path, "query set")
    queries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raw = json.loads(line)
            relevant = [Relevant(str(r["doc"]), str(r["span"])) for r in raw["relevant"]]
            query = str(raw["query"])
        except (ValueError, KeyError, TypeError) as exc:
            raise QueryError(
                f"{path}:{number}: not a query line ({exc}); see docs/quality.md for the format"
            ) from None
        if not query.strip() or not relevant or not all(r.span.strip() for r in relevant):
            raise QueryError(f"{path}:{number}: a query needs text and at least one relevant span")
        queries.append(EvalQuery(query, relevant, str(raw.get("kind", "")), number))
    if not queries:
        raise QueryError(f"query set {path} has no queries")
    return queries


def doc_matches(hit: Hit, doc: str) -> bool:
    """Same document, whichever folder the corpus was rooted at ("2011/SYR_66_2011" ~ "SYR_66_2011")."""
    ids = sorted((hit.doc_id, doc), key=len)
    return ids[0] == ids[1] or ids[1].endswith("/" + ids[0]) or Path(hit.source).stem == doc


def matched(hit: Hit, relevant: Sequence[Relevant]) -> set[int]:
    """Indexes of the relevant items this hit satisfies."""
    text = normalize_text(hit.text)
    return {i for i, r in enumerate(relevant) if doc_matches(hit, r.doc) and normalize_text(r.span) in text}


@dataclass
class QueryScore:
    query: EvalQuery
    first_rank: int | None  # rank of the first relevant hit, None if not in the results
    rr: float
    ndcg: float
    recall: float
    top: list[Hit] = field(default_factory=list)


def score_query(query: EvalQuery, hits: Sequence[Hit], cutoff: int = CUTOFF) -> QueryScore:
    found: set[int] = set()
    first: int | None = None
    dcg = 0.0
    for position, hit in enumerate(hits, start=1):
        new = matched(hit, query.relevant) - found
        if new:
            if first is None:
                first = position
            if position <= cutoff:
                dcg += 1.0 / math.log2(position + 1)
            found |= new
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(query.relevant), cutoff) + 1))
    return QueryScore(
        query=query,
        first_rank=first,
        rr=1.0 / first if first is not None and first <= cutoff else 0.0,
        ndcg=dcg / ideal,
        recall=len(found) / len(query.relevant),
        top=list(hits[:3]),
    )


@dataclass
class Summary:
    mode: str
    scores: list[QueryScore]
    k: int

    def metric(self, name: str, subset: Sequence[QueryScore] | None = None) -> float:
        rows = self.scores if subset is None else subset
        if not rows:
            return 0.0
        values = {
            "mrr@10": [s.rr for s in rows],
            "ndcg@10": [s.ndcg for s in rows],
            "hit@1": [float(s.first_rank == 1) for s in rows],
            "hit@10": [float(s.first_rank is not None and s.first_rank <= CUTOFF) for s in rows],
            f"recall@{self.k}": [s.recall for s in rows],
        }[name]
        return sum(values) / len(values)

    @property
    def metric_names(self) -> list[str]:
        return ["mrr@10", "ndcg@10", "hit@1", "hit@10", f"recall@{self.k}"]

    def to_json(self) -> dict[str, Any]:
        kinds = sorted({s.query.kind for s in self.scores if s.query.kind})
        return {
            "mode": self.mode,
            "queries": len(self.scores),
            **{name: round(self.metric(name), 4) for name in self.metric_names},
            "by_kind": {
                kind: {
                    "queries": len(rows),
                    **{name: round(self.metric(name, rows), 4) for name in self.metric_names},
                }
                for kind in kinds
                for rows in [[s for s in self.scores if s.query.kind == kind]]
            },
            "failed": [
                {"query": s.query.query, "line": s.query.line, "first_rank": s.first_rank}
                for s in self.failures()
            ],
        }

    def failures(self) -> list[QueryScore]:
        """Queries with no relevant passage in the top 10."""
        return [s for s in self.scores if s.first_rank is None or s.first_rank > CUTOFF]


@dataclass(frozen=True)
class Evaluation:
    """A query set scored in each mode."""

    queries: int
    summaries: list[Summary]

    def to_json(self) -> dict[str, Any]:
        return {"queries": self.queries, "modes": [s.to_json() for s in self.summaries]}


Searcher = Callable[[list[str], int], list[list[Hit]]]


def evaluate(queries: Sequence[EvalQuery], search: Searcher, mode: str, k: int = 20) -> Summary:
    """Run every query through `search` (queries, k) -> hits per query, and score the results."""
    k = max(k, CUTOFF)
    results = search([q.query for q in queries], k)
    return Summary(mode, [score_query(q, hits) for q, hits in zip(queries, results, strict=True)], k)
