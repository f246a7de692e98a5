"""`r2p-search serve` against the command line, on one index, on this machine, in one run.

    python benchmarks/serve.py --index DIR                 # an index already built
    python benchmarks/serve.py --index DIR --clients 20 --requests 400
    python benchmarks/naive.py index CORPUS NAIVE   # then, beside the naive recipe:
    python benchmarks/serve.py --index DIR --naive-index NAIVE

Prints, for the same questions (the development sets in tests/eval/):
- the command line: `search --queries FILE` in one process (wall time per question), and one
  process per question (`search QUESTION`, median wall time), which is what a script that calls
  the CLI in a loop pays;
- with --naive-index, the naive recipe (benchmarks/naive.py) the same two ways: all questions in
  one process, and one process per question, the only way a script can use it;
- the server: one client asking one question at a time (p50/p95 per HTTP request), then
  --clients clients at once (p50/p95, questions per second), with the ratio to one CLI process
  per question.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLI = [sys.executable, "-m", "r2p_search"]


def questions() -> list[str]:
    found: list[str] = []
    for name in ("seed.jsonl", "ungdc-2011.jsonl"):
        for line in (REPO / "tests" / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                found.append(json.loads(line)["query"])
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ask(base: str, question: str) -> float:
    started = time.perf_counter()
    url = f"{base}/api/search?" + urllib.parse.urlencode({"q": question, "k": 10})
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {body[:200]!r}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400, help="requests in the concurrent run")
    parser.add_argument("--cold", type=int, default=11, help="CLI processes, one question each")
    parser.add_argument("--naive-index", type=Path, help="a naive.py index of the same corpus")
    args = parser.parse_args()
    qs = questions()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    where = ["--index", str(args.index)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"index: {args.index}; {len(qs)} questions (tests/eval)")

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(qs) + "\n")
    started = time.perf_counter()
    subprocess.run(
        [*CLI, "search", "--queries", handle.name, *where, "--json"], check=True, env=env, capture_output=True
    )
    batch = (time.perf_counter() - started) / len(qs)
    cold: list[float] = []
    for question in qs[: args.cold]:
        started = time.perf_counter()
        subprocess.run([*CLI, "search", question, *where], check=True, env=env, capture_output=True)
        cold.append(time.perf_counter() - started)
    cold_median = statistics.median(cold)
    naive_warm = naive_cold = None
    if args.naive_index:
        naive = [sys.executable, str(HERE / "naive.py")]
        done = subprocess.run(
            [*naive, "warm", str(args.naive_index), handle.name],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
        naive_warm = json.loads(done.stdout)["ms"]
        times = []
        for question in qs[: args.cold]:
            started = time.perf_counter()
            subprocess.run(
                [*naive, "query", str(args.naive_index), question], check=True, env=env, capture_output=True
            )
            times.append(time.perf_counter() - started)
        naive_cold = statistics.median(times)

    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", *where, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/api/status", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    problem = server.stderr.read() if server.stderr else ""
                    raise SystemExit(f"server did not start: {problem}") from None
                time.sleep(0.2)
        for question in qs[:5]:
            ask(base, question)  # warm: the model, BM25's thread, the first scans
        one = [ask(base, q) for q in qs]
        todo = [qs[i % len(qs)] for i in range(args.requests)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            many = list(pool.map(lambda q: ask(base, q), todo))
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=15)

    qps = len(todo) / wall
    rows = [
        ("CLI, `search --queries` in one process: per question", f"{batch * 1000:.1f} ms"),
        (f"CLI, one process per question: median of {len(cold)}", f"{cold_median:.2f} s"),
        ("CLI, one process per question: questions/s", f"{1 / cold_median:.2f}"),
        (
            "HTTP, 1 client: p50 / p95 per question",
            f"{percentile(one, 0.5) * 1000:.1f} / {percentile(one, 0.95) * 1000:.1f} ms",
        ),
        ("HTTP p50 against `--queries` per question", f"{percentile(one, 0.5) / batch:.2f}x"),
        (
            f"HTTP, {args.clients} clients: p50 / p95",
            f"{percentile(many, 0.5) * 1000:.1f} / {percentile(many, 0.95) * 1000:.1f} ms",
        ),
        (f"HTTP, {args.clients} clients: questions/s ({len(todo)} requests)", f"{qps:.1f}"),
        ("HTTP questions/s against one CLI process per question", f"{qps * cold_median:.0f}x"),
    ]
    if naive_warm is not None and naive_cold is not None:
        rows += [
            ("naive recipe, all in one process: p50 per question", f"{percentile(naive_warm, 0.5):.1f} ms"),
            (f"naive recipe, one process per question: median of {len(cold)}", f"{naive_cold:.2f} s"),
            ("HTTP questions/s against one naive process per question", f"{qps * naive_cold:.0f}x"),
        ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>16}")


if __name__ == "__main__":
    main()
