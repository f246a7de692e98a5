"""The CLI contract, run as a user runs it: a separate process, stdout, stderr and exit code.

These use the model-free `hash` embedder so they stay fast; the real model is exercised in
test_e2e.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import SPEECH, run_cli

HIT_FIELDS = {"rank", "score", "passage_id", "doc_id", "title", "date", "source", "paragraph", "text"}


@pytest.fixture
def built(make_corpus: Callable, tmp_path: Path) -> tuple[Path, Path]:
    corpus = make_corpus(SPEECH)
    index = tmp_path / "index"
    result = run_cli("index", "--corpus", str(corpus), "--index", str(index), "--model", "hash")
    assert result.returncode == 0, result.stderr
    return corpus, index


def assert_one_line_error(result, needle: str, code: int = 1) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert needle in errors[0]
    assert result.stderr.rstrip().endswith(errors[0].rstrip())  # nothing after the message
    assert "Traceback" not in result.stderr


def test_index_json_summary(make_corpus: Callable, tmp_path: Path) -> None:
    corpus = make_corpus(SPEECH | {"bad.txt": b"\x00\x00"})
    args = ("index", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--model", "hash", "--json")
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert {k: summary[k] for k in ("new", "changed", "removed", "unchanged", "documents", "passages")} == {
        "new": 3,
        "changed": 0,
        "removed": 0,
        "unchanged": 0,
        "documents": 3,
        "passages": 6,
    }
    assert summary["skipped"] == [
        {"source": "bad.txt", "reason": "bad.txt: binary file (contains NUL bytes), not text"}
    ]
    assert isinstance(summary["seconds"], float)
    (corpus / "beta.txt").write_text("Something else entirely about famine relief.\n")
    second = json.loads(run_cli(*args).stdout)
    assert (second["new"], second["changed"], second["unchanged"]) == (0, 1, 2)


def test_index_prints_what_it_did(built: tuple[Path, Path]) -> None:
    corpus, index = built
    result = run_cli("index", "--corpus", str(corpus), "--index", str(index))
    assert result.returncode == 0
    assert "0 new, 0 changed, 0 removed, 3 unchanged" in result.stdout


def test_search_json_contract(built: tuple[Path, Path]) -> None:
    _, index = built
    result = run_cli("search", "protection of civilians", "--index", str(index), "-k", "2", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)  # stdout holds JSON only
    assert body["query"] == "protection of civilians"
    assert body["fusion"] == {"method": "linear", "lexical_weight": 0.5}  # three words: a short query
    assert len(body["results"]) == 2
    question = "what should states do for the protection of civilians"
    asked = json.loads(run_cli("search", question, "--index", str(index), "--json").stdout)
    assert asked["fusion"] == {"method": "rrf", "lexical_weight": 0.3}
    dense = json.loads(run_cli("search", question, "--index", str(index), "--mode", "dense", "--json").stdout)
    assert dense["fusion"] is None
    explained = run_cli("search", question, "--index", str(index), "--explain", "-k", "1").stdout
    assert "fused by reciprocal rank, lexical weight 0.3" in explained
    for rank, hit in enumerate(body["results"], start=1):
        assert HIT_FIELDS <= set(hit)
        assert hit["rank"] == rank
        assert hit["paragraph"] >= 1


def test_search_text_output_has_citation_and_highlight(built: tuple[Path, Path]) -> None:
    _, index = built
    result = run_cli("search", "nuclear disarmament", "--index", str(index), "-k", "1")
    assert result.returncode == 0
    assert "beta:1" in result.stdout and "para. 1" in result.stdout
    assert "Nuclear disarmament" in result.stdout


def test_queries_file_gives_json_lines_in_order(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, index = built
    queries = tmp_path / "q.txt"
    queries.write_text("famine\n\n# a comment\nLibya resolution 1973\nclimate change\n")
    result = run_cli("search", "--queries", str(queries), "--index", str(index), "-k", "1", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["famine", "Libya resolution 1973", "climate change"]
    assert lines[1]["results"][0]["source"] == "sub/gamma.md"


def without_r2p_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("R2P_") or k == "R2P_CACHE"}
    return env | extra


def test_search_builds_a_missing_index_first(make_corpus: Callable, tmp_path: Path) -> None:
    # Only at the default place: ./index, or $R2P_INDEX.
    corpus = make_corpus(SPEECH)
    result = run_cli("search", "famine", "--model", "hash", "--json", cwd=tmp_path, env=without_r2p_env())
    assert result.returncode == 0, result.stderr
    assert "building it" in result.stderr
    assert json.loads(result.stdout)["results"]
    assert (tmp_path / "index" / "manifest.json").is_file()
    fresh = tmp_path / "fresh"
    env = without_r2p_env(R2P_INDEX=str(fresh), R2P_CORPUS=str(corpus))
    result = run_cli("search", "famine", "--model", "hash", "--json", env=env)
    assert result.returncode == 0 and "building it" in result.stderr, result.stderr
    assert (fresh / "manifest.json").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ("search", "famine"),
        ("search", "famine", "--json"),
        ("show", "alpha:1"),
        ("similar", "alpha:1"),
        ("timeline", "famine"),
        ("eval", "QUERIES"),
        ("status",),
        ("verify",),
    ],
)
def test_a_mistyped_index_builds_nothing(
    make_corpus: Callable, tmp_path: Path, args: tuple[str, ...]
) -> None:
    corpus = make_corpus(SPEECH)
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"query": "famine", "relevant": [{"doc": "alpha", "span": "Famine"}]}) + "\n"
    )
    typo = tmp_path / "typo"
    args = tuple(str(queries) if a == "QUERIES" else a for a in args)
    where = ("--index", str(typo)) if args[0] == "verify" else ("--corpus", str(corpus), "--index", str(typo))
    result = run_cli(*args, *where, cwd=tmp_path, env=without_r2p_env())
    named = f"--index {typo}" if args[0] == "verify" else f"--corpus {corpus} --index {typo}"
    command = f"r2p-search index {named}"
    assert_one_line_error(result, f"no index at {typo}; build one with: {command}")
    assert not typo.exists()  # no folder, no lock file
    assert not (tmp_path / "index").exists()
    assert result.stdout == ""


def test_a_corpus_given_as_the_index_is_not_offered_a_build_there(
    make_corpus: Callable, tmp_path: Path
) -> None:
    corpus = make_corpus(SPEECH)
    before = sorted(p.name for p in corpus.iterdir())
    result = run_cli("search", "famine", "--index", str(corpus), cwd=tmp_path, env=without_r2p_env())
    assert_one_line_error(result, f"no index at {corpus}: {corpus} is not an index folder (it holds ")
    assert "build one with" not in result.stderr
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_similar_and_show(built: tuple[Path, Path]) -> None:
    _, index = built
    similar = json.loads(run_cli("similar", "alpha:1", "--index", str(index), "-k", "3", "--json").stdout)
    assert "alpha:1" not in [h["passage_id"] for h in similar["results"]]
    assert len(similar["results"]) == 3
    show = run_cli("show", "alpha:2", "--context", "2", "--index", str(index), "--json")
    body = json.loads(show.stdout)
    assert [p["passage_id"] for p in body["passages"]] == ["alpha:1", "alpha:2"]
    assert [p["target"] for p in body["passages"]] == [False, True]
    text = run_cli("show", "alpha:2", "--context", "1", "--index", str(index))
    assert "Famine and drought" in text.stdout and "protection of civilians" in text.stdout


def test_status_json(built: tuple[Path, Path]) -> None:
    corpus, index = built
    (corpus / "new.txt").write_text("A new statement on early warning.\n")
    body = json.loads(run_cli("status", "--corpus", str(corpus), "--index", str(index), "--json").stdout)
    assert body["documents"] == 3 and body["passages"] == 6 and body["model"] == "hash:64"
    assert (body["new"], body["changed"], body["removed"]) == (["new.txt"], [], [])


def test_search_says_on_stderr_when_the_corpus_changed(built: tuple[Path, Path]) -> None:
    corpus, index = built

    def search(*more: str) -> subprocess.CompletedProcess[str]:
        result = run_cli("search", "famine", "--index", str(index), *more)
        assert result.returncode == 0, result.stderr
        return result

    def reindex() -> None:
        assert run_cli("index", "--corpus", str(corpus), "--index", str(index)).returncode == 0

    assert "removed since" not in search("--json").stderr
    (corpus / "alpha.txt").write_text("Changed text about sanctions.\n")
    (corpus / "beta.txt").unlink()
    (corpus / "new.txt").write_text("A new statement on early warning.\n")
    told = search("--json")
    command = f"r2p-search index --corpus {corpus.resolve()} --index {index}"
    assert (
        told.stderr.strip() == f"3 files added, changed or removed since the index was built: run {command}"
    )
    assert json.loads(told.stdout)["results"]  # stdout holds the JSON alone
    text = search()
    assert "removed since" in text.stderr and "removed since" not in text.stdout
    reindex()
    assert "removed since" not in search().stderr
    # The same bytes with a new time count: judged by a stat, not by reading the files.
    touched = corpus / "alpha.txt"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    assert "1 file added, changed or removed since the index was built" in search().stderr
    reindex()  # nothing to embed: the index keeps its generation and records the new time
    assert "removed since" not in search().stderr
    # An index built before the corpus was recorded says nothing.
    manifest = json.loads((index / "manifest.json").read_text())
    del manifest["corpus"]
    (index / "manifest.json").write_text(json.dumps(manifest))
    (corpus / "another.txt").write_text("Another statement.\n")
    assert "removed since" not in search().stderr
    reindex()  # and the next build records it
    (corpus / "another.txt").unlink()
    assert "1 file added, changed or removed since" in search().stderr
    # A server says it once, when it starts; not with each answer.
    served = subprocess.run(
        [sys.executable, "-m", "r2p_search", "mcp", "--index", str(index)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        served.returncode == 0
        and served.stderr.count("1 file added, changed or removed since the index was built") == 1
    )


def test_status_with_a_missing_corpus(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, index = built
    named = run_cli("status", "--corpus", str(tmp_path / "nope"), "--index", str(index))
    assert_one_line_error(named, f"corpus folder not found: {tmp_path / 'nope'}")
    # None at the default place: the index alone, and no advice that would fail.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    alone = run_cli("status", "--index", str(index), cwd=elsewhere, env=without_r2p_env())
    assert alone.returncode == 0, alone.stderr
    assert "r2p-search index" not in alone.stdout and "documents" in alone.stdout
    assert "the index alone is shown" in alone.stdout
    body = json.loads(
        run_cli("status", "--index", str(index), "--json", cwd=elsewhere, env=without_r2p_env()).stdout
    )
    assert body["built"] and body["documents"] == 3 and body["up_to_date"] is None


def test_an_unknown_doc_is_named(built: tuple[Path, Path]) -> None:
    _, index = built
    result = run_cli("search", "famine", "--doc", "alpha", "--doc", "nope", "--index", str(index))
    assert_one_line_error(result, "no document 'nope' in this index")
    # A document by its id, its id's last part, its path or its file name.
    for doc, doc_id in [
        ("alpha", "alpha"),
        ("sub/gamma", "sub/gamma"),
        ("gamma", "sub/gamma"),
        ("sub/gamma.md", "sub/gamma"),
        ("gamma.md", "sub/gamma"),
    ]:
        found = run_cli("search", "civilians", "--doc", doc, "--index", str(index), "--json")
        assert found.returncode == 0, (doc, found.stderr)
        assert {hit["doc_id"] for hit in json.loads(found.stdout)["results"]} == {doc_id}


def test_a_long_query_is_cut_and_says_so(built: tuple[Path, Path]) -> None:
    _, index = built
    long = "famine and drought " * 150  # 2,849 characters once its spaces are collapsed
    result = run_cli("search", long, "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["understood"]["query_truncated"] == {"kept_chars": 2000, "original_chars": 2849}
    assert len(body["query"]) == 2000
    assert "the query was cut to its first 2,000 characters (of 2,849)" in result.stderr
    text = run_cli("search", long, "--index", str(index))
    assert "cut to its first 2,000 characters" in text.stderr and "cut to" not in text.stdout
    short = run_cli("search", "famine", "--index", str(index), "--json")
    assert json.loads(short.stdout)["understood"]["query_truncated"] is None
    assert "cut to" not in short.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("search", "famine"),
        ("search", "famine", "--json"),
        ("search", "--queries", "QUERIES"),
        ("show", "alpha:2", "--context", "2"),
        ("similar", "alpha:1"),
        ("timeline", "famine"),
        ("status", "--corpus", "CORPUS"),
        ("verify",),
        ("index", "--corpus", "CORPUS"),
        ("eval", "EVAL"),
    ],
)
def test_a_closed_pipe_is_success(built: tuple[Path, Path], tmp_path: Path, args: tuple[str, ...]) -> None:
    """`r2p-search search ... | head -1`: the reader went away with what it wanted."""
    corpus, index = built
    queries = tmp_path / "queries.txt"
    queries.write_text("famine\nnuclear disarmament\nLibya\n" * 50)
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text(
        json.dumps({"query": "famine", "relevant": [{"doc": "alpha", "span": "Famine"}]}) + "\n"
    )
    named = {"QUERIES": str(queries), "CORPUS": str(corpus), "EVAL": str(eval_set)}
    args = tuple(named.get(a, a) for a in args)
    child = subprocess.Popen(
        [sys.executable, "-m", "r2p_search", *args, "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # before the first line: every write to it fails
    stderr = child.stderr.read()
    assert child.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr and "error" not in stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("search", ""), "empty query"),
        (("search", "   "), "empty query"),
        (("search", "x", "-k", "0"), "-k must be at least 1"),
        (("search", "x", "-k", "-1"), "-k must be at least 1"),
        (("similar", "nope:3"), "no passage 'nope:3'"),
        (("show", "nope:3"), "no passage 'nope:3'"),
        (("search", "x", "--model", "hash:32"), "built with model hash:64"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_1(
    built: tuple[Path, Path], args: tuple[str, ...], needle: str
) -> None:
    _, index = built
    assert_one_line_error(run_cli(*args, "--index", str(index)), needle)


def test_missing_corpus(tmp_path: Path) -> None:
    result = run_cli("index", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"))
    assert_one_line_error(result, "corpus folder not found")


def test_missing_index_and_corpus(tmp_path: Path) -> None:
    result = run_cli("search", "x", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"))
    # The command advised is one that can work: it names the folder of documents to give.
    assert_one_line_error(
        result,
        f"no index at {tmp_path / 'i'}, and no corpus folder at {tmp_path / 'nope'} to build one from; "
        f"build one with: r2p-search index --corpus FOLDER --index {tmp_path / 'i'}",
    )


def test_corrupt_index(built: tuple[Path, Path]) -> None:
    _, index = built
    next(index.glob("gen-*/vectors.faiss")).write_bytes(b"not a faiss file")
    assert_one_line_error(run_cli("search", "x", "--index", str(index)), "r2p-search index --full")


def test_unknown_model(built: tuple[Path, Path]) -> None:
    corpus, _ = built
    result = run_cli(
        "index", "--corpus", str(corpus), "--index", str(corpus.parent / "other"), "--model", "/no/such/model"
    )
    assert_one_line_error(result, "model folder not found: /no/such/model")
    result = run_cli(
        "index",
        "--corpus",
        str(corpus),
        "--index",
        str(corpus.parent / "other"),
        "--model",
        "no-such-org/no-such-model",
    )
    assert_one_line_error(result, "cannot load model 'no-such-org/no-such-model'")


def test_usage_errors_exit_2(built: tuple[Path, Path]) -> None:
    _, index = built
    assert run_cli("search", "--index", str(index)).returncode == 2
    assert run_cli("search", "-k", "many", "x").returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_help_and_status_do_not_import_torch(built: tuple[Path, Path]) -> None:
    corpus, index = built
    # The command ends with os._exit after the exit handlers, so the check is one of them.
    probe = (
        "import atexit, sys, runpy; sys.argv = ['r2p-search'] + sys.argv[1:]\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers')\n"
        "atexit.register(lambda: print('HEAVY', [m for m in heavy if m in sys.modules]))\n"
        "runpy.run_module('r2p_search', run_name='__main__')\n"
    )
    import subprocess
    import sys

    for args in (
        ["--help"],
        ["search", "--help"],
        ["status", "--corpus", str(corpus), "--index", str(index)],
    ):
        result = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60
        )
        assert "HEAVY []" in result.stdout, (args, result.stdout[-300:], result.stderr[-300:])
