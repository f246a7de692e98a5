from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.embedding import HashingEmbedder
from r2p_search.errors import QueryError
from r2p_search.fusion import Fusion, linear, rrf
from r2p_search.indexer import build_index
from r2p_search.retrieval import lexical_match
from r2p_search.search import Index

DENSE = [(1, 0.9), (2, 0.8), (3, 0.7)]
LEXICAL = [(3, 12.0), (4, 6.0)]


def test_rrf_adds_reciprocal_ranks() -> None:
    fused = rrf(DENSE, LEXICAL, lexical_weight=1.0, k=60)
    assert [c.row for c in fused][:2] == [3, 1]  # second in neither list alone, but in both
    top = fused[0]
    assert top.score == pytest.approx(1 / 63 + 1 / 61)
    assert (top.dense_rank, top.lexical_rank) == (3, 1)


def test_rrf_lexical_weight_zero_is_dense_order() -> None:
    assert [c.row for c in rrf(DENSE, LEXICAL, lexical_weight=0.0)][:3] == [1, 2, 3]


def test_linear_keeps_dense_backbone_and_lifts_strong_lexical_matches() -> None:
    fused = linear(DENSE, LEXICAL, lexical_weight=0.25, dense_of={4: 0.5})
    scores = {c.row: c.score for c in fused}
    assert scores[3] == pytest.approx(0.7 + 0.25)
    assert scores[4] == pytest.approx(0.5 + 0.25 * 0.5)
    assert scores[1] == pytest.approx(0.9)
    assert [c.row for c in fused] == [3, 1, 2, 4]
    assert next(c for c in fused if c.row == 4).dense_score == 0.5


def test_short_and_symbol_queries_lean_lexical_and_questions_get_a_smaller_vote() -> None:
    fusion = Fusion()
    for short in ("A/66/874", "Kyrgyzstan", "resolution 1973 on Libya", "Horn of Africa"):
        assert fusion.rule(short) == ("linear", 0.5), short
    for question in (
        "what has the UN done about famine in the region",
        "What did Canada say about the famine in the region",
    ):
        assert fusion.rule(question) == ("rrf", 0.3), question
    assert Fusion(lexical_weight=0.0).rule("states that failed to shield their own people")[1] == 0.0


def test_a_question_is_fused_with_the_rules_own_constant() -> None:
    question = "what has the UN done about famine in the region"
    for k in (30, 60):
        top = Fusion(rrf_k=k).rank(question, DENSE, LEXICAL, {})[0]
        assert top.row == 3 and top.score == pytest.approx(1 / (k + 3) + 0.3 / (k + 1))
    assert Fusion().rrf_k == 30


def test_lexical_match_quotes_terms_and_drops_stopwords() -> None:
    assert lexical_match("what about Syria") == '"syria"'
    assert lexical_match("A/66/874 report") == '"a 66 874" OR "report"'
    assert lexical_match("the of") == '"the" OR "of"'
    assert lexical_match('"; DROP TABLE passages; --') == '"drop" OR "table" OR "passages"'
    assert lexical_match("!!!") is None


CORPUS = {
    "dup1.txt": "The famine in Somalia demands urgent humanitarian assistance from all donors.\n",
    "dup2.txt": "The famine in Somalia demands urgent humanitarian assistance from all donors.\n",
    "many.txt": "\n\n".join(
        f"Paragraph {i} on the famine in Somalia and drought in the Horn of Africa region." for i in range(6)
    ),
    "other.txt": "Nuclear disarmament remains the first priority of the delegation this year.\n\n"
    "Document A/66/874 reports on the responsibility to protect and timely response.\n",
}


@pytest.fixture
def index(make_corpus: Callable, tmp_path: Path) -> Index:
    build_index(make_corpus(CORPUS), tmp_path / "index", embedder=HashingEmbedder(64))
    return Index.open(tmp_path / "index", embedder=HashingEmbedder(64))


def test_identical_passages_are_collapsed(index: Index) -> None:
    hits = index.search("famine Somalia humanitarian assistance donors", k=10)
    texts = [h.text for h in hits]
    assert len(texts) == len(set(texts))
    assert sum(h.source in ("dup1.txt", "dup2.txt") for h in hits) == 1


def test_per_doc_limits_passages_per_document(index: Index) -> None:
    unlimited = index.search("famine Somalia drought Horn of Africa", k=10)
    assert sum(h.source == "many.txt" for h in unlimited) > 1
    limited = index.search("famine Somalia drought Horn of Africa", k=10, per_doc=1)
    sources = [h.source for h in limited]
    assert len(sources) == len(set(sources))
    with pytest.raises(QueryError, match="--per-doc"):
        index.search("famine", per_doc=0)


def test_modes_and_explain(index: Index) -> None:
    lexical = index.search("A/66/874", k=3, mode="lexical", explain=True)
    assert lexical[0].text.startswith("Document A/66/874")
    assert lexical[0].explain is not None and lexical[0].explain["lexical_rank"] == 1
    hybrid = index.search("A/66/874", k=3, explain=True)
    assert hybrid[0].text.startswith("Document A/66/874")
    assert set(hybrid[0].explain or {}) == {"dense_rank", "dense_score", "lexical_rank", "lexical_score"}
    dense = index.search("A/66/874", k=3, mode="dense")
    assert dense[0].explain is None
    with pytest.raises(QueryError, match="unknown mode"):
        index.search("x", mode="fuzzy")


def test_lexical_mode_needs_no_model(index: Index) -> None:
    class Exploding(HashingEmbedder):
        def embed(self, texts, progress=None):
            raise AssertionError("lexical search must not embed")

    index._embedder = Exploding(64)
    assert index.search("Somalia", k=2, mode="lexical")


def test_lexical_side_uses_document_metadata(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(
        {
            "BRA_66_2011.txt": "We support the responsibility while protecting as a concept.\n",
            "NOR_66_2011.txt": "We support the responsibility to protect as a concept.\n",
        }
    )
    build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    with Index.open(tmp_path / "index", embedder=HashingEmbedder(64)) as idx:
        hits = idx.search("Brazil", k=2, mode="lexical")
    assert [h.meta["country"] for h in hits] == ["BRA"]
    # An incremental build copies unchanged documents with their metadata words.
    (corpus / "NOR_66_2011.txt").write_text("Norway changed its statement on the protection of civilians.\n")
    report = build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    assert report.unchanged == ["BRA_66_2011.txt"]
    with Index.open(tmp_path / "index", embedder=HashingEmbedder(64)) as idx:
        assert [h.meta["country"] for h in idx.search("Brazil", k=2, mode="lexical")] == ["BRA"]
