"""BM25 engines on one index, in one run: the postings, FTS5, bm25s and Tantivy.

    python benchmarks/lexical.py --index DIR                      # an index built with postings
    python benchmarks/lexical.py --index DIR --naive-index NAIVE  # and the naive recipe beside
    python benchmarks/lexical.py --index DIR --engines postings,FTS5

The engines, each given the index's passages: their text and their document's context words,
the two columns FTS5 indexes (store.py's passages_fts, postings.build_postings):
- postings: the product's BM25 (postings.py), FTS5 scoring only phrases;
- FTS5: SQLite FTS5 scoring everything, as every question was answered before the postings;
- bm25s: sparse matrices in memory (pip install bm25s), numpy backend, and with numba where it
  is installed (bm25s's fast path);
- Tantivy: on-disk segments, through tantivy-py (pip install tantivy).
bm25s and Tantivy are built in a temporary folder at the start, from the index's words as FTS5
tokenizes them (porter, unicode61), so that every engine ranks the same tokens and the same
terms: what differs is the engine. FTS5 and the postings are built again there too, only to time
their build. An engine whose package is not installed is named and skipped.

For every question of the development sets (tests/eval/), in one warm process, the engines
taking turns question by question (so that a busy machine slows them alike):
- BM25 alone: the product's terms (lexical_terms, kept_terms), the same 200-deep ranking asked of
  each; p50/p95 per question; how many rankings are those of FTS5 (200 deep, and the top 10);
- the whole question (`Index.search`, k=10, hybrid) with that engine doing BM25, substituted
  behind `Store.bm25` in this process only; p50/p95; and MRR@10 / hit@10 on the multi-year set,
  hybrid and BM25 alone, when the index holds the years it asks about;
- symbols as phrases: for "A/66/874" and the like, whether the passages holding the symbol's
  words in a row come first (k/n: k of the first n, n the passages holding it, at most 10) and how
  many passages each engine returns;
- with --naive-index, the naive recipe's warm p50 on the same questions (benchmarks/naive.py).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from r2p_search.store import Store

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SETS = ("seed.jsonl", "ungdc-2011.jsonl", "ungdc-multiyear.jsonl")
SYMBOLS = ("A/66/874", "S/RES/1973 (2011)", "S/PRST/2011/15", "A/47/277", "A/59/2005", "S/2012/522")
"""Questions naming a document by its symbol, whose words must stand in a row (a phrase): the
first two as the issue names them, then the symbols the General Debate speeches cite most."""

Ranking = list[tuple[int, float]]
Rank = Callable[[list[str], int, "np.ndarray | None"], Ranking]
"""An engine's BM25: (terms, limit, the rows in scope or None) -> (row, score), best first."""


@dataclass
class Engine:
    name: str
    rank: Rank
    build: str  # its build time, as printed
    size: str  # on disk or in memory, as printed
    phrases: str  # what it does with a symbol's phrase
    # Substituted behind Store.bm25 for the whole question; the postings and FTS5 are the product's own.
    substitute: bool = False
    phrase_count: Callable[[str], int] | None = None  # passages holding a phrase, for kept_terms
    times: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    rankings: dict[str, Ranking] = field(default_factory=dict)
    quality: dict[str, str] = field(default_factory=dict)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True, help="an index built with BM25 postings")
    parser.add_argument("--naive-index", type=Path, help="a naive.py index of the same corpus")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked of each engine")
    parser.add_argument(
        "--engines",
        default="postings,FTS5,bm25s,bm25s+numba,Tantivy",
        help="which engines, comma-separated (default: all that are installed)",
    )
    parser.add_argument("--work", type=Path, help="where to build the engines (default: a temporary folder)")
    args = parser.parse_args()
    wanted = [name.strip() for name in args.engines.split(",") if name.strip()]

    import numpy as np

    from r2p_search.evaluate import evaluate, load_queries
    from r2p_search.retrieval import CANDIDATES, kept_terms, lexical_terms
    from r2p_search.search import Index

    queries = [q for name in SETS for q in load_queries(REPO / "tests" / "eval" / name)]
    questions = [q.query for q in queries]
    index = Index.open(args.index)
    store = index.store
    if store.postings is None:
        sys.exit(f"{args.index} has no BM25 postings: run r2p-search index on it first")
    postings = store.postings
    skipped: list[tuple[str, str]] = []
    twin: Rank | None = None

    work = Path(tempfile.mkdtemp(prefix="r2p-lexical-", dir=args.work))
    try:
        corpus = Corpus.read(store)
        builds = build_reference(corpus, store, work)
        engines: list[Engine] = []
        if "postings" in wanted:
            engines.append(
                Engine(
                    "postings",
                    lambda terms, limit, within: store.bm25(terms, limit),
                    builds["postings"][0],
                    builds["postings"][1],
                    "phrases scored by FTS5",
                    phrase_count=store.match_count,
                )
            )
        if "FTS5" in wanted:
            engines.append(
                Engine(
                    "FTS5",
                    lambda terms, limit, within: store.lexical(" OR ".join(terms), limit) if terms else [],
                    builds["FTS5"][0],
                    builds["FTS5"][1],
                    "phrase query",
                    phrase_count=store.match_count,
                )
            )
        others = [name for name in wanted if name not in ("postings", "FTS5")]
        if others:
            tokens = corpus.tokens()
            builds["tokens"] = f"{tokens.seconds:.0f} s, {len(tokens.vocabulary)} distinct tokens"
            if any(name.startswith("bm25s") for name in others):
                twin = _unweighted(corpus)
            engines.extend(build_others(others, corpus, tokens, store, work, skipped))
            del tokens

        # BM25 alone: the same terms for every engine, the engines taking turns question by question.
        index.search("warm-up", 10)
        for engine in engines:  # numba compiles a scorer for each kind of call
            engine.rank(['"warm"'], CANDIDATES, None)
            engine.rank(['"warm"'], CANDIDATES, np.arange(min(10, index.size)))
        terms_of: dict[str, list[str]] = {}
        for qi, question in enumerate(questions):
            store.postings = postings
            terms = terms_of[question] = kept_terms(lexical_terms(question), index.size, store.term_count)
            for r in range(args.rounds):
                for engine in _turns(engines, qi + r):
                    start = time.perf_counter()
                    engine.rankings[question] = engine.rank(terms, CANDIDATES, None)
                    engine.times.append((time.perf_counter() - start) * 1000)

        # The whole question, each engine in turn doing BM25 for it.
        for r in range(args.rounds):
            for qi, question in enumerate(questions):
                for engine in _turns(engines, qi + r):
                    install(store, engine, postings, corpus.query_tokens)
                    start = time.perf_counter()
                    index.search(question, 10)
                    engine.whole.append((time.perf_counter() - start) * 1000)
        multiyear = load_queries(REPO / "tests" / "eval" / "ungdc-multiyear.jsonl")
        low, high = store.year_span()
        if low is not None and high is not None and high - low >= 10:
            for engine in engines:
                install(store, engine, postings, corpus.query_tokens)
                for mode in ("hybrid", "lexical"):
                    summary = evaluate(
                        multiyear, lambda texts, k, mode=mode: index.search_many(texts, k, mode=mode), mode
                    )
                    engine.quality[mode] = f"{summary.metric('mrr@10'):.3f} / {summary.metric('hit@10'):.2f}"

        explained = {
            e.name: sum(
                {r for r, _ in e.rankings[q][:10]} == {r for r, _ in twin(terms_of[q], 10, None)}
                for q in questions
            )
            for e in engines
            if twin is not None and e.name.startswith("bm25s")
        }
        install(store, None, postings, corpus.query_tokens)
        symbols = []
        for text in SYMBOLS:
            terms = kept_terms(lexical_terms(text), index.size, store.term_count)
            phrases = [t for t in terms if len(corpus.query_tokens(t)) > 1]
            holding = set(store.match_rows(" AND ".join(phrases)).tolist()) if phrases else set()
            first = min(10, len(holding))
            found = {e.name: e.rank(terms, CANDIDATES, None) for e in engines}
            symbols.append(
                (
                    text,
                    len(holding),
                    {n: (sum(r in holding for r, _ in f[:first]), first, len(f)) for n, f in found.items()},
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    naive = None
    if args.naive_index:
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as handle:
            handle.write("\n".join(questions) + "\n")
            handle.flush()
            done = subprocess.run(
                [sys.executable, str(HERE / "naive.py"), "warm", str(args.naive_index), handle.name],
                check=True,
                capture_output=True,
                text=True,
            )
        naive = json.loads(done.stdout)["ms"]

    nice = os.nice(0)
    rows = [
        (
            "machine",
            f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores"
            + (f", nice {nice}" if nice else ""),
        ),
        ("index", f"{index.size} passages, {store.manifest.documents} documents"),
        ("questions", f"{len(questions)} (development sets), each {args.rounds} times per engine, in turns"),
        ("postings rebuilt here equal the index's", builds["same"]),
        ("FTS5 tokens for bm25s and Tantivy", builds.get("tokens", "not needed")),
    ]
    rows.extend((f"not measured: {name}", why) for name, why in skipped)
    # The postings give FTS5's rankings (checked here): either is the product's ranking.
    reference = next((e for e in engines if e.name == "FTS5"), None) or next(
        (e for e in engines if e.name == "postings"), None
    )
    for engine in engines:
        rows.append((f"{engine.name}: build, size", f"{engine.build}; {engine.size}"))
        rows.append((f"{engine.name}: BM25 alone p50 / p95", _ms(engine.times)))
        if reference is not None and engine is not reference:
            rows.append(
                (
                    f"{engine.name}: rankings as {reference.name}'s",
                    _agreement(engine, reference, questions),
                )
            )
        if engine.name in explained:
            rows.append(
                (
                    f"{engine.name}: top 10 as FTS5's, context weighted 1, phrases as words",
                    f"{explained[engine.name]} of {len(questions)} (the same passages)",
                )
            )
        rows.append((f"{engine.name}: whole question p50 / p95", _ms(engine.whole)))
        for mode, label in (("hybrid", "hybrid"), ("lexical", "BM25 alone")):
            if mode in engine.quality:
                rows.append((f"{engine.name}: multi-year MRR@10 / hit@10, {label}", engine.quality[mode]))
        rows.append((f"{engine.name}: phrases", engine.phrases))
    for text, held, found in symbols:
        counts = ", ".join(f"{name} {k}/{n} ({m} found)" for name, (k, n, m) in found.items())
        rows.append((f'"{text}": {held} passages hold its phrase', counts))
    if naive is not None:
        rows.append(("naive recipe, whole question: p50 / p95", _ms(naive)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def _turns(engines: list[Engine], shift: int) -> list[Engine]:
    """The engines in turn, each round starting with another, so none is always first or last."""
    if not engines:
        return []
    shift %= len(engines)
    return engines[shift:] + engines[:shift]


def install(
    store: Store, engine: Engine | None, postings: Any, words: Callable[[str], tuple[str, ...]]
) -> None:
    """Make `engine` do the store's BM25 for whole questions: the product's own for the postings
    and FTS5, one substituted behind Store.bm25 (and Store.matches, which counts terms for
    kept_terms) for the others. None: the product as shipped."""
    for name in ("bm25", "matches"):
        store.__dict__.pop(name, None)
    store.postings = None if engine is not None and engine.name == "FTS5" else postings
    if engine is None or not engine.substitute:
        return
    from r2p_search.store import Store

    def matches(terms: Sequence[str]) -> Counts:
        # One-word terms from the lexicon, as the product does; phrases by the engine if it can.
        single = [t for t in terms if len(words(t)) == 1]
        found = Store.matches(store, single)
        counts = {t: found.count(t) for t in single} if found is not None else {}
        for term in terms:
            if term not in counts:
                counts[term] = engine.phrase_count(term) if engine.phrase_count else store.match_count(term)
        return Counts(counts)

    def bm25(
        terms: Sequence[str], limit: int, scope: Any = None, also: Any = None, matches: Any = None
    ) -> Ranking:
        best = engine.rank(list(terms), limit, _rows_in(store, scope))
        if also is not None:
            best = sorted(
                set(best) | set(engine.rank(list(terms), limit, _rows_in(store, also))),
                key=lambda hit: (-hit[1], hit[0]),
            )
        return best

    store.matches = matches  # type: ignore[method-assign]
    store.bm25 = bm25  # type: ignore[method-assign]


@dataclass
class Counts:
    """What Store.matches gives kept_terms: how many passages hold each term."""

    counts: dict[str, int]

    def count(self, term: str) -> int:
        return self.counts.get(term, 0)


def _rows_in(store: Store, scope: Any) -> np.ndarray | None:
    import numpy as np

    if not scope:
        return None
    sql, params = store.scope_sql(scope)
    return np.fromiter((r for (r,) in store.db.execute(sql, params)), dtype=np.int64)


@dataclass
class Corpus:
    """The index's passages as FTS5 indexes them: each passage's text, its document's context words."""

    texts: list[str]
    contexts: list[str]
    context_of: list[int]
    _tokenized: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, store: Store) -> Corpus:
        from r2p_search.documents import context_terms

        docs: dict[str, int] = {}
        contexts: list[str] = []
        for doc_id, meta in store.db.execute("SELECT doc_id, meta FROM documents ORDER BY doc_id"):
            docs[doc_id] = len(contexts)
            contexts.append(context_terms(json.loads(meta)))
        texts: list[str] = []
        context_of: list[int] = []
        for row, doc_id, text in store.db.execute("SELECT row, doc_id, text FROM passages ORDER BY row"):
            if row != len(texts):
                sys.exit(f"passage rows are not 0..n-1 (row {row} at {len(texts)})")
            texts.append(text)
            context_of.append(docs[doc_id])
        return cls(texts, contexts, context_of)

    @functools.cached_property
    def _tokenizer(self) -> Any:
        from r2p_search.postings import Tokenizer

        return Tokenizer()

    def query_tokens(self, term: str) -> tuple[str, ...]:
        """A quoted FTS5 term as FTS5 tokenizes it: one token, or a phrase of several."""
        if term not in self._tokenized:
            self._tokenized[term] = tuple(self._tokenizer.tokens([term.strip('"')])[0])
        return self._tokenized[term]

    def tokens(self) -> Tokens:
        """Every passage's tokens as FTS5 reads them, its text's then its context's, as ids.

        Whitespace always separates FTS5 tokens: each distinct chunk is tokenized once, as
        postings.build_postings does.
        """
        start = time.perf_counter()
        chunk_ids: dict[str, int] = {}
        text_chunks = [[chunk_ids.setdefault(c, len(chunk_ids)) for c in t.split()] for t in self.texts]
        context_chunks = [[chunk_ids.setdefault(c, len(chunk_ids)) for c in t.split()] for t in self.contexts]
        vocabulary: dict[str, int] = {}
        per_chunk = [
            [vocabulary.setdefault(t, len(vocabulary)) for t in tokens]
            for tokens in self._tokenizer.tokens(list(chunk_ids))
        ]
        text = [[t for c in chunks for t in per_chunk[c]] for chunks in text_chunks]
        context = [[t for c in chunks for t in per_chunk[c]] for chunks in context_chunks]
        return Tokens(text, context, self.context_of, vocabulary, time.perf_counter() - start)


@dataclass
class Tokens:
    text: list[list[int]]  # by passage
    context: list[list[int]]  # by document
    context_of: list[int]
    vocabulary: dict[str, int]
    seconds: float

    @functools.cached_property
    def words(self) -> list[str]:
        words = [""] * len(self.vocabulary)
        for word, i in self.vocabulary.items():
            words[i] = word
        return words


def build_reference(corpus: Corpus, store: Store, work: Path) -> dict[str, Any]:
    """FTS5 and the postings built again from the same passages, to time their builds."""
    import numpy as np

    from r2p_search.postings import ROWS, TOKENIZE, WEIGHTS, build_postings, write_postings

    out: dict[str, Any] = {}
    path = work / "fts5.sqlite"
    start = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute(
        f"CREATE VIRTUAL TABLE passages_fts USING fts5(text, context, content='', tokenize='{TOKENIZE}')"
    )
    db.executemany(
        "INSERT INTO passages_fts(rowid, text, context) VALUES (?, ?, ?)",
        (
            (i, t, corpus.contexts[d])
            for i, (t, d) in enumerate(zip(corpus.texts, corpus.context_of, strict=True))
        ),
    )
    db.commit()
    db.close()
    out["FTS5"] = (f"{time.perf_counter() - start:.0f} s", f"{path.stat().st_size / 1e6:.0f} MB on disk")
    path.unlink()

    start = time.perf_counter()
    built = build_postings(corpus.texts, corpus.contexts, corpus.context_of)
    folder = work / "postings"
    folder.mkdir()
    db = sqlite3.connect(folder / "lexicon.sqlite")
    write_postings(built, folder, db)
    db.commit()
    db.close()
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in folder.iterdir())
    out["postings"] = (f"{seconds:.0f} s", f"{size / 1e6:.0f} MB on disk (memory-mapped)")
    same = (
        store.postings is not None
        and np.array_equal(np.load(folder / ROWS), store.postings.rows)
        and np.allclose(np.load(folder / WEIGHTS), store.postings.weights, rtol=1e-6)
    )
    out["same"] = "yes" if same else "NO: the engines are not given what the index holds"
    shutil.rmtree(folder)
    return out


def _unweighted(corpus: Corpus) -> Rank:
    """FTS5's BM25 as bm25s can give it: the context weighted as the text, a phrase's words apart.

    Postings built with column weights (1, 1): if bm25s's 10 best are these, its rankings differ
    from FTS5's by what it cannot do, not by a fault of its own."""
    import numpy as np

    import r2p_search.postings as module

    saved = module.LEXICAL_WEIGHTS
    module.LEXICAL_WEIGHTS = (1.0, 1.0)
    try:
        built = module.build_postings(corpus.texts, corpus.contexts, corpus.context_of)
    finally:
        module.LEXICAL_WEIGHTS = saved
    token_at = {t: i for i, t in enumerate(built.tokens)}

    def rank(terms: list[str], limit: int, within: np.ndarray | None) -> Ranking:
        words = dict.fromkeys(w for term in terms for w in corpus.query_tokens(term) if w in token_at)
        spans = [(int(built.starts[token_at[w]]), int(built.dfs[token_at[w]])) for w in words]
        if not spans:
            return []
        rows = np.concatenate([built.rows[s : s + n] for s, n in spans])
        weights = np.concatenate([built.weights[s : s + n] for s, n in spans])
        found, inverse = np.unique(rows, return_inverse=True)
        scores = np.bincount(inverse, weights=weights)
        order = np.lexsort((found, -scores))[:limit]
        return [(int(found[i]), float(scores[i])) for i in order]

    return rank


def build_others(
    names: list[str], corpus: Corpus, tokens: Tokens, store: Store, work: Path, skipped: list[tuple[str, str]]
) -> list[Engine]:
    engines: list[Engine] = []
    if any(name.startswith("bm25s") for name in names):
        if not _installed("bm25s"):
            skipped.append(("bm25s", "not installed (pip install bm25s, or the bench extra)"))
        else:
            numba = _installed("numba")
            built = _build_bm25s(corpus, tokens, numba and "bm25s+numba" in names)
            if "bm25s" in names:
                engines.append(built[0])
            if "bm25s+numba" in names:
                if numba:
                    engines.append(built[1])
                else:
                    skipped.append(("bm25s+numba", "numba not installed (pip install numba)"))
    if "Tantivy" in names:
        if not _installed("tantivy"):
            skipped.append(("Tantivy", "not installed (pip install tantivy, or the bench extra)"))
        else:
            engines.append(_build_tantivy(corpus, tokens, store, work))
    return engines


def _installed(package: str) -> bool:
    try:
        importlib.import_module(package)
    except ImportError:
        return False
    return True


def _build_bm25s(corpus: Corpus, tokens: Tokens, with_numba: bool) -> list[Engine]:
    """bm25s over the FTS5 tokens: Robertson's BM25 with FTS5's k1 and b, whose idf and term
    weight are FTS5's but for a constant factor. It has no column weights: a context word counts
    as much as a word of the text (FTS5: half)."""
    import copy

    import bm25s
    import numpy as np

    from r2p_search.postings import K1, B

    start = time.perf_counter()
    retriever = bm25s.BM25(k1=K1, b=B, method="robertson", backend="numba" if with_numba else "numpy")
    ids = [text + tokens.context[d] for text, d in zip(tokens.text, tokens.context_of, strict=True)]
    retriever.index((ids, tokens.vocabulary), create_empty_token=False, show_progress=False)
    del ids
    seconds = tokens.seconds + time.perf_counter() - start
    matrix = retriever.scores
    size = sum(matrix[k].nbytes for k in ("data", "indices", "indptr"))
    passages = matrix["num_docs"]
    vocabulary = tokens.vocabulary

    def ranker(engine: Any) -> Rank:
        def rank(terms: list[str], limit: int, within: np.ndarray | None) -> Ranking:
            # No phrases: a phrase's words are asked for one by one, like any other word.
            words = [w for term in terms for w in corpus.query_tokens(term) if w in vocabulary]
            if not words:
                return []
            mask = None
            if within is not None:
                mask = np.zeros(passages, dtype=np.float32)
                mask[within] = 1
            docs, scores = engine.retrieve(
                [list(dict.fromkeys(words))],
                k=min(limit, passages),
                show_progress=False,
                n_threads=0,
                weight_mask=mask,
            )
            return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

        return rank

    note = "no phrases: a symbol's words ORed one by one"
    built = f"{seconds:.0f} s (of which {tokens.seconds:.0f} s FTS5 tokens)" + (
        ", numba's matrix builder, one build for both backends" if with_numba else ""
    )
    memory = f"{size / 1e6:.0f} MB in memory (scores, indices, pointers), plus its vocabulary as a dict"
    # The numpy backend on the same matrices: its own scorer, not numba's compiled one.
    plain = copy.copy(retriever)
    plain.backend = "numpy"
    plain.__dict__.pop("_compute_relevance_from_scores", None)
    engines = [Engine("bm25s", ranker(plain), built, memory, note, substitute=True)]
    if with_numba:
        engines.append(Engine("bm25s+numba", ranker(retriever), built, memory, note, substitute=True))
    return engines


def _build_tantivy(corpus: Corpus, tokens: Tokens, store: Store, work: Path) -> Engine:
    """Tantivy over the FTS5 tokens (split on whitespace again), with word positions for phrases.

    Each term is asked of the text and of the context, the context's score weighted 0.5 as in
    FTS5; but Tantivy scores each field apart (its own lengths and idf, Lucene's idf), so the
    scores are not FTS5's."""
    import tantivy

    folder = work / "tantivy"
    folder.mkdir()
    start = time.perf_counter()
    schema = (
        tantivy.SchemaBuilder()
        .add_unsigned_field("row", indexed=True, fast=True)
        .add_text_field("text", tokenizer_name="tokens", index_option="position")
        .add_text_field("context", tokenizer_name="tokens", index_option="position")
        .build()
    )
    index = tantivy.Index(schema, path=str(folder))
    index.register_tokenizer("tokens", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    words = tokens.words
    contexts = [" ".join(words[t] for t in context) for context in tokens.context]
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    for row, (text, d) in enumerate(zip(tokens.text, tokens.context_of, strict=True)):
        doc = tantivy.Document()
        doc.add_unsigned("row", row)
        doc.add_text("text", " ".join(words[t] for t in text))
        doc.add_text("context", contexts[d])
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    seconds = tokens.seconds + time.perf_counter() - start
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())

    def term_query(term: str) -> Any:
        words = corpus.query_tokens(term)
        if not words:
            return None
        each = []
        for name, weight in (("text", 1.0), ("context", 0.5)):
            one = (
                tantivy.Query.term_query(schema, name, words[0])
                if len(words) == 1
                else tantivy.Query.phrase_query(schema, name, list(words))
            )
            each.append(
                (tantivy.Occur.Should, one if weight == 1.0 else tantivy.Query.boost_query(one, weight))
            )
        return each

    def rank(terms: list[str], limit: int, within: np.ndarray | None) -> Ranking:
        clauses = [c for term in terms for c in (term_query(term) or [])]
        if not clauses:
            return []
        query = tantivy.Query.boolean_query(clauses)
        if within is not None:
            if not len(within):
                return []
            only = tantivy.Query.term_set_query(schema, "row", within.tolist())
            query = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, query),
                    (tantivy.Occur.Must, tantivy.Query.const_score_query(only, 0.0)),
                ]
            )
        hits = searcher.search(query, limit, count=False).hits
        if not hits:
            return []
        rows = searcher.fast_field_values("row", [address for _, address in hits])
        return [(int(r), float(s)) for (s, _), r in zip(hits, rows, strict=True)]

    def phrase_count(term: str) -> int:
        clauses = term_query(term)
        return searcher.search(tantivy.Query.boolean_query(clauses), 1, count=True).count if clauses else 0

    return Engine(
        "Tantivy",
        rank,
        f"{seconds:.0f} s (of which {tokens.seconds:.0f} s FTS5 tokens), {searcher.num_segments} segments",
        f"{size / 1e6:.0f} MB on disk (memory-mapped)",
        "phrase query (word positions)",
        substitute=True,
        phrase_count=phrase_count,
    )


def _agreement(engine: Engine, reference: Engine, questions: list[str]) -> str:
    same = top_same = 0
    overlap: list[float] = []
    for question in questions:
        mine = [r for r, _ in engine.rankings[question]]
        theirs = [r for r, _ in reference.rankings[question]]
        same += mine == theirs
        top_same += mine[:10] == theirs[:10]
        if theirs:
            overlap.append(len(set(mine[:10]) & set(theirs[:10])) / min(10, len(theirs)))
    share = statistics.mean(overlap) if overlap else 1.0
    n = len(questions)
    return f"200 deep {same} of {n}, top 10 in order {top_same} of {n}, top-10 overlap {share:.0%}"


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.1f} / {percentile(values, 0.95):.1f} ms"


if __name__ == "__main__":
    main()
