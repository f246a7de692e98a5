"""The language a question is written in, told cheaply: by its script, and for the Latin script
by its function words.

The search model reads English: a question in another language is matched on its few shared
words (names, numbers) and returns confident nonsense. Telling the language lets the front ends
say so, and lets `countries` read country names in that language ("Libye", "Libia", "ليبيا").
No language model is loaded: a question is a few words, its script settles Arabic, Cyrillic,
Chinese and the like, and for the Latin script a handful of function words settle French,
Spanish, Portuguese, Italian and German. The test leans towards English: an English question
that names "Côte d'Ivoire" or quotes "la responsabilité de protéger" is English.
"""

from __future__ import annotations

import bisect
import re

ENGLISH = "en"

NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "it": "Italian",
    "de": "German",
    "ar": "Arabic",
    "fa": "Persian",
    "ur": "Urdu",
    "ru": "Russian",
    "uk": "Ukrainian",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "el": "Greek",
    "he": "Hebrew",
    "hi": "Hindi",
    "th": "Thai",
}

# Scripts other than Latin, by their Unicode blocks (first, last, language, weight), in order; a
# Han or Hangul character carries about as much as a word, so it weighs more against Latin
# letters ("R2P 在利比亚"). Ranges, not regular expressions: compiling classes this wide would
# cost every search process milliseconds.
_SCRIPTS: list[tuple[int, int, str, int]] = [
    (0x0370, 0x03FF, "el", 1),
    (0x0400, 0x052F, "ru", 1),
    (0x0590, 0x05FF, "he", 1),
    (0x0600, 0x06FF, "ar", 1),
    (0x0750, 0x077F, "ar", 1),
    (0x08A0, 0x08FF, "ar", 1),
    (0x0900, 0x097F, "hi", 1),
    (0x0E00, 0x0E7F, "th", 1),
    (0x1100, 0x11FF, "ko", 3),
    (0x1F00, 0x1FFF, "el", 1),
    (0x3040, 0x30FF, "ja", 3),
    (0x3130, 0x318F, "ko", 3),
    (0x3400, 0x4DBF, "zh", 3),
    (0x4E00, 0x9FFF, "zh", 3),
    (0xAC00, 0xD7AF, "ko", 3),
    (0xF900, 0xFAFF, "zh", 3),
    (0xFB50, 0xFDFF, "ar", 1),
    (0xFE70, 0xFEFF, "ar", 1),
    (0x20000, 0x2FA1F, "zh", 3),
]
_SCRIPT_STARTS = [first for first, *_ in _SCRIPTS]
_LATIN_END = 0x024F  # Basic Latin to Latin Extended-B
# Letters one language of a script has and its neighbour has not.
_UKRAINIAN = frozenset("іїєґІЇЄҐ")
_URDU = frozenset("ٹڈڑںے")
_PERSIAN = frozenset("پچژگکی")

# Words that are frequent in questions of each language and are not English words, so that an
# English question naming "Côte d'Ivoire", "El Salvador" or "Sierra Leone" scores none or one.
# A word two languages share counts for both; the language with more of its own words wins.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        "le la les des du au aux de en et ou où est sont ont été était qui que quoi quel quelle quels "
        "quelles dit disent dans sur avec une ce cette ces il ils elle elles nous vous leur leurs sa "
        "ses pas ne comment pourquoi quand depuis entre selon contre chez aussi très dont lors après "
        "avant parmi vers ainsi l' qu' n'".split()
    ),
    "es": frozenset(
        "el la los las del de en y es son que qué cuál cuáles quién quiénes cómo dónde cuándo por para "
        "con una sobre dijo dice dicen han hay fue fueron sido se su sus lo esta este estos estas está "
        "están entre desde según contra pero también muy cuando donde como porque ¿ ¡".split()
    ),
    "pt": frozenset(
        "os da dos das de em na nos nas um uma com que não é foi disse sobre como qual quais onde "
        "quando por para pelo pela seu sua ao aos à também está são e entre desde contra".split()
    ),
    "it": frozenset(
        "il lo gli la le della delle dei degli del dello di che è e sono ha hanno detto cosa quale "
        "quali perché quando sulla sul nella nel alla con una uno anche questo questa dopo tra fra "
        "l' dell' all'".split()
    ),
    "de": frozenset(
        "der das und ist nicht von zu mit den dem des ein eine einer eines einen wie über sagte sagt "
        "zur zum auf für sich auch dass daß wurde wurden haben sind bei nach aus welche welcher "
        "welches warum wann wo oder gegen zwischen seit im vom".split()
    ),
}
# Spellings of one language (letters, word endings), which only break a tie between two that
# share their function words: "responsabilidad de proteger en Siria" has "de" and "en", French
# and Spanish both.
_SPELLINGS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "fr": (frozenset("çèêâîôûùœ"), ("ité",)),
    "es": (frozenset("ñ"), ("ción", "dad")),
    "pt": (frozenset("ãõ"), ("ção", "dade")),
    "it": (frozenset(), ("zione", "ità")),
    "de": (frozenset("äöüß"), ("ung", "heit", "keit")),
}
_ENGLISH_WORDS = frozenset(
    "the of and to in on at by for with from into over about against between during since after "
    "before under what which who whom whose why when where how did does do say said says is are "
    "was were be been has have had its their it they we our this that these those an not or as "
    "should would could can will than there any all".split()
)
# A word, with a French or Italian elided article or pronoun kept apart: "l'ONU" -> "l'", "onu".
_TOKEN = re.compile(r"(?:[^\W\d_]+['’](?=[^\W\d_]))|[^\W\d_]+|[¿¡]")
# Quoted text is a phrase the question is about, not the language it is asked in.
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|„[^“”]*[“”]|‘[^’]*’|(?<!\w)'[^']*'(?!\w)")


def detect(text: str) -> str:
    """The language of a question as a two-letter code (ISO 639-1); "en" unless it is clearly not."""
    if text.isascii():
        return _latin_language(text)
    latin = 0
    weights: dict[str, int] = {}
    for ch in text:
        point = ord(ch)
        if point <= _LATIN_END:
            latin += ch.isalpha()
            continue
        i = bisect.bisect_right(_SCRIPT_STARTS, point) - 1
        if i >= 0 and point <= _SCRIPTS[i][1]:
            _, _, script, weight = _SCRIPTS[i]
            weights[script] = weights.get(script, 0) + weight
    script = max(weights, key=lambda code: weights[code], default=ENGLISH)
    if weights.get(script, 0) > latin:
        return _within_script(script, text, weights)
    return _latin_language(text)


def _within_script(script: str, text: str, weights: dict[str, int]) -> str:
    letters = set(text)
    if script == "ru" and letters & _UKRAINIAN:
        return "uk"
    if script == "ar":
        return "ur" if letters & _URDU else "fa" if letters & _PERSIAN else "ar"
    if script == "zh" and weights.get("ja"):  # kana beside the Han characters
        return "ja"
    return script


def _latin_language(text: str) -> str:
    unquoted = _QUOTED.sub(" ", text)
    words = _tokens(unquoted)
    if len(words) < 2:
        words = _tokens(text)
    english = sum(w in _ENGLISH_WORDS for w in words)
    counts = {code: sum(w in vocabulary for w in words) for code, vocabulary in _FUNCTION_WORDS.items()}
    # A shared word is split between the languages that have it: "que dit la" is French, not Spanish.
    sharing = {w: sum(w in v for v in _FUNCTION_WORDS.values()) for w in set(words)}
    weights = {
        code: sum(1 / sharing[w] for w in words if w in vocabulary)
        + sum(_spelled(w, *_SPELLINGS[code]) for w in words) / 10
        for code, vocabulary in _FUNCTION_WORDS.items()
    }
    best = max(weights, key=lambda code: weights[code])
    runner_up = max((weights[code] for code in weights if code != best), default=0.0)
    # Two of its words at least, more than twice the English ones, and not a tie with a neighbour.
    if counts[best] >= 2 and counts[best] > 2 * english and weights[best] > runner_up:
        return best
    return ENGLISH


def _spelled(word: str, letters: frozenset[str], endings: tuple[str, ...]) -> bool:
    return word.endswith(endings) or not letters.isdisjoint(word)


def _tokens(text: str) -> list[str]:
    return [t.replace("’", "'") for t in _TOKEN.findall(text.lower())]


def notice(code: str) -> str | None:
    """What a front end says of a question in another language; None for English."""
    if code == ENGLISH:
        return None
    return (
        f"the question seems to be in {NAMES.get(code, code)}, and the search model reads English: "
        "the results may not answer it (ask in English for better matches)"
    )
