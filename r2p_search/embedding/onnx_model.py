"""The model in onnxruntime, tokenised by `tokenizers`: no torch on this path."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import REBUILD_HINT, ModelError
from .base import NO_PROMPTS, Progress, Prompts, cores, read_prompts

if TYPE_CHECKING:
    import numpy as np


class OnnxEmbedder:
    """The model in onnxruntime, tokenised by `tokenizers`: no torch on this path.

    Built from an exported folder (see export.py): `folder` names it directly, or `location`
    is a model to export into `models_dir/<sha256 of its files>` on first use.
    """

    def __init__(
        self,
        name: str,
        models_dir: Path | None = None,
        location: str | None = None,
        folder: Path | None = None,
        precision: str = "int8",
    ) -> None:
        self.name = name
        self.precision = precision
        self._models_dir = models_dir
        self._location = location
        self._folder = folder
        self._key: str | None = folder.name if folder is not None else None
        self._meta: dict[str, Any] | None = None
        self._session: Any = None
        self._workers: Any = None  # a queue of one-thread sessions, one per core, for many texts
        self._counter: Any = None
        self._encoder: Any = None
        self._inputs: frozenset[str] = frozenset()  # what the graph reads: MPNet has no token_type_ids
        self._lock = threading.Lock()
        self._preloading: threading.Thread | None = None

    def preload(self) -> None:
        """Start loading the model in the background (the CLI overlaps it with opening the index)."""
        # Imports stay on this thread: two threads importing numpy's C core at once can fail.
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401

        from . import export  # noqa: F401

        def load() -> None:
            with contextlib.suppress(Exception):  # the caller meets the error when it asks
                _ = self.session

        self._preloading = threading.Thread(target=load, daemon=True)
        self._preloading.start()

    def settle(self) -> None:
        """Wait for a background load to finish. A process must not exit while onnxruntime is
        still building a session in another thread: its C++ runtime aborts (SIGABRT)."""
        if self._preloading is not None:
            self._preloading.join()

    def load_all(self) -> None:
        """Load now all that `embed` and `count_tokens` read from the export, so that its files are
        no longer needed (a worker of a cluster build deletes its copy of them)."""
        _ = self.session
        self._worker_sessions()
        self.count_tokens([""])

    @property
    def folder(self) -> Path:
        if self._folder is None:
            from .export import export, source_key

            assert self._models_dir is not None and self._location is not None
            self._key = source_key(self._location)[:32]
            self._folder = export(self._location, self._models_dir / self._key)
        return self._folder

    @property
    def key(self) -> str:
        _ = self.folder
        assert self._key is not None
        return self._key

    encoder = "onnx"

    @property
    def export(self) -> str:
        return self.key

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            import json

            from .export import META

            try:
                self._meta = json.loads((self.folder / META).read_text())
            except (OSError, ValueError) as exc:
                raise ModelError(
                    f"exported model at {self.folder} is unreadable ({exc}); {REBUILD_HINT}"
                ) from exc
        return self._meta

    @property
    def dimension(self) -> int:  # type: ignore[override]
        return int(self.meta["dimension"])

    @functools.cached_property
    def prompts(self) -> Prompts:  # type: ignore[override]
        """Read from the model's folder when it is exported for an index; a search reads the manifest."""
        return read_prompts(self._location) if self._location else NO_PROMPTS

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        return int(self.meta["max_tokens"])

    @property
    def fingerprint(self) -> str:
        return self.key

    def _tokenizer(self, truncate: bool) -> Any:
        from tokenizers import Tokenizer

        from .export import TOKENIZER

        try:
            tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER))
        except Exception as exc:  # the Rust library raises its own exception type
            raise ModelError(f"tokenizer of {self.name} is unreadable ({exc}); {REBUILD_HINT}") from exc
        tokenizer.no_padding()
        if truncate:
            tokenizer.enable_truncation(self.max_tokens)
        else:
            tokenizer.no_truncation()
        return tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if self._counter is None:
            self._counter = self._tokenizer(truncate=False)
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=False)]

    @property
    def session(self) -> Any:
        with self._lock:
            return self._load_session()

    def _load_session(self) -> Any:
        if self._session is None:
            self._session = self._new_session(threads=cores(), spin=False)
            self._inputs = frozenset(i.name for i in self._session.get_inputs())
            self._encoder = self._tokenizer(truncate=True)
        return self._session

    def _graph(self) -> str:
        from .export import FP32, INT8

        # An export whose int8 graph strays from full precision said so: it is not used.
        int8 = self.precision == "int8" and self.meta.get("int8", True)
        return INT8 if int8 else FP32

    def model_files(self) -> list[str]:
        """The files of the export this embedder reads: what a worker elsewhere needs of it."""
        from .export import META, TOKENIZER, WEIGHTS

        graph = self._graph()
        return [META, TOKENIZER, graph, WEIGHTS[graph]]

    def _new_session(self, threads: int, spin: bool = True) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if not spin:
            # A question is embedded beside BM25 and the vector scan, and a server embeds many
            # at once: threads that spin between operators take the cores those need
            # (benchmarks/README.md, "choices measured").
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        path = self.folder / self._graph()
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load {path} ({str(exc)[:120]}); {REBUILD_HINT}") from exc

    def _worker_sessions(self) -> Any:
        import queue

        with self._lock:
            if self._workers is None:
                workers: queue.Queue[Any] = queue.Queue()
                for _ in range(cores()):
                    workers.put(self._new_session(threads=1))
                self._workers = workers
        return self._workers

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Vectors for `texts`, each text run on its own.

        One text at a time means no padding and nothing shared with other texts: the int8 model
        quantises its activations over the whole input, so in a batch a vector would depend on its
        batch-mates. Alone, a passage gets the same vector in any build, incremental or full. Many
        texts run on one-thread sessions, one per core, side by side, which measured faster than
        length-sorted batches on one session (benchmarks/README.md); one text on all cores is
        what a question needs.
        """
        import numpy as np

        from .export import graph_feed

        session = self.session
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._encoder.encode_batch(texts)

        def run(one: Any, i: int) -> None:
            ids = np.asarray([encodings[i].ids], dtype=np.int64)
            try:
                out[i] = one.run(None, graph_feed(ids, self._inputs))[0][0]
            except Exception as exc:  # onnxruntime raises its own exception types
                raise ModelError(f"model {self.name} failed on a text ({str(exc)[:160]})") from exc

        if len(texts) == 1:
            run(session, 0)
            if progress:
                progress(1)
            return out
        from concurrent.futures import ThreadPoolExecutor

        workers = self._worker_sessions()

        def job(i: int) -> None:
            one = workers.get()
            try:
                run(one, i)
            finally:
                workers.put(one)

        reported = 0
        with ThreadPoolExecutor(cores()) as pool:
            # onnxruntime releases the GIL while it runs, so the threads use every core.
            for done, _ in enumerate(pool.map(job, range(len(texts))), 1):
                if progress and (done - reported >= 64 or done == len(texts)):
                    progress(done - reported)
                    reported = done
        return out
