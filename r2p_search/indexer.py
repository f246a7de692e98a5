"""Index: the pipeline from corpus files to a committed index.

read documents -> split passages -> embed -> store, incrementally: a file whose sha256 is
unchanged keeps its passages and vectors; new and changed files are embedded; files gone from
the corpus leave the index. A different model, splitter version or a damaged index forces a
full rebuild, so an index never mixes vectors from two models.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, astuple, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config
from .documents import (
    Document,
    SourceFile,
    context_label,
    context_terms,
    corpus_stats,
    doc_id_for,
    file_digest,
    find_corpus,
    read_bytes,
    read_document,
)
from .documents.un import symbol_keys
from .embedding import Embedder, embedding_input, load_embedder
from .errors import BadFileError, CorpusError, IndexCorruptError
from .passages import SPLITTER_VERSION, Passage, block_passages, text_blocks
from .store import (
    MODELS,
    CorpusRecord,
    FileEntry,
    GenerationWriter,
    Manifest,
    ModelInfo,
    NewDocument,
    Pipeline,
    Store,
    fault_point,
    read_manifest,
    refresh_artifact_times,
    remove_stale_generations,
    write_lock,
    write_manifest,
)
from .vectors import chosen_kind, probe_questions

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Skipped:
    source: str
    reason: str
    sha256: str | None = None  # known when the file could be read: it is then not retried until it changes


@dataclass
class BuildReport:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    others: dict[str, int] = field(default_factory=dict)  # files that are not documents, by suffix
    documents: int = 0
    passages: int = 0
    embedded: int = 0  # passages embedded in this run
    full_rebuild_reason: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
            "documents": self.documents,
            "passages": self.passages,
            "embedded": self.embedded,
            "full_rebuild": self.full_rebuild_reason,
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "other_files": self.others,
            "seconds": round(self.seconds, 3),
        }


ProgressFactory = Callable[[str, int], contextlib.AbstractContextManager[Callable[[int], None]]]
"""(description, total) -> a context manager yielding advance(n)."""


@contextlib.contextmanager
def _no_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass
class CorpusScan:
    """How the corpus on disk differs from what an index holds."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    readable: list[SourceFile] = field(default_factory=list)
    data: dict[str, bytes] = field(default_factory=dict)  # bytes of new and changed files


def scan_corpus(
    files: list[SourceFile],
    indexed: dict[str, FileEntry],
    progress: ProgressFactory | None = None,
    keep_data: bool = True,
    known_bad: dict[str, dict[str, str]] | None = None,
    reread: set[str] | None = None,
) -> CorpusScan:
    """Hash every corpus file and sort it into new, changed and unchanged; list removed ones.

    A file that an earlier build skipped, unchanged since, is reported as skipped again
    without being retried. A file in `reread` counts as changed whatever its content.
    """
    reread = reread or set()
    known_bad = known_bad or {}
    scan = CorpusScan()
    clashes = _id_clashes(files, indexed)
    with (progress or _no_progress)("Reading", len(files)) as advance:
        for file in files:
            try:
                if not _utf8_name(file.source):
                    raise BadFileError(
                        f"{_printable(file.source)}: file name is not valid UTF-8; rename it to index it"
                    )
                if file.source in clashes:
                    raise BadFileError(
                        f"{file.source}: same document id as {clashes[file.source]} (names differ only by "
                        "suffix or case); rename one to index both"
                    )
                data = read_bytes(file)
            except BadFileError as exc:
                scan.skipped.append(Skipped(_printable(file.source), str(exc)))
                advance(1)
                continue
            digest = file_digest(file, data)
            bad = known_bad.get(file.source)
            if bad is not None and bad["sha256"] == digest:
                scan.skipped.append(Skipped(file.source, bad["reason"], digest))
                advance(1)
                continue
            scan.readable.append(file)
            previous = indexed.get(file.source)
            if previous is not None and previous.sha256 == digest and file.source not in reread:
                scan.unchanged.append(file.source)
            else:
                (scan.new if previous is None else scan.changed).append(file.source)
                if keep_data:
                    scan.data[file.source] = data
            advance(1)
    present = {f.source for f in files}
    scan.removed = sorted(s for s in indexed if s not in present)
    return scan


def _utf8_name(source: str) -> bool:
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by Python as lone surrogates
        return False
    return True


def _printable(source: str) -> str:
    return source.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _id_clashes(files: list[SourceFile], indexed: dict[str, FileEntry]) -> dict[str, str]:
    """Files whose document id another file already has ("a.txt" and "a.md"): source -> the winner.

    The file already in the index keeps the id, so an added file never displaces it; otherwise
    the first in sorted order does.
    """
    by_id: dict[str, list[str]] = {}
    for file in files:
        by_id.setdefault(doc_id_for(file.source), []).append(file.source)
    clashes = {}
    for sources in by_id.values():
        if len(sources) > 1:
            winner = next((s for s in sources if s in indexed), sources[0])
            clashes.update({s: winner for s in sources if s != winner})
    return clashes


@dataclass
class _Reading:
    ocr: bool  # read PDFs without a text layer by OCR
    changed: bool  # the OCR setting differs from the index's: commit a new manifest
    corpus: CorpusRecord | None = None  # the corpus as found: recorded so a search can tell it changed
    vectors: str = "auto"  # the vector index asked for (vectors.KINDS)


@dataclass
class _Prepared:
    file: SourceFile
    document: Document
    passages: list[Passage]
    label: str


def build_index(
    corpus: Path,
    index_dir: Path,
    model: str | None = None,
    full: bool = False,
    embedder: Embedder | None = None,
    progress: ProgressFactory | None = None,
    notify: Callable[[str], None] | None = None,
    pipeline: Pipeline | None = None,
    ocr: bool | None = None,
    vectors: str | None = None,
    ray: str | None = None,
) -> BuildReport:
    """Bring `index_dir` up to date with `corpus`; returns what was done.

    `ocr`: read PDFs without a text layer with Tesseract (True), skip them (False), or keep what
    the index was built with (None; off for a new index).
    `vectors`: exact, ivf, hnsw or auto (vectors.py), or None to keep what the index asked for
    (auto for a new index).
    `ray`: read, split and embed the new and changed files on a Ray cluster: "local" starts one
    on this machine, an address joins one (docs/cluster.md); the index is the same.
    """
    if vectors is not None:
        chosen_kind(vectors, 0)  # an unknown kind fails before any work
    started = time.perf_counter()
    pipeline = pipeline or default_pipeline()
    progress = progress or _no_progress
    notify = notify or (lambda message: None)
    found = find_corpus(corpus)
    files = found.files
    if not files:
        suffixes = ", ".join(config.DOCUMENT_SUFFIXES)
        unread = f"; not read: {found.problems[0][1]}" if found.problems else ""
        raise CorpusError(f"no documents ({suffixes}) found in corpus {corpus}{unread}")
    # Taken before any file is read: a file changed during the build then counts as changed.
    record = CorpusRecord(str(corpus.resolve()), corpus_stats(corpus))

    with write_lock(index_dir):
        report = BuildReport()
        old_manifest: Manifest | None = None
        try:
            old_manifest = read_manifest(index_dir)
        except IndexCorruptError as exc:
            report.full_rebuild_reason = f"the existing index is unusable ({exc})"
        if embedder is None:
            name = model or (old_manifest.model.name if old_manifest else config.DEFAULT_MODEL)
            embedder = load_embedder(name, models_dir=index_dir / MODELS)
        if ray is not None:
            from . import cluster

            cluster.check(embedder, ray)

        old_store: Store | None = None
        if old_manifest is not None and report.full_rebuild_reason is None:
            report.full_rebuild_reason = _full_rebuild_reason(old_manifest, embedder, pipeline, full)
            if report.full_rebuild_reason is None:
                try:
                    old_store = Store.open(index_dir)
                except IndexCorruptError as exc:
                    report.full_rebuild_reason = f"the existing index is unusable ({exc})"
        ocr_on = bool(old_manifest and old_manifest.ocr) if ocr is None else ocr
        # Turned on, OCR retries the scans skipped before; turned off, the scans read by it go.
        ocr_changed = old_manifest is not None and old_manifest.ocr != ocr_on
        try:
            indexed = old_manifest.files if old_manifest else {}
            scan = scan_corpus(
                files,
                indexed,
                progress,
                known_bad=old_manifest.skipped
                if old_manifest and not report.full_rebuild_reason and not ocr_changed
                else None,
                reread={source for source, entry in indexed.items() if entry.ocr and not ocr_on},
            )
            scan.skipped.extend(Skipped(source, reason) for source, reason in found.problems)
            report.others = found.others
            fault_point("scanned")
            requested = vectors or (old_manifest.vectors.requested if old_manifest else "auto")
            reading = _Reading(ocr_on, ocr_changed, record, requested)
            return _build(
                scan,
                index_dir,
                embedder,
                pipeline,
                old_store,
                report,
                progress,
                notify,
                started,
                reading,
                ray,
            )
        finally:
            if old_store is not None:
                old_store.close()


def default_pipeline() -> Pipeline:
    return Pipeline(
        splitter_version=SPLITTER_VERSION,
        passage_tokens=config.PASSAGE_TOKENS,
        embed_context=config.EMBED_CONTEXT,
    )


def _full_rebuild_reason(old: Manifest, embedder: Embedder, pipeline: Pipeline, full: bool) -> str | None:
    if full:
        return "--full was given"
    if old.model.name != embedder.name:
        return f"the model changed from {old.model.name} to {embedder.name}"
    if (old.model.query_prompt, old.model.document_prompt) != astuple(embedder.prompts):
        return "the model's prompts changed"
    if old.pipeline != pipeline:
        return "the way passages are made or embedded changed"
    return None


def _build(
    scan: CorpusScan,
    index_dir: Path,
    embedder: Embedder,
    pipeline: Pipeline,
    old_store: Store | None,
    report: BuildReport,
    progress: ProgressFactory,
    notify: Callable[[str], None],
    started: float,
    reading: _Reading,
    ray: str | None = None,
) -> BuildReport:
    old_files = old_store.manifest.files if old_store else {}
    report.new, report.changed, report.unchanged = scan.new, scan.changed, scan.unchanged
    report.removed, report.skipped = scan.removed, sorted(scan.skipped, key=lambda s: s.source)
    pending, readable = scan.data, scan.readable
    _check_not_another_corpus(old_store, reading, len(report.removed))

    unchanged = not pending and not report.removed and not reading.changed
    # A build from before BM25 postings or the leaders table existed is written again, from its
    # own passages and vectors, to gain them; so is one whose leaders were mined by other rules,
    # and one whose vector index is not the one asked for now.
    current = (
        old_store is not None
        and old_store.postings is not None
        and old_store.leaders_current()
        and _vectors_current(old_store, reading)
    )
    if old_store is not None and current and unchanged and not _skips_changed(scan, old_store):
        # Nothing to embed or drop: keep the committed generation as it is. Opening it checked
        # any file touched since the build against its checksum.
        manifest = old_store.manifest
        # A file touched but not changed, or a build from before the corpus was recorded: record
        # it as found now, or every search would say the index is behind.
        record_changed = manifest.corpus != reading.corpus
        manifest.corpus = reading.corpus
        if not refresh_artifact_times(index_dir, manifest) and record_changed:
            write_manifest(index_dir, manifest)
        report.documents = old_store.manifest.documents
        report.passages = old_store.manifest.passages
        remove_stale_generations(
            index_dir, keep=old_store.manifest.generation, keep_model=old_store.manifest.model.export
        )
        report.seconds = time.perf_counter() - started
        return report

    if old_store is not None and not current and unchanged:
        why = "to add BM25 postings (an earlier version built it)"
        if old_store.postings is not None and not old_store.leaders_current():
            why = "to read the leaders it names by this version's rules"
        elif old_store.postings is not None:
            why = f"with the vector index asked for ({reading.vectors})"
        notify(f"Writing the index again {why}; nothing re-embedded")
    if old_store is not None and pending and embedder.fingerprint != old_store.manifest.model.fingerprint:
        report.full_rebuild_reason = f"the weights of model {embedder.name} changed"
        notify(f"full rebuild: {report.full_rebuild_reason}")
        old_store = None
    if old_store is None:
        for file in readable:
            if file.source not in pending:
                try:
                    pending[file.source] = read_bytes(file)
                except BadFileError as exc:
                    report.skipped.append(Skipped(file.source, str(exc)))

    notify(
        f"Loading model {embedder.name}"
        + (" (exported to ONNX on first use)" if embedder.encoder == "onnx" else "")
    )
    embedder.max_tokens  # noqa: B018 -- load the model now: a bad model fails before any work
    if ray is None or not any(f.source in pending for f in readable):
        prepared = _prepare(readable, pending, embedder, pipeline, report, progress, reading.ocr)
        vectors = _embed(list(prepared.values()), embedder, progress)
    else:
        prepared, vectors = _prepare_on_cluster(
            ray, readable, pending, embedder, pipeline, report, progress, notify, reading.ocr
        )
    fault_point("embedded")
    report.embedded = sum(len(v) for v in vectors.values())

    writer = GenerationWriter(index_dir, embedder.dimension)
    entries: dict[str, FileEntry] = {}
    with progress("Writing", len(readable)) as advance:
        for file in readable:
            item = prepared.get(file.source)
            if item is not None:
                doc = item.document
                count = len(item.passages)
                writer.add(
                    NewDocument(
                        doc.doc_id,
                        doc.source,
                        doc.sha256,
                        doc.title,
                        doc.date,
                        doc.meta,
                        item.passages,
                        context_terms(doc.meta),
                        symbol_keys(str(doc.meta.get("symbol") or "")),
                    ),
                    vectors[file.source],
                )
                entries[file.source] = FileEntry(
                    doc.sha256, len(pending[file.source]), doc.doc_id, count, ocr=bool(doc.meta.get("ocr"))
                )
            elif old_store is not None and file.source in old_files and file.source not in pending:
                _copy_unchanged(old_store, old_files[file.source], file.source, writer)
                entries[file.source] = old_files[file.source]
            advance(1)
    if writer.count == 0:
        raise CorpusError(
            f"nothing to index: all {len({f.source for f in readable} | {s.source for s in report.skipped})} "
            "corpus files were skipped" + (f" (first: {report.skipped[0].reason})" if report.skipped else "")
        )
    info = ModelInfo(
        name=embedder.name,
        fingerprint=embedder.fingerprint,
        dimension=embedder.dimension,
        max_tokens=embedder.max_tokens,
        encoder=embedder.encoder,
        export=embedder.export,
        query_prompt=embedder.prompts.query,
        document_prompt=embedder.prompts.document,
    )
    known_bad = {s.source: {"sha256": s.sha256, "reason": s.reason} for s in report.skipped if s.sha256}
    kind = chosen_kind(reading.vectors, writer.count)
    questions = None
    if kind != "exact":
        questions = embedder.embed([embedder.prompts.query + q for q in probe_questions()])
    approximate = "" if kind == "exact" else f", {kind} index (recall measured)"
    notify(f"Committing {writer.count} passages: SQLite, BM25 postings, vectors{approximate}")
    manifest = writer.commit(
        info,
        pipeline,
        entries,
        known_bad,
        ocr=reading.ocr,
        corpus=reading.corpus,
        vectors_requested=reading.vectors,
        questions=questions,
    )
    remove_stale_generations(index_dir, keep=manifest.generation, keep_model=info.export)
    report.documents = manifest.documents
    report.passages = manifest.passages
    report.seconds = time.perf_counter() - started
    return report


def _check_not_another_corpus(old: Store | None, reading: _Reading, removed: int) -> None:
    """Refuse a build that would drop most of an index because it was given another folder.

    `index --corpus WRONG --index MINE` would otherwise remove every document the wrong folder
    lacks, and re-embedding them takes hours on a large corpus. Removing documents from the
    folder the index was built from is a normal update and is never refused.
    """
    if old is None or reading.corpus is None:
        return
    recorded = old.manifest.corpus
    documents = len(old.manifest.files)
    if recorded is None or recorded.path == reading.corpus.path or removed * 2 <= documents:
        return
    raise CorpusError(
        f"the index was built from {recorded.path}; indexing {reading.corpus.path} into it would "
        f"remove {removed} of its {documents} documents. Give --corpus {recorded.path}, or another "
        "--index for this folder (remove the index folder first to rebuild it from this one)"
    )


def _vectors_current(old: Store, reading: _Reading) -> bool:
    """Whether the build's vector index is the one asked for now, at its size."""
    record = old.manifest.vectors
    return record.requested == reading.vectors and record.kind == chosen_kind(
        reading.vectors, old.manifest.passages
    )


def _skips_changed(scan: CorpusScan, old: Store) -> bool:
    """Whether the record of known-bad files would change (one was fixed, removed or is new)."""
    now = {s.source: s.sha256 for s in scan.skipped if s.sha256}
    return now != {k: v["sha256"] for k, v in old.manifest.skipped.items()}


def _prepare(
    readable: list[SourceFile],
    pending: dict[str, bytes],
    embedder: Embedder,
    pipeline: Pipeline,
    report: BuildReport,
    progress: ProgressFactory,
    ocr: bool,
) -> dict[str, _Prepared]:
    prepared: dict[str, _Prepared] = {}
    todo = [f for f in readable if f.source in pending]
    with progress("Splitting", len(todo)) as advance:
        for file in todo:
            item = _prepare_one(file, pending[file.source], embedder, pipeline, ocr)
            if isinstance(item, Skipped):
                report.skipped.append(item)
            else:
                prepared[file.source] = item
            advance(1)
    _drop_skipped(report)
    return prepared


def _prepare_one(
    file: SourceFile, data: bytes, embedder: Embedder, pipeline: Pipeline, ocr: bool
) -> _Prepared | Skipped:
    """One file read and split into passages, or the reason it is skipped."""
    try:
        document = read_document(file, data, ocr=ocr)
        label = context_label(document.meta) if pipeline.embed_context else ""
        # The prompt and the label share the model's window with the passage.
        budget = min(pipeline.passage_tokens, embedder.max_tokens - 2)
        prefix = embedding_input(label, "", embedder.prompts.document)
        if prefix:
            budget -= embedder.count_tokens([prefix])[0]
        blocks = text_blocks(document.body) if document.blocks is None else document.blocks
        if any(b.number is not None for b in blocks):
            document.meta["numbered"] = True  # citations give the document's own numbers
        passages = block_passages(blocks, embedder.count_tokens, budget)
    except BadFileError as exc:
        return Skipped(file.source, str(exc), file_digest(file, data))
    if not passages:
        return Skipped(file.source, f"{file.source}: no text to index", file_digest(file, data))
    return _Prepared(file, document, passages, label)


def _drop_skipped(report: BuildReport) -> None:
    """Skipped files are neither new nor changed in the index: report them once, as skipped."""
    report.skipped.sort(key=lambda s: s.source)
    skipped = {s.source for s in report.skipped}
    report.new = [s for s in report.new if s not in skipped]
    report.changed = [s for s in report.changed if s not in skipped]
    report.unchanged = [s for s in report.unchanged if s not in skipped]


def _embed(prepared: list[_Prepared], embedder: Embedder, progress: ProgressFactory) -> dict[str, np.ndarray]:
    """Each document's passages, by document (the embedder runs every passage on its own, so a
    vector never depends on which other files changed: incremental builds equal full ones)."""
    total = sum(len(item.passages) for item in prepared)
    vectors: dict[str, np.ndarray] = {}
    with progress("Embedding", total) as advance:
        for item in prepared:
            vectors[item.file.source] = _embed_one(item, embedder, advance)
    return vectors


def _embed_one(
    item: _Prepared, embedder: Embedder, advance: Callable[[int], None] | None = None
) -> np.ndarray:
    prompt = embedder.prompts.document
    return embedder.embed(
        [embedding_input(item.label, p.text, prompt) for p in item.passages], progress=advance
    )


def _prepare_and_embed(
    embedder: Embedder, file: SourceFile, data: bytes, pipeline: Pipeline, ocr: bool
) -> tuple[_Prepared | Skipped, np.ndarray | None]:
    """What a worker of the cluster does for one document: what `_prepare` and `_embed` do here.

    The document's text goes no further than the worker: the index keeps its passages and
    metadata, and the text would only double what travels back.
    """
    item = _prepare_one(file, data, embedder, pipeline, ocr)
    if isinstance(item, Skipped):
        return item, None
    vectors = _embed_one(item, embedder)
    item.document = replace(item.document, body="", blocks=None)
    return item, vectors


def _prepare_on_cluster(
    address: str,
    readable: list[SourceFile],
    pending: dict[str, bytes],
    embedder: Embedder,
    pipeline: Pipeline,
    report: BuildReport,
    progress: ProgressFactory,
    notify: Callable[[str], None],
    ocr: bool,
) -> tuple[dict[str, _Prepared], dict[str, np.ndarray]]:
    """`_prepare` and `_embed` for the pending files, run on a Ray cluster (cluster.py)."""
    from . import cluster

    todo = [(f, pending[f.source]) for f in readable if f.source in pending]
    prepared: dict[str, _Prepared] = {}
    vectors: dict[str, np.ndarray] = {}
    with cluster.connected(address, notify) as workers:
        notify(f"Reading, splitting and embedding {len(todo)} documents on Ray ({workers} workers)")
        work = functools.partial(_prepare_and_embed, pipeline=pipeline, ocr=ocr)
        with progress("Ray", len(todo)) as advance:
            results = cluster.run(todo, work, embedder, advance, workers)
    for file, _ in todo:
        item, found = results[file.source]
        if isinstance(item, Skipped):
            report.skipped.append(item)
        else:
            assert found is not None
            prepared[file.source] = item
            vectors[file.source] = found
    _drop_skipped(report)
    return prepared, vectors


def _copy_unchanged(old: Store, entry: FileEntry, source: str, writer: GenerationWriter) -> None:
    passages = old.document_passages(entry.doc_id)
    document = old.document(entry.doc_id)
    if document is None or len(passages) != entry.passages:
        raise IndexCorruptError(f"index lost the passages of {source}; rebuild with --full")
    vectors = old.vectors_at([p.row for p in passages])
    writer.add(
        NewDocument(
            **asdict(document),
            passages=[Passage(p.n, p.paragraph, p.text, p.cited, p.page, p.part) for p in passages],
            context=context_terms(document.meta),
            symbols=symbol_keys(str(document.meta.get("symbol") or "")),
        ),
        vectors,
    )


@dataclass
class Status:
    corpus: Path
    index_dir: Path
    manifest: Manifest | None
    scan: CorpusScan | None
    corpus_problem: str | None = None
    others: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        m = self.manifest
        scan = self.scan or CorpusScan()
        return {
            "corpus": str(self.corpus),
            **index_status(self.index_dir, m),
            "corpus_files": len(scan.readable) + len(scan.skipped),
            # None when there is no corpus to compare the index with.
            "up_to_date": None
            if self.scan is None
            else m is not None and not (scan.new or scan.changed or scan.removed),
            "new": scan.new,
            "changed": scan.changed,
            "removed": scan.removed,
            "skipped": [{"source": s.source, "reason": s.reason} for s in scan.skipped],
            "other_files": self.others,
            "corpus_problem": self.corpus_problem,
        }


def index_status(index_dir: Path, manifest: Manifest | None) -> dict[str, Any]:
    """The index side of `status --json`: what the manifest says, no corpus needed."""
    m = manifest
    return {
        "index": str(index_dir),
        "built": m is not None,
        "created_at": m.created_at if m else None,
        "documents": m.documents if m else 0,
        "passages": m.passages if m else 0,
        "model": m.model.name if m else None,
        "dimension": m.model.dimension if m else None,
        "prompts": {"query": m.model.query_prompt, "document": m.model.document_prompt} if m else None,
        "format_version": m.format_version if m else None,
        "ocr": m.ocr if m else None,
        "vectors": m.vectors.kind if m else None,
        # recall@10 of the approximate index against the exact scan, measured at build time
        "recall": m.vectors.recall if m else None,
    }


def corpus_changes(manifest: Manifest) -> int | None:
    """How many files of the corpus an index was built from were added, changed or removed since,
    judged by their size and modification time (a stat per file, nothing read); None when the
    index does not record its corpus (built by an earlier version) or that folder is gone."""
    record = manifest.corpus
    if record is None:
        return None
    try:
        now = corpus_stats(Path(record.path))
    except CorpusError:
        return None
    return sum(
        1 for source in now.keys() | record.files.keys() if now.get(source) != record.files.get(source)
    )


def corpus_status(corpus: Path, index_dir: Path) -> Status:
    """The corpus and the index side by side, without loading any model."""
    manifest = read_manifest(index_dir)
    indexed = manifest.files if manifest else {}
    try:
        found = find_corpus(corpus)
    except CorpusError as exc:
        return Status(corpus, index_dir, manifest, None, corpus_problem=str(exc))
    known_bad = manifest.skipped if manifest else None
    scan = scan_corpus(found.files, indexed, keep_data=False, known_bad=known_bad)
    scan.skipped.extend(Skipped(source, reason) for source, reason in found.problems)
    scan.skipped.sort(key=lambda s: s.source)
    return Status(corpus, index_dir, manifest, scan, others=found.others)
