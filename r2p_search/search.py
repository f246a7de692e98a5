"""Search: from a query, or a passage, to ranked hits with their citations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .embedding import Embedder, canonical_model_name, load_embedder
from .errors import ModelError, PassageNotFoundError, QueryError
from .store import REBUILD_HINT, Store, StoredPassage

if TYPE_CHECKING:
    import numpy as np

MAX_QUERY_CHARS = 2000
"""Longer queries are cut: the model reads at most 256 word pieces of them anyway."""


@dataclass
class Hit:
    rank: int
    score: float
    passage_id: str
    doc_id: str
    title: str
    date: str | None
    source: str
    paragraph: int
    text: str
    n: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "paragraph": self.paragraph,
            "passage": self.n,
            "text": self.text,
            "meta": self.meta,
        }


def clean_query(query: str) -> str:
    """The query with control characters turned to spaces; empty queries are refused."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in query)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QueryError("empty query: type some words to search for")
    return cleaned[:MAX_QUERY_CHARS]


def check_k(k: int) -> int:
    if k < 1:
        raise QueryError(f"-k must be at least 1, got {k}")
    return k


class Index:
    """An opened index: search by text, find similar passages, show a passage in context."""

    def __init__(self, store: Store, embedder: Embedder | None = None) -> None:
        self.store = store
        self._embedder = embedder

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None, embedder: Embedder | None = None) -> Index:
        store = Store.open(index_dir)
        built_with = store.manifest.model.name
        if model is not None and canonical_model_name(model) != built_with:
            store.close()
            raise ModelError(
                f"the index was built with model {built_with}, not {model}: vectors of two "
                f"models cannot be compared; rebuild with: r2p-search index --model {model}"
            )
        return cls(store, embedder)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            info = self.store.manifest.model
            embedder = load_embedder(info.name)
            if embedder.dimension != info.dimension or embedder.fingerprint != info.fingerprint:
                raise ModelError(
                    f"model {info.name} is not the one this index was built with "
                    f"(its weights changed); {REBUILD_HINT}"
                )
            self._embedder = embedder
        return self._embedder

    @property
    def size(self) -> int:
        return int(self.store.vectors.ntotal)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The k passages closest in meaning to `query`, best first."""
        query = clean_query(query)
        check_k(k)
        vector = self.embedder.embed_query(query)
        return self._nearest(vector, k, exclude=None)

    def search_many(self, queries: list[str], k: int = 10) -> list[list[Hit]]:
        check_k(k)
        cleaned = [clean_query(q) for q in queries]
        vectors = self.embedder.embed(cleaned)
        return [self._nearest(v, k, exclude=None) for v in vectors]

    def similar(self, passage_id: str, k: int = 10) -> list[Hit]:
        """Passages most similar to a stored one, the passage itself left out."""
        check_k(k)
        passage = self.passage(passage_id)
        vector = self.store.vectors_at([passage.row])[0]
        return self._nearest(vector, k, exclude=passage.row)

    def passage(self, passage_id: str) -> StoredPassage:
        passage = self.store.passage_by_id(passage_id.strip())
        if passage is None:
            raise PassageNotFoundError(
                f"no passage {passage_id!r} in the index (ids look like DOC_ID:N, as printed by search)"
            )
        return passage

    def context(self, passage_id: str, context: int = 0) -> list[Hit]:
        """The passage and up to `context` neighbours on each side, in document order."""
        if context < 0:
            raise QueryError(f"--context must be 0 or more, got {context}")
        target = self.passage(passage_id)
        around = self.store.neighbours(target.doc_id, target.n, context)
        return self._hits(around, [1.0 if p.row == target.row else 0.0 for p in around])

    def _nearest(self, vector: np.ndarray, k: int, exclude: int | None) -> list[Hit]:
        import numpy as np

        wanted = min(k + (exclude is not None), self.size)
        if wanted == 0:
            return []
        scores, rows = self.store.vectors.search(np.asarray(vector, dtype=np.float32)[None, :], wanted)
        pairs = [
            (int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0 and r != exclude
        ]
        pairs = pairs[:k]
        passages = self.store.passages_at([r for r, _ in pairs])
        return self._hits(passages, [s for _, s in pairs])

    def _hits(self, passages: list[StoredPassage], scores: list[float]) -> list[Hit]:
        documents = self.store.documents([p.doc_id for p in passages])
        hits = []
        for rank, (passage, score) in enumerate(zip(passages, scores, strict=True), start=1):
            doc = documents[passage.doc_id]
            hits.append(
                Hit(
                    rank=rank,
                    score=score,
                    passage_id=passage.passage_id,
                    doc_id=passage.doc_id,
                    title=doc.title,
                    date=doc.date,
                    source=doc.source,
                    paragraph=passage.paragraph,
                    text=passage.text,
                    n=passage.n,
                    meta=doc.meta,
                )
            )
        return hits


def open_index(index_dir: Path, model: str | None = None) -> Index:
    return Index.open(index_dir, model=model)
