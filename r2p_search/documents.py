"""Read documents: find corpus files, decode them, and read their metadata.

Metadata comes from four places, the most explicit winning:
- a `metadata.csv` row and YAML front matter in .md files (see metadata.py);
- a dated header line, as in UN press releases of the Secretary-General's remarks:
  "New York, 23 September 2011 - Secretary-General's remarks at ...";
- General Debate file names, `ISO3_SESSION_YEAR.txt` (e.g. `SYR_66_2011.txt`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import config
from .errors import BadFileError, CorpusError
from .metadata import METADATA_CSV, read_csv_metadata, split_front_matter


@dataclass(frozen=True)
class SourceFile:
    """A corpus file found on disk, before it is read."""

    path: Path
    source: str  # path relative to the corpus root, with forward slashes
    # Fields from a metadata.csv row: part of the file's identity, so editing them re-indexes it.
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Corpus:
    """The documents of a corpus folder, and what was wrong with its metadata files."""

    files: list[SourceFile]
    problems: list[tuple[str, str]]  # (metadata.csv source, reason)


@dataclass
class Document:
    source: str
    doc_id: str
    sha256: str
    title: str
    body: str  # the text that is split into passages (header line removed)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def date(self) -> str | None:
        return self.meta.get("date")


def doc_id_for(source: str) -> str:
    """A stable, readable id: the relative path without its suffix."""
    return source.rsplit(".", 1)[0] if "." in Path(source).name else source


def find_files(corpus: Path) -> list[SourceFile]:
    """All .txt and .md files under `corpus`, sorted, hidden folders and files left out."""
    return _scan(corpus)[0]


def _scan(corpus: Path) -> tuple[list[SourceFile], list[str]]:
    """One walk of `corpus`: its documents, and the sources of its metadata.csv files."""
    if not corpus.exists():
        raise CorpusError(f"corpus folder not found: {corpus}")
    if not corpus.is_dir():
        raise CorpusError(f"corpus is not a folder: {corpus}")
    root = corpus.resolve()
    documents: list[SourceFile] = []
    csvs: list[str] = []
    for path in _walk(corpus, root, lambda entry: _is_document(entry) or _is_metadata(entry)):
        source = path.relative_to(corpus).as_posix()
        if _is_metadata(path):
            csvs.append(source)
        else:
            documents.append(SourceFile(path=path, source=source))
    return sorted(documents, key=lambda f: f.source), csvs


def find_corpus(corpus: Path) -> Corpus:
    """The documents under `corpus`, each with the fields its metadata.csv gives it."""
    files, csvs = _scan(corpus)
    if not csvs:
        return Corpus(files, [])
    metadata = read_csv_metadata(corpus, csvs)
    sources = {f.source for f in files}
    problems = list(metadata.problems)
    unknown: dict[str, list[str]] = {}  # by the CSV that names them
    for source, csv_source in sorted(metadata.named_by.items()):
        if source not in sources:
            unknown.setdefault(csv_source, []).append(source)
    for csv_source, missing in sorted(unknown.items()):
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        problems.append((csv_source, f"{csv_source}: metadata given for files not in the corpus: {listed}"))
    files = [SourceFile(f.path, f.source, metadata.rows.get(f.source, {})) for f in files]
    return Corpus(files, problems)


def _is_document(entry: Path) -> bool:
    return entry.suffix.lower() in config.DOCUMENT_SUFFIXES


def _is_metadata(entry: Path) -> bool:
    return entry.name.lower() == METADATA_CSV


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
                yield from _walk(entry, root, wanted, seen)
            elif wanted(entry) and entry.is_file():
                yield entry
        except (OSError, RuntimeError, ValueError):
            continue  # a dangling link, a link loop, a link out of the corpus, an unreadable entry


def read_bytes(file: SourceFile, limit: int | None = None) -> bytes:
    limit = config.max_file_bytes() if limit is None else limit
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


def decode(data: bytes, source: str) -> str:
    """Text from bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadFileError(f"{source}: invalid UTF-16 text") from exc
    if b"\x00" in data:
        raise BadFileError(f"{source}: binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFileError(
            f"{source}: not UTF-8 text (invalid byte at offset {exc.start}); convert it to UTF-8 to index it"
        ) from exc


def read_document(file: SourceFile, data: bytes | None = None) -> Document:
    """Read and decode one file; raises BadFileError with the reason if it cannot be used."""
    if data is None:
        data = read_bytes(file)
    text = decode(data, file.source)
    if not text.strip():
        raise BadFileError(f"{file.source}: file is empty")
    meta: dict[str, Any] = {}
    body = text
    title = Path(file.source).stem
    given: dict[str, Any] = {}
    if file.source.lower().endswith(".md"):
        given, body = split_front_matter(text, file.source)
        text = body

    header = parse_header_line(text)
    if header is not None:
        meta.update(header.fields)
        title = header.fields["title"]
        body = text[header.end :]
    name_meta = parse_file_name(Path(file.source).stem)
    if name_meta:
        for key, value in name_meta.items():
            meta.setdefault(key, value)
        if header is None:
            title = name_meta["title"]
    if header is None and file.source.lower().endswith(".md"):
        heading = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
        if heading:
            title = heading.group(1)
    meta["title"] = title
    # Given fields win over inferred ones: the CSV row over front matter over the rest.
    meta.update(given | file.extra)
    title = meta["title"]
    meta.setdefault("date", None)
    if not body.strip():
        raise BadFileError(f"{file.source}: file has a header line but no text")
    return Document(
        source=file.source,
        doc_id=doc_id_for(file.source),
        sha256=file_digest(file, data),
        title=title,
        body=body,
        meta=meta,
    )


_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}

_HEADER = re.compile(
    r"""^\s*(?P<place>[A-Z][\w'.\-]*(?:\s+(?:(?:es|de|da|do|la|le|du|del|of|al|el)\s+)?[A-Z][\w'.\-]*){0,4}),\s+
        (?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\s+(?P<year>\d{4})
        \s+[-\u2013\u2014]+\s+
        (?P<title>[^\n]+?)\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Header:
    fields: dict[str, Any]
    end: int  # offset just past the header line


def parse_header_line(text: str) -> Header | None:
    """Place, date and title from a first line such as 'New York, 23 September 2011 - Remarks at ...'."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    line_end = stripped.find("\n")
    first = stripped if line_end < 0 else stripped[:line_end]
    match = _HEADER.match(first)
    if not match:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    try:
        when = date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None
    title = re.sub(r"\s*\[as (?:prepared for|delivered)[^\]]*\]\s*$", "", match["title"], flags=re.I)
    fields = {
        "place": match["place"].strip(),
        "date": when.isoformat(),
        "year": when.year,
        "title": title.strip() or match["title"].strip(),
    }
    if re.search(r"secretary-general", first, re.I):
        fields["speaker"] = "UN Secretary-General"
    end = offset + (len(first) if line_end < 0 else line_end + 1)
    return Header(fields=fields, end=end)


_GENERAL_DEBATE_NAME = re.compile(r"^(?P<code>[A-Z]{2,3})_(?P<session>\d{1,3})_(?P<year>(?:19|20)\d{2})$")


def country_names(code: str) -> list[str]:
    """English names of an ISO 3166 alpha-3 code, the common one first; [] if unknown."""
    from .countries import names

    return names(code)


def country_name(code: str) -> str | None:
    """Common English name for an ISO 3166 alpha-3 code, or a known non-state code."""
    names = country_names(code)
    return names[0] if names else None


def context_label(meta: dict[str, Any]) -> str:
    """A short line saying whose text this is, given to the embedder with every passage.

    A paragraph of Brazil's speech rarely says "Brazil"; with this label its vector can still
    answer "what did Brazil say about Libya?".
    """
    if meta.get("country_name"):
        return f"{meta['country_name']}, {meta.get('year', '')}".rstrip(", ")
    parts = [str(meta.get("speaker") or meta.get("title") or "")[:80], str(meta.get("date") or "")]
    return ", ".join(p for p in parts if p)


def context_terms(meta: dict[str, Any]) -> str:
    """Everything known of a document, as words for the lexical index."""
    fields: list[str] = [str(meta.get(key) or "") for key in ("title", "place", "speaker", "country", "year")]
    fields.extend(meta.get("country_names") or [])
    return " ".join(dict.fromkeys(f for f in fields if f))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def parse_file_name(stem: str) -> dict[str, Any] | None:
    """Country, session and year from a General Debate file name such as SYR_66_2011."""
    match = _GENERAL_DEBATE_NAME.match(stem)
    if not match:
        return None
    code = match["code"]
    session = int(match["session"])
    year = int(match["year"])
    names = country_names(code) or [code]
    name = names[0]
    return {
        "country": code,
        "country_name": name,
        "country_names": names,
        "session": session,
        "year": year,
        "title": f"{name}, General Debate, {_ordinal(session)} session ({year})",
        "kind": "general-debate",
    }
