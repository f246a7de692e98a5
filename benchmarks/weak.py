"""When is a search's best match weak? Real questions against off-topic ones, by best cosine.

    python benchmarks/weak.py --index DIR                  # e.g. an index of the 2011 debates
    python benchmarks/weak.py --index DIR --threshold 0.3  # and how many each side it flags

A search is marked weak (`"weak": true`, a note on stderr) when the closest passage in scope is
below `retrieval.WEAK_COSINE` for the index's model and no passage holds every word of the
question (`Retriever.weak`). This prints, for the questions of the development sets
(tests/eval/, real questions whose answer is in the index) and for questions on things a
General Debate never speaks of, the best cosine each reaches over the candidates a search ranks
(the same plan, scope and favoured countries as a search), so the threshold can sit in the gap
between the two; then how many of each a hybrid search marks weak, at the threshold given.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from r2p_search import retrieval
from r2p_search.evaluate import load_queries
from r2p_search.request import SearchRequest
from r2p_search.search import Index

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SETS = ("seed.jsonl", "ungdc-2011.jsonl", "ungdc-multiyear.jsonl")

OFF_TOPIC = [
    # Everyday questions nobody asks of UN speeches.
    "banana bread recipe with walnuts",
    "how do I reset my wifi router password",
    "knitting a wool scarf for beginners",
    "best pizza toppings for a party",
    "guitar chords for a slow love song",
    "python list comprehension syntax",
    "why does my cat sneeze after eating",
    "how to tie a bowline knot",
    "replacing the chain on a bicycle",
    "sourdough starter feeding schedule",
    "yoga poses for lower back pain",
    "my smartphone battery drains too fast",
    "how to paint a bedroom wall without streaks",
    "engine oil change interval for a diesel car",
    "lipstick shades for autumn",
    "cleaning a hamster cage",
    "chess openings for beginners",
    "karaoke songs everyone knows",
    "redstone circuits in Minecraft",
    "the wizard lost his enchanted sword in the dragon's cave",
    # Short ones: a word or two.
    "banana",
    "pizza",
    "knitting patterns",
    "skateboard tricks",
    # Not words at all.
    "xyzzy plorfin gambrel",
    "asdf jkl qwerty",
    "lorem ipsum dolor sit amet",
    "zzzz",
]


def best_cosine(index: Index, query: str) -> float | None:
    """The highest cosine among the candidates a hybrid search of `query` ranks."""
    plan = index.plan(query)
    if plan.listing:
        return None
    vector = index.embed_queries([plan.text])[0]
    ranked = index.retriever.candidates(
        plan.text, vector, index.retriever.pool_size(10), "hybrid", scope=plan.scope, favoured=plan.favoured()
    )
    cosines = [c.dense_score for c in ranked if c.dense_score is not None]
    return max(cosines) if cosines else None


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    tenth = ordered[len(ordered) // 10]
    return (
        f"{name:<10} n={len(values):>3}  min {ordered[0]:.3f}  p10 {tenth:.3f}  "
        f"median {statistics.median(ordered):.3f}  max {ordered[-1]:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--threshold", type=float, default=None, help="[default: the model's WEAK_COSINE]")
    parser.add_argument("--json", action="store_true", help="every question's best cosine, as JSON")
    args = parser.parse_args()

    with Index.open(args.index) as index:
        model = index.store.manifest.model.name
        span = index.store.year_span()
        real: dict[str, float] = {}
        for name in SETS:
            for q in load_queries(REPO / "tests" / "eval" / name):
                # Only questions whose answer is in this index.
                if not any(index.store.has_document(r.doc) for r in q.relevant):
                    continue
                cosine = best_cosine(index, q.query)
                if cosine is not None:
                    real[q.query] = cosine
        off = {q: c for q in OFF_TOPIC if (c := best_cosine(index, q)) is not None}
        threshold = args.threshold if args.threshold is not None else retrieval.WEAK_COSINE.get(model)
        flagged: dict[str, int] = {}
        if threshold is not None:
            retrieval.WEAK_COSINE[model] = threshold
            for name, queries in (("real", real), ("off", off)):
                results = index.answer([SearchRequest(query=q) for q in queries])
                flagged[name] = sum(result.weak for result in results)
    if args.json:
        print(json.dumps({"model": model, "real": real, "off_topic": off}, indent=1))
        return
    print(f"model {model}, index {args.index} ({span[0]}-{span[1]})")
    print(summary("real", list(real.values())))
    print(summary("off-topic", list(off.values())))
    print("\nlowest real questions:")
    for query, cosine in sorted(real.items(), key=lambda item: item[1])[:5]:
        print(f"  {cosine:.3f}  {query[:90]}")
    print("highest off-topic questions:")
    for query, cosine in sorted(off.items(), key=lambda item: -item[1])[:5]:
        print(f"  {cosine:.3f}  {query[:90]}")
    if threshold is not None:
        below = (sum(c < threshold for c in real.values()), sum(c < threshold for c in off.values()))
        print(f"\nbelow cosine {threshold:g}: {below[0]} of {len(real)} real questions, ", end="")
        print(f"{below[1]} of {len(off)} off-topic")
        print(
            f"marked weak (below it, and no passage holds all their words): {flagged['real']} of "
            f"{len(real)} real questions, {flagged['off']} of {len(off)} off-topic"
        )


if __name__ == "__main__":
    main()
