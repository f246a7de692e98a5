"""Planning: how a question will be searched, before any vector is computed.

A plan says what text is embedded and matched, where results must come from (the scope the
options and the question give: years, countries, documents named by their UN symbol) and which
countries' passages are favoured. Citations of a document's paragraph or page
("A/66/874 para 11", "A/66/PV.11, p. 7") are resolved here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .documents.un import find_symbols, has_words, symbol_keys
from .errors import QueryError
from .language import detect
from .query import Era, Scope, Understood, country_names, leader_era, recalled_era, understand

if TYPE_CHECKING:
    from .store import Store, StoredPassage

_PARAGRAPH_NAMED = re.compile(r"\b(?:para(?:graph)?s?\.?|¶)\s*(\d{1,4})\b", re.IGNORECASE)
_PAGE_NAMED = re.compile(r"\b(?:p|pp|page)\.?\s*(\d{1,5})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Plan:
    text: str  # what is embedded and matched
    scope: Scope  # where results must come from
    favour: tuple[str, ...]  # countries whose passages are lifted
    understood: Understood
    listing: bool = False  # the question only names documents: list their paragraphs in order
    paragraph: int | None = None  # the paragraph it names beside them, to start from
    page: int | None = None  # or the page ("A/66/PV.11, p. 7": a record numbers no paragraphs)
    era: Era = ()  # years the question's evidence points to, softly: (year, weight 0-1) pairs

    def favoured(self) -> Scope | None:
        """The part of the scope spoken by the favoured countries, if any are."""
        if not self.favour:
            return None
        return replace(self.scope, countries=self.favour)

    def spoken_of(self) -> tuple[str, ...]:
        """Countries the question is about and does not hear speak: not favoured, not kept to."""
        return tuple(
            c for c in self.understood.topics if c not in self.favour and c not in self.scope.countries
        )

    def describe(self) -> str:
        """What the search keeps to and favours, in words: "country: Chile; year: 2019"."""
        parts = [self.scope.describe()] if self.scope else []
        if self.understood.year_reading == "evidence" and self.era:
            years = "-".join(str(y) for y in self.understood.evidence)
            parts.append(f"year {years} as evidence, not a filter")
        for name in self.understood.unknown:
            parts.append(f'"{name}": no country or leader this index knows (searched as words)')
        if self.favour:
            # "Obama on Libya": say which name stood for the country.
            named = [f'"{x.text}"' for x in self.understood.leaders if x.speaks and x.country in self.favour]
            parts.append(
                Scope(self.favour).describe()
                + (f" (favoured, for {', '.join(named)})" if named else " (favoured)")
            )
        if self.understood.topics:
            # Not favoured: passages about Libya come from every country, not from Libya's speeches.
            about = self.understood.spoken_of()
            spoken_of = self.spoken_of()
            if spoken_of and not self.scope.countries:  # with --country, its own speeches are asked for
                code = spoken_of[0]
                about += f" (said by anyone; for its own speeches: --country {code})"
            parts.append(about)
        if self.listing:
            if self.paragraph is not None:
                parts.append(f"from para. {self.paragraph}")
            else:
                parts.append(f"from p. {self.page}" if self.page is not None else "in order")
        return "; ".join(parts)


@dataclass(frozen=True)
class Named:
    """The indexed documents a question names by symbol, the rest of it, and a paragraph or page
    it cites."""

    keys: tuple[str, ...]  # symbols, normalised
    rest: str
    paragraph: int | None
    page: int | None = None


class Planner:
    """Plans questions against one index: what it holds decides which years and symbols count."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._max_year: int | None = None

    def understand(self, query: str) -> Understood:
        """The countries and years a question names, with this index's last year as a bound."""
        if self._max_year is None:
            self._max_year = self.store.year_span()[1] or 0
        return understand(query, self._max_year or None, self.store.leaders(), self._holds)

    def _holds(self, word: str) -> bool:
        """Whether any passage holds a word (as BM25 reads it: folded and stemmed)."""
        return self.store.term_count(f'"{word.lower()}"') > 0

    def plan(self, query: str, scope: Scope | None = None, literal: bool = False) -> Plan:
        """How a query will be searched: its text, the scope it must keep to, the countries it favours."""
        scope = scope or Scope()
        if scope.symbols and not any(self.store.with_symbol(key) for key in scope.symbols):
            raise QueryError(f"no document with symbol {', '.join(scope.symbols)} in this index")
        for doc in scope.docs:
            if not self.store.has_document(doc):
                shown = doc.encode("utf-8", "replace").decode("utf-8")
                raise QueryError(
                    f"no document {shown!r} in this index (--doc takes a document id as search prints "
                    "it, e.g. 2011/SYR_66_2011, or a file name)"
                )
        if literal:
            # Read as it is, but still in a language the model may not read.
            return Plan(query, scope, (), Understood(query, query, language=detect(query)))
        understood = self.understand(query)
        said = understood.scope
        hard = scope
        text = query
        if said.years_text() and not scope.years_text():
            scoped = replace(scope, year_from=said.year_from, year_to=said.year_to)
            # "in 1850", with nothing from 1850: search everything rather than nothing.
            if self._exists(scoped):
                hard = scoped
                # Embedded without the year phrases it was scoped by ("in 2012").
                text = understood.rest
            else:
                understood = replace(understood, rest=query, scope=Scope(said.countries))
        if understood.english_names():
            # The model reads English: "Que dit la Libye ?" is searched with "Libya" too.
            text = f"{text} {understood.english_names()}"
        # "What did Merkel say": passages carry their country's name, not their leader's.
        unnamed = [
            x.country for x in understood.leaders if x.speaks and country_names((x.country,)) not in text
        ]
        if unnamed:
            text = f"{text} {country_names(tuple(dict.fromkeys(unnamed)))}"
        favour = () if scope.countries else said.countries
        era: Era = ()
        if not hard.years_text():
            speaking = [x for x in understood.leaders if x.speaks]
            era = recalled_era(understood.evidence) or (leader_era(speaking[0].years) if speaking else ())
        named = None if scope.symbols or scope.docs else self.named_documents(query)
        if named is not None:
            # "A/66/874 early warning": the words are searched within the document named.
            hard = replace(hard, symbols=named.keys)
            listing = not has_words(named.rest)
            text = query if listing else named.rest
            return Plan(text, hard, favour, understood, listing, named.paragraph, named.page, era)
        return Plan(text, hard, favour, understood, era=era)

    def named_documents(self, query: str) -> Named | None:
        """The symbols of indexed documents a question names (normalised), the question without
        them, and a paragraph or page it names beside them ("A/66/874 para 11", "A/66/PV.11, p. 7");
        None if it names none."""
        keys: list[str] = []
        rest = query
        for symbol in find_symbols(query, any_case=True):
            known = [key for key in symbol_keys(symbol) if self.store.with_symbol(key)]
            if known:
                keys.extend(k for k in known if k not in keys)
                rest = rest.replace(symbol, " ")
        if not keys:
            return None
        paragraph = page = None
        cited = _PARAGRAPH_NAMED.search(rest)
        if cited:
            paragraph = int(cited.group(1))
            rest = rest[: cited.start()] + " " + rest[cited.end() :]
        on_page = _PAGE_NAMED.search(rest)
        if on_page:
            page = int(on_page.group(1))
            rest = rest[: on_page.start()] + " " + rest[on_page.end() :]
        return Named(tuple(keys), " ".join(rest.strip(" ,;:.").split()), paragraph, page)

    def cited_in(self, text: str) -> StoredPassage | None:
        """The passage "DOC_ID para 22" (or "SYR_66_2011, para. 22") names: a document by its id,
        the last part of its id or its file name, and a paragraph as its citation numbers it."""
        cited = _PARAGRAPH_NAMED.search(text)
        if cited is None:
            return None
        doc = text[: cited.start()].strip(" ,;:")
        if not doc or " " in doc or text[cited.end() :].strip(" .,;:"):
            return None
        for doc_id in self.store.scope_docs(Scope(docs=(doc,))):
            passage = self.store.cited_passage(doc_id, int(cited.group(1)))
            if passage is not None:
                return passage
        return None

    def cited(self, named: Named) -> StoredPassage | None:
        """The passage a citation names: a paragraph ("A/66/874, para. 11") or, for a record that
        numbers none, a page ("A/66/PV.11, p. 7"); None if it is not a citation or cites nothing."""
        if (named.paragraph is None and named.page is None) or has_words(named.rest):
            return None
        for doc_id in self.store.scope_docs(Scope(symbols=named.keys)):
            if named.paragraph is not None:
                passage = self.store.cited_passage(doc_id, named.paragraph)
            else:
                passage = self.store.page_passage(doc_id, named.page or 0)
            if passage is not None:
                return passage
        return None

    def _exists(self, scope: Scope) -> bool:
        sql, params = self.store.scope_sql(scope)
        return bool(self.store.db.execute(f"SELECT EXISTS ({sql})", params).fetchone()[0])
