"""Approximate vector search at scale: exact, IVF, IVF-PQ and HNSW on the real index, then simulated.

    python benchmarks/scale.py --index /tmp/r2p/all/index                 # real, then 1M, 5M, 20M
    python benchmarks/scale.py --index DIR --sizes 100000,300000 --queries 200 --work /tmp/scale-small
    python benchmarks/scale.py --index DIR --methods-at 20000000=ivf-pq --resume  # go on after a stop

First the real index: its vectors less `--queries` passages held out as questions. Then
synthetic collections drawn from the real vectors' distribution: k-means (`--clusters`) on the
real vectors; each synthetic vector is a cluster's centroid (a cluster drawn in proportion to its
size) plus a mix of three of its members' residuals, w1*r1 + w2*r2 + w3*r3 with (w1, w2, w3) a
random point of the unit sphere's positive part, plus a little noise (5% of the residuals'
spread), made unit length. The synthetic rows are one seeded stream written as float16 to a
file in `--work`, so each size is a prefix of the next, and a size already written or scanned
(and the coarse centroids and assignment of a size) is reused by the next run. Before the sizes, a small table
compares the real vectors with a synthetic sample of the same size (and with a cruder
generator, Gaussian noise of each cluster's per-dimension spread).

Two sets of questions, reported apart: held-out real passages, and the development questions
of tests/eval/ embedded as the index embeds a question. Ground truth at each size is an exact
float32 scan in chunks keeping each question's top 200 (the vectors are float16 values, so the
product's float16 exhaustive scan finds the same neighbours: its recall is 1 by construction).

Per size and method: build time (training, assignment to lists, encoding), memory (the index's
own bytes, computed from its parts, and the growth of the process's anonymous memory), p50/p95
latency per question on one thread with the re-rank included, recall@10 and recall@200:

- exact: IndexScalarQuantizer float16, exhaustive scan (the product today).
- ivf: IndexIVFScalarQuantizer 8-bit, nlist the power of two nearest 2*sqrt(n), trained on
  max(40*nlist, 50k) vectors; nprobe the smallest of --nprobes with recall@10 >= --target on
  both question sets, then of --nprobes-beyond while it is not reached; the k results re-ranked
  from the float16 vectors (the product's plan), and a longer shortlist beside
  (--ivf-shortlists). From --hnsw-quantizer-from vectors the coarse quantizer is an HNSW32
  graph over the centroids (as FAISS's "IVFn_HNSW32,SQ8" factory strings), assigning 20M
  vectors on a flat quantizer being too slow; it searches with efSearch = nprobe.
- ivf-pq: the same lists with PQ codes (--pq bytes), a shortlist of --shortlists re-ranked
  from the float16 vectors on disk; the fastest setting reaching the target is kept.
- hnsw: IndexHNSWFlat M=32, efConstruction 80, efSearch max(2k, 128) and --ef-search; built
  up to --hnsw-max vectors, extrapolated beyond.

The ivf and ivf-pq indexes of one size share their coarse quantizer and assignment (computed
once, both counted in each one's build time). Where the float16 vectors and the index do not
fit in --ram-share of the machine's memory, the re-rank reads them from the file on disk, and
the latency is also measured with the file's pages evicted before each question (cold).
Progress goes to --work/scale.log; results to --results (JSON), rewritten after each step.
Run it niced: it waits while /tmp/r2p/quiet exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import mmap
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUIET = Path("/tmp/r2p/quiet")
DEV_SETS = ("seed.jsonl", "ungdc-2011.jsonl", "ungdc-multiyear.jsonl")
CHUNK = 250_000
GT_K = 200
SETS = ("passages", "questions")
JITTER = 0.05  # of the residuals' spread, added to each synthetic vector
BLOCK = 8192

_log_file: Any = None


def log(message: str) -> None:
    line = f"[{time.strftime('%H:%M:%S')}] {message}"
    print(line, flush=True)
    if _log_file is not None:
        _log_file.write(line + "\n")
        _log_file.flush()


def wait_quiet() -> None:
    """Another engineer times benchmarks while the flag exists: start nothing heavy then."""
    announced = False
    while QUIET.exists():
        if not announced:
            log("waiting while /tmp/r2p/quiet exists")
            announced = True
        time.sleep(20)


def rss_anon() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    return 0


def mem_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def evict(path: Path) -> None:
    """Drop the file's pages from the page cache (only pages no mapping holds)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def mb(nbytes: float) -> float:
    return nbytes / 1e6


# ---------------------------------------------------------------------------------------------
# collections


class Collection:
    """n unit vectors, read in float32 chunks or by row; float16 values in both kinds."""

    label: str
    n: int
    path: Path | None = None  # the float16 file, for a collection on disk

    def chunks(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        raise NotImplementedError

    def rows(self, ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sample(self, size: int, seed: int) -> np.ndarray:
        raise NotImplementedError

    def release(self) -> None:
        """Drop open mappings, so that evict() can drop the pages."""


class InMemory(Collection):
    def __init__(self, label: str, vectors: np.ndarray) -> None:
        self.label, self.vectors, self.n = label, vectors, len(vectors)

    def chunks(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        stop = self.n if stop is None else stop
        for off in range(start, stop, CHUNK):
            yield off, self.vectors[off : min(off + CHUNK, stop)]

    def rows(self, ids: np.ndarray) -> np.ndarray:
        return self.vectors[ids]

    def sample(self, size: int, seed: int) -> np.ndarray:
        if size >= self.n:
            return self.vectors
        rng = np.random.default_rng([seed, 7])
        return self.vectors[np.sort(rng.choice(self.n, size, replace=False))]


class OnDisk(Collection):
    """A prefix of the synthetic float16 file."""

    def __init__(self, label: str, path: Path, n: int, d: int) -> None:
        self.label, self.path, self.n, self.d = label, path, n, d
        self._mm: np.memmap | None = None
        self._random: tuple[mmap.mmap, np.ndarray] | None = None

    @property
    def mm(self) -> np.ndarray:
        if self._mm is None:
            self._mm = np.memmap(self.path, dtype=np.float16, mode="r")
        return self._mm.reshape(-1, self.d)

    def release(self) -> None:
        self._mm = None
        if self._random is not None:
            mapping = self._random[0]
            self._random = None  # the array over the mapping goes first, or close() refuses
            mapping.close()

    def chunks(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        stop = self.n if stop is None else stop
        for off in range(start, stop, CHUNK):
            yield off, np.asarray(self.mm[off : min(off + CHUNK, stop)], dtype=np.float32)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        # A mapping of its own that reads only the pages asked for: the kernel's read-around
        # for mapped files (128 KB a fault) would read about 170 rows for each row wanted.
        if self._random is None:
            with open(self.path, "rb") as f:
                mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            mapping.madvise(mmap.MADV_RANDOM)
            self._random = (mapping, np.frombuffer(mapping, dtype=np.float16).reshape(-1, self.d))
        return self._random[1][np.sort(ids)].astype(np.float32)

    def sample(self, size: int, seed: int) -> np.ndarray:
        # Synthetic rows are independent draws: any contiguous block is a random sample, and
        # it reads sequentially rather than by random pages.
        size = min(size, self.n)
        start = int(np.random.default_rng([seed, 7]).integers(0, self.n - size + 1))
        return np.asarray(self.mm[start : start + size], dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# the synthetic generator


class Generator:
    """Synthetic vectors like the real ones: a cluster's centroid plus a mix of its residuals."""

    def __init__(self, base: np.ndarray, clusters: int, seed: int, cache: Path, kind: str = "mix3") -> None:
        self.seed, self.kind, self.d = seed, kind, base.shape[1]
        key = hashlib.sha256(base[:: max(1, len(base) // 1000)].tobytes()).hexdigest()[:12]
        self.key = f"{key}-c{clusters}-s{seed}"
        path = cache / f"generator-{self.key}.npz"
        if path.exists():
            saved = np.load(path)
            centroids, assign = saved["centroids"], saved["assign"]
        else:
            wait_quiet()
            started = time.perf_counter()
            km = faiss.Kmeans(self.d, clusters, niter=10, seed=seed, max_points_per_centroid=10_000)
            km.train(base)
            centroids = km.centroids.copy()
            assign = km.index.search(base, 1)[1].ravel()
            np.savez(path, centroids=centroids, assign=assign)
            log(
                f"generator: k-means, {clusters} clusters on {len(base):,} vectors, "
                f"{time.perf_counter() - started:.0f} s"
            )
        self.centroids = centroids.astype(np.float32)
        self.assign = assign.astype(np.int64)
        self.residuals = (base - self.centroids[self.assign]).astype(np.float32)
        self.counts = np.bincount(self.assign, minlength=clusters)
        self.order = np.argsort(self.assign, kind="stable")
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        # Per-cluster spread, for the cruder Gaussian generator shown beside in the comparison.
        sq = np.zeros_like(self.centroids)
        np.add.at(sq, self.assign, self.residuals**2)
        self.spread = np.sqrt(sq / np.maximum(self.counts, 1)[:, None]).astype(np.float32)
        jitter = JITTER * np.sqrt((self.residuals**2).mean(axis=0))
        noise = np.random.default_rng([seed, 9]).standard_normal((1 << 16, self.d), dtype=np.float32)
        self.noise = (noise * jitter).astype(np.float32)  # rows drawn at random: cheaper than new noise

    def draw(self, chunk: int, size: int) -> np.ndarray:
        """Chunk `chunk` of the stream: the same rows whatever else is drawn."""
        rng = np.random.default_rng([self.seed, 1 if self.kind == "mix3" else 2, chunk])
        out = np.empty((size, self.d), dtype=np.float16)
        for start in range(0, size, BLOCK):  # blocks that stay in cache: the work is memory-bound
            m = min(BLOCK, size - start)
            first = rng.integers(0, len(self.assign), m)  # a cluster, in proportion to its size
            cluster = self.assign[first]
            v = self.centroids[cluster]
            if self.kind == "mix3":
                # Three members' residuals, weights a random point of the sphere's positive part:
                # the spread of one residual, and too many combinations to repeat at 20M.
                weights = np.abs(rng.standard_normal((m, 3), dtype=np.float32))
                weights /= np.sqrt(np.einsum("ij,ij->i", weights, weights))[:, None]
                v += weights[:, :1] * self.residuals[first]
                for j in (1, 2):
                    pick = (rng.random(m) * self.counts[cluster]).astype(np.int64)
                    v += weights[:, j : j + 1] * self.residuals[self.order[self.starts[cluster] + pick]]
                # A little noise, so that a cluster of one member does not give copies.
                v += self.noise[rng.integers(0, len(self.noise), m)]
            else:
                v += rng.standard_normal((m, self.d), dtype=np.float32) * self.spread[cluster]
            v /= np.sqrt(np.einsum("ij,ij->i", v, v))[:, None]
            out[start : start + m] = v
        return out


def synthetic_file(gen: Generator, work: Path, n: int, capacity: int) -> Path:
    """The stream's first n rows in a float16 file of `capacity` rows, extended as needed."""
    path = work / f"synthetic-{gen.key}-{gen.kind}.f16"
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and path.exists() else {"rows": 0}
    have_capacity = path.stat().st_size // (2 * gen.d) if path.exists() else 0
    if have_capacity < capacity:
        need = (capacity - have_capacity) * 2 * gen.d
        free = shutil.disk_usage(work).free
        if need > free - 2e9:
            raise SystemExit(
                f"not enough disk in {work}: {capacity:,} float16 vectors need {need / 1e9:.1f} GB more, "
                f"{free / 1e9:.1f} GB free"
            )
        with open(path, "ab") as f:
            f.truncate(capacity * 2 * gen.d)
    if meta["rows"] >= n:
        return path
    wait_quiet()
    started = time.perf_counter()
    mm = np.memmap(path, dtype=np.float16, mode="r+", shape=(capacity, gen.d))
    start = meta["rows"]
    assert start % CHUNK == 0 or start == 0
    for off in range(start, n, CHUNK):
        size = min(CHUNK, capacity - off)
        mm[off : off + size] = gen.draw(off // CHUNK, size)
        meta["rows"] = off + size
        if (off // CHUNK) % 8 == 7:
            mm.flush()
            meta_path.write_text(json.dumps(meta))
            log(f"synthetic: {off + size:,} rows written")
    mm.flush()
    del mm
    meta_path.write_text(json.dumps(meta))
    log(
        f"synthetic: rows {start:,}..{meta['rows']:,} drawn and written "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return path


# ---------------------------------------------------------------------------------------------
# ground truth


def merge_top(
    d1: np.ndarray, i1: np.ndarray, d2: np.ndarray, i2: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    d = np.hstack([d1, d2])
    i = np.hstack([i1, i2])
    order = np.argsort(-d, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d, order, 1), np.take_along_axis(i, order, 1)


def exact_topk(
    coll: Collection,
    queries: np.ndarray,
    k: int,
    stop: int | None = None,
    start: int = 0,
    state: tuple[np.ndarray, np.ndarray] | None = None,
    checkpoint: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    nq = len(queries)
    if state is None:
        state = (np.full((nq, k), -np.inf, dtype=np.float32), np.full((nq, k), -1, dtype=np.int64))
    d_top, i_top = state
    for off, x in coll.chunks(start, stop):
        d, i = faiss.knn(queries, x, min(k, len(x)), metric=faiss.METRIC_INNER_PRODUCT)
        d_top, i_top = merge_top(d_top, i_top, d, i + off, k)
        if checkpoint is not None:
            checkpoint(off + len(x), d_top, i_top)
    return d_top, i_top


def ground_truth(coll: Collection, queries: np.ndarray, work: Path, key: str) -> np.ndarray:
    """Top-200 row ids of each question: an exact float32 scan in chunks, resumed from any
    smaller prefix already scanned (files in `work`)."""
    if isinstance(coll, InMemory):
        return exact_topk(coll, queries, GT_K)[1]
    done: dict[int, Path] = {}
    for p in work.glob(f"gt-{key}-*.npz"):
        done[int(p.stem.rsplit("-", 1)[1])] = p
    if coll.n in done:
        return np.load(done[coll.n])["ids"]
    below = [m for m in done if m < coll.n]
    start, state = 0, None
    if below:
        start = max(below)
        saved = np.load(done[start])
        state = (saved["scores"], saved["ids"])
    wait_quiet()
    started = time.perf_counter()
    last = [time.perf_counter()]

    def checkpoint(rows: int, d: np.ndarray, i: np.ndarray) -> None:
        if time.perf_counter() - last[0] > 120 or rows == coll.n:
            np.savez(work / f"gt-{key}-{rows}.npz", scores=d, ids=i)
            log(f"ground truth: {rows:,} of {coll.n:,} rows scanned")
            last[0] = time.perf_counter()

    ids = exact_topk(coll, queries, GT_K, start=start, state=state, checkpoint=checkpoint)[1]
    log(f"ground truth for {coll.n:,}: rows {start:,}.. scanned in {time.perf_counter() - started:.0f} s")
    return ids


# ---------------------------------------------------------------------------------------------
# measuring


@dataclass
class Queries:
    vectors: np.ndarray  # passages first, then questions
    sets: dict[str, slice]

    def of(self, name: str) -> range:
        s = self.sets[name]
        return range(s.start, s.stop)


def recall(found: list[np.ndarray], truth: np.ndarray, rows: range | list[int], k: int) -> float:
    hits = [len(set(found[j][:k].tolist()) & set(truth[q, :k].tolist())) / k for j, q in enumerate(rows)]
    return float(np.mean(hits)) if hits else float("nan")


def brief(row: dict[str, Any]) -> str:
    return (
        f"p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f} ms, recall@10 passages "
        f"{row['recall@10_passages']:.4f}, questions {row['recall@10_questions']:.4f}"
    )


def percentiles(times: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """Wall-clock p50/p95 and, when given, the thread's CPU time: the machine is shared, and a
    niced process waits for the others; CPU time leaves the waiting out (and reads from disk)."""
    a = np.asarray(times) * 1000
    out = {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95))}
    if cpu is not None:
        c = np.asarray(cpu) * 1000
        out |= {"cpu_p50_ms": float(np.percentile(c, 50)), "cpu_p95_ms": float(np.percentile(c, 95))}
    return out


def run_queries(
    search: Callable[[np.ndarray], np.ndarray], queries: np.ndarray, rows: list[int]
) -> tuple[list[np.ndarray], list[float], list[float]]:
    """Each question alone on one thread (FAISS runs it in the calling thread), timed with
    whatever re-rank `search` does."""
    faiss.omp_set_num_threads(1)
    search(queries[rows[0]])  # warm
    found, times, cpu = [], [], []
    for q in rows:
        started, started_cpu = time.perf_counter(), time.thread_time()
        ids = search(queries[q])
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
        found.append(ids)
    faiss.omp_set_num_threads(2)
    return found, times, cpu


def measured(
    search: Callable[[np.ndarray], np.ndarray], qs: Queries, truth: np.ndarray, rows: list[int], k: int
) -> dict[str, Any]:
    """Latency and recall of `search` over `rows`, taken again if the quiet flag came up meanwhile."""
    for _attempt in range(3):
        wait_quiet()
        found, times, cpu = run_queries(search, qs.vectors, rows)
        if not QUIET.exists():
            break
        log("the quiet flag came up during a measurement: taken again")
    out: dict[str, Any] = percentiles(times, cpu)
    for name in SETS:
        members = [j for j, q in enumerate(rows) if q in qs.of(name)]
        out[f"recall@{k}_{name}"] = recall([found[j] for j in members], truth, [rows[j] for j in members], k)
    out["questions_timed"] = len(rows)
    return out


class Reranker:
    """The shortlist scored exactly from the float16 vectors, the best k kept."""

    def __init__(self, coll: Collection) -> None:
        self.coll = coll

    def __call__(self, q: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
        ids = ids[ids >= 0]
        if len(ids) == 0:
            return ids
        ids = np.sort(ids)
        v = np.ascontiguousarray(self.coll.rows(ids))
        scores = np.empty(len(ids), dtype=np.float32)
        faiss.fvec_inner_products_ny(
            faiss.swig_ptr(scores), faiss.swig_ptr(q), faiss.swig_ptr(v), v.shape[1], len(ids)
        )
        top = np.argsort(-scores, kind="stable")[:k]
        return ids[top]


def cold(
    search: Callable[[np.ndarray], np.ndarray], coll: Collection, qs: Queries, rows: list[int]
) -> dict[str, float]:
    """Latency with the float16 file's pages evicted before each question: the re-rank from disk."""
    times = []
    wait_quiet()
    faiss.omp_set_num_threads(1)
    for q in rows:
        coll.release()
        evict(coll.path)
        started = time.perf_counter()
        search(qs.vectors[q])
        times.append(time.perf_counter() - started)
    coll.release()
    faiss.omp_set_num_threads(2)
    return {f"cold_{key}": v for key, v in percentiles(times).items()} | {"cold_questions_timed": len(rows)}


# ---------------------------------------------------------------------------------------------
# methods


@dataclass
class Context:
    args: argparse.Namespace
    coll: Collection
    qs: Queries
    truth: np.ndarray
    all_rows: list[int]
    fp16_in_ram: bool
    cache_key: str | None
    record: dict[str, Any]
    save: Callable[[], None]
    coarse_cache: dict[str, Any] = field(default_factory=dict)


def lat_rows(ctx: Context, per_set: int) -> list[int]:
    rows: list[int] = []
    for name in SETS:
        rows += list(ctx.qs.of(name))[:per_set]
    return rows


def method_exact(ctx: Context) -> dict[str, Any]:
    d = ctx.qs.vectors.shape[1]
    before = rss_anon()
    started = time.perf_counter()
    index = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    for _, x in ctx.coll.chunks():
        index.add(x)
    build = time.perf_counter() - started
    grown = rss_anon() - before
    rows = ctx.all_rows if ctx.coll.n <= 300_000 else lat_rows(ctx, ctx.args.exact_queries // 2)
    out = {
        "build_s": build,
        "index_bytes": index.sa_code_size() * index.ntotal,
        "rss_growth_bytes": grown,
        "setting": "float16, exhaustive",
    }
    out |= measured(lambda q: index.search(q[None], 10)[1][0], ctx.qs, ctx.truth, rows, 10)
    k200 = measured(lambda q: index.search(q[None], 200)[1][0], ctx.qs, ctx.truth, rows, 200)
    out["k200"] = k200
    return out


def nlist_for(n: int) -> int:
    target = 2 * math.sqrt(n)
    low = 2 ** math.floor(math.log2(target))
    return low if target - low <= 2 * low - target else 2 * low


def coarse(ctx: Context) -> dict[str, Any]:
    """Coarse centroids and every vector's list: shared by ivf and ivf-pq, timed once."""
    if ctx.coarse_cache:
        return ctx.coarse_cache
    args, coll = ctx.args, ctx.coll
    d = ctx.qs.vectors.shape[1]
    n = coll.n
    nlist = nlist_for(n)
    sample_size = min(n, max(nlist * 40, 50_000))
    wait_quiet()
    started = time.perf_counter()
    sample = coll.sample(sample_size, args.seed)
    read_s = time.perf_counter() - started
    hnsw_quantizer = n >= args.hnsw_quantizer_from
    if hnsw_quantizer:
        quantizer: Any = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
    else:
        quantizer = faiss.IndexFlatIP(d)
    # Kept on disk for a run that is resumed: the times are those of the run that made them.
    saved = args.work / f"coarse-{ctx.cache_key}-{n}.npz" if ctx.cache_key else None
    if saved is not None and saved.exists():
        held = np.load(saved)
        centroids, assign = held["centroids"], held["assign"]
        train_s, assign_s = float(held["train_s"]), float(held["assign_s"])
        quantizer.add(centroids)
        log(f"coarse: centroids and assignment of {n:,} vectors from {saved.name}")
    else:
        started = time.perf_counter()
        clus = faiss.Clustering(d, nlist)
        clus.niter = 10  # IndexIVF's own default
        clus.spherical = True  # as IndexIVF sets for inner product
        clus.seed = args.seed
        clus.max_points_per_centroid = 10_000
        clus.train(sample, faiss.IndexFlatIP(d))
        centroids = faiss.vector_to_array(clus.centroids).reshape(nlist, d)
        train_s = time.perf_counter() - started
        started = time.perf_counter()
        quantizer.add(centroids)
        assign = np.empty(n, dtype=np.int64)
        for off, x in coll.chunks():
            assign[off : off + len(x)] = quantizer.search(x, 1)[1].ravel()
            if hnsw_quantizer and (off // CHUNK) % 8 == 7:
                log(f"assigned {off + len(x):,} vectors to lists")
        assign_s = time.perf_counter() - started
        if saved is not None:
            np.savez(saved, centroids=centroids, assign=assign, train_s=train_s, assign_s=assign_s)
    ctx.coarse_cache.update(
        nlist=nlist,
        sample=sample,
        sample_size=sample_size,
        quantizer=quantizer,
        assign=assign,
        train_s=train_s,
        assign_s=assign_s,
        read_s=read_s,
        quantizer_kind="HNSW32 over the centroids, efSearch = nprobe" if hnsw_quantizer else "flat",
        quantizer_bytes=nlist * d * 4 + (quantizer.hnsw.neighbors.size() * 4 if hnsw_quantizer else 0),
    )
    sizes = np.bincount(assign, minlength=nlist)
    log(
        f"coarse: nlist {nlist}, trained on {sample_size:,} in {train_s:.0f} s, {n:,} assigned "
        f"({ctx.coarse_cache['quantizer_kind']}) in {assign_s:.0f} s; "
        f"list sizes min {sizes.min()}, median {int(np.median(sizes))}, max {sizes.max()}"
    )
    return ctx.coarse_cache


def ivf_params(nprobe: int, quantizer: Any) -> Any:
    """An HNSW quantizer finds about efSearch lists at most (FAISS's default 16, some 340 found
    for any nprobe above): it must look at least as wide as the lists to be probed."""
    if isinstance(quantizer, faiss.IndexHNSW):
        wide = faiss.SearchParametersHNSW(efSearch=max(nprobe, 16))
        params = faiss.SearchParametersIVF(nprobe=nprobe, quantizer_params=wide)
        params.referenced_objects = [wide]  # the SWIG object does not own it
        return params
    return faiss.SearchParametersIVF(nprobe=nprobe)


def add_assigned(index: Any, ctx: Context, assign: np.ndarray) -> None:
    for off, x in ctx.coll.chunks():
        a = np.ascontiguousarray(assign[off : off + len(x)])
        index.add_core(len(x), faiss.swig_ptr(x), None, faiss.swig_ptr(a))


def sweep_nprobe(
    ctx: Context,
    index: Any,
    search_for: Callable[[int, int], Callable[[np.ndarray], np.ndarray]],
    label: str,
    shortlists: list[int],
    settles: Callable[[dict[str, Any]], bool],
) -> list[dict[str, Any]]:
    """nprobe upward, at each the shortlists in turn until one reaches the target recall@10 on
    both question sets or a longer one finds no more; stops when `settles` says so. Past the
    planned nprobes (--nprobes) the sweep goes on with --nprobes-beyond, up to half the lists."""
    target = ctx.args.target
    sweep: list[dict[str, Any]] = []
    for nprobe in ctx.args.nprobes + ctx.args.nprobes_beyond:
        beyond = nprobe not in ctx.args.nprobes
        if nprobe > index.nlist or (beyond and nprobe > index.nlist // 2):
            break
        previous = None
        for shortlist in shortlists:
            row = {"nprobe": nprobe, "shortlist": shortlist, "beyond_planned": beyond}
            # Past the planned nprobes a question costs a large share of a scan: there the
            # development questions, which need these nprobes, and 100 passages are timed.
            rows = lat_rows(ctx, 100) + list(ctx.qs.of("questions"))[100:] if beyond else ctx.all_rows
            row |= measured(search_for(nprobe, shortlist), ctx.qs, ctx.truth, rows, 10)
            row["target"] = all(row[f"recall@10_{s}"] >= target for s in SETS)
            sweep.append(row)
            log(
                f"  {label} nprobe {nprobe:4d} shortlist {shortlist:6d}: {brief(row)}"
                + ("  <- target" if row["target"] else "")
            )
            if row["target"]:
                break  # a longer shortlist at this nprobe only costs more
            if previous is not None and all(
                row[f"recall@10_{s}"] - previous[f"recall@10_{s}"] < 0.001 for s in SETS
            ):
                break  # the lists probed, not the shortlist, limit what is found
            previous = row
        if settles(sweep[-1]):
            break
    return sweep


def reached(sweep: list[dict[str, Any]], target: float, shortlist: int | None = None) -> dict[str, Any]:
    """The smallest nprobe at which each question set reaches the target."""
    out: dict[str, Any] = {}
    for s in SETS:
        rows = [r for r in sweep if shortlist is None or r["shortlist"] == shortlist]
        hit = [r["nprobe"] for r in rows if r[f"recall@10_{s}"] >= target]
        out[f"nprobe_for_{s}"] = min(hit) if hit else None
    return out


LATENCY = ("p50_ms", "p95_ms", "cpu_p50_ms", "cpu_p95_ms")
SUMMARY = ("nprobe", "shortlist", *LATENCY, "recall@10_passages", "recall@10_questions")


def setting_of(row: dict[str, Any], target: bool) -> str:
    text = f"nprobe {row['nprobe']}, shortlist {row['shortlist']}"
    if row.get("beyond_planned"):
        text += " (beyond the planned nprobes)"
    return text if target else text + ": target not reached (largest nprobe tried)"


def method_ivf(ctx: Context) -> dict[str, Any]:
    c = coarse(ctx)
    d = ctx.qs.vectors.shape[1]
    before = rss_anon()
    started = time.perf_counter()
    index = faiss.IndexIVFScalarQuantizer(
        c["quantizer"], d, c["nlist"], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.train(c["sample"])  # the quantizer is trained: only the 8-bit ranges
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    add_assigned(index, ctx, c["assign"])
    add_s = time.perf_counter() - started
    grown = rss_anon() - before
    rerank = Reranker(ctx.coll)

    def search_for(nprobe: int, shortlist: int, k: int = 10) -> Callable[[np.ndarray], np.ndarray]:
        params = ivf_params(nprobe, c["quantizer"])
        return lambda q: rerank(q, index.search(q[None], shortlist, params=params)[1][0], k)

    index_bytes = index.ntotal * (index.code_size + 8) + c["quantizer_bytes"]
    fp16 = ctx.coll.n * d * 2
    out: dict[str, Any] = {
        "nlist": c["nlist"],
        "train_sample": c["sample_size"],
        "quantizer": c["quantizer_kind"],
        "build_s": c["train_s"] + c["assign_s"] + train_s + add_s,
        "build_parts_s": {
            "coarse_kmeans": c["train_s"],
            "assign": c["assign_s"],
            "sq_train": train_s,
            "encode_add": add_s,
        },
        "index_bytes": index_bytes,
        "rss_growth_bytes": grown,
        "rerank_from": "float16 in RAM" if ctx.fp16_in_ram else "float16 file on disk",
        "ram_bytes": index_bytes + (fp16 if ctx.fp16_in_ram else 0),
    }
    product = ctx.args.ivf_shortlists[0]  # the k results, as the product re-ranks them
    sweep = sweep_nprobe(
        ctx,
        index,
        search_for,
        "ivf",
        ctx.args.ivf_shortlists,
        lambda row: row["target"] and row["shortlist"] == product,
    )
    out["sweep"] = sweep
    out |= reached(sweep, ctx.args.target, product)
    chosen = next((r for r in sweep if r["target"] and r["shortlist"] == product), None)
    pick = chosen or [r for r in sweep if r["shortlist"] == product][-1]
    out |= {key: pick[key] for key in SUMMARY}
    out["setting"] = setting_of(pick, chosen is not None)
    out["reached_target"] = chosen is not None
    longer = next((r for r in sweep if r["target"] and r["shortlist"] != product), None)
    if longer is not None:
        out["with_longer_shortlist"] = {key: longer[key] for key in SUMMARY}
    out["k200"] = measured(search_for(pick["nprobe"], 200, 200), ctx.qs, ctx.truth, ctx.all_rows, 200)
    if not ctx.fp16_in_ram:
        out |= cold(search_for(pick["nprobe"], product), ctx.coll, ctx.qs, lat_rows(ctx, 25))
    return out


def method_ivf_pq(ctx: Context) -> dict[str, Any]:
    c = coarse(ctx)
    d = ctx.qs.vectors.shape[1]
    m = ctx.args.pq
    before = rss_anon()
    started = time.perf_counter()
    index = faiss.IndexIVFPQ(c["quantizer"], d, c["nlist"], m, 8, faiss.METRIC_INNER_PRODUCT)
    index.train(c["sample"])  # the quantizer is trained: only the product quantizer
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    add_assigned(index, ctx, c["assign"])
    add_s = time.perf_counter() - started
    grown = rss_anon() - before
    rerank = Reranker(ctx.coll)

    def search_for(nprobe: int, shortlist: int, k: int = 10) -> Callable[[np.ndarray], np.ndarray]:
        params = ivf_params(nprobe, c["quantizer"])
        return lambda q: rerank(q, index.search(q[None], shortlist, params=params)[1][0], k)

    index_bytes = (
        index.ntotal * (index.code_size + 8)
        + c["quantizer_bytes"]
        + index.pq.M * index.pq.ksub * index.pq.dsub * 4
    )
    out: dict[str, Any] = {
        "nlist": c["nlist"],
        "train_sample": c["sample_size"],
        "quantizer": c["quantizer_kind"],
        "pq_bytes": m,
        "build_s": c["train_s"] + c["assign_s"] + train_s + add_s,
        "build_parts_s": {
            "coarse_kmeans": c["train_s"],
            "assign": c["assign_s"],
            "pq_train": train_s,
            "encode_add": add_s,
        },
        "index_bytes": index_bytes,
        "rss_growth_bytes": grown,
        "rerank_from": "float16 file on disk",
        "ram_bytes": index_bytes,
    }
    first: list[int] = []

    def settles(row: dict[str, Any]) -> bool:
        # One nprobe past the first that reaches the target: there a shorter shortlist may do.
        if row["target"] and not first:
            first.append(row["nprobe"])
            return False
        return bool(first) and row["nprobe"] > first[0]

    sweep = sweep_nprobe(ctx, index, search_for, "ivf-pq", ctx.args.shortlists, settles)
    out["sweep"] = sweep
    out |= reached(sweep, ctx.args.target)
    hits = [r for r in sweep if r["target"]]
    pick = min(hits, key=lambda r: r["p50_ms"]) if hits else sweep[-1]
    out |= {key: pick[key] for key in SUMMARY}
    out["setting"] = setting_of(pick, bool(hits))
    out["reached_target"] = bool(hits)
    longest = max(pick["shortlist"], 2000)
    out["k200"] = measured(search_for(pick["nprobe"], longest, 200), ctx.qs, ctx.truth, ctx.all_rows, 200)
    out["k200"]["shortlist"] = longest
    if ctx.coll.path is not None:
        out |= cold(search_for(pick["nprobe"], pick["shortlist"]), ctx.coll, ctx.qs, lat_rows(ctx, 25))
    return out


def method_hnsw(ctx: Context) -> dict[str, Any]:
    d = ctx.qs.vectors.shape[1]
    wait_quiet()
    before = rss_anon()
    started = time.perf_counter()
    index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    for off, x in ctx.coll.chunks():
        index.add(x)
        if ctx.coll.n > 300_000:
            log(f"hnsw: {off + len(x):,} of {ctx.coll.n:,} added, {time.perf_counter() - started:.0f} s")
    build = time.perf_counter() - started
    grown = rss_anon() - before
    h = index.hnsw
    index_bytes = index.ntotal * d * 4 + h.neighbors.size() * 4 + h.levels.size() * 4 + h.offsets.size() * 8
    out: dict[str, Any] = {
        "build_s": build,
        "index_bytes": index_bytes,
        "rss_growth_bytes": grown,
        "ram_bytes": index_bytes,
        "ef": {},
    }

    def search_for(ef: int, k: int) -> Callable[[np.ndarray], np.ndarray]:
        params = faiss.SearchParametersHNSW(efSearch=ef)
        return lambda q: index.search(q[None], k, params=params)[1][0]

    for ef in sorted({max(2 * 10, 128), *ctx.args.ef_search}):
        row = measured(search_for(ef, 10), ctx.qs, ctx.truth, ctx.all_rows, 10)
        out["ef"][str(ef)] = row
        log(f"  hnsw efSearch {ef}: {brief(row)}")
    first = out["ef"][str(max(2 * 10, 128))]
    out |= {key: first[key] for key in (*LATENCY, "recall@10_passages", "recall@10_questions")}
    out["setting"] = "efSearch 128"
    out["k200"] = measured(search_for(400, 200), ctx.qs, ctx.truth, ctx.all_rows, 200)
    out["k200"]["efSearch"] = 400
    return out


METHODS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "exact": method_exact,
    "ivf": method_ivf,
    "ivf-pq": method_ivf_pq,
    "hnsw": method_hnsw,
}


# ---------------------------------------------------------------------------------------------
# the comparison of real and synthetic vectors


def describe(coll: Collection, qs: Queries, seed: int) -> dict[str, Any]:
    """Nearest-neighbour cosines within the collection and of each question set's top 10,
    and what an IVF index with a few probes finds of the top 10 (how hard the search is)."""
    vectors = coll.rows(np.arange(coll.n)) if isinstance(coll, OnDisk) else coll.vectors
    rng = np.random.default_rng([seed, 3])
    probe = np.sort(rng.choice(coll.n, 2000, replace=False))
    d, i = faiss.knn(vectors[probe], vectors, 2, metric=faiss.METRIC_INNER_PRODUCT)
    nn = np.where(i[:, 0] == probe, d[:, 1], d[:, 0])
    out: dict[str, Any] = {
        "nn_cos": {f"p{p}": float(np.percentile(nn, p)) for p in (10, 50, 90)},
        "near_duplicates": float(np.mean(nn >= 0.98)),
    }
    d, i = faiss.knn(qs.vectors, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    for name in SETS:
        s = qs.sets[name]
        out[name] = {
            "cos@1_p50": float(np.median(d[s, 0])),
            "cos@10_p50": float(np.median(d[s, 9])),
            "gap@1-10_p50": float(np.median(d[s, 0] - d[s, 9])),
        }
    nlist = 1024
    ivf = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(vectors.shape[1]),
        vectors.shape[1],
        nlist,
        faiss.ScalarQuantizer.QT_8bit,
        faiss.METRIC_INNER_PRODUCT,
    )
    ivf.cp.seed = seed
    ivf.train(vectors[np.sort(rng.choice(coll.n, 50_000, replace=False))])
    ivf.add(vectors)
    for nprobe in (4, 16):
        ivf.nprobe = nprobe
        found = ivf.search(qs.vectors, 10)[1]
        for name in SETS:
            rows = qs.of(name)
            out[name][f"ivf1024_nprobe{nprobe}_recall@10"] = recall([found[q] for q in rows], i, rows, 10)
    return out


def fidelity_table(rows: dict[str, dict[str, Any]]) -> str:
    names = list(rows)
    lines = ["| | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]

    def add(label: str, get: Callable[[dict[str, Any]], float], fmt: str = "{:.3f}") -> None:
        lines.append(f"| {label} | " + " | ".join(fmt.format(get(rows[n])) for n in names) + " |")

    for p in (10, 50, 90):
        add(f"nearest neighbour's cosine, p{p}", lambda r, p=p: r["nn_cos"][f"p{p}"])
    add("share with a near-duplicate (cosine >= 0.98)", lambda r: r["near_duplicates"])
    for s in SETS:
        add(f"{s}: cosine of the top 1, median", lambda r, s=s: r[s]["cos@1_p50"])
        add(f"{s}: cosine of the 10th, median", lambda r, s=s: r[s]["cos@10_p50"])
        add(f"{s}: IVF1024 nprobe 4, recall@10", lambda r, s=s: r[s]["ivf1024_nprobe4_recall@10"])
        add(f"{s}: IVF1024 nprobe 16, recall@10", lambda r, s=s: r[s]["ivf1024_nprobe16_recall@10"])
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# tables


def fmt_bytes(b: float | None) -> str:
    if b is None:
        return "-"
    return f"{b / 1e9:.2f} GB" if b >= 1e9 else f"{b / 1e6:.0f} MB"


def size_table(sizes: list[dict[str, Any]]) -> str:
    lines = [
        "| collection | method | setting | build | index memory | RAM with re-rank store "
        "| p50 / p95 ms (CPU p50) | cold p50 / p95 ms | recall@10 passages / questions "
        "| recall@200 passages / questions |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sizes:
        for name, r in sorted(s["methods"].items(), key=lambda item: list(METHODS).index(item[0])):
            if "skipped" in r:
                lines.append(f"| {s['label']} | {name} | {r['skipped']} | | | | | | | |")
                continue
            ram = r.get("ram_bytes", r.get("index_bytes"))
            k200 = r.get("k200", {})
            r200 = f"{k200['recall@200_passages']:.4f} / {k200['recall@200_questions']:.4f}" if k200 else "-"
            lines.append(
                f"| {s['label']} | {name} | {r.get('setting', '')} | {r['build_s']:.0f} s "
                f"| {fmt_bytes(r['index_bytes'])} | {fmt_bytes(ram)} | {latency(r)} | {cold_latency(r)} "
                f"| {recalls(r)} | {r200} |"
            )
            extra = []
            if "with_longer_shortlist" in r:
                w = r["with_longer_shortlist"]
                extra.append((f"nprobe {w['nprobe']}, shortlist {w['shortlist']}", w))
            for ef, row in r.get("ef", {}).items():
                if ef != "128":
                    extra.append((f"efSearch {ef}", row))
            for setting, row in extra:
                lines.append(
                    f"| {s['label']} | {name} | {setting} | | | | {latency(row)} | | {recalls(row)} | |"
                )
    return "\n".join(lines)


def latency(r: dict[str, Any]) -> str:
    if "p50_ms" not in r:
        return "-"
    text = f"{r['p50_ms']:.2f} / {r['p95_ms']:.2f}"
    return text + (f" ({r['cpu_p50_ms']:.2f})" if "cpu_p50_ms" in r else "")


def cold_latency(r: dict[str, Any]) -> str:
    return f"{r['cold_p50_ms']:.1f} / {r['cold_p95_ms']:.1f}" if "cold_p50_ms" in r else "-"


def recalls(r: dict[str, Any]) -> str:
    if "recall@10_passages" not in r:
        return "-"
    return f"{r['recall@10_passages']:.4f} / {r['recall@10_questions']:.4f}"


def sweep_table(sizes: list[dict[str, Any]]) -> str:
    lines = [
        "| collection | method | nprobe | shortlist | p50 / p95 ms (CPU p50) "
        "| recall@10 passages / questions |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for s in sizes:
        for name, r in s["methods"].items():
            for row in r.get("sweep", []):
                mark = " *" if row.get("beyond_planned") else ""
                lines.append(
                    f"| {s['label']} | {name} | {row['nprobe']}{mark} | {row['shortlist']} | {latency(row)} "
                    f"| {recalls(row)}{' (target)' if row['target'] else ''} |"
                )
    return "\n".join(lines)


def needed_table(sizes: list[dict[str, Any]], targets: tuple[float, ...] = (0.9, 0.95, 0.98)) -> str:
    """From the sweeps: the fastest setting at which each question set reaches each recall@10."""
    head = " | ".join(f"{s} >= {t}" for t in targets for s in SETS)
    lines = [f"| collection | method | {head} |", "| --- | --- |" + " --- |" * (len(targets) * len(SETS))]
    for size in sizes:
        for name, r in size["methods"].items():
            variants = [(name, r.get("sweep", []))]
            if name == "ivf":
                variants = [
                    (f"ivf, shortlist {k}", [row for row in r.get("sweep", []) if row["shortlist"] == k])
                    for k in sorted({row["shortlist"] for row in r.get("sweep", [])})
                ]
            for label, rows in variants:
                if not rows:
                    continue
                cells = []
                for t in targets:
                    for s in SETS:
                        ok = [row for row in rows if row[f"recall@10_{s}"] >= t]
                        best = min(ok, key=lambda row: row["p50_ms"]) if ok else None
                        cells.append(
                            f"{best['nprobe']}/{best['shortlist']}: {best['p50_ms']:.1f} ms" if best else "-"
                        )
                lines.append(f"| {size['label']} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def growth(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """Log-log slope of each figure against n over the synthetic sizes, and where it leads at 50M."""
    out: dict[str, Any] = {}
    synthetic = [s for s in sizes if s["kind"] == "synthetic"]
    for method in METHODS:
        for metric in ("build_s", "index_bytes", "p50_ms", "cpu_p50_ms", "nprobe"):
            # Latency and nprobe compare only where the setting reached the target recall.
            points = sorted(
                (s["n"], s["methods"][method][metric])
                for s in synthetic
                if method in s["methods"]
                and s["methods"][method].get(metric)
                and (metric in ("build_s", "index_bytes") or s["methods"][method].get("reached_target", True))
            )
            if len(points) < 2:
                continue
            n, v = np.log([p[0] for p in points]), np.log([p[1] for p in points])
            slope = float(np.polyfit(n, v, 1)[0])
            last_slope = float((v[-1] - v[-2]) / (n[-1] - n[-2]))
            out.setdefault(method, {})[metric] = {
                "points": points,
                "slope": slope,
                "last_slope": last_slope,
                "at": {
                    f"{m / 1e6:g}M": float(points[-1][1] * (m / points[-1][0]) ** last_slope)
                    for m in (5e6, 20e6, 50e6)
                    if m > points[-1][0]
                },
            }
    return out


def growth_table(g: dict[str, Any]) -> str:
    lines = [
        "| method | figure | measured | log-log slope (all / last two) | extrapolated (last slope) |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for method, metrics in g.items():
        for metric, r in metrics.items():
            pts = ", ".join(f"{n / 1e6:.3g}M: {fmt_value(metric, v)}" for n, v in r["points"])
            lines.append(
                f"| {method} | {metric} | {pts} | {r['slope']:.2f} / {r['last_slope']:.2f} "
                f"| {', '.join(f'{m}: {fmt_value(metric, v)}' for m, v in r['at'].items())} |"
            )
    return "\n".join(lines)


def fmt_value(metric: str, v: float) -> str:
    if metric == "index_bytes":
        return fmt_bytes(v)
    if metric == "build_s":
        return f"{v:.0f} s"
    if metric in ("p50_ms", "cpu_p50_ms"):
        return f"{v:.2f} ms"
    return f"{v:g}"


# ---------------------------------------------------------------------------------------------


def compare(
    args: argparse.Namespace,
    base: np.ndarray,
    qs: Queries,
    path: Path,
    results: dict[str, Any],
    save: Callable[[], None],
) -> None:
    """How the synthetic vectors compare with the real ones, at the real collection's size."""
    wait_quiet()
    started = time.perf_counter()
    d = base.shape[1]
    gauss = Generator(base, args.clusters, args.seed, args.work, kind="gauss")
    gauss_vectors = np.vstack(
        [gauss.draw(c, min(CHUNK, len(base) - off)) for c, off in enumerate(range(0, len(base), CHUNK))]
    ).astype(np.float32)
    fid = {
        "real": describe(InMemory("real", base), qs, args.seed),
        "synthetic (residual mix, used)": describe(OnDisk("synthetic", path, len(base), d), qs, args.seed),
        "synthetic (Gaussian, per-dimension spread)": describe(
            InMemory("gauss", gauss_vectors), qs, args.seed
        ),
    }
    del gauss_vectors, gauss
    results["fidelity"] = fid
    save()
    log(
        f"real against synthetic, {len(base):,} vectors each ({time.perf_counter() - started:.0f} s):\n"
        + fidelity_table(fid)
    )


def dev_questions(index_dir: Path) -> np.ndarray:
    from r2p_search.search import Index

    texts = []
    for name in DEV_SETS:
        for line in (REPO / "tests" / "eval" / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                texts.append(json.loads(line)["query"])
    with Index.open(index_dir) as index:
        return np.ascontiguousarray(index.embed_queries(texts), dtype=np.float32)


def main() -> None:
    global _log_file
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, required=True, help="a built index (read only)")
    parser.add_argument("--sizes", default="1000000,5000000,20000000")
    parser.add_argument("--queries", type=int, default=300, help="real passages held out as questions")
    parser.add_argument("--methods", default="exact,ivf,ivf-pq,hnsw")
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/r2p-scale"), help="synthetic vectors, ground truth, log"
    )
    parser.add_argument("--results", type=Path, default=Path("/tmp/r2p/scale-results.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clusters", type=int, default=2048, help="k-means clusters of the generator")
    parser.add_argument("--nprobes", default="8,16,32,64,128,256,512")
    parser.add_argument("--nprobes-beyond", default="1024,2048", help="tried while the target is not reached")
    parser.add_argument(
        "--ivf-shortlists", default="10,100", help="ivf: the k results re-ranked (the product), then longer"
    )
    parser.add_argument("--target", type=float, default=0.98, help="recall@10 an IVF setting must reach")
    parser.add_argument("--pq", type=int, default=48, help="bytes per vector of ivf-pq's codes")
    parser.add_argument("--shortlists", default="1000,4000,10000", help="ivf-pq shortlists re-ranked")
    parser.add_argument("--ef-search", default="256", help="HNSW efSearch besides max(2k, 128)")
    parser.add_argument(
        "--hnsw-max", type=int, default=1_000_000, help="largest collection HNSW is built for"
    )
    parser.add_argument(
        "--exact-max", type=int, default=5_000_000, help="largest collection the float16 scan is loaded for"
    )
    parser.add_argument(
        "--exact-queries", type=int, default=60, help="questions timed for the exact scan above 300k"
    )
    parser.add_argument("--hnsw-quantizer-from", type=int, default=5_000_000)
    parser.add_argument(
        "--ram-share",
        type=float,
        default=0.6,
        help="re-rank store in RAM if it and the index fit in this share of memory",
    )
    parser.add_argument("--methods-at", default="", help="e.g. 20000000=ivf-pq: methods for one size")
    parser.add_argument("--no-real", action="store_true", help="skip the real index's own figures")
    parser.add_argument("--resume", action="store_true", help="keep --results' figures, measure the rest")
    args = parser.parse_args()
    args.nprobes = [int(x) for x in args.nprobes.split(",")]
    args.shortlists = [int(x) for x in args.shortlists.split(",")]
    args.nprobes_beyond = [int(x) for x in args.nprobes_beyond.split(",") if x]
    args.ivf_shortlists = [int(x) for x in args.ivf_shortlists.split(",")]
    args.ef_search = [int(x) for x in args.ef_search.split(",") if x]
    methods = args.methods.split(",")
    methods_at = {int(k): v.split("+") for k, v in (p.split("=") for p in args.methods_at.split(",") if p)}
    sizes = sorted(int(x) for x in args.sizes.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    _log_file = (args.work / "scale.log").open("a")
    faiss.omp_set_num_threads(2)
    log(f"start: {' '.join(sys.argv[1:])}")

    manifest = json.loads((args.index / "manifest.json").read_text())
    stored = faiss.read_index(str(args.index / manifest["generation"] / "vectors.faiss"))
    real = stored.reconstruct_n(0, stored.ntotal)
    del stored
    d = real.shape[1]
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(real))
    held, base_rows = np.sort(perm[: args.queries]), np.sort(perm[args.queries :])
    base = np.ascontiguousarray(real[base_rows])
    questions = dev_questions(args.index)
    qs = Queries(
        np.ascontiguousarray(np.vstack([real[held], questions]), dtype=np.float32),
        {"passages": slice(0, len(held)), "questions": slice(len(held), len(held) + len(questions))},
    )
    del real
    qkey = hashlib.sha256(qs.vectors.tobytes()).hexdigest()[:10]
    log(
        f"real vectors: {len(base):,} in the collection, {len(held)} held out as questions, "
        f"{len(questions)} development questions"
    )

    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "mem_total_bytes": mem_total()},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "collection_real": len(base),
        "questions": {"passages": len(held), "questions": len(questions)},
        "query_key": qkey,
        "fidelity": {},
        "sizes": [],
    }
    if args.resume and args.results.exists():
        before = json.loads(args.results.read_text())
        if before.get("query_key") != qkey:
            raise SystemExit(f"{args.results} holds figures for other questions: not resumed")
        results["fidelity"], results["sizes"] = before["fidelity"], before["sizes"]

    def save() -> None:
        results["growth"] = growth(results["sizes"])
        args.results.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.results.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1))
        tmp.replace(args.results)

    gen = Generator(base, args.clusters, args.seed, args.work)
    log(
        f"generator: cluster sizes min {gen.counts.min()}, median {int(np.median(gen.counts))}, "
        f"max {gen.counts.max()}"
    )
    capacity = max([*sizes, len(base)])
    capacity = -(-capacity // CHUNK) * CHUNK

    path = synthetic_file(gen, args.work, len(base), capacity)
    if not results["fidelity"]:
        compare(args, base, qs, path, results, save)

    collections: list[tuple[str, Collection]] = []
    collections: list[tuple[str, Collection]] = []
    if not args.no_real:
        collections.append(("real", InMemory(f"real {len(base) / 1e3:.0f}k", base)))
    collections.append(("synthetic", OnDisk(f"synthetic {len(base) / 1e3:.0f}k", path, len(base), d)))
    for n in sizes:
        label = f"synthetic {n / 1e6:g}M" if n >= 1_000_000 else f"synthetic {n / 1e3:g}k"
        collections.append(("synthetic", OnDisk(label, path, n, d)))

    for kind, coll in collections:
        if kind == "synthetic":
            synthetic_file(gen, args.work, coll.n, capacity)
        truth = ground_truth(coll, qs.vectors, args.work, f"{gen.key}-{gen.kind}-{qkey}")
        index_bytes_guess = coll.n * d  # ivf codes, the largest index kept beside the vectors
        fp16_in_ram = kind == "real" or coll.n * d * 2 + index_bytes_guess <= args.ram_share * mem_total()
        record = next((r for r in results["sizes"] if r["label"] == coll.label and r["n"] == coll.n), None)
        if record is None:
            record = {"label": coll.label, "kind": kind, "n": coll.n, "methods": {}}
            results["sizes"].append(record)
        cache_key = f"{gen.key}-{gen.kind}-s{args.seed}" if kind == "synthetic" else None
        ctx = Context(
            args, coll, qs, truth, list(range(len(qs.vectors))), fp16_in_ram, cache_key, record, save
        )
        log(f"== {coll.label}: {coll.n:,} vectors; re-rank store {'in RAM' if fp16_in_ram else 'on disk'}")
        for method in methods:
            if method in record["methods"] and "skipped" not in record["methods"][method]:
                continue  # measured by an earlier run (--resume)
            if method == "hnsw" and coll.n > args.hnsw_max:
                record["methods"][method] = {
                    "skipped": f"not built above {args.hnsw_max:,} (see the growth table)"
                }
                continue
            if method == "exact" and coll.n > args.exact_max:
                record["methods"][method] = {
                    "skipped": f"not loaded above {args.exact_max:,}: "
                    "scan time grows linearly, see the growth table"
                }
                continue
            if method not in methods_at.get(coll.n, methods):
                record["methods"][method] = {"skipped": "not run at this size, for time (--methods-at)"}
                continue
            wait_quiet()
            started = time.perf_counter()
            try:
                record["methods"][method] = METHODS[method](ctx)
            except MemoryError:
                record["methods"][method] = {"skipped": "out of memory"}
            r = record["methods"][method]
            log(
                f"{coll.label} {method}: done in {time.perf_counter() - started:.0f} s: "
                + json.dumps({k: v for k, v in r.items() if k != "sweep"}, default=str)
            )
            save()
        ctx.coarse_cache.clear()
        coll.release()
        log("results so far:\n" + size_table(results["sizes"]))

    save()
    print()
    print("Real against synthetic vectors, each", f"{len(base):,}", "vectors:")
    print(fidelity_table(results["fidelity"]))
    print()
    print(size_table(results["sizes"]))
    print()
    print("The nprobe sweeps (* beyond the planned nprobes):")
    print(sweep_table(results["sizes"]))
    print()
    print("The fastest nprobe/shortlist reaching each recall@10, per question set (p50 over both):")
    print(needed_table(results["sizes"]))
    print()
    print("Growth with n (synthetic sizes):")
    print(growth_table(results["growth"]))
    log(f"results in {args.results}")


if __name__ == "__main__":
    main()
