"""Plain text and Markdown: decoded, with YAML front matter and a dated header line read as metadata.

The splitter (passages.py) finds their paragraphs: hard-wrapped PDF extractions, blank lines,
or one paragraph per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import BadFileError
from .metadata import split_front_matter
from .model import SourceFile
from .reading import Read


def read(file: SourceFile, data: bytes) -> Read:
    text = decode(data, file.source)
    if not text.strip():
        raise BadFileError(f"{file.source}: file is empty")
    given: dict[str, Any] = {}
    if file.suffix == ".md":
        given, text = split_front_matter(text, file.source)
    found = Read(body=text, given=given)
    header = parse_header_line(text)
    if header is not None:
        found.meta.update(header.fields)
        found.title = header.fields["title"]
        found.body = text[header.end :]
        if not found.body.strip():
            raise BadFileError(f"{file.source}: file has a header line but no text")
    elif file.suffix == ".md":
        heading = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
        if heading:
            found.title = heading.group(1)
    return found


def decode(data: bytes, source: str) -> str:
    """Text from bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadFileError(f"{source}: invalid UTF-16 text") from exc
    if b"\x00" in data:
        raise BadFileError(f"{source}: binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFileError(
            f"{source}: not UTF-8 text (invalid byte at offset {exc.start}); convert it to UTF-8 to index it"
        ) from exc


_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}

_HEADER = re.compile(
    r"""^\s*(?P<place>[A-Z][\w'.\-]*(?:\s+(?:(?:es|de|da|do|la|le|du|del|of|al|el)\s+)?[A-Z][\w'.\-]*){0,4}),\s+
        (?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\s+(?P<year>\d{4})
        \s+[-\u2013\u2014]+\s+
        (?P<title>[^\n]+?)\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Header:
    fields: dict[str, Any]
    end: int  # offset just past the header line


def parse_header_line(text: str) -> Header | None:
    """Place, date and title from a first line such as 'New York, 23 September 2011 - Remarks at ...'."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    line_end = stripped.find("\n")
    first = stripped if line_end < 0 else stripped[:line_end]
    match = _HEADER.match(first)
    if not match:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    try:
        when = date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None
    title = re.sub(r"\s*\[as (?:prepared for|delivered)[^\]]*\]\s*$", "", match["title"], flags=re.I)
    fields = {
        "place": match["place"].strip(),
        "date": when.isoformat(),
        "year": when.year,
        "title": title.strip() or match["title"].strip(),
    }
    if re.search(r"secretary-general", first, re.I):
        fields["speaker"] = "UN Secretary-General"
    end = offset + (len(first) if line_end < 0 else line_end + 1)
    return Header(fields=fields, end=end)
