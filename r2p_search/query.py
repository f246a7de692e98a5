"""What a question asks for besides its words: which countries, which years.

Researchers name them in plain language ("What did Canada say in 2012 about ...", "since 2011",
"between 2008 and 2010", "the 1990s", "at the 66th session"). `understand` finds them, so that
search can scope retrieval to those years and favour those countries while the rest of the words
drive the semantic match. `Scope` is also what the `--country`/`--year`/`--years`/`--doc`
options build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .countries import Mention, fold, mentions, names, resolve
from .documents.un import (
    JOINT_SYMBOL_ANY_CASE,
    ORDINAL_WORDS,
    ORGANS,
    has_words,
    organ_named,
    session_number,
    symbol_keys,
)
from .errors import QueryError
from .language import ENGLISH, detect
from .leaders import Leaders

FIRST_SESSION_YEAR = 1945  # the 1st session of the General Assembly opened in 1946: year = 1945 + n

_YEAR = r"(1[89]\d\d|20\d\d)"
# "the 2005 World Summit", "the 2030 Agenda": a year followed by such a word names an event.
_NOT_EVENT = (
    r"(?!\s+(?-i:World|Summit|Agenda|Conference|Declaration|Outcome|Review|Goals?|Framework|Plan|"
    r"Programme|Olympic|Games|Cup|Expo|Convention|Protocol|Treaty|Accord|Agreement|Resolution|"
    r"NPT|Review|Forum|Compact|Strategy)\b)"
)

# "At the 2017 debate": a year named with "the" is a time only before one of these words.
_TIME_NOUN = r"(?:General\s+Debate|General\s+Assembly|debate|session|speech|address|statement)\b"


@dataclass(frozen=True)
class Scope:
    """Which documents a search may return. Empty fields do not restrict."""

    countries: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    docs: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()  # document symbols, normalised (documents.un.symbol_keys)
    organs: tuple[str, ...] = ()  # UN organs by name (documents.un.ORGANS)
    not_countries: tuple[str, ...] = ()  # speakers left out ("more like this" from other voices)

    def __bool__(self) -> bool:
        fields = (
            self.countries,
            self.year_from,
            self.year_to,
            self.docs,
            self.symbols,
            self.organs,
            self.not_countries,
        )
        return any(fields)

    def years_text(self) -> str | None:
        if self.year_from is None and self.year_to is None:
            return None
        if self.year_from == self.year_to:
            return str(self.year_from)
        return f"{self.year_from or '...'}-{self.year_to or '...'}"

    def describe(self) -> str:
        parts = []
        if self.countries:
            parts.append("country: " + country_names(self.countries))
        if self.years_text():
            parts.append(f"year: {self.years_text()}")
        if self.docs:
            parts.append("document: " + ", ".join(self.docs))
        if self.symbols:
            parts.append("document: " + ", ".join(self.symbols))
        if self.organs:
            parts.append("organ: " + ", ".join(self.organs))
        if self.not_countries:
            parts.append("other than: " + country_names(self.not_countries))
        return "; ".join(parts)


@dataclass(frozen=True)
class LeaderNamed:
    text: str
    country: str
    speaks: bool
    years: tuple[int | None, int | None]


@dataclass(frozen=True)
class Understood:
    """A question, what it names, and its text without those phrases."""

    query: str
    rest: str  # the question with its year phrases removed: what the semantic match is about
    scope: Scope = field(default_factory=Scope)  # its countries are the ones named as speakers
    phrases: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # countries named as what is spoken of: "over Libya", "about Syria"
    language: str = ENGLISH  # what it seems written in (language.detect); the model reads English
    # How a year it names was read: "scope" when it dates the speech ("in its 2012 statement"),
    # "evidence" when it dates an event the speech may recall ("back in 2004"); None if it names none.
    year_reading: str | None = None
    evidence: tuple[int, ...] = ()  # the years read as evidence
    # Leaders named instead of their country ("What did Merkel say"): as written, their country,
    # whether they speak in the question, and the years the corpus mentions them in.
    leaders: tuple[LeaderNamed, ...] = ()
    # Capitalised names where a speaker goes ("What did Netanyahu say", "Merkel on refugees") that
    # are no country and no leader this index knows: searched as words only (see `speaker_names`).
    unknown: tuple[str, ...] = ()

    def spoken_of(self) -> str:
        """The countries the question is about, in words ("about: Libya"), or ""."""
        return "about: " + country_names(self.topics) if self.topics else ""

    def english_names(self) -> str:
        """For a question in another language, the English names of the countries it names that
        it does not spell so ("Libya" for "Que dit la Libye ?"); "" for an English question."""
        if self.language == ENGLISH:
            return ""
        codes = dict.fromkeys(self.scope.countries + self.topics)
        named = [(names(c) or [c])[0] for c in codes]
        return " ".join(n for n in named if fold(n) not in fold(self.query))


Era = tuple[tuple[int, float], ...]
"""Years a question's evidence points to, each with a weight from 0 to 1: a soft prior that
favours passages of those years and excludes none."""


def recalled_era(years: tuple[int, ...]) -> Era:
    """The era of a speech that recalls an event of `years` (one year, or the first and last of
    a span): those years and the ones after, fading, and the year before (a speech may announce
    what is about to happen)."""
    if not years:
        return ()
    first, last = min(years), max(years)
    fading = ((last + i, 0.5 ** (i / RECALL_HALF_LIFE)) for i in range(1, 11))
    return ((first - 1, 0.5), *((year, 1.0) for year in range(first, last + 1)), *fading)


def leader_era(years: tuple[int | None, int | None]) -> Era:
    """The era of a leader the question names as speaker: the years the corpus mentions them
    in, and a little beyond."""
    first, last = years
    if first is None or last is None:
        return ()
    return ((first - 1, 0.5), *((year, 1.0) for year in range(first, last + 1)), (last + 1, 0.5))


RECALL_HALF_LIFE = 3
"""Years after an event over which a speech recalling it loses half its prior."""


def country_names(codes: tuple[str, ...]) -> str:
    return ", ".join((names(c) or [c])[0] for c in codes)


def scope_from_options(
    countries: list[str] | None = None,
    year: int | None = None,
    years: str | None = None,
    docs: list[str] | None = None,
    symbols: list[str] | None = None,
    organs: list[str] | None = None,
) -> Scope:
    """The scope given on the command line; unknown countries and bad spans are user errors."""
    codes: list[str] = []
    for value in countries or []:
        found = resolve(value)
        if not found:
            raise QueryError(
                f"unknown country {value!r}: give a name, a common alias or an ISO code (e.g. SYR)"
            )
        codes.extend(c for c in found if c not in codes)
    year_from = year_to = None
    if year is not None and years is not None:
        raise QueryError("give --year or --years, not both")
    if year is not None:
        year_from = year_to = year
    elif years is not None:
        match = re.fullmatch(r"\s*(\d{4})?\s*(?:\.\.|-|:)\s*(\d{4})?\s*", years)
        if not match or not (match[1] or match[2]):
            raise QueryError(f"--years takes a span such as 2005..2015, 2011.. or ..1999, not {years!r}")
        year_from = int(match[1]) if match[1] else None
        year_to = int(match[2]) if match[2] else None
        if year_from and year_to and year_from > year_to:
            raise QueryError(f"--years {years}: the first year comes after the last")
    keys: list[str] = []
    for value in symbols or []:
        found_keys = symbol_keys(value)
        if found_keys and has_words(JOINT_SYMBOL_ANY_CASE.sub(" ", value)):
            raise QueryError(
                f"--symbol takes a symbol alone, not {value!r}; cite a paragraph in the question"
            )
        if not found_keys:
            raise QueryError(
                f"{value!r} is not a UN document symbol (they look like A/66/874 or S/RES/1973 (2011))"
            )
        keys.extend(k for k in found_keys if k not in keys)
    named: list[str] = []
    for value in organs or []:
        organ = organ_named(value)
        if organ is None:
            raise QueryError(
                f"unknown organ {value!r}: use one of {', '.join(ORGANS)} (or GA, SC, ECOSOC, HRC, SG)"
            )
        named.extend([organ] if organ not in named else [])
    return Scope(tuple(codes), year_from, year_to, tuple(docs or ()), tuple(keys), tuple(named))


_SPANS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:between|from)\s+{_YEAR}\s+(?:and|to|until|till)\s+{_YEAR}\b", re.I), "range"),
    (
        re.compile(rf"\b(?:in|during|over)\s+(?:the\s+years\s+)?{_YEAR}\s*(?:-|–|to)\s*{_YEAR}\b", re.I),
        "range",
    ),
    (re.compile(rf"\b{_YEAR}\s*(?:-|–)\s*{_YEAR}\b"), "bare range"),
    (re.compile(rf"\b(?:since|after)\s+{_YEAR}\b", re.I), "since"),
    (re.compile(rf"\b(?:before|until|till|prior\s+to)\s+{_YEAR}\b", re.I), "before"),
    (re.compile(r"\b(?:in\s+)?the\s+(19[4-9]0|20[0-4]0)s\b", re.I), "decade"),
    (
        re.compile(
            rf"\b(?:at\s+|during\s+|in\s+)?the\s+(\d{{1,2}}(?:st|nd|rd|th)|{ORDINAL_WORDS})\s+"
            r"(?:session|General\s+Debate|General\s+Assembly)\b(?:\s+of\s+the\s+General\s+Assembly\b)?",
            re.I,
        ),
        "session",
    ),
    (
        re.compile(rf"\b(?:in|during|at|of|for)\s+(?:the|its|their|his|her)\s+{_YEAR}\s+{_TIME_NOUN}", re.I),
        "speech",
    ),
    # Without "the": "in 2011". With it, only a debate or session is a time: "during the 1994
    # genocide" and "after the 2010 earthquake" name events, which stay in the text.
    (re.compile(rf"\b(?:in|during|at|of|for)\s+{_YEAR}\b{_NOT_EVENT}", re.I), "year"),
    (re.compile(rf"(?<![\w/-]){_YEAR}(?![\w/-]){_NOT_EVENT}"), "bare"),
]


def understand(
    query: str,
    max_year: int | None = None,
    leaders: Leaders | None = None,
    holds: Callable[[str], bool] | None = None,
) -> Understood:
    """Countries and years a question names; `rest` is the question without its year phrases.

    Country names stay in `rest`: passages are embedded with their country's name, so the name
    helps the semantic match too. `leaders`, an index's leaders table, reads a leader's name as
    a name of the leader's country, as speaker or as topic by the same rules. `holds` says
    whether the index's passages hold a word: see `speaker_names`.
    """
    scope_years: tuple[int | None, int | None] = (None, None)
    reading: str | None = None
    evidence: tuple[int, ...] = ()
    phrases: list[str] = []
    rest = query
    language = detect(query)
    for pattern, kind in _SPANS:
        match = pattern.search(rest)
        if not match:
            continue
        if kind == "bare" and _event_year(rest, match):
            continue
        if kind == "session":
            values = [session_number(match.group(1))]
        else:
            values = [int(g) for g in match.groups() if g]
        if kind in ("range", "bare range"):
            low, high = sorted(values)
            scope_years = (low, high)
        elif kind == "since":
            scope_years = (values[0] + (1 if match.group(0).lower().startswith("after") else 0), None)
        elif kind == "before":
            scope_years = (None, values[0] - (1 if re.match(r"(?i)before|prior", match.group(0)) else 0))
        elif kind == "decade":
            scope_years = (values[0], values[0] + 9)
        elif kind == "session":
            scope_years = (FIRST_SESSION_YEAR + values[0],) * 2
        else:
            scope_years = (values[0], values[0])
        if max_year is not None and scope_years[0] is not None and scope_years[0] > max_year:
            break  # "by 2030": a target, not a time to search in
        phrases.append(match.group(0).strip())
        if kind in ("year", "bare", "bare range") and _dates_an_event(rest, match, kind):
            # Evidence, not a wall: the speech recalling "back in 2004" may be years later. The
            # year stays in the text, where a passage naming it matches it.
            reading, evidence, scope_years = "evidence", tuple(sorted(values)), (None, None)
        else:
            reading = "scope"
            rest = (rest[: match.start()] + " " + rest[match.end() :]).strip()
        break
    else:
        scope_years = (None, None)
    if not phrases:
        scope_years = (None, None)
    codes: list[str] = []
    topics: list[str] = []
    previous: tuple[int, bool] | None = None  # where the last name ended, and whether it was a topic
    found = list(mentions(rest, language))
    spans: dict[int, tuple[int | None, int | None]] = {}  # leader mentions by start: their years
    if leaders is not None and language == ENGLISH:
        for mention, years in leaders.in_question(rest):
            if not any(m.start < mention.end and mention.start < m.end for m in found):
                found.append(mention)
                spans[mention.start] = years
        found.sort(key=lambda m: m.start)
    named: list[LeaderNamed] = []
    for i, mention in enumerate(found):
        phrases.append(mention.text)
        topic = _spoken_of(rest, mention.start, mention.end, previous, _list_end(rest, found, i))
        if mention.start in spans and re.search(r"\bthe\s+$", rest[: mention.start], re.I):
            topic = True  # "the killing by the Assad government": a leader's name as a label
        role = topics if topic else codes
        role.extend(c for c in mention.codes if c not in role)
        previous = (mention.end, topic)
        if mention.start in spans:
            named.append(LeaderNamed(mention.text, mention.codes[0], not topic, spans[mention.start]))
    topics = [c for c in topics if c not in codes]
    unknown = tuple(speaker_names(rest, found, holds)) if language == ENGLISH else ()
    rest = " ".join(rest.split()).strip(" ,;")
    scope = Scope(tuple(codes), *scope_years)
    return Understood(
        query,
        rest or query,
        scope,
        tuple(phrases),
        tuple(topics),
        language,
        reading,
        evidence,
        tuple(named),
        unknown,
    )


# Before "in 2004", words that put the year in the speech's past: "back in 2004", "as early as
# 2004", "had warned in 2004", "recalls that in 2004", "a programme it launched in 2004".
_RECALLED = re.compile(
    r"\b(?:back|as\s+early\s+as|already|even|once|first|originally|earlier|previously)\s*$"
    r"|\b(?:had|recalls?|recalled|recalling|remembers?|remembered|reminds?|reminded|"
    r"looks?\s+back|looked\s+back)\b"
    r"|\b(?:it|they|which|that)\s+(?:has\s+|had\s+|was\s+|were\s+)?\w+ed\s*$",
    re.I,
)


def _dates_an_event(text: str, match: re.Match[str], kind: str) -> bool:
    """Whether the year at `match` dates something the speech may recall, not the speech itself.

    "What did Vietnam urge in 2020", "In 2013, what did Syria say" and "Syria 2011" date the
    speech. "back in 2004", "the elections of 2006" and "its own 1998 peace accord" date events.
    """
    before = text[: match.start()]
    if _RECALLED.search(before):
        return True
    if kind == "year":
        return match.group(0).split()[0].lower() in ("of", "for")
    # A bare year or span of years ("the 1984-1985 famine"): in a few keywords ("Syria 2011"), or
    # first or last in a question, the speech's.
    after = text[match.end() :]
    if len(text.split()) <= 4 or not before.strip(" ,;:") or not after.strip(" ,;:?.!"):
        return False
    return True


# Where a speaker is named: as the subject after an auxiliary or a question word ("What did
# Canada say", "How has Rwanda described", "what Russia said"), after "by" ("statements by
# France"), or first when the words after it say it speaks (_SPEAKER_AFTER). Anywhere else a
# country is what is spoken of: "Syria", "who invoked R2P over Libya", "the war in Syria",
# "which countries criticised Russia".
_SPEAKER_BEFORE = re.compile(
    r"\b(?:did|does|do|has|have|had|is|was|were|will|would|can|could|should|may|might|"
    r"what|how|why|when|where|whether|by)[\s,;:]*(?:the\s+)?$",
    re.I,
)
# A question that starts with a country names its speaker only by what follows: "Russia on
# Ukraine", "Syria's statement", "Chile says ...", "the North Korean delegation's reply". A bare
# "Syria", or "Syria chemical weapons", asks what was said about Syria, by anyone.
_SPEAKER_AFTER = re.compile(
    r"(?:['’]s?)?\s+(?:own\s+)?(?:on|says?|said|argues?|argued|calls?|called|urges?|urged|warns?|"
    r"recalls?|recalled|reminds?|reminded|compares?|compared|describes?|described|"
    r"warned|proposes?|proposed|insists?|insisted|stresses|stressed|claims?|claimed|believes?|"
    r"told|tells|statements?|speech(?:es)?|address(?:es)?|remarks|views?|positions?|stance|words|"
    r"reply|response|delegation|government|president|prime\s+minister|foreign\s+minister|"
    r"minister|representative|ambassador|leaders?|king)\b",
    re.I,
)
_START = re.compile(r"^[\s,;:]*(?:the\s+)?$", re.I)
_POSSESSIVE = re.compile(r"['’]s?\s")
# What a country owns that speaks for it: "Ivory Coast's new president", "Iran's delegation".
_VOICE_OWNED = re.compile(
    r"['’]s?\s+(?:[\w-]+\s+){0,2}?(?:president|prime\s+minister|foreign\s+minister|minister|government|"
    r"delegation|delegate|representative|ambassador|leaders?|leadership|king|queen|emir|sultan|"
    r"chancellor|premier|authorities|statements?|speech|address|remarks|views?|positions?|stance|words|"
    r"reply|response|proposals?)\b",
    re.I,
)
_LIST_BEFORE = re.compile(r"^\s*(?:,|and|or|,\s*and|,\s*or)\s+(?:the\s+)?$", re.I)
# A country's name inside a longer one: "the South China Sea", "the Sudan People's Liberation Army".
_LONGER_NAME = re.compile(r"\s+(?:Sea|Ocean|Gulf|Peninsula|Basin|River|Lake|Strait|Straits|People's)\b")


def _spoken_of(
    text: str, start: int, end: int, previous: tuple[int, bool] | None, list_end: int | None = None
) -> bool:
    """Whether the country named at text[start:end] is what the question is about, not its
    speaker; `list_end` is where the list of names it starts ends.

    A name in a list takes the role of the name before it: in "did Canada and Chile say" both
    spoke, in "about Syria and Libya" both are spoken of.
    """
    if _LONGER_NAME.match(text, end):
        return True
    if previous is not None and _LIST_BEFORE.match(text[previous[0] : start]):
        return previous[1]
    if _START.match(text[:start]):
        return _SPEAKER_AFTER.match(text, list_end or end) is None
    if _POSSESSIVE.match(text, list_end or end) and not _VOICE_OWNED.match(text, list_end or end):
        return True  # "when Venezuela's rival camps agreed": its camps, not its voice
    return _SPEAKER_BEFORE.search(text[:start]) is None


_NAME_WORDS = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|da|de|del|van|von|bin|al))*"
# A speaker's place, as `_SPEAKER_BEFORE` and `_SPEAKER_AFTER` read it, held by capitalised words.
_SPEAKER_NAME = re.compile(
    rf"\b(?:did|does|do|has|have|had|will|would)\s+(?P<asked>{_NAME_WORDS})\s+(?:say|said|tell|think|"
    r"argue|propose|describe|call|want|mean|claim|warn|urge|promise|announce|view|see|make)\b"
    rf"|^\s*(?P<first>{_NAME_WORDS})(?:['’]s?)?\s+(?:on|says?|said)\s"
)


def speaker_names(
    text: str, found: Sequence[Mention], holds: Callable[[str], bool] | None = None
) -> list[str]:
    """Capitalised words where a question puts its speaker ("What did Netanyahu say", "Merkel on
    refugees") that no found country or leader covers; acronyms ("NATO", "UN") left out.

    A question's first word is capitalised whatever it is ("Sanctions on Iran"): there a word
    counts as a name only if `holds` says the index's passages do not hold it.
    """
    names = []
    for match in _SPEAKER_NAME.finditer(text):
        group = "asked" if match.group("asked") else "first"
        start, end = match.span(group)
        name = match.group(group)
        if any(m.start < end and start < m.end for m in found) or name.isupper():
            continue
        if group == "first" and (holds is None or any(holds(w) for w in name.split())):
            continue
        names.append(name)
    return names


def _list_end(text: str, found: list[Mention], i: int) -> int:
    """Where the list of names that starts with found[i] ends: "Canada and Chile" in
    "Canada and Chile on debt relief"."""
    end = found[i].end
    for mention in found[i + 1 :]:
        if not _LIST_BEFORE.match(text[end : mention.start]):
            break
        end = mention.end
    return end


def _event_year(text: str, match: re.Match[str]) -> bool:
    if text[: match.start()].endswith("(") and text[match.end() :].startswith(")"):
        return True  # "resolution 1701 (2006)": the year of a document, not of the question
    before = text[: match.start()].rstrip().lower()
    return before.endswith(
        ("the", "agenda", "by", "of the", "resolution", "resolutions", "no.", "number")
    ) or bool(re.match(r"\s*%|\s*(?:per|million|billion)", text[match.end() :]))
