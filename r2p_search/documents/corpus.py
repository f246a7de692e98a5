"""Find a corpus's files: the documents to read, the document-like files that cannot be read (each
with what to do), and a count of everything else, so that nothing under the corpus is ignored in
silence. Also the bytes of a file, bounded, and the digest that tells whether it changed."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..errors import BadFileError, CorpusError
from .metadata import METADATA_CSV, read_csv_metadata
from .model import SourceFile


@dataclass
class Corpus:
    """The documents of a corpus folder, and what was wrong with the rest of it."""

    files: list[SourceFile]
    problems: list[tuple[str, str]]  # (source, reason): metadata.csv trouble, unreadable formats
    others: dict[str, int] = field(default_factory=dict)  # files neither read nor document-like, by suffix


def doc_id_for(source: str) -> str:
    """A stable, readable id: the relative path without its suffix."""
    return source.rsplit(".", 1)[0] if "." in Path(source).name else source


def find_files(corpus: Path) -> list[SourceFile]:
    """The documents under `corpus` (every format read), sorted, hidden folders and files left out."""
    return _scan(corpus).files


@dataclass
class _Walk:
    files: list[SourceFile] = field(default_factory=list)
    csvs: list[str] = field(default_factory=list)
    unread: list[tuple[str, str]] = field(default_factory=list)
    others: Counter[str] = field(default_factory=Counter)


def _scan(corpus: Path) -> _Walk:
    """One walk of `corpus`: its documents, its metadata.csv files, and the rest by kind."""
    if not corpus.exists():
        raise CorpusError(f"corpus folder not found: {corpus}")
    if not corpus.is_dir():
        raise CorpusError(f"corpus is not a folder: {corpus}")
    found = _Walk()
    for path in _walk(corpus, corpus.resolve(), lambda entry: True):
        source = path.relative_to(corpus).as_posix()
        suffix = path.suffix.lower()
        if path.name.lower() == METADATA_CSV:
            found.csvs.append(source)
        elif suffix in config.DOCUMENT_SUFFIXES:
            found.files.append(SourceFile(path=path, source=source))
        elif suffix in config.UNREAD_SUFFIXES:
            found.unread.append((source, f"{source}: {config.UNREAD_SUFFIXES[suffix]}"))
        else:
            found.others[suffix or "(no suffix)"] += 1
    found.files.sort(key=lambda f: f.source)
    found.unread.sort()
    return found


def find_corpus(corpus: Path) -> Corpus:
    """The documents under `corpus`, each with the fields its metadata.csv gives it."""
    found = _scan(corpus)
    problems = list(found.unread)
    files = found.files
    if found.csvs:
        metadata = read_csv_metadata(corpus, found.csvs)
        sources = {f.source for f in files}
        problems.extend(metadata.problems)
        unknown: dict[str, list[str]] = {}  # by the CSV that names them
        for source, csv_source in sorted(metadata.named_by.items()):
            if source not in sources:
                unknown.setdefault(csv_source, []).append(source)
        for csv_source, missing in sorted(unknown.items()):
            listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            problems.append(
                (csv_source, f"{csv_source}: metadata given for files not in the corpus: {listed}")
            )
        files = [SourceFile(f.path, f.source, metadata.rows.get(f.source, {})) for f in files]
    return Corpus(files, problems, dict(sorted(found.others.items())))


def corpus_stats(corpus: Path) -> dict[str, list[int]]:
    """[size, modification time in ns] of every file a build would read (documents and
    metadata.csv files), by source: whether the corpus changed, without reading a byte.

    The same files as `find_corpus`, found by `os.scandir`, whose entries know their type: one
    stat per file, where the general walk takes four, so a search can afford it.
    """
    if not corpus.exists():
        raise CorpusError(f"corpus folder not found: {corpus}")
    if not corpus.is_dir():
        raise CorpusError(f"corpus is not a folder: {corpus}")
    root = str(corpus.resolve())
    stats: dict[str, list[int]] = {}
    seen: set[str] = set()

    def walk(folder: str, prefix: str) -> None:
        real = os.path.realpath(folder)
        if real in seen:
            return
        seen.add(real)
        try:
            with os.scandir(folder) as found:
                entries = sorted(found, key=lambda entry: entry.name)
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if not os.path.exists(target) or os.path.commonpath([root, target]) != root:
                        continue  # dangling, or out of the corpus: the general walk skips it too
                if entry.is_dir():
                    if not _is_index(Path(entry.path)):
                        walk(entry.path, f"{prefix}{name}/")
                elif _read_by_build(name) and entry.is_file():
                    source = prefix + name
                    source.encode("utf-8")  # a name that is not UTF-8 is never indexed, nor recorded
                    stat = entry.stat()
                    stats[source] = [stat.st_size, stat.st_mtime_ns]
            except (OSError, ValueError):  # UnicodeEncodeError is a ValueError
                continue

    walk(str(corpus), "")
    return stats


def _read_by_build(name: str) -> bool:
    return name.lower() == METADATA_CSV or os.path.splitext(name)[1].lower() in config.DOCUMENT_SUFFIXES


def _walk(
    folder: Path, root: Path, wanted: Callable[[Path], bool], seen: set[Path] | None = None
) -> Iterator[Path]:
    # Each real folder is walked once: a link back up the tree ("sub/up -> ..") is no loop.
    seen = set() if seen is None else seen
    try:
        real = folder.resolve()
        if real in seen:
            return
        seen.add(real)
        entries = sorted(folder.iterdir())
    except (OSError, RuntimeError):
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_symlink():
                # A link may point outside the corpus the user chose; follow it only inside it.
                entry.resolve(strict=True).relative_to(root)
            if entry.is_dir():
                if _is_index(entry):
                    continue  # an index kept inside its corpus holds no documents
                yield from _walk(entry, root, wanted, seen)
            elif wanted(entry) and entry.is_file():
                yield entry
        except (OSError, RuntimeError, ValueError):
            continue  # a dangling link, a link loop, a link out of the corpus, an unreadable entry


def _is_index(folder: Path) -> bool:
    """An r2p-search index folder: its manifest beside its generations."""
    return (folder / "manifest.json").is_file() and any(
        child.name.startswith("gen-") for child in folder.iterdir() if child.is_dir()
    )


def read_bytes(file: SourceFile, limit: int | None = None) -> bytes:
    limit = config.max_file_bytes(file.suffix) if limit is None else limit
    try:
        size = file.path.stat().st_size
        if size > limit:
            raise BadFileError(
                f"{file.source}: file is {size:,} bytes, over the {limit:,}-byte limit "
                "(set R2P_MAX_FILE_BYTES to raise it)"
            )
        return file.path.read_bytes()
    except BadFileError:
        raise
    except FileNotFoundError as exc:
        raise BadFileError(f"{file.source}: file vanished before it could be read") from exc
    except OSError as exc:
        raise BadFileError(f"{file.source}: cannot read file ({exc.strerror})") from exc


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(file: SourceFile, data: bytes) -> str:
    """What identifies a file's indexed form: its bytes, and the metadata.csv fields given it."""
    if not file.extra:
        return sha256_of(data)
    fields = json.dumps(file.extra, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data + b"\0metadata.csv\0" + fields.encode()).hexdigest()
