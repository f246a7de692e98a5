"""r2p-search: semantic search over documents on the Responsibility to Protect.

The library is the product; the CLI is a thin layer over it:

    from r2p_search import build_index, open_index
    build_index(Path("corpus"), Path("index"))
    with open_index(Path("index")) as index:
        for hit in index.search("what about Syria", k=5):
            print(hit.rank, hit.score, hit.title, hit.paragraph, hit.text)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["BuildReport", "Hit", "Index", "build_index", "corpus_status", "open_index"]

if TYPE_CHECKING:
    from .indexer import BuildReport, build_index, corpus_status
    from .results import Hit
    from .search import Index

    open_index = Index.open


def __getattr__(name: str) -> Any:
    # Deferred so that `import r2p_search` stays cheap for the CLI's --help and status.
    if name in ("build_index", "corpus_status", "BuildReport"):
        from . import indexer

        return getattr(indexer, name)
    if name in ("Index", "Hit"):
        from . import search

        return getattr(search, name)
    if name == "open_index":
        from .search import Index

        return Index.open
    raise AttributeError(name)
