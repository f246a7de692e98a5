"""How well the splitter finds paragraph ends in text that has no paragraph marks.

The General Debate years 2006-2011 mark each paragraph with an indented first line. Hiding
the indentation gives text like the unmarked years; the indentation is then the ground truth
for the "sentence ends with room left on the line" rule that the splitter falls back on.

    python benchmarks/paragraph_breaks.py [--years 2010 2011] [--limit 200]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from r2p_search.passages import _FURNITURE, _layout, ended_short, normalize

UNGDC = Path(__file__).resolve().parents[2] / "shared" / "data" / "ungdc"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", nargs="+", default=["2010", "2011"])
    parser.add_argument("--limit", type=int, default=200, help="files per run")
    args = parser.parse_args()
    files = sorted(f for y in args.years for f in (UNGDC / y).glob("*.txt"))[: args.limit]
    tp = fp = fn = 0
    for path in files:
        lines = [line.rstrip() for line in normalize(path.read_text(encoding="utf-8-sig")).split("\n")]
        lines = [line for line in lines if line.strip() and not _FURNITURE.match(line.strip())]
        layout = _layout(lines)
        if not (layout.indented and layout.wrapped):
            continue
        for prev, line in itertools.pairwise(lines):
            truth = line[:1] == " "
            guess = ended_short(prev.strip(), line.strip(), layout.width)
            tp += truth and guess
            fp += guess and not truth
            fn += truth and not guess
    print(f"{len(files)} files; paragraph ends found without indentation marks:")
    print(
        f"precision {tp / (tp + fp):.3f}  recall {tp / (tp + fn):.3f}  ({tp} right, {fp} wrong, {fn} missed)"
    )


if __name__ == "__main__":
    main()
