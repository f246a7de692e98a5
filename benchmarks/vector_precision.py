"""What storing vectors as float16 costs: top-10 agreement with exact float32 search, and speed.

    python benchmarks/vector_precision.py --index DIR              # re-embeds DIR's passages in float32
    python benchmarks/vector_precision.py --index DIR --reference OLD/vectors.faiss

The index stores float16 vectors. This script gets float32 vectors for the same passages, either
by embedding them again with the index's encoder (about 40 s for a year of speeches) or from
`--reference`, a float32 FAISS file with the same rows (such as one written by format 2). It then
asks the 60 development questions of tests/eval/ of both and prints recall@10 and @200 of the
stored vectors against exact float32 search, with the scan time of each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from r2p_search.documents import context_label  # noqa: E402
from r2p_search.embedding import embedding_input  # noqa: E402
from r2p_search.search import Index  # noqa: E402


def questions() -> list[str]:
    out = []
    for name in ("ungdc-2011.jsonl", "seed.jsonl"):
        for line in (REPO / "tests" / "eval" / name).read_text().splitlines():
            if line.strip():
                out.append(json.loads(line)["query"])
    return out


def reembed(index: Index) -> np.ndarray:
    """Every stored passage embedded again, exactly as the build embeds it, kept in float32."""
    store = index.store
    label_of = {}
    rows = store.db.execute("SELECT doc_id, meta FROM documents").fetchall()
    embed_context = store.manifest.pipeline.embed_context
    for doc_id, meta in rows:
        label_of[doc_id] = context_label(json.loads(meta)) if embed_context else ""
    passages = store.db.execute("SELECT row, doc_id, text FROM passages ORDER BY row").fetchall()
    from r2p_search.embedding import load_embedder
    from r2p_search.store import MODELS

    encoder = load_embedder(store.manifest.model.name, models_dir=index.store.index_dir / MODELS)
    out = np.zeros((len(passages), store.vectors.d), dtype=np.float32)
    # Grouped by document as the build groups them (each passage is embedded on its own anyway).
    by_doc: dict[str, list[tuple[int, str]]] = {}
    for row, doc_id, text in passages:
        by_doc.setdefault(doc_id, []).append((row, embedding_input(label_of[doc_id], text)))
    for items in by_doc.values():
        out[[r for r, _ in items]] = encoder.embed([t for _, t in items])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--reference", type=Path, help="a float32 FAISS file with the same rows")
    args = parser.parse_args()

    index = Index.open(args.index)
    stored = index.store.vectors
    if args.reference:
        reference = faiss.read_index(str(args.reference))
        matrix = reference.reconstruct_n(0, reference.ntotal)
    else:
        started = time.perf_counter()
        matrix = reembed(index)
        print(f"re-embedded {len(matrix)} passages in {time.perf_counter() - started:.0f} s")
    if len(matrix) != stored.ntotal:
        sys.exit(f"the reference has {len(matrix)} vectors, the index {stored.ntotal}")
    exact = faiss.IndexFlatIP(matrix.shape[1])
    exact.add(matrix)
    agreement = np.einsum("ij,ij->i", matrix, stored.reconstruct_n(0, stored.ntotal))
    print(f"passages: {len(matrix)}; cosine of stored to float32 vectors: min {agreement.min():.5f}")

    queries = np.stack([index.embedder.embed([q])[0] for q in questions()]).astype(np.float32)
    timings = {}
    results = {}
    for name, target in (("float32 flat", exact), ("stored float16", stored)):
        target.search(queries[:1], 200)
        started = time.perf_counter()
        results[name] = [target.search(q[None, :], 200)[1][0] for q in queries]
        timings[name] = (time.perf_counter() - started) / len(queries) * 1000
    for k in (10, 200):
        recall = np.mean(
            [
                len(set(a[:k]) & set(b[:k])) / k
                for a, b in zip(results["stored float16"], results["float32 flat"], strict=True)
            ]
        )
        print(f"recall@{k} of stored vectors against exact float32 search: {recall:.4f}")
    for name, ms in timings.items():
        print(f"scan for 200 candidates, {name}: {ms:.1f} ms per question")


if __name__ == "__main__":
    main()
