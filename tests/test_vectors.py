"""Approximate vector search (vectors.py): built on request, its recall measured and checked,
its scores exact, small selections scanned exactly."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from r2p_search.embedding import HashingEmbedder
from r2p_search.errors import IndexCorruptError
from r2p_search.indexer import build_index, index_status
from r2p_search.query import Scope
from r2p_search.search import Index
from r2p_search.store import MANIFEST, Store, read_manifest, verify_index
from r2p_search.vectors import AUTO_MIN_PASSAGES, TARGET_RECALL, VectorIndex, chosen_kind, ivf_lists

from .test_indexer import CountingEmbedder

WORDS = (
    "peace security development rights refugees climate nuclear disarmament sanctions council "
    "reform poverty famine debt trade women children genocide atrocities protection sovereignty "
    "ocean islands drought water health vaccine terrorism migration justice court elections "
    "democracy ceasefire mediation borders independence colonial apartheid treaty weapons"
).split()


def speeches(count: int = 40, paragraphs: int = 8) -> dict[str, str]:
    rng = random.Random(7)
    files = {}
    for n in range(count):
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30))).capitalize() + "."
            for _ in range(paragraphs)
        )
        files[f"{1990 + n % 20}/C{n:02d}_{45 + n % 20}_{1990 + n % 20}.txt"] = body
    return files


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("speeches")
    for name, text in speeches().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def built(corpus: Path, index: Path, vectors: str) -> Path:
    build_index(corpus, index, embedder=HashingEmbedder(64), vectors=vectors)
    return index


def test_auto_is_exact_below_the_size_where_approximate_pays() -> None:
    assert chosen_kind("auto", AUTO_MIN_PASSAGES - 1) == "exact"
    assert chosen_kind("auto", AUTO_MIN_PASSAGES) == "ivf"
    assert chosen_kind("hnsw", 10) == "hnsw" and chosen_kind("exact", 10**8) == "exact"
    with pytest.raises(ValueError, match="unknown vector index"):
        chosen_kind("annoy", 10)
    # A small index still gets lists; lists grow with the square root of the passages.
    assert ivf_lists(10) == 1 and ivf_lists(300) == 16 and ivf_lists(234_715) == 512


def test_a_manifest_from_before_the_choice_reads_as_exact() -> None:
    assert VectorIndex.from_json(None) == VectorIndex(kind="exact", requested="auto")


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_is_built_measured_and_shown(corpus: Path, tmp_path: Path, kind: str) -> None:
    index = built(corpus, tmp_path / "index", kind)
    manifest = read_manifest(index)
    assert manifest is not None and manifest.vectors.kind == kind and manifest.vectors.requested == kind
    recall = manifest.vectors.recall
    assert recall is not None and set(recall) == {"passages", "questions"}
    assert all(value >= TARGET_RECALL for value in recall.values()), recall
    assert f"{manifest.generation}/vectors-{kind}.faiss" in manifest.artifacts
    status = index_status(index, manifest)
    assert status["vectors"] == kind and status["recall"] == recall
    # verify measures the recall again, on the same passages.
    check = next(c for c in verify_index(index).checks if c.what == "approximate vectors")
    assert check.ok and f"recall@10 {recall['passages']}" in check.detail


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_search_scores_are_exact_cosines(corpus: Path, tmp_path: Path, kind: str) -> None:
    approximate = built(corpus, tmp_path / kind, kind)
    exact = built(corpus, tmp_path / "exact", "exact")
    questions = ["nuclear disarmament treaty", "refugees fleeing famine and drought", "reform of the council"]
    with (
        Index.open(approximate, embedder=HashingEmbedder(64)) as a,
        Index.open(exact, embedder=HashingEmbedder(64)) as e,
    ):
        for question in questions:
            vector = a.embed_queries([question])[0]
            found = a.store.nearest(vector, 10)
            truth = e.store.nearest(vector, 10)
            cosines = a.store.vectors_at([r for r, _ in found]) @ vector
            assert np.allclose([s for _, s in found], cosines, atol=1e-6)
            assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
            assert len({r for r, _ in found} & {r for r, _ in truth}) >= 8, question


def test_a_small_selection_is_scanned_exactly(corpus: Path, tmp_path: Path) -> None:
    index = built(corpus, tmp_path / "index", "ivf")
    with Store.open(index) as store:
        [doc] = [d for (d,) in store.db.execute("SELECT doc_id FROM documents LIMIT 1")]
        rows = store.scope_rows(Scope(docs=(doc,)))
        assert 0 < len(rows) < AUTO_MIN_PASSAGES
        query = store.vectors_at([int(rows[0])])[0]

        def unavailable() -> None:
            raise AssertionError("the approximate index was used for a small selection")

        store.approximate = unavailable  # type: ignore[method-assign]
        found = store.nearest(query, 5, rows)
    assert found[0] == (int(rows[0]), pytest.approx(1.0, abs=1e-3))
    assert {r for r, _ in found} <= set(rows.tolist())


def test_changing_the_kind_re_embeds_nothing_and_keeps_answers(corpus: Path, tmp_path: Path) -> None:
    index = built(corpus, tmp_path / "index", "exact")
    counting = CountingEmbedder(64)
    report = build_index(corpus, index, embedder=counting, vectors="ivf")
    assert report.embedded == 0
    # Only the probe questions the recall is measured on are embedded.
    assert counting.embedded and all("\n" not in text for text in counting.embedded)
    manifest = read_manifest(index)
    assert manifest is not None and manifest.vectors.kind == "ivf"
    # Without --vectors the next build keeps what was asked, and changes nothing.
    before = manifest.generation
    build_index(corpus, index, embedder=HashingEmbedder(64))
    after = read_manifest(index)
    assert after is not None and after.generation == before and after.vectors.kind == "ivf"
    build_index(corpus, index, embedder=HashingEmbedder(64), vectors="auto")
    auto = read_manifest(index)
    assert auto is not None and auto.vectors == VectorIndex(kind="exact", requested="auto")
    assert not list((index / auto.generation).glob("vectors-*.faiss"))


def test_removing_documents_rebuilds_the_graph(corpus: Path, tmp_path: Path) -> None:
    mine = tmp_path / "corpus"
    shutil.copytree(corpus, mine)
    index = built(mine, tmp_path / "index", "hnsw")
    for path in sorted(mine.glob("199[0-4]/*.txt")):
        path.unlink()
    build_index(mine, index, embedder=HashingEmbedder(64))
    with Store.open(index) as store:
        assert store.manifest.vectors.kind == "hnsw"
        assert store.approximate().ntotal == store.vectors.ntotal == store.manifest.passages
        assert verify_index(index).ok


def test_a_damaged_or_foreign_approximate_index_is_refused(
    corpus: Path, tmp_path: Path, make_corpus: Callable
) -> None:
    index = built(corpus, tmp_path / "index", "ivf")
    manifest = read_manifest(index)
    assert manifest is not None
    other = built(make_corpus({"a.txt": "One paragraph.\n\nAnd another one."}), tmp_path / "other", "ivf")
    other_manifest = read_manifest(other)
    assert other_manifest is not None
    # Another build's approximate index, with its checksum written in: the counts give it away.
    target = index / manifest.generation / "vectors-ivf.faiss"
    shutil.copy(other / other_manifest.generation / "vectors-ivf.faiss", target)
    raw = json.loads((index / MANIFEST).read_text())
    raw["artifacts"][f"{manifest.generation}/vectors-ivf.faiss"] = other_manifest.artifacts[
        f"{other_manifest.generation}/vectors-ivf.faiss"
    ]
    (index / MANIFEST).write_text(json.dumps(raw))
    with Store.open(index) as store, pytest.raises(IndexCorruptError, match="not the ivf index"):
        store.approximate()
    assert not verify_index(index).ok


def test_a_store_open_before_a_rebuild_still_reads_its_approximate_index(
    corpus: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "corpus"
    shutil.copytree(corpus, mine)
    index = built(mine, tmp_path / "index", "ivf")
    with Store.open(index) as store:
        before = store.manifest.generation
        (mine / "1990" / "C00_45_1990.txt").unlink()
        build_index(mine, index, embedder=HashingEmbedder(64))
        after = read_manifest(index)
        assert after is not None and after.generation != before
        assert not (index / before).exists()
        # Its first question reads the approximate index of the generation it opened.
        query = store.vectors_at([0])[0]
        assert store.nearest(query, 3)[0] == (0, pytest.approx(1.0, abs=1e-3))
