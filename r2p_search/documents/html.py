"""HTML: the main text of a saved web page, without its navigation, banners, scripts and footer.

A statement saved from un.org or a mission's site wraps a speech in menus, a cookie banner,
"Check against delivery", share buttons, related links and a footer. trafilatura finds the main
content (why trafilatura: docs/formats.md); its XML output keeps paragraphs, headings and list
items apart. The page is decoded by its declared charset (a byte-order mark, <meta charset>, or
http-equiv Content-Type), UTF-8 when it declares none. Nothing is fetched and no script runs.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from ..errors import BadFileError
from .model import Block, SourceFile
from .reading import Deadline, Read
from .un import JOINT_SYMBOL, is_furniture, number_blocks, parse_date, symbol_meta

_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_html(data: bytes, source: str) -> str:
    """The page as text, by its byte-order mark or its declared charset; UTF-8 when it declares none."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    declared = _DECLARED.search(data[:4096])
    encoding = "utf-8"
    if declared:
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            encoding = "utf-8"
        # Browsers read a page declared as Latin-1 as Windows-1252 (curly quotes live there).
        if encoding in ("latin-1", "iso8859-1", "ascii"):
            encoding = "cp1252"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        if declared:
            return data.decode(encoding, errors="replace")
        # Undeclared and not UTF-8: the web's usual fallback.
        return data.decode("cp1252", errors="replace")
    except LookupError as exc:
        raise BadFileError(f"{source}: unknown charset {encoding!r}") from exc


def read(file: SourceFile, data: bytes, deadline: Deadline) -> Read:
    import trafilatura
    from lxml import etree

    text = decode_html(data, file.source)
    if not text.strip():
        raise BadFileError(f"{file.source}: file is empty")
    try:
        extracted = trafilatura.bare_extraction(
            text,
            output_format="python",
            include_comments=False,
            include_tables=True,
            include_formatting=False,
            include_links=False,
            include_images=False,
            with_metadata=True,
            deduplicate=False,
        )
    except Exception as exc:  # trafilatura raises many kinds on malformed input
        raise BadFileError(f"{file.source}: cannot read this HTML page ({type(exc).__name__})") from None
    deadline.check()
    if extracted is None:
        raise BadFileError(f"{file.source}: no main text found in this HTML page")
    document = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    body = document.get("body")
    if body is None:
        raise BadFileError(f"{file.source}: no main text found in this HTML page")
    blocks: list[Block] = []
    for element in body.iter("p", "head", "item", "row", "quote"):
        if element.tag in ("p", "item") and _inside(element, ("row", "quote")):
            continue
        words = " ".join(etree.tostring(element, method="text", encoding="unicode").split())
        if not words:
            continue
        part = "heading" if element.tag == "head" else None
        blocks.append(Block(words, part=part))
    meta: dict[str, Any] = {}
    blocks = _header(blocks, meta)
    if "symbol" not in meta and blocks:
        _symbol_above(text, blocks[1 if len(blocks) > 1 else 0].text, meta)
    title = str(document.get("title") or "").strip()
    # Above the text: the page's <h1> (its title, in every citation) and a dateline, in any
    # language ("5 septembre 2011"), are not paragraphs: they would shift every number after.
    top = blocks[:4]
    blocks = [b for b in top if b.text != title and not _DATELINE.match(b.text)] + blocks[4:]
    if document.get("date") and "date" not in meta:
        meta["date"] = str(document["date"])[:10]
    if meta.get("date"):
        meta["year"] = int(meta["date"][:4])
    return Read(body="", blocks=number_blocks(blocks), meta=meta, title=title or None)


_DATELINE = re.compile(
    r"^(?:\w+,?\s+)?\d{1,2}\.?\s+\w+\.?\s+(?:19|20)\d\d\.?$|^\w+\s+\d{1,2},\s+(?:19|20)\d\d$"
)
_INVISIBLE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)


def _symbol_above(page: str, first_text: str, meta: dict[str, Any]) -> None:
    """A symbol printed above the text (a press release's header line, often left out of the
    main content) is the page's own; a symbol further down is one the text cites."""
    import html

    visible = html.unescape(re.sub(r"<[^>]+>", " ", _INVISIBLE.sub(" ", page)))
    visible = " ".join(visible.split())
    end = visible.find(" ".join(first_text.split()[:8]))
    head = visible[: end if end > 0 else 0]
    found = JOINT_SYMBOL.search(head[-600:])
    if found and any(c.isdigit() for c in found.group(0)):
        meta.update(symbol_meta(found.group(0)))
        when = parse_date(head[found.end() : found.end() + 40])
        if when:
            meta["date"] = when


def _inside(element: Any, tags: tuple[str, ...]) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _header(blocks: list[Block], meta: dict[str, Any]) -> list[Block]:
    """The page's banner lines taken out: "Check against delivery", and a press release's header
    line ("SG/SM/13838 23 September 2011"), which gives the symbol and the date."""
    kept: list[Block] = []
    for i, block in enumerate(blocks):
        if is_furniture(block.text):
            continue
        symbol = JOINT_SYMBOL.match(block.text)
        if i < 5 and symbol and "symbol" not in meta:
            rest = block.text[symbol.end() :].strip(" ,.-\u2013\u2014|")
            when = parse_date(rest)
            if not rest or (when and len(rest.split()) <= 6):
                meta.update(symbol_meta(symbol.group(0)))
                if when:
                    meta["date"] = when
                continue
        kept.append(block)
    return kept
