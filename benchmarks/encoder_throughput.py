"""How fast the model alone embeds passages, for each way of running it that was tried.

    python benchmarks/encoder_throughput.py --index DIR             # 1,200 passages of DIR
    python benchmarks/encoder_throughput.py --index DIR --sample 3000 --torch

Takes passages from a built index (with the labels they were embedded with) and embeds the same
ones several ways, printing passages/s and the cosine of each vector to the full-precision one:

- per passage, one single-thread int8 session per core (what `r2p-search index` does);
- length-sorted batches of 8, 16 and 32 on one int8 session using every core (what it did
  before: faster per call, but int8 scales then depend on batch-mates and padding);
- per passage in full precision;
- with --torch, sentence-transformers in batches of 32, as the naive recipe runs it.

Nothing else runs: no reading, splitting or writing. The gap between these figures and an
`index` run's passages/s is what the rest of the pipeline costs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from r2p_search.documents import context_label  # noqa: E402
from r2p_search.embedding import OnnxEmbedder, embedding_input  # noqa: E402
from r2p_search.embedding.export import INT8, graph_feed  # noqa: E402
from r2p_search.search import Index  # noqa: E402


def passages(index: Index, sample: int) -> list[str]:
    store = index.store
    labelled = store.manifest.pipeline.embed_context
    label_of = {
        doc_id: context_label(json.loads(meta)) if labelled else ""
        for doc_id, meta in store.db.execute("SELECT doc_id, meta FROM documents")
    }
    rows = np.linspace(0, index.size - 1, num=min(sample, index.size)).astype(int).tolist()
    return [embedding_input(label_of[p.doc_id], p.text) for p in store.passages_at(rows)]


def batched(folder: Path, texts: list[str], batch: int) -> np.ndarray:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.no_padding()
    encodings = [e.ids for e in tokenizer.encode_batch(texts)]
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = ort.InferenceSession(str(folder / INT8), options, providers=["CPUExecutionProvider"])
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
    inputs = {i.name for i in session.get_inputs()}
    out: np.ndarray | None = None
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        ids = np.zeros((len(rows), max(len(encodings[i]) for i in rows)), dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(rows):
            ids[r, : len(encodings[i])] = encodings[i]
            mask[r, : len(encodings[i])] = 1
        feed = {**graph_feed(ids, inputs), "attention_mask": mask}
        vectors = session.run(None, feed)[0]
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
    assert out is not None
    return out


def timed(run: Any) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    vectors = run()
    return time.perf_counter() - start, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index (its passages and model)")
    parser.add_argument("--sample", type=int, default=1200, help="passages to embed, spread over the index")
    parser.add_argument("--torch", action="store_true", help="also time sentence-transformers")
    args = parser.parse_args()

    index = Index.open(args.index)
    export = index.store.manifest.model.export
    if export is None:
        sys.exit("this index has no exported model (built with --model hash or a torch-only model)")
    folder = args.index / "models" / export
    texts = passages(index, args.sample)
    fp32 = OnnxEmbedder("model", folder=folder, precision="fp32")
    int8 = OnnxEmbedder("model", folder=folder, precision="int8")
    fp32.embed(texts[:4])  # sessions built before the clock starts, for every row below
    int8.embed(texts[:4])
    seconds, reference = timed(lambda: fp32.embed(texts))
    rows = [("per passage, session per core, fp32", seconds, reference)]
    rows.append(("per passage, session per core, int8", *timed(lambda: int8.embed(texts))))
    for batch in (8, 16, 32):
        seconds, vectors = timed(lambda b=batch: batched(folder, texts, b))
        rows.append((f"batches of {batch}, one session, int8", seconds, vectors))
    if args.torch:
        from r2p_search.embedding import SentenceTransformerEmbedder

        model = SentenceTransformerEmbedder(index.store.manifest.model.name)
        model.embed(texts[:4])
        rows.append(("sentence-transformers, batches of 32", *timed(lambda: model.embed(texts))))

    mean_tokens = np.mean(fp32.count_tokens(texts)) + 2
    print(f"{len(texts)} passages of {args.index}, {mean_tokens:.0f} word pieces on average")
    print(f"{os.cpu_count()} cores")
    print(f"{'':<40} {'passages/s':>10} {'cosine to fp32: min':>20} {'mean':>8}")
    for name, seconds, vectors in rows:
        cosine = np.sum(vectors * reference, axis=1)
        print(f"{name:<40} {len(texts) / seconds:>10.0f} {cosine.min():>20.4f} {cosine.mean():>8.4f}")
    index.close()


if __name__ == "__main__":
    main()
