"""Score hybrid fusion rules on an index that is already built, for every query set given.

    python benchmarks/fusions.py --index DIR                         # all rules in quality.py
    python benchmarks/fusions.py --index DIR --fusions default questions-dense \\
        --sets tests/eval/ungdc-multiyear.jsonl tests/eval/ungdc-2011.jsonl

For an index too large to rebuild per rule, such as all 35 years of General Debates: each rule
is scored on the same index, in one process, with the questions understood as `search` does.
Prints MRR@10 / hit@10 per set and MRR@10 by kind of query.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from r2p_search.evaluate import evaluate, load_queries
from r2p_search.search import Index

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from quality import FUSIONS  # noqa: E402

EVAL = HERE.parent / "tests" / "eval"
DEFAULT_SETS = [EVAL / "ungdc-multiyear.jsonl", EVAL / "ungdc-2011.jsonl"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sets", type=Path, nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--fusions", nargs="+", default=list(FUSIONS), choices=list(FUSIONS))
    args = parser.parse_args()
    sets = {path.stem: load_queries(path) for path in args.sets}
    with Index.open(args.index) as index:
        for name in args.fusions:
            index.fusion = FUSIONS[name]
            print(f"{name}: {FUSIONS[name]}")
            for set_name, queries in sets.items():
                summary = evaluate(queries, lambda qs, k: index.search_many(qs, k), "hybrid").to_json()
                kinds = ", ".join(f"{kind} {v['mrr@10']:.3f}" for kind, v in summary["by_kind"].items())
                figures = f"MRR@10 {summary['mrr@10']:.3f}, hit@10 {summary['hit@10']:.3f}"
                print(f"  {set_name}: {figures} ({kinds})")


if __name__ == "__main__":
    main()
