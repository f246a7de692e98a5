"""The document model every format is read into: a file found on disk, and what was read from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SourceFile:
    """A corpus file found on disk, before it is read."""

    path: Path
    source: str  # path relative to the corpus root, with forward slashes
    # Fields from a metadata.csv row: part of the file's identity, so editing them re-indexes it.
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


@dataclass(frozen=True)
class Block:
    """One paragraph as the document lays it out, before it is cut into passages.

    `number` is the document's own paragraph number ("11." in a report), `page` the 1-based page
    it starts on (PDF only), `part` says what an unnumbered block is (title, summary, preamble,
    heading, footnote, aside: small type that is no footnote; None for body text).
    """

    text: str
    page: int | None = None
    number: int | None = None
    part: str | None = None


@dataclass
class Document:
    source: str
    doc_id: str
    sha256: str
    title: str
    body: str  # the text that is split into passages (header line removed); the blocks joined for others
    meta: dict[str, Any] = field(default_factory=dict)
    # Paragraphs as laid out by a PDF, Word or HTML file; None for plain text, which the splitter
    # cuts into paragraphs itself.
    blocks: list[Block] | None = None

    @property
    def date(self) -> str | None:
        return self.meta.get("date")
