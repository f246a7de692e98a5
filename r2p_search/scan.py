"""Scan: every passage scored at once, for the timeline (an exhaustive scan, not a top-k).

The stored vectors are decoded into one float32 matrix, and each passage row is tied to its
document, year and speaker as arrays, both built on first use and kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .store import Store


@dataclass
class RowTable:
    doc: np.ndarray  # row -> document number
    year: np.ndarray  # row -> index into year_labels, -1 if unknown
    speaker: np.ndarray  # row -> index into speakers
    year_labels: list[str]
    speakers: list[tuple[str, str, str]]  # (key, label, kind): documents.names.speaker

    @classmethod
    def load(cls, store: Store) -> RowTable:
        import json

        import numpy as np

        from .documents.names import speaker

        documents = store.db.execute("SELECT doc_id, year, title, meta FROM documents").fetchall()
        speaker_of = {d: speaker(json.loads(meta), d, title) for d, _, title, meta in documents}
        speakers = sorted(set(speaker_of.values()), key=lambda s: (s[1], s[0]))
        speaker_number = {s: i for i, s in enumerate(speakers)}
        records = store.db.execute("SELECT row, doc_id FROM passages ORDER BY row").fetchall()
        doc_ids = {d: i for i, d in enumerate(dict.fromkeys(r[1] for r in records))}
        year_by_doc = {d: y for d, y, _, _ in documents}
        years = sorted({y for y in year_by_doc.values() if y is not None})
        year_of = {y: i for i, y in enumerate(years)}

        def by_row(values: dict[str, int]) -> np.ndarray:
            return np.fromiter((values[doc] for _, doc in records), dtype=np.int64, count=len(records))

        return cls(
            doc=by_row(doc_ids),
            year=by_row({d: year_of.get(y, -1) for d, y in year_by_doc.items()}),
            speaker=by_row({d: speaker_number[s] for d, s in speaker_of.items()}),
            year_labels=[str(y) for y in years],
            speakers=speakers,
        )


class Scan:
    """All of one store's passages, as a matrix of vectors and a table of rows."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._matrix: np.ndarray | None = None
        self._rows: RowTable | None = None

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """Every passage's cosine to `vector`, by row."""
        import numpy as np

        if self._matrix is None:
            vectors = self.store.vectors
            self._matrix = vectors.reconstruct_n(0, vectors.ntotal)
        return self._matrix @ np.asarray(vector, dtype=np.float32)

    @property
    def rows(self) -> RowTable:
        if self._rows is None:
            self._rows = RowTable.load(self.store)
        return self._rows
