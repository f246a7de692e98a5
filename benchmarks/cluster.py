"""`index --ray local` against the plain build, on one machine, in one run.

    python benchmarks/cluster.py                          # UNGDC 2011 from ../shared
    python benchmarks/cluster.py --corpus DIR --repeat 1 --questions 20

Builds the corpus with the command line, each time into a new index, plainly and with
`--ray local` (a local Ray cluster on every core, started and stopped by the command), in turn,
`--repeat` times each. The model is exported once before anything is timed. Prints every wall
time and CPU time (of every process of a build, Ray's workers too: on a machine shared with
other work, CPU time is the steadier of the two), the medians, Ray's overhead, the time to start
and stop a local cluster alone, and whether the two indexes are the same: files byte for byte,
every SQLite row, every vector bit for bit, and the answers (passage ids and scores) to
development questions from tests/eval/ungdc-2011.jsonl. Linux only. Needs the extra:
pip install 'r2p-search[cluster]'.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLI = [sys.executable, "-m", "r2p_search"]


def questions(count: int) -> list[str]:
    lines = (REPO / "tests" / "eval" / "ungdc-2011.jsonl").read_text(encoding="utf-8").splitlines()
    found = [json.loads(line)["query"] for line in lines if line.strip() and not line.startswith("#")]
    return found[:count]


def adopt_orphans() -> None:
    """Make this process the one that reaps the builds' orphans (Ray's workers, once the raylet
    that started them is gone), so that their CPU time is counted with the build's."""
    import ctypes

    pr_set_child_subreaper = 36
    ctypes.CDLL(None).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def reap_orphans(patience: float = 120.0) -> int:
    """Wait for every orphan to end (their CPU time is counted when they are reaped); how many."""
    deadline = time.monotonic() + patience
    reaped = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid:
            reaped += 1
        elif time.monotonic() > deadline:
            raise SystemExit("a process of the build is still running: its CPU time would be lost")
        else:
            time.sleep(0.1)


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(corpus: Path, index: Path, *extra: str) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds of every process of the build, and its report."""
    cpu = cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(
        [*CLI, "index", "--corpus", str(corpus), "--index", str(index), "--json", *extra],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    reap_orphans()
    if done.returncode != 0:
        raise SystemExit(f"build failed: {done.stderr[-2000:]}")
    return seconds, cpu_of_children() - cpu, json.loads(done.stdout)


def artifacts(index: Path) -> dict[str, str]:
    manifest = json.loads((index / "manifest.json").read_text())
    return {path.split("/", 1)[1]: a["sha256"] for path, a in manifest["artifacts"].items()}


def same_rows_and_vectors(a: Path, b: Path) -> tuple[bool, bool, int]:
    from r2p_search.store import Store

    sa, sb = Store.open(a), Store.open(b)
    try:
        tables = [n for (n,) in sa.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = all(
            sa.db.execute(f"SELECT * FROM {t}").fetchall() == sb.db.execute(f"SELECT * FROM {t}").fetchall()
            for t in tables
            if not t.startswith("sqlite_")
        )
        n = sa.vectors.ntotal
        vectors = n == sb.vectors.ntotal and np.array_equal(
            sa.vectors_at(list(range(n))), sb.vectors_at(list(range(n)))
        )
        return rows, vectors, n
    finally:
        sa.close()
        sb.close()


def answers(index: Path, asked: list[str]) -> list[list[tuple[str, float]]]:
    from r2p_search.search import Index

    with Index.open(index) as opened:
        return [[(h.passage_id, h.score) for h in opened.search(q, 10)] for q in asked]


def cluster_start_stop() -> float:
    from r2p_search import cluster

    started = time.perf_counter()
    with cluster.connected("local"):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "ungdc" / "2011")
    parser.add_argument("--questions", type=int, default=10, help="development questions to compare")
    parser.add_argument("--repeat", type=int, default=3, help="builds of each kind, taken in turn")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus}")
    os.environ.setdefault("PYTHONPATH", str(REPO))

    from r2p_search.embedding import load_embedder

    adopt_orphans()
    times: dict[str, list[float]] = {"plain": [], "ray": []}
    cpus: dict[str, list[float]] = {"plain": [], "ray": []}
    with tempfile.TemporaryDirectory(prefix="r2p-cluster-bench-") as tmp:
        work = Path(tmp)
        # The export (torch, seconds) goes to the model cache now, so that no build pays it.
        load_embedder(models_dir=work / "warm").max_tokens  # noqa: B018
        for _ in range(args.repeat):
            for kind, extra in (("plain", ()), ("ray", ("--ray", "local"))):
                shutil.rmtree(work / kind, ignore_errors=True)
                seconds, cpu, report = build(args.corpus, work / kind, *extra)
                times[kind].append(seconds)
                cpus[kind].append(cpu)
        start_stop = cluster_start_stop()
        files = artifacts(work / "plain") == artifacts(work / "ray")
        rows, vectors, n = same_rows_and_vectors(work / "plain", work / "ray")
        asked = questions(args.questions)
        same_answers = answers(work / "plain", asked) == answers(work / "ray", asked)

    median = {kind: (statistics.median(times[kind]), statistics.median(cpus[kind])) for kind in times}
    passages = report["passages"]
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"corpus: {args.corpus} ({report['documents']} documents, {passages:,} passages)")
    for kind, label in (("plain", "plain build"), ("ray", "--ray local build")):
        wall, cpu = median[kind]
        each = ", ".join(f"{t:.1f}/{c:.1f}" for t, c in zip(times[kind], cpus[kind], strict=True))
        print(f"{label:<18} median {wall:6.1f} s wall ({passages / wall:,.0f} passages/s), {cpu:6.1f} s CPU")
        print(f"{'':<18} each, wall/CPU: {each} s")
    (plain_wall, plain_cpu), (ray_wall, ray_cpu) = median["plain"], median["ray"]
    wall_share, cpu_share = (ray_wall / plain_wall - 1) * 100, (ray_cpu / plain_cpu - 1) * 100
    print(
        f"Ray overhead:       {ray_wall - plain_wall:+6.1f} s wall ({wall_share:+.0f}%), "
        f"{ray_cpu - plain_cpu:+6.1f} s CPU ({cpu_share:+.0f}%)"
    )
    print(f"  a local cluster started and stopped alone: {start_stop:.1f} s")
    print(f"same files byte for byte: {files}")
    print(f"same SQLite rows: {rows}; same {n:,} vectors bit for bit: {vectors}")
    print(f"same answers to {len(asked)} development questions (ids and scores, top 10): {same_answers}")


if __name__ == "__main__":
    main()
