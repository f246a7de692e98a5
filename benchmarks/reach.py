"""Where the answers are: how deep the model and BM25 put each question's answer over a whole index.

    python benchmarks/reach.py --index DIR --sets tests/eval/ungdc-multiyear.jsonl
    python benchmarks/reach.py --index DIR --naive-corpus ../shared/data/ungdc --naive-cache CACHE

For each question, the rank of its first answer:
- in r2p-search's results (as `search` answers it);
- by meaning alone, over every passage of the index: the question as r2p-search embeds it,
  with no scope, no favour and no prior (the model's own ranking);
- by BM25 alone, over every passage, with no scope;
- with --naive-corpus, in the naive recipe's ranking of its paragraphs (as benchmarks/fusions.py
  scores it; its vectors kept in --naive-cache).

Printed by kind of question: MRR@10 of the results, and how many answers each ranking puts in
its top 10, 50 and DEPTH. An answer that neither the model nor BM25 puts in its first DEPTH
passages is out of reach of any re-ranking, fusion or prior over their candidates: only a
better reading of the question or the passages (another model) can find it. Answers are matched
in the passage as stored (a span cut by a passage's end is matched in the results' paragraph,
not here), so the rankings by meaning and by BM25 may miss an answer the results find.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from r2p_search.embedding import load_embedder
from r2p_search.errors import R2PError
from r2p_search.evaluate import EvalQuery, load_queries, matched, score_query
from r2p_search.request import SearchRequest
from r2p_search.search import Index

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from quality import naive_searcher  # noqa: E402

EVAL = HERE.parent / "tests" / "eval"
DEFAULT_SETS = [EVAL / "ungdc-multiyear.jsonl", EVAL / "ungdc-2011.jsonl"]
DEPTH = 200  # as deep as each retriever looks for candidates (retrieval.CANDIDATES)
CUTS = (10, 50, DEPTH)


def first_rank(index: Index, rows: list[int], query: EvalQuery) -> int | None:
    """The rank of the first passage among `rows` that holds one of the question's answers."""
    passages = index.store.passages_at(rows)
    for rank, p in enumerate(passages, start=1):
        if matched(SimpleNamespace(doc_id=p.doc_id, source=p.doc_id, text=p.text), query.relevant):
            return rank
    return None


def ranks(index: Index, query: EvalQuery) -> dict[str, int | None]:
    """Where each ranking puts the question's first answer (None: not in its first DEPTH)."""
    result = index.answer([SearchRequest(query=query.query, k=10)])[0]
    plan = result.plan
    vector = index.embed_queries([plan.text])[0]
    by_meaning = [row for row, _ in index.store.nearest(vector, DEPTH)]
    by_words = [row for row, _ in index.retriever.lexical(plan.text, DEPTH)]
    return {
        "results": score_query(query, result.hits).first_rank,
        "meaning": first_rank(index, by_meaning, query),
        "BM25": first_rank(index, by_words, query),
    }


def summary(rows: list[dict[str, int | None]]) -> str:
    n = len(rows)
    mrr = sum(1 / r["results"] for r in rows if r["results"] and r["results"] <= 10) / n
    parts = [f"{n:>3} questions, MRR@10 {mrr:.3f}"]
    for name in [k for k in rows[0] if k != "results"]:
        within = "/".join(str(sum(1 for r in rows if r[name] and r[name] <= cut)) for cut in CUTS)
        parts.append(f"{name} {within}")
    either = sum(1 for r in rows if (r["meaning"] or DEPTH + 1) <= DEPTH or (r["BM25"] or DEPTH + 1) <= DEPTH)
    parts.append(f"either in {DEPTH}: {either}")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sets", type=Path, nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--naive-corpus", type=Path, help="also rank by the naive recipe over this corpus")
    parser.add_argument("--naive-cache", type=Path, help="where the naive recipe's vectors are kept")
    args = parser.parse_args()
    try:
        sets = {path.stem: load_queries(path) for path in args.sets}
        naive = (
            naive_searcher(args.naive_corpus, load_embedder(), args.naive_cache)
            if args.naive_corpus
            else None
        )
        with Index.open(args.index) as index:
            for name, queries in sets.items():
                found = [ranks(index, q) for q in queries]
                if naive is not None:
                    for r, q, hits in zip(
                        found, queries, naive([q.query for q in queries], DEPTH), strict=True
                    ):
                        r["naive"] = next((h.rank for h in hits if matched(h, q.relevant)), None)
                print(f"{name}: {summary(found)}")
                by_kind: dict[str, list[dict[str, int | None]]] = defaultdict(list)
                for q, r in zip(queries, found, strict=True):
                    by_kind[q.kind or "-"].append(r)
                for kind, rows in sorted(by_kind.items()):
                    print(f"  {kind:<16} {summary(rows)}")
                print(f"  (top 10/50/{DEPTH} by each ranking)", flush=True)
    except R2PError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
