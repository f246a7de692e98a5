"""Word (.docx): the body's paragraphs and tables in order, footnotes as passages of their own.

python-docx reads the body; headers and footers (the symbol, page numbers, the job number) are
not part of it, so they never become passages. A paragraph styled Title or Heading is a title
or a heading. Word's automatic numbering (a list of decimal numbers at its first level) puts no
number in the text: the number is worked out and put back, so that "para. 11" means what the
reader sees. Footnotes live in their own part of the file and are read from it.

A .docx is a zip: one that is not, or that would unpack past config.MAX_UNPACKED_BYTES (a zip
bomb), is refused before it is parsed.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from typing import Any

from .. import config
from ..errors import BadFileError
from .model import Block, SourceFile
from .reading import Deadline, Read
from .un import masthead, number_blocks

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _check_zip(source: str, data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise BadFileError(
            f"{source}: not a valid .docx (not a zip archive); save it again from Word"
        ) from None
    unpacked = sum(m.file_size for m in members)
    if len(members) > 10_000 or unpacked > config.MAX_UNPACKED_BYTES:
        raise BadFileError(
            f"{source}: .docx would unpack to {unpacked:,} bytes in {len(members):,} parts, over the "
            f"{config.MAX_UNPACKED_BYTES:,}-byte limit (a zip bomb?)"
        )
    if "word/document.xml" not in {m.filename for m in members}:
        raise BadFileError(f"{source}: not a Word document (no word/document.xml inside)")
    return archive


def read(file: SourceFile, data: bytes, deadline: Deadline) -> Read:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    archive = _check_zip(file.source, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BadFileError(f"{file.source}: damaged .docx ({exc})") from None
    except Exception as exc:  # lxml's XMLSyntaxError and kin: a damaged part
        raise BadFileError(f"{file.source}: damaged .docx ({type(exc).__name__}: {exc})") from None
    deadline.check()
    blocks, lines = _body_blocks(document)
    deadline.check()
    # A Word report's masthead is often a table: its cells' lines are read one by one, and a
    # block is dropped when every line of it is masthead.
    head = [(i, line) for i, block_lines in enumerate(lines[:30]) for line in block_lines]
    meta, used = masthead([line for _, line in head])
    masthead_lines: dict[int, int] = {}
    for position in used:
        masthead_lines[head[position][0]] = masthead_lines.get(head[position][0], 0) + 1
    blocks = [b for i, b in enumerate(blocks) if masthead_lines.get(i, 0) < len(lines[i])]
    title = next((b.text for b in blocks if b.part == "title"), None)
    if title is None and blocks and blocks[0].part == "heading" and meta:
        # No Title style: after a masthead, the first line set in large or bold type is the title.
        blocks[0] = replace(blocks[0], part="title")
        title = blocks[0].text
    if title is None:
        title = (document.core_properties.title or "").strip() or None
    blocks = number_blocks(blocks)
    blocks.extend(_footnotes(archive))
    return Read(body="", blocks=blocks, meta=meta, title=title)


def _body_blocks(document: Any) -> tuple[list[Block], list[list[str]]]:
    """The body's blocks, and the lines each is made of (a table row's cells' paragraphs)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    numbering = _Numbering(document)
    # Style names by id, read once: python-docx's paragraph.style searches every style per call.
    styles = {style.style_id: style.name or "" for style in document.styles}
    blocks: list[Block] = []
    lines: list[list[str]] = []
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            paragraph = Paragraph(child, document)
            text = " ".join(paragraph.text.split())
            if not text:
                continue
            style_id = child.find(f"{_W}pPr/{_W}pStyle")
            style = styles.get(style_id.get(f"{_W}val"), "") if style_id is not None else ""
            number = numbering.number(child, style_id.get(f"{_W}val") if style_id is not None else None)
            if number is not None:
                text = f"{number}. {text}"
            part = _part(style) or ("heading" if _emphasised(child) and len(text.split()) <= 20 else None)
            blocks.append(Block(text, part=part))
            # Lines broken by hand (Shift+Enter) are the masthead's lines: read one by one.
            lines.append([" ".join(line.split()) for line in paragraph.text.split("\n") if line.strip()])
        elif child.tag == f"{_W}tbl":
            for row in Table(child, document).rows:
                cells = list(dict.fromkeys(row.cells))
                text = " | ".join(t for t in (" ".join(c.text.split()) for c in cells) if t)
                if text:
                    blocks.append(Block(text))
                    lines.append(
                        [
                            " ".join(line.split())
                            for c in cells
                            for p in c.paragraphs
                            for line in p.text.split("\n")
                            if line.strip()
                        ]
                    )
    return blocks, lines


def _emphasised(paragraph: Any) -> bool:
    """Every run of text bold, or set at 14 pt or more: a title or heading typed by hand."""
    runs = [r for r in paragraph.iter(f"{_W}r") if "".join(t.text or "" for t in r.iter(f"{_W}t")).strip()]
    if not runs:
        return False
    for run in runs:
        bold = run.find(f"{_W}rPr/{_W}b")
        size = run.find(f"{_W}rPr/{_W}sz")
        is_bold = bold is not None and bold.get(f"{_W}val") not in ("0", "false")
        is_large = size is not None and int(size.get(f"{_W}val") or 0) >= 28
        if not (is_bold or is_large):
            return False
    return True


def _part(style: str) -> str | None:
    name = style.lower()
    if name in ("title",):
        return "title"
    if name.startswith(("heading", "subtitle")):
        return "heading"
    return None


class _Numbering:
    """Numbers Word draws from its list definitions: decimal lists at their first level only
    (bullets and sub-levels "(a)", "(i)" are not paragraph numbers)."""

    def __init__(self, document: Any) -> None:
        self.formats: dict[str, str] = {}
        self.counters: dict[str, int] = {}
        # A style may carry the numbering ("List Number"): its paragraphs are numbered by it.
        self.by_style: dict[str, Any] = {}
        for style in document.styles.element.findall(f"{_W}style"):
            props = style.find(f"{_W}pPr/{_W}numPr")
            if props is not None:
                self.by_style[style.get(f"{_W}styleId")] = props
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for node in root.findall(f"{_W}abstractNum"):
            level = node.find(f"{_W}lvl[@{_W}ilvl='0']/{_W}numFmt")
            abstract[node.get(f"{_W}abstractNumId")] = level.get(f"{_W}val") if level is not None else ""
        for node in root.findall(f"{_W}num"):
            ref = node.find(f"{_W}abstractNumId")
            if ref is not None:
                self.formats[node.get(f"{_W}numId")] = abstract.get(ref.get(f"{_W}val"), "")

    def number(self, paragraph: Any, style_id: str | None = None) -> int | None:
        props = paragraph.find(f"{_W}pPr/{_W}numPr")
        if props is None and style_id is not None:
            props = self.by_style.get(style_id)
        if props is None:
            return None
        num = props.find(f"{_W}numId")
        level = props.find(f"{_W}ilvl")
        num_id = num.get(f"{_W}val") if num is not None else None
        if num_id is None or (level is not None and level.get(f"{_W}val") != "0"):
            return None
        if self.formats.get(num_id) != "decimal":
            return None
        self.counters[num_id] = self.counters.get(num_id, 0) + 1
        return self.counters[num_id]


def _footnotes(archive: zipfile.ZipFile) -> list[Block]:
    from lxml import etree

    try:
        raw = archive.read("word/footnotes.xml")
    except KeyError:
        return []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return []
    notes = []
    for note in root.findall(f"{_W}footnote"):
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = " ".join("".join(t.text or "" for t in note.iter(f"{_W}t")).split())
        text = re.sub(r"^\s*\d+\s*", "", text)
        if text:  # Word shows notes numbered in order, whatever their ids
            notes.append(Block(f"{len(notes) + 1} {text}", part="footnote"))
    return notes
