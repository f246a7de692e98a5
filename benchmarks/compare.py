"""r2p-search against the naive recipe, on the same corpus, on this machine, in one run.

    python benchmarks/compare.py                         # UNGDC 2011 from ../shared (about 5 min)
    python benchmarks/compare.py --corpus DIR            # any folder of .txt files
    python benchmarks/compare.py --sample 20             # the first 20 files only: a quick run
    python benchmarks/compare.py --index DIR --skip-build --no-naive   # figures of a built index

Prints one table: indexing wall time, passages/s and peak memory; index size; a re-index with
nothing changed and one after editing one file; a question asked from a new process (median of
--repeat); and 100 questions answered in one warm process (p50/p95 latency, memory).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "ungdc" / "2011"
QUESTION = "who invoked the responsibility to protect over Libya?"
ENV = os.environ | {"HF_HUB_OFFLINE": "1"}

WARM = """
import json, resource, sys, time
from pathlib import Path
from r2p_search.search import Index
index = Index.open(Path(sys.argv[1]))
index.search("warm-up", 10)
latencies = []
for text in Path(sys.argv[2]).read_text().splitlines():
    start = time.perf_counter()
    index.search(text, 10)
    latencies.append((time.perf_counter() - start) * 1000)
print(json.dumps({"ms": latencies, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str, int]:
    """Wall seconds, stdout and peak RSS (KB) of one command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env or ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"benchmark step failed: {' '.join(cmd)}\n{err.read().decode()[-2000:]}")
        return elapsed, out.read().decode(), usage.ru_maxrss


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def questions(n: int = 100) -> list[str]:
    lines = (REPO / "tests" / "eval" / "ungdc-2011.jsonl").read_text().splitlines()
    pool = [json.loads(line)["query"] for line in lines if line.strip()]
    return [pool[i % len(pool)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sample", type=int, default=0, help="use only the first N files")
    parser.add_argument("--repeat", type=int, default=5, help="cold questions per tool")
    parser.add_argument("--index", type=Path, help="an index already built from --corpus (with --skip-build)")
    parser.add_argument("--skip-build", action="store_true", help="measure queries on --index only")
    parser.add_argument("--no-naive", action="store_true", help="leave the naive recipe out")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="r2p-bench-"))
    cli = [sys.executable, "-m", "r2p_search"]
    rows: list[tuple[str, str, str]] = []
    try:
        queries = work / "queries.txt"
        queries.write_text("\n".join(questions()) + "\n")
        if args.skip_build:
            if args.index is None:
                sys.exit("--skip-build needs --index")
            ours = args.index
            corpus = args.corpus
        else:
            corpus = work / "corpus"
            files = sorted(args.corpus.rglob("*.txt"))[: args.sample or None]
            for f in files:
                target = corpus / f.relative_to(args.corpus)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, target)
            ours = work / "ours"
            rows.append(("files", f"{len(files)}", f"{len(files)}"))
        naive_dir = work / "naive"
        if not args.skip_build:
            naive = (
                (0.0, "0", 0)
                if args.no_naive
                else run([sys.executable, str(HERE / "naive.py"), "index", str(corpus), str(naive_dir)])
            )
            # First build on a machine: the model is exported to ONNX (about 10 s) and kept in the
            # cache, here a fresh one; every later index copies it from there.
            cached = ENV | {"R2P_CACHE": str(work / "cache")}
            first = run([*cli, "index", "--corpus", str(corpus), "--index", str(work / "first")], cached)
            shutil.rmtree(work / "first")
            built = run([*cli, "index", "--corpus", str(corpus), "--index", str(ours), "--json"], cached)
            report = json.loads(built[1])
            naive_n = int(naive[1].strip().splitlines()[-1])
            rows += [
                ("passages", f"{naive_n}", f"{report['passages']}"),
                ("index: wall time, model export kept", f"{naive[0]:.1f} s", f"{built[0]:.1f} s"),
                (
                    "index: passages/s",
                    f"{naive_n / max(naive[0], 1e-9):.0f}",
                    f"{report['passages'] / built[0]:.0f}",
                ),
                ("index: first on a machine, with export", f"{naive[0]:.1f} s", f"{first[0]:.1f} s"),
                ("index: peak RSS", f"{naive[2] / 1024:.0f} MB", f"{built[2] / 1024:.0f} MB"),
                (
                    "index size on disk",
                    f"{size_mb(naive_dir):.0f} MB" if naive_dir.exists() else "-",
                    f"{size_mb(ours):.0f} MB",
                ),
            ]
            noop = run([*cli, "index", "--corpus", str(corpus), "--index", str(ours)], cached)
            edited = sorted(corpus.rglob("*.txt"))[len(list(corpus.rglob("*.txt"))) // 2]
            edited.write_text(
                edited.read_text(encoding="utf-8-sig")
                + "\n\nA closing paragraph added for the benchmark, about the protection of civilians.\n"
            )
            one = run([*cli, "index", "--corpus", str(corpus), "--index", str(ours)], cached)
            rows += [
                ("re-index, nothing changed", f"{naive[0]:.1f} s (full rebuild)", f"{noop[0]:.2f} s"),
                ("re-index, one speech edited", f"{naive[0]:.1f} s (full rebuild)", f"{one[0]:.2f} s"),
            ]
        naive_cold = (
            []
            if args.no_naive
            else [
                run([sys.executable, str(HERE / "naive.py"), "query", str(naive_dir), QUESTION])[0]
                for _ in range(args.repeat)
            ]
        )
        ours_cold = [
            run([*cli, "search", QUESTION, "--index", str(ours), "-k", "10"])[0] for _ in range(args.repeat)
        ]
        rows.append(
            (
                f"cold question, median of {args.repeat}",
                f"{statistics.median(naive_cold):.2f} s" if naive_cold else "-",
                f"{statistics.median(ours_cold):.2f} s",
            )
        )
        ours_warm = json.loads(run([sys.executable, "-c", WARM, str(ours), str(queries)])[1])
        naive_warm = (
            None
            if args.no_naive
            else json.loads(
                run([sys.executable, str(HERE / "naive.py"), "warm", str(naive_dir), str(queries)])[1]
            )
        )
        for name, q in (("warm query p50 (100 in one process)", 0.5), ("warm query p95", 0.95)):
            rows.append(
                (
                    name,
                    f"{percentile(naive_warm['ms'], q):.1f} ms" if naive_warm else "-",
                    f"{percentile(ours_warm['ms'], q):.1f} ms",
                )
            )
        rows.append(
            (
                "warm process peak RSS",
                f"{naive_warm['rss_kb'] / 1024:.0f} MB" if naive_warm else "-",
                f"{ours_warm['rss_kb'] / 1024:.0f} MB",
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"corpus: {args.corpus}" + (f" (first {args.sample} files)" if args.sample else ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'naive recipe':>22}  {'r2p-search':>12}")
    for name, naive_value, ours_value in rows:
        print(f"{name:<{width}}  {naive_value:>22}  {ours_value:>12}")


if __name__ == "__main__":
    main()
