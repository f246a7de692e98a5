"""BM25 from the postings gives FTS5's own scores and order, and old indexes gain postings."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.embedding import HashingEmbedder
from r2p_search.indexer import build_index
from r2p_search.postings import ROWS, WEIGHTS, Tokenizer
from r2p_search.query import Scope
from r2p_search.retrieval import lexical_terms
from r2p_search.store import MANIFEST, Store, verify_index

ODD = {
    "2011/FRA_66_2011.txt": "    La Côte d'Ivoire et le Conseil de sécurité: réfugiés, co-operation, "
    "foo_bar, naïve CAFÉ and cafe\u0301, ŁÓDŹ, straße, Ⅻ ½ ², 東京 نَحْنُ, A/66/874 and S/RES/1973 (2011).\n",
    "2011/GBR_66_2011.txt": "    Refugees and refugee camps; the refugee's plight. Resolution 1973 (2011) "
    "on Libya.\n"
    "    A second paragraph on the responsibility to protect, and on Côte d'Ivoire.\n",
    "2012/USA_67_2012.txt": "    Protect, protected, protecting: the responsibility to protect people.\n",
}


def _same(store: Store, terms: list[str], limit: int, scope: Scope | None = None, also: Scope | None = None):
    fast = store.bm25(terms, limit, scope, also)
    slow = store.lexical(" OR ".join(terms), limit, scope, also)
    assert [r for r, _ in fast] == [r for r, _ in slow], terms
    assert [s for _, s in fast] == pytest.approx([s for _, s in slow], rel=1e-5, abs=1e-6)
    return fast


def _rounded(ranking: list[tuple[int, float]]) -> list[tuple[int, float]]:
    return [(row, round(score, 5)) for row, score in ranking]


@pytest.fixture(scope="module")
def odd_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("odd")
    for name, text in ODD.items():
        (root / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    build_index(root / "corpus", root / "index", embedder=HashingEmbedder(16))
    return root / "index"


def test_the_tokenizer_is_fts5s_own() -> None:
    tokens = Tokenizer().tokens(["Refugees", "réfugiés", "co-operation", "foo_bar", "", "A/66/874", "!!"])
    assert tokens == [["refuge"], ["refugi"], ["co", "oper"], ["foo", "bar"], [], ["a", "66", "874"], []]


def test_postings_score_odd_text_as_fts5_does(odd_index: Path) -> None:
    with Store.open(odd_index) as store:
        assert store.postings is not None
        vocabulary = {w.lower() for text in ODD.values() for w in re.findall(r"\S+", text)}
        for word in sorted(vocabulary):
            terms = lexical_terms(word)
            if terms:
                _same(store, terms, 10)
        _same(store, lexical_terms("refugees in Côte d'Ivoire, A/66/874"), 10)
        _same(store, lexical_terms("café naive lodz strasse"), 10)
        assert store.bm25(['"nowhere"'], 10) == []
        for term in ('"refugees"', '"protect"', '"a 66 874"', '"foo_bar"', '"nowhere"'):
            assert store.term_count(term) == store.match_count(term), term
        assert store.term_count('"protect"') == 2


def test_postings_score_real_speeches_as_fts5_does(ungdc: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for year in ("2011", "2012"):
        for path in sorted((ungdc / year).glob("*.txt"))[:12]:
            (corpus / year).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, corpus / year / path.name)
    build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(16))
    with Store.open(tmp_path / "index") as store:
        questions = [
            "responsibility to protect",
            "what about Syria",
            "refugees fleeing the conflict in Libya",
            "climate change and small island developing States",
            "reform of the Security Council veto",
            "S/RES/1973 and the Millennium Development Goals",
            "nuclear non-proliferation treaty",
            "the",
        ]
        for question in questions:
            terms = lexical_terms(question)
            _same(store, terms, 50)
            _same(store, terms, 5, scope=Scope(year_from=2012, year_to=2012))
            _same(store, terms, 5, scope=Scope(year_from=2011, year_to=2011), also=Scope(("AFG",)))


def test_an_index_without_postings_answers_from_fts5_and_gains_them_without_embedding(
    make_corpus: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    corpus = make_corpus(ODD)
    index = tmp_path / "index"
    build_index(corpus, index, embedder=HashingEmbedder(16))
    with Store.open(index) as store:
        expected = store.bm25(lexical_terms("refugees protect"), 10)
        generation = store.manifest.generation
    # What a build made before postings existed looks like.
    manifest = json.loads((index / MANIFEST).read_text())
    for name in (ROWS, WEIGHTS):
        del manifest["artifacts"][f"{generation}/{name}"]
        (index / generation / name).unlink()
    (index / MANIFEST).write_text(json.dumps(manifest))
    with Store.open(index) as store:
        assert store.postings is None
        assert _rounded(store.bm25(lexical_terms("refugees protect"), 10)) == _rounded(expected)
    report = build_index(corpus, index, embedder=HashingEmbedder(16))
    assert report.embedded == 0
    with Store.open(index) as store:
        assert store.postings is not None
        assert store.manifest.generation != generation
        assert _rounded(store.bm25(lexical_terms("refugees protect"), 10)) == _rounded(expected)
    assert verify_index(index).ok


def test_verify_finds_damaged_postings(odd_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(odd_index, index)
    generation = json.loads((index / MANIFEST).read_text())["generation"]
    weights = index / generation / WEIGHTS
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(data)
    failed = [c for c in verify_index(index).checks if not c.ok]
    assert failed and WEIGHTS in failed[0].what
