"""What a format's reader returns, and the bounds every reader keeps to."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .. import config
from ..errors import BadFileError
from .model import Block


@dataclass
class Read:
    """One file as its reader understood it, before the file name and metadata.csv are applied."""

    body: str
    blocks: list[Block] | None = None  # None: plain text, which the splitter cuts into paragraphs
    meta: dict[str, Any] = field(default_factory=dict)  # inferred from the content
    given: dict[str, Any] = field(default_factory=dict)  # stated by the file (front matter): wins
    title: str | None = None


class Deadline:
    """A time budget for reading one file, checked between pages and parts: a file that takes too
    long is skipped with a reason instead of holding up the whole build."""

    def __init__(self, source: str, seconds: float | None = None) -> None:
        self.source = source
        self.seconds = config.MAX_SECONDS_PER_FILE if seconds is None else seconds
        self.ends = time.monotonic() + self.seconds

    def extend(self, seconds: float) -> None:
        self.seconds += seconds
        self.ends += seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise BadFileError(f"{self.source}: reading took over {self.seconds:g} s; skipped")


_KINDS = {".pdf": "PDF", ".docx": "Word .docx", ".html": "HTML", ".htm": "HTML"}


def sniff(data: bytes) -> str | None:
    """What a file's first bytes say it is: "PDF", "Word .docx" (a zip), "legacy Office" (OLE2),
    "HTML" or "text"; None when they say nothing."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "PDF"
    if head.startswith(b"PK\x03\x04"):
        return "Word .docx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "legacy Office"
    if b"<html" in head.lower() or b"<!doctype html" in head.lower():
        return "HTML"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "text" if exc.start > len(head) - 4 else None
    return "text" if b"\x00" not in head else None


def check_kind(source: str, suffix: str, data: bytes) -> None:
    """Refuse an empty file, or one whose content is another format than its suffix says, with a
    reason that names the fix ("a PDF named .docx: rename it")."""
    if not data.strip():
        raise BadFileError(f"{source}: file is empty")
    expected = _KINDS.get(suffix)
    found = sniff(data)
    if expected is None or found is None or found == expected:
        return
    if found == "legacy Office":
        raise BadFileError(
            f"{source}: a legacy Office file (.doc, .ppt) named {suffix}: save it as .docx or PDF"
        )
    if expected == "HTML" and found == "text":
        return  # a page without <html>: still read as HTML
    rename = {"PDF": ".pdf", "Word .docx": ".docx", "HTML": ".html", "text": ".txt"}[found]
    raise BadFileError(f"{source}: this is a {found} file named {suffix}: rename it to {rename} to index it")
