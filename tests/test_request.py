"""One request, one result: what every front end sends and gets back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.errors import QueryError
from r2p_search.indexer import build_index
from r2p_search.query import Scope
from r2p_search.request import GroupBy, Mode, SearchRequest
from r2p_search.search import Index

from .conftest import SPEECH, run_cli


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"k": 0}, "-k must be at least 1"),
        ({"mode": "bogus"}, "unknown mode 'bogus'"),
        ({"mode": "HYBRID"}, "unknown mode 'HYBRID'"),  # values are case-sensitive
        ({"mode": ""}, "unknown mode ''"),
        ({"per_doc": 0}, "--per-doc must be at least 1"),
        ({"query": " \x00\t "}, "empty query"),
    ],
)
def test_a_bad_request_is_refused_when_it_is_made(options: dict[str, object], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        SearchRequest(**{"query": "famine", **options})  # type: ignore[arg-type]


def test_a_request_is_frozen_keyword_only_and_cleaned() -> None:
    request = SearchRequest(query="  famine\x1b[2J in\tthe Horn ", mode="dense", group_by="country")
    assert request.query == "famine [2J in the Horn"
    assert request.mode is Mode.dense and request.group_by is GroupBy.country
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.k = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        SearchRequest("famine")  # type: ignore[misc]


def test_the_result_is_what_search_json_prints(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, model="hash")
    with Index.open(index_dir) as index:
        requests = [
            SearchRequest(query="famine in the region", k=2, explain=True),
            SearchRequest(query="civilians", k=5, mode="lexical", scope=Scope(docs=("sub/gamma",))),
        ]
        results = index.answer(requests)
    assert [len(r.hits) for r in results] == [2, 1]
    assert {h.doc_id for h in results[1].hits} == {"sub/gamma"}
    assert results[0].fusion is not None and results[1].fusion is None
    common = ("--corpus", str(corpus), "--index", str(index_dir), "--json")
    printed = [
        run_cli("search", "famine in the region", "-k", "2", "--explain", *common),
        run_cli("search", "civilians", "-k", "5", "--mode", "lexical", "--doc", "sub/gamma", *common),
    ]
    for result, done in zip(results, printed, strict=True):
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == result.to_json()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"k": 2.5}, "-k must be at least 1, got 2.5"),
        ({"k": True}, "-k must be at least 1, got True"),
        ({"per_doc": 1.5}, "--per-doc must be at least 1"),
        ({"group_by": "year"}, "cannot group by 'year': use country"),
        ({"scope": {"countries": ["SYR"]}}, "scope must be a query.Scope, not dict"),
        ({"query": None}, "a query is text, not NoneType"),
        ({"query": b"famine"}, "a query is text, not bytes"),
    ],
)
def test_a_request_of_the_wrong_type_is_a_one_line_error(options: dict[str, object], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        SearchRequest(**{"query": "famine", **options})  # type: ignore[arg-type]


def test_more_like_show_and_group_by_check_their_options(make_corpus: Callable, tmp_path: Path) -> None:
    speeches = {  # General Debate file names: each speech is its country's
        "SYR_66_2011.txt": SPEECH["alpha.txt"],
        "FRA_66_2011.txt": SPEECH["sub/gamma.md"],
        "alpha.txt": SPEECH["alpha.txt"],
    }
    build_index(make_corpus(speeches), tmp_path / "index", model="hash")
    with Index.open(tmp_path / "index") as index:
        with pytest.raises(QueryError, match="--per-doc must be at least 1"):
            index.more_like("alpha:1", per_doc=0)
        with pytest.raises(QueryError, match="--context must be 0 or more"):
            index.show("alpha:1", "2")  # type: ignore[arg-type]
        like = index.more_like("alpha:1", k=2)
        assert like.to_json()["text"] == index.passage("alpha:1").text
        assert index.show("alpha:1").to_json()["also"] == []
        [grouped] = index.answer([SearchRequest(query="civilians", group_by="country", explain=True)])
        assert grouped.hits and all(h.explain is not None for h in grouped.hits)
