"""The errors a user can meet.

Every exception here carries a message meant for a person: the CLI prints it on one line and
exits with code 1. Anything else escaping the core is a bug, not a user mistake.
"""

from __future__ import annotations

REBUILD_HINT = "rebuild the index with: r2p-search index --full"
"""What every message about a damaged or outdated index ends with."""


class R2PError(Exception):
    """Base class: a problem the user can understand and fix."""


class CorpusError(R2PError):
    """The corpus folder is missing, empty or unusable."""


class BadFileError(R2PError):
    """One corpus file cannot be read as text; it is skipped, the rest is indexed."""


class IndexMissingError(R2PError):
    """No index has been built at the given path."""


class IndexCorruptError(R2PError):
    """The index exists but cannot be trusted: damaged, incomplete or from a mixed build."""


class IndexLockedError(R2PError):
    """Another process is rebuilding the index."""


class ClusterError(R2PError):
    """The Ray cluster of `index --ray` is missing, unreachable, or failed the build."""


class ModelError(R2PError):
    """The embedding model cannot be loaded, or does not match the index."""


class QueryError(R2PError):
    """The query or its options make no sense (empty query, k < 1, ...)."""


class PassageNotFoundError(R2PError):
    """No passage with the given id exists in the index."""


class QualityError(R2PError):
    """Measured retrieval quality is below the level a caller required."""


class IndexPathError(R2PError):
    """--index names a file, or a folder of other things: an index is never written there."""
