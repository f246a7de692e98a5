"""Embed: turn passages and queries into unit-length vectors.

One protocol (`base.Embedder`), one file per embedder:
- `sentence_transformer`: a sentence-transformers model in torch, the reference;
- `onnx_model`: the same model exported to ONNX (`export`) and run by onnxruntime, several
  times faster and torch-free once exported; what an index of a supported model uses;
- `hashing`: a model-free bag of hashed words (`hash`, `hash:DIM`) for tests and smoke runs.
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..errors import ModelError
from .base import NO_PROMPTS, Embedder, Progress, Prompts, embedding_input, prompts_of, read_prompts
from .export import exportable
from .hashing import HashingEmbedder
from .onnx_model import OnnxEmbedder
from .sentence_transformer import SentenceTransformerEmbedder, bundled_model_path, resolve_model

__all__ = [
    "NO_PROMPTS",
    "Embedder",
    "HashingEmbedder",
    "OnnxEmbedder",
    "Progress",
    "Prompts",
    "SentenceTransformerEmbedder",
    "bundled_model_path",
    "canonical_model_name",
    "embedding_input",
    "is_hashing_model",
    "load_embedder",
    "prompts_of",
    "read_prompts",
    "resolve_model",
]


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
        if exportable(location):
            return OnnxEmbedder(name, models_dir, location=location)
    return SentenceTransformerEmbedder(name)
