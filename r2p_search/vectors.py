"""Vector search: the exact scan, or an approximate first pass re-ranked exactly.

Every index keeps its float16 vectors and can scan them all (`exact`). A large one also gets an
approximate index over the same vectors, written beside them at build time:

    ivf    FAISS IVF with 4-bit PQ fast-scan codes: a question scans the codes of the lists
           nearest it, then re-ranks a shortlist exactly from the float16 vectors
    hnsw   FAISS HNSW over float16 vectors: a graph walk, re-ranked the same way

Whichever finds the candidates, a hit's score is its exact cosine, so fusion, the weak-match
judgement and every printed score mean what they mean with `exact`.

How far each looks (IVF's lists probed, HNSW's search breadth) is not guessed: the build
measures recall@10 against the exact scan on a sample of passages used as queries (each
excluding itself) and on questions shipped with the package (`probe-questions.txt`), and keeps
the cheapest setting that reaches `TARGET_RECALL` on both. The manifest records the kind, the
setting and the recall; `status` shows it and `verify` measures it again.

`auto` picks `exact` below `AUTO_MIN_PASSAGES` and `ivf` from there (figures and the choice:
benchmarks/README.md, "Approximate vector search").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

KINDS = ("exact", "ivf", "hnsw", "auto")
AUTO_MIN_PASSAGES = 100_000
"""From this many passages `auto` builds `ivf`; a selection (a filter) smaller than this is
always scanned exactly."""
TARGET_RECALL = 0.99
"""Recall@10 a build calibrates for, on passages and on questions, a margin above the 0.98 that
other questions must reach."""
SHORTLIST = 500
"""Candidates an approximate pass hands to the exact re-ranking: this many, or twice the results
asked for if that is more."""
SAMPLE = 200
"""Passages used as queries when a build measures recall."""
HNSW_NEIGHBOURS = 32
HNSW_CONSTRUCTION = 80
IVF_STEPS = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
HNSW_STEPS = (SHORTLIST, 768, 1024, 1536, 2048, 3072, 4096)
"""HNSW search breadths tried: never narrower than the shortlist it must return."""
FILES = {"ivf": "vectors-ivf.faiss", "hnsw": "vectors-hnsw.faiss"}


@dataclass
class VectorIndex:
    """The manifest's record of how a build searches its vectors."""

    kind: str = "exact"  # exact, ivf or hnsw: what was built
    requested: str = "auto"  # what `index --vectors` asked for
    setting: int | None = None  # IVF lists probed, or HNSW search breadth
    lists: int | None = None  # IVF lists
    recall: dict[str, float] | None = None  # recall@10 against the exact scan: passages, questions

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Any) -> VectorIndex:
        if raw is None:
            return cls()
        recall = raw.get("recall")
        return cls(
            kind=str(raw["kind"]),
            requested=str(raw.get("requested", raw["kind"])),
            setting=None if raw.get("setting") is None else int(raw["setting"]),
            lists=None if raw.get("lists") is None else int(raw["lists"]),
            recall=None if recall is None else {str(k): float(v) for k, v in recall.items()},
        )

    @property
    def file(self) -> str | None:
        return FILES.get(self.kind)


def chosen_kind(requested: str, passages: int) -> str:
    """The kind a build makes for `requested` at this many passages."""
    if requested not in KINDS:
        raise ValueError(f"unknown vector index {requested!r}; choose one of {', '.join(KINDS)}")
    if requested == "auto":
        return "ivf" if passages >= AUTO_MIN_PASSAGES else "exact"
    return requested


def ivf_lists(passages: int) -> int:
    """IVF lists: about the square root of the passages, a power of two, at least one list per
    few hundred passages so that a small index still has lists worth skipping."""
    if passages < 64:
        return 1
    return max(1, min(65536, 2 ** round(math.log2(math.sqrt(passages)))))


def build(kind: str, matrix: np.ndarray) -> Any:
    """The approximate index of `kind` over `matrix` (unit float32 rows, in row order)."""
    import faiss
    import numpy as np

    from .embedding.base import cores

    n, dimension = matrix.shape
    threads = faiss.omp_get_max_threads()
    # HNSW inserts on every core. IVF trains on one: its k-means waits on OpenMP barriers, which
    # on a machine busy with anything else took ten times longer with two threads than with one.
    faiss.omp_set_num_threads(cores() if kind == "hnsw" else 1)
    try:
        if kind == "hnsw":
            index = faiss.IndexHNSWSQ(
                dimension, faiss.ScalarQuantizer.QT_fp16, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT
            )
            index.hnsw.efConstruction = HNSW_CONSTRUCTION
            index.add(matrix)
            return index
        if kind != "ivf":
            raise ValueError(f"no approximate index of kind {kind!r}")
        lists = ivf_lists(n)
        # 4-bit PQ over pairs of dimensions: codes of dimension/4 bytes, scanned with SIMD lookups.
        index = faiss.index_factory(
            dimension, f"IVF{lists},PQ{dimension // 2}x4fs", faiss.METRIC_INNER_PRODUCT
        )
        # A small index trains on fewer points than FAISS asks for, which it would say on stderr
        # for each of its k-means: the codes are still good enough to shortlist for re-ranking.
        index.cp.min_points_per_centroid = 1
        faiss.downcast_index(index).pq.cp.min_points_per_centroid = 1
        # A tiny index has fewer vectors than the 16 centroids of each 4-bit code: train on its
        # vectors repeated.
        sample = matrix if n >= 256 else np.resize(matrix, (256, dimension))
        if n > max(lists * 50, 65536):
            rows = np.random.default_rng(0).choice(n, max(lists * 50, 65536), replace=False)
            sample = matrix[np.sort(rows)]
        index.train(sample)
        index.add(matrix)
        return index
    finally:
        faiss.omp_set_num_threads(threads)


def search(
    approximate: Any,
    record: VectorIndex,
    exact: Any,
    query: np.ndarray,
    n: int,
    setting: int | None = None,
    selector: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The `n` best (rows, exact scores) by the approximate pass then an exact re-ranking."""
    import faiss
    import numpy as np

    setting = setting or record.setting or 1
    short = max(SHORTLIST, 2 * n)
    # One question, one thread. The setting is OpenMP's per thread: a server's worker thread
    # would otherwise spread each IVF probe over every core, against the other questions.
    faiss.omp_set_num_threads(1)
    if record.kind == "hnsw":
        params = faiss.SearchParametersHNSW(efSearch=max(setting, short), sel=selector)
    else:
        params = faiss.SearchParametersIVF(nprobe=setting, sel=selector)
    _, found = approximate.search(np.asarray(query, dtype=np.float32)[None, :], short, params=params)
    rows = found[0][found[0] >= 0]
    if not len(rows):
        return rows, np.zeros(0, dtype=np.float32)
    scores = exact.reconstruct_batch(rows) @ np.asarray(query, dtype=np.float32)
    order = np.lexsort((rows, -scores))[:n]
    return rows[order], scores[order]


def calibrate(
    approximate: Any, kind: str, exact: Any, questions: np.ndarray | None, lists: int | None = None
) -> VectorIndex:
    """The cheapest setting reaching `TARGET_RECALL` on sampled passages and on `questions`, with
    the recall it reaches (the highest step's, if none does)."""
    steps = [s for s in IVF_STEPS if s <= (lists or 1)] if kind == "ivf" else list(HNSW_STEPS)
    if kind == "ivf" and (lists or 1) not in steps:
        steps.append(lists or 1)
    sets = probe_sets(exact, questions)
    record = VectorIndex(kind=kind, lists=lists)
    for step in steps:
        record.setting = step
        record.recall = {
            name: measure(approximate, record, exact, queries, truth)
            for name, (queries, truth) in sets.items()
        }
        if all(value >= TARGET_RECALL for value in record.recall.values()):
            break
    return record


def probe_sets(exact: Any, questions: np.ndarray | None) -> dict[str, tuple[np.ndarray, list[np.ndarray]]]:
    """Queries and their exact top 10: sampled passages (each excluding itself), and questions."""
    import numpy as np

    n = exact.ntotal
    rows = np.sort(np.random.default_rng(0).choice(n, min(SAMPLE, n), replace=False))
    passages = exact.reconstruct_batch(rows)
    sets = {
        "passages": (
            passages,
            [t[t != row][:10] for t, row in zip(_exact_top(exact, passages, 11), rows, strict=True)],
        )
    }
    if questions is not None and len(questions):
        sets["questions"] = (questions, [t[:10] for t in _exact_top(exact, questions, 10)])
    return sets


def _exact_top(exact: Any, queries: np.ndarray, k: int) -> list[np.ndarray]:
    _, found = exact.search(queries, min(k, exact.ntotal))
    return [row[row >= 0] for row in found]


def measure(
    approximate: Any, record: VectorIndex, exact: Any, queries: np.ndarray, truth: list[np.ndarray]
) -> float:
    """Recall@10 of the approximate search against the exact scan, over `queries`."""
    found = 0
    wanted = 0
    for query, expected in zip(queries, truth, strict=True):
        rows, _ = search(approximate, record, exact, query, len(expected) + 1)  # + the passage itself
        found += len(set(rows.tolist()) & set(expected.tolist()))
        wanted += len(expected)
    return round(found / wanted, 4) if wanted else 1.0


def probe_questions() -> list[str]:
    """Questions shipped with the package, to measure recall on questions (not on the question
    sets quality is scored on)."""
    text = resources.files(__package__).joinpath("probe-questions.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
