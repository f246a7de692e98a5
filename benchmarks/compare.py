"""r2p-search against the naive recipe, on the same corpus, on this machine, in one run.

    python benchmarks/compare.py                         # UNGDC 2011 from ../shared (about 4 min)
    python benchmarks/compare.py --corpus DIR            # any folder of .txt files
    python benchmarks/compare.py --sample 20             # the first 20 files only: a quick run

Prints one table: indexing wall time and passages/s, a no-op rebuild, and the wall time of a
question asked from a new process (median of --repeat runs).
"""

from __future__ import annotations

import argparse
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


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        cmd, capture_output=True, text=True, cwd=cwd, env=os.environ | {"HF_HUB_OFFLINE": "1"}
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"benchmark step failed: {' '.join(cmd)}\n{result.stderr[-2000:]}")
    return elapsed, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sample", type=int, default=0, help="use only the first N files")
    parser.add_argument("--repeat", type=int, default=3, help="cold questions per tool")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")

    work = Path(tempfile.mkdtemp(prefix="r2p-bench-"))
    corpus = work / "corpus"
    files = sorted(args.corpus.rglob("*.txt"))
    if args.sample:
        files = files[: args.sample]
    corpus.mkdir()
    for f in files:
        shutil.copy(f, corpus / f.name)
    cli = [sys.executable, "-m", "r2p_search"]
    try:
        naive_index_s, naive_out = timed(
            [sys.executable, str(HERE / "naive.py"), "index", str(corpus), str(work / "naive")]
        )
        naive_passages = int(naive_out.strip().splitlines()[-1])
        ours_index_s, _ = timed([*cli, "index", "--corpus", str(corpus), "--index", str(work / "ours")])
        noop_s, _ = timed([*cli, "index", "--corpus", str(corpus), "--index", str(work / "ours")])
        status = subprocess.run(
            [*cli, "status", "--json", "--corpus", str(corpus), "--index", str(work / "ours")],
            capture_output=True,
            text=True,
            check=True,
        )
        ours_passages = int(__import__("json").loads(status.stdout)["passages"])
        naive_q = [
            timed([sys.executable, str(HERE / "naive.py"), "query", str(work / "naive"), QUESTION])[0]
            for _ in range(args.repeat)
        ]
        ours_q = [
            timed([*cli, "search", QUESTION, "--index", str(work / "ours"), "-k", "5"])[0]
            for _ in range(args.repeat)
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("files", f"{len(files)}", f"{len(files)}"),
        ("passages", f"{naive_passages}", f"{ours_passages}"),
        ("index: wall time", f"{naive_index_s:.1f} s", f"{ours_index_s:.1f} s"),
        ("index: passages/s", f"{naive_passages / naive_index_s:.0f}", f"{ours_passages / ours_index_s:.0f}"),
        ("re-index, nothing changed", f"{naive_index_s:.1f} s (no incremental mode)", f"{noop_s:.2f} s"),
        (
            f"cold question (median of {args.repeat})",
            f"{statistics.median(naive_q):.2f} s",
            f"{statistics.median(ours_q):.2f} s",
        ),
    ]
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"corpus: {args.corpus}" + (f" (first {args.sample} files)" if args.sample else ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'naive recipe':>28}  {'r2p-search':>12}")
    for name, naive, ours in rows:
        print(f"{name:<{width}}  {naive:>28}  {ours:>12}")


if __name__ == "__main__":
    main()
