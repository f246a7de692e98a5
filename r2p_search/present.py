"""Present: hits, passages, build reports and status for people (rich) and scripts (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .results import Hit, SearchResult, best_sentence
from .words import term_pattern

if TYPE_CHECKING:
    from .evaluate import Summary
    from .indexer import BuildReport, Status
    from .store import Check
    from .timeline import Timeline


# Control characters from documents or file names (an escape sequence can clear the screen or
# retitle the terminal) are shown as spaces in text output; JSON escapes them itself.
_CONTROLS = {c: " " for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}


def safe(text: str) -> str:
    """`text` without control characters (newlines kept), the same length, for the terminal."""
    return text.translate(_CONTROLS)


def _safe_hit(hit: Hit) -> Hit:
    return replace(
        hit,
        text=safe(hit.text),
        title=safe(hit.title),
        source=safe(hit.source),
        passage_id=safe(hit.passage_id),
        date=safe(hit.date) if hit.date else hit.date,
    )


def highlight(text: str, query: str) -> Text:
    """`text` with the query's words in bold; a word of 4+ letters also matches its longer forms."""
    rich_text = Text(text)
    pattern = term_pattern(query)
    for match in pattern.finditer(text) if pattern else ():
        rich_text.stylize("bold yellow", match.start(), match.end())
    return rich_text


def render_search(console: Console, result: SearchResult, explain: bool = False, title: bool = False) -> None:
    """A question's hits, after what was understood of it (and, with `title`, the question)."""
    if title:
        console.rule(escape(result.query))
    understood = result.plan.describe()
    if understood:
        console.print(f"[dim]understood: {escape(understood)}[/dim]")
    if explain and result.fusion:
        method, weight = result.fusion
        how = "reciprocal rank" if method == "rrf" else "cosine + BM25"
        console.print(f"[dim]fused by {how}, lexical weight {weight}[/dim]")
    if not result.hits and result.plan.scope:
        # Say what kept everything out: a filter that matches nothing in this index.
        console.print(f"[dim]No passages found within {escape(result.plan.scope.describe())}.[/dim]")
        return
    render_hits(console, result.query, result.hits, explain=explain)


def render_hits(console: Console, query: str, hits: Sequence[Hit], explain: bool = False) -> None:
    if not hits:
        console.print("[dim]No passages found.[/dim]")
        return
    for hit in map(_safe_hit, hits):
        sentence = best_sentence(hit.text, query)
        # The rank, and the citation a person reads; the id (what `show` and `similar` take) set
        # apart, whole, so that its number is not read as a second paragraph number. Scores are on
        # the scale of the fusion used, so they are shown only with --explain.
        header = Text.assemble((f"{hit.rank:>2}. ", "bold"), (hit.citation(), "bold"))
        tail = f"id {hit.passage_id}"
        fits = header.cell_len + 3 + len(tail) <= console.width
        header.append(("   " if fits else "\n    ") + tail, style="dim")
        console.print(header)
        if explain:
            cosine = f"   cosine {hit.cosine:.3f}" if hit.cosine is not None else ""
            console.print(Text(f"    score {hit.score:.3f}{cosine}", style="cyan"))
            if hit.explain is not None:
                console.print(Text(_explain_line(hit.explain), style="dim"))
        body = highlight(hit.text, query)
        if sentence and sentence != hit.text:
            start = hit.text.find(sentence)
            if start >= 0:
                body.stylize("underline", start, start + len(sentence))
        console.print(body, style=None, soft_wrap=False)
        console.print()


def _explain_line(explain: dict[str, Any]) -> str:
    def part(name: str) -> str:
        rank, score = explain.get(f"{name}_rank"), explain.get(f"{name}_score")
        if rank is None and score is None:
            return f"{name}: -"
        shown = f"{score:.3f}" if score is not None else "-"
        return f"{name}: rank {rank if rank is not None else '-'}, score {shown}"

    return "    " + "   ".join(part(n) for n in ("dense", "lexical"))


def render_eval(console: Console, summaries: Sequence[Summary]) -> None:
    """One row per mode, one column per metric; then the failures of the first mode."""
    if not summaries:
        return
    names = summaries[0].metric_names
    table = Table(title=f"{len(summaries[0].scores)} queries", title_justify="left")
    table.add_column("mode", style="bold")
    for name in names:
        table.add_column(name, justify="right")
    for summary in summaries:
        table.add_row(summary.mode, *(f"{summary.metric(n):.3f}" for n in names))
    console.print(table)
    kinds = sorted({s.query.kind for s in summaries[0].scores if s.query.kind})
    if len(kinds) > 1:
        by_kind = Table(title="MRR@10 by kind of query", title_justify="left")
        by_kind.add_column("kind", style="bold")
        by_kind.add_column("n", justify="right")
        for summary in summaries:
            by_kind.add_column(summary.mode, justify="right")
        for kind in kinds:
            rows = {s.mode: [q for q in s.scores if q.query.kind == kind] for s in summaries}
            first = rows[summaries[0].mode]
            by_kind.add_row(
                kind, str(len(first)), *(f"{s.metric('mrr@10', rows[s.mode]):.3f}" for s in summaries)
            )
        console.print(by_kind)
    failures = summaries[0].failures()
    if failures:
        mode = summaries[0].mode
        console.print(
            f"[yellow]{len(failures)} queries with no relevant passage in the top 10 ({mode}):[/yellow]"
        )
        for score in failures:
            where = f"first relevant at rank {score.first_rank}" if score.first_rank else "not found"
            top = escape(score.top[0].passage_id if score.top else "-")
            query = escape(score.query.query)
            console.print(f"  line {score.query.line}: {query}  [dim]({where}; top: {top})[/dim]")


def render_context(console: Console, passages: Sequence[Hit], target_id: str) -> None:
    passages = [_safe_hit(p) for p in passages]
    target_id = safe(target_id)
    target = next(p for p in passages if p.passage_id == target_id)
    console.print(Text(target.citation(), style="bold"))
    console.print(Text(f"{target.source}  ({target.passage_id})", style="dim"))
    console.print()
    for passage in passages:
        if passage.passage_id == target_id:
            console.print(Panel(Text(passage.text), title=passage.passage_id, title_align="left"))
        else:
            console.print(Text(f"[{passage.passage_id}] ", style="dim") + Text(passage.text, style="dim"))
            console.print()


def render_report(console: Console, report: BuildReport) -> None:
    if report.full_rebuild_reason:
        console.print(f"Full rebuild: {escape(report.full_rebuild_reason)}")
    console.print(
        f"{len(report.new)} new, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged; {report.documents} documents, "
        f"{report.passages} passages ({report.embedded} embedded) in {report.seconds:.1f} s"
    )
    if report.skipped:
        console.print(f"[yellow]{len(report.skipped)} file(s) skipped:[/yellow]")
        _render_skipped(console, [s.reason for s in report.skipped])
    if report.others:
        console.print(f"[dim]{_others(report.others)}[/dim]")


def _render_skipped(console: Console, reasons: list[str]) -> None:
    """One reason per file not indexed, each naming its file; wrapped lines keep the indent."""
    table = Table.grid()
    table.add_column(overflow="fold")
    for reason in reasons:
        table.add_row(Text(safe(reason)))
    console.print(Padding(table, (0, 0, 0, 2)))


def _others(others: dict[str, int]) -> str:
    """ "not documents, not read: 2 .png, 1 .jpg" """
    counted = ", ".join(f"{n} {escape(safe(suffix))}" for suffix, n in others.items())
    return f"not documents, not read: {counted}"


def _vectors_line(kind: str | None, recall: dict[str, float] | None) -> str:
    if kind == "exact" or not recall:
        return "exact: every vector scanned"
    measured = ", ".join(f"{value:.3f} on {name}" for name, value in recall.items())
    return f"{kind}, re-ranked exactly; recall@10 against the exact scan {measured}"


def render_status(console: Console, status: Status, command: str = "r2p-search index") -> None:
    """The corpus and the index side by side; `command` is the one that builds this index."""
    data = status.to_json()
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row(
        "corpus",
        escape(data["corpus"])
        + (
            f"  [yellow]({escape(data['corpus_problem'])}; the index alone is shown)[/yellow]"
            if data["corpus_problem"]
            else f"  ({data['corpus_files']} files)"
        ),
    )
    # Advice only where it would work: a build needs a corpus.
    unbuilt = "  [yellow]not built yet[/yellow]" + (
        "" if data["corpus_problem"] else f": run {escape(command)}"
    )
    table.add_row("index", escape(data["index"]) + ("" if data["built"] else unbuilt))
    if data["built"]:
        table.add_row("built", str(data["created_at"]))
        table.add_row("model", f"{escape(str(data['model']))} ({data['dimension']} dimensions)")
        prompts = data["prompts"]
        if prompts["query"] or prompts["document"]:
            table.add_row("prompts", escape(f"query {prompts['query']!r}, passage {prompts['document']!r}"))
        if data["ocr"]:
            table.add_row("OCR", "on: PDFs without a text layer are read by Tesseract")
        table.add_row("documents", str(data["documents"]))
        table.add_row("passages", str(data["passages"]))
        table.add_row("vectors", _vectors_line(data["vectors"], data["recall"]))
        if data["up_to_date"] is not None:
            state = (
                "[green]up to date[/green]"
                if data["up_to_date"]
                else f"[yellow]out of date: run {escape(command)}[/yellow]"
            )
            table.add_row("state", state)
    console.print(table)
    for key in ("new", "changed", "removed"):
        names = data[key]
        if names:
            shown = ", ".join(names[:10]) + (f", ... ({len(names) - 10} more)" if len(names) > 10 else "")
            console.print(f"[bold]{key}[/bold] ({len(names)}): {escape(safe(shown))}")
    if data["skipped"]:
        console.print(f"[yellow]skipped ({len(data['skipped'])}):[/yellow]")
        _render_skipped(console, [item["reason"] for item in data["skipped"]])
    if data["other_files"]:
        console.print(f"[dim]{_others(data['other_files'])}[/dim]")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def render_checks(console: Console, checks: Sequence[Check]) -> None:
    for check in checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {escape(check.what)}: {escape(check.detail)}", soft_wrap=True)


PASSAGE_ROOM = 40
"""Fewest characters of a bucket's best passage worth showing beside its bar; with less room on
the line, the passage gets a line of its own."""


def render_timeline(console: Console, timeline: Timeline, width: int = 30) -> None:
    """A bar per year (or country): share of documents with a passage on the topic, best passage."""
    if timeline.understood:
        console.print(f"[dim]understood: {escape(timeline.understood)}[/dim]")
    console.print(
        f"[bold]{escape(timeline.query)}[/bold]: share of documents with a passage on it, by {timeline.by}"
    )
    console.print(f"[dim]a passage counts at {escape(timeline.presence.describe())}[/dim]")
    if not timeline.buckets:
        console.print("[dim]No documents in scope.[/dim]")
        return
    label_width = min(24, max(len(b.label) for b in timeline.buckets[:60]))
    shown = timeline.buckets if timeline.by == "year" else timeline.buckets[:40]
    # Bars are scaled to the highest share, so a topic that 12% of speeches raise at its peak
    # still shows its rise and fall instead of a column of one-character bars.
    top = max(b.share for b in shown)
    if top > 0:
        console.print(f"[dim]bars: share of documents; a full bar is {top:.0%}[/dim]")
    counts = 13  # " 100%  12/194"
    width = max(10, min(width, console.width - label_width - 1 - counts))
    whos = {id(b): _timeline_who(timeline, b.best) for b in shown if b.best is not None}
    room = console.width - label_width - 1 - width - counts - 4 - max(map(len, whos.values()), default=0)
    beside = room >= PASSAGE_ROOM
    for bucket in shown:
        filled = round(bucket.share / top * width) if top > 0 else 0
        bar = "█" * filled + "·" * (width - filled)
        line = Text.assemble(
            (f"{safe(bucket.label)[:label_width]:<{label_width}} ", "bold"),
            (bar, "cyan"),
            (f" {bucket.share:>4.0%} {bucket.matching_documents:>3}/{bucket.documents:<3}", ""),
        )
        passage = None
        if bucket.best is not None:
            passage = f"{whos[id(bucket)]}: {_excerpt(bucket.best, timeline.query)}"
        if passage is not None and beside:
            line.append(f"  {passage}", style="dim")
        console.print(line, soft_wrap=False, overflow="ellipsis", no_wrap=True)
        if passage is not None and not beside:
            # On a line of its own, the passage has almost the width of the line.
            under = Text(" " * min(label_width + 1, 5) + passage, style="dim")
            console.print(under, soft_wrap=False, overflow="ellipsis", no_wrap=True)


def _timeline_who(timeline: Timeline, best: Hit | None) -> str:
    """Who spoke the best passage of a year (or in which year, for a country's row)."""
    if best is None:
        return ""
    who = best.speaker()[1] if timeline.by == "year" else best.meta.get("year")
    return safe(str(who or ""))


def _excerpt(hit: Hit, query: str) -> str:
    """The sentence of a passage that shares most words with the topic, else the passage's start."""
    text = " ".join(safe(hit.window or hit.text).split())
    return best_sentence(text, query) or text
