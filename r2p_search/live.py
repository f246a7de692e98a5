"""A live index: a long-running process serves each new build once it is committed.

`r2p-search index` commits a build by renaming a new manifest.json into place. A watcher thread
looks at that file every `check_every` seconds; when it names a new generation, the new build
is opened beside the old one and swapped in. Every request leases the build that is current
when it starts and keeps it to the end, so no answer mixes two builds; an old build is closed
when its last lease is returned.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import IndexMissingError, R2PError
from .store import MANIFEST, read_manifest

if TYPE_CHECKING:
    from .search import Index

CHECK_EVERY = 1.0
"""Seconds between looks at manifest.json: a new build is served within about this long."""


def default_workers() -> int:
    """Requests answered at once; the rest wait their turn.

    A question is CPU work from end to end (embedding, the vector scan, BM25): twenty at once
    on two cores answer fewer per second than three at a time, each of them slower, all of
    them holding memory (benchmarks/README.md, "serve against the command line").
    """
    return (os.cpu_count() or 1) + 1


@dataclass
class _Build:
    index: Index
    generation: str
    leases: int = 0
    retired: bool = False


class LiveIndex:
    """The current build of one index folder, swapped for the next when it is committed."""

    def __init__(
        self,
        index_dir: Path,
        check_every: float = CHECK_EVERY,
        opener: Callable[[Path], Index] | None = None,
        notify: Callable[[str], None] | None = None,
        workers: int | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.check_every = check_every
        self._opener = opener or _open
        self._notify = notify or (lambda message: print(message, file=sys.stderr))
        self._lock = threading.Lock()
        self._current: _Build | None = None
        self._seen: tuple[int, int, int] | None = None  # manifest's inode, size, mtime when last read
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.problem: str | None = None  # why no build is served, if none is
        self._turns = threading.BoundedSemaphore(workers or default_workers())

    def start(self) -> LiveIndex:
        """Open the current build (if there is one) and start watching for the next."""
        self.refresh()
        self._watcher = threading.Thread(target=self._watch, name="r2p-live-index", daemon=True)
        self._watcher.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._lock:
            build, self._current = self._current, None
            idle = build is not None and build.leases == 0
            if build is not None:
                build.retired = True
        if build is not None and idle:
            build.index.close()

    def __enter__(self) -> LiveIndex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def generation(self) -> str | None:
        build = self._current
        return build.generation if build else None

    @contextlib.contextmanager
    def lease(self) -> Iterator[Index]:
        """The current build, kept open until the block ends (a new one may be served meanwhile).

        At most `workers` leases are held at once: a request waits here for its turn.
        """
        with self._turns:
            with self._build() as index:
                yield index

    @contextlib.contextmanager
    def _build(self) -> Iterator[Index]:
        with self._lock:
            build = self._current
            if build is None:
                raise IndexMissingError(self.problem or f"no index at {self.index_dir}")
            build.leases += 1
        try:
            yield build.index
        finally:
            with self._lock:
                build.leases -= 1
                done = build.retired and build.leases == 0
            if done:
                build.index.close()

    def refresh(self) -> bool:
        """Serve the build manifest.json names now, if it is not the one served; True if swapped."""
        try:
            stat = (self.index_dir / MANIFEST).stat()
        except OSError:
            self._seen = None
            if self._current is None:
                self.problem = f"no index at {self.index_dir}; build one with: r2p-search index"
            return False
        seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if seen == self._seen:
            return False
        try:
            manifest = read_manifest(self.index_dir)
            if manifest is None or (self._current and manifest.generation == self._current.generation):
                self._seen = seen
                return False
            index = self._opener(self.index_dir)
            try:
                index.embed_queries(["warm"])  # the model loads here, not in the first request
            except BaseException:
                index.close()
                raise
        except R2PError as exc:
            # A damaged build, or a model that will not load: keep serving what works, say why
            # once, and do not try this manifest again (the next commit replaces the file).
            self._seen = seen
            if str(exc) != self.problem:
                self._notify(f"index not (re)loaded: {exc}")
            self.problem = str(exc)
            return False
        self._seen = seen
        waited, self.problem = self.problem is not None, None
        close_old = False
        with self._lock:
            if self._stop.is_set():  # closed while this build was loading: it is not served
                index.close()
                return False
            old, self._current = self._current, _Build(index, index.store.manifest.generation)
            if old is not None:
                old.retired = True
                close_old = old.leases == 0
        if old is not None or waited:  # the first build of a start is what was asked for: no news
            self._notify(f"serving {'the new build ' if old else ''}{self._current.generation}")
        if old is not None and close_old:
            old.index.close()
        return True

    def _watch(self) -> None:
        said = ""
        while not self._stop.wait(self.check_every):
            try:
                self.refresh()
            except Exception as exc:  # the watcher must outlive any one bad look at the folder
                message = f"index watcher: {type(exc).__name__}: {exc}"
                if message != said:
                    self._notify(message)
                said = message


def _open(index_dir: Path) -> Index:
    from .search import Index

    return Index.open(index_dir, preload=True)
