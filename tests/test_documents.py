from __future__ import annotations

import os
from pathlib import Path

import pytest

from r2p_search.documents import (
    SourceFile,
    decode,
    doc_id_for,
    find_files,
    parse_file_name,
    parse_header_line,
    read_document,
)
from r2p_search.errors import BadFileError, CorpusError

from .conftest import SEED


def test_seed_header_gives_place_date_and_title() -> None:
    doc = read_document(SourceFile(SEED, SEED.name))
    assert doc.meta["place"] == "New York"
    assert doc.meta["date"] == "2011-09-23"
    assert doc.meta["year"] == 2011
    assert doc.title.startswith("Secretary-General's remarks at Breakfast Roundtable")
    assert "[as prepared" not in doc.title
    # The header is metadata, not a passage.
    assert doc.body.lstrip().startswith("Thank you, Mr. Chairman")


@pytest.mark.parametrize(
    "line",
    [
        "Plain text that starts a speech, 23 September 2011 - no place",
        "New York, 31 February 2011 - impossible date",
        "New York, 23 Septembre 2011 - not an English month",
    ],
)
def test_lines_that_are_not_headers(line: str) -> None:
    assert parse_header_line(line + "\n\nBody.") is None


def test_general_debate_file_names() -> None:
    meta = parse_file_name("SYR_66_2011")
    assert meta is not None
    assert (meta["country"], meta["session"], meta["year"]) == ("SYR", 66, 2011)
    assert meta["country_name"] == "Syria"
    assert meta["title"] == "Syria, General Debate, 66th session (2011)"
    assert parse_file_name("EU_66_2011")["country_name"] == "European Union"  # type: ignore[index]
    assert parse_file_name("notes_2011") is None


def test_doc_ids_are_paths_without_suffix() -> None:
    assert doc_id_for("2011/SYR_66_2011.txt") == "2011/SYR_66_2011"
    assert doc_id_for("README") == "README"


def test_decode_accepts_utf8_bom_and_utf16() -> None:
    assert decode("\ufeffCôte d'Ivoire".encode(), "x") == "Côte d'Ivoire"
    assert decode("Côte d'Ivoire".encode("utf-16"), "x") == "Côte d'Ivoire"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01\x02binary", "binary"),
        ("Côte".encode("latin-1"), "not UTF-8"),
    ],
)
def test_decode_refuses_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(BadFileError, match=reason):
        decode(data, "bad.txt")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n ")
    with pytest.raises(BadFileError, match="empty"):
        read_document(SourceFile(path, "empty.txt"))


def test_oversized_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.truncate(5_000_000)  # sparse: costs no disk
    monkeypatch.setenv("R2P_MAX_FILE_BYTES", "1000000")
    with pytest.raises(BadFileError, match="over the 1,000,000-byte limit"):
        read_document(SourceFile(path, "big.txt"))


def test_markdown_title_from_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("# Report on Libya\n\nThe Council acted under Chapter VII of the Charter.\n")
    assert read_document(SourceFile(path, "note.md")).title == "Report on Libya"


def test_find_files_recurses_and_filters(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / "two.MD").write_text("x")
    (tmp_path / "skip.png").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "three.txt").write_text("x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("secret")
    os.symlink(outside, tmp_path / "link.txt")
    assert [f.source for f in find_files(tmp_path)] == ["a/one.txt", "two.MD"]


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="corpus folder not found"):
        find_files(tmp_path / "nope")
