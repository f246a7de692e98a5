"""Results: what a search, a "more like this" and a shown passage give back, and their JSON.

Every answer the core gives is one of these types, and each is turned into JSON here and only
here: the CLI's --json, the tests and any other front end print the same fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .words import query_terms, stem

if TYPE_CHECKING:
    from .planning import Plan


@dataclass
class Hit:
    rank: int
    score: float
    passage_id: str
    doc_id: str
    title: str
    date: str | None
    source: str
    paragraph: int | None  # as cited: the document's own number where it numbers its paragraphs
    text: str
    n: int
    meta: dict[str, Any] = field(default_factory=dict)
    explain: dict[str, Any] | None = None
    window: str = ""  # the passage that matched, when `text` shows it with its paragraph around it
    block: int = 0  # position of its paragraph among the document's blocks
    page: int | None = None  # 1-based page where the passage starts (PDF)
    part: str | None = None  # title, summary, preamble, footnote; None for body text
    # Cosine similarity of the passage to the question, where the question was embedded: unlike
    # `score`, whose scale depends on how the ranking was fused, it compares across questions.
    cosine: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "cosine": round(self.cosine, 4) if self.cosine is not None else None,
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "paragraph": self.paragraph,
            "block": self.block,
            "page": self.page,
            "part": self.part,
            "passage": self.n,
            "text": self.text,
            "window": self.window or self.text,
            "citation": self.citation(),
            "speaker": dict(zip(("key", "label", "kind"), self.speaker(), strict=True)),
            "meta": self.meta,
            **({"explain": self.explain} if self.explain is not None else {}),
        }

    def speaker(self) -> tuple[str, str, str]:
        """Who speaks: (key, label, kind), as `documents.names.speaker` reads the metadata."""
        from .documents.names import speaker

        return speaker(self.meta, self.doc_id, self.title)

    def where(self) -> str:
        """Where the passage sits, as a researcher cites it: "para. 11, p. 4", "footnote, p. 4", "p. 12"."""
        page = f"p. {self.page}" if self.page is not None else ""
        if self.part is not None:
            place = self.part
        elif self.meta.get("symbol") and page and not self.meta.get("numbered"):
            place = ""  # a verbatim record numbers no paragraphs: it is cited by page
        else:
            place = f"para. {self.paragraph}" if self.paragraph is not None else ""
        return ", ".join(p for p in (place, page) if p)

    def citation(self) -> str:
        """The line that says where a passage comes from: "A/66/874, para. 11, p. 4 · title · date"."""
        where = self.where()
        symbol = self.meta.get("symbol")
        parts = [f"{symbol}, {where}" if symbol and where else str(symbol or ""), self.title]
        # Who spoke, and for whom, unless the title says it already (General Debate titles do);
        # a symbol names its organ already.
        for key in ("speaker", "organ", "country_name"):
            value = self.meta.get(key)
            if isinstance(value, str) and value and value.lower() not in self.title.lower():
                if not (key == "organ" and symbol):
                    parts.append(value)
        if self.date:
            parts.append(self.date)
        elif self.meta.get("year"):
            parts.append(str(self.meta["year"]))
        if not symbol and where:
            parts.append(where)
        return " · ".join(p for p in parts if p)


def best_sentence(text: str, query: str) -> str | None:
    """The sentence of `text` sharing the most query words (by stem); None if none shares any.

    Word overlap rather than a second pass through the model: it costs microseconds, and a
    cold question must stay well under a second.
    """
    from .passages import split_sentences

    stems = {stem(t) for t in query_terms(query)}
    sentences = split_sentences(text)
    if len(sentences) < 2 or not stems:
        return None
    scored = [
        (len(stems & {stem(w) for w in re.findall(r"\w+", s.lower())}), -i, s)
        for i, s in enumerate(sentences)
    ]
    overlap, _, sentence = max(scored)
    return sentence if overlap > 0 else None


def understood_json(plan: Plan, query: str = "", truncated_from: int | None = None) -> dict[str, Any]:
    """How a question was read, as `search --json` and `timeline --json` give it; `query` as
    searched, cut from `truncated_from` characters if it was."""
    return {
        "countries": list(plan.scope.countries),
        "favoured_countries": list(plan.favour),
        "countries_spoken_of": list(plan.understood.topics),
        "year_from": plan.scope.year_from,
        "year_to": plan.scope.year_to,
        "year_reading": plan.understood.year_reading,
        "leaders": [
            {"name": x.text, "country": x.country, "speaks": x.speaks, "years": list(x.years)}
            for x in plan.understood.leaders
        ],
        "unknown_speakers": list(plan.understood.unknown),
        "era": [{"year": year, "weight": round(weight, 3)} for year, weight in plan.era],
        "docs": list(plan.scope.docs),
        "symbols": list(plan.scope.symbols),
        "organs": list(plan.scope.organs),
        "searched_text": plan.text,
        "language": plan.understood.language,
        "query_truncated": {"kept_chars": len(query), "original_chars": truncated_from}
        if truncated_from
        else None,
    }


@dataclass(frozen=True)
class SearchResult:
    """One question's answer: how it was understood and searched, and the hits, best first."""

    query: str  # the question as searched: control characters out, cut to the longest kept
    plan: Plan
    fusion: tuple[str, float] | None  # (method, lexical weight) when dense and BM25 were fused
    hits: list[Hit]
    truncated_from: int | None = None  # the question's length when it was cut to the longest kept
    weak: bool = False  # no passage is close to the question: the hits are the nearest of far ones

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "query": self.query,
            "understood": understood_json(plan, self.query, self.truncated_from),
            "weak": self.weak,
            "fusion": {"method": self.fusion[0], "lexical_weight": self.fusion[1]} if self.fusion else None,
            "results": [
                hit.to_json() | {"best_sentence": best_sentence(hit.text, self.query)} for hit in self.hits
            ],
        }


@dataclass(frozen=True)
class Similar:
    """Passages like a stored one ("more like this"), that passage left out; or like a text of
    one's own (`passage_id` None), the passages it quotes left out."""

    passage_id: str | None
    text: str  # the passage or the text they are like
    hits: list[Hit]

    def to_json(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "text": self.text,
            "results": [hit.to_json() for hit in self.hits],
        }


@dataclass(frozen=True)
class Shown:
    """A passage found by id or citation, with its neighbours in document order."""

    target: Hit
    passages: list[Hit]
    also: list[str]  # other documents carrying the symbol the citation named

    def to_json(self) -> dict[str, Any]:
        return {
            "passage_id": self.target.passage_id,
            "passages": [
                p.to_json() | {"target": p.passage_id == self.target.passage_id} for p in self.passages
            ],
            "also": self.also,
        }
