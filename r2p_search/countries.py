"""Countries: ISO 3166 codes, their names, and the names people actually use.

Names come from `pycountry` (maintained ISO data: name, common name, official name, and former
states such as Yugoslavia). It lacks many names in daily use ("Ivory Coast", "Burma", "Russia",
"the UK"), so a short reviewed list of aliases is added here. `resolve` reads one value (a
`--country` option, a metadata field); `mentions` finds the countries named in a question,
by name or by a people's adjective before a word for those who speak for it ("the Brazilian
president", "the Ivorian government"). The adjectives come from `pycountryinfo` (REST Countries
demonyms), with a few reviewed forms it lacks.

A question in another language (`language.detect`) also names countries in that language
("Que dit la Libye ?"): pycountry ships ISO 3166's names translated (gettext catalogues), read
only for such a question, with a short reviewed list of the short names they lack ("Russie").
An English question never reads them: "Maurice" and "Granada" are English words too.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Names in common use that pycountry does not give, and codes the UN uses for bodies that are
# not ISO countries. Reviewed by hand: each maps to exactly what a reader means by it.
ALIASES: dict[str, tuple[str, ...]] = {
    "ivory coast": ("CIV",),
    "cote d'ivoire": ("CIV",),
    "burma": ("MMR",),
    "russia": ("RUS",),
    "soviet union": ("RUS",),
    "iran": ("IRN",),
    "syria": ("SYR",),
    "south korea": ("KOR",),
    "republic of korea": ("KOR",),
    "north korea": ("PRK",),
    "dprk": ("PRK",),
    "korea": ("KOR", "PRK"),
    "the two koreas": ("KOR", "PRK"),
    "bolivia": ("BOL",),
    "venezuela": ("VEN",),
    "tanzania": ("TZA",),
    "vietnam": ("VNM",),
    "laos": ("LAO",),
    "uk": ("GBR",),
    "britain": ("GBR",),
    "great britain": ("GBR",),
    "united kingdom": ("GBR",),
    "us": ("USA",),
    "usa": ("USA",),
    "united states": ("USA",),
    "america": ("USA",),
    "moldova": ("MDA",),
    "macedonia": ("MKD",),
    "czech republic": ("CZE",),
    "swaziland": ("SWZ",),
    "cape verde": ("CPV",),
    "east timor": ("TLS",),
    "drc": ("COD",),
    "dr congo": ("COD",),
    "democratic republic of the congo": ("COD",),
    "congo-kinshasa": ("COD",),
    "zaire": ("COD",),
    "republic of the congo": ("COG",),
    "congo-brazzaville": ("COG",),
    "congo": ("COG", "COD"),
    "holy see": ("VAT",),
    "vatican": ("VAT",),
    "palestine": ("PSE",),
    "micronesia": ("FSM",),
    "brunei": ("BRN",),
    "turkey": ("TUR",),
    "gambia": ("GMB",),
    "the gambia": ("GMB",),
    "bahamas": ("BHS",),
    "holland": ("NLD",),
    "european union": ("EU",),
    "yugoslavia": ("YUG",),
    "serbia and montenegro": ("YUG",),
    "czechoslovakia": ("CSK",),
    "east germany": ("DDR",),
}

# Names in the UN's other official languages that pycountry's translations lack (they give
# "Russie, Fédération de" but not "Russie"), or give wrongly (Arabic "the Maldives" for Moldova).
# Reviewed by hand, as ALIASES; they win over the translations, which win over English names.
TRANSLATED_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "russie": ("RUS",),
        "corée": ("KOR", "PRK"),
        "congo": ("COG", "COD"),
        "rdc": ("COD",),
        "congo-kinshasa": ("COD",),
        "congo-brazzaville": ("COG",),
        "saint-siège": ("VAT",),
        "vatican": ("VAT",),
        "brunéi": ("BRN",),
        "palestine": ("PSE",),
        "micronésie": ("FSM",),
        "grande-bretagne": ("GBR",),
        "hollande": ("NLD",),
        "macédoine": ("MKD",),
        "union européenne": ("EU",),
        "union soviétique": ("RUS",),
        "urss": ("RUS",),
        "yougoslavie": ("YUG",),
        "tchécoslovaquie": ("CSK",),
        "allemagne de l'est": ("DDR",),
        "rda": ("DDR",),
    },
    "es": {
        "rusia": ("RUS",),
        "corea": ("KOR", "PRK"),
        "congo": ("COG", "COD"),
        "rdc": ("COD",),
        "santa sede": ("VAT",),
        "vaticano": ("VAT",),
        "brunéi": ("BRN",),
        "palestina": ("PSE",),
        "gran bretaña": ("GBR",),
        "holanda": ("NLD",),
        "macedonia": ("MKD",),
        "eeuu": ("USA",),
        "unión europea": ("EU",),
        "unión soviética": ("RUS",),
        "urss": ("RUS",),
        "checoslovaquia": ("CSK",),
        "alemania oriental": ("DDR",),
    },
    "ar": {
        "سوريا": ("SYR",),
        "سورية": ("SYR",),
        "روسيا": ("RUS",),
        "تركيا": ("TUR",),
        "إيران": ("IRN",),
        "كوريا": ("KOR", "PRK"),
        "كوريا الجنوبية": ("KOR",),
        "كوريا الشمالية": ("PRK",),
        "لاوس": ("LAO",),
        "فيتنام": ("VNM",),
        "فلسطين": ("PSE",),
        "فنزويلا": ("VEN",),
        "الكونغو": ("COG", "COD"),
        "الكونغو الديمقراطية": ("COD",),
        "الفاتيكان": ("VAT",),
        "الكرسي الرسولي": ("VAT",),
        "أمريكا": ("USA",),
        "أميركا": ("USA",),
        "بريطانيا": ("GBR",),
        "مولدوفا": ("MDA",),
        "المالديف": ("MDV",),
        "بورما": ("MMR",),
        "كوت ديفوار": ("CIV",),
        "الاتحاد الأوروبي": ("EU",),
        "الاتحاد السوفيتي": ("RUS",),
        "الاتحاد السوفياتي": ("RUS",),
        "يوغوسلافيا": ("YUG",),
    },
    "ru": {
        "россия": ("RUS",),
        "корея": ("KOR", "PRK"),
        "конго": ("COG", "COD"),
        "дрк": ("COD",),
        "ватикан": ("VAT",),
        "святой престол": ("VAT",),
        "сша": ("USA",),
        "америка": ("USA",),
        "великобритания": ("GBR",),
        "британия": ("GBR",),
        "бруней": ("BRN",),
        "бирма": ("MMR",),
        "молдова": ("MDA",),
        "европейский союз": ("EU",),
        "евросоюз": ("EU",),
        "ес": ("EU",),
        "советский союз": ("RUS",),
        "ссср": ("RUS",),
        "югославия": ("YUG",),
        "чехословакия": ("CSK",),
        "гдр": ("DDR",),
    },
    "zh": {
        "俄国": ("RUS",),
        "北韩": ("PRK",),
        "南韩": ("KOR",),
        "刚果": ("COG", "COD"),
        "剛果": ("COG", "COD"),
        "教廷": ("VAT",),
        "欧盟": ("EU",),
        "歐盟": ("EU",),
        "欧洲联盟": ("EU",),
        "苏联": ("RUS",),
        "蘇聯": ("RUS",),
        "南斯拉夫": ("YUG",),
    },
}

# Adjectives in common use that the demonym data does not give. Reviewed by hand, as ALIASES.
DEMONYM_ALIASES: dict[str, tuple[str, ...]] = {
    "kazakh": ("KAZ",),
    "uzbek": ("UZB",),
    "tajik": ("TJK",),
    "kyrgyz": ("KGZ",),
    "philippine": ("PHL",),
    "lao": ("LAO",),
    "slovenian": ("SVN",),
    "maldivian": ("MDV",),
    "cape verdean": ("CPV",),
    "comorian": ("COM",),
    "ecuadorian": ("ECU",),
    "argentinian": ("ARG",),
    "saudi": ("SAU",),
    "bissau-guinean": ("GNB",),
    "timorese": ("TLS",),
    "soviet": ("RUS",),
}

# Those who speak for a country: "the Brazilian president", "the Ivorian government". Without
# one, an adjective names no speaker or subject ("Syrian refugees", "Libyan stockpiles").
_ROLE = re.compile(
    r"\s+(?:president|prime\s+minister|foreign\s+minister|minister|government|delegation|delegate|"
    r"representative|leader|leadership|authorities|administration|chancellor|premier|king|queen|"
    r"emir|sultan|ambassador|envoy|regime|head\s+of\s+(?:state|government)|vice[-\s]president)\b",
    re.I,
)
# Reading the demonym data costs a cold question time (benchmarks/README.md): only a word that
# could be a people's adjective before such a word is worth it ("which government" is not).
_MAYBE_ADJECTIVE = re.compile(
    r"\b(?!(?:which|what|whose|the|a|an|its|their|our|his|her|new|former|each|every|any|that|this|own)\b)"
    r"[^\W\d_][\w'\u2019-]*" + _ROLE.pattern,
    re.I,
)
# An adjective inside a wider one: "Latin American", "Pan-African".
_WIDER = re.compile(r"(?:latin|central|south|north|pan)[\s-]$", re.I)

_NOT_ISO = {"EU": "European Union"}
# Former members, by the codes the General Debate corpus gives them.
_FORMER = {"YUG", "CSK", "DDR"}

# Two-letter aliases are real words in lower case ("us"); they count only when written in capitals.
_CAPITALS_ONLY = {"us", "uk"}


@dataclass(frozen=True)
class Mention:
    codes: tuple[str, ...]
    start: int
    end: int
    text: str


def fold(text: str) -> str:
    """Lower case, accents and curly quotes gone: 'Côte d’Ivoire' -> "cote d'ivoire"."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def _package_json(package: str, relative: str) -> Any:
    """A JSON data file a package ships, read without importing the package; None if not there.

    Importing pycountry slows a cold question (it imports importlib.metadata); finding a package
    runs none of its code. A damaged file counts as missing: its caller falls back.
    """
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / relative
        if path.is_file():
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
    return None


@functools.cache
def _records() -> dict[str, dict[str, str]]:
    """pycountry's ISO 3166-1 records by alpha-3 code, from the JSON file it ships."""
    data = _package_json("pycountry", "databases/iso3166-1.json")
    if data is not None:
        return {r["alpha_3"]: r for r in data["3166-1"]}
    import pycountry  # a layout of the package this module does not know: ask it

    return {c.alpha_3: dict(c._fields) for c in pycountry.countries}


def names(code: str) -> list[str]:
    """English names of an alpha-3 code, the common one first; [] if unknown."""
    if code in _NOT_ISO:
        return [_NOT_ISO[code]]
    record = _records().get(code)
    if record is None:
        return []
    found = [record.get("common_name"), record.get("name"), record.get("official_name")]
    name = record.get("name") or ""
    if not record.get("common_name") and ", " in name:
        # "Palestine, State of" is a list's order: "State of Palestine", as the UN says it.
        head, tail = name.split(", ", 1)
        found.insert(0, re.sub(r"^The\s+", "", f"{tail} {head}"))
    return list(dict.fromkeys(n for n in found if n))


@functools.cache
def _table() -> dict[str, tuple[str, ...]]:
    """Every known name (folded) -> codes."""
    table: dict[str, tuple[str, ...]] = {}
    for code, record in _records().items():
        for field in ("name", "common_name", "official_name"):
            name = record.get(field)
            if name:
                table.setdefault(fold(name), (code,))
                # "Korea, Republic of" is also said "Republic of Korea".
                if ", " in name:
                    head, tail = name.split(", ", 1)
                    table.setdefault(fold(f"{tail} {head}"), (code,))
    table.update(ALIASES)
    return table


def resolve(value: str) -> tuple[str, ...]:
    """Codes for a country given by alpha-3 or alpha-2 code, name or alias; () if unknown."""
    text = value.strip()
    if not text:
        return ()
    upper = text.upper()
    if upper in _NOT_ISO or upper in _FORMER:
        return (upper,)
    if len(text) == 3 and text.isalpha() and names(upper):
        return (upper,)
    found = _table().get(fold(text)) or _table().get(fold(re.sub(r"^the\s+", "", text, flags=re.I)))
    if found:
        return found
    if len(text) == 2 and text.isalpha():
        for code, record in _records().items():
            if record.get("alpha_2") == upper:
                return (code,)
    return ()


@functools.cache
def _demonyms() -> dict[str, tuple[str, ...]]:
    """Every known people's adjective (folded) -> codes: "ivorian" -> ("CIV",).

    An adjective shared by a state and a territory names the state ("American", "French");
    one shared by two states names both ("Congolese", "Dominican"), as "Congo" does.
    Read from the data file `pycountryinfo` ships; without that file, only the reviewed forms
    here are known.
    """
    records = _package_json("pycountryinfo", "data/countries.json")
    known = _records()
    found: dict[str, list[tuple[bool, str]]] = {}
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict):
            continue
        code = (record.get("iso_codes") or {}).get("alpha_3")
        if code not in known:
            continue
        state = str(record.get("independent")) == "True"
        for word in re.split(r",\s*|\s+or\s+", record.get("nationality") or "", flags=re.I):
            if word.strip():
                found.setdefault(fold(word.strip()), []).append((state, code))
    table: dict[str, tuple[str, ...]] = {}
    for word, owners in found.items():
        states = [code for state, code in owners if state]
        table[word] = tuple(dict.fromkeys(states or [code for _, code in owners]))
    table.update(DEMONYM_ALIASES)
    return table


_WORD = re.compile(r"\w+")


def _by_first_word(table: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Keys keyed by their first word, longest first: "South Sudan" is tried before "South"."""
    index: dict[str, list[str]] = {}
    for key in sorted(table, key=len, reverse=True):
        first = _WORD.match(key)
        if first is not None:  # every name starts with a letter
            index.setdefault(first.group(0), []).append(key)
    return index


@functools.cache
def _names_by_first_word() -> dict[str, list[str]]:
    return _by_first_word(_table())


@functools.cache
def _demonyms_by_first_word() -> dict[str, list[str]]:
    return _by_first_word(_demonyms())


def mentions(text: str, language: str = "en") -> list[Mention]:
    """The countries a text names, in order; folded matching, so accents and case do not matter.

    Folding keeps offsets only for text whose folded form has the same length, which holds for
    the Latin script of questions; other text is matched as it is, lower-cased. A text in another
    `language` (a two-letter code) is read with that language's names too.
    """
    if language != "en":
        table = _translated(language)
        if table:
            return _translated_mentions(text, language, table)
    folded = fold(text)
    if len(folded) != len(text):
        folded = text.lower()
    index = _names_by_first_word()
    adjectives = _demonyms_by_first_word() if _MAYBE_ADJECTIVE.search(text) else {}
    found = []
    resume = 0  # names do not overlap: the next one starts after the last one ends
    for word in _WORD.finditer(folded):
        start = word.start()
        if start < resume or (start and folded[start - 1] == "-"):
            continue
        mention = _name_at(text, folded, start, index.get(word.group(0), ())) or _adjective_at(
            text, folded, start, adjectives.get(word.group(0), ())
        )
        if mention is not None:
            found.append(mention)
            resume = mention.end
    return found


def _name_at(text: str, folded: str, start: int, keys: list[str]) -> Mention | None:
    for key in keys:
        end = start + len(key)
        if folded.startswith(key, start) and not _joined(folded, end):
            surface = text[start:end]
            if key in _CAPITALS_ONLY and surface != surface.upper():
                continue
            return Mention(_table()[key], start, end, surface)
    return None


def _adjective_at(text: str, folded: str, start: int, keys: list[str]) -> Mention | None:
    if _WIDER.search(folded[:start]):
        return None
    for key in keys:
        end = start + len(key)
        if folded.startswith(key, start) and not _joined(folded, end) and _ROLE.match(text, end):
            return Mention(_demonyms()[key], start, end, text[start:end])
    return None


def _joined(text: str, end: int) -> bool:
    """Whether the name ending at `end` runs on into a longer word ("Niger" in "Nigeria")."""
    return end < len(text) and (text[end].isalnum() or text[end] in "_-")


# Catalogues read for a language written in more than one way.
_LOCALES = {"zh": ("zh_CN", "zh_TW", "zh_HK"), "pt": ("pt", "pt_BR")}
# Scripts written without spaces between words: a name may start at any character.
_UNSPACED = {"zh", "ja", "th"}
# Russian declines names ("Ливия", "о Ливии", "Ливию"): a name's last vowel may change, and a
# case ending may follow it. Only these endings, so that "Мали" does not match "малый".
_RUSSIAN_STEM_VOWELS = "аяйь"
_RUSSIAN_ENDINGS = {"", "а", "я", "у", "ю", "е", "и", "ы", "ой", "ей", "ом", "ем", "ём"}
# Arabic writes "and", "with", "to", "as" and "so" onto the next word: "وليبيا", "بسوريا".
_ARABIC_PREFIXES = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك")


def _catalogue(locale: str) -> Any:
    """pycountry's translations of ISO 3166-1 names into one locale; None without them.

    Read from the gettext file it ships, without importing pycountry (as `_records`).
    """
    spec = importlib.util.find_spec("pycountry")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "locales" / locale / "LC_MESSAGES" / "iso3166-1.mo"
        if path.is_file():
            import gettext  # only a question in another language needs it

            try:
                with path.open("rb") as handle:
                    return gettext.GNUTranslations(handle)
            except (OSError, ValueError):
                return None
    return None


def _fold_letter(text: str) -> str:
    # Arabic writes a final yeh with or without dots ("ى", "ي"); the catalogues do both.
    return fold(text).replace("\u0649", "\u064a")


@functools.cache
def _translated(language: str) -> dict[str, tuple[str, ...]]:
    """Every name in one language (folded) -> codes: the reviewed aliases, ISO's translations,
    then the English names; {} when pycountry has no translations into that language."""
    claims: dict[str, set[str]] = {}
    for locale in _LOCALES.get(language, (language,)):
        catalogue = _catalogue(locale)
        if catalogue is None:
            continue
        for code, record in _records().items():
            for field in ("name", "common_name", "official_name"):
                english = record.get(field)
                if not english:
                    continue
                name = catalogue.gettext(english)
                claims.setdefault(_fold_letter(name), set()).add(code)
                # "Russie, Fédération de" is said "Fédération de Russie"; "Iran, République
                # islamique d'" is "République islamique d'Iran".
                head, comma, tail = name.replace("، ", ", ").partition(", ")
                if comma:
                    joined = f"{tail}{head}" if tail.endswith(("'", "’")) else f"{tail} {head}"
                    claims.setdefault(_fold_letter(joined), set()).add(code)
    if not claims:
        return {}
    # A translation two countries claim is a slip in a catalogue, not a name of both.
    table = {name: tuple(codes) for name, codes in claims.items() if len(codes) == 1}
    table.update({_fold_letter(k): v for k, v in TRANSLATED_ALIASES.get(language, {}).items()})
    for name, codes in _table().items():
        table.setdefault(name, codes)
    return table


@functools.cache
def _translated_index(language: str) -> dict[str, list[str]]:
    """Names keyed by the start of their first word (its first character in an unspaced
    script), longest first: "Ливия" is found under "лив" however it is declined."""
    index: dict[str, list[str]] = {}
    for key in sorted(_translated(language), key=len, reverse=True):
        index.setdefault(_probe(key, 0, language), []).append(key)
    return index


def _probe(folded: str, start: int, language: str) -> str:
    if language in _UNSPACED:
        return folded[start : start + 1]
    word = _WORD.match(folded, start)
    return word.group(0)[:3] if word else folded[start : start + 1]


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, where it came from in `text` (plus the end).

    Folding may drop characters (Arabic vowel marks) or add some (ligatures); offsets survive.
    """
    letters: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for letter in _fold_letter(ch):
            letters.append(letter)
            origin.append(i)
    origin.append(len(text))
    return "".join(letters), origin


def _translated_mentions(text: str, language: str, table: dict[str, tuple[str, ...]]) -> list[Mention]:
    folded, origin = _folded_with_offsets(text)
    unspaced = language in _UNSPACED
    starts = range(len(folded)) if unspaced else (w.start() for w in _WORD.finditer(folded))
    found = []
    resume = 0
    for start in starts:
        if start < resume or (start and folded[start - 1] == "-"):
            continue
        span = _translated_at(text, folded, origin, start, language)
        if span is not None:
            begin, end, key = span
            first, last = origin[begin], origin[end - 1] + 1
            found.append(Mention(table[key], first, last, text[first:last]))
            resume = end
    return found


def _translated_at(
    text: str, folded: str, origin: list[int], start: int, language: str
) -> tuple[int, int, str] | None:
    """The name written at folded[start], perhaps after an Arabic prefix: (start, end, key)."""
    places = [start]
    if language == "ar":
        places += [start + len(p) for p in _ARABIC_PREFIXES if folded.startswith(p, start)]
    index = _translated_index(language)
    for place in places:
        # The prefix "ل" before "ال" drops the alef: "للسودان" is "ل" + "السودان".
        article = place > start and folded[place - 1 : place + 1] == "لل"
        probe = ("ا" + _probe(folded, place, language))[:3] if article else _probe(folded, place, language)
        for key in index.get(probe, ()):
            if article:
                found = key.startswith("ال") and folded.startswith(key[1:], place)
                end = place + len(key) - 1 if found and not _joined(folded, place + len(key) - 1) else None
            else:
                end = _name_end(folded, place, key, language)
            if end is not None and _written_as_a_name(
                text[origin[place] : origin[end - 1] + 1], key, language
            ):
                return place, end, key
    return None


def _name_end(folded: str, start: int, key: str, language: str) -> int | None:
    """Where `key` ends if it is written at folded[start] (declined, in Russian); None if it is not."""
    if language in _UNSPACED and not key.isascii():
        return start + len(key) if folded.startswith(key, start) else None
    if start and language in _UNSPACED and folded[start - 1].isascii() and folded[start - 1].isalnum():
        return None  # a Latin name inside a Latin word
    if folded.startswith(key, start) and not _joined(folded, start + len(key)):
        return start + len(key)
    if language != "ru":
        return None
    for stem in (key, key[:-1]) if key.endswith(tuple(_RUSSIAN_STEM_VOWELS)) else (key,):
        if folded.startswith(stem, start):
            ending = _WORD.match(folded, start + len(stem))
            run = ending.group(0) if ending else ""
            if run in _RUSSIAN_ENDINGS:
                return start + len(stem) + len(run)
    return None


def _written_as_a_name(surface: str, key: str, language: str) -> bool:
    """A short name is a common word too ("того" is Togo in Russian, "cuba" a tub in Spanish):
    in a script with capitals it counts only capitalised, as "US" does in English."""
    first = surface[:1]
    if language in _UNSPACED or first.lower() == first.upper():
        return True
    if key in _CAPITALS_ONLY:
        return surface == surface.upper()
    return len(key) > 4 or first.isupper()
