"""Store: the index directory, written atomically and read defensively.

    index/
      manifest.json        the commit point: format, model, counts, per-file hashes, generation
      gen-<id>/passages.sqlite   documents and passages (row = position in the FAISS index)
      gen-<id>/vectors.faiss     unit vectors, inner product = cosine similarity
      gen-<id>/postings-*.npy    BM25 weights of each token in each passage (postings.py)
      gen-<id>/vectors-ivf.faiss an approximate index over the same vectors, when built (vectors.py)
      models/<key>/        the exported model the vectors were made with (embedding/export.py)
      .lock                held by the one process that is rebuilding

docs/index-format.md describes every file and field.

A build writes a complete new generation beside the live one, then replaces manifest.json in
one rename. A crash before the rename leaves the old generation in use; leftovers are removed by
the next build. Nothing here is a pickle: JSON, SQLite and FAISS's own format only.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import os
import queue
import shutil
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .errors import REBUILD_HINT, IndexCorruptError, IndexLockedError, IndexMissingError, IndexPathError
from .leaders import RULES, Leaders, mine
from .postings import LEXICAL_WEIGHTS, ROWS, TOKENIZE, Postings, Tokenizer, build_postings, write_postings
from .vectors import AUTO_MIN_PASSAGES, VectorIndex, search

if TYPE_CHECKING:
    import faiss
    import numpy as np

    from .passages import Passage
    from .query import Scope

FORMAT_VERSION = 4
MANIFEST = "manifest.json"
PASSAGES_DB = "passages.sqlite"
VECTORS = "vectors.faiss"
LOCK = ".lock"
READERS = min(os.cpu_count() or 1, 4)
"""SQLite connections for BM25 per opened store: questions from as many threads run side by side."""
MODELS = "models"

_SCHEMA = """
CREATE TABLE documents (
    doc_id   TEXT PRIMARY KEY,
    source   TEXT NOT NULL UNIQUE,
    sha256   TEXT NOT NULL,
    title    TEXT NOT NULL,
    date     TEXT,
    year     INTEGER,
    country  TEXT,
    meta     TEXT NOT NULL
);
CREATE TABLE passages (
    row        INTEGER PRIMARY KEY,
    passage_id TEXT NOT NULL UNIQUE,
    doc_id     TEXT NOT NULL REFERENCES documents(doc_id),
    n          INTEGER NOT NULL,
    paragraph  INTEGER NOT NULL,  -- position of its block in the document, for widening
    text       TEXT NOT NULL,
    cited      INTEGER,           -- the paragraph as cited: the document's own number where it has one
    page       INTEGER,           -- 1-based page where it starts (PDF)
    part       TEXT               -- title, summary, preamble, footnote; NULL for body text
);
CREATE INDEX passages_by_doc ON passages(doc_id, n);
-- Each document symbol a document carries, in every form it is looked up by (un.symbol_keys).
CREATE TABLE symbols (
    key    TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id)
);
CREATE INDEX symbols_by_key ON symbols(key);
-- Leaders the passages name, mined at build time (leaders.py): a question may name one.
CREATE TABLE leaders (
    key        TEXT PRIMARY KEY,  -- folded, as a question may write it: "merkel", "lula da silva"
    name       TEXT NOT NULL,     -- as most often written: "Chancellor Angela Merkel"
    country    TEXT NOT NULL,
    first_year INTEGER,           -- most of its mentions fall in these years
    last_year  INTEGER,
    mentions   INTEGER NOT NULL,
    share      REAL NOT NULL      -- of the name's evidence, its country's
);
-- BM25 over the passage text and its document's metadata; rowid = passages.row.
CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, context, content='', tokenize='{TOKENIZE}'
);
""".replace("{TOKENIZE}", TOKENIZE)


@dataclass
class FileEntry:
    sha256: str
    size: int
    doc_id: str
    passages: int
    ocr: bool = False  # its text was read from page images (a scan)


@dataclass
class ModelInfo:
    name: str
    fingerprint: str
    dimension: int
    max_tokens: int
    normalized: bool = True
    encoder: str = "sentence-transformers"  # or "onnx" (exported into models/), or "hash"
    export: str | None = None  # the folder under models/ holding the exported model
    query_prompt: str = ""  # put before each question, as the model was trained (E5: "query: ")
    document_prompt: str = ""  # put before each passage


@dataclass
class Pipeline:
    """How passages were made and embedded; an index built otherwise is rebuilt in full."""

    splitter_version: int
    passage_tokens: int  # most word pieces in one passage, the model's own tokens excluded
    embed_context: bool  # passages embedded with their document's label ("Syria, 2011: ...")


@dataclass
class CorpusRecord:
    """The corpus a build read: its folder, and each file's [size, mtime_ns] as found before reading.

    A search compares these with the folder to say the index is behind it, a stat per file."""

    path: str  # absolute
    files: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Manifest:
    generation: str
    model: ModelInfo
    pipeline: Pipeline
    documents: int
    passages: int
    files: dict[str, FileEntry]
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> size, sha256, mtime_ns
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)  # source -> sha256, reason
    created_at: str = ""
    format_version: int = FORMAT_VERSION
    ocr: bool = False  # PDFs without a text layer are read by OCR (index --ocr); kept until changed
    corpus: CorpusRecord | None = None  # None in a build made before it was recorded
    vectors: VectorIndex = field(default_factory=VectorIndex)  # exact, in a build made before the choice

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            raw = json.loads(text)
            if raw.get("format_version") != FORMAT_VERSION:
                raise IndexCorruptError(
                    f"index format {raw.get('format_version')!r} is not the supported "
                    f"{FORMAT_VERSION}; {REBUILD_HINT}"
                )
            return cls(
                generation=str(raw["generation"]),
                model=ModelInfo(**raw["model"]),
                pipeline=Pipeline(**raw["pipeline"]),
                documents=int(raw["documents"]),
                passages=int(raw["passages"]),
                files={k: FileEntry(**v) for k, v in raw["files"].items()},
                artifacts={str(k): _artifact(v) for k, v in raw["artifacts"].items()},
                skipped={
                    k: {"sha256": str(v["sha256"]), "reason": str(v["reason"])}
                    for k, v in raw.get("skipped", {}).items()
                },
                created_at=str(raw.get("created_at", "")),
                format_version=int(raw["format_version"]),
                ocr=bool(raw.get("ocr", False)),
                corpus=_corpus_record(raw.get("corpus")),
                vectors=VectorIndex.from_json(raw.get("vectors")),
            )
        except IndexCorruptError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexCorruptError(f"index manifest is damaged ({exc}); {REBUILD_HINT}") from exc


def _corpus_record(raw: Any) -> CorpusRecord | None:
    if raw is None:
        return None
    if not isinstance(raw["files"], dict):
        raise TypeError("corpus.files is not an object")
    # Taken as read, not converted entry by entry: every search reads the manifest, and an entry
    # that is not [size, mtime_ns] only counts as a changed file.
    return CorpusRecord(str(raw["path"]), raw["files"])


def read_manifest(index_dir: Path) -> Manifest | None:
    """The committed manifest, or None when no index was ever built here."""
    path = index_dir / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"cannot read {path} ({exc}); {REBUILD_HINT}") from exc
    manifest = Manifest.from_json(text)
    if "/" in manifest.generation or manifest.generation.startswith("."):
        raise IndexCorruptError(f"index manifest names a bad generation; {REBUILD_HINT}")
    return manifest


@dataclass
class StoredPassage:
    row: int
    passage_id: str
    doc_id: str
    n: int
    paragraph: int
    text: str
    cited: int | None = None
    page: int | None = None
    part: str | None = None


_PASSAGE = "SELECT row, passage_id, doc_id, n, paragraph, text, cited, page, part FROM passages"


@dataclass
class StoredDocument:
    doc_id: str
    source: str
    sha256: str
    title: str
    date: str | None
    meta: dict[str, Any]


@dataclass
class Matches:
    """A question's terms as the index holds them (`Store.matches`)."""

    spans: dict[str, tuple[int, int]]  # a term of one token: (start, df) of its postings
    phrases: dict[str, tuple[np.ndarray, np.ndarray]]  # a phrase: the rows holding it, its BM25 there

    def count(self, term: str) -> int:
        """How many passages hold `term`."""
        if term in self.spans:
            return self.spans[term][1]
        return len(self.phrases[term][0]) if term in self.phrases else 0


# A document by its id, its id's last part (a file name without suffix), its path or file name.
_DOC_NAMED = "(d.doc_id = ? OR d.doc_id LIKE ? ESCAPE '\\' OR d.source = ? OR d.source LIKE ? ESCAPE '\\')"


def _doc_params(doc: str) -> list[str]:
    escaped = doc.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [doc, f"%/{escaped}", doc, f"%/{escaped}"]


def passage_id_for(doc_id: str, n: int) -> str:
    return f"{doc_id}:{n}"


class Store:
    """A read-only view of one committed generation."""

    def __init__(
        self,
        index_dir: Path,
        manifest: Manifest,
        db: sqlite3.Connection,
        vectors: Any,
        readers: Sequence[sqlite3.Connection] = (),
        postings: Postings | None = None,
        approximate_file: BinaryIO | None = None,
    ):
        self.index_dir = index_dir
        self.manifest = manifest
        self.db = db
        self.vectors: faiss.Index = vectors
        # None in a build made before postings existed: BM25 then runs in FTS5 alone.
        self.postings = postings
        self._spans: dict[str, tuple[int, int] | None] = {}  # token -> its postings, as looked up
        # BM25 is the costly part of a question over many years. A server asks from many threads,
        # and one connection would run their BM25 one at a time: each reader is a connection of
        # its own, opened with the store (a later one could find the generation already removed
        # by the next build, while this one is still being served).
        self._readers: queue.Queue[sqlite3.Connection] = queue.Queue()
        for reader in readers or (db,):
            self._readers.put(reader)
        self._all_readers = [*readers]
        self._approximate: Any = None  # read on the first question that uses it
        self._leaders: Leaders | None = None
        # Opened with the store, like the readers, so that a later build removing this
        # generation cannot take it away before it is read.
        self._approximate_file = approximate_file
        self._approximate_lock = threading.Lock()

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        reader = self._readers.get()
        try:
            yield reader
        finally:
            self._readers.put(reader)

    def nearest(self, query: np.ndarray, n: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n rows of highest inner product with `query`, best first.

        `rows` limits the search to those rows (a filter applied inside the search, so a rare
        country and year still fill the n results). The approximate index, when the build made
        one, finds the candidates of a large search; a small selection is scanned exactly.
        """
        import faiss
        import numpy as np

        n = min(n, self.vectors.ntotal if rows is None else len(rows))
        if n <= 0:
            return []
        selector = None
        if rows is not None:
            selector = faiss.IDSelectorBatch(np.asarray(rows, dtype=np.int64))
        query = np.asarray(query, dtype=np.float32)
        if self.manifest.vectors.file and (rows is None or len(rows) >= AUTO_MIN_PASSAGES):
            found, scores = search(
                self.approximate(), self.manifest.vectors, self.vectors, query, n, selector=selector
            )
            return [(int(r), float(s)) for r, s in zip(found, scores, strict=True)]
        params = None if selector is None else faiss.SearchParameters(sel=selector)
        scores, found = self.vectors.search(query[None, :], n, params=params)
        return [(int(r), float(s)) for r, s in zip(found[0], scores[0], strict=True) if r >= 0]

    def approximate(self) -> Any:
        """The build's approximate index (vectors.py), read on first use."""
        with self._approximate_lock:
            if self._approximate is None:
                assert self._approximate_file is not None
                self._approximate = _read_approximate(
                    self._approximate_file, self.manifest.vectors.kind, self.vectors
                )
                self._approximate_file.close()
            return self._approximate

    def scope_sql(self, scope: Scope) -> tuple[str, list[Any]]:
        """SQL selecting the rows of passages within `scope`, and its parameters."""
        where: list[str] = []
        params: list[Any] = []
        if scope.countries:
            where.append(f"d.country IN ({','.join('?' * len(scope.countries))})")
            params.extend(scope.countries)
        if scope.not_countries:
            marks = ",".join("?" * len(scope.not_countries))
            where.append(f"(d.country IS NULL OR d.country NOT IN ({marks}))")
            params.extend(scope.not_countries)
        if scope.year_from is not None:
            where.append("d.year >= ?")
            params.append(scope.year_from)
        if scope.year_to is not None:
            where.append("d.year <= ?")
            params.append(scope.year_to)
        if scope.symbols:
            marks = ",".join("?" * len(scope.symbols))
            where.append(f"d.doc_id IN (SELECT doc_id FROM symbols WHERE key IN ({marks}))")
            params.extend(scope.symbols)
        if scope.organs:
            # The organ a document's symbol names (a joint symbol names two); a General Debate
            # speech is a statement to the General Assembly.
            each = []
            for organ in scope.organs:
                each.append("instr(coalesce(json_extract(d.meta, '$.organ'), ''), ?) > 0")
                params.append(organ)
                if organ == "General Assembly":
                    each.append("json_extract(d.meta, '$.kind') = 'general-debate'")
            where.append("(" + " OR ".join(each) + ")")
        if scope.docs:
            where.append("(" + " OR ".join([_DOC_NAMED] * len(scope.docs)) + ")")
            for doc in scope.docs:
                params.extend(_doc_params(doc))
        # Documents first, then their passages by the (doc_id, n) index: CROSS JOIN fixes that
        # order in SQLite, which otherwise may scan every passage.
        sql = "SELECT p.row FROM documents d CROSS JOIN passages p ON p.doc_id = d.doc_id"
        return (sql + (" WHERE " + " AND ".join(where) if where else "")), params

    def has_document(self, doc: str) -> bool:
        """Whether a document is stored under this id, file name (without suffix) or path (--doc)."""
        try:
            doc.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 name no stored document
            return False
        sql = f"SELECT EXISTS (SELECT 1 FROM documents d WHERE {_DOC_NAMED})"
        return bool(self.db.execute(sql, _doc_params(doc)).fetchone()[0])

    def scope_rows(self, scope: Scope) -> np.ndarray:
        import numpy as np

        sql, params = self.scope_sql(scope)
        return np.fromiter((r for (r,) in self.db.execute(sql, params)), dtype=np.int64)

    def leaders(self) -> Leaders:
        """The leaders the build mined (leaders.py), read once; none in a build from before."""
        if self._leaders is None:
            try:
                rows = self.db.execute(
                    "SELECT key, name, country, first_year, last_year, mentions FROM leaders"
                ).fetchall()
            except sqlite3.OperationalError:
                rows = []
            self._leaders = Leaders({key: tuple(rest) for key, *rest in rows})
        return self._leaders

    def leaders_current(self) -> bool:
        """Whether the build holds a leaders table mined by the current rules (leaders.RULES)."""
        sql = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leaders')"
        if not self.db.execute(sql).fetchone()[0]:
            return False
        return self.db.execute("PRAGMA user_version").fetchone()[0] == RULES

    def year_span(self) -> tuple[int | None, int | None]:
        low, high = self.db.execute("SELECT min(year), max(year) FROM documents").fetchone()
        return low, high

    @classmethod
    def open(cls, index_dir: Path, manifest: Manifest | None = None, checked: bool = False) -> Store:
        """Open the committed generation; `manifest` saves re-reading one the caller already read,
        and `checked` says its files were just checked against it.

        A build that commits between our reading the manifest and opening its files removes the
        generation we were about to open: then the new manifest is read and its generation opened.
        """
        for attempt in range(3):
            manifest = manifest or read_manifest(index_dir)
            if manifest is None:
                raise IndexMissingError(f"no index at {index_dir}; build one with: r2p-search index")
            try:
                return cls._open(index_dir, manifest, checked and attempt == 0)
            except IndexCorruptError:
                newer = _manifest_or_none(index_dir)
                if attempt == 2 or newer is None or newer.generation == manifest.generation:
                    raise
                manifest = newer
        raise AssertionError("unreachable")

    @classmethod
    def _open(cls, index_dir: Path, manifest: Manifest, checked: bool) -> Store:
        if not checked:
            check_artifacts(index_dir, manifest, full=False)
        gen = index_dir / manifest.generation
        db_path, vec_path = gen / PASSAGES_DB, gen / VECTORS
        try:
            # All connections open before anything else: a build that commits meanwhile may remove
            # this generation, and open files outlive their removal.
            readers = [
                sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
                for _ in range(READERS)
            ]
            db = readers[0]
            count = db.execute("SELECT count(*) FROM passages").fetchone()[0]
            docs = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"index database is damaged ({exc}); {REBUILD_HINT}") from exc
        vectors = _read_faiss(vec_path)
        if not (count == vectors.ntotal == manifest.passages and docs == manifest.documents):
            raise IndexCorruptError(
                f"index parts disagree ({count} passages in the database, {vectors.ntotal} "
                f"vectors, {manifest.passages} in the manifest); {REBUILD_HINT}"
            )
        if vectors.d != manifest.model.dimension:
            raise IndexCorruptError(
                f"index vectors have dimension {vectors.d}, the manifest says "
                f"{manifest.model.dimension}; {REBUILD_HINT}"
            )
        postings = None
        if f"{manifest.generation}/{ROWS}" in manifest.artifacts:
            try:
                postings = Postings.open(gen, count)
            except (OSError, ValueError) as exc:
                raise IndexCorruptError(f"index postings are damaged ({exc}); {REBUILD_HINT}") from exc
        approximate_file = None
        if manifest.vectors.file:
            try:
                approximate_file = open(gen / manifest.vectors.file, "rb")
            except OSError as exc:
                raise IndexCorruptError(f"index vectors file is missing ({exc}); {REBUILD_HINT}") from exc
        return cls(index_dir, manifest, db, vectors, readers, postings, approximate_file)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._approximate_file is not None:
            self._approximate_file.close()
        for reader in {id(r): r for r in (self.db, *self._all_readers)}.values():
            reader.close()

    def years_of(self, rows: Sequence[int]) -> dict[int, int]:
        """The year of each row's document, for those that have one."""
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        sql = (
            "SELECT p.row, d.year FROM passages p JOIN documents d ON d.doc_id = p.doc_id "
            f"WHERE p.row IN ({marks}) AND d.year IS NOT NULL"
        )
        return dict(self.db.execute(sql, list(rows)).fetchall())

    def passages_at(self, rows: Sequence[int]) -> list[StoredPassage]:
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        cur = self.db.execute(
            f"{_PASSAGE} WHERE row IN ({marks})",
            list(rows),
        )
        by_row = {r[0]: StoredPassage(*r) for r in cur}
        return [by_row[r] for r in rows if r in by_row]

    def passage_by_id(self, passage_id: str) -> StoredPassage | None:
        row = self.db.execute(
            f"{_PASSAGE} WHERE passage_id = ?",
            (passage_id,),
        ).fetchone()
        return StoredPassage(*row) if row else None

    def neighbours(
        self, doc_id: str, n: int, context: int, paragraph: int | None = None
    ) -> list[StoredPassage]:
        """Passage n of a document and up to `context` on each side, in order; with `paragraph`,
        only those of that paragraph."""
        within, params = ("", []) if paragraph is None else (" AND paragraph = ?", [paragraph])
        cur = self.db.execute(
            f"{_PASSAGE} WHERE doc_id = ? AND n BETWEEN ? AND ?{within} ORDER BY n",
            (doc_id, n - context, n + context, *params),
        )
        return [StoredPassage(*r) for r in cur]

    def scope_docs(self, scope: Scope) -> list[str]:
        """The documents within a (narrow) scope, in index order."""
        sql, params = self.scope_sql(scope)
        cur = self.db.execute(
            f"SELECT doc_id, min(row) AS first FROM passages WHERE row IN ({sql}) "
            "GROUP BY doc_id ORDER BY first",
            params,
        )
        return [doc_id for doc_id, _ in cur]

    def with_symbol(self, key: str) -> list[str]:
        """The documents carrying a symbol (by its normalised key), in document order."""
        cur = self.db.execute("SELECT DISTINCT doc_id FROM symbols WHERE key = ? ORDER BY rowid", (key,))
        return [doc_id for (doc_id,) in cur]

    def cited_passage(self, doc_id: str, cited: int) -> StoredPassage | None:
        """The first passage of a document's paragraph as it is cited ("para. 11")."""
        row = self.db.execute(
            f"{_PASSAGE} WHERE doc_id = ? AND cited = ? ORDER BY n LIMIT 1", (doc_id, cited)
        )
        found = row.fetchone()
        return StoredPassage(*found) if found else None

    def page_passage(self, doc_id: str, page: int) -> StoredPassage | None:
        """The first passage of a document that starts on a page ("A/66/PV.11, p. 7")."""
        row = self.db.execute(f"{_PASSAGE} WHERE doc_id = ? AND page = ? ORDER BY n LIMIT 1", (doc_id, page))
        found = row.fetchone()
        return StoredPassage(*found) if found else None

    def document(self, doc_id: str) -> StoredDocument | None:
        docs = self.documents([doc_id])
        return docs.get(doc_id)

    def documents(self, doc_ids: Sequence[str]) -> dict[str, StoredDocument]:
        if not doc_ids:
            return {}
        unique = list(dict.fromkeys(doc_ids))
        marks = ",".join("?" * len(unique))
        cur = self.db.execute(
            f"SELECT doc_id, source, sha256, title, date, meta FROM documents WHERE doc_id IN ({marks})",
            unique,
        )
        return {r[0]: StoredDocument(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in cur}

    def countries_of(self, doc_ids: Iterable[str]) -> dict[str, str | None]:
        """The country that speaks in each document, None where none does."""
        unique = list(doc_ids)
        if not unique:
            return {}
        marks = ",".join("?" * len(unique))
        cur = self.db.execute(f"SELECT doc_id, country FROM documents WHERE doc_id IN ({marks})", unique)
        return dict(cur.fetchall())

    def document_passages(self, doc_id: str) -> list[StoredPassage]:
        cur = self.db.execute(
            f"{_PASSAGE} WHERE doc_id = ? ORDER BY n",
            (doc_id,),
        )
        return [StoredPassage(*r) for r in cur]

    def lexical(
        self, match: str, limit: int, scope: Scope | None = None, also: Scope | None = None
    ) -> list[tuple[int, float]]:
        """(row, BM25 score) for an FTS5 MATCH expression, best first; higher is better.

        `also`: a narrower scope whose best `limit` rows are returned too, from the same pass
        over the matches, so that a small part of the index is not crowded out by the rest.
        """
        weights = ", ".join(str(w) for w in LEXICAL_WEIGHTS)
        within, params = ("", [])
        if scope:
            sql, params = self.scope_sql(scope)
            within = f" WHERE row IN ({sql})"
        best = f"SELECT row, score FROM hits{within} ORDER BY score DESC, row LIMIT ?"
        params = [*params, limit]
        if also:
            sql, also_params = self.scope_sql(also)
            also_best = f"SELECT row, score FROM hits WHERE row IN ({sql}) ORDER BY score DESC, row LIMIT ?"
            best = f"SELECT * FROM ({best}) UNION SELECT * FROM ({also_best})"
            params = [*params, *also_params, limit]
        try:
            # Matches first, then the scope: given "rowid IN (...)" beside MATCH, SQLite probes the
            # full-text index once per row in scope, far slower for a year of a large index.
            with self._reader() as reader:
                cur = reader.execute(
                    "WITH hits AS MATERIALIZED (SELECT rowid AS row, "
                    f"-bm25(passages_fts, {weights}) AS score FROM passages_fts WHERE passages_fts MATCH ?) "
                    f"SELECT row, score FROM ({best}) ORDER BY score DESC, row",
                    (match, *params),
                )
                return [(int(r), float(score)) for r, score in cur]
        except sqlite3.DatabaseError as exc:
            if "fts5" in str(exc) and "syntax" in str(exc):
                return []
            raise IndexCorruptError(f"index lexical table is damaged ({exc}); {REBUILD_HINT}") from exc

    def bm25(
        self,
        terms: Sequence[str],
        limit: int,
        scope: Scope | None = None,
        also: Scope | None = None,
        matches: Matches | None = None,
    ) -> list[tuple[int, float]]:
        """(row, BM25 score) for passages holding any of `terms` (quoted FTS5 terms), best first.

        The scores and order of `lexical` for the terms joined by OR; from the postings where the
        index has them, with FTS5 scoring only the phrases among the terms. `matches`: the terms
        already looked up (`matches`), to look up nothing twice.
        """
        if not terms:
            return []
        if self.postings is None:
            return self.lexical(" OR ".join(terms), limit, scope, also)
        import numpy as np

        matches = matches or self.matches(terms)
        rows, scores = self.postings.scores([matches.spans[t] for t in terms if t in matches.spans])
        phrases = [matches.phrases[t] for t in terms if t in matches.phrases]
        if any(len(found) for found, _ in phrases):
            # BM25 is a sum over terms: a phrase's scores, from FTS5 alone, add to the words'.
            rows, inverse = np.unique(np.concatenate([rows, *(r for r, _ in phrases)]), return_inverse=True)
            scores = np.bincount(inverse, weights=np.concatenate([scores, *(s for _, s in phrases)]))
        best = _best(rows, scores, limit, self._in_scope(rows, scope))
        if also is not None:
            best = sorted(
                set(best) | set(_best(rows, scores, limit, self._in_scope(rows, also))),
                key=lambda hit: (-hit[1], hit[0]),
            )
        return best

    def term_count(self, term: str) -> int:
        """How many passages hold a quoted FTS5 term: from the postings' lexicon where it can."""
        matches = self.matches([term])
        return self.match_count(term) if matches is None else matches.count(term)

    def matches(self, terms: Sequence[str]) -> Matches | None:
        """Where the index holds each of `terms`; None for an index without postings.

        A term of one word is its postings' span in the lexicon. A phrase, or a word FTS5 reads
        as several tokens ("foo_bar"), is scored by FTS5 here, once: its count and its scores
        come from the same pass. A term the index does not hold is in neither.
        """
        if self.postings is None:
            return None
        import numpy as np

        token_of: dict[str, str] = {}
        phrases: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term in terms:
            tokens = _tokens_of(term.strip('"')) if " " not in term else ()
            if len(tokens) == 1:
                token_of[term] = tokens[0]
            elif tokens or " " in term:
                found = self._lexical_all(term)
                phrases[term] = (
                    np.fromiter((r for r, _ in found), dtype=np.int64, count=len(found)),
                    np.fromiter((s for _, s in found), dtype=np.float64, count=len(found)),
                )
        unknown = [t for t in set(token_of.values()) if t not in self._spans]
        if unknown:
            marks = ",".join("?" * len(unknown))
            with self._reader() as reader:
                found_spans = {
                    token: (int(start), int(df))
                    for token, start, df in reader.execute(
                        f"SELECT token, start, df FROM lexicon WHERE token IN ({marks})", unknown
                    )
                }
            if len(self._spans) > 100_000:  # words asked for that no passage holds, in a long-lived server
                self._spans.clear()
            self._spans.update({token: found_spans.get(token) for token in unknown})
        spans = {term: self._spans.get(token) for term, token in token_of.items()}
        return Matches({t: span for t, span in spans.items() if span is not None}, phrases)

    def _lexical_all(self, match: str) -> list[tuple[int, float]]:
        weights = ", ".join(str(w) for w in LEXICAL_WEIGHTS)
        sql = f"SELECT rowid, -bm25(passages_fts, {weights}) FROM passages_fts WHERE passages_fts MATCH ?"
        try:
            with self._reader() as reader:
                return [(int(r), float(s)) for r, s in reader.execute(sql, (match,))]
        except sqlite3.DatabaseError as exc:
            if "fts5" in str(exc) and "syntax" in str(exc):
                return []
            raise IndexCorruptError(f"index lexical table is damaged ({exc}); {REBUILD_HINT}") from exc

    def _in_scope(self, rows: np.ndarray, scope: Scope | None) -> np.ndarray | None:
        """Which of `rows` lie in `scope`, as a mask; None for no scope."""
        import numpy as np

        if not scope:
            return None
        sql, params = self.scope_sql(scope)
        with self._reader() as reader:
            within = np.fromiter((r for (r,) in reader.execute(sql, params)), dtype=np.int64)
        return np.isin(rows, within)

    def match_count(self, match: str) -> int:
        """How many passages an FTS5 MATCH expression finds."""
        try:
            sql = "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?"
            with self._reader() as reader:
                return int(reader.execute(sql, (match,)).fetchone()[0])
        except sqlite3.DatabaseError as exc:
            if "fts5" in str(exc) and "syntax" in str(exc):
                return 0
            raise IndexCorruptError(f"index lexical table is damaged ({exc}); {REBUILD_HINT}") from exc

    def match_rows(self, match: str) -> np.ndarray:
        """The rows an FTS5 MATCH expression finds, unscored and unordered; none for a malformed one."""
        import numpy as np

        try:
            sql = "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?"
            with self._reader() as reader:
                return np.fromiter((r for (r,) in reader.execute(sql, (match,))), dtype=np.int64)
        except sqlite3.DatabaseError as exc:
            if "fts5" in str(exc) and "syntax" in str(exc):
                return np.zeros(0, dtype=np.int64)
            raise IndexCorruptError(f"index lexical table is damaged ({exc}); {REBUILD_HINT}") from exc

    def vectors_at(self, rows: Sequence[int]) -> np.ndarray:
        import numpy as np

        if not rows:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))


@functools.cache
def _tokenizer() -> Tokenizer:
    return Tokenizer()


@functools.lru_cache(maxsize=8192)
def _tokens_of(word: str) -> tuple[str, ...]:
    """A word of a question as FTS5 tokenizes it; questions repeat their words, a server many times."""
    return tuple(_tokenizer().tokens([word])[0])


def _best(
    rows: np.ndarray, scores: np.ndarray, limit: int, mask: np.ndarray | None
) -> list[tuple[int, float]]:
    """The `limit` best (row, score) where `mask` allows, by score then row, as FTS5 orders them."""
    import numpy as np

    if mask is not None:
        rows, scores = rows[mask], scores[mask]
    if len(rows) > limit > 0:
        # Everything at or above the limit-th score, ties included, then the exact order.
        floor = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        keep = scores >= floor
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:limit]
    return [(int(rows[i]), float(scores[i])) for i in order]


def new_vector_index(dimension: int) -> Any:
    """Float16 vectors, scanned exhaustively by inner product.

    Half the size of float32, so half the memory traffic of a scan and half the file to open.
    Float16 keeps about three significant digits of each cosine, enough for the same top 10 as
    float32 exact search (figures: benchmarks/README.md).
    """
    import faiss

    return faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)


def _read_faiss(path: Path) -> Any:
    import faiss

    try:
        # Mapped, not read: a question over an approximate index touches a few hundred of these
        # vectors, and a cold process need not copy them all first. A generation's files are
        # never rewritten, and a removed one stays mapped until the store that uses it closes.
        raw = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise IndexCorruptError(
            f"index vectors file {path} is damaged ({reason[:120]}); {REBUILD_HINT}"
        ) from exc
    # One query's scan runs on one thread: spread over the cores it competed with BM25 (on its
    # own thread) and with onnxruntime's spinning threads (figures: benchmarks/README.md).
    faiss.omp_set_num_threads(1)
    vectors = faiss.downcast_index(raw)
    # The downcast proxy must own the FAISS object, or freeing `raw` would free it under it.
    raw.this.disown()
    vectors.this.acquire()
    if (
        not isinstance(vectors, faiss.IndexScalarQuantizer)
        or vectors.sq.qtype != faiss.ScalarQuantizer.QT_fp16
        or vectors.metric_type != faiss.METRIC_INNER_PRODUCT
    ):
        raise IndexCorruptError(
            f"index vectors file {path} holds a {type(vectors).__name__}, not the float16 "
            f"inner-product index this version writes; {REBUILD_HINT}"
        )
    return vectors


def _read_approximate(file: BinaryIO, kind: str, exact: Any) -> Any:
    import faiss

    path = file.name
    try:
        raw = faiss.read_index(faiss.PyCallbackIOReader(file.read))
    except RuntimeError as exc:
        raise IndexCorruptError(f"index vectors file {path} is damaged; {REBUILD_HINT}") from exc
    index = faiss.downcast_index(raw)
    raw.this.disown()
    index.this.acquire()
    expected = faiss.IndexHNSWSQ if kind == "hnsw" else faiss.IndexIVFPQFastScan
    if not isinstance(index, expected) or index.ntotal != exact.ntotal or index.d != exact.d:
        raise IndexCorruptError(
            f"index vectors file {path} is not the {kind} index of this build's "
            f"{exact.ntotal} vectors; {REBUILD_HINT}"
        )
    return index


@dataclass
class NewDocument(StoredDocument):
    passages: Sequence[Passage]
    context: str = ""  # document metadata as words, indexed with every passage
    symbols: list[str] = field(default_factory=list)  # the keys its symbols are looked up by


class GenerationWriter:
    """Accumulates documents and vectors, then commits them as a new generation."""

    def __init__(self, index_dir: Path, dimension: int) -> None:

        self.index_dir = index_dir
        self.dimension = dimension
        self.documents: list[NewDocument] = []
        self.vector_blocks: list[np.ndarray] = []
        self.count = 0

    def add(self, document: NewDocument, vectors: np.ndarray) -> None:
        if vectors.shape != (len(document.passages), self.dimension):
            raise ValueError(
                f"{document.source}: {vectors.shape} vectors for {len(document.passages)} passages"
            )
        self.documents.append(document)
        self.vector_blocks.append(vectors)
        self.count += len(document.passages)

    def _model_files(self, model: ModelInfo) -> list[Path]:
        if model.export is None:
            return []
        folder = self.index_dir / MODELS / model.export
        return sorted(p for p in folder.iterdir() if p.is_file())

    def commit(
        self,
        model: ModelInfo,
        pipeline: Pipeline,
        files: dict[str, FileEntry],
        skipped: dict[str, dict[str, str]] | None = None,
        ocr: bool = False,
        corpus: CorpusRecord | None = None,
        vectors_requested: str = "auto",
        questions: np.ndarray | None = None,
    ) -> Manifest:
        """Write the generation and commit it.

        vectors_requested: the vector index asked for (vectors.KINDS); `questions`, embedded
        questions on which an approximate index's recall is measured beside passages.
        """
        import faiss
        import numpy as np

        self.index_dir.mkdir(parents=True, exist_ok=True)
        generation = f"gen-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
        gen_dir = self.index_dir / generation
        gen_dir.mkdir()
        db_path = gen_dir / PASSAGES_DB
        db = sqlite3.connect(db_path)
        try:
            db.executescript(_SCHEMA)
            row = 0
            for doc in self.documents:
                db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc.doc_id,
                        doc.source,
                        doc.sha256,
                        doc.title,
                        doc.date,
                        doc.meta.get("year"),
                        doc.meta.get("country"),
                        json.dumps(doc.meta, ensure_ascii=False, sort_keys=True),
                    ),
                )
                db.executemany(
                    "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            row + i,
                            passage_id_for(doc.doc_id, p.n),
                            doc.doc_id,
                            p.n,
                            p.paragraph,
                            p.text,
                            p.cited,
                            p.page,
                            p.part,
                        )
                        for i, p in enumerate(doc.passages)
                    ],
                )
                db.executemany(
                    "INSERT INTO passages_fts(rowid, text, context) VALUES (?, ?, ?)",
                    [(row + i, p.text, doc.context) for i, p in enumerate(doc.passages)],
                )
                db.executemany(
                    "INSERT INTO symbols VALUES (?, ?)", [(key, doc.doc_id) for key in doc.symbols]
                )
                row += len(doc.passages)
            built = build_postings(
                [p.text for doc in self.documents for p in doc.passages],
                [doc.context for doc in self.documents],
                [i for i, doc in enumerate(self.documents) for _ in doc.passages],
            )
            posting_files = write_postings(built, gen_dir, db)
            _write_leaders(db, self.documents)
            db.commit()
        finally:
            db.close()
        fault_point("database-written")

        vectors = new_vector_index(self.dimension)
        matrix = np.zeros((0, self.dimension), dtype=np.float32)
        if self.vector_blocks:
            matrix = np.ascontiguousarray(np.vstack(self.vector_blocks), dtype=np.float32)
            vectors.add(matrix)
        vec_path = gen_dir / VECTORS
        faiss.write_index(vectors, str(vec_path))
        record, vector_files = _approximate_index(vectors_requested, matrix, vectors, questions, gen_dir)
        fault_point("vectors-written")
        for path in (db_path, vec_path, *posting_files, *vector_files):
            _fsync(path)
        _fsync(gen_dir)

        manifest = Manifest(
            generation=generation,
            model=model,
            pipeline=pipeline,
            documents=len(self.documents),
            passages=self.count,
            files=files,
            skipped=skipped or {},
            ocr=ocr,
            corpus=corpus,
            vectors=record,
            artifacts=artifact_record(
                self.index_dir, [db_path, vec_path, *posting_files, *vector_files, *self._model_files(model)]
            ),
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        fault_point("before-commit")
        write_manifest(self.index_dir, manifest)
        fault_point("committed")
        return manifest


def _approximate_index(
    requested: str, matrix: np.ndarray, exact: Any, questions: np.ndarray | None, gen_dir: Path
) -> tuple[VectorIndex, list[Path]]:
    """The approximate index `requested` calls for at this size, built, calibrated and written."""
    import faiss

    from .vectors import FILES, build, calibrate, chosen_kind, ivf_lists

    kind = chosen_kind(requested, len(matrix))
    if kind == "exact":
        return VectorIndex(kind="exact", requested=requested), []
    approximate = build(kind, matrix)
    record = calibrate(approximate, kind, exact, questions, ivf_lists(len(matrix)) if kind == "ivf" else None)
    record.requested = requested
    path = gen_dir / FILES[kind]
    faiss.write_index(approximate, str(path))
    return record, [path]


def _artifact(raw: dict[str, Any]) -> dict[str, Any]:
    return {"size": int(raw["size"]), "sha256": str(raw["sha256"]), "mtime_ns": int(raw["mtime_ns"])}


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Replace manifest.json in one atomic rename: this is the commit point of a build."""
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    fault_point("manifest-written")
    os.replace(tmp, index_dir / MANIFEST)
    _fsync(index_dir)


FAULT_POINTS = (
    "scanned",
    "embedded",
    "database-written",
    "vectors-written",
    "before-commit",
    "manifest-written",
    "committed",
)


def _write_leaders(db: sqlite3.Connection, documents: Sequence[NewDocument]) -> None:
    found = mine(
        ((p.text, doc.meta.get("country"), doc.meta.get("year")) for doc in documents for p in doc.passages),
        (
            (str(doc.meta["speaker"]), doc.meta.get("country"), doc.meta.get("year"))
            for doc in documents
            if doc.meta.get("speaker")
        ),
    )
    db.executemany(
        "INSERT INTO leaders VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(x.key, x.name, x.country, x.first_year, x.last_year, x.mentions, x.share) for x in found],
    )
    db.execute(f"PRAGMA user_version = {int(RULES)}")


def fault_point(name: str) -> None:
    """Where crash-safety tests kill a build: R2P_FAULT_AT=<name> sends SIGKILL to this process.

    SIGKILL, not an exception: nothing of ours runs after it, as when power is lost.
    """
    if os.environ.get("R2P_FAULT_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def remove_stale_generations(index_dir: Path, keep: str, keep_model: str | None = None) -> None:
    """Delete generations, exported models and temporary files that the manifest does not name."""
    models = index_dir / MODELS
    if models.is_dir():
        for entry in models.iterdir():
            if entry.name != keep_model:
                shutil.rmtree(entry, ignore_errors=True)
    for entry in index_dir.iterdir():
        if entry.name == keep:
            continue
        if entry.is_dir() and entry.name.startswith("gen-"):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_file() and entry.name.startswith(f".{MANIFEST}.") and entry.name.endswith(".tmp"):
            with contextlib.suppress(OSError):
                entry.unlink()


def _ours(entry: Path) -> bool:
    name = entry.name
    return name in (MANIFEST, LOCK, MODELS) or name.startswith(("gen-", f".{MANIFEST}."))


def check_index_path(index_dir: Path) -> None:
    """Refuse to write an index over a file, or into a folder that holds anything but an index:
    a build removes what it does not need, and a mistyped --index must not cost anyone a file."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexPathError(f"--index {index_dir} is a file, not a folder; give a folder for the index")
    if index_dir.is_dir() and not (index_dir / MANIFEST).exists():
        try:
            others = [e.name for e in index_dir.iterdir() if not _ours(e)]
        except OSError as exc:
            raise IndexPathError(f"cannot read index folder {index_dir} ({exc.strerror})") from None
        if others:
            shown = ", ".join(sorted(others)[:3]) + (", ..." if len(others) > 3 else "")
            raise IndexPathError(
                f"{index_dir} is not an index folder (it holds {shown}); give a new or empty folder "
                "for the index"
            )


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """Exclusive right to rebuild. The OS drops the lock when the holder dies, even by SIGKILL."""
    check_index_path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise IndexPathError(f"cannot make index folder {index_dir}: part of that path is a file") from None
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise IndexLockedError(
                    f"index at {index_dir} is being rebuilt by another process; try again when it is done"
                ) from None
            raise
        yield
    finally:
        os.close(fd)


def artifact_record(index_dir: Path, paths: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """Size, sha256 and modification time of each file, keyed by its path inside the index."""
    record = {}
    for path in paths:
        stat = path.stat()
        record[path.relative_to(index_dir).as_posix()] = {
            "size": stat.st_size,
            "sha256": _sha256_file(path),
            "mtime_ns": stat.st_mtime_ns,
        }
    return record


def check_artifacts(index_dir: Path, manifest: Manifest, full: bool) -> list[str]:
    """Raise IndexCorruptError at the first file of the index that is not as committed.

    Sizes are always compared. Checksums are computed when `full`, and otherwise only for files
    whose modification time differs from the one recorded at commit: a file written since (a
    flipped byte, a file copied in from another build) is read and hashed, while an untouched
    index opens without reading hundreds of megabytes. Returns the paths checked.
    """
    expected = {f"{manifest.generation}/{PASSAGES_DB}", f"{manifest.generation}/{VECTORS}"}
    missing_record = expected - set(manifest.artifacts)
    if missing_record:
        raise IndexCorruptError(f"index manifest does not record {sorted(missing_record)[0]}; {REBUILD_HINT}")
    if manifest.model.export is not None and not (index_dir / MODELS / manifest.model.export).is_dir():
        raise IndexCorruptError(
            f"index is incomplete: its exported model {manifest.model.export} is missing; {REBUILD_HINT}"
        )
    for name, record in sorted(manifest.artifacts.items()):
        check_artifact(index_dir, name, record, full)
    return sorted(manifest.artifacts)


def check_artifact(index_dir: Path, name: str, record: dict[str, Any], full: bool) -> None:
    """One recorded file of the index: present, of its size and, when `full` or touched, its checksum."""
    path = index_dir / name
    if ".." in Path(name).parts or Path(name).is_absolute():
        raise IndexCorruptError(f"index manifest names a file outside the index ({name}); {REBUILD_HINT}")
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise IndexCorruptError(f"index is incomplete: {path} is missing; {REBUILD_HINT}") from None
    if stat.st_size != record.get("size"):
        raise IndexCorruptError(
            f"index file {path} has {stat.st_size} bytes, the manifest says {record.get('size')}; "
            f"{REBUILD_HINT}"
        )
    touched = full or stat.st_mtime_ns != record.get("mtime_ns")
    if touched and _sha256_file(path) != record.get("sha256"):
        raise IndexCorruptError(
            f"index file {path} does not match its checksum (damaged, or from another build); {REBUILD_HINT}"
        )


def refresh_artifact_times(index_dir: Path, manifest: Manifest) -> bool:
    """Record the current modification times of files already checked against their checksums.

    After an index is copied (times change, contents do not), every search would hash every
    file; the next `index` run, which has checked them, records the new times instead.
    """
    changed = False
    for name, record in manifest.artifacts.items():
        mtime = (index_dir / name).stat().st_mtime_ns
        if mtime != record["mtime_ns"]:
            record["mtime_ns"] = mtime
            changed = True
    if changed:
        write_manifest(index_dir, manifest)
    return changed


def _manifest_or_none(index_dir: Path) -> Manifest | None:
    try:
        return read_manifest(index_dir)
    except IndexCorruptError:
        return None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk before the commit point depends on it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Check:
    what: str
    ok: bool
    detail: str = ""


@dataclass
class Verification:
    index: Path
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"index": str(self.index), "ok": self.ok, "checks": [vars(c) for c in self.checks]}


def verify_index(index_dir: Path) -> Verification:
    """Every check there is, reading every byte: checksums, SQLite and FTS integrity, counts.

    Opening an index for a search only compares sizes, and checksums of files touched since the
    commit; this reads all of them, for the damage that keeps a file's size and time.
    """
    return Verification(index_dir, _checks(index_dir))


def _approximate_check(store: Store) -> Check:
    """The approximate index's recall on the build's sample of passages, measured again."""
    from .vectors import measure, probe_sets

    record = store.manifest.vectors
    queries, truth = probe_sets(store.vectors, None)["passages"]
    measured = measure(store.approximate(), record, store.vectors, queries, truth)
    recall = record.recall or {}
    recorded = recall.get("passages")
    questions = f"; on questions {recall['questions']} at build" if "questions" in recall else ""
    return Check(
        "approximate vectors",
        recorded is not None and measured >= recorded - 0.005,
        f"{record.kind}: recall@10 {measured} on {len(queries)} passages (recorded {recorded}){questions}",
    )


def _checks(index_dir: Path) -> list[Check]:
    checks: list[Check] = []
    try:
        manifest = read_manifest(index_dir)
    except IndexCorruptError as exc:
        return [Check("manifest", False, str(exc))]
    if manifest is None:
        raise IndexMissingError(f"no index at {index_dir}; build one with: r2p-search index")
    checks.append(
        Check("manifest", True, f"format {manifest.format_version}, generation {manifest.generation}")
    )
    for name in sorted(manifest.artifacts):
        try:
            check_artifact(index_dir, name, manifest.artifacts[name], full=True)
            checks.append(Check(name, True, f"{manifest.artifacts[name].get('size')} bytes, sha256 matches"))
        except IndexCorruptError as exc:
            checks.append(Check(name, False, str(exc)))
    if not all(c.ok for c in checks):
        return checks
    db_path = index_dir / manifest.generation / PASSAGES_DB
    db = sqlite3.connect(db_path)
    try:
        problems = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        checks.append(Check("database integrity", not problems, "; ".join(problems[:3]) or "ok"))
        db.execute("BEGIN")
        try:
            db.execute("INSERT INTO passages_fts(passages_fts, rank) VALUES('integrity-check', 0)")
            checks.append(Check("lexical index integrity", True, "ok"))
        except sqlite3.DatabaseError as exc:
            checks.append(Check("lexical index integrity", False, str(exc)))
        finally:
            db.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        checks.append(Check("database integrity", False, str(exc)))
    finally:
        db.close()
    try:
        with Store.open(index_dir, manifest) as store:
            per_doc = dict(store.db.execute("SELECT doc_id, count(*) FROM passages GROUP BY doc_id"))
            wrong = [
                source
                for source, entry in manifest.files.items()
                if per_doc.get(entry.doc_id) != entry.passages
            ]
            checks.append(
                Check(
                    "counts",
                    not wrong,
                    f"{manifest.documents} documents, {manifest.passages} passages and vectors"
                    if not wrong
                    else f"{len(wrong)} files' passage counts differ from the manifest (first: {wrong[0]})",
                )
            )
            if manifest.vectors.file:
                checks.append(_approximate_check(store))
    except IndexCorruptError as exc:
        checks.append(Check("counts", False, str(exc)))
    known = {manifest.generation, MODELS, MANIFEST, LOCK}
    stray = sorted(p.name for p in index_dir.iterdir() if p.name not in known)
    if stray:
        # Leftovers of an interrupted build, or files put there by hand: never read, removed by
        # the next build when they are ours.
        listed = ", ".join(stray[:5])
        checks.append(Check("other files", True, f"not part of the index, never read: {listed}"))
    return checks
