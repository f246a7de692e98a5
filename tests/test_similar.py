"""More like a text of one's own: `similar --text`, the API's POST /api/similar, the filters of both forms."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from r2p_search.errors import QueryError
from r2p_search.indexer import build_index
from r2p_search.query import Scope
from r2p_search.request import MAX_TEXT_CHARS
from r2p_search.search import Index

from .conftest import SPEECH, run_cli, write_files

DRAFT = "Famine and drought threaten the harvests of farmers; the region needs relief before the rains."


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("similar")
    corpus = write_files(root / "corpus", SPEECH)
    build_index(corpus, root / "index", model="hash")
    return root / "index"


def test_like_text_answers_as_similar_does(index_dir: Path) -> None:
    with Index.open(index_dir) as index:
        drafted = index.like_text(DRAFT, k=3)
        by_id = index.more_like("alpha:2", k=3)
    body = drafted.to_json()
    assert body.keys() == by_id.to_json().keys()
    assert body["passage_id"] is None and body["text"] == DRAFT
    assert body["results"][0]["passage_id"] == "alpha:2"  # the draft's own words are found
    assert [hit["rank"] for hit in body["results"]] == [1, 2, 3]


def test_a_quoted_paragraph_is_left_out_as_similar_leaves_out_its_own(index_dir: Path) -> None:
    with Index.open(index_dir) as index:
        pasted = index.passage("alpha:2").text
        quoted = index.like_text(f"As was said in Geneva: {pasted}", k=5)
        by_id = index.more_like("alpha:2", k=5)
    assert "alpha:2" not in [hit.passage_id for hit in quoted.hits]
    assert {hit.passage_id for hit in quoted.hits} == {hit.passage_id for hit in by_id.hits}


def test_like_text_keeps_to_the_filters(index_dir: Path) -> None:
    with Index.open(index_dir) as index:
        hits = index.like_text(DRAFT, k=5, scope=Scope(docs=("beta",))).hits
        by_id = index.more_like("alpha:2", k=5, scope=Scope(docs=("sub/gamma",))).hits
        per_doc = index.like_text(DRAFT, k=5, per_doc=1).hits
    assert hits and {hit.doc_id for hit in hits} == {"beta"}
    assert by_id and {hit.doc_id for hit in by_id} == {"sub/gamma"}
    assert len({hit.doc_id for hit in per_doc}) == len(per_doc)


def test_a_text_longer_than_a_passage_is_read_whole(index_dir: Path) -> None:
    long = " ".join([DRAFT] * 20 + ["Nuclear disarmament and the non-proliferation treaty."] * 20)
    with Index.open(index_dir) as index:
        vector = index.embed_text(long)
        first = index.embed_text(DRAFT)
        hits = index.like_text(long, k=2).hits
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert float(vector @ first) < 0.99  # the later sentences count too
    assert {hit.doc_id for hit in hits} == {"alpha", "beta"}


@pytest.mark.parametrize(
    ("text", "message"),
    [("  \n\x00 ", "empty text"), ("word " * (MAX_TEXT_CHARS // 4), "over the 20,000")],
)
def test_bad_texts_are_one_line_errors(index_dir: Path, text: str, message: str) -> None:
    with Index.open(index_dir) as index, pytest.raises(QueryError, match=message):
        index.like_text(text)


# ---- the command line ---------------------------------------------------------------------------


def cli(index_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    if stdin is None:
        return run_cli("similar", *args, "--index", str(index_dir))
    return subprocess.run(
        [sys.executable, "-m", "r2p_search", "similar", *args, "--index", str(index_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_similar_text_prints_what_similar_prints(index_dir: Path) -> None:
    done = cli(index_dir, "--text", DRAFT, "-k", "2", "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    by_id = json.loads(cli(index_dir, "alpha:2", "-k", "2", "--json").stdout)
    assert body.keys() == by_id.keys() and body["passage_id"] is None and body["text"] == DRAFT
    assert [hit.keys() for hit in body["results"]] == [hit.keys() for hit in by_id["results"]]
    with Index.open(index_dir) as index:
        assert body == index.like_text(DRAFT, k=2).to_json()
    piped = cli(index_dir, "--text", "-", "-k", "2", "--json", stdin=DRAFT + "\n")
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == body
    text = cli(index_dir, "--text", DRAFT, "-k", "1")
    assert text.returncode == 0 and "Famine and drought" in text.stdout and "alpha:2" in text.stdout


def test_similar_takes_the_search_filters(index_dir: Path) -> None:
    done = cli(index_dir, "alpha:1", "--doc", "beta", "--json")
    assert done.returncode == 0, done.stderr
    assert {hit["doc_id"] for hit in json.loads(done.stdout)["results"]} == {"beta"}
    done = cli(index_dir, "--text", DRAFT, "--doc", "sub/gamma", "-k", "1", "--json")
    assert [hit["doc_id"] for hit in json.loads(done.stdout)["results"]] == ["sub/gamma"]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        ((), None, 2, "PASSAGE_ID"),
        (("alpha:1", "--text", DRAFT), None, 2, "PASSAGE_ID"),
        (("--text", "   "), None, 1, "empty text"),
        (("--text", "-"), "", 1, "empty text"),
        (("--text", DRAFT, "--country", "Atlantis"), None, 1, "unknown country"),
    ],
)
def test_similar_text_mistakes(
    index_dir: Path, args: tuple[str, ...], stdin: str | None, code: int, message: str
) -> None:
    done = cli(index_dir, *args, stdin=stdin)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


# ---- the HTTP API -------------------------------------------------------------------------------


def test_post_api_similar_answers_what_the_cli_prints(index_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from r2p_search.live import LiveIndex
    from r2p_search.web.app import create_app

    with TestClient(create_app(LiveIndex(index_dir))) as client:
        got = client.post("/api/similar", json={"text": DRAFT, "k": 2, "doc": ["alpha", "beta"]})
        by_id = client.get("/api/similar/alpha:1", params={"doc": "beta", "k": 1})
        bad = [
            client.post("/api/similar", json=body).json()
            for body in ({"k": 2}, {"text": 3}, {"text": DRAFT, "kk": 1}, {"text": DRAFT, "k": "2"})
        ]
    assert got.status_code == 200, got.text
    printed = cli(index_dir, "--text", DRAFT, "-k", "2", "--doc", "alpha", "--doc", "beta", "--json")
    assert got.json() == json.loads(printed.stdout)
    assert by_id.json() == json.loads(cli(index_dir, "alpha:1", "--doc", "beta", "-k", "1", "--json").stdout)
    assert [body["error"] for body in bad] == [
        '"text" must be a string: the paragraph to find passages like',
        '"text" must be a string: the paragraph to find passages like',
        "unknown field 'kk' in the body",
        '"k" must be a whole number, not "2"',
    ]


# ---- other voices -------------------------------------------------------------------------------

VOICES = {
    "2011/SYR_66_2011.txt": "Famine threatens the harvests of the region.\n\nThe Council must act.\n",
    "2012/SYR_67_2012.txt": "Famine threatens the harvests of the region again.\n\nReform is overdue.\n",
    "2013/SYR_68_2013.txt": "Famine threatens the harvests of the region once more.\n\nWe seek peace.\n",
    "2011/BRA_66_2011.txt": "Famine threatens the harvests of our farmers.\n\nWe support reform.\n",
    "2011/sg-remarks.txt": "Famine threatens the harvests of millions.\n\nThe world must respond.\n",
}


@pytest.fixture(scope="module")
def voices_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("voices")
    build_index(write_files(root / "corpus", VOICES), root / "index", model="hash")
    return root / "index"


def test_other_speakers_leaves_out_the_passage_s_own_country_and_only_it(voices_index: Path) -> None:
    from fastapi.testclient import TestClient

    from r2p_search import api
    from r2p_search.live import LiveIndex
    from r2p_search.web.app import create_app

    with Index.open(voices_index) as index:
        same = [h.doc_id for h in index.more_like("2011/SYR_66_2011:1", k=4).hits]
        others = index.more_like("2011/SYR_66_2011:1", k=4, other_speakers=True)
        # A document where no country speaks leaves out only itself.
        no_country = [h.doc_id for h in index.more_like("2011/sg-remarks:1", k=10, other_speakers=True).hits]
        with pytest.raises(QueryError, match="no speaker"):
            api.similar(index, text=DRAFT, other_speakers=True)
    assert {"2012/SYR_67_2012", "2013/SYR_68_2013"} <= set(same)  # its own country's other speeches
    assert [h.doc_id for h in others.hits] and all(h.meta.get("country") != "SYR" for h in others.hits)
    assert {h.doc_id for h in others.hits} == {"2011/BRA_66_2011", "2011/sg-remarks"}
    assert "2011/sg-remarks" not in no_country and "2011/SYR_66_2011" in no_country
    printed = cli(voices_index, "2011/SYR_66_2011:1", "--other-speakers", "--json")
    assert json.loads(printed.stdout) == others.to_json()
    with TestClient(create_app(LiveIndex(voices_index))) as client:
        got = client.get("/api/similar/2011/SYR_66_2011:1", params={"other_speakers": "true", "k": 4})
    assert got.status_code == 200 and got.json() == others.to_json()
    refused = run_cli("similar", "--text", DRAFT, "--other-speakers", "--index", str(voices_index))
    assert refused.returncode == 2 and "--other-speakers" in refused.stderr and "no speaker" in refused.stderr
