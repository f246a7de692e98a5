"""Score hybrid fusion rules on an index that is already built, for every query set given.

    python benchmarks/fusions.py --index DIR                         # all rules in quality.py
    python benchmarks/fusions.py --index DIR --fusions default questions-dense \\
        --sets tests/eval/ungdc-multiyear.jsonl tests/eval/ungdc-2011.jsonl
    python benchmarks/fusions.py --index DIR --naive-corpus ../shared/data/ungdc   # + the baseline
    python benchmarks/fusions.py --index DIR --fusions default --literal     # + questions not understood

For an index too large to rebuild per rule, such as all 35 years of General Debates: each rule
is scored on the same index, in one process, with the questions understood as `search` does.
Prints MRR@10 / hit@10 per set and MRR@10 by kind of query; with --naive-corpus, first the naive
recipe (sentence-transformers, IndexFlatIP) over that corpus, scored the same way (over 35 years
its embedding takes about 25 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from r2p_search.embedding import load_embedder
from r2p_search.errors import R2PError
from r2p_search.evaluate import Searcher, evaluate, load_queries
from r2p_search.search import Index

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from quality import FUSIONS, naive_searcher  # noqa: E402

EVAL = HERE.parent / "tests" / "eval"
DEFAULT_SETS = [EVAL / "ungdc-multiyear.jsonl", EVAL / "ungdc-2011.jsonl"]


def report(name: str, sets: dict, search: Searcher) -> None:
    print(name)
    for set_name, queries in sets.items():
        summary = evaluate(queries, search, "hybrid").to_json()
        kinds = ", ".join(f"{kind} {v['mrr@10']:.3f}" for kind, v in summary["by_kind"].items())
        figures = f"MRR@10 {summary['mrr@10']:.3f}, hit@10 {summary['hit@10']:.3f}"
        print(f"  {set_name}: {figures} ({kinds})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sets", type=Path, nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--fusions", nargs="+", default=list(FUSIONS), choices=list(FUSIONS))
    parser.add_argument("--naive-corpus", type=Path, help="also score the naive recipe over this corpus")
    parser.add_argument(
        "--naive-cache", type=Path, help="keep the naive recipe's vectors here, to reuse in later runs"
    )
    parser.add_argument(
        "--literal", action="store_true", help="also score each rule with questions taken literally"
    )
    args = parser.parse_args()
    try:
        sets = {path.stem: load_queries(path) for path in args.sets}
        if args.naive_corpus:
            report(
                "naive recipe (dense)",
                sets,
                naive_searcher(args.naive_corpus, load_embedder(), args.naive_cache),
            )
        with Index.open(args.index) as index:
            for name in args.fusions:
                index.fusion = FUSIONS[name]
                report(f"{name}: {FUSIONS[name]}", sets, lambda qs, k: index.search_many(qs, k))
                if args.literal:
                    report(f"{name}, --literal", sets, lambda qs, k: index.search_many(qs, k, literal=True))
    except R2PError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
