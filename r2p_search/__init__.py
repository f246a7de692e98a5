"""r2p-search: semantic search over documents on the Responsibility to Protect.

The library is the product; the CLI is a thin layer over it:

    from r2p_search import SearchRequest, build_index, open_index
    build_index(Path("corpus"), Path("index"))
    with open_index(Path("index")) as index:
        for hit in index.search("what about Syria", k=5):
            print(hit.rank, hit.score, hit.title, hit.paragraph, hit.text)
        [result] = index.answer([SearchRequest(query="who invoked R2P over Libya?", k=3)])
        print(result.to_json())  # what `search --json` prints
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BuildReport",
    "Hit",
    "Index",
    "Scope",
    "SearchRequest",
    "SearchResult",
    "build_index",
    "corpus_status",
    "open_index",
]

if TYPE_CHECKING:
    from .indexer import BuildReport, build_index, corpus_status
    from .query import Scope
    from .request import SearchRequest
    from .results import Hit, SearchResult
    from .search import Index

    open_index = Index.open

_HOMES = {
    "build_index": "indexer",
    "corpus_status": "indexer",
    "BuildReport": "indexer",
    "Index": "search",
    "Hit": "results",
    "SearchResult": "results",
    "SearchRequest": "request",
    "Scope": "query",
}


def __getattr__(name: str) -> Any:
    # Deferred so that `import r2p_search` stays cheap for the CLI's --help and status.
    import importlib

    if name == "open_index":
        return importlib.import_module(".search", __name__).Index.open
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(name)
