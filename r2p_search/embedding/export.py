"""Export a sentence-transformers model to ONNX, once, so that torch is never needed again.

The exported graph takes token ids and returns the model's sentence embedding, pooling and
normalisation included, so onnxruntime and tokenizers alone reproduce sentence-transformers'
vectors. Two models are written, each a graph with its weights in a file beside it: full
precision (for queries: the original's vectors) and int8 weights (for indexing: faster, and
checked against full precision; figures in benchmarks/README.md). Only this module imports
torch, and only when a model is exported.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..config import cache_dir
from ..errors import ModelError

FP32 = "model-fp32.onnx"
INT8 = "model-int8.onnx"
# Weights live beside each graph: onnxruntime maps them instead of parsing them out of one
# protobuf, which makes a cold question's model load several times faster.
WEIGHTS = {FP32: "model-fp32.weights", INT8: "model-int8.weights"}
TOKENIZER = "tokenizer.json"
META = "meta.json"
EXPORT_VERSION = 1

INT8_MIN_COSINE = 0.98
"""Passages are embedded by the int8 graph only if its vectors of SAMPLES keep at least this mean
cosine to full precision's. all-MiniLM-L6-v2 keeps it; all-mpnet-base-v2 does not (benchmarks/README.md,
"The model and its export", benchmarks/encoder_throughput.py), so such a model indexes in full precision,
slower but true."""

SAMPLES = (
    "what about Syria",
    "Mr. President, allow me to congratulate you on your election.",
    "We call on the Security Council to act without delay to protect civilians.",
    "The responsibility to protect populations from genocide, war crimes, ethnic cleansing and crimes "
    "against humanity lies first with each State, and the international community must help it.",
    "Climate change threatens the very existence of small island developing States, whose peoples ask "
    "only for the means to adapt and to survive; the promises made in Copenhagen and Paris must be kept.",
    "Debt relief, financing for development and fair trade remain the priorities of my delegation, as "
    "they were when this Assembly last met, because without them the Sustainable Development Goals "
    "will stay out of reach for the poorest countries, and the gap between them and the rest will grow.",
)


def exportable(location: str) -> bool:
    """A local sentence-transformers folder of Transformer + mean/CLS Pooling (+ Normalize)."""
    path = Path(location)
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return False
    if not (path / TOKENIZER).exists():
        return False
    pooling = _pooling(path, modules)
    return pooling in ("mean", "cls")


def _pooling(path: Path, modules: list[dict[str, Any]]) -> str | None:
    pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
    try:
        config = json.loads((path / pooling_dir / "config.json").read_text())
    except (OSError, ValueError):
        return None
    modes = [k for k, v in config.items() if k.startswith("pooling_mode_") and v]
    return (
        {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(modes[0])
        if len(modes) == 1
        else None
    )


def source_key(location: str) -> str:
    """sha256 over the model folder's files: the same weights under another name match."""
    digest = hashlib.sha256(f"export-v{EXPORT_VERSION}".encode())
    root = Path(location)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def export(location: str, target: Path) -> Path:
    """Write the ONNX files for the model at `location` into `target` (atomically); returns it.

    An export takes seconds (torch, tracing, quantising), so each one is also kept in the
    user's cache (config.cache_dir) under the same key, and a new index copies it from there.
    """
    if (target / META).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    cached = _cached(target.name)
    try:
        if cached is None or not _copy_checked(cached, work):
            meta = _export(location, work)
            (work / META).write_text(json.dumps(meta, indent=2))
            _keep(work, target.name)
        work.chmod(0o755)  # mkdtemp makes it private; the index folder is not
        try:
            os.replace(work, target)
        except OSError:
            if not (target / META).exists():  # another process may have won the race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


CHECKSUMS = "checksums.json"


def _cache_models() -> Path | None:
    root = cache_dir()
    return None if root is None else root / "models"


def _cached(key: str) -> Path | None:
    models = _cache_models()
    if models is None or not (models / key / CHECKSUMS).is_file():
        return None
    return models / key


def _copy_hashed(source: Path, target: Path) -> str:
    """Copy `source` to `target` in one pass; the sha256 of what was written."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            dst.write(block)
    return digest.hexdigest()


def _copy_checked(cached: Path, work: Path) -> bool:
    """Copy a cached export into `work`; False (and `work` emptied) if any file is not as kept."""
    try:
        sums = json.loads((cached / CHECKSUMS).read_text())
        for name, expected in sums.items():
            if Path(name).name != name:  # a checksum file that names paths elsewhere is not ours
                raise ValueError(name)
            if _copy_hashed(cached / name, work / name) != expected:
                raise ValueError(f"{name} changed in the cache")
        return (work / META).is_file()
    except (OSError, ValueError, AttributeError):
        for entry in work.iterdir():
            entry.unlink()
        return False


def _keep(work: Path, key: str) -> None:
    """Best effort: a cache that cannot be written costs the next index an export, nothing else."""
    models = _cache_models()
    if models is None:
        return
    with contextlib.suppress(OSError):
        models.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".keep-", dir=models))
        try:
            sums = {path.name: _copy_hashed(path, staging / path.name) for path in sorted(work.iterdir())}
            (staging / CHECKSUMS).write_text(json.dumps(sums, indent=2))
            shutil.rmtree(models / key, ignore_errors=True)
            os.replace(staging, models / key)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _weights_beside(onnx: Any, graph: Path, weights: str) -> None:
    model = onnx.load(str(graph))
    onnx.save_model(
        model,
        str(graph),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=weights,
        size_threshold=1024,
    )
    (graph.parent / weights).chmod(0o644)  # onnx writes it private; the index folder is not


def _export(location: str, work: Path) -> dict[str, Any]:
    with warnings.catch_warnings():
        # The tracer's warnings are about control flow that the exported shapes never take.
        warnings.simplefilter("ignore")
        return _export_quietly(location, work)


def _export_quietly(location: str, work: Path) -> dict[str, Any]:
    from .sentence_transformer import SentenceTransformerEmbedder, quiet_libraries

    quiet_libraries()
    try:
        import onnx
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelError(f"exporting a model needs torch, onnx and sentence-transformers ({exc})") from exc

    path = Path(location)
    modules = json.loads((path / "modules.json").read_text())
    pooling = _pooling(path, modules)
    normalize = any(m["type"].endswith("Normalize") for m in modules)
    st = SentenceTransformerEmbedder(location).model  # a model that will not load is a ModelError
    transformer = st[0].auto_model.eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if pooling == "cls":
                vector = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                vector = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(vector, p=2, dim=1) if normalize else vector

    example = torch.ones(2, 8, dtype=torch.long)
    axes = {"b": 0, "s": 1}
    torch.onnx.export(
        Encoder(),
        (example, example, torch.zeros_like(example)),
        str(work / FP32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["embedding"],
        dynamic_axes={
            "input_ids": {v: k for k, v in axes.items()},
            "attention_mask": {v: k for k, v in axes.items()},
            "token_type_ids": {v: k for k, v in axes.items()},
            "embedding": {0: "b"},
        },
        opset_version=17,
        dynamo=False,
    )
    # Weights of the matrix products only, per output channel: the embeddings and layer norms
    # stay in full precision, which keeps the vectors close to the original's (int8_agreement
    # checks how close, for each model exported).
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer logs advice through the root logger
    quantize_dynamic(
        str(work / FP32),
        str(work / INT8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    for graph, weights in WEIGHTS.items():
        _weights_beside(onnx, work / graph, weights)
    shutil.copy(path / TOKENIZER, work / TOKENIZER)
    getter = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    agreement = int8_agreement(work)
    return {
        "export_version": EXPORT_VERSION,
        "dimension": int(getter()),
        "max_tokens": int(st.max_seq_length),
        "pooling": pooling,
        "normalize": normalize,
        "int8_cosine": round(agreement, 4),
        "int8": agreement >= INT8_MIN_COSINE,
    }


def graph_feed(ids: Any, inputs: Collection[str]) -> dict[str, Any]:
    """The inputs for one unpadded row of token ids, as far as the graph reads them (MPNet models
    read no token_type_ids)."""
    import numpy as np

    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    return {name: value for name, value in feed.items() if name in inputs}


def int8_agreement(folder: Path) -> float:
    """Mean cosine between the int8 and the full-precision graph's vectors of SAMPLES."""
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
    tokenizer.no_padding()
    cosines = []
    sessions = [
        ort.InferenceSession(str(folder / g), providers=["CPUExecutionProvider"]) for g in (FP32, INT8)
    ]
    inputs = {i.name for i in sessions[0].get_inputs()}  # quantising keeps the graph's inputs
    for text in SAMPLES:
        ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
        full, small = (s.run(None, graph_feed(ids, inputs))[0][0] for s in sessions)
        cosines.append(float(full @ small) / float(np.linalg.norm(full) * np.linalg.norm(small) or 1.0))
    return float(np.mean(cosines))
