"""Selection: from ranked candidates to the hits shown, each a citable paragraph.

Windows of one paragraph count once, near-duplicates (the same statement in two speeches) are
collapsed into the better-ranked one, --per-doc is kept, and each hit is widened to the
passages of its paragraph around the one that matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import QueryError
from .fusion import Candidate
from .passages import join_windows
from .results import Hit

if TYPE_CHECKING:
    import numpy as np

    from .planning import Plan
    from .store import Store, StoredPassage

DUPLICATE_COSINE = 0.97
"""Passages at least this similar to a better-ranked one are collapsed into it."""
PARAGRAPH_REACH = 1
"""A result shows this many passages of its own paragraph on each side of the one that matched.
One is all that counted on the development questions (2 and the whole paragraph scored the same),
and it keeps a broken extraction, one 'paragraph' of a whole speech, from flooding the output."""

Selected = list[tuple[Candidate, "StoredPassage"]]


def select(
    store: Store,
    ranked: list[Candidate],
    k: int,
    per_doc: int | None,
    collapse: bool = True,
    spoken_of: tuple[str, ...] = (),
) -> Selected:
    """The best k candidates, near-duplicates collapsed (unless not `collapse`) and at most
    `per_doc` per document.

    spoken_of: countries the question is about, not by: at most half the hits are their own
    speeches. Every passage of Syria's speech carries its label, so a question about Syria would
    otherwise be answered by Syria alone; it asks what was said of Syria, by anyone.
    """
    chosen: Selected = []
    chosen_vectors: list[np.ndarray] = []
    per_document: dict[str, int] = {}
    seen_paragraphs: set[tuple[str, int]] = set()
    seen_texts: set[str] = set()
    own_words, own_limit = 0, (k + 1) // 2
    batch = max(k * 3, 30)
    for start in range(0, len(ranked), batch):
        window = ranked[start : start + batch]
        passages = {p.row: p for p in store.passages_at([c.row for c in window])}
        vectors = store.vectors_at([c.row for c in window])
        speakers = store.countries_of({p.doc_id for p in passages.values()}) if spoken_of else {}
        for candidate, vector in zip(window, vectors, strict=True):
            passage = passages.get(candidate.row)
            if passage is None:
                continue
            own = speakers.get(passage.doc_id) in spoken_of
            if own and own_words >= own_limit:
                continue
            key = (passage.doc_id, passage.paragraph)
            text = " ".join(passage.text.lower().split())
            if key in seen_paragraphs:
                continue  # another window of the same paragraph
            if collapse and (text in seen_texts or _near(chosen_vectors, vector)):
                continue  # the same words again, or nearly
            if per_doc is not None and per_document.get(passage.doc_id, 0) >= per_doc:
                continue
            chosen.append((candidate, passage))
            chosen_vectors.append(vector)
            seen_paragraphs.add(key)
            seen_texts.add(text)
            per_document[passage.doc_id] = per_document.get(passage.doc_id, 0) + 1
            own_words += own
            if len(chosen) == k:
                return chosen
    return chosen


def hits(store: Store, selected: Selected, explain: bool = False) -> list[Hit]:
    """Hits for chosen passages, ranked in the order given, with their documents' citations."""
    documents = store.documents([p.doc_id for _, p in selected])
    found = []
    for rank, (candidate, passage) in enumerate(selected, start=1):
        doc = documents[passage.doc_id]
        found.append(
            Hit(
                rank=rank,
                score=candidate.score,
                passage_id=passage.passage_id,
                doc_id=passage.doc_id,
                title=doc.title,
                date=doc.date,
                source=doc.source,
                paragraph=passage.cited,
                text=passage.text,
                n=passage.n,
                meta=doc.meta,
                block=passage.paragraph,
                page=passage.page,
                part=passage.part,
                cosine=candidate.dense_score,
                explain={
                    "dense_rank": candidate.dense_rank,
                    "dense_score": candidate.dense_score,
                    "lexical_rank": candidate.lexical_rank,
                    "lexical_score": candidate.lexical_score,
                }
                if explain
                else None,
            )
        )
    return found


def hits_at(store: Store, candidates: Sequence[Candidate]) -> list[Hit]:
    """Hits for given rows and scores, in the order given (rows no longer stored are left out)."""
    passages = {p.row: p for p in store.passages_at([c.row for c in candidates])}
    return hits(store, [(c, passages[c.row]) for c in candidates if c.row in passages])


def listed(store: Store, plan: Plan, k: int) -> list[Hit]:
    """A question that only names a document ("A/66/874", "A/66/874 para 11", "A/66/PV.11, p. 7")
    gets that document's paragraphs in order, from the one or the page named."""
    rows: list[int] = []
    for doc_id in store.scope_docs(plan.scope):
        found = listing_rows(store.document_passages(doc_id), plan.paragraph, plan.page)
        if found is None:
            named = f"paragraph {plan.paragraph}" if plan.paragraph is not None else f"page {plan.page}"
            raise QueryError(
                f"{', '.join(plan.scope.symbols)} has no {named} "
                "(give the symbol alone to list its paragraphs)"
            )
        rows.extend(found)
    return hits_at(store, [Candidate(row, 1.0) for row in rows[:k]])


def listing_rows(
    passages: Sequence[StoredPassage], paragraph: int | None = None, page: int | None = None
) -> list[int] | None:
    """One row per paragraph of a document's passages (in order), from the paragraph as cited or
    the page named, or from the start; None if the document has no such paragraph or page."""
    if paragraph is not None:
        start = next((i for i, p in enumerate(passages) if p.cited == paragraph), None)
    elif page is not None:
        start = next((i for i, p in enumerate(passages) if p.page == page), None)
    else:
        start = 0
    if start is None:
        return None
    rows: list[int] = []
    previous = None
    for passage in passages[start:]:
        if passage.paragraph != previous:  # one entry per paragraph, widened to it afterwards
            rows.append(passage.row)
        previous = passage.paragraph
    return rows


def in_paragraph(store: Store, found: list[Hit]) -> list[Hit]:
    """Each hit's text widened to the windows of its paragraph on either side of it.

    A paragraph longer than the model's window is stored as several passages, and only the
    best of them is returned (the others would repeat the same citation). The statement a
    question is after can sit in the next one: the cited paragraph is shown around the match.
    """
    for hit in found:
        around = store.neighbours(hit.doc_id, hit.n, PARAGRAPH_REACH, hit.block)
        if len(around) > 1:
            hit.window = hit.text
            hit.text = join_windows([p.text for p in around])
    return found


def _near(chosen: list[np.ndarray], vector: np.ndarray) -> bool:
    import numpy as np

    return bool(chosen) and float(np.max(np.stack(chosen) @ vector)) >= DUPLICATE_COSINE
