from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from r2p_search import retrieval
from r2p_search.embedding import HashingEmbedder
from r2p_search.errors import (
    IndexCorruptError,
    IndexMissingError,
    ModelError,
    PassageNotFoundError,
    QueryError,
)
from r2p_search.indexer import build_index
from r2p_search.query import Scope
from r2p_search.request import SearchRequest, clean_query
from r2p_search.retrieval import lexical_match
from r2p_search.search import Index
from r2p_search.selection import listing_rows
from r2p_search.store import StoredPassage, read_manifest

from .conftest import SPEECH


@pytest.fixture
def index_dir(make_corpus: Callable, tmp_path: Path) -> Path:
    corpus = make_corpus(SPEECH)
    build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    return tmp_path / "index"


def open_index(index_dir: Path) -> Index:
    return Index.open(index_dir, embedder=HashingEmbedder(64))


def test_search_ranks_the_matching_passage_first_with_its_citation(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        hits = index.search("nuclear disarmament non-proliferation treaty", k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].score >= hits[1].score >= hits[2].score
    top = hits[0]
    assert top.source == "beta.txt" and top.paragraph == 1 and top.passage_id == "beta:1"
    assert top.text.startswith("Nuclear disarmament")


def test_a_result_shows_its_paragraph_around_the_passage_that_matched(
    make_corpus: Callable, tmp_path: Path
) -> None:
    # One paragraph of about 700 words: stored as several passages of the model's window.
    opening = " ".join(f"Drought number {i} ruined the harvests of the northern farmers." for i in range(30))
    closing = " ".join(f"Statement {i} names the tribunal for crimes in the east." for i in range(30))
    corpus = make_corpus({"long.txt": f"{opening} {closing}\n\nA short paragraph about the weather.\n"})
    build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    with open_index(tmp_path / "index") as index:
        stored = index.store.neighbours("long", 1, 100)
        assert len({p.paragraph for p in stored}) == 2 and len(stored) > 3
        hit = index.search("tribunal crimes east statement", k=1, mode="lexical")[0]
        short = index.search("weather short paragraph", k=1, mode="lexical")[0]
        # More like one window: never the rest of its own paragraph, which repeats its citation.
        alike = index.similar(stored[0].passage_id, k=10)
    assert [h.paragraph for h in alike] == [2]
    assert hit.window and hit.window in hit.text and len(hit.text) > len(hit.window)
    matched = next(p for p in stored if p.passage_id == hit.passage_id)
    assert hit.window == matched.text
    # The windows either side of the match, and no further.
    same = [p for p in stored if p.paragraph == matched.paragraph]
    assert all(p.text in hit.text for p in same if abs(p.n - matched.n) <= 1)
    assert not any(p.text in hit.text for p in same if abs(p.n - matched.n) > 1)
    assert hit.to_json()["window"] == hit.window
    assert short.text == "A short paragraph about the weather." and short.to_json()["window"] == short.text


def test_metadata_is_in_hits(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        hit = index.search("famine drought harvests farmers", k=1)[0]
    assert hit.source == "alpha.txt" and hit.date == "2012-03-03"
    assert hit.title == "Remarks on the protection of civilians"
    assert hit.meta["place"] == "Geneva"
    assert hit.paragraph == 2


def test_k_larger_than_index_returns_everything(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        assert len(index.search("civilians", k=1000)) == index.size == 6


@pytest.mark.parametrize("k", [0, -1])
def test_bad_k_is_refused(index_dir: Path, k: int) -> None:
    with open_index(index_dir) as index, pytest.raises(QueryError, match="at least 1"):
        index.search("civilians", k=k)


@pytest.mark.parametrize("query", ["", "   ", "\x00\x07\n\t"])
def test_empty_queries_are_refused(index_dir: Path, query: str) -> None:
    with open_index(index_dir) as index, pytest.raises(QueryError, match="empty query"):
        index.search(query)


def test_control_characters_and_huge_queries_are_tamed() -> None:
    assert clean_query("Syria\x00\x1b[31m  Libya\n") == "Syria [31m Libya"
    assert len(clean_query("word " * 50_000)) == 2000


def test_a_cut_query_is_said_in_the_result(index_dir: Path) -> None:
    request = SearchRequest(query="famine " * 400)
    assert len(request.query) == 2000 and request.truncated_from == 2799
    with open_index(index_dir) as index:
        result = index.answer([request])[0]
    assert result.to_json()["understood"]["query_truncated"] == {"kept_chars": 2000, "original_chars": 2799}
    assert SearchRequest(query="famine").truncated_from is None


def test_weak_when_nothing_is_close_and_no_passage_holds_every_word(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule, on the hash model: its cosines mean little, so the threshold is set by hand."""

    def weak(query: str, **options: Any) -> bool:
        with open_index(index_dir) as index:
            result = index.answer([SearchRequest(query=query, **options)])[0]
        assert result.to_json()["weak"] is result.weak
        return result.weak

    assert not weak("famine drought xylophone")  # a model not calibrated is not judged
    monkeypatch.setitem(retrieval.WEAK_COSINE, "hash:64", 2.0)  # no cosine reaches it
    assert weak("famine drought xylophone")
    assert weak("famine drought xylophone", mode="dense")
    assert weak("famine xylophone")  # a short query: cosine plus BM25, another scale
    # A passage holding every word is what was asked for, however far in meaning.
    assert not weak("famine drought")
    assert not weak("resolution 1973")
    assert weak("famine drought", scope=Scope(docs=("beta",)))  # but not in the scope searched
    assert not weak("famine xylophone", mode="lexical")  # BM25 alone carries no cosine
    monkeypatch.setitem(retrieval.WEAK_COSINE, "hash:64", -1.0)
    assert not weak("famine drought xylophone")


def test_similar_excludes_the_passage_itself(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        hits = index.similar("sub/gamma:1", k=10)
    assert "sub/gamma:1" not in [h.passage_id for h in hits]
    assert len(hits) == 5


def test_unknown_passage_id(index_dir: Path) -> None:
    with open_index(index_dir) as index, pytest.raises(PassageNotFoundError, match="no passage 'nope:1'"):
        index.similar("nope:1")


def test_context_returns_neighbours_in_document_order(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        around = index.context("alpha:2", context=1)
        alone = index.context("alpha:1", context=0)
    assert [h.passage_id for h in around] == ["alpha:1", "alpha:2"]
    assert [h.passage_id for h in alone] == ["alpha:1"]


def test_searching_with_another_model_is_refused(index_dir: Path) -> None:
    with pytest.raises(ModelError, match="built with model hash:64, not hash:32"):
        Index.open(index_dir, model="hash:32")


def test_index_with_changed_weights_is_refused(index_dir: Path) -> None:
    # The index claims hash:64 but the embedder that answers has other weights.
    with Index.open(index_dir) as index:
        index._embedder = None
        manifest = index.store.manifest
        manifest.model.fingerprint = "0" * 64
        with pytest.raises(ModelError, match="weights changed"):
            index.search("civilians")


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="no index at"):
        Index.open(tmp_path / "none")


def _damage_vectors(index_dir: Path) -> None:
    path = next(index_dir.glob("gen-*/vectors.faiss"))
    path.write_bytes(path.read_bytes()[:100])


def _damage_manifest(index_dir: Path) -> None:
    (index_dir / "manifest.json").write_text("{ not json")


def _damage_database(index_dir: Path) -> None:
    path = next(index_dir.glob("gen-*/passages.sqlite"))
    data = bytearray(path.read_bytes())
    data[:16] = b"garbage garbage!"
    path.write_bytes(bytes(data))


def _flip(path: Path, where: float) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x55
    path.write_bytes(bytes(data))


def _flip_vector_byte(index_dir: Path) -> None:
    _flip(next(index_dir.glob("gen-*/vectors.faiss")), 0.7)


def _flip_database_byte(index_dir: Path) -> None:
    _flip(next(index_dir.glob("gen-*/passages.sqlite")), 0.5)


def _vectors_from_another_build(index_dir: Path) -> None:
    # Same corpus, same size, other vectors: only the checksum tells them apart.
    corpus = index_dir.parent / "corpus"
    other = index_dir.parent / "other"
    shutil.copytree(corpus, other / "corpus")
    first = sorted((other / "corpus").rglob("*.txt"))[0]
    first.write_text(first.read_text().replace("the", "one"))
    build_index(other / "corpus", other / "index", embedder=HashingEmbedder(64))
    other = other / "index"
    next(other.glob("gen-*/vectors.faiss")).replace(next(index_dir.glob("gen-*/vectors.faiss")))


def _remove_generation(index_dir: Path) -> None:
    for path in index_dir.glob("gen-*/*"):
        path.unlink()


def _mix_counts(index_dir: Path) -> None:
    raw = json.loads((index_dir / "manifest.json").read_text())
    raw["passages"] += 1
    (index_dir / "manifest.json").write_text(json.dumps(raw))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_damage_vectors, "has 100 bytes"),
        (_damage_manifest, "manifest is damaged"),
        (_damage_database, "does not match its checksum"),
        (_flip_vector_byte, "does not match its checksum"),
        (_flip_database_byte, "does not match its checksum"),
        (_vectors_from_another_build, "does not match its checksum"),
        (_remove_generation, "index is incomplete"),
        (_mix_counts, "index parts disagree"),
    ],
)
def test_damaged_index_is_detected(index_dir: Path, damage: Callable[[Path], None], message: str) -> None:
    damage(index_dir)
    with pytest.raises(IndexCorruptError, match=message) as info:
        Index.open(index_dir, embedder=HashingEmbedder(64)).search("civilians")
    assert "r2p-search index --full" in str(info.value)


def test_damaged_index_is_replaced_by_the_next_build(index_dir: Path, tmp_path: Path) -> None:
    _damage_manifest(index_dir)
    report = build_index(tmp_path / "corpus", index_dir, embedder=HashingEmbedder(64))
    assert report.full_rebuild_reason and "unusable" in report.full_rebuild_reason
    assert read_manifest(index_dir) is not None
    with open_index(index_dir) as index:
        assert index.search("civilians", k=1)


def test_bm25_leaves_out_words_in_very_many_passages_on_a_large_index(
    make_corpus: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraphs = [f"The world must act on matter number {i}." for i in range(40)]
    paragraphs.append("The world must act for the Rohingya of Rakhine.")
    corpus = make_corpus({"speech.txt": "\n\n".join(paragraphs) + "\n"})
    build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    with open_index(tmp_path / "index") as index:
        # Small indexes keep every word; the limit is lowered here to stand for 35 years.
        count = index.store.match_count
        assert lexical_match("world rakhine", index.size, count) == '"world" OR "rakhine"'
        monkeypatch.setattr("r2p_search.retrieval.COMMON_MIN", 10)
        assert lexical_match("world rakhine act", index.size, count) == '"rakhine"'
        assert lexical_match("world number", index.size, count) == '"number"'  # all common: the rarest
        hits = index.search("world Rakhine act", k=3, mode="lexical")
        assert hits[0].text.endswith("Rakhine.")


def test_a_listing_starts_at_the_first_passage_or_at_the_paragraph_or_page_named() -> None:
    def stored(row: int, block: int, cited: int | None, page: int, part: str | None = None) -> StoredPassage:
        return StoredPassage(row, f"d:{row + 1}", "d", row + 1, block, "text", cited, page, part)

    passages = [
        stored(0, 0, 1, 1),
        stored(1, 1, 2, 1),
        stored(2, 1, 2, 1),  # the second window of paragraph 2: listed once
        stored(3, 2, None, 1, "footnote"),  # numbered nothing: the listing must not start here
        stored(4, 3, 3, 2),
    ]
    assert listing_rows(passages) == [0, 1, 3, 4]
    assert listing_rows(passages, paragraph=3) == [4]
    assert listing_rows(passages, page=2) == [4]
    assert listing_rows(passages, paragraph=9) is None and listing_rows(passages, page=9) is None


def test_show_takes_the_citation_search_prints(
    make_corpus: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    corpus = make_corpus(
        {
            "2011/SYR_66_2011.txt": "    First, on the crisis.\n    Second, on reform of the Council.\n"
            "    Third, on the responsibility to protect civilians.\n"
        }
    )
    build_index(corpus, tmp_path / "index", model="hash")
    with Index.open(tmp_path / "index") as index:
        hit = index.search("responsibility to protect civilians", k=1, mode="lexical")[0]
        assert hit.paragraph == 3 and "para. 3" in hit.citation()
        for cited in ("SYR_66_2011 para 3", "2011/SYR_66_2011, para. 3", "SYR_66_2011.txt para 3"):
            assert index.show(cited).target.passage_id == hit.passage_id, cited
        with pytest.raises(PassageNotFoundError, match="SYR_66_2011 para 22"):
            index.show("SYR_66_2011 para 9")
