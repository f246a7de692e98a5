from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from r2p_search.documents import corpus_stats, find_corpus
from r2p_search.embedding import HashingEmbedder, Prompts, read_prompts
from r2p_search.errors import CorpusError, IndexLockedError
from r2p_search.indexer import build_index, corpus_changes, corpus_status
from r2p_search.search import Index
from r2p_search.store import Store, read_manifest, write_lock

from .conftest import SPEECH, write_files


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting what it is asked to embed."""

    def __init__(self, dimension: int = 64, fail_after: int | None = None) -> None:
        super().__init__(dimension)
        self.embedded: list[str] = []
        self.fail_after = fail_after

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if self.fail_after is not None and len(self.embedded) + len(texts) > self.fail_after:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of embedding
        self.embedded.extend(texts)
        return super().embed(texts, progress)


def top_sources(index_dir: Path, query: str, k: int = 3) -> list[str]:
    with Index.open(index_dir, embedder=HashingEmbedder(64)) as index:
        return [h.passage_id for h in index.search(query, k)]


def test_first_build_indexes_every_file(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    report = build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    assert sorted(report.new) == ["alpha.txt", "beta.txt", "sub/gamma.md"]
    assert report.documents == 3
    assert report.passages == report.embedded == 6
    manifest = read_manifest(tmp_path / "index")
    assert manifest is not None
    assert manifest.model.name == "hash:64" and manifest.model.dimension == 64
    assert set(manifest.files) == {"alpha.txt", "beta.txt", "sub/gamma.md"}
    assert all(len(entry.sha256) == 64 for entry in manifest.files.values())
    store = Store.open(tmp_path / "index")
    assert store.vectors.ntotal == 6
    store.close()


def test_rebuild_without_changes_embeds_nothing_and_keeps_generation(
    make_corpus: Callable, tmp_path: Path
) -> None:
    corpus = make_corpus(SPEECH)
    build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    before = read_manifest(tmp_path / "index")
    embedder = CountingEmbedder()
    report = build_index(corpus, tmp_path / "index", embedder=embedder)
    assert embedder.embedded == []
    assert len(report.unchanged) == 3 and not (report.new or report.changed or report.removed)
    assert read_manifest(tmp_path / "index") == before


def test_incremental_rebuild_embeds_only_changes_and_equals_full_rebuild(
    make_corpus: Callable, tmp_path: Path
) -> None:
    corpus = make_corpus(SPEECH)
    build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    (corpus / "beta.txt").write_text(
        "Refugees fleeing the war in Syria need protection and shelter this winter.\n"
    )
    (corpus / "sub" / "gamma.md").unlink()
    (corpus / "delta.txt").write_text(
        "The Human Rights Council debated accountability for crimes in Syria.\n"
    )
    embedder = CountingEmbedder()
    report = build_index(corpus, tmp_path / "index", embedder=embedder)
    assert (report.new, report.changed, report.removed, report.unchanged) == (
        ["delta.txt"],
        ["beta.txt"],
        ["sub/gamma.md"],
        ["alpha.txt"],
    )
    assert len(embedder.embedded) == 2
    incremental = top_sources(tmp_path / "index", "Syria refugees protection", k=5)

    build_index(corpus, tmp_path / "full", embedder=CountingEmbedder())
    assert top_sources(tmp_path / "full", "Syria refugees protection", k=5) == incremental
    with (
        Index.open(tmp_path / "index", embedder=HashingEmbedder(64)) as a,
        Index.open(tmp_path / "full", embedder=HashingEmbedder(64)) as b,
    ):
        assert a.store.manifest.files == b.store.manifest.files
        rows = list(range(a.size))
        assert np.allclose(a.store.vectors_at(rows), b.store.vectors_at(rows))
        # The lexical side too, metadata included: "Geneva" is only in alpha.txt's header line.
        for query in ("Geneva remarks", "Syria refugees protection"):
            for mode in ("lexical", "hybrid"):
                assert [h.passage_id for h in a.search(query, 5, mode=mode)] == [
                    h.passage_id for h in b.search(query, 5, mode=mode)
                ]
        assert a.search("Geneva", 1, mode="lexical")[0].source == "alpha.txt"


def test_full_flag_re_embeds_everything(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    embedder = CountingEmbedder()
    report = build_index(corpus, tmp_path / "index", embedder=embedder, full=True)
    assert report.full_rebuild_reason == "--full was given"
    assert len(embedder.embedded) == 6


def test_other_model_forces_a_full_rebuild_never_a_mixed_index(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    build_index(corpus, tmp_path / "index", embedder=CountingEmbedder(64))
    embedder = CountingEmbedder(32)
    report = build_index(corpus, tmp_path / "index", embedder=embedder)
    assert "model changed from hash:64 to hash:32" in (report.full_rebuild_reason or "")
    assert len(embedder.embedded) == 6
    manifest = read_manifest(tmp_path / "index")
    assert manifest is not None and manifest.model.dimension == 32
    store = Store.open(tmp_path / "index")
    assert store.vectors.d == 32
    store.close()


def test_bad_files_are_reported_and_skipped_the_rest_indexed(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(
        SPEECH
        | {
            "binary.txt": b"\x00\x01\x02\x03",
            "latin1.txt": "Côte d'Ivoire".encode("latin-1"),
            "empty.txt": "",
        }
    )
    report = build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    reasons = {s.source: s.reason for s in report.skipped}
    assert set(reasons) == {"binary.txt", "latin1.txt", "empty.txt"}
    assert "binary" in reasons["binary.txt"] and "not UTF-8" in reasons["latin1.txt"]
    assert report.documents == 3
    assert "binary.txt" not in report.new


def test_corpus_of_only_bad_files_is_an_error(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus({"binary.txt": b"\x00\x01"})
    with pytest.raises(CorpusError, match="all 1 corpus files were skipped"):
        build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())


def test_empty_corpus_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    with pytest.raises(CorpusError, match=r"no documents \(\.txt, \.md, \.pdf"):
        build_index(tmp_path / "corpus", tmp_path / "index", embedder=CountingEmbedder())


def test_interrupted_rebuild_leaves_previous_index_answering(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    before = top_sources(tmp_path / "index", "protection of civilians")
    (corpus / "beta.txt").write_text("A changed text about the protection of civilians in Darfur.\n")
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, tmp_path / "index", embedder=CountingEmbedder(fail_after=0))
    assert top_sources(tmp_path / "index", "protection of civilians") == before
    # The next run completes and leaves a single generation behind.
    report = build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    assert report.changed == ["beta.txt"]
    assert len(list((tmp_path / "index").glob("gen-*"))) == 1


def test_second_writer_is_refused(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    with write_lock(tmp_path / "index"), pytest.raises(IndexLockedError, match="being rebuilt"):
        build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())


def test_status_lists_new_changed_removed(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH)
    status = corpus_status(corpus, tmp_path / "index").to_json()
    assert status["built"] is False and sorted(status["new"]) == ["alpha.txt", "beta.txt", "sub/gamma.md"]
    build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    (corpus / "alpha.txt").write_text("Changed text about sanctions and diplomacy.\n")
    (corpus / "beta.txt").unlink()
    (corpus / "new.txt").write_text("A new statement on early warning of atrocities.\n")
    status = corpus_status(corpus, tmp_path / "index").to_json()
    assert (status["new"], status["changed"], status["removed"]) == (["new.txt"], ["alpha.txt"], ["beta.txt"])
    assert status["documents"] == 3 and status["model"] == "hash:64" and status["up_to_date"] is False


def test_the_corpus_is_recorded_so_a_search_can_tell_it_changed(
    make_corpus: Callable, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("Never part of the corpus.\n")
    corpus = make_corpus(
        SPEECH
        | {
            ".hidden.txt": "Hidden.\n",
            "sub/.git/HEAD.txt": "Hidden folder.\n",
            "notes.png": b"\x89PNG",
            "old.doc": b"\xd0\xcf",
            "metadata.csv": "file,title\nalpha.txt,Remarks\n",
        }
    )
    (corpus / os.fsdecode(b"caf\xe9.txt")).write_text("A name that is not UTF-8.\n")
    os.symlink(outside, corpus / "out.txt")  # a link out of the corpus is not followed
    os.symlink(corpus / "beta.txt", corpus / "in.txt")
    build_index(corpus, corpus / "index", embedder=CountingEmbedder())  # an index kept inside it
    # The same files as a build finds, with a stat each: documents, and metadata.csv.
    stats = corpus_stats(corpus)
    utf8 = {f.source for f in find_corpus(corpus).files if f.source.isprintable()}
    assert set(stats) == utf8 | {"metadata.csv"}
    assert set(stats) == {"alpha.txt", "beta.txt", "sub/gamma.md", "in.txt", "metadata.csv"}
    manifest = read_manifest(corpus / "index")
    assert manifest is not None and manifest.corpus is not None
    assert manifest.corpus.path == str(corpus.resolve()) and manifest.corpus.files == stats
    assert corpus_changes(manifest) == 0
    (corpus / "alpha.txt").write_text("Changed.\n")
    (corpus / "beta.txt").unlink()  # and in.txt, its link, goes with it
    (corpus / "metadata.csv").write_text("file,title\nalpha.txt,Other remarks\n")
    (corpus / "new.md").write_text("New.\n")
    (corpus / "new.png").write_bytes(b"\x89PNG")  # not read by a build: not counted
    assert corpus_changes(manifest) == 5
    manifest.corpus.path = str(tmp_path / "gone")
    assert corpus_changes(manifest) is None  # the corpus moved or went: nothing to say
    manifest.corpus = None
    assert corpus_changes(manifest) is None  # built before the corpus was recorded


def test_known_bad_file_is_not_retried_until_it_changes(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH | {"bad.txt": b"\x00\x01"})
    build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    generation = read_manifest(tmp_path / "index").generation  # type: ignore[union-attr]
    report = build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    assert [s.source for s in report.skipped] == ["bad.txt"] and "binary" in report.skipped[0].reason
    assert not report.new and read_manifest(tmp_path / "index").generation == generation  # type: ignore[union-attr]
    status = corpus_status(corpus, tmp_path / "index").to_json()
    assert status["new"] == [] and status["up_to_date"] is True
    assert [s["source"] for s in status["skipped"]] == ["bad.txt"]

    (corpus / "bad.txt").write_text("Now a readable statement on genocide prevention and early warning.\n")
    report = build_index(corpus, tmp_path / "index", embedder=CountingEmbedder())
    assert report.new == ["bad.txt"] and not report.skipped


E5_PROMPTS = Prompts("query: ", "passage: ")


class PromptedEmbedder(CountingEmbedder):
    """A model that, like E5, wants "query: " and "passage: " before what it reads."""

    def __init__(self, prompts: Prompts = E5_PROMPTS) -> None:
        super().__init__()
        self.prompts = prompts


def test_a_models_prompts_go_before_passages_and_questions(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus({"CAN_67_2012.txt": "Debt relief remains the priority of our delegation.\n"})
    embedder = PromptedEmbedder()
    build_index(corpus, tmp_path / "index", embedder=embedder)
    assert embedder.embedded == ["passage: Canada, 2012: Debt relief remains the priority of our delegation."]
    manifest = read_manifest(tmp_path / "index")
    assert manifest is not None
    assert (manifest.model.query_prompt, manifest.model.document_prompt) == ("query: ", "passage: ")
    status = corpus_status(corpus, tmp_path / "index").to_json()
    assert status["prompts"] == {"query": "query: ", "document": "passage: "}
    # The query prompt comes from the manifest: the index, not the caller, knows how it was built.
    asker = CountingEmbedder()
    with Index.open(tmp_path / "index", embedder=asker) as index:
        assert index.search("debt relief", k=1, mode="dense")
    assert asker.embedded == ["query: debt relief"]
    # Other prompts make other vectors: every passage is embedded again.
    report = build_index(corpus, tmp_path / "index", embedder=PromptedEmbedder(Prompts("", "doc: ")))
    assert report.full_rebuild_reason == "the model's prompts changed" and report.embedded == 1


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"prompts": {"query": "query: ", "passage": "passage: "}}, Prompts("query: ", "passage: ")),
        ({"prompts": {"query": "Q", "document": "D", "passage": "P"}}, Prompts("Q", "D")),
        (
            {"prompts": {"query": "Represent this sentence: ", "document": ""}},
            Prompts("Represent this sentence: ", ""),
        ),
        # sentence-transformers 6 saves an empty "document" beside E5's "passage".
        (
            {"prompts": {"query": "query: ", "document": "", "passage": "passage: "}},
            Prompts("query: ", "passage: "),
        ),
        (
            {"prompts": {"classification": "C: "}, "default_prompt_name": "classification"},
            Prompts("C: ", "C: "),
        ),
        ({"prompts": {"query": "Q"}, "default_prompt_name": "nope"}, Prompts("Q", "")),
        ({"prompts": ["query: "]}, Prompts()),
        ({"__version__": {"sentence_transformers": "2.0.0"}}, Prompts()),
    ],
)
def test_model_prompts_are_read_as_sentence_transformers_reads_them(
    config: dict, expected: Prompts, tmp_path: Path
) -> None:
    (tmp_path / "config_sentence_transformers.json").write_text(json.dumps(config))
    assert read_prompts(tmp_path) == expected


def test_a_model_folder_without_a_readable_config_has_no_prompts(tmp_path: Path) -> None:
    assert read_prompts(tmp_path) == Prompts()
    (tmp_path / "config_sentence_transformers.json").write_text("{not json")
    assert read_prompts(tmp_path) == Prompts()


def test_another_folder_does_not_empty_an_index(tmp_path: Path) -> None:
    files = {f"doc{i}.txt": f"Statement {i} on famine relief.\n" for i in range(6)}
    mine = write_files(tmp_path / "mine", files)
    other = write_files(tmp_path / "other", {"doc0.txt": "Statement 0 on famine relief.\n"})
    index = tmp_path / "index"
    build_index(mine, index, model="hash")
    with pytest.raises(CorpusError, match=f"built from {mine.resolve()}.*remove 5 of its 6 documents"):
        build_index(other, index, model="hash")
    assert read_manifest(index).documents == 6  # nothing lost
    # From its own folder, removing files is an update like any other.
    for i in range(1, 6):
        (mine / f"doc{i}.txt").unlink()
    assert build_index(mine, index, model="hash").removed == [f"doc{i}.txt" for i in range(1, 6)]
