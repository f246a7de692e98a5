"""Export: search results as CSV for a spreadsheet and as a Markdown list for one's notes.

Both are written from the results' own JSON (`SearchResult.to_json()`), so a column holds what
the JSON field of that name holds, and the command line (`search --format csv|markdown`) and the
server (`/api/search.csv`) write the same bytes from one writer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

CSV_COLUMNS = (
    "rank",
    "score",
    "citation",
    "passage_id",
    "doc_id",
    "title",
    "date",
    "paragraph",
    "page",
    "symbol",
    "country",
    "text",
    "query",
)
"""The header row. All but `symbol` and `country` (from the hit's `meta`) and `query` (the
result's) are the hit's JSON fields of the same name."""

QUOTE_CHARS = 200
"""A Markdown item quotes at most about this many characters: a sentence, not the paragraph."""

# Control characters from documents (an escape sequence can clear a terminal) become spaces;
# tabs and newlines are the CSV module's to quote.
_CONTROLS = {c: " " for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
# Characters that would turn a quote or a title into emphasis, a link or HTML in Markdown.
_MARKDOWN = {ord(c): "\\" + c for c in "\\`*_[]<>"}


def csv_text(results: Iterable[dict[str, Any]]) -> str:
    """The header row, then one row per hit of each result (a `search --json` object), in order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in results:
        for hit in result.get("results", []):
            writer.writerow(csv_row(hit, result.get("query", "")))
    return out.getvalue()


def csv_row(hit: dict[str, Any], query: str = "") -> list[Any]:
    meta = hit.get("meta") or {}
    values = {**hit, "symbol": meta.get("symbol"), "country": meta.get("country_name"), "query": query}
    row: list[Any] = []
    for column in CSV_COLUMNS:
        value = values.get(column)
        if column in ("rank", "score"):  # numbers stay numbers
            row.append("" if value is None else value)
        else:
            row.append(_cell(value))
    return row


def _cell(value: Any) -> str:
    # A cell starting with = + - @ (or a tab before one) is a formula to a spreadsheet, which
    # can run commands or send data away: it is quoted as text instead.
    text = "" if value is None else str(value).translate(_CONTROLS)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def markdown(results: Iterable[dict[str, Any]], headings: bool = False) -> str:
    """One list item per hit: its citation, its passage id and a short quote, ready to paste.

    With `headings`, each result's list follows a heading naming its question (for --queries).
    """
    blocks: list[str] = []
    for result in results:
        items = [markdown_item(hit) for hit in result.get("results", [])]
        if headings:
            items = [f"## {_escape(_one_line(result.get('query', '')))}", "", *items]
        if items:
            blocks.append("\n".join(items) + "\n")
    return "\n".join(blocks)


def markdown_item(hit: dict[str, Any]) -> str:
    """`- A/66/874, para. 11, p. 4 · title · date (`A_66_874:12`): "quote"`"""
    citation = _escape(_one_line(hit.get("citation") or hit.get("title") or ""))
    quote = _escape(short_quote(hit.get("best_sentence") or hit.get("text") or ""))
    return f'- {citation} ({_code(_one_line(hit.get("passage_id", "")))}): "{quote}"'


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` on one line, cut after whole words to at most `limit` characters, "…" where cut."""
    text = _one_line(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _one_line(text: str) -> str:
    return " ".join(str(text).translate(_CONTROLS).split())


def _escape(text: str) -> str:
    return text.translate(_MARKDOWN)


def _code(text: str) -> str:
    """`text` as inline code, fenced by more backticks than it holds in a row."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
