"""Questions in other languages: what telling the language and reading country names in it cost.

    python benchmarks/languages.py                              # detection and name tables
    python benchmarks/languages.py --index DIR                  # and a cold search, English and French
    python benchmarks/languages.py --index DIR --before PATH    # the same with the code at PATH too

Prints:
- how many of the development questions (tests/eval, all English) are read as English, and the
  time `language.detect` takes per question;
- for each of the UN's languages besides English, the time a new process takes to build its
  country names (catalogues read, once a process) and how many names it then knows;
- with --index, the wall and CPU time of `python -m r2p_search search QUESTION --index DIR` from
  a new process, medians of --repeat, for an English and a French question; with --before, the
  same runs, taking turns, with another checkout's package first on PYTHONPATH (a copy of the
  code before a change).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ENGLISH = "who invoked the responsibility to protect over Libya?"
FRENCH = "Qui a invoqué la responsabilité de protéger à propos de la Libye ?"
UN_LANGUAGES = ("fr", "es", "ar", "ru", "zh")

# What a question in another language adds: every question reads the English names already.
NAMES = """
import sys, time
from r2p_search import countries
countries._names_by_first_word()
start = time.perf_counter()
table = countries._translated(sys.argv[1])
countries._translated_index(sys.argv[1])
print(f"{(time.perf_counter() - start) * 1000:.2f} {len(table)}")
"""


def development_questions() -> list[str]:
    found = []
    for path in sorted((REPO / "tests" / "eval").glob("*.jsonl")):
        found += [json.loads(line)["query"] for line in path.read_text().splitlines() if line.strip()]
    return found


def cold_searches(runs: list[tuple[str, str, Path]], index: Path, repeat: int) -> dict[tuple[str, str], list]:
    """Wall and CPU seconds of one search from a new process, for each (label, question, code).

    The runs take turns, so that a machine busy with other work slows each of them alike.
    Compiled bytecode is kept (in a folder of its own), as an installed package has it.
    """
    cache = tempfile.mkdtemp(prefix="r2p-pyc-")
    times: dict[tuple[str, str], list] = {(label, question): [] for label, question, _ in runs}
    for round_ in range(repeat + 1):
        for label, question, code in runs:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env |= {"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(code), "PYTHONPYCACHEPREFIX": cache}
            cmd = [sys.executable, "-m", "r2p_search", "search", question, "--index", str(index), "--json"]
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"search failed with the code at {code}")
            if round_:  # the first round writes the bytecode
                times[(label, question)].append((wall, usage.ru_utime + usage.ru_stime))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, help="a built index, for the cold search")
    parser.add_argument("--before", type=Path, help="another checkout to time the same searches with")
    parser.add_argument("--repeat", type=int, default=7, help="cold searches per question and code")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from r2p_search.language import detect

    questions = development_questions()
    start = time.perf_counter()
    for _ in range(10):
        read = [detect(q) for q in questions]
    per_question = (time.perf_counter() - start) / max(1, 10 * len(questions)) * 1e6
    others = [(q, code) for q, code in zip(questions, read, strict=True) if code != "en"]
    print(f"development questions read as English: {len(questions) - len(others)} of {len(questions)}")
    for question, code in others:
        print(f"  read as {code}: {question}")
    print(f"language.detect: {per_question:.0f} µs per question")

    env = os.environ | {"PYTHONPATH": str(REPO)}
    for language in UN_LANGUAGES:
        runs = [
            subprocess.run([sys.executable, "-c", NAMES, language], env=env, capture_output=True, text=True)
            for _ in range(5)
        ]
        figures = [run.stdout.split() for run in runs if run.returncode == 0]
        if not figures:
            sys.exit(runs[0].stderr[-1000:])
        ms = statistics.median(float(f[0]) for f in figures)
        print(f"country names in {language}: {figures[0][1]} names, built in {ms:.1f} ms (median of 5)")

    if args.index is None:
        return
    codes = [("this code", REPO)] + ([("--before", args.before)] if args.before else [])
    runs = [(label, question, code) for question in (ENGLISH, FRENCH) for label, code in codes]
    for (label, question), figures in cold_searches(runs, args.index, args.repeat).items():
        wall = statistics.median(w for w, _ in figures)
        cpu = statistics.median(c for _, c in figures)
        kind = "English" if question == ENGLISH else "French"
        print(
            f"cold search, {label}, {kind} question: {wall:.3f} s wall, {cpu:.3f} s CPU "
            f"(medians of {args.repeat})"
        )


if __name__ == "__main__":
    main()
