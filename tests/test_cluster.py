"""`index --ray`: the build on a Ray cluster gives the index a plain build gives.

One local cluster of two workers on 127.0.0.1 serves the module (starting one takes seconds);
`build_index(..., ray="local")` in this process uses it, and the CLI in a subprocess joins it by
its address. The `hash` embedder keeps most tests fast; one runs the real bundled model.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from r2p_search import cluster
from r2p_search.embedding import HashingEmbedder
from r2p_search.errors import ClusterError
from r2p_search.indexer import build_index
from r2p_search.search import Index
from r2p_search.store import Store, read_manifest

from .conftest import SEED, SPEECH, run_cli, write_files

pytestmark = pytest.mark.skipif(
    not cluster.available(), reason=f"Ray is not installed ({cluster.INSTALL_HINT})"
)

QUESTIONS = ("what about Syria", "protection of civilians in Libya", "prevention and early warning")


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A local cluster of two workers for the module; its address, for a process to join."""
    with cluster.connected("local", num_cpus=2) as workers:
        import ray

        assert workers == 2
        address = ray.get_runtime_context().gcs_address
        assert address.startswith("127.0.0.1:")  # a local cluster listens on the loopback only
        yield address


def real_text(root: Path, parts: int = 12) -> Path:
    """The shipped speech cut into `parts` documents, with a binary file and an empty one beside them."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    files: dict[str, str | bytes] = {
        f"part-{i:02d}.txt": "\n\n".join(paragraphs[i::parts]) + "\n" for i in range(parts)
    }
    return write_files(root, files | SPEECH | {"binary.txt": b"\x00\x01\x02", "empty.txt": ""})


def answers(index_dir: Path, mode: str = "hybrid") -> list[list[tuple[str, float]]]:
    with Index.open(index_dir, embedder=HashingEmbedder(64)) as index:
        return [[(h.passage_id, h.score) for h in index.search(q, 5, mode=mode)] for q in QUESTIONS]


def assert_same_index(a: Path, b: Path) -> None:
    """The same passages (every SQLite row), vectors bit for bit, and files byte for byte."""
    ma, mb = read_manifest(a), read_manifest(b)
    assert ma is not None and mb is not None
    assert (ma.files, ma.skipped, ma.documents, ma.passages) == (
        mb.files,
        mb.skipped,
        mb.documents,
        mb.passages,
    )
    sa, sb = Store.open(a), Store.open(b)
    try:
        tables = [
            name
            for (name,) in sa.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        ]
        assert "passages" in tables and "documents" in tables
        for table in tables:  # in the order they are stored: the documents' order too
            query = f"SELECT * FROM {table}"
            assert sa.db.execute(query).fetchall() == sb.db.execute(query).fetchall(), table
        rows = list(range(sa.vectors.ntotal))
        assert sb.vectors.ntotal == len(rows)
        assert np.array_equal(sa.vectors_at(rows), sb.vectors_at(rows))
    finally:
        sa.close()
        sb.close()

    def artifacts(manifest: object) -> dict[str, str]:  # named without the generation's folder
        return {path.split("/", 1)[1]: a["sha256"] for path, a in manifest.artifacts.items()}  # type: ignore[attr-defined]

    assert artifacts(ma) == artifacts(mb)


class Recorder:
    """A progress factory that records each bar's total and calls `check` as a bar advances."""

    def __init__(self, check: Callable[[], None] | None = None) -> None:
        self.totals: dict[str, int] = {}
        self.check = check

    @contextlib.contextmanager
    def __call__(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        self.totals[description] = total

        def advance(n: int) -> None:
            if self.check is not None and description == "Ray":
                self.check()

        yield advance


def test_the_same_index_with_and_without_ray(ray_address: str, tmp_path: Path) -> None:
    corpus = real_text(tmp_path / "corpus")
    plain = build_index(corpus, tmp_path / "plain", model="hash")
    progress = Recorder()
    on_ray = build_index(corpus, tmp_path / "ray", model="hash", ray="local", progress=progress)
    assert progress.totals["Ray"] == 17  # every file went to the cluster, the bad ones too
    assert "Splitting" not in progress.totals and "Embedding" not in progress.totals
    assert on_ray.to_json() | {"seconds": 0} == plain.to_json() | {"seconds": 0}
    # Bad files are skipped on the cluster with the reasons a plain build gives.
    assert {s.source for s in on_ray.skipped} == {"binary.txt", "empty.txt"}
    assert_same_index(tmp_path / "plain", tmp_path / "ray")
    for mode in ("hybrid", "dense", "lexical"):
        assert answers(tmp_path / "ray", mode) == answers(tmp_path / "plain", mode)


@pytest.mark.e2e
def test_the_same_index_with_the_real_model(ray_address: str, ungdc: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("SYR_66_2011", "LBY_66_2011", "NOR_66_2011", "QAT_66_2011", "BRA_66_2011"):
        shutil.copy(ungdc / "2011" / f"{name}.txt", corpus)
    build_index(corpus, tmp_path / "plain")
    build_index(corpus, tmp_path / "ray", ray="local")
    assert_same_index(tmp_path / "plain", tmp_path / "ray")
    manifest = read_manifest(tmp_path / "ray")
    assert manifest is not None and manifest.model.encoder == "onnx"
    with Index.open(tmp_path / "plain") as a, Index.open(tmp_path / "ray") as b:
        for question in ("what about Syria", "the intervention in Libya", "Palestinian statehood"):
            assert [(h.passage_id, h.score) for h in a.search(question, 5)] == [
                (h.passage_id, h.score) for h in b.search(question, 5)
            ]


def change(corpus: Path) -> None:
    """Two files changed, one removed and six added: enough shards that a worker takes two."""
    (corpus / "part-03.txt").write_text("Refugees fleeing the war in Syria need protection this winter.\n")
    (corpus / "beta.txt").write_text("The Human Rights Council debated accountability for crimes in Syria.\n")
    (corpus / "part-07.txt").unlink()
    for n in range(6):
        (corpus / f"new-{n}.txt").write_text(f"Statement {n}: early warning and prevention come first.\n")


def test_an_incremental_build_sends_only_new_and_changed_files(ray_address: str, tmp_path: Path) -> None:
    corpus = real_text(tmp_path / "corpus")
    build_index(corpus, tmp_path / "ray", model="hash")
    shutil.copytree(tmp_path / "ray", tmp_path / "plain")
    change(corpus)
    progress = Recorder()
    on_ray = build_index(corpus, tmp_path / "ray", ray="local", progress=progress)
    assert progress.totals["Ray"] == 8
    assert (len(on_ray.new), sorted(on_ray.changed), on_ray.removed) == (
        6,
        ["beta.txt", "part-03.txt"],
        ["part-07.txt"],
    )
    plain = build_index(corpus, tmp_path / "plain")
    assert on_ray.to_json() | {"seconds": 0} == plain.to_json() | {"seconds": 0}
    assert_same_index(tmp_path / "plain", tmp_path / "ray")
    # Nothing changed: no cluster is started.
    progress = Recorder()
    again = build_index(corpus, tmp_path / "ray", ray="local", progress=progress)
    assert "Ray" not in progress.totals and again.embedded == 0


def test_a_worker_killed_mid_build_is_retried_and_the_old_index_answers_until_the_commit(
    ray_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = real_text(tmp_path / "corpus")
    index = tmp_path / "index"
    build_index(corpus, index, model="hash")
    shutil.copytree(index, tmp_path / "expected")
    generation, before = read_manifest(index).generation, answers(index)  # type: ignore[union-attr]
    change(corpus)
    build_index(corpus, tmp_path / "expected")
    marker = tmp_path / "killed"
    monkeypatch.setenv("R2P_FAULT_AT", f"shard:{marker}")
    seen: list[bool] = []

    def unchanged() -> None:  # as shards come back, the index on disk is still the old one
        manifest = read_manifest(index)
        seen.append(manifest is not None and manifest.generation == generation and answers(index) == before)

    build_index(corpus, index, ray="local", progress=Recorder(unchanged))
    assert marker.exists(), "no worker was killed"
    assert seen and all(seen)
    assert read_manifest(index).generation != generation  # type: ignore[union-attr]
    assert_same_index(tmp_path / "expected", index)


def test_workers_that_always_die_fail_the_build_in_one_line_and_leave_the_index(
    ray_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = real_text(tmp_path / "corpus")
    index = tmp_path / "index"
    build_index(corpus, index, model="hash")
    before = (read_manifest(index), answers(index))
    change(corpus)
    monkeypatch.setenv("R2P_FAULT_AT", "shard")
    with pytest.raises(ClusterError, match=f"died {cluster.RETRIES + 1} times") as failed:
        build_index(corpus, index, ray="local")
    assert "\n" not in str(failed.value)
    assert (read_manifest(index), answers(index)) == before


def test_a_model_that_runs_in_torch_is_refused(ray_address: str, tmp_path: Path) -> None:
    from r2p_search.embedding import SentenceTransformerEmbedder

    corpus = write_files(tmp_path / "corpus", SPEECH)
    with pytest.raises(ClusterError, match="runs models exported to ONNX"):
        build_index(
            corpus, tmp_path / "index", embedder=SentenceTransformerEmbedder("all-MiniLM-L6-v2"), ray="local"
        )
    assert not (tmp_path / "index" / "manifest.json").exists()


def test_the_cli_joins_a_running_cluster_by_its_address(ray_address: str, tmp_path: Path) -> None:
    corpus = real_text(tmp_path / "corpus", parts=4)
    build_index(corpus, tmp_path / "plain", model="hash")
    done = run_cli(
        "index", "--corpus", str(corpus), "--index", str(tmp_path / "ray"), "--model", "hash",
        "--ray", ray_address, "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["documents"] == 7
    assert f"Joining the Ray cluster at {ray_address}" in done.stderr
    assert_same_index(tmp_path / "plain", tmp_path / "ray")


def test_the_cli_starts_a_local_cluster(tmp_path: Path) -> None:
    corpus = write_files(tmp_path / "corpus", SPEECH)
    done = run_cli(
        "index",
        "--corpus",
        str(corpus),
        "--index",
        str(tmp_path / "ray"),
        "--model",
        "hash",
        "--ray",
        "local",
    )
    assert done.returncode == 0, done.stderr
    assert "Starting a local Ray cluster" in done.stderr
    build_index(corpus, tmp_path / "plain", model="hash")
    assert_same_index(tmp_path / "plain", tmp_path / "ray")


def test_an_unreachable_address_is_one_line_at_once(tmp_path: Path) -> None:
    corpus = write_files(tmp_path / "corpus", SPEECH)
    for address, says in (
        ("127.0.0.1:9", "cannot reach the Ray cluster at 127.0.0.1:9"),
        ("nohost", "HOST:PORT"),
    ):
        done = run_cli(
            "index",
            "--corpus",
            str(corpus),
            "--index",
            str(tmp_path / "i"),
            "--model",
            "hash",
            "--ray",
            address,
        )
        assert done.returncode == 1
        assert done.stderr.startswith("error:") and says in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "i" / "manifest.json").exists()


def test_without_the_extra_the_error_names_it(tmp_path: Path) -> None:
    corpus = write_files(tmp_path / "corpus", SPEECH)
    hide_ray = "import sys; sys.modules['ray'] = None; from r2p_search.cli import main; main()"
    args = ["index", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--ray", "local"]
    done = subprocess.run(
        [sys.executable, "-c", hide_ray, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "pip install 'r2p-search[cluster]'" in done.stderr and done.stderr.count("\n") == 1, done.stderr
