"""Read documents: find corpus files and read each into one document model, whatever its format.

One module per format: `text` (.txt, .md), `pdf`, `docx` and `html` (.html, .htm); `un` holds
the UN's conventions they share (document symbols, a first page's masthead, page furniture,
numbered paragraphs). `corpus` finds the files and says which it cannot read and why.

Metadata comes from five places, the most explicit winning:
- a `metadata.csv` row and YAML front matter in .md files (see metadata.py);
- what the document says of itself: a UN masthead (symbol, organ, session, agenda item, date,
  title), an HTML page's title and date, a dated header line as in UN press releases
  ("New York, 23 September 2011 - Secretary-General's remarks at ...");
- General Debate file names, `ISO3_SESSION_YEAR.<any suffix>` (e.g. `SYR_66_2011.txt`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import BadFileError
from .corpus import (
    Corpus,
    corpus_stats,
    doc_id_for,
    file_digest,
    find_corpus,
    find_files,
    read_bytes,
    sha256_of,
)
from .model import Block, Document, SourceFile
from .names import context_label, context_terms, country_name, country_names, parse_file_name
from .reading import Deadline, Read, check_kind
from .text import decode, parse_header_line

__all__ = [
    "Block",
    "Corpus",
    "Document",
    "SourceFile",
    "context_label",
    "context_terms",
    "corpus_stats",
    "country_name",
    "country_names",
    "decode",
    "doc_id_for",
    "file_digest",
    "find_corpus",
    "find_files",
    "parse_file_name",
    "parse_header_line",
    "read_bytes",
    "read_document",
    "sha256_of",
]


Reader = Callable[[SourceFile, bytes, Deadline, bool], Read]  # (file, data, deadline, ocr)


def _reader(suffix: str) -> Reader:
    # Each format's library is imported only when a file of that format is read.
    if suffix == ".pdf":
        from . import pdf

        return pdf.read
    if suffix == ".docx":
        from . import docx

        return lambda file, data, deadline, ocr: docx.read(file, data, deadline)
    if suffix in (".html", ".htm"):
        from . import html

        return lambda file, data, deadline, ocr: html.read(file, data, deadline)
    from . import text

    return lambda file, data, deadline, ocr: text.read(file, data)


def read_document(file: SourceFile, data: bytes | None = None, ocr: bool = False) -> Document:
    """Read one file of any supported format; raises BadFileError with the reason if it cannot be used.

    `ocr`: read a PDF without a text layer (a scan) with Tesseract instead of skipping it.
    """
    if data is None:
        data = read_bytes(file)
    check_kind(file.source, file.suffix, data)
    found: Read = _reader(file.suffix)(file, data, Deadline(file.source), ocr)
    if found.blocks is not None:
        if found.title is None:
            found.title = next((b.text for b in found.blocks if b.part == "title"), None)
        # The title is the document's, shown in every citation: as a passage of its own, a few
        # words that match any question on its subject, it would crowd out the paragraphs.
        found.blocks = [b for b in found.blocks if b.text.strip() and b.part != "title"]
        if not found.blocks:
            raise BadFileError(f"{file.source}: no text found in the file")
        found.body = "\n\n".join(b.text for b in found.blocks)
    meta = dict(found.meta)
    title = found.title
    name_meta = parse_file_name(Path(file.source).stem)
    if name_meta:
        for key, value in name_meta.items():
            meta.setdefault(key, value)
        title = title or name_meta["title"]
    meta["title"] = title or Path(file.source).stem
    # Given fields win over inferred ones: the CSV row over front matter over the rest.
    meta.update(found.given | file.extra)
    meta.setdefault("date", None)
    if meta.get("date") and not meta.get("year"):
        meta["year"] = int(str(meta["date"])[:4])
    return Document(
        source=file.source,
        doc_id=doc_id_for(file.source),
        sha256=file_digest(file, data),
        title=meta["title"],
        body=found.body,
        meta=meta,
        blocks=found.blocks,
    )
