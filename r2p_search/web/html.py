"""HTML pieces the page's templates use: a passage with the query's words marked, a timeline chart.

Everything a document says is escaped here before any markup is added around it, so a corpus
file holding `<script>` shows as text.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ..results import best_sentence
from ..words import term_pattern


def marked(text: str, query: str) -> Markup:
    """`text`, escaped, with the query's words in <mark> and its best sentence in <span class=best>."""
    pattern = term_pattern(query)

    def mark(segment: str) -> Markup:
        if pattern is None:
            return Markup(escape(segment))
        pieces: list[Markup] = []
        at = 0
        for found in pattern.finditer(segment):
            pieces.append(escape(segment[at : found.start()]))
            pieces.append(Markup("<mark>%s</mark>") % found.group(0))
            at = found.end()
        pieces.append(escape(segment[at:]))
        return Markup("").join(pieces)

    sentence = best_sentence(text, query)
    start = text.find(sentence) if sentence and sentence != text else -1
    if start < 0 or sentence is None:
        return mark(text)
    end = start + len(sentence)
    return (
        mark(text[:start])
        + Markup('<span class="best">')
        + mark(text[start:end])
        + Markup("</span>")
        + mark(text[end:])
    )


WIDTH, HEIGHT, LEFT, BOTTOM = 720, 200, 36, 28


def timeline_chart(timeline: dict[str, Any]) -> Markup:
    """The timeline as an SVG chart: a bar per year (or per country, the 25 highest), each bar the
    share of that year's documents with a passage on the topic. Drawn on the server: no script."""
    buckets = timeline["buckets"] if timeline["by"] == "year" else timeline["buckets"][:25]
    if not buckets:
        return Markup('<p class="muted">No documents in scope.</p>')
    top = max(b["share"] for b in buckets) or 1.0
    if timeline["by"] != "year":
        return _country_bars(buckets, top)
    step = (WIDTH - LEFT) / len(buckets)
    bars: list[Markup] = []
    label_every = max(1, round(len(buckets) / 12))
    for i, bucket in enumerate(buckets):
        height = (HEIGHT - BOTTOM) * bucket["share"] / top
        x = LEFT + i * step
        counts = f"{bucket['matching_documents']} of {bucket['documents']} documents"
        tip = f"{bucket['label']}: {counts} ({bucket['share']:.0%})"
        bars.append(
            Markup('<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>')
            % (x + step * 0.1, HEIGHT - BOTTOM - height, step * 0.8, height, tip)
        )
        if i % label_every == 0:
            bars.append(
                Markup('<text class="tick" x="%.1f" y="%d">%s</text>')
                % (x + step / 2, HEIGHT - 10, bucket["label"])
            )
    axis = Markup('<text class="tick start" x="0" y="12">%s</text>') % f"{top:.0%}"
    return (
        Markup('<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Share of documents per year">')
        % (WIDTH, HEIGHT)
        + axis
        + Markup("").join(bars)
        + Markup("</svg>")
    )


def _country_bars(buckets: list[dict[str, Any]], top: float) -> Markup:
    row = 22
    height = row * len(buckets)
    parts: list[Markup] = []
    for i, bucket in enumerate(buckets):
        width = (WIDTH - 200) * bucket["share"] / top
        y = i * row
        parts.append(
            Markup('<text class="tick start" x="0" y="%d">%s</text>') % (y + 15, bucket["label"][:24])
        )
        parts.append(
            Markup('<rect class="bar" x="190" y="%d" width="%.1f" height="%d"><title>%s</title></rect>')
            % (y + 4, width, row - 8, f"{bucket['matching_documents']} of {bucket['documents']} documents")
        )
        parts.append(
            Markup('<text class="tick start" x="%.1f" y="%d">%s</text>')
            % (196 + width, y + 15, f"{bucket['share']:.0%}")
        )
    return (
        Markup(
            '<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Share of documents per country">'
        )
        % (WIDTH, height)
        + Markup("").join(parts)
        + Markup("</svg>")
    )
