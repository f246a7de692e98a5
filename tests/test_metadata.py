"""Document metadata: file names, first-line headers, YAML front matter and metadata.csv."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.documents import SourceFile, find_corpus, read_document
from r2p_search.embedding import HashingEmbedder
from r2p_search.errors import BadFileError
from r2p_search.indexer import build_index, corpus_status
from r2p_search.query import Scope
from r2p_search.search import Index

from .conftest import run_cli

BODY = "The Council must act to protect civilians from atrocity crimes.\n\nWe support mediation.\n"


def read(root: Path, source: str, extra: dict | None = None):
    return read_document(SourceFile(root / source, source, extra or {}))


def test_general_debate_file_name(tmp_path: Path) -> None:
    (tmp_path / "CIV_66_2011.txt").write_text(BODY)
    meta = read(tmp_path, "CIV_66_2011.txt").meta
    assert (meta["country"], meta["country_name"], meta["session"], meta["year"]) == (
        "CIV",
        "Côte d'Ivoire",
        66,
        2011,
    )
    assert meta["title"] == "Côte d'Ivoire, General Debate, 66th session (2011)"


@pytest.mark.parametrize(
    ("code", "name"),
    [("PSE", "State of Palestine"), ("COD", "Democratic Republic of the Congo"), ("BOL", "Bolivia")],
)
def test_a_country_is_named_as_the_un_says_it_not_in_a_list_s_order(
    tmp_path: Path, code: str, name: str
) -> None:
    (tmp_path / f"{code}_66_2011.txt").write_text(BODY)
    assert read(tmp_path, f"{code}_66_2011.txt").meta["country_name"] == name


def test_first_line_header(tmp_path: Path) -> None:
    (tmp_path / "remarks.txt").write_text(
        "New York, 23 September 2011 - Secretary-General's remarks\n" + BODY
    )
    doc = read(tmp_path, "remarks.txt")
    assert doc.meta["date"] == "2011-09-23" and doc.meta["year"] == 2011
    assert doc.meta["place"] == "New York" and doc.meta["speaker"] == "UN Secretary-General"
    assert doc.body == BODY


def test_front_matter_fields_are_normalised_and_removed_from_the_text(tmp_path: Path) -> None:
    (tmp_path / "note.md").write_text(
        "---\ntitle: Statement on Darfur\ncountry: Burma\ndate: 2008-03-04\nspeaker: J. Doe\n"
        "organ: Security Council\ntags: [sudan, darfur]\n---\n" + BODY
    )
    doc = read(tmp_path, "note.md")
    assert doc.title == "Statement on Darfur"
    assert doc.meta["country"] == "MMR" and doc.meta["country_name"] == "Myanmar"
    assert (doc.meta["date"], doc.meta["year"]) == ("2008-03-04", 2008)
    assert doc.meta["organ"] == "Security Council" and doc.meta["tags"] == ["sudan", "darfur"]
    assert doc.body == BODY


def test_a_markdown_rule_is_not_front_matter(tmp_path: Path) -> None:
    text = "---\nA rule opens this note.\n\n---\n" + BODY
    (tmp_path / "rule.md").write_text(text)
    assert read(tmp_path, "rule.md").body == text


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("title: [unclosed\n", "front matter is not valid YAML"),
        ("country: Narnia\n", "country 'Narnia' is not a known country"),
        ("year: soon\n", "year 'soon' is not a whole number"),
        ("date: 31/31/2011\n", "is not a date"),
        ("title: !!python/object/apply:os.system [echo pwned]\n", "front matter is not valid YAML"),
    ],
)
def test_bad_front_matter_is_a_reason_to_skip(tmp_path: Path, front: str, reason: str) -> None:
    (tmp_path / "bad.md").write_text(f"---\n{front}---\n" + BODY)
    with pytest.raises(BadFileError, match=reason):
        read(tmp_path, "bad.md")


def test_metadata_csv_gives_fields_to_the_documents_beside_and_below_it(make_corpus: Callable) -> None:
    corpus = make_corpus(
        {
            "statements/sc-1.txt": BODY,
            "statements/deep/sc-2.md": "---\nspeaker: From front matter\nyear: 1999\n---\n" + BODY,
            "statements/metadata.csv": (
                "file,country,date,speaker,organ,title\n"
                "sc-1.txt,Ivory Coast,2011-03-30,A. Envoy,Security Council,On Abidjan\n"
                "deep/sc-2.md,,,From the CSV,,\n"
            ),
            "statements/deep/metadata.csv": "file,year\nsc-2.md,2012\n",
        }
    )
    found = find_corpus(corpus)
    assert found.problems == []
    by_source = {f.source: read_document(f) for f in found.files}
    one = by_source["statements/sc-1.txt"]
    assert one.title == "On Abidjan" and one.meta["country"] == "CIV" and one.meta["year"] == 2011
    assert one.meta["organ"] == "Security Council"
    two = by_source["statements/deep/sc-2.md"].meta
    # The CSV wins over front matter, and the deeper CSV over the shallower one.
    assert two["speaker"] == "From the CSV" and two["year"] == 2012


def test_metadata_csv_problems_are_reported_and_the_rest_used(make_corpus: Callable) -> None:
    corpus = make_corpus(
        {
            "a.txt": BODY,
            "b.txt": BODY,
            "metadata.csv": "file,country,year\na.txt,Narnia,2011\nb.txt,Chile,2012\n../x.txt,Chile,2012\n"
            "gone.txt,Peru,2010\n",
            "sub/metadata.csv": "name,year\nc.txt,2000\n",
            "sub/c.txt": BODY,
            "deep/metadata.csv": "file,year\nd.txt,2001\nmissing.txt,2001\n",
            "deep/d.txt": BODY,
        }
    )
    found = find_corpus(corpus)
    reasons = " | ".join(reason for _, reason in found.problems)
    assert "country 'Narnia' is not a known country" in reasons
    assert "'../x.txt' is outside the CSV's folder" in reasons
    # A file named but absent is reported against the CSV that names it.
    assert (
        "metadata.csv",
        "metadata.csv: metadata given for files not in the corpus: gone.txt",
    ) in found.problems
    assert (
        "deep/metadata.csv",
        "deep/metadata.csv: metadata given for files not in the corpus: deep/missing.txt",
    ) in found.problems
    assert "sub/metadata.csv: needs a 'file' column" in reasons
    extra = {f.source: f.extra for f in found.files}
    assert extra["b.txt"]["country"] == "CHL" and extra["a.txt"] == {}


def test_editing_metadata_csv_re_indexes_the_documents_it_names(
    make_corpus: Callable, tmp_path: Path
) -> None:
    corpus = make_corpus(
        {
            "a.txt": BODY,
            "b.txt": BODY.replace("mediation", "sanctions"),
            "metadata.csv": "file,year\na.txt,2001\n",
        }
    )
    index_dir = tmp_path / "index"
    embedder = HashingEmbedder(64)
    build_index(corpus, index_dir, embedder=embedder)
    (corpus / "metadata.csv").write_text("file,year,country\na.txt,2003,Chile\n")
    assert corpus_status(corpus, index_dir).scan.changed == ["a.txt"]
    report = build_index(corpus, index_dir, embedder=embedder)
    assert (report.changed, report.unchanged) == (["a.txt"], ["b.txt"])
    with Index.open(index_dir, embedder=embedder) as index:
        hits = index.search(
            "protect civilians", k=5, scope=Scope(countries=("CHL",), year_from=2003, year_to=2003)
        )
    assert {h.doc_id for h in hits} == {"a"}


def test_metadata_reaches_results_and_json(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(
        {
            "sg/open.md": "---\ntitle: Opening of the debate\nspeaker: Secretary-General\ndate: 2019-09-24\n"
            "country: Ivory Coast\n---\n" + BODY,
        }
    )
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder=HashingEmbedder(64))
    run = run_cli("search", "protect civilians", "--index", str(index_dir), "--model", "hash", "--json")
    assert run.returncode == 0, run.stderr
    hit = json.loads(run.stdout)["results"][0]
    assert hit["meta"]["speaker"] == "Secretary-General" and hit["meta"]["country"] == "CIV"
    assert hit["date"] == "2019-09-24" and hit["title"] == "Opening of the debate"
    text = run_cli("search", "protect civilians", "--index", str(index_dir), "--model", "hash")
    assert "Secretary-General" in text.stdout and "Côte d'Ivoire" in text.stdout
