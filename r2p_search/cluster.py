"""Distributed build: reading, splitting and embedding on a Ray cluster (`index --ray`).

The process that runs `r2p-search index` scans and hashes the corpus and commits the index, as
a plain build does; between the two, the new and changed files go to a Ray Data actor pool in
shards, as bytes, and come back as the same passages and vectors a plain build would make.
Neither the corpus nor the model needs a filesystem the workers share: each file's bytes travel
with its shard, and the model's ONNX export is put in Ray's object store once, from which each
worker writes it to a folder of its own and loads it once. Ray is an optional extra and is
imported here only, when a build asks for it (docs/cluster.md).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .documents import SourceFile
from .embedding import NO_PROMPTS, Embedder, HashingEmbedder, OnnxEmbedder, Prompts
from .errors import ClusterError, R2PError

if TYPE_CHECKING:
    import numpy as np

INSTALL_HINT = "pip install 'r2p-search[cluster]'"

SHARD_DOCUMENTS = 8
"""Most documents in one shard: enough to amortise a call, few enough that a lost worker costs
little and the progress bar moves."""

RETRIES = 3
"""How often a worker that died is started again, and a shard it held sent again. Ray Data's
default is forever, which turns a worker that dies on every shard into a build that never ends."""

# Settings that change how a worker reads a file go along with the shards; the paths of the
# driver's own folders do not: a worker elsewhere has its own.
_LOCAL_SETTINGS = frozenset({"R2P_CACHE", "R2P_CORPUS", "R2P_INDEX"})

R = TypeVar("R")


def available() -> bool:
    """Whether Ray is installed (without importing it: that takes seconds)."""
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules: taken away
        return False


def check(embedder: Embedder, address: str = "local") -> None:
    """Refuse, before any work, a build that cannot run on a cluster."""
    if not available():
        raise ClusterError(f"--ray needs Ray, an optional extra: {INSTALL_HINT}")
    if address != "local":
        _check_reachable(address)
    if embedder.encoder not in ("onnx", "hash"):
        raise ClusterError(
            f"--ray runs models exported to ONNX, and {embedder.name} runs in {embedder.encoder}; "
            "build without --ray"
        )


def _import_ray(local: bool) -> Any:
    if local and "ray" not in sys.modules:
        # Ray reads this when it is imported. Off, a local cluster listens on the loopback
        # address only, as Ray does on macOS and Windows: no port of it is open to the network.
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        import ray
        import ray.data  # the extra's "data" part: the actor pool
    except ImportError as exc:
        raise ClusterError(f"Ray could not be imported ({exc}); {INSTALL_HINT}") from exc
    return ray


@contextlib.contextmanager
def connected(
    address: str, notify: Callable[[str], None] | None = None, num_cpus: int | None = None
) -> Iterator[int]:
    """Ray, connected for the length of a build; yields how many workers to run (the cluster's CPUs).

    "local" starts a cluster on this machine (`num_cpus`: how many of its cores; all by default)
    and stops it after. Any other address joins a running cluster, which is left running; this
    package's code goes along to its workers. A process already connected (a notebook, the
    tests) keeps its connection, whatever `address` says.
    """
    notify = notify or (lambda message: None)
    local = address == "local"
    ray = _import_ray(local)
    joined = False
    if not ray.is_initialized():
        # Ray's notices and the workers' output (its logs keep them) would bury the build's lines.
        options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
        if local:
            notify("Starting a local Ray cluster")
            options |= {"num_cpus": num_cpus, "include_dashboard": False}
        else:
            _check_reachable(address)
            notify(f"Joining the Ray cluster at {address}")
            # The workers run this very code, whatever version of it their machines have.
            package = str(Path(__file__).resolve().parent)
            options["runtime_env"] = {"py_modules": [package], "excludes": ["__pycache__"]}
        try:
            ray.init(address="local" if local else address, **options)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError and its own
            where = "start a local Ray cluster" if local else f"join the Ray cluster at {address}"
            raise ClusterError(f"cannot {where} ({_first_line(exc)})") from exc
        joined = True
    try:
        yield max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        if joined:
            ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail at once on an address where nothing listens: Ray itself retries for minutes."""
    if address == "auto":  # the cluster `ray start` left on this machine; Ray says if there is none
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ClusterError(
            f"--ray {address}: give 'local', HOST:PORT (the head's port, 6379 unless changed) "
            "or ray://HOST:10001"
        )
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterError(
            f"cannot reach the Ray cluster at {address} ({reason}); start one with `ray start --head`, "
            "or use --ray local"
        ) from exc


@dataclass(frozen=True)
class _Recipe:
    """What a worker needs to build the driver's embedder; the model's files travel beside it."""

    encoder: str  # "onnx" or "hash"
    name: str
    max_tokens: int
    precision: str = "int8"
    key: str = ""  # the export's folder name, which the embedder reports as its fingerprint
    prompts: Prompts = NO_PROMPTS


def _recipe(embedder: Embedder) -> tuple[_Recipe, dict[str, bytes]]:
    check(embedder)
    if isinstance(embedder, OnnxEmbedder):
        folder = embedder.folder
        files = {name: (folder / name).read_bytes() for name in embedder.model_files()}
        recipe = _Recipe(
            "onnx", embedder.name, embedder.max_tokens, embedder.precision, folder.name, embedder.prompts
        )
        return recipe, files
    if isinstance(embedder, HashingEmbedder):
        return _Recipe("hash", embedder.name, embedder.max_tokens), {}
    raise ClusterError(f"--ray cannot send the {embedder.encoder} embedder {embedder.name} to workers")


def _load(recipe: _Recipe, files: dict[str, bytes]) -> Embedder:
    if recipe.encoder == "hash":
        hashing = HashingEmbedder.from_name(recipe.name)
        hashing.max_tokens = recipe.max_tokens
        return hashing
    # The files are needed only while the model loads: a worker can be killed at any time, and
    # the folder of one killed later than this is already gone.
    root = Path(tempfile.mkdtemp(prefix="r2p-ray-model-"))
    try:
        folder = root / recipe.key
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        onnx = OnnxEmbedder(recipe.name, folder=folder, precision=recipe.precision)
        onnx.prompts = recipe.prompts  # read from the model's own folder on the driver, not here
        onnx.load_all()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return onnx


class _Worker:
    """One actor of the pool: builds the embedder once, then reads, splits and embeds shard after shard."""

    def __init__(self, recipe: _Recipe, model: list[Any], work: Callable[[Embedder, SourceFile, bytes], Any]):
        import ray

        self.embedder = _load(recipe, ray.get(model[0]) if recipe.encoder == "onnx" else {})
        self.work = work
        self.shards = 0

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import numpy as np

        self.shards += 1
        _crash_point(self.shards)
        files = batch["file"]
        results = np.empty(len(files), dtype=object)
        for i, (file, data) in enumerate(zip(files, batch["data"], strict=True)):
            results[i] = self.work(self.embedder, file, bytes(data))
        return {"source": np.array([f.source for f in files], dtype=object), "result": results}


def _crash_point(shard: int) -> None:
    """Where tests kill a worker (R2P_FAULT_AT, as store.fault_point): "shard" kills every worker
    as it takes a shard; "shard:PATH" kills the first worker to take its second shard, once (it
    creates PATH, which says that it happened)."""
    point = os.environ.get("R2P_FAULT_AT", "")
    if point == "shard" or (point.startswith("shard:") and shard == 2 and _first(point[len("shard:") :])):
        os.kill(os.getpid(), signal.SIGKILL)


def _first(marker: str) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def run(
    documents: Sequence[tuple[SourceFile, bytes]],
    work: Callable[[Embedder, SourceFile, bytes], R],
    embedder: Embedder,
    advance: Callable[[int], None],
    workers: int,
) -> dict[str, R]:
    """`work(embedder, file, data)` for each document, on the connected cluster; by source.

    Each worker builds `embedder` once from what is sent of it; `work` must be importable by
    name there (a function of this package, or a partial of one).
    """
    import ray
    import ray.data

    if not documents:
        return {}
    recipe, files = _recipe(embedder)
    model = ray.put(files)  # once; each worker fetches it from the object store
    # Large files first, so that no long shard is left for the end while the other workers idle.
    ordered = sorted(documents, key=lambda item: -len(item[1]))
    shard = max(1, min(SHARD_DOCUMENTS, math.ceil(len(ordered) / (2 * workers))))
    blocks = math.ceil(len(ordered) / shard)
    settings = {k: v for k, v in os.environ.items() if k.startswith("R2P_") and k not in _LOCAL_SETTINGS}
    options: dict[str, Any] = {"runtime_env": {"env_vars": settings}} if settings else {}
    results: dict[str, R] = {}
    with _quiet_ray_data():
        data = ray.data.from_items([{"file": f, "data": d} for f, d in ordered], override_num_blocks=blocks)
        with warnings.catch_warnings():
            # Ray Data 2.60 has no named parameter yet for the retries of an actor pool.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
            mapped = data.map_batches(
                _Worker,
                batch_size=None,  # a block is a shard
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=min(workers, blocks)),
                fn_constructor_args=(recipe, [model], work),
                num_cpus=1,
                max_restarts=RETRIES,
                max_task_retries=RETRIES,
                **options,
            )
        try:
            for batch in mapped.iter_batches(batch_size=None, batch_format="numpy"):
                for source, result in zip(batch["source"], batch["result"], strict=True):
                    results[str(source)] = result
                advance(len(batch["source"]))
        except Exception as exc:  # Ray wraps what failed on a worker in its own exception types
            raise _failure(exc) from exc
    missing = {f.source for f, _ in documents} - results.keys()
    if missing:
        raise ClusterError(f"the Ray cluster returned no result for {len(missing)} documents")
    return results


@contextlib.contextmanager
def _quiet_ray_data() -> Iterator[None]:
    """Ray Data's console lines (plans, a traceback when a shard fails) off for the build; its
    log file in Ray's session folder keeps them, and a failure is said in one line."""
    import ray.data

    context = ray.data.DataContext.get_current()
    bars = context.enable_progress_bars
    context.enable_progress_bars = False  # the build's own bar counts the documents
    consoles = [
        (h, h.level)
        for h in logging.getLogger("ray.data").handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    for handler, _ in consoles:
        handler.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        context.enable_progress_bars = bars
        for handler, level in consoles:
            handler.setLevel(level)


def _failure(exc: BaseException) -> R2PError:
    """One line for what failed on the cluster: our own error when a worker raised one."""
    from ray.exceptions import RayActorError

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, R2PError):
            return cause
        if isinstance(cause, RayActorError) and cause.actor_init_failed:
            return ClusterError(f"a Ray worker could not start: {_last_line(cause)}")
        if isinstance(cause, RayActorError):
            return ClusterError(
                f"a Ray worker died {RETRIES + 1} times on the same shard ({_first_line(cause)}); "
                "the index on disk is the one from before this run"
            )
        cause = getattr(cause, "cause", None) or cause.__cause__
    return ClusterError(f"the build on Ray failed: {type(exc).__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def _last_line(exc: BaseException) -> str:
    """The exception a traceback ends with, as Ray reports an error raised on a worker."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:200] if lines else type(exc).__name__
