"""Leaders: the heads of state and government the corpus names, mined at build time, so that a
question may name a leader instead of the country ("What did Merkel say about refugees").

No installable package lists leaders by country and year, but the speeches know them: they name
other countries' leaders with their titles, beside the country ("President Lula of Brazil",
"German Chancellor Angela Merkel"), and their own ("as President Kagame said"), in the years
they served. `mine` reads every passage once and keeps, for each name, the country most
associated with it and the span of years it is mentioned in. A `speaker` given by a document's
metadata counts above any mention. The table lives in the build's SQLite (store.py), and
`Leaders` reads a question's names against it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .countries import Mention, fold, mentions

TITLES = (
    r"President|Prime\s+Minister|Chancellor|King|Queen|Emir|Amir|Sultan|Sheikh|Shaikh|Crown\s+Prince|"
    r"Premier|Ayatollah|Grand\s+Duke|Emperor|Taoiseach|Foreign\s+Minister|Secretary\s+of\s+State|"
    r"Minister\s+(?:for|of)\s+Foreign\s+Affairs"
)
_PARTICLE = r"(?:da|de|dos|do|das|del|della|di|van|von|der|den|bin|ibn|al|el|le|la)"
_NAME_WORD = r"[A-Z][^\W\d_]*(?:['’-][^\W\d_]+)*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{0,3}}"
_ONE_HONORIFIC = r"(?:Mr|Mrs|Ms|Dr|Sir|Tun|His\s+Excellency|Her\s+Excellency|H\.\s?E)\.?\s+"
_HONORIFIC = rf"(?:{_ONE_HONORIFIC})*"
# A title and the capitalised words after it: "President Luiz Inácio Lula da Silva", or after a
# comma and an honorific, as the UN writes it: "Israel's Prime Minister, Mr. Netanyahu".
_MENTION = re.compile(rf"\b(?P<title>{TITLES})(?:,\s+(?:{_ONE_HONORIFIC})+|\s+)(?P<name>{_NAME})")
# A title of a country, or "our"/"my" title, then a comma and the name: the country said before it.
_TITLE_THEN_NAME = re.compile(
    rf"(?:\b(?P<title>{TITLES})\s+of\s+(?:the\s+)?(?P<place>[A-Z][^,.;]{{1,50}}?)"
    rf"|\b(?:[Oo]ur|[Mm]y)\s+(?P<own>{TITLES})),\s+{_HONORIFIC}"
    rf"(?P<name>{_NAME})"
)
# "Mr. President, Mr. X": the speaker addresses the President of the Assembly, of any country.
_VOCATIVE = re.compile(r"\b(?:Mr|Madam|Madame|Mister)\.?\s+$")
# What speeches say around the President of the Assembly (`_of_the_assembly`).
_ASSEMBLY = re.compile(
    r"\b(?:presidency|predecessor|outgoing|(?:his|her|your) (?:election|able|skilful|wise)|(?:the|this|its|"
    r"[a-z]+-[a-z]+) session)\b"
)
# The name first, then the title of a country: "Dr. Mohamad Mahathir, Prime Minister of Malaysia".
# An honorific must open it, or any capitalised words before a comma would pass for a name.
_NAME_THEN_TITLE = re.compile(
    rf"(?<![\w.])(?:{_ONE_HONORIFIC})+(?P<name>{_NAME}),\s+(?:the\s+)?(?P<title>{TITLES})\s+of\s+"
    r"(?:the\s+)?(?P<place>[A-Z][^,.;:()]{1,50})"
)
# Words that follow a title without being a name: "President of the General Assembly", "Mr.".
_NOT_NAME = set(
    "of the and mr mrs ms general assembly council republic government elect emeritus minister "
    "president his her excellency majesty highness in on for state states office bureau secretary "
    "deputy vice".split()
)

RULES = 2
"""The version of the rules `mine` reads by: a build mined by other rules is mined again by the
next `index` run (store.py keeps it as the database's user_version)."""

METADATA = 100.0  # a document's `speaker` field: the corpus's owner said so
BESIDE = 3.0  # the country said beside the name: "President Lula of Brazil", "German Chancellor Merkel"
OWN = 1.0  # the speech's own country, when no sentence around names one, once a speech: a country
# names its own leader in speech after speech, a foreign one in a few, each many times
MIN_MENTIONS = 2  # a name mentioned once may be a misreading
ERA_MIN_MENTIONS = 10  # fewer mentions than this span too few years to date a question
LEAD = 2.0  # the country chosen must have this many times the evidence of the next one
OWN_MIN_SPEECHES = 3  # a country's own leader, named with no country beside, in this many of its speeches


@dataclass(frozen=True)
class Leader:
    key: str  # the folded word or words a question may use: "merkel", "lula da silva"
    name: str  # as most often written, with its title: "Chancellor Angela Merkel"
    country: str  # ISO code
    first_year: int | None  # the span of years it is mentioned in, most of its mentions within
    last_year: int | None
    mentions: int
    share: float  # of the name's evidence, its country's


def _keys(name: str) -> list[str]:
    """The forms a question may use for a name: the whole name and its last word ("Merkel" of
    "Angela Merkel"). Not a first name alone: "Mahmoud" and "Mohammed" name many people; nor
    its first two words, which are often two first names ("Juan Carlos", "José Manuel"): a
    question's part of a longer name is read by `Leaders`."""
    # A hyphen joins or parts a name as the writer pleases: "Johnson-Sirleaf", "Kim Dae-jung".
    folded = fold(name).replace("-", " ").split()
    words = [w for w in folded if not re.fullmatch(_PARTICLE, w)]
    keys = [" ".join(folded)]
    if len(words) > 1 and words[-1] not in keys:
        keys.append(words[-1])
    return [k for k in keys if len(k) >= 3 and k not in _NOT_NAME]


def _country_beside(text: str, start: int, end: int) -> tuple[str, ...]:
    """The country said right before the title ("Brazil's President", "German Chancellor", "the
    United States President") or right after the name ("President Lula of Brazil")."""
    window_start = max(0, start - 40)
    # With the title: "German" names a country only before a word such as "Chancellor". Only a
    # space or "'s" between: "Ecuador, President Fujimori" lists two countries' leaders.
    for m in reversed(mentions(text[window_start:end])):
        if m.end <= start - window_start and re.fullmatch(
            r"(?:['’]s)?\s+", text[window_start + m.end : start]
        ):
            return m.codes
    after = re.match(r",?\s+of\s+(?:the\s+)?", text[end : end + 12])
    if after:
        found = mentions(text[end + after.end() : end + after.end() + 40])
        if found and found[0].start == 0:
            return found[0].codes
    return ()


def mine(
    passages: Iterable[tuple[str, str | None, int | None]],
    speakers: Iterable[tuple[str, str | None, int | None]] = (),
) -> list[Leader]:
    """Leaders from (text, country, year) of every passage, and (speaker, country, year) of every
    document whose metadata names its speaker."""
    evidence: dict[str, Counter[str]] = defaultdict(Counter)  # key -> country -> weight
    said: dict[str, Counter[str]] = defaultdict(Counter)  # key -> country said beside it or in metadata
    years: dict[str, list[int]] = defaultdict(list)  # key -> the years it is mentioned in
    spelled: dict[str, Counter[str]] = defaultdict(Counter)  # key -> written forms
    counted: Counter[str] = Counter()
    own: set[tuple[str, str, int | None]] = set()  # (key, country, year) counted as its own
    own_speeches: dict[str, Counter[str]] = defaultdict(Counter)  # key -> country -> such speeches

    def add(key: str, country: str, weight: float, year: int | None, written: str) -> None:
        evidence[key][country] += weight
        if weight > OWN:
            said[key][country] += 1
        spelled[key][written] += 1
        counted[key] += 1
        if year is not None:
            years[key].append(year)

    def said_beside(name: str, title: str, codes: tuple[str, ...], year: int | None) -> None:
        written = f"{' '.join(title.split())} {name}"
        for key in _keys(name):
            for code in codes:
                add(key, code, BESIDE / len(codes), year, written)

    for text, country, year in passages:
        for match in _MENTION.finditer(text):
            name = _trim(match.group("name"))
            if not name or _VOCATIVE.search(text, 0, match.start()) or _of_the_assembly(text, match):
                continue
            end = match.start("name") + len(name)
            beside = _country_beside(text, match.start(), end)
            if beside:
                said_beside(name, match.group("title"), beside, year)
            elif country and not _names_another_country(text, match.start(), country):
                written = f"{' '.join(match.group('title').split())} {name}"
                for key in _keys(name):
                    weight = OWN if (key, country, year) not in own else 0.0
                    if weight:
                        own.add((key, country, year))
                        own_speeches[key][country] += 1
                    add(key, country, weight, year, written)
        # The UN's own form: "the Prime Minister of Malaysia, Mr. Mahathir", "our President, Mr. X".
        for match in _TITLE_THEN_NAME.finditer(text):
            name = _trim(match.group("name"))
            place = match.group("place")
            codes = (country,) if place is None and country else ()
            if place is not None:
                found = mentions(place)
                codes = found[0].codes if found and found[0].start == 0 and found[0].end == len(place) else ()
            if name and codes and not _of_the_assembly(text, match):
                said_beside(name, match.group("title") or match.group("own"), codes, year)
        for match in _NAME_THEN_TITLE.finditer(text):
            name = _trim(match.group("name"))
            found = mentions(match.group("place"))
            # Not "Mr. X, President of the General Assembly": the place must be a country.
            if name and found and found[0].start == 0 and not _of_the_assembly(text, match):
                said_beside(name, match.group("title"), found[0].codes, year)
    for speaker, country, year in speakers:
        if country and speaker:
            for key in _keys(speaker):
                add(key, country, METADATA, year, speaker)
    leaders = []
    for key, by_country in evidence.items():
        if counted[key] < MIN_MENTIONS:
            continue
        (country, weight), *others = by_country.most_common(2)
        if others and weight < LEAD * others[0][1]:
            continue  # "Abdullah": Jordan's king and Saudi Arabia's
        if not said[key][country] and not _own_leader(own_speeches[key], country):
            continue  # Israel's speeches name President Abbas more than any other one country's
        share = round(weight / sum(by_country.values()), 3)
        span = sorted(years[key])
        first, last = (_quantile(span, 0.1), _quantile(span, 0.9)) if span else (None, None)
        name = spelled[key].most_common(1)[0][0]
        leaders.append(Leader(key, name, country, first, last, counted[key], share))
    return sorted(leaders, key=lambda leader: leader.key)


def _own_leader(speeches: Counter[str], country: str) -> bool:
    """Whether a name no country was said beside is a country's own leader: named in at least
    OWN_MIN_SPEECHES of its speeches, and in at least half of the speeches naming it that way."""
    return speeches[country] >= OWN_MIN_SPEECHES and 2 * speeches[country] >= sum(speeches.values())


def _trim(name: str) -> str:
    """The name without trailing words that are not part of it ("Obama Administration")."""
    words = re.sub(r"['’]s$", "", name).split()
    while words and fold(words[-1]) in _NOT_NAME | {"administration", "government", "cabinet"}:
        words.pop()
    if not words or fold(words[0]) in _NOT_NAME:
        return ""
    if mentions(" ".join(words)):
        return ""  # "President Bush" is a name; "King Abdullah of Jordan" was cut at "of"; a
        # "President Assad Syria" or a place ("Queen Elizabeth Islands") is not one to keep
    return " ".join(words)


def _sentence(text: str, start: int) -> str:
    sentence_start = max(text.rfind(". ", 0, start), 0)
    sentence_end = text.find(". ", start)
    return text[sentence_start : sentence_end if sentence_end >= 0 else len(text)]


def _of_the_assembly(text: str, match: re.Match[str]) -> bool:
    """Whether a "President" is the President of the General Assembly, elected from a country
    for a year and thanked in every speech ("President Insanally of Guyana on his election to
    the presidency"): the words around speak of a session, a presidency, an election or an
    outgoing predecessor, as speeches thank that President and seldom a head of state."""
    title = match.group("title") or match.groupdict().get("own") or ""
    around = text[max(0, match.start() - 60) : match.end() + 120]
    return title == "President" and bool(_ASSEMBLY.search(around))


def _names_another_country(text: str, start: int, own: str) -> bool:
    """Whether the sentence around a mention names a country other than the speech's `own`: then
    that country may be the leader's, and the mention is not counted for the speech's."""
    return any(own not in m.codes for m in mentions(_sentence(text, start)))


def _quantile(values: Sequence[int], q: float) -> int:
    return values[min(len(values) - 1, int(q * len(values)))]


def _inside_a_longer_name(text: str, words: list[re.Match[str]], first: int, end: int) -> bool:
    """Whether the words from `first` to `end` sit beside other capitalised words of one name:
    "Mahmoud Darwish" is not the Mahmoud the table may know."""
    titled = re.search(rf"\b(?:{TITLES})\s+$", text[: words[first].start()])
    before = (
        first > 0
        and not titled
        and words[first - 1].group(0)[0].isupper()
        and text[words[first - 1].end() : words[first].start()] == " "
    )
    after = (
        end < len(words)
        and words[end].group(0)[0].isupper()
        and text[words[end - 1].end() : words[end].start()] == " "
    )
    # A question's first word is capitalised whatever it is: "Modi on terrorism", "What did ...".
    return bool(after or (before and first - 1 > 0))


class Leaders:
    """A build's leaders table, read for the names a question holds."""

    def __init__(self, lookup: dict[str, tuple[str, str, int | None, int | None, int]]) -> None:
        self._lookup = lookup  # key -> (name, country, first year, last year, mentions)
        # The first or last words of a longer name, as a question may shorten it: "Evo Morales"
        # of "Evo Morales Ayma", "Lula da Silva" of "Luiz Inácio Lula da Silva". Only a part
        # that leads to one country; a whole name or a last word the table holds comes first.
        # Of the entries a part begins or ends, the most mentioned stands for it.
        parts: dict[str, list[tuple[str, str, int | None, int | None, int]]] = defaultdict(list)
        for key, entry in lookup.items():
            words = key.split()
            for n in range(2, len(words)):
                parts[" ".join(words[:n])].append(entry)
                parts[" ".join(words[-n:])].append(entry)
        self._parts = {
            part: max(entries, key=lambda entry: entry[4])
            for part, entries in parts.items()
            if len({entry[1] for entry in entries}) == 1
        }

    def in_question(self, text: str) -> list[tuple[Mention, tuple[int | None, int | None]]]:
        """The leaders a question names, as country mentions at the name's place (with its title
        before it, if any), each with the span of years of its mentions: (None, None) for a name
        mentioned too seldom for its span to say when it led."""
        found = []
        folded = fold(text)
        if len(folded) != len(text):
            return []
        words = list(re.finditer(r"[^\W\d_][\w'’-]*", text))
        i = 0
        while i < len(words):
            word = words[i]
            if not word.group(0)[0].isupper():
                i += 1
                continue
            for size in (4, 3, 2, 1):  # the longest name first: "Lula da Silva" before "Lula"
                last = words[min(i + size, len(words)) - 1]
                end = last.end()
                if re.search(r"['’]s$", text[:end]):  # "Merkel's government": the name is Merkel
                    end -= 2
                key = " ".join(folded[word.start() : end].replace("-", " ").split())
                hit = self._lookup.get(key) or self._parts.get(key)
                if hit is None or _inside_a_longer_name(text, words, i, i + size):
                    continue
                start = word.start()
                title = re.search(rf"\b(?:{TITLES})\s+$", text[:start])
                if title:
                    start = title.start()
                codes = (hit[1],)
                years = (hit[2], hit[3]) if hit[4] >= ERA_MIN_MENTIONS else (None, None)
                found.append((Mention(codes, start, end, text[start:end]), years))
                i += size
                break
            else:
                i += 1
        return found
