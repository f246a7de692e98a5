"""The core's answers by name, for front ends other than the command line.

The HTTP API (web/) and the MCP server take parameters by name, as the CLI's options are
named, and answer with the JSON `search --json` and its siblings print: each function builds the
core's request, asks an opened `Index`, and returns the result's own `to_json()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config
from .errors import QueryError
from .query import scope_from_options
from .request import SearchRequest

if TYPE_CHECKING:
    from .search import Index
    from .timeline import Timeline

Names = str | Sequence[str] | None
"""One value or several: `country="Chile"` or `country=["Chile", "Peru"]`."""


def _many(value: Names) -> list[str] | None:
    if value is None or value == "":
        return None
    return [value] if isinstance(value, str) else [v for v in value if v != ""] or None


def search_request(
    query: str,
    *,
    k: int = config.DEFAULT_TOP_K,
    mode: str = "hybrid",
    country: Names = None,
    year: int | None = None,
    years: str | None = None,
    doc: Names = None,
    symbol: Names = None,
    organ: Names = None,
    per_doc: int | None = None,
    group_by: str | None = None,
    explain: bool = False,
    literal: bool = False,
) -> SearchRequest:
    """The request the CLI's `search` options of these names make."""
    scope = scope_from_options(_many(country), year, years or None, _many(doc), _many(symbol), _many(organ))
    return SearchRequest(
        query=query,
        k=k,
        mode=mode,
        scope=scope,
        per_doc=per_doc,
        group_by=group_by or None,
        explain=explain,
        literal=literal,
    )


def search(index: Index, query: str, **options: Any) -> dict[str, Any]:
    """What `search QUERY --json` prints."""
    return index.answer([search_request(query, **options)])[0].to_json()


def search_many(index: Index, queries: Sequence[str], **options: Any) -> dict[str, Any]:
    """`{"results": [...]}`: one `search --json` object per query, in order."""
    requests = [search_request(q, **options) for q in queries]
    return {"results": [result.to_json() for result in index.answer(requests)]}


def similar(
    index: Index,
    passage_id: str | None = None,
    k: int = config.DEFAULT_TOP_K,
    per_doc: int | None = None,
    *,
    text: str | None = None,
    country: Names = None,
    year: int | None = None,
    years: str | None = None,
    doc: Names = None,
    symbol: Names = None,
    organ: Names = None,
    other_speakers: bool = False,
) -> dict[str, Any]:
    """What `similar PASSAGE_ID --json` prints, or with `text` instead, `similar --text TEXT --json`."""
    if (passage_id is None) == (text is None):
        raise QueryError("give a passage id or a text, not both or neither")
    if other_speakers and text is not None:
        raise QueryError("other_speakers goes with a passage id: a text of one's own has no speaker")
    scope = scope_from_options(_many(country), year, years or None, _many(doc), _many(symbol), _many(organ))
    if text is not None:
        return index.like_text(text, k, per_doc, scope).to_json()
    return index.more_like(passage_id or "", k, per_doc, scope, other_speakers).to_json()


def show(index: Index, passage_id: str, context: int = 0) -> dict[str, Any]:
    """What `show PASSAGE_ID --json` prints."""
    return index.show(passage_id, context).to_json()


def timeline(index: Index, query: str, **options: Any) -> dict[str, Any]:
    """What `timeline QUERY --json` prints; options as `timeline_result`'s."""
    return timeline_result(index, query, **options).to_json()


def timeline_result(
    index: Index,
    query: str,
    *,
    by: str = "year",
    threshold: float | None = None,
    country: Names = None,
    year: int | None = None,
    years: str | None = None,
    symbol: Names = None,
    organ: Names = None,
    literal: bool = False,
) -> Timeline:
    """The timeline itself, for a page that also says in words how it was read."""
    from .timeline import timeline as build

    scope = scope_from_options(_many(country), year, years or None, None, _many(symbol), _many(organ))
    return build(index, query, by=by, scope=scope, literal=literal, threshold=threshold)


def status(index_dir: Path) -> dict[str, Any]:
    """The index side of `status --json`: no corpus needed, no model loaded."""
    from .indexer import index_status
    from .store import read_manifest

    return index_status(index_dir, read_manifest(index_dir))
