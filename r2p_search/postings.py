"""BM25 postings: the lexical index as arrays, each passage's weight for each word precomputed.

FTS5 ranks a question's words by running bm25() on every passage that holds any of them; over
many years that was most of a question's time (benchmarks/README.md). BM25 is a sum, over the
question's words, of a weight that depends only on the word and the passage. So each weight is
computed once, when the index is built, and a question adds up the weights of its words'
postings: FTS5's own scores, from a few slices of two memory-mapped arrays.

Words are tokenized by FTS5 itself (an in-memory table with the index's tokenizer), so a word
here is exactly what it is to FTS5. Phrases ("a 66 874" for A/66/874) need word positions,
which postings do not keep: FTS5 still scores those (retrieval.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

TOKENIZE = "porter unicode61 remove_diacritics 2"
"""The FTS5 tokenizer of the index: stemmed, case and accents folded."""

LEXICAL_WEIGHTS = (1.0, 0.5)
"""BM25 column weights: words of the passage count twice as much as its document's metadata."""

ROWS = "postings-rows.npy"
WEIGHTS = "postings-weights.npy"

LEXICON_SCHEMA = """
-- Each token of the BM25 postings: its postings are rows and weights [start, start + df) of
-- postings-rows.npy and postings-weights.npy; df = passages that hold it.
CREATE TABLE lexicon (
    token TEXT PRIMARY KEY,
    start INTEGER NOT NULL,
    df    INTEGER NOT NULL
) WITHOUT ROWID;
"""

# FTS5's bm25() constants (sqlite/ext/fts5/fts5_aux.c).
K1 = 1.2
B = 0.75


class Tokenizer:
    """Texts to their FTS5 tokens, by FTS5: an in-memory table with the index's tokenizer."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{TOKENIZE}')")
        self._db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        self._lock = threading.Lock()

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text's tokens, in order."""
        out: list[list[str]] = [[] for _ in texts]
        with self._lock:
            self._db.execute("DELETE FROM t")
            self._db.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(texts))
            for term, doc in self._db.execute("SELECT term, doc FROM v ORDER BY doc, offset"):
                out[doc].append(term)
            self._db.execute("DELETE FROM t")
        return out

    def close(self) -> None:
        self._db.close()


@dataclass
class Built:
    tokens: list[str]  # sorted
    starts: np.ndarray
    dfs: np.ndarray
    rows: np.ndarray  # int32, by token then row
    weights: np.ndarray  # float32, BM25 weight of that token in that row


def build_postings(texts: Sequence[str], contexts: Sequence[str], context_of: Sequence[int]) -> Built:
    """BM25 postings of passages `texts`, row i's metadata words being contexts[context_of[i]].

    Weights are FTS5's bm25() with LEXICAL_WEIGHTS, term by term: idf of the token times
    f * (K1 + 1) / (f + K1 * (1 - B + B * length / mean length)), where f counts the token in the
    text plus LEXICAL_WEIGHTS[1] times in the context, and length is the row's tokens in both.
    """
    import numpy as np

    passages = len(texts)
    chunk_ids: dict[str, int] = {}
    # Whitespace always separates FTS5 tokens: split on it, and tokenize each distinct chunk once.
    text_chunks, text_counts = _chunk(texts, chunk_ids)
    context_chunks, context_counts = _chunk(contexts, chunk_ids)
    tokenizer = Tokenizer()
    try:
        chunk_tokens = tokenizer.tokens(list(chunk_ids))
    finally:
        tokenizer.close()
    vocabulary = sorted({t for tokens in chunk_tokens for t in tokens})
    token_id = {t: i for i, t in enumerate(vocabulary)}
    per_chunk = np.fromiter((len(t) for t in chunk_tokens), dtype=np.int64, count=len(chunk_tokens))
    first = np.concatenate(([0], np.cumsum(per_chunk)))
    flat = np.fromiter(
        (token_id[t] for tokens in chunk_tokens for t in tokens), dtype=np.int64, count=int(first[-1])
    )

    text_tokens, text_rows = _expand(text_chunks, text_counts, per_chunk, first, flat)
    context_tokens, context_docs = _expand(context_chunks, context_counts, per_chunk, first, flat)
    context_of = np.asarray(context_of, dtype=np.int64)
    length = np.bincount(text_rows, minlength=passages).astype(np.float64)
    context_length = np.bincount(context_docs, minlength=len(contexts)).astype(np.float64)
    if passages:
        length += context_length[context_of]

    # The context's tokens count in every row of its document.
    order = np.argsort(context_of, kind="stable")
    rows_of_doc = np.split(order, np.searchsorted(context_of[order], np.arange(1, len(contexts))))
    ctx_rows = [rows_of_doc[d] for d in context_docs.tolist()]
    ctx_sizes = np.fromiter((len(r) for r in ctx_rows), dtype=np.int64, count=len(ctx_rows))
    keys = np.concatenate(
        (
            text_tokens * passages + text_rows,
            np.repeat(context_tokens, ctx_sizes) * passages
            + (np.concatenate(ctx_rows) if ctx_rows else np.zeros(0, dtype=np.int64)),
        )
    )
    counts = np.concatenate(
        (np.full(len(text_tokens), LEXICAL_WEIGHTS[0]), np.full(int(ctx_sizes.sum()), LEXICAL_WEIGHTS[1]))
    )
    unique, inverse = np.unique(keys, return_inverse=True)
    freq = np.bincount(inverse, weights=counts, minlength=len(unique))
    tokens, rows = np.divmod(unique, max(passages, 1))
    dfs = np.bincount(tokens, minlength=len(vocabulary))
    starts = np.concatenate(([0], np.cumsum(dfs)[:-1])) if len(vocabulary) else np.zeros(0, dtype=np.int64)
    idf = np.log((passages - dfs + 0.5) / (dfs + 0.5))
    idf[idf <= 0] = 1e-6
    mean_length = length.sum() / passages if passages else 1.0
    norm = K1 * (1 - B + B * length[rows] / mean_length)
    weights = idf[tokens] * freq * (K1 + 1) / (freq + norm)
    return Built(vocabulary, starts, dfs, rows.astype(np.int32), weights.astype(np.float32))


def _chunk(texts: Sequence[str], ids: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each text's whitespace-separated chunks as ids into `ids`, flat; and each text's count."""
    import numpy as np

    flat: list[int] = []
    counts = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        chunks = text.split()
        counts[i] = len(chunks)
        flat.extend([ids.setdefault(c, len(ids)) for c in chunks])
    return np.asarray(flat, dtype=np.int64), counts


def _expand(
    chunks: np.ndarray, counts: np.ndarray, per_chunk: np.ndarray, first: np.ndarray, flat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Chunk ids of texts to token ids, with the text each token belongs to."""
    import numpy as np

    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    sizes = per_chunk[chunks]
    total = int(sizes.sum())
    # Position of each token in `flat`: its chunk's first token plus its place within the chunk.
    place = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    tokens = flat[np.repeat(first[chunks], sizes) + place]
    return tokens, np.repeat(owner, sizes)


def write_postings(built: Built, folder: Path, db: sqlite3.Connection) -> list[Path]:
    """Store postings in `folder` and their lexicon in `db`; returns the files written."""
    import numpy as np

    db.executescript(LEXICON_SCHEMA)
    db.executemany(
        "INSERT INTO lexicon VALUES (?, ?, ?)",
        zip(built.tokens, built.starts.tolist(), built.dfs.tolist(), strict=True),
    )
    paths = [folder / ROWS, folder / WEIGHTS]
    np.save(paths[0], built.rows, allow_pickle=False)
    np.save(paths[1], built.weights, allow_pickle=False)
    return paths


class Postings:
    """The postings of one generation, memory-mapped: a question reads only its words' slices."""

    def __init__(self, rows: np.ndarray, weights: np.ndarray, passages: int) -> None:
        self.rows = rows
        self.weights = weights
        self.passages = passages

    @classmethod
    def open(cls, folder: Path, passages: int) -> Postings:
        import numpy as np

        rows = np.load(folder / ROWS, mmap_mode="r", allow_pickle=False)
        weights = np.load(folder / WEIGHTS, mmap_mode="r", allow_pickle=False)
        if rows.shape != weights.shape or rows.ndim != 1:
            raise ValueError(f"postings of {rows.shape} rows and {weights.shape} weights")
        return cls(rows, weights, passages)

    def scores(self, spans: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding any of the tokens at `spans` (start, df), and their summed weights."""
        import numpy as np

        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if len(spans) == 1:
            start, df = spans[0]
            return np.asarray(self.rows[start : start + df], dtype=np.int64), np.asarray(
                self.weights[start : start + df], dtype=np.float64
            )
        rows = np.concatenate([self.rows[s : s + n] for s, n in spans])
        weights = np.concatenate([self.weights[s : s + n] for s, n in spans])
        found, inverse = np.unique(rows, return_inverse=True)
        return found.astype(np.int64), np.bincount(inverse, weights=weights)
