"""OCR for PDF pages without a text layer (scans), off unless `index --ocr` asks for it.

The UN's older documents, and many a researcher's photocopies, are scans. Tesseract (Debian's
`tesseract-ocr`) reads each page rendered at 300 dpi and gives every word with its box; the
words are returned as lines with their boxes in PDF points, so the PDF reader's layout (columns,
furniture, footnotes, paragraphs) applies to a scan as to any PDF. Tesseract runs as a separate
program, with a time limit per page.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

from ..errors import BadFileError

DPI = 300
SECONDS_PER_PAGE = 60.0
"""A page Tesseract has not read in this time is given up, and the file skipped with a reason."""

RawLine = tuple[str, float, float, float, float, float]  # text, left, right, top, bottom, size (points)


def available() -> bool:
    return shutil.which("tesseract") is not None


def page_lines(page: Any, source: str) -> list[RawLine]:
    """The words of one pypdfium2 page, read by Tesseract, as lines in PDF points (y upwards)."""
    if not available():
        raise BadFileError(
            f"{source}: PDF has no text layer and OCR needs Tesseract: install it "
            "(Debian: apt-get install tesseract-ocr) or run OCR on the file first"
        )
    _, height = page.get_size()
    image = page.render(scale=DPI / 72).to_pil().convert("L")
    png = io.BytesIO()
    image.save(png, format="PNG")
    try:
        done = subprocess.run(
            ["tesseract", "-", "-", "-l", "eng", "tsv"],
            input=png.getvalue(),
            capture_output=True,
            timeout=SECONDS_PER_PAGE,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BadFileError(f"{source}: OCR of a page took over {SECONDS_PER_PAGE:g} s; skipped") from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no reason given"]
        raise BadFileError(f"{source}: OCR failed ({why[0]})")
    scale = 72 / DPI
    return [
        (
            text,
            left * scale,
            right * scale,
            height - top * scale,
            height - bottom * scale,
            (bottom - top) * scale,
        )
        for text, left, right, top, bottom in _lines(done.stdout.decode("utf-8", "replace"))
    ]


def _lines(tsv: str) -> Iterator[tuple[str, float, float, float, float]]:
    """Tesseract's words grouped into its lines: (text, left, right, top, bottom) in pixels."""
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    lines: dict[tuple[str, str, str, str], list[dict[str, str]]] = {}
    for row in rows:
        word = (row.get("text") or "").strip()
        # Specks and rules read as "|", "_" or a lone letter at low confidence are not words.
        speck = not any(c.isalnum() for c in word) and word not in ("\u2014", "\u2013", "-")
        unsure = len(word) == 1 and float(row.get("conf") or 0) < 30
        if row.get("level") == "5" and word and not speck and not unsure:
            key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
            lines.setdefault(key, []).append(row)
    for words in lines.values():
        boxes = [(int(w["left"]), int(w["top"]), int(w["width"]), int(w["height"])) for w in words]
        # A line's size is its words' usual height: one tall bracket should not make it a heading.
        heights = sorted(h for *_, h in boxes)
        left = min(x for x, *_ in boxes)
        right = max(x + w for x, _, w, _ in boxes)
        top = min(y for _, y, *_ in boxes)
        yield (
            " ".join(w["text"].strip() for w in words),
            float(left),
            float(right),
            float(top),
            float(top + heights[len(heights) // 2]),
        )
