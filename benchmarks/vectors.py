"""Exact, IVF and HNSW vector search on one index, in one run, beside the naive recipe's scan.

    python benchmarks/vectors.py --index DIR          # any built index, e.g. all 35 years

The index is read, never written: the IVF and HNSW indexes are built in this process from its
vectors, with the product's own code (r2p_search/vectors.py: the same layout, and the setting
its calibration picks). For each kind, on the development questions (tests/eval/, embedded once):
- recall@10 and recall@200 against the exact scan (the dense retriever asks for 200);
- the vector search alone, one thread: p50 / p95 per question, re-ranking included;
- the whole question (`Index.search`, k=10, hybrid): p50 / p95, and MRR@10 / hit@10 of every
  development set the index holds the documents of;
- build time and size in memory.
The naive recipe's vector search (float32 IndexFlatIP, exhaustive) is timed on the same
questions, and the recall the build recorded (manifest) is printed beside what is measured here.

    python benchmarks/vectors.py --index DIR --sizes 25000,50000,100000

With --sizes, first: for the index's first N passages, the exact scan against IVF (built and
calibrated for that size), vector search alone: where `auto` should switch.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
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
    parser.add_argument("--index", type=Path, required=True, help="a built index (read only)")
    parser.add_argument("--kinds", default="exact,ivf,hnsw", help="which kinds to compare")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked")
    parser.add_argument("--sizes", default="", help="passage counts for the exact/IVF crossover")
    args = parser.parse_args()

    import faiss
    import numpy as np

    from r2p_search import vectors
    from r2p_search.evaluate import evaluate, load_queries
    from r2p_search.search import Index

    index = Index.open(args.index)
    store = index.store
    built = store.manifest.vectors
    sets = {name: load_queries(REPO / "tests" / "eval" / name) for name in SETS}
    questions = [q.query for queries in sets.values() for q in queries]
    embedded = index.embed_queries(questions).astype(np.float32)
    probes = index.embed_queries(vectors.probe_questions()).astype(np.float32)
    exact = store.vectors
    faiss.omp_set_num_threads(1)
    _, truth = exact.search(embedded, 200)
    # A set is scored where the index holds its documents (named by id or by file name).
    held = {d for (d,) in store.db.execute("SELECT doc_id FROM documents")}
    held |= {d.rsplit("/", 1)[-1] for d in held}
    scored = {
        name: queries
        for name, queries in sets.items()
        if all(r.doc in held for q in queries for r in q.relevant)
    }
    matrix = exact.reconstruct_n(0, exact.ntotal)

    for size in [int(n) for n in args.sizes.split(",") if n]:
        _crossover(matrix[:size], embedded, probes, args)

    rows: list[tuple[str, str]] = [
        ("machine", f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores"),
        ("index", f"{index.size} passages, {store.manifest.documents} documents"),
        ("questions", f"{len(questions)} (development sets), each {args.rounds} times"),
        ("as built", f"{built.kind}, setting {built.setting}, recall recorded {built.recall}"),
    ]
    naive = faiss.IndexFlatIP(exact.d)
    naive.add(matrix)
    rows.append(("naive recipe (float32 flat): vector search p50 / p95", _ms(_timed(naive, embedded, args))))

    index.search("warm-up", 10)
    for kind in args.kinds.split(","):
        started = time.perf_counter()
        if kind == "exact":
            record, approximate, size = (
                vectors.VectorIndex(kind="exact"),
                None,
                exact.sa_code_size() * exact.ntotal,
            )
        else:
            approximate = vectors.build(kind, matrix)
            lists = vectors.ivf_lists(len(matrix)) if kind == "ivf" else None
            record = vectors.calibrate(approximate, kind, exact, probes, lists)
            size = faiss.serialize_index(approximate).nbytes
        seconds = time.perf_counter() - started
        store.manifest.vectors = record
        store._approximate = approximate

        def search(query: np.ndarray, n: int) -> np.ndarray:
            return np.asarray([r for r, _ in store.nearest(query, n)])

        times, found = [], []
        for _ in range(args.rounds):
            for query in embedded:
                start = time.perf_counter()
                result = search(query, 200)
                times.append((time.perf_counter() - start) * 1000)
                found.append(result)
        found = found[: len(embedded)]
        recall10 = np.mean([len(set(f[:10]) & set(t[:10])) / 10 for f, t in zip(found, truth, strict=True)])
        recall200 = np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
        whole = []
        for _ in range(args.rounds):
            for question in questions:
                start = time.perf_counter()
                index.search(question, 10)
                whole.append((time.perf_counter() - start) * 1000)
        quality = []
        for name, queries in scored.items():
            summary = evaluate(queries, lambda texts, k: index.search_many(texts, k), "hybrid")
            quality.append(
                f"{name.split('.')[0]} {summary.metric('mrr@10'):.3f}/{summary.metric('hit@10'):.2f}"
            )
        label = (
            kind if kind == "exact" else f"{kind} (setting {record.setting}, probe recall {record.recall})"
        )
        rows += [
            (f"{label}", ""),
            ("  build (from the vectors) / size", f"{seconds:.1f} s / {size / 1e6:.0f} MB"),
            ("  recall@10 / @200, development questions", f"{recall10:.3f} / {recall200:.3f}"),
            ("  vector search: p50 / p95", _ms(times)),
            ("  whole question: p50 / p95", _ms(whole)),
            ("  MRR@10/hit@10", ", ".join(quality) or "no development set within this index"),
        ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    sys.stdout.flush()


def _crossover(matrix: object, embedded: object, probes: object, args: argparse.Namespace) -> None:
    """Exact scan against IVF on the first N passages: vector search alone, 200 deep."""
    import faiss
    import numpy as np

    from r2p_search import vectors
    from r2p_search.store import new_vector_index

    exact = new_vector_index(matrix.shape[1])  # type: ignore[attr-defined]
    exact.add(matrix)
    approximate = vectors.build("ivf", matrix)  # type: ignore[arg-type]
    record = vectors.calibrate(approximate, "ivf", exact, probes, vectors.ivf_lists(len(matrix)))  # type: ignore[arg-type]
    faiss.omp_set_num_threads(1)
    _, truth = exact.search(embedded, 10)
    times: list[float] = []
    recall = []
    for _ in range(args.rounds):
        for query, expected in zip(embedded, truth, strict=True):  # type: ignore[call-overload]
            start = time.perf_counter()
            rows, _ = vectors.search(approximate, record, exact, query, 200)
            times.append((time.perf_counter() - start) * 1000)
            recall.append(len(set(rows[:10].tolist()) & set(expected.tolist())) / 10)
    scan = _timed(exact, embedded, args)
    print(
        f"{len(matrix):>9,} passages: exact {_ms(scan)}; ivf ({record.lists} lists, {record.setting} "  # type: ignore[arg-type]
        f"probed) {_ms(times)}, recall@10 {np.mean(recall):.3f}"
    )


def _timed(index: object, queries: object, args: argparse.Namespace) -> list[float]:
    times = []
    for _ in range(args.rounds):
        for query in queries:  # type: ignore[attr-defined]
            start = time.perf_counter()
            index.search(query[None, :], 200)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - start) * 1000)
    return times


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} / {percentile(values, 0.95):.2f} ms"


if __name__ == "__main__":
    main()
