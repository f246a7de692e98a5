"""Crash safety, damage detection, no code from index files, one writer with readers never blocked.

Every test here drives the real `r2p-search` command in subprocesses, with the hash model, so a
failure is what a user would see.
"""

from __future__ import annotations

import json
import os
import pickle  # noqa: TID251 -- only to plant a hostile file; nothing here unpickles
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.store import FAULT_POINTS, LOCK, MANIFEST

from .conftest import SPEECH, run_cli

QUERY = "protection of civilians"
MODEL = "hash:64"


def index_cmd(corpus: Path, index: Path, *extra: str) -> list[str]:
    cli = [sys.executable, "-m", "r2p_search"]
    return [*cli, "index", "--corpus", str(corpus), "--index", str(index), *extra]


def answers(index: Path, query: str = QUERY) -> list[tuple[str, float]]:
    """What `search --json` returns: passage ids and scores, the golden result of an index."""
    done = run_cli("search", query, "--index", str(index), "--json", "-k", "5")
    assert done.returncode == 0, done.stderr
    return [(h["passage_id"], round(h["score"], 5)) for h in json.loads(done.stdout)["results"]]


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    return lines[0]


def leftovers(index: Path) -> list[str]:
    """Anything in the index folder besides the committed generation, models, manifest and lock."""
    manifest = json.loads((index / MANIFEST).read_text())
    known = {manifest["generation"], "models", MANIFEST, LOCK}
    return sorted(p.name for p in index.iterdir() if p.name not in known)


@pytest.fixture
def two_corpora(tmp_path: Path) -> tuple[Path, Path]:
    """Corpus A, and corpus B with one file changed, one removed and one added."""
    a = tmp_path / "a"
    for name, text in SPEECH.items():
        (a / name).parent.mkdir(parents=True, exist_ok=True)
        (a / name).write_text(text)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    (b / "beta.txt").write_text("The protection of civilians in Darfur and the duty of every State.\n")
    (b / "alpha.txt").unlink()
    (b / "delta.txt").write_text("Civilians need protection from mass atrocities: prevention first.\n")
    return a, b


@pytest.fixture
def built(two_corpora: tuple[Path, Path], tmp_path: Path) -> tuple[Path, list[tuple[str, float]]]:
    a, _ = two_corpora
    index = tmp_path / "index"
    done = subprocess.run(index_cmd(a, index, "--model", MODEL), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return index, answers(index)


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_kill_at_any_stage_leaves_previous_index_answering(
    built: tuple[Path, list], two_corpora: tuple[Path, Path], point: str, full: bool
) -> None:
    index, golden = built
    _, b = two_corpora
    extra = ["--full"] if full else []
    killed = subprocess.run(
        index_cmd(b, index, *extra), capture_output=True, text=True, env=os.environ | {"R2P_FAULT_AT": point}
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after_commit = point == "committed"
    if not after_commit:
        assert answers(index) == golden
    # The next run completes, answers for corpus B, and leaves nothing of the killed run behind.
    done = subprocess.run(index_cmd(b, index), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert leftovers(index) == []
    assert answers(index) != golden
    assert run_cli("verify", "--index", str(index)).returncode == 0


def test_kill_at_random_moments(built: tuple[Path, list], two_corpora: tuple[Path, Path]) -> None:
    index, golden = built
    _, b = two_corpora
    new = None
    rng = random.Random(7)
    for delay in sorted(rng.uniform(0.05, 1.5) for _ in range(8)):
        proc = subprocess.Popen(
            index_cmd(b, index, "--full"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = answers(index)
        if new is None and now != golden:
            new = now
        # Killed before the commit point: the old answers; after it: the new ones. Never a mix.
        assert now in (golden, new)
    done = subprocess.run(index_cmd(b, index), capture_output=True, text=True)
    assert done.returncode == 0
    assert leftovers(index) == []


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for where in (0.3, 0.6, 0.9):
        data[int(len(data) * where)] ^= 0xA5
    path.write_bytes(bytes(data))


def _pickle_bomb(path: Path) -> None:
    # Unpickling this would create a marker file: proof that code ran.
    marker = next(p for p in path.parents if p.name == "index").parent / "pwned"
    path.write_bytes(pickle.dumps(_Payload(str(marker))))


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable, tuple]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("target", ["manifest.json", "gen/passages.sqlite", "gen/vectors.faiss"])
@pytest.mark.parametrize("damage", [_truncate, _flip, _pickle_bomb])
def test_damage_is_detected_never_served(built: tuple[Path, list], target: str, damage: Callable) -> None:
    index, _ = built
    generation = json.loads((index / MANIFEST).read_text())["generation"]
    damage(index / target.replace("gen/", f"{generation}/"))
    for command in (["search", QUERY], ["similar", "alpha:1"], ["show", "alpha:1"]):
        line = one_line_error(run_cli(*command, "--index", str(index)))
        assert "r2p-search index" in line  # says how to fix it
    assert not (index.parent / "pwned").exists()
    assert one_line_error(run_cli("verify", "--index", str(index)))


def test_files_mixed_from_two_builds_are_detected(
    built: tuple[Path, list], two_corpora: tuple[Path, Path]
) -> None:
    index, _ = built
    _, b = two_corpora
    other = index.parent / "other"
    assert subprocess.run(index_cmd(b, other, "--model", MODEL), capture_output=True).returncode == 0
    mine = json.loads((index / MANIFEST).read_text())["generation"]
    theirs = json.loads((other / MANIFEST).read_text())["generation"]
    shutil.copy(other / theirs / "passages.sqlite", index / mine / "passages.sqlite")
    one_line_error(run_cli("search", QUERY, "--index", str(index)))


def test_verify_reads_every_byte(built: tuple[Path, list]) -> None:
    index, _ = built
    sound = run_cli("verify", "--index", str(index), "--json")
    assert sound.returncode == 0 and json.loads(sound.stdout)["ok"] is True
    # A flipped byte whose file keeps its size and modification time: only a full read finds it.
    generation = json.loads((index / MANIFEST).read_text())["generation"]
    path = index / generation / "vectors.faiss"
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    damaged = run_cli("verify", "--index", str(index), "--json")
    assert damaged.returncode == 1
    failed = [c for c in json.loads(damaged.stdout)["checks"] if not c["ok"]]
    assert [c["what"] for c in failed] == [f"{generation}/vectors.faiss"]
    assert "checksum" in failed[0]["detail"]


def test_planted_files_are_never_read(built: tuple[Path, list]) -> None:
    index, golden = built
    generation = json.loads((index / MANIFEST).read_text())["generation"]
    for name in (f"{generation}/vectors.pkl", f"{generation}/index.pkl", "extra.pickle"):
        _pickle_bomb(index / name)
    assert answers(index) == golden
    assert not (index.parent / "pwned").exists()
    report = json.loads(run_cli("verify", "--index", str(index), "--json").stdout)
    assert report["ok"] is True and any("extra.pickle" in c["detail"] for c in report["checks"])


def test_no_module_can_unpickle() -> None:
    """Nothing in the package imports a module that runs code while loading data."""
    banned = ("pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal")
    package = Path(__file__).resolve().parents[1] / "r2p_search"
    for source in package.rglob("*.py"):
        text = source.read_text()
        for name in banned:
            assert f"import {name}" not in text and f"from {name}" not in text, (source, name)
        assert "allow_pickle=True" not in text and "torch.load(" not in text, source


def test_second_writer_is_told_and_a_killed_writer_leaves_no_lock(
    built: tuple[Path, list], two_corpora: tuple[Path, Path]
) -> None:
    index, _ = built
    _, b = two_corpora
    # A writer holding the lock (kept alive by a pause at the commit point's doorstep).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            str(index / LOCK),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    line = one_line_error(subprocess.run(index_cmd(b, index), capture_output=True, text=True))
    assert "being rebuilt" in line
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    done = subprocess.run(index_cmd(b, index), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_searches_during_rebuilds_all_succeed_with_old_or_new_answers(
    built: tuple[Path, list], two_corpora: tuple[Path, Path]
) -> None:
    index, golden_a = built
    a, b = two_corpora
    index_b = index.parent / "index-b"
    assert subprocess.run(index_cmd(b, index_b, "--model", MODEL), capture_output=True).returncode == 0
    golden_b = answers(index_b)
    stop = threading.Event()
    rebuilds = []

    def rebuild_forever() -> None:
        corpora = [b, a]
        while not stop.is_set():
            corpus = corpora[len(rebuilds) % 2]
            done = subprocess.run(index_cmd(corpus, index, "--full"), capture_output=True)
            rebuilds.append(done.returncode)

    writer = threading.Thread(target=rebuild_forever)
    writer.start()
    results = []
    try:
        for _ in range(50):
            done = run_cli("search", QUERY, "--index", str(index), "--json", "-k", "5")
            results.append(done)
    finally:
        stop.set()
        writer.join()
    assert all(code == 0 for code in rebuilds) and len(rebuilds) >= 3
    for done in results:
        assert done.returncode == 0, done.stderr
        got = [(h["passage_id"], round(h["score"], 5)) for h in json.loads(done.stdout)["results"]]
        assert got in (golden_a, golden_b)
    seen = {json.dumps(json.loads(d.stdout)) for d in results}
    assert len(seen) == 2  # both indexes were served: the searches did overlap the rebuilds
