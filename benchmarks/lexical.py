"""BM25 from the postings against BM25 in SQLite FTS5, on one index, in one run.

    python benchmarks/lexical.py --index DIR                      # an index built with postings
    python benchmarks/lexical.py --index DIR --naive-index NAIVE  # and the naive recipe beside

For every question of the development sets (tests/eval/), in one warm process:
- BM25 alone, the two engines: the same terms (lexical_terms, common words left out), the same
  200-deep ranking asked of each; p50/p95 per question, and how many rankings differ;
- the whole question (`Index.search`, k=10, hybrid), once with the postings and once with FTS5
  doing all of BM25, p50/p95; and MRR@10 / hit@10 of each on the multi-year set when the index
  holds the years it asks about;
- with --naive-index, the naive recipe's warm p50 on the same questions (benchmarks/naive.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SETS = ("seed.jsonl", "ungdc-2011.jsonl", "ungdc-multiyear.jsonl")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True, help="an index built with BM25 postings")
    parser.add_argument("--naive-index", type=Path, help="a naive.py index of the same corpus")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked of each engine")
    args = parser.parse_args()

    from r2p_search.evaluate import evaluate, load_queries
    from r2p_search.retrieval import CANDIDATES, kept_terms, lexical_terms
    from r2p_search.search import Index

    queries = [q for name in SETS for q in load_queries(REPO / "tests" / "eval" / name)]
    questions = [q.query for q in queries]
    index = Index.open(args.index)
    store = index.store
    if store.postings is None:
        sys.exit(f"{args.index} has no BM25 postings: run r2p-search index on it first")
    postings = store.postings

    def bm25_postings(terms: list[str]) -> list[tuple[int, float]]:
        return store.bm25(terms, CANDIDATES)

    def bm25_fts5(terms: list[str]) -> list[tuple[int, float]]:
        return store.lexical(" OR ".join(terms), CANDIDATES) if terms else []

    engines = {"postings": bm25_postings, "FTS5": bm25_fts5}
    times: dict[str, list[float]] = {name: [] for name in engines}
    differ = 0
    index.search("warm-up", 10)
    for question in questions:
        store.postings = postings
        terms = kept_terms(lexical_terms(question), index.size, store.term_count)
        rankings = {}
        for name, run in engines.items():
            for _ in range(args.rounds):
                start = time.perf_counter()
                rankings[name] = run(terms)
                times[name].append((time.perf_counter() - start) * 1000)
        if [r for r, _ in rankings["postings"]] != [r for r, _ in rankings["FTS5"]]:
            differ += 1

    whole: dict[str, list[float]] = {}
    quality: dict[str, str] = {}
    multiyear = load_queries(REPO / "tests" / "eval" / "ungdc-multiyear.jsonl")
    low, high = store.year_span()
    for name, engine in (("postings", postings), ("FTS5", None)):
        store.postings = engine
        whole[name] = []
        for _ in range(args.rounds):
            for question in questions:
                start = time.perf_counter()
                index.search(question, 10)
                whole[name].append((time.perf_counter() - start) * 1000)
        if low is not None and high is not None and high - low >= 10:
            summary = evaluate(multiyear, lambda texts, k: index.search_many(texts, k), "hybrid")
            quality[name] = f"MRR@10 {summary.metric('mrr@10'):.3f}, hit@10 {summary.metric('hit@10'):.2f}"
    store.postings = postings

    naive = None
    if args.naive_index:
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as handle:
            handle.write("\n".join(questions) + "\n")
            handle.flush()
            done = subprocess.run(
                [sys.executable, str(HERE / "naive.py"), "warm", str(args.naive_index), handle.name],
                check=True,
                capture_output=True,
                text=True,
            )
        naive = json.loads(done.stdout)["ms"]

    rows = [
        ("machine", f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores"),
        ("index", f"{index.size} passages, {store.manifest.documents} documents"),
        ("questions", f"{len(questions)} (development sets), each {args.rounds} times"),
        ("postings on disk", f"{(postings.rows.nbytes + postings.weights.nbytes) / 1e6:.0f} MB"),
    ]
    for name in engines:
        rows.append((f"BM25 alone, {name}: p50 / p95", _ms(times[name])))
    rows.append(("BM25 rankings (200 deep) that differ", f"{differ} of {len(questions)}"))
    for name in whole:
        rows.append((f"whole question, BM25 by {name}: p50 / p95", _ms(whole[name])))
        if name in quality:
            rows.append((f"multi-year set, BM25 by {name}", quality[name]))
    if naive is not None:
        rows.append(("naive recipe, whole question: p50 / p95", _ms(naive)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {percentile(values, 0.95):.1f} ms"


if __name__ == "__main__":
    main()
