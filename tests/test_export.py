"""Results as CSV and Markdown: the writer the CLI (`search --format`) and the server share."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from r2p_search.export import CSV_COLUMNS, csv_text, markdown, markdown_item, short_quote

from .conftest import SPEECH, run_cli

REQUIRED = ["rank", "score", "citation", "passage_id", "doc_id", "title", "date", "paragraph", "text"]

HIT = {
    "rank": 1,
    "score": 0.8125,
    "passage_id": "2011/SYR_66_2011:3",
    "doc_id": "2011/SYR_66_2011",
    "title": "Syrian Arab Republic, General Debate 2011",
    "date": None,
    "paragraph": 3,
    "page": None,
    "text": '=HYPERLINK("http://evil") The protection of civilians is a *duty* [of States].',
    "citation": "Syrian Arab Republic, General Debate 2011 · 2011 · para. 3",
    "meta": {"country_name": "Syrian Arab Republic", "symbol": None},
}


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_has_the_header_first_and_a_row_per_hit_in_order() -> None:
    second = HIT | {"rank": 2, "passage_id": "2011/SYR_66_2011:4", "text": 'Dialogue, "reforms",\nand peace.'}
    parsed = rows(csv_text([{"query": "civilians", "results": [HIT, second]}]))
    header, *body = parsed
    assert header[: len(REQUIRED) - 1] == REQUIRED[:-1] and "text" in header
    assert header == list(CSV_COLUMNS)
    assert len(body) == 2
    first = dict(zip(header, body[0], strict=True))
    assert first["rank"] == "1" and first["score"] == "0.8125" and first["paragraph"] == "3"
    assert first["citation"] == HIT["citation"] and first["country"] == "Syrian Arab Republic"
    assert first["date"] == "" and first["query"] == "civilians"
    # Quotes, commas and a newline in a passage survive the round trip.
    assert dict(zip(header, body[1], strict=True))["text"] == 'Dialogue, "reforms",\nand peace.'


def test_csv_cells_that_a_spreadsheet_would_run_are_text() -> None:
    evil = HIT | {"title": "@SUM(1+1)", "citation": "-2+3", "date": "+1"}
    first = dict(zip(CSV_COLUMNS, rows(csv_text([{"query": "q", "results": [evil]}]))[1], strict=True))
    assert first["text"].startswith("'=HYPERLINK")
    assert (first["title"], first["citation"], first["date"]) == ("'@SUM(1+1)", "'-2+3", "'+1")
    assert first["rank"] == "1"  # numbers stay numbers


def test_csv_of_no_hits_is_the_header_alone() -> None:
    assert rows(csv_text([{"query": "q", "results": []}])) == [list(CSV_COLUMNS)]


def test_markdown_item_has_citation_passage_id_and_a_short_quote() -> None:
    item = markdown_item(HIT | {"best_sentence": "The protection of civilians is a *duty*."})
    assert item == (
        "- Syrian Arab Republic, General Debate 2011 · 2011 · para. 3 (`2011/SYR_66_2011:3`): "
        '"The protection of civilians is a \\*duty\\*."'
    )
    # Without a best sentence the passage is quoted from its start; markup in it stays text.
    assert '"=HYPERLINK("http://evil") The protection of civilians is a \\*duty\\* \\[of States\\]."' in (
        markdown_item(HIT)
    )
    assert markdown_item(HIT | {"passage_id": "odd`name:1"}).count("``") == 2


def test_short_quote_cuts_after_a_word() -> None:
    long = "The responsibility to protect " * 20
    quote = short_quote(long, limit=50)
    assert quote == "The responsibility to protect The responsibility…"
    assert short_quote("Line one\nline\ttwo\x1b[2J") == "Line one line two [2J"


def test_markdown_headings_name_each_question() -> None:
    found = [{"query": "famine", "results": [HIT]}, {"query": "none", "results": []}]
    text = markdown(found, headings=True)
    assert text.startswith("## famine\n\n- Syrian Arab Republic")
    assert "## none\n" in text
    assert markdown(found) == markdown_item(HIT) + "\n"


# ---- the command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import write_files

    root = tmp_path_factory.mktemp("export")
    corpus = write_files(root / "corpus", SPEECH)
    done = run_cli("index", "--corpus", str(corpus), "--index", str(root / "index"), "--model", "hash")
    assert done.returncode == 0, done.stderr
    return root / "index"


def search(index: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli("search", *args, "--index", str(index))
    return done.returncode, done.stdout, done.stderr


def test_search_format_csv_prints_only_csv(index: Path) -> None:
    code, out, err = search(index, "protection of civilians", "-k", "3", "--format", "csv")
    assert code == 0, err
    header, *body = rows(out)
    assert header[:8] == REQUIRED[:8] and set(REQUIRED) <= set(header)
    as_json = json.loads(search(index, "protection of civilians", "-k", "3", "--json")[1])
    assert len(body) == len(as_json["results"]) == 3
    for row, hit in zip(body, as_json["results"], strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["passage_id"] == hit["passage_id"] and cells["citation"] == hit["citation"]
        assert cells["text"] == hit["text"] and float(cells["score"]) == hit["score"]
        assert cells["query"] == "protection of civilians"
    # What the question was read as is a notice: on stderr, not in the CSV.
    code, out, err = search(index, "civilians", "--doc", "sub/gamma", "--format", "csv")
    assert code == 0 and "understood: document: sub/gamma" in err
    assert all(row[header.index("doc_id")] == "sub/gamma" for row in rows(out)[1:])
    code, out, err = search(index, "civilians", "--doc", "beta", "--mode", "lexical", "--format", "csv")
    assert (code, rows(out)) == (0, [header]) and "No passages found." in err


def test_search_format_csv_of_many_questions_has_one_header(index: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.txt"
    queries.write_text("famine\nnuclear disarmament\n")
    code, out, err = search(index, "--queries", str(queries), "-k", "2", "--format", "csv")
    assert code == 0, err
    header, *body = rows(out)
    assert header == list(CSV_COLUMNS) and len(body) == 4
    assert [row[header.index("query")] for row in body] == ["famine"] * 2 + ["nuclear disarmament"] * 2


def test_search_format_json_is_json(index: Path) -> None:
    formatted = search(index, "famine", "-k", "2", "--format", "json")
    assert formatted == search(index, "famine", "-k", "2", "--json")
    assert search(index, "famine", "-k", "2", "--json", "--format", "json")[1] == formatted[1]
    code, out, err = search(index, "famine", "--json", "--format", "csv")
    assert code == 2 and out == "" and "--json" in err


def test_search_format_markdown_lists_citations(index: Path) -> None:
    code, out, err = search(index, "nuclear disarmament treaty", "-k", "2", "--format", "markdown")
    assert code == 0, err
    as_json = json.loads(search(index, "nuclear disarmament treaty", "-k", "2", "--json")[1])
    items = out.splitlines()
    assert len(items) == 2 and all(item.startswith("- ") for item in items)
    first = as_json["results"][0]
    assert items[0].startswith(f'- {first["citation"]} (`{first["passage_id"]}`): "')
    assert "Nuclear disarmament and the non-proliferation treaty" in items[0]


def test_server_csv_is_the_cli_csv(index: Path) -> None:
    from fastapi.testclient import TestClient

    from r2p_search.live import LiveIndex
    from r2p_search.web.app import create_app

    with TestClient(create_app(LiveIndex(index))) as client:
        got = client.get("/api/search.csv", params={"q": "famine", "k": 3})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.text == search(index, "famine", "-k", "3", "--format", "csv")[1]
