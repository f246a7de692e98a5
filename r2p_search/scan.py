"""Scan: every passage scored at once, for the timeline (an exhaustive scan, not a top-k).

The stored vectors are decoded into one float32 matrix, and each passage row is tied to its
document, year and country as arrays, both built on first use and kept.
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
    country: np.ndarray  # row -> index into country_labels, -1 if unknown
    year_labels: list[str]
    country_labels: list[str]
    country_codes: list[str]

    @classmethod
    def load(cls, store: Store) -> RowTable:
        import numpy as np

        from .countries import names

        cur = store.db.execute(
            "SELECT p.row, d.doc_id, d.year, d.country FROM passages p "
            "JOIN documents d ON d.doc_id = p.doc_id ORDER BY p.row"
        )
        records = cur.fetchall()
        doc_ids = {d: i for i, d in enumerate(dict.fromkeys(r[1] for r in records))}
        years = sorted({r[2] for r in records if r[2] is not None})
        codes = sorted({r[3] for r in records if r[3]}, key=lambda c: ((names(c) or [c])[0], c))
        year_of = {y: i for i, y in enumerate(years)}
        country_of = {c: i for i, c in enumerate(codes)}
        return cls(
            doc=np.fromiter((doc_ids[r[1]] for r in records), dtype=np.int64, count=len(records)),
            year=np.fromiter((year_of.get(r[2], -1) for r in records), dtype=np.int64, count=len(records)),
            country=np.fromiter(
                (country_of.get(r[3], -1) for r in records), dtype=np.int64, count=len(records)
            ),
            year_labels=[str(y) for y in years],
            country_labels=[(names(c) or [c])[0] for c in codes],
            country_codes=codes,
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
