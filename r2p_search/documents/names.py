"""What a file's name says of it, and the labels a document's metadata gives its passages.

General Debate file names, `ISO3_SESSION_YEAR` (e.g. `SYR_66_2011.pdf`), name the country,
session and year whatever the file's format.
"""

from __future__ import annotations

import re
from typing import Any

_GENERAL_DEBATE_NAME = re.compile(r"^(?P<code>[A-Z]{2,3})_(?P<session>\d{1,3})_(?P<year>(?:19|20)\d{2})$")


def country_names(code: str) -> list[str]:
    """English names of an ISO 3166 alpha-3 code, the common one first; [] if unknown."""
    from ..countries import names

    return names(code)


def country_name(code: str) -> str | None:
    """Common English name for an ISO 3166 alpha-3 code, or a known non-state code."""
    names = country_names(code)
    return names[0] if names else None


def context_label(meta: dict[str, Any]) -> str:
    """A short line saying whose text this is, given to the embedder with every passage.

    A paragraph of Brazil's speech rarely says "Brazil"; with this label its vector can still
    answer "what did Brazil say about Libya?".
    """
    if meta.get("country_name"):
        return f"{meta['country_name']}, {meta.get('year', '')}".rstrip(", ")
    # A UN document speaks for its organ. Its title is no label: "Responsibility to protect: ..."
    # before each of its paragraphs would pull every one of them towards any question on R2P.
    who = meta.get("speaker") or (meta.get("organ") if meta.get("symbol") else None) or meta.get("title")
    parts = [str(who or "")[:80], str(meta.get("date") or "")]
    return ", ".join(p for p in parts if p)


def speaker(meta: dict[str, Any], doc_id: str, title: str = "") -> tuple[str, str, str]:
    """Who speaks in a document, for grouping by speaker: (key, label, kind).

    The country where a country speaks (kind "country": key its code, label its name);
    otherwise the speaker the metadata names ("speaker": "Secretary-General"), or the organ
    whose document it is ("organ"); failing all, the document itself ("document"), so that no
    document falls out of a view by speaker.
    """
    code, name = meta.get("country"), meta.get("country_name")
    if isinstance(code, str) and code:
        return code, str(name or country_name(code) or code), "country"
    if isinstance(name, str) and name:
        return name, name, "country"
    who = meta.get("speaker")
    if isinstance(who, str) and who.strip():
        # "UN Secretary-General" and "Secretary-General" are one speaker.
        label = re.sub(r"^(?:the\s+)?(?:UN|United\s+Nations)\s+", "", who.strip(), flags=re.I)
        return label.lower(), label, "speaker"
    organ = meta.get("organ")
    if isinstance(organ, str) and organ.strip():
        return organ.strip().lower(), organ.strip(), "organ"
    return doc_id, title or str(meta.get("title") or doc_id), "document"


def context_terms(meta: dict[str, Any]) -> str:
    """Everything known of a document, as words for the lexical index."""
    keys = ("title", "symbol", "organ", "place", "speaker", "country", "year")
    fields: list[str] = [str(meta.get(key) or "") for key in keys]
    fields.extend(meta.get("country_names") or [])
    return " ".join(dict.fromkeys(f for f in fields if f))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def parse_file_name(stem: str) -> dict[str, Any] | None:
    """Country, session and year from a General Debate file name such as SYR_66_2011."""
    match = _GENERAL_DEBATE_NAME.match(stem)
    if not match:
        return None
    code = match["code"]
    session = int(match["session"])
    year = int(match["year"])
    names = country_names(code) or [code]
    name = names[0]
    return {
        "country": code,
        "country_name": name,
        "country_names": names,
        "session": session,
        "year": year,
        "title": f"{name}, General Debate, {_ordinal(session)} session ({year})",
        "kind": "general-debate",
    }
