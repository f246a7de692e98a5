"""What every embedder shares: the protocol, the prompts a model declares, and what it reads."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

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

    @property
    def encoder(self) -> str:
        """What runs the model, as the manifest records it: "onnx", "sentence-transformers", "hash"."""
        ...

    @property
    def export(self) -> str | None:
        """The folder name of the model's ONNX export under the index, if it runs from one."""
        ...

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...

    def settle(self) -> None:
        """Wait for any model load still running in the background (before the process exits)."""
        ...


def embedding_input(label: str, text: str, prompt: str = "") -> str:
    """What the model reads for a passage: its model's prompt, its document's label, its text."""
    return prompt + (f"{label}: {text}" if label else text)


def cores() -> int:
    return min(os.cpu_count() or 1, 8)
