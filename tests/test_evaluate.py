from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.errors import QueryError
from r2p_search.evaluate import EvalQuery, Relevant, load_queries, normalize_text, score_query
from r2p_search.search import Hit

from .conftest import SPEECH, run_cli


def hit(doc: str, text: str, rank: int = 1) -> Hit:
    return Hit(rank, 0.0, f"{doc}:1", doc, doc, None, f"{doc}.txt", 1, text, 1)


QUERY = EvalQuery(
    "q",
    [Relevant("SYR_66_2011", "the situation in Syria"), Relevant("2011/NOR_66_2011", "Arab Spring")],
)


def test_spans_match_across_spacing_case_and_quotes() -> None:
    assert normalize_text("States’  “positions”\n are") == 'states\' "positions" are'
    scored = score_query(QUERY, [hit("2011/SYR_66_2011", "addressing THE situation\nin Syria, our position")])
    assert scored.first_rank == 1 and scored.rr == 1.0


def test_metrics_count_each_relevant_passage_once() -> None:
    hits = [
        hit("other", "nothing here"),
        hit("SYR_66_2011", "the situation in Syria"),
        hit("SYR_66_2011", "again the situation in Syria"),  # same relevant item: no new gain
        hit("NOR_66_2011", "the Arab Spring swept the region"),
    ]
    scored = score_query(QUERY, hits)
    assert scored.first_rank == 2
    assert scored.rr == pytest.approx(0.5)
    assert scored.recall == 1.0
    ideal = 1 + 1 / 1.584962500721156
    assert scored.ndcg == pytest.approx((1 / 1.584962500721156 + 1 / 2.321928094887362) / ideal)


def test_wrong_document_does_not_count() -> None:
    scored = score_query(QUERY, [hit("LBY_66_2011", "the situation in Syria")])
    assert scored.first_rank is None and scored.rr == 0.0 and scored.recall == 0.0


def test_rank_beyond_cutoff_scores_zero_rr_but_counts_recall() -> None:
    hits = [hit("x", "filler", i) for i in range(1, 12)] + [hit("SYR_66_2011", "the situation in Syria", 12)]
    scored = score_query(QUERY, hits)
    assert scored.first_rank == 12 and scored.rr == 0.0 and scored.recall == 0.5


def test_load_queries_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "x", "relevant": [{"doc": "a", "span": "b"}]}\n# comment\n\n{"query": "y"}\n')
    with pytest.raises(QueryError, match=r"q.jsonl:4: not a query line"):
        load_queries(path)
    path.write_text('{"query": "x", "relevant": [{"doc": "a", "span": "b"}], "kind": "name"}\n')
    (query,) = load_queries(path)
    assert (query.query, query.kind, query.line, query.relevant) == ("x", "name", 1, [Relevant("a", "b")])


def test_repo_query_sets_are_well_formed() -> None:
    root = Path(__file__).parent / "eval"
    seed = load_queries(root / "seed.jsonl")
    ungdc = load_queries(root / "ungdc-2011.jsonl")
    assert len(seed) >= 12 and len(ungdc) >= 40
    assert len({q.query for q in seed + ungdc}) == len(seed) + len(ungdc)


def test_eval_cli_json_and_quality_gate(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    index = tmp_path / "index"
    assert run_cli("index", "--corpus", str(corpus), "--index", str(index), "--model", "hash").returncode == 0
    queries = tmp_path / "q.jsonl"
    lines = [
        {
            "query": "nuclear disarmament treaty",
            "kind": "keyword",
            "relevant": [{"doc": "beta", "span": "nuclear disarmament"}],
        },
        {
            "query": "resolution 1973",
            "kind": "symbol",
            "relevant": [{"doc": "sub/gamma", "span": "resolution 1973"}],
        },
    ]
    queries.write_text("\n".join(json.dumps(line) for line in lines))
    result = run_cli("eval", str(queries), "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert [m["mode"] for m in body["modes"]] == ["hybrid", "dense", "lexical"]
    lexical = body["modes"][2]
    assert (
        lexical["mrr@10"] == 1.0
        and lexical["hit@1"] == 1.0
        and set(lexical["by_kind"]) == {"keyword", "symbol"}
    )
    text = run_cli("eval", str(queries), "--index", str(index), "--mode", "lexical")
    assert "mrr@10" in text.stdout and "lexical" in text.stdout
    gate = run_cli("eval", str(queries), "--index", str(index), "--mode", "lexical", "--min-mrr", "1.01")
    assert gate.returncode == 1 and "below the required 1.010" in gate.stderr
