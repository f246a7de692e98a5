"""Retrieval quality of r2p-search variants and of the naive recipe, on the same query sets.

    python benchmarks/quality.py                      # shipped speech + UNGDC 2011 (builds indexes once)
    python benchmarks/quality.py --sets seed          # only the shipped-speech set (seconds)
    python benchmarks/quality.py --variants 254-ctx   # only some pipeline variants
    python benchmarks/quality.py --sets ungdc-2011 --model DIR   # + another model, default pipeline
    python benchmarks/quality.py --dump hits.jsonl    # also write every ranked hit, to diff two runs

Each pipeline variant (passage length in word pieces, with or without the document label in
the embedded text) is built once into --cache and scored in every mode and fusion setting;
the naive recipe (blank/indented-line paragraphs, all-MiniLM-L6-v2, IndexFlatIP, dense only)
is scored by the same code. Prints MRR@10 / nDCG@10 / hit@1 / hit@10 per set and for all
sets together, and MRR@10 by kind of query.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from r2p_search.embedding import load_embedder
from r2p_search.evaluate import EvalQuery, Searcher, Summary, evaluate, load_queries
from r2p_search.fusion import Fusion
from r2p_search.indexer import build_index, default_pipeline
from r2p_search.search import Hit, Index
from r2p_search.store import Pipeline

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import naive  # noqa: E402

SETS = {
    "seed": (REPO / "corpus", REPO / "tests" / "eval" / "seed.jsonl"),
    "ungdc-2011": (
        REPO.parent / "shared" / "data" / "ungdc" / "2011",
        REPO / "tests" / "eval" / "ungdc-2011.jsonl",
    ),
}
VARIANTS = {  # passage tokens, document label, encoder ("st": sentence-transformers in torch)
    "254-ctx": (254, True, "st"),
    "254-plain": (254, False, "st"),
    "128-ctx": (128, True, "st"),
    "128-plain": (128, False, "st"),
    "96-ctx": (96, True, "st"),
    "64-ctx": (64, True, "st"),
    "128-ctx-onnx": (128, True, "onnx"),  # the default: int8 ONNX passages, full-precision queries
}
FUSIONS = {
    "default": Fusion(),  # questions: RRF, lexical vote 0.3; short queries: cosine + 0.5 BM25
    "questions-dense": Fusion("linear", 0.0),  # the previous default: BM25 for short queries only
    "questions-rrf-.2": Fusion("rrf", 0.2),
    "questions-rrf-.5": Fusion("rrf", 0.5),
    "questions-rrf-k60": Fusion("rrf", 0.3, rrf_k=60),  # the customary constant, default before
    "rrf-1.0": Fusion("rrf", 1.0, "rrf", 1.0, rrf_k=60),  # plain equal-weight RRF for every query
}


@dataclass
class Row:
    name: str
    per_set: dict[str, Summary]


def naive_searcher(corpus: Path, embedder, cache: Path | None = None) -> Searcher:
    """The naive recipe over a corpus: blank/indented-line paragraphs, embedded, IndexFlatIP.

    With `cache`, its paragraphs' vectors are kept there (NumPy and JSON files named for the
    contents of the corpus's files and the model's weights) and read back by a later run: they
    do not depend on r2p-search's code, and over 35 years they take about 25 minutes to embed.
    """
    import hashlib

    import faiss
    import numpy as np

    files = sorted(corpus.rglob("*.txt"))
    # By content, not modification time: a corpus copied afresh keeps its cached vectors.
    contents = [(str(f.relative_to(corpus)), hashlib.sha256(f.read_bytes()).hexdigest()) for f in files]
    key = hashlib.sha256(json.dumps([embedder.fingerprint, contents]).encode()).hexdigest()[:16]
    cached = (cache / f"naive-{key}.npy", cache / f"naive-{key}.json") if cache else None
    if cached and cached[0].exists() and cached[1].exists():
        texts = [tuple(t) for t in json.loads(cached[1].read_text(encoding="utf-8"))]
        vectors = np.load(cached[0], allow_pickle=False)
    else:
        texts = []
        for path in files:
            texts.extend((path.stem, p) for p in naive.paragraphs(path.read_text(encoding="utf-8-sig")))
        vectors = embedder.embed([t for _, t in texts])
        if cached:
            cached[0].parent.mkdir(parents=True, exist_ok=True)
            np.save(cached[0], vectors, allow_pickle=False)
            cached[1].write_text(json.dumps(texts), encoding="utf-8")
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    print(f"naive recipe: {len(texts):,} paragraphs from {corpus}", file=sys.stderr)

    def hit(rank: int, i: int) -> Hit:
        doc, text = texts[i]
        return Hit(rank, 0.0, f"{doc}:{i}", doc, "", None, doc + ".txt", 0, text, 0)

    def search(qs: list[str], k: int) -> list[list[Hit]]:
        _, ids = flat.search(embedder.embed(qs), k)
        return [[hit(rank, int(i)) for rank, i in enumerate(row, start=1)] for row in ids]

    return search


def naive_rows(sets: dict[str, tuple[Path, list[EvalQuery]]], embedder) -> Row:
    summaries = {
        set_name: evaluate(queries, naive_searcher(corpus, embedder), "naive")
        for set_name, (corpus, queries) in sets.items()
    }
    return Row("naive recipe (dense)", summaries)


class Dump:
    """Every ranked hit of every row, one JSON line per query: a change that should leave search
    as it was is checked by diffing two dumps, not by comparing averages."""

    def __init__(self, path: Path | None) -> None:
        self.file = path.open("w", encoding="utf-8") if path else None

    def __call__(self, row: str, set_name: str, search: Searcher) -> Searcher:
        if self.file is None:
            return search

        def recorded(queries: list[str], k: int) -> list[list[Hit]]:
            results = search(queries, k)
            assert self.file is not None
            for query, hits in zip(queries, results, strict=True):
                ranked = [[h.passage_id, round(h.score, 6), h.text] for h in hits]
                line = {"row": row, "set": set_name, "query": query, "hits": ranked}
                self.file.write(json.dumps(line, ensure_ascii=False) + "\n")
            return results

        return recorded


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument(
        "--variants", nargs="+", default=["128-ctx-onnx", "128-ctx", "254-plain"], choices=list(VARIANTS)
    )
    parser.add_argument("--fusions", nargs="+", default=["default", "rrf-1.0"], choices=list(FUSIONS))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/r2p-quality"))
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument(
        "--model", help="also score this model (a sentence-transformers folder) in the default pipeline"
    )
    parser.add_argument("--dump", type=Path, help="write every ranked hit to this JSON Lines file")
    args = parser.parse_args()
    dump = Dump(args.dump)

    embedder = load_embedder()
    sets = {}
    for name in args.sets:
        corpus, query_file = SETS[name]
        if not corpus.is_dir():
            sys.exit(f"corpus for {name} not found: {corpus}")
        sets[name] = (corpus, load_queries(query_file))

    rows: list[Row] = []
    if not args.no_naive:
        rows.append(naive_rows(sets, embedder))
    variants = [(v, None) for v in args.variants]
    if args.model:
        variants.append(("128-ctx-onnx", args.model))
    for variant, model in variants:
        tokens, context, encoder = VARIANTS[variant]
        pipeline = Pipeline(default_pipeline().splitter_version, tokens, context)
        if model:
            variant = f"{Path(model).name}-{variant}"
        indexes = {}
        for set_name, (corpus, _) in sets.items():
            index_dir = args.cache / f"{set_name}-{variant}"
            if encoder == "onnx":
                build_index(corpus, index_dir, model=model, pipeline=pipeline)
                indexes[set_name] = Index.open(index_dir)
            else:
                build_index(corpus, index_dir, embedder=embedder, pipeline=pipeline)
                indexes[set_name] = Index.open(index_dir, embedder=embedder)
        for mode in ("dense", "lexical"):
            name = f"{variant} {mode}"
            rows.append(
                Row(
                    name,
                    {
                        s: evaluate(
                            q,
                            dump(name, s, lambda qs, k, i=indexes[s], m=mode: i.search_many(qs, k, mode=m)),
                            mode,
                        )
                        for s, (_, q) in sets.items()
                    },
                )
            )
        for fusion_name in args.fusions:
            for index in indexes.values():
                index.fusion = FUSIONS[fusion_name]
            name = f"{variant} hybrid {fusion_name}"
            rows.append(
                Row(
                    name,
                    {
                        s: evaluate(
                            q,
                            dump(name, s, lambda qs, k, i=indexes[s]: i.search_many(qs, k, mode="hybrid")),
                            "hybrid",
                        )
                        for s, (_, q) in sets.items()
                    },
                )
            )
    report(rows, list(sets))


def report(rows: list[Row], set_names: list[str]) -> None:
    metrics = ["mrr@10", "ndcg@10", "hit@1", "hit@10"]
    width = max(len(r.name) for r in rows)
    header = f"{'':<{width}}" + "".join(f"  {s[:10] + ' mrr':>15}{'hit@10':>7}" for s in set_names)
    header += "  " + "  ".join(f"{'all ' + m:>11}" for m in metrics)
    print(header)
    for row in rows:
        line = f"{row.name:<{width}}"
        for s in set_names:
            line += f"  {row.per_set[s].metric('mrr@10'):>15.3f}{row.per_set[s].metric('hit@10'):>7.3f}"
        combined = Summary("all", [q for s in set_names for q in row.per_set[s].scores], 20)
        line += "  " + "  ".join(f"{combined.metric(m):>11.3f}" for m in metrics)
        print(line)
    kinds = sorted({q.query.kind for r in rows[:1] for s in set_names for q in r.per_set[s].scores})
    print()
    print(f"{'MRR@10 by kind (all sets)':<{width}}" + "".join(f"{k:>12}" for k in kinds))
    for row in rows:
        scores = [q for s in set_names for q in row.per_set[s].scores]
        combined = Summary("all", scores, 20)
        print(
            f"{row.name:<{width}}"
            + "".join(
                f"{combined.metric('mrr@10', [q for q in scores if q.query.kind == k]):>12.3f}" for k in kinds
            )
        )


if __name__ == "__main__":
    main()
