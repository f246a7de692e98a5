"""Countries: ISO 3166 codes, their names, and the names people actually use.

Names come from `pycountry` (maintained ISO data: name, common name, official name, and former
states such as Yugoslavia). It lacks many names in daily use ("Ivory Coast", "Burma", "Russia",
"the UK"), so a short reviewed list of aliases is added here. `resolve` reads one value (a
`--country` option, a metadata field); `mentions` finds the countries named in a question.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

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


def names(code: str) -> list[str]:
    """English names of an alpha-3 code, the common one first; [] if unknown."""
    if code in _NOT_ISO:
        return [_NOT_ISO[code]]
    import pycountry

    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return []
    found = [getattr(country, "common_name", None), country.name, getattr(country, "official_name", None)]
    return list(dict.fromkeys(n for n in found if n))


@functools.cache
def _table() -> dict[str, tuple[str, ...]]:
    """Every known name (folded) -> codes."""
    import pycountry

    table: dict[str, tuple[str, ...]] = {}
    for country in pycountry.countries:
        for name in (
            country.name,
            getattr(country, "common_name", None),
            getattr(country, "official_name", None),
        ):
            if name:
                table.setdefault(fold(name), (country.alpha_3,))
                # "Korea, Republic of" is also said "Republic of Korea".
                if ", " in name:
                    head, tail = name.split(", ", 1)
                    table.setdefault(fold(f"{tail} {head}"), (country.alpha_3,))
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
        import pycountry

        country = pycountry.countries.get(alpha_2=upper)
        if country is not None:
            return (country.alpha_3,)
    return ()


@functools.cache
def _pattern() -> re.Pattern[str]:
    # Longest names first, so "South Sudan" wins over "Sudan" and "Niger" never matches "Nigeria".
    keys = sorted(_table(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w-])")


def mentions(text: str) -> list[Mention]:
    """The countries a text names, in order; folded matching, so accents and case do not matter.

    Folding keeps offsets only for text whose folded form has the same length, which holds for
    the Latin script of questions; other text is matched as it is, lower-cased.
    """
    folded = fold(text)
    if len(folded) != len(text):
        folded = text.lower()
    found = []
    for match in _pattern().finditer(folded):
        surface = text[match.start() : match.end()]
        key = match.group(0)
        if key in _CAPITALS_ONLY and surface != surface.upper():
            continue
        found.append(Mention(_table()[key], match.start(), match.end(), surface))
    return found
