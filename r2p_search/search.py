"""Search: the front of an opened index. Each task is handed to the stage that does it.

planning.py   what a question asks for: text, scope, favoured countries, cited documents
retrieval.py  candidates by meaning, by words (BM25), or both fused
selection.py  duplicates collapsed, --per-doc kept, hits widened to their paragraph
scan.py       every passage scored at once, for the timeline
results.py    what comes back, and its JSON
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import selection
from .documents.names import context_label
from .embedding import Embedder, canonical_model_name, embedding_input, load_embedder
from .embedding.onnx_model import OnnxEmbedder
from .errors import REBUILD_HINT, IndexCorruptError, ModelError, PassageNotFoundError
from .fusion import Candidate, Fusion
from .passages import windows
from .planning import Plan, Planner
from .query import Scope, Understood
from .request import GroupBy, SearchRequest, check_context, check_k, check_per_doc, clean_text
from .results import Hit, SearchResult, Shown, Similar
from .retrieval import Retriever
from .scan import Scan
from .store import MODELS, ModelInfo, Store, StoredPassage, check_artifacts, read_manifest

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np

    from .retrieval import Ranking

__all__ = ["Hit", "Index", "SearchRequest", "SearchResult"]

QUERY_PRECISION = "fp32"
"""Queries use the full-precision export (the model's own vectors); passages the int8 one."""

MAX_CONTEXT = 1_000_000
"""More neighbours than any document has passages (SQLite wants 64-bit integers)."""

DEFAULT_FUSION = Fusion()

_LIKE = Plan("", Scope(), (), Understood("", ""))
"""The plan of "more like this": a passage's vector and nothing else, over the whole index."""


def _like(scope: Scope | None) -> Plan:
    """The plan of "more like this" within `scope`."""
    return replace(_LIKE, scope=scope) if scope else _LIKE


class Index:
    """An opened index: search by text, find similar passages, show a passage in context."""

    def __init__(
        self, store: Store, embedder: Embedder | None = None, fusion: Fusion = DEFAULT_FUSION
    ) -> None:
        self.store = store
        self._embedder = embedder
        self.planner = Planner(store)
        self.retriever = Retriever(store, fusion)
        self.scan = Scan(store)
        self._loading = threading.Lock()  # a server asks from many threads: load the model once

    @classmethod
    def open(
        cls,
        index_dir: Path,
        model: str | None = None,
        embedder: Embedder | None = None,
        preload: bool = False,
    ) -> Index:
        """Open a built index; `preload` starts loading its model while the index is read."""
        manifest = read_manifest(index_dir)
        checked = False
        if preload and embedder is None and manifest is not None:
            # Damage is reported before a model file is handed to onnxruntime.
            with contextlib.suppress(IndexCorruptError):  # Store.open reports it, or retries
                check_artifacts(index_dir, manifest, full=False)
                checked = True
            if checked:
                embedder = _query_encoder(index_dir, manifest.model)
                if embedder is not None:
                    embedder.preload()
        try:
            store = Store.open(index_dir, manifest, checked=checked)
            built_with = store.manifest.model.name
            if model is not None and canonical_model_name(model) != built_with:
                store.close()
                raise ModelError(
                    f"the index was built with model {built_with}, not {model}: vectors of two "
                    f"models cannot be compared; rebuild with: r2p-search index --model {model}"
                )
        except BaseException:
            if embedder is not None:
                embedder.settle()
            raise
        return cls(store, embedder)

    def close(self) -> None:
        if self._embedder is not None:
            self._embedder.settle()
        self.retriever.close()
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def fusion(self) -> Fusion:
        return self.retriever.fusion

    @fusion.setter
    def fusion(self, fusion: Fusion) -> None:
        self.retriever.fusion = fusion

    @property
    def size(self) -> int:
        return self.retriever.size

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._loading:
                return self._load_embedder()
        return self._embedder

    def _load_embedder(self) -> Embedder:
        if self._embedder is None:
            info = self.store.manifest.model
            exported = _query_encoder(self.store.index_dir, info)
            if exported is not None:
                # The exported model travels with the index: no torch, nothing to verify twice.
                self._embedder = exported
                return exported
            embedder = load_embedder(info.name)
            if embedder.dimension != info.dimension or embedder.fingerprint != info.fingerprint:
                raise ModelError(
                    f"model {info.name} is not the one this index was built with "
                    f"(its weights changed); {REBUILD_HINT}"
                )
            self._embedder = embedder
        return self._embedder

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors of questions, each after the query prompt the index's model was built with."""
        prompt = self.store.manifest.model.query_prompt
        return self.embedder.embed([prompt + text for text in texts])

    def plan(self, query: str, scope: Scope | None = None, literal: bool = False) -> Plan:
        """How a query will be searched (see planning.py)."""
        return self.planner.plan(query, scope, literal)

    def answer(self, requests: Sequence[SearchRequest]) -> list[SearchResult]:
        """Each request's result, in order. The questions are embedded together, and BM25 runs on
        another core while they are."""
        plans = [self.planner.plan(r.query, r.scope, r.literal) for r in requests]
        found: dict[int, list[Hit]] = {}
        for i, request in enumerate(requests):
            if request.group_by is not None:
                # Named countries are what is compared here, not favoured over the others.
                plans[i] = replace(plans[i], favour=())
                found[i] = self._by_speaker(plans[i], request)
        batch = [i for i in range(len(requests)) if i not in found]
        weak: set[int] = set()
        soon = {i: self.retriever.lexical_soon(plans[i], requests[i].k, requests[i].mode) for i in batch}
        embedded = [i for i in batch if not plans[i].listing and requests[i].mode != "lexical"]
        vectors = self.embed_queries([plans[i].text for i in embedded]) if embedded else []
        vector_of = dict(zip(embedded, vectors, strict=True))
        for i in batch:
            request, plan = requests[i], plans[i]
            if plan.listing:
                found[i] = selection.listed(self.store, plan, request.k)
            else:
                ranked = self._candidates(
                    plan,
                    vector_of.get(i),
                    request.k,
                    request.mode,
                    lexical_soon=soon[i],
                )
                found[i] = self._selected(
                    ranked, request.k, request.per_doc, request.explain, spoken_of=plan.spoken_of()
                )
                if found[i] and self.retriever.weak(plan, ranked):
                    weak.add(i)
        return [
            SearchResult(
                request.query,
                plan,
                None if plan.listing else self.retriever.rule(plan.text, request.mode),
                selection.in_paragraph(self.store, found[i]),
                truncated_from=request.truncated_from,
                weak=i in weak,
            )
            for i, (request, plan) in enumerate(zip(requests, plans, strict=True))
        ]

    def search(self, query: str, k: int = 10, **options: Any) -> list[Hit]:
        """The k passages that best answer `query`, best first.

        options are a SearchRequest's: mode ("hybrid", "dense" or "lexical"), per_doc, explain,
        scope, literal, group_by.
        """
        return self.answer([SearchRequest(query=query, k=k, **options)])[0].hits

    def search_many(self, queries: Sequence[str], k: int = 10, **options: Any) -> list[list[Hit]]:
        """Hits for each query, the same options for all (as `search`), in one batch."""
        return [
            result.hits for result in self.answer([SearchRequest(query=q, k=k, **options) for q in queries])
        ]

    def by_country(self, query: str, k: int = 10, **options: Any) -> list[Hit]:
        """The best passage of each speaker for `query`: who said what, one line per country (or
        per speaker where no country speaks)."""
        return self.search(query, k, group_by=GroupBy.country, **options)

    def _by_speaker(self, plan: Plan, request: SearchRequest) -> list[Hit]:
        """The best passage of each speaker: a country, or who speaks where no country does (the
        Secretary-General, an organ), so that no voice falls out of the comparison."""
        vector = self.embed_queries([plan.text])[0] if request.mode != "lexical" else None
        # One passage per document, and the same words from two countries are both kept.
        pool = self._ranked(
            plan,
            vector,
            min(self.size, max(request.k * 20, 200)),
            request.mode,
            per_doc=1,
            explain=request.explain,
            collapse=False,
        )
        best: dict[str, Hit] = {}
        for hit in pool:
            key = hit.speaker()[0]
            if key not in best:
                best[key] = hit
        chosen = list(best.values())[: request.k]
        for rank, hit in enumerate(chosen, start=1):
            hit.rank = rank
        return chosen

    def _ranked(
        self,
        plan: Plan,
        vector: np.ndarray | None,
        k: int,
        mode: str,
        *,
        per_doc: int | None = None,
        explain: bool = False,
        collapse: bool = True,
        exclude: set[int] | None = None,
        lexical_soon: Future[Ranking] | None = None,
    ) -> list[Hit]:
        ranked = self._candidates(plan, vector, k, mode, exclude=exclude, lexical_soon=lexical_soon)
        return self._selected(ranked, k, per_doc, explain, collapse, plan.spoken_of())

    def _candidates(
        self,
        plan: Plan,
        vector: np.ndarray | None,
        k: int,
        mode: str,
        *,
        exclude: set[int] | None = None,
        lexical_soon: Future[Ranking] | None = None,
    ) -> list[Candidate]:
        n = self.retriever.pool_size(k)
        if n == 0:
            return []
        ranked = self.retriever.candidates(
            plan.text,
            vector,
            n,
            mode,
            scope=plan.scope,
            favoured=plan.favoured(),
            lexical_soon=lexical_soon,
            era=plan.era,
        )
        if exclude:
            ranked = [c for c in ranked if c.row not in exclude]
        return ranked

    def _selected(
        self,
        ranked: list[Candidate],
        k: int,
        per_doc: int | None,
        explain: bool,
        collapse: bool = True,
        spoken_of: tuple[str, ...] = (),
    ) -> list[Hit]:
        selected = selection.select(self.store, ranked, k, per_doc, collapse, spoken_of)
        return selection.hits(self.store, selected, explain)

    def similar(self, passage_id: str, k: int = 10, per_doc: int | None = None) -> list[Hit]:
        """Passages most similar in meaning to a stored one, its own paragraph left out."""
        return self.more_like(passage_id, k, per_doc).hits

    def more_like(
        self,
        passage_id: str,
        k: int = 10,
        per_doc: int | None = None,
        scope: Scope | None = None,
        other_speakers: bool = False,
    ) -> Similar:
        """Passages most similar in meaning to a stored one ("more like this"), its own paragraph left
        out; only from `scope`'s documents if it is given; with `other_speakers`, none of its
        speaker's (its country's other speeches, or its own document where no country speaks)."""
        check_k(k)
        check_per_doc(per_doc)
        passage = self.passage(passage_id)
        vector = self.store.vectors_at([passage.row])[0]
        # The other windows of its paragraph are the same citation, and overlap it.
        own = self.store.neighbours(passage.doc_id, passage.n, MAX_CONTEXT, passage.paragraph)
        exclude = {p.row for p in own}
        if other_speakers:
            # Each passage carries its country's name in its vector, so a speaker's other
            # speeches come first unless they are left out.
            country = self.store.countries_of([passage.doc_id]).get(passage.doc_id)
            if country:
                scope = replace(scope or Scope(), not_countries=(country,))
            else:
                exclude |= {p.row for p in self.store.document_passages(passage.doc_id)}
        plan = _like(scope)
        found = self._ranked(plan, vector, k, "dense", per_doc=per_doc, exclude=exclude)
        return Similar(passage.passage_id, passage.text, selection.in_paragraph(self.store, found))

    def like_text(
        self, text: str, k: int = 10, per_doc: int | None = None, scope: Scope | None = None
    ) -> Similar:
        """Passages most similar in meaning to a text of one's own, such as a paragraph of a draft.

        The passages the text quotes whole are left out with their paragraphs, as `more_like`
        leaves out its own. A text taken mostly from one indexed document is read as that
        document's passages were embedded, after its label, so that a paragraph pasted from a
        speech finds what `similar` finds with its id.
        """
        check_k(k)
        check_per_doc(per_doc)
        text = clean_text(text)
        plan = _like(scope)
        n = self.retriever.pool_size(k)
        ranked = self.retriever.candidates(plan.text, self.embed_text(text), n, "dense", scope=plan.scope)
        quoted, source = self._quoted(text, ranked)
        if source is not None and self.store.manifest.pipeline.embed_context:
            # Without its label the same words rank passages of other speeches higher than the
            # label-carrying vectors of their own speech do: the two forms would disagree.
            label = context_label(self.store.documents([source])[source].meta)
            vector = self.embed_text(text, label)
            ranked = self.retriever.candidates(plan.text, vector, n, "dense", scope=plan.scope)
        ranked = [c for c in ranked if c.row not in quoted]
        found = selection.hits(self.store, selection.select(self.store, ranked, k, per_doc))
        return Similar(None, text, selection.in_paragraph(self.store, found))

    def embed_text(self, text: str, label: str = "") -> np.ndarray:
        """A text's vector, made as a passage's is: after the model's passage prompt and `label`
        (a document's "Syria, 2011"), in windows of the index's passage size; a text longer than
        one window is the mean of its windows, so its last sentences count as much as its first."""
        import numpy as np

        embedder = self.embedder
        prompt = self.store.manifest.model.document_prompt
        budget = min(self.store.manifest.pipeline.passage_tokens, embedder.max_tokens - 2)
        prefix = embedding_input(label, "", prompt)
        if prefix:
            budget -= embedder.count_tokens([prefix])[0]
        parts = windows(text, embedder.count_tokens, max(budget, 1)) or [text]
        vectors = embedder.embed([embedding_input(label, part, prompt) for part in parts])
        if len(vectors) == 1:
            return vectors[0]
        mean = vectors.mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else vectors[0]

    def _quoted(self, text: str, ranked: Sequence[Candidate]) -> tuple[set[int], str | None]:
        """The rows of every paragraph with a passage among `ranked` that `text` quotes whole, and
        the document the text is taken from: the only one it quotes, if that makes up half of it."""
        said = text.lower()
        rows: set[int] = set()
        spans: dict[str, list[tuple[int, int]]] = {}
        for passage in self.store.passages_at([c.row for c in ranked]):
            words = " ".join(passage.text.lower().split())
            at = said.find(words)
            if at >= 0:
                around = self.store.neighbours(passage.doc_id, passage.n, MAX_CONTEXT, passage.paragraph)
                rows.update(p.row for p in around)
                spans.setdefault(passage.doc_id, []).append((at, at + len(words)))
        if len(spans) != 1:
            return rows, None
        [(doc_id, found)] = spans.items()
        return rows, doc_id if 2 * _covered(found) >= len(said) else None

    def passage(self, passage_id: str) -> StoredPassage:
        """A stored passage by its id, or by a citation: "A/66/874 para 11", "A/66/874, para. 11"."""
        return self._find(passage_id)[0]

    def context(self, passage_id: str, context: int = 0) -> list[Hit]:
        """The passage and up to `context` neighbours on each side, in document order."""
        return self.show(passage_id, context).passages

    def show(self, passage_id: str, context: int = 0) -> Shown:
        """A passage by id or citation, with up to `context` neighbours on each side, and the other
        documents that carry the symbol a citation names (a report as PDF and as Word)."""
        context = min(check_context(context), MAX_CONTEXT)
        target, symbols = self._find(passage_id)
        around = self.store.neighbours(target.doc_id, target.n, context)
        passages = selection.hits(
            self.store, [(Candidate(p.row, 1.0 if p.row == target.row else 0.0), p) for p in around]
        )
        shown = next(p for p in passages if p.passage_id == target.passage_id)
        others = self.store.scope_docs(Scope(symbols=symbols)) if symbols else []
        return Shown(shown, passages, [d for d in others if d != target.doc_id])

    def _find(self, passage_id: str) -> tuple[StoredPassage, tuple[str, ...]]:
        """A passage by id or citation, and the symbols the citation named (none for an id)."""
        wanted = passage_id.strip()
        try:
            wanted.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 cannot name a stored passage
            wanted = ""
        passage = self.store.passage_by_id(wanted) if wanted else None
        if passage is not None:
            return passage, ()
        named = self.planner.named_documents(wanted) if wanted else None
        passage = self.planner.cited(named) if named else None
        if named is None and wanted:
            # A citation as search prints it for a document without a symbol: "SYR_66_2011, para. 22".
            by_id = self.planner.cited_in(wanted)
            if by_id is not None:
                return by_id, ()
        if passage is None or named is None:
            passage_id = passage_id.encode("utf-8", "replace").decode("utf-8")
            raise PassageNotFoundError(
                f"no passage {passage_id!r} in the index (ids look like DOC_ID:N, as printed by search; "
                'or cite a paragraph: "A/66/874 para 11", "SYR_66_2011 para 22")'
            )
        return passage, named.keys


def _covered(spans: list[tuple[int, int]]) -> int:
    """How many characters the (start, end) spans cover together (windows overlap)."""
    covered = reach = 0
    for start, end in sorted(spans):
        covered += max(0, end - max(start, reach))
        reach = max(reach, end)
    return covered


def _query_encoder(index_dir: Path, info: ModelInfo) -> OnnxEmbedder | None:
    """The index's own exported model, if it has one."""
    if info.encoder != "onnx" or info.export is None:
        return None
    return OnnxEmbedder(info.name, folder=index_dir / MODELS / info.export, precision=QUERY_PRECISION)
