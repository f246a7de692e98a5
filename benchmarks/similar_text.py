"""`similar --text` against `similar PASSAGE_ID`: a paragraph pasted from the index, and its id.

    python benchmarks/similar_text.py --index DIR [--sample 200] [--seed 0]

For a seeded sample of the index's passages, the paragraph as `show` prints it is given to
`Index.like_text` and the passage's id to `Index.more_like` (k=5 each). Printed: how often the
first hits are the same passage, and how many of the five they share, with the pasted text read
as its document's passages were embedded (after the document's label, as `like_text` does for a
text taken mostly from one document) and without that label (as a draft of one's own is read).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from r2p_search.search import Index


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with Index.open(args.index) as index:
        rows = random.Random(args.seed).sample(range(index.size), min(args.sample, index.size))
        pairs = []
        for row in rows:
            [passage] = index.store.passages_at([row])
            pairs.append((passage.passage_id, index.show(passage.passage_id).target.text))
        by_id = {pid: [h.passage_id for h in index.more_like(pid, k=5).hits] for pid, _ in pairs}
        pipeline = index.store.manifest.pipeline
        labelled = pipeline.embed_context
        print(f"{args.index}: {index.size} passages, {len(pairs)} pasted (seed {args.seed})")
        for reading in ("with the document's label", "without a label"):
            # like_text reads a pasted text after its document's label only where the index's
            # passages were embedded with one: switching that off here gives the bare reading.
            pipeline.embed_context = labelled and reading.startswith("with ")
            same = shared = 0
            start = time.perf_counter()
            for pid, text in pairs:
                got = [h.passage_id for h in index.like_text(text, k=5).hits]
                same += bool(got and by_id[pid] and got[0] == by_id[pid][0])
                shared += len(set(got) & set(by_id[pid]))
            seconds = (time.perf_counter() - start) / len(pairs)
            print(
                f"  {reading:<26} same first hit {same}/{len(pairs)} ({same / len(pairs):.0%}), "
                f"top 5 shared {shared / len(pairs):.2f} of 5, {seconds * 1000:.0f} ms a text"
            )
        pipeline.embed_context = labelled


if __name__ == "__main__":
    main()
