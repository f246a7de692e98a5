"""Document metadata a curator supplies: YAML front matter in .md files and `metadata.csv`.

Part of the read stage (documents.py calls it). Every source is read into the same fields:

    country       ISO 3166 alpha-3 code (given as a code, a name or an alias: "Burma", "CIV")
    country_name  the common English name; country_names: every English name known
    year, session integers
    date          ISO date (YYYY-MM-DD; "23 September 2011" is read too); gives the year if none
    speaker, organ, title, place, source, and any other column or key: text

Precedence, most explicit first: a `metadata.csv` row, then the file's own front matter, then
what is inferred (a dated first line, a General Debate file name).

A `metadata.csv` describes the documents of its own folder and the folders under it: a
`file` column holds each document's path relative to the CSV, the other columns are fields.
Empty cells say nothing. A broken CSV or front matter is reported, never guessed at.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import BadFileError

METADATA_CSV = "metadata.csv"
_PATH_COLUMNS = ("file", "path", "document")
_MAX_CSV_BYTES = 50 * 1024 * 1024
_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<yaml>.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE
)
_KEY_LINE = re.compile(r"[A-Za-z_][\w \-]*:(?:\s|$)")
_INT_FIELDS = ("year", "session")
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d %b %Y", "%Y/%m/%d")


@dataclass
class CsvMetadata:
    """Rows of every metadata.csv in a corpus, by document source; and what was wrong."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (csv source, reason)
    named_by: dict[str, str] = field(default_factory=dict)  # document source -> the CSV naming it


def normalise(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Fields in their canonical form; raises BadFileError naming `where` for a bad value."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).strip().lower().replace(" ", "_").replace("-", "_")
        if not name or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if name in _INT_FIELDS:
            out[name] = _integer(value, name, where)
        elif name == "date":
            out["date"] = _date(value, where)
        elif name == "country":
            out.update(_country(str(value), where))
        elif isinstance(value, (str, int, float, bool)):
            out[name] = value.strip() if isinstance(value, str) else value
        elif isinstance(value, (dt.date, dt.datetime)):
            out[name] = value.isoformat()
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            out[name] = [str(v) for v in value]
        else:
            raise BadFileError(f"{where}: field {name!r} is not text, a number or a list")
    if out.get("date") and "year" not in out:
        out["year"] = int(out["date"][:4])
    return out


def _integer(value: Any, name: str, where: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BadFileError(f"{where}: {name} {value!r} is not a whole number") from None
    return number


def _date(value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = " ".join(str(value).split())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}", text):
        return text  # a year alone is still a date a reader can use
    raise BadFileError(f"{where}: date {value!r} is not a date (write it as YYYY-MM-DD)")


def _country(value: str, where: str) -> dict[str, Any]:
    from ..countries import names, resolve

    codes = resolve(value)
    if len(codes) != 1:
        problem = "is ambiguous" if codes else "is not a known country"
        raise BadFileError(f"{where}: country {value!r} {problem} (give its ISO 3166 alpha-3 code)")
    code = codes[0]
    known = names(code) or [value.strip()]
    return {"country": code, "country_name": known[0], "country_names": known}


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """(fields, body) of a Markdown text; fields are {} when it has no front matter."""
    match = _FRONT_MATTER.match(text)
    # A Markdown text may open with a '---' rule: front matter starts with a 'key:' line.
    if not match or not _KEY_LINE.match(match["yaml"].lstrip("\r\n")):
        return {}, text
    import yaml  # only documents with front matter pay for it

    try:
        data = yaml.safe_load(match["yaml"])  # safe_load: a YAML tag can never build an object
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark is not None else ""
        raise BadFileError(f"{source}: front matter is not valid YAML{at}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadFileError(f"{source}: front matter must be 'key: value' lines")
    return normalise(data, f"{source} front matter"), text[match.end() :]


def read_csv_metadata(corpus: Path, csv_sources: list[str]) -> CsvMetadata:
    """Every metadata.csv (by its source under `corpus`), read into rows by document source.

    A CSV that cannot be read is reported whole; a row with a bad value is reported and the
    rest of its CSV is used.
    """
    found = CsvMetadata()
    # Shallow first: a deeper metadata.csv is nearer its documents and wins, field by field.
    for csv_source in sorted(csv_sources, key=lambda s: (s.count("/"), s)):
        try:
            _read_one(corpus / csv_source, csv_source, found)
        except BadFileError as exc:
            found.problems.append((csv_source, str(exc)))
    return found


def _read_one(path: Path, csv_source: str, found: CsvMetadata) -> None:
    try:
        if path.stat().st_size > _MAX_CSV_BYTES:
            raise BadFileError(f"{csv_source}: over the {_MAX_CSV_BYTES:,}-byte limit for metadata")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFileError(f"{csv_source}: not UTF-8 text") from None
    except OSError as exc:
        raise BadFileError(f"{csv_source}: cannot read file ({exc.strerror})") from None
    if "\x00" in text:
        raise BadFileError(f"{csv_source}: binary file (contains NUL bytes), not CSV")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        path_column = next((c for c in _PATH_COLUMNS if c in columns), None)
        if path_column is None:
            raise BadFileError(f"{csv_source}: needs a 'file' column naming each document, relative to it")
        folder = PurePosixPath(csv_source).parent
        for row in reader:
            line = reader.line_num
            try:
                if None in row:
                    raise BadFileError(f"{csv_source} line {line}: more cells than there are columns")
                cells = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
                name = (cells.pop(path_column) or "").strip().replace("\\", "/")
                if not name:
                    continue
                source = _join(folder, name)
                if source is None:
                    raise BadFileError(f"{csv_source} line {line}: {name!r} is outside the CSV's folder")
                fields = normalise(cells, f"{csv_source} line {line}")
            except BadFileError as exc:
                found.problems.append((csv_source, str(exc)))
                continue
            found.rows[source] = found.rows.get(source, {}) | fields
            found.named_by[source] = csv_source
    except csv.Error as exc:
        raise BadFileError(f"{csv_source}: not valid CSV ({exc})") from None


def _join(folder: PurePosixPath, name: str) -> str | None:
    """The corpus source of `name` written relative to `folder`; None if it leaves the folder."""
    if name.startswith("/"):
        return None
    parts: list[str] = [p for p in folder.parts if p not in ("", ".")]
    depth = len(parts)
    for part in PurePosixPath(name).parts:
        if part in ("", "."):
            continue
        if part == "..":
            if len(parts) <= depth:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) if parts else None
