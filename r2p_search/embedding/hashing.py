"""A model-free embedder: a deterministic bag of hashed words (model name `hash` or `hash:DIM`).

It exists for tests and smoke runs that must not pay for a neural model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import ModelError
from .base import NO_PROMPTS, Progress

if TYPE_CHECKING:
    import numpy as np


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

    encoder = "hash"
    export = None

    def settle(self) -> None:
        pass
