"""What a format's reader returns, and the bounds every reader keeps to."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .. import config
from ..errors import BadFileError
from .model import Block


@dataclass
class Read:
    """One file as its reader understood it, before the file name and metadata.csv are applied."""

    body: str
    blocks: list[Block] | None = None  # None: plain text, which the splitter cuts into paragraphs
    meta: dict[str, Any] = field(default_factory=dict)  # inferred from the content
    given: dict[str, Any] = field(default_factory=dict)  # stated by the file (front matter): wins
    title: str | None = None


class Deadline:
    """A time budget for reading one file, checked between pages and parts: a file that takes too
    long is skipped with a reason instead of holding up the whole build."""

    def __init__(self, source: str, seconds: float | None = None) -> None:
        self.source = source
        self.seconds = config.MAX_SECONDS_PER_FILE if seconds is None else seconds
        self.ends = time.monotonic() + self.seconds

    def extend(self, seconds: float) -> None:
        self.seconds += seconds
        self.ends += seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise BadFileError(f"{self.source}: reading took over {self.seconds:g} s; skipped")
