"""Search: from a query, or a passage, to ranked hits with their citations."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .documents.un import find_symbols, symbol_keys
from .embedding import Embedder, OnnxEmbedder, canonical_model_name, load_embedder
from .errors import IndexCorruptError, ModelError, PassageNotFoundError, QueryError
from .fusion import Candidate, Fusion
from .passages import join_windows
from .query import Scope, Understood, understand
from .store import MODELS, REBUILD_HINT, ModelInfo, Store, StoredPassage, check_artifacts, read_manifest

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

MAX_QUERY_CHARS = 2000
"""Longer queries are cut: the model reads at most 256 word pieces of them anyway."""

MODES = ("hybrid", "dense", "lexical")

QUERY_PRECISION = "fp32"
"""Queries use the full-precision export (the model's own vectors); passages the int8 one."""

CANDIDATES = 200
"""How deep each retriever looks before fusion, collapsing and --per-doc pick the final k."""
MAX_CONTEXT = 1_000_000
EMBED_REST = True
"""Embed the question without the year phrases it was scoped by ("in 2012")."""

COMMON_SHARE = 0.05
COMMON_MIN = 5000
"""BM25 leaves out a question's words found in more than this share and this number of passages."""

DUPLICATE_COSINE = 0.97
"""Passages at least this similar to a better-ranked one are collapsed into it."""
PARAGRAPH_REACH = 1
"""A result shows this many passages of its own paragraph on each side of the one that matched.
One is all that counted on the development questions (2 and the whole paragraph scored the same),
and it keeps a broken extraction, one 'paragraph' of a whole speech, from flooding the output."""


DEFAULT_FUSION = Fusion()

_PARAGRAPH_NAMED = re.compile(r"\b(?:para(?:graph)?s?\.?|¶)\s*(\d{1,4})\b", re.IGNORECASE)
_PAGE_NAMED = re.compile(r"\b(?:p|pp|page)\.?\s*(\d{1,5})\b", re.IGNORECASE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your yours""".split()
)


def lexical_match(query: str) -> str | None:
    """An FTS5 expression for a query: any of its words, symbols such as A/66/874 as phrases."""
    return " OR ".join(lexical_terms(query)) or None


def lexical_terms(query: str) -> list[str]:
    """A query's words and symbols as quoted FTS5 terms, each once.

    Stopwords are dropped (unless the query is nothing else) so that BM25 ranks by the words
    that carry meaning.
    """
    terms: list[str] = []
    fallback: list[str] = []
    for chunk in query.split():
        tokens = re.findall(r"\w+", chunk.lower())
        if not tokens:
            continue
        if len(tokens) > 1:
            terms.append('"' + " ".join(tokens) + '"')
            continue
        fallback.append(f'"{tokens[0]}"')
        if tokens[0] not in STOPWORDS:
            terms.append(f'"{tokens[0]}"')
    return list(dict.fromkeys(terms or fallback))


@dataclass
class Hit:
    rank: int
    score: float
    passage_id: str
    doc_id: str
    title: str
    date: str | None
    source: str
    paragraph: int | None  # as cited: the document's own number where it numbers its paragraphs
    text: str
    n: int
    meta: dict[str, Any] = field(default_factory=dict)
    explain: dict[str, Any] | None = None
    window: str = ""  # the passage that matched, when `text` shows it with its paragraph around it
    block: int = 0  # position of its paragraph among the document's blocks
    page: int | None = None  # 1-based page where the passage starts (PDF)
    part: str | None = None  # title, summary, preamble, footnote; None for body text

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
            "block": self.block,
            "page": self.page,
            "part": self.part,
            "passage": self.n,
            "text": self.text,
            "window": self.window or self.text,
            "citation": self.citation(),
            "meta": self.meta,
            **({"explain": self.explain} if self.explain is not None else {}),
        }

    def where(self) -> str:
        """Where the passage sits, as a researcher cites it: "para. 11, p. 4", "footnote, p. 4", "p. 12"."""
        page = f"p. {self.page}" if self.page is not None else ""
        if self.part is not None:
            place = self.part
        elif self.meta.get("symbol") and page and not self.meta.get("numbered"):
            place = ""  # a verbatim record numbers no paragraphs: it is cited by page
        else:
            place = f"para. {self.paragraph}" if self.paragraph is not None else ""
        return ", ".join(p for p in (place, page) if p)

    def citation(self) -> str:
        """The line that says where a passage comes from: "A/66/874, para. 11, p. 4 · title · date"."""
        where = self.where()
        symbol = self.meta.get("symbol")
        parts = [f"{symbol}, {where}" if symbol and where else str(symbol or ""), self.title]
        # Who spoke, and for whom, unless the title says it already (General Debate titles do);
        # a symbol names its organ already.
        for key in ("speaker", "organ", "country_name"):
            value = self.meta.get(key)
            if isinstance(value, str) and value and value.lower() not in self.title.lower():
                if not (key == "organ" and symbol):
                    parts.append(value)
        if self.date:
            parts.append(self.date)
        elif self.meta.get("year"):
            parts.append(str(self.meta["year"]))
        if not symbol and where:
            parts.append(where)
        return " · ".join(p for p in parts if p)


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


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise QueryError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    return mode


class Index:
    """An opened index: search by text, find similar passages, show a passage in context."""

    def __init__(
        self, store: Store, embedder: Embedder | None = None, fusion: Fusion = DEFAULT_FUSION
    ) -> None:
        self.store = store
        self._embedder = embedder
        self.fusion = fusion
        self._max_year: int | None = None
        self._matrix: np.ndarray | None = None
        self._rows: RowTable | None = None
        self._worker: ThreadPoolExecutor | None = None  # runs BM25 beside the dense search

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
                checked = check_artifacts(index_dir, manifest, full=False) is not None
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
            _settle(embedder)
            raise
        return cls(store, embedder)

    def close(self) -> None:
        _settle(self._embedder)
        if self._worker is not None:
            self._worker.shutdown(wait=True)
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
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

    @property
    def size(self) -> int:
        return int(self.store.vectors.ntotal)

    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        per_doc: int | None = None,
        explain: bool = False,
        scope: Scope | None = None,
        literal: bool = False,
    ) -> list[Hit]:
        """The k passages that best answer `query`, best first.

        mode: "hybrid" (dense and lexical, fused), "dense" (meaning only) or "lexical" (BM25).
        per_doc: at most this many passages from one document.
        scope: only passages of these countries, years or documents.
        literal: take the query as words only; otherwise years it names scope the search and
        countries it names are favoured (see `understand`).
        """
        return self.search_many([query], k, mode, per_doc, explain, scope, literal)[0]

    def search_many(
        self,
        queries: list[str],
        k: int = 10,
        mode: str = "hybrid",
        per_doc: int | None = None,
        explain: bool = False,
        scope: Scope | None = None,
        literal: bool = False,
    ) -> list[list[Hit]]:
        check_k(k)
        check_mode(mode)
        if per_doc is not None and per_doc < 1:
            raise QueryError(f"--per-doc must be at least 1, got {per_doc}")
        cleaned = [clean_query(q) for q in queries]
        plans = [self.plan(q, scope, literal) for q in cleaned]
        texts = [plan.text for plan in plans]
        # BM25 runs in SQLite, which lets go of the GIL: it proceeds on the other core while the
        # question is embedded and the vectors scanned, so a short question waits for the slower
        # of the two, not their sum (at 35 years each can take tens of milliseconds).
        pending = [self._lexical_soon(plan, k, mode) for plan in plans]
        searched = [plan.text for plan in plans if not plan.listing]
        vectors = iter(
            self.embed_queries(searched) if mode != "lexical" and searched else [None] * len(texts)
        )
        return [
            self._in_paragraph(
                self._listing(plan, k)
                if plan.listing
                else self._rank(
                    plan.text, next(vectors), k, mode, per_doc, explain, plan=plan, lexical_soon=soon
                )
            )
            for plan, soon in zip(plans, pending, strict=True)
        ]

    def _listing(self, plan: Plan, k: int) -> list[Hit]:
        """A question that is only a document's symbol ("A/66/874", "A/66/874 para 11") gets that
        document's paragraphs in order, from the one named."""
        rows: list[int] = []
        for doc_id in self.store.scope_docs(plan.scope):
            passages = self.store.document_passages(doc_id)
            start = next((i for i, p in enumerate(passages) if p.cited == plan.paragraph), None)
            if start is None and plan.paragraph is not None:
                raise QueryError(
                    f"{', '.join(plan.scope.symbols)} has no paragraph {plan.paragraph} "
                    "(give the symbol alone to list its paragraphs)"
                )
            start = start or 0
            previous = None
            for passage in passages[start:]:
                if passage.paragraph != previous:  # one entry per paragraph, widened to it below
                    rows.append(passage.row)
                previous = passage.paragraph
        return self.hits_for([Candidate(row, 1.0) for row in rows[:k]])

    def _lexical_soon(self, plan: Plan, k: int, mode: str) -> Future[list[tuple[int, float]]] | None:
        if plan.listing or not self._wants_lexical(plan.text, mode) or self.size == 0:
            return None
        if self._worker is None:
            from concurrent.futures import ThreadPoolExecutor  # only questions that use BM25 pay for it

            self._worker = ThreadPoolExecutor(1, thread_name_prefix="r2p-lexical")
        return self._worker.submit(self._lexical, plan.text, self._pool_size(k), plan.scope, plan.favoured())

    def _wants_lexical(self, query: str, mode: str) -> bool:
        # A fusion rule may give a query no lexical weight: then skip BM25 rather than compute and ignore it.
        return mode == "lexical" or (mode == "hybrid" and self.fusion.rule(query)[1] > 0)

    def _pool_size(self, k: int) -> int:
        return min(self.size, max(CANDIDATES, k * 5))

    def matrix(self) -> np.ndarray:
        """All stored vectors as float32, decoded once and kept: for scans of every passage."""
        if self._matrix is None:
            vectors = self.store.vectors
            self._matrix = vectors.reconstruct_n(0, vectors.ntotal)
        return self._matrix

    def row_table(self) -> RowTable:
        """Per passage row: its document, year and country, as arrays (built once, kept)."""
        if self._rows is None:
            self._rows = RowTable.load(self.store)
        return self._rows

    def hits_for(self, candidates: list[Candidate]) -> list[Hit]:
        """Hits for given rows and scores, in the order given."""
        passages = {p.row: p for p in self.store.passages_at([c.row for c in candidates])}
        kept = [c for c in candidates if c.row in passages]
        return self._hits([passages[c.row] for c in kept], kept, False)

    def by_country(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        scope: Scope | None = None,
        literal: bool = False,
    ) -> list[Hit]:
        """The best passage of each country for `query`: who said what, one line per country."""
        check_k(k)
        check_mode(mode)
        query = clean_query(query)
        plan = self.plan(query, scope, literal)
        # Named countries are what is compared here, not favoured over the others.
        plan = Plan(plan.text, plan.scope, (), plan.understood)
        vector = self.embed_queries([plan.text])[0] if mode != "lexical" else None
        # One passage per document, and the same words from two countries are both kept.
        pool = self._rank(
            plan.text, vector, min(self.size, max(k * 20, 200)), mode, 1, False, plan=plan, collapse=False
        )
        best: dict[str, Hit] = {}
        for hit in pool:
            country = hit.meta.get("country")
            if country and country not in best:
                best[country] = hit
        chosen = list(best.values())[:k]
        for rank, hit in enumerate(chosen, start=1):
            hit.rank = rank
        return self._in_paragraph(chosen)

    def understand(self, query: str) -> Understood:
        """The countries and years a question names, with this index's last year as a bound."""
        if self._max_year is None:
            self._max_year = self.store.year_span()[1] or 0
        return understand(query, self._max_year or None)

    def plan(self, query: str, scope: Scope | None = None, literal: bool = False) -> Plan:
        """How a query will be searched: its text, the scope it must keep to, the countries it favours."""
        scope = scope or Scope()
        if scope.symbols and not any(self.store.with_symbol(key) for key in scope.symbols):
            raise QueryError(f"no document with symbol {', '.join(scope.symbols)} in this index")
        if literal:
            return Plan(query, scope, (), Understood(query, query))
        understood = self.understand(query)
        said = understood.scope
        hard = scope
        text = query
        if said.years_text() and not scope.years_text():
            scoped = replace(scope, year_from=said.year_from, year_to=said.year_to)
            # "in 1850", with nothing from 1850: search everything rather than nothing.
            if self.store.db.execute(*self._exists(scoped)).fetchone()[0]:
                hard = scoped
                text = understood.rest if EMBED_REST else query
            else:
                understood = Understood(
                    query, query, Scope(said.countries), understood.phrases, understood.topics
                )
        favour = () if scope.countries else said.countries
        named = None if scope.symbols or scope.docs else self.named_documents(query)
        if named is not None:
            # "A/66/874 early warning": the words are searched within the document named.
            keys, rest, paragraph = named
            hard = replace(hard, symbols=keys)
            listing = not re.search(r"[^\W\d_]{2,}", rest)
            return Plan(rest if not listing else query, hard, favour, understood, listing, paragraph)
        return Plan(text, hard, favour, understood)

    def named_documents(self, query: str) -> tuple[tuple[str, ...], str, int | None] | None:
        """The symbols of indexed documents a question names (normalised), the question without
        them, and a paragraph it names beside them ("A/66/874 para 11"); None if it names none."""
        keys: list[str] = []
        rest = query
        for symbol in find_symbols(query, any_case=True):
            known = [key for key in symbol_keys(symbol) if self.store.with_symbol(key)]
            if known:
                keys.extend(k for k in known if k not in keys)
                rest = rest.replace(symbol, " ")
        if not keys:
            return None
        paragraph = None
        cited = _PARAGRAPH_NAMED.search(rest)
        if cited:
            paragraph = int(cited.group(1))
            rest = rest[: cited.start()] + " " + rest[cited.end() :]
        return tuple(keys), " ".join(rest.strip(" ,;:.").split()), paragraph

    def _exists(self, scope: Scope) -> tuple[str, list[Any]]:
        sql, params = self.store.scope_sql(scope)
        return f"SELECT EXISTS ({sql})", params

    def similar(self, passage_id: str, k: int = 10, per_doc: int | None = None) -> list[Hit]:
        """Passages most similar in meaning to a stored one, its own paragraph left out."""
        check_k(k)
        passage = self.passage(passage_id)
        vector = self.store.vectors_at([passage.row])[0]
        # The other windows of its paragraph are the same citation, and overlap it.
        own = self.store.neighbours(passage.doc_id, passage.n, MAX_CONTEXT, passage.paragraph)
        return self._in_paragraph(
            self._rank("", vector, k, "dense", per_doc, False, exclude={p.row for p in own})
        )

    def passage(self, passage_id: str) -> StoredPassage:
        """A stored passage by its id, or by a citation: "A/66/874 para 11", "A/66/874, para. 11"."""
        wanted = passage_id.strip()
        try:
            wanted.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 cannot name a stored passage
            wanted = ""
        passage = self.store.passage_by_id(wanted) if wanted else None
        if passage is None and wanted:
            passage = self._cited(wanted)
        if passage is None:
            passage_id = passage_id.encode("utf-8", "replace").decode("utf-8")
            raise PassageNotFoundError(
                f"no passage {passage_id!r} in the index (ids look like DOC_ID:N, as printed by search; "
                'or cite a document\'s paragraph: "A/66/874 para 11")'
            )
        return passage

    def sharing_symbol(self, citation: str) -> list[str]:
        """The documents carrying the symbol a citation names ("A/66/874 para 11"), in index order."""
        if self.store.passage_by_id(citation.strip()) is not None:
            return []
        named = self.named_documents(citation)
        return self.store.scope_docs(Scope(symbols=named[0])) if named else []

    def _cited(self, citation: str) -> StoredPassage | None:
        named = self.named_documents(citation)
        if named is None:
            return None
        keys, rest, paragraph = named
        page = _PAGE_NAMED.search(rest)  # "A/66/PV.11, p. 7": a record is cited by its page
        if page:
            rest = rest[: page.start()] + rest[page.end() :]
        if (paragraph is None and page is None) or re.search(r"[^\W\d_]{2,}", rest):
            return None
        for doc_id in self.store.scope_docs(Scope(symbols=keys)):
            if paragraph is not None:
                passage = self.store.cited_passage(doc_id, paragraph)
            else:
                passage = self.store.page_passage(doc_id, int(page.group(1)) if page else 0)
            if passage is not None:
                return passage
        return None

    def context(self, passage_id: str, context: int = 0) -> list[Hit]:
        """The passage and up to `context` neighbours on each side, in document order."""
        if context < 0:
            raise QueryError(f"--context must be 0 or more, got {context}")
        context = min(context, MAX_CONTEXT)  # no document has more passages; SQLite wants 64-bit ints
        target = self.passage(passage_id)
        around = self.store.neighbours(target.doc_id, target.n, context)
        return self._hits(
            around, [Candidate(p.row, 1.0 if p.row == target.row else 0.0) for p in around], False
        )

    def _dense(self, vector: np.ndarray, n: int, scope: Scope | None = None) -> list[tuple[int, float]]:
        rows = self.store.scope_rows(scope) if scope else None
        return self.store.nearest(vector, n, rows)

    def _lexical(
        self, query: str, n: int, scope: Scope | None = None, favoured: Scope | None = None
    ) -> list[tuple[int, float]]:
        terms = lexical_terms(query)
        if not terms:
            return []
        return self.store.lexical(self._without_common(terms), n, scope, also=favoured)

    def _without_common(self, terms: list[str]) -> str:
        """The terms of an OR query less those in very many passages ("international", "world").

        Such a term weighs little in BM25 (idf about 3, against 8 or more for a name) but makes
        most of its cost: over 35 years (benchmarks/compare.py) the warm median went from 62 to
        43 ms without them, for the same quality on the development questions.
        """
        if len(terms) < 2 or self.size <= COMMON_MIN:
            return " OR ".join(terms)
        common = max(COMMON_SHARE * self.size, COMMON_MIN)
        counts = [self.store.match_count(t) for t in terms]
        kept = [t for t, c in zip(terms, counts, strict=True) if c <= common]
        return " OR ".join(kept) if kept else terms[counts.index(min(counts))]

    def _rank(
        self,
        query: str,
        vector: np.ndarray | None,
        k: int,
        mode: str,
        per_doc: int | None,
        explain: bool,
        exclude: set[int] | None = None,
        plan: Plan | None = None,
        collapse: bool = True,
        lexical_soon: Future[list[tuple[int, float]]] | None = None,
    ) -> list[Hit]:
        n = self._pool_size(k)
        if n == 0:
            return []
        scope = plan.scope if plan else None
        dense = self._dense(vector, n, scope) if vector is not None else []
        within = plan.favoured() if plan else None
        if lexical_soon is not None:
            lexical = lexical_soon.result()
        else:
            lexical = self._lexical(query, n, scope, within) if self._wants_lexical(query, mode) else []
        favoured: set[int] = set()
        if within is not None:
            # The countries a question names as speakers: their passages join the candidates, by
            # both retrievers, even when the whole index holds closer ones.
            rows = self.store.scope_rows(within)
            favoured = set(rows.tolist())
            if favoured and vector is not None:
                dense = _union(dense, self.store.nearest(vector, n, rows))
        if mode == "dense":
            ranked = [Candidate(r, s, dense_rank=i, dense_score=s) for i, (r, s) in enumerate(dense, 1)]
        elif mode == "lexical":
            ranked = [Candidate(r, s, lexical_rank=i, lexical_score=s) for i, (r, s) in enumerate(lexical, 1)]
        else:
            missing = sorted({r for r, _ in lexical} - {r for r, _ in dense})
            dense_of = {}
            if missing and vector is not None:
                cosines = self.store.vectors_at(missing) @ vector
                dense_of = {r: float(c) for r, c in zip(missing, cosines, strict=True)}
            ranked = self.fusion.rank(query, dense, lexical, dense_of)
        if favoured:
            # "Russia on Ukraine", "What did Canada say": the speaker's passages come first, their
            # scores left as they are (a lift on the cosine scale would mean nothing to
            # reciprocal-rank scores, and +0.1 let other countries' passages on Ukraine win).
            ranked.sort(key=lambda c: (c.row not in favoured, -c.score, c.row))
        if exclude:
            ranked = [c for c in ranked if c.row not in exclude]
        return self._hits_from(self._select(ranked, k, per_doc, collapse), explain)

    def _in_paragraph(self, hits: list[Hit]) -> list[Hit]:
        """Each hit's text widened to the windows of its paragraph on either side of it.

        A paragraph longer than the model's window is stored as several passages, and only the
        best of them is returned (the others would repeat the same citation). The statement a
        question is after can sit in the next one: the cited paragraph is shown around the match.
        """
        for hit in hits:
            around = self.store.neighbours(hit.doc_id, hit.n, PARAGRAPH_REACH, hit.block)
            if len(around) > 1:
                hit.window = hit.text
                hit.text = join_windows([p.text for p in around])
        return hits

    def _select(
        self, ranked: list[Candidate], k: int, per_doc: int | None, collapse: bool = True
    ) -> list[tuple[Candidate, StoredPassage]]:
        """The best k candidates, near-duplicates collapsed (unless not `collapse`) and at most
        `per_doc` per document."""

        chosen: list[tuple[Candidate, StoredPassage]] = []
        chosen_vectors: list[np.ndarray] = []
        per_document: dict[str, int] = {}
        seen_paragraphs: set[tuple[str, int]] = set()
        seen_texts: set[str] = set()
        batch = max(k * 3, 30)
        for start in range(0, len(ranked), batch):
            window = ranked[start : start + batch]
            passages = {p.row: p for p in self.store.passages_at([c.row for c in window])}
            vectors = self.store.vectors_at([c.row for c in window])
            for candidate, vector in zip(window, vectors, strict=True):
                passage = passages.get(candidate.row)
                if passage is None:
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
                if len(chosen) == k:
                    return chosen
        return chosen

    def _hits_from(self, selected: list[tuple[Candidate, StoredPassage]], explain: bool) -> list[Hit]:
        return self._hits([p for _, p in selected], [c for c, _ in selected], explain)

    def _hits(self, passages: list[StoredPassage], candidates: list[Candidate], explain: bool) -> list[Hit]:
        documents = self.store.documents([p.doc_id for p in passages])
        hits = []
        for rank, (passage, candidate) in enumerate(zip(passages, candidates, strict=True), start=1):
            doc = documents[passage.doc_id]
            hits.append(
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
        return hits


def _near(chosen: list[np.ndarray], vector: np.ndarray) -> bool:
    import numpy as np

    return bool(chosen) and float(np.max(np.stack(chosen) @ vector)) >= DUPLICATE_COSINE


def _union(first: list[tuple[int, float]], second: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Two rankings of the same scores merged: best first, each row once."""
    merged = dict(first)
    merged.update(second)
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))


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


@dataclass(frozen=True)
class Plan:
    text: str  # what is embedded and matched
    scope: Scope  # where results must come from
    favour: tuple[str, ...]  # countries whose passages are lifted
    understood: Understood
    listing: bool = False  # the question only names documents: list their paragraphs in order
    paragraph: int | None = None  # the paragraph it names beside them, to start from

    def favoured(self) -> Scope | None:
        """The part of the scope spoken by the favoured countries, if any are."""
        if not self.favour:
            return None
        return replace(self.scope, countries=self.favour)

    def describe(self) -> str:
        """What the search keeps to and favours, in words: "country: Chile; year: 2019"."""
        parts = [self.scope.describe()] if self.scope else []
        if self.favour:
            parts.append(Scope(self.favour).describe() + " (favoured)")
        if self.understood.topics:
            # Not favoured: passages about Libya come from every country, not from Libya's speeches.
            parts.append(self.understood.spoken_of())
        if self.listing:
            parts.append(f"from para. {self.paragraph}" if self.paragraph is not None else "in order")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "countries": list(self.scope.countries),
            "favoured_countries": list(self.favour),
            "countries_spoken_of": list(self.understood.topics),
            "year_from": self.scope.year_from,
            "year_to": self.scope.year_to,
            "docs": list(self.scope.docs),
            "symbols": list(self.scope.symbols),
            "searched_text": self.text,
        }


def _settle(embedder: Embedder | None) -> None:
    if isinstance(embedder, OnnxEmbedder):
        embedder.settle()


def _query_encoder(index_dir: Path, info: ModelInfo) -> OnnxEmbedder | None:
    """The index's own exported model, if it has one."""
    if info.encoder != "onnx" or info.export is None:
        return None
    return OnnxEmbedder(info.name, folder=index_dir / MODELS / info.export, precision=QUERY_PRECISION)


def open_index(index_dir: Path, model: str | None = None) -> Index:
    return Index.open(index_dir, model=model)
