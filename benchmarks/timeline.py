"""Precision and recall of the timeline's "present", the old rule beside the new, on labelled speeches.

    python benchmarks/timeline.py --index DIR      # an index of the 194 General Debate speeches of 2011
    python benchmarks/timeline.py                  # builds that index first, into --cache
    python benchmarks/timeline.py --errors         # also list each wrong call, with its best passage

tests/eval/timeline-2011.jsonl says, for 16 topics and 30 speeches of 2011, whether each speech
speaks of the topic (labelled by reading the speeches). For each topic every passage of the
index is scored, each rule decides which passages speak to it, and a speech counts as present
when one of its passages does: what `r2p-search timeline` counts. The rules, in one run:

- old: a fixed cosine of 0.5 (timeline.FIXED_THRESHOLD), the rule before calibration;
- new: the default rule (timeline.presence_for): a cosine calibrated per question, the topic's
  phrase, and all its words with a lower calibrated cosine;
- each part of the new rule alone, and the new rule with other calibration depths (Z_MEANING),
  to show how much each part brings and how sensitive the figures are to the one constant.

Figures are given over all labels and over the labels without the borderline presences (those
a careful reader could dispute), as micro-averages over (topic, speech) pairs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from r2p_search import timeline as tl
from r2p_search.indexer import build_index
from r2p_search.search import Index

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LABELS = REPO / "tests" / "eval" / "timeline-2011.jsonl"
CORPUS = REPO.parent / "shared" / "data" / "ungdc" / "2011"


@dataclass(frozen=True)
class Label:
    topic: str
    doc: str
    present: bool
    kind: str  # clear, borderline (a presence one could dispute), near miss (an absence that comes close)
    sample: str  # random (18 speeches drawn at random) or chosen (12 added for rare topics)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, said: bool, truth: bool) -> None:
        if said and truth:
            self.tp += 1
        elif said:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_labels(path: Path) -> list[Label]:
    labels = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        raw = json.loads(line)
        labels.append(Label(raw["topic"], raw["doc"], raw["present"], raw["kind"], raw["sample"]))
    return labels


OLD = "old: cosine >= 0.5"
NEW = "new (default)"


def rules(index: Index, topic: str) -> tuple[dict[str, tl.Presence], np.ndarray]:
    """The rules compared, each as a Presence for `topic`; and the topic's scores by row."""
    plan = index.plan(topic)
    scores = index.scan.scores(index.embed_queries([plan.text])[0])
    new = tl.presence_for(plan, scores, None)
    found = {
        OLD: tl.Presence(tl.FIXED_THRESHOLD, False),
        NEW: new,
        "  calibrated cosine alone": tl.Presence(new.threshold, new.calibrated),
        "  phrase alone": tl.Presence(2.0, False, new.phrase),
        "  words alone (with their cosine)": replace(new, threshold=2.0, phrase=None),
        "  cosine >= 0.5, phrase, words": replace(new, threshold=tl.FIXED_THRESHOLD, calibrated=False),
        "  calibrated cosine not capped at 0.5": replace(new, threshold=tl.calibrate(scores)),
    }
    for z in (3.0, 3.5, 4.5, 5.0):
        found[f"  Z_MEANING {z:g} (default {tl.Z_MEANING:g})"] = tl.presence_for(plan, scores, None, z=z)
    for z in (1.0, 3.0):
        found[f"  Z_WORDS {z:g} (default {tl.Z_WORDS:g})"] = tl.presence_for(plan, scores, None, z_words=z)
    return found, scores


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--index", type=Path, help="an index of the 2011 speeches (default: built into --cache)"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/r2p-bench-timeline"))
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--errors", action="store_true", help="list each wrong call of the old and new rules")
    args = parser.parse_args()

    index_dir = args.index
    if index_dir is None:
        index_dir = args.cache / "index-2011"
        if not (index_dir / "manifest.json").exists():
            print(f"building an index of {args.corpus} into {index_dir}", file=sys.stderr)
            build_index(args.corpus, index_dir)
    labels = load_labels(args.labels)
    by_topic: dict[str, list[Label]] = defaultdict(list)
    for label in labels:
        by_topic[label.topic].append(label)

    subsets = {
        "all": lambda label: True,
        "no borderline": lambda label: label.kind != "borderline",
        "random 18": lambda label: label.sample == "random",
    }
    tallies: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    per_topic: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    errors: list[str] = []
    calibration: list[str] = []
    cost: dict[str, list[float]] = defaultdict(list)
    with Index.open(index_dir) as index:
        rows = index.store.db.execute("SELECT row, doc_id FROM passages ORDER BY row").fetchall()
        doc_of = np.array([doc_id.rsplit("/", 1)[-1] for _, doc_id in rows])
        documents = len(set(doc_of))
        missing = {label.doc for label in labels} - set(doc_of)
        if missing:
            sys.exit(f"{index_dir} lacks labelled speeches: {', '.join(sorted(missing))}")
        tl.timeline(index, "warm up")  # the model, the vectors and the row table, loaded once
        for topic, topic_labels in by_topic.items():
            found, scores = rules(index, topic)
            new = found[NEW]
            calibration.append(
                f"  {topic[:44]:<44} cosine >= {new.threshold:.3f}"
                + (f"; all of {', '.join(new.words)} at {new.words_threshold:.3f}" if new.words else "")
            )
            for name, presence in found.items():
                start = time.perf_counter()
                mask = tl.present(index, presence, scores)
                cost[name].append(time.perf_counter() - start)
                said = set(doc_of[mask])
                for label in topic_labels:
                    is_said = label.doc in said
                    per_topic[name][topic].add(is_said, label.present)
                    for subset, keep in subsets.items():
                        if keep(label):
                            tallies[name][subset].add(is_said, label.present)
                    if args.errors and name in (OLD, NEW) and is_said != label.present:
                        best = float(scores[doc_of == label.doc].max())
                        errors.append(
                            f"{name[:3]} {'FP' if is_said else 'FN'} {topic} | {label.doc} ({label.kind}) "
                            f"best cosine {best:.3f}"
                        )

    present = sum(x.present for x in labels)
    print(
        f"{len(labels)} labels ({present} present), {len(by_topic)} topics, {len({x.doc for x in labels})} "
        f"speeches; index of {documents} documents, {len(doc_of):,} passages"
    )
    print("\nprecision / recall / F1 of 'present' per (topic, speech), micro-averaged:")
    print(f"{'rule':<40}" + "".join(f"{subset:>21}" for subset in subsets))
    for name, by_subset in tallies.items():
        cells = "".join(
            f"{t.precision:>9.3f} {t.recall:5.3f} {t.f1:5.3f}" for t in (by_subset[s] for s in subsets)
        )
        print(f"{name:<40}{cells}")
    print("\nper topic: true positives, false positives, false negatives, old -> new")
    for topic in by_topic:
        old, new = per_topic[OLD][topic], per_topic[NEW][topic]
        count = sum(x.present for x in by_topic[topic])
        print(
            f"  {topic[:44]:<44} {count:>2} present   "
            f"{old.tp:>2} {old.fp:>2} {old.fn:>2}  ->  {new.tp:>2} {new.fp:>2} {new.fn:>2}"
        )
    print("\nthe new rule per topic (the cosine cut; the words, all in one passage, and their cut):")
    print("\n".join(calibration))
    for name in (OLD, NEW):
        median = sorted(cost[name])[len(cost[name]) // 2]
        print(f"deciding which passages count, {name}: median {1000 * median:.1f} ms per topic")
    if errors:
        print("\nwrong calls:")
        print("\n".join(errors))


if __name__ == "__main__":
    main()
