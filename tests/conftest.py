from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from r2p_search.embedding import HashingEmbedder

# CI runs the same generated examples every time, so that a red build names a change, not a
# draw; local runs draw new examples and keep finding new cases.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Exported models are cached for the run in a folder of its own, never in the user's cache.
if "R2P_CACHE" not in os.environ:
    import atexit
    import tempfile

    os.environ["R2P_CACHE"] = tempfile.mkdtemp(prefix="r2p-test-cache-")
    # Each run leaves no exported model behind (about 150 MB).
    atexit.register(shutil.rmtree, os.environ["R2P_CACHE"], True)

REPO = Path(__file__).resolve().parents[1]
SHIPPED_CORPUS = REPO / "corpus"
SEED = SHIPPED_CORPUS / "2011-09-23_sg_r2p_roundtable.txt"
UNGDC = REPO.parent / "shared" / "data" / "ungdc"


@pytest.fixture
def ungdc() -> Path:
    if not UNGDC.is_dir():
        pytest.skip(
            f"real General Debate files not found at {UNGDC} (the shared data folder beside the repo)"
        )
    return UNGDC


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder(64)


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write each file under `root` (text as UTF-8, bytes as they are); returns `root`."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "corpus"
        root.mkdir(exist_ok=True)
        return write_files(root, files)

    return make


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "seed-corpus"
    root.mkdir()
    shutil.copy(SEED, root / SEED.name)
    return root


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "r2p_search", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


SPEECH = {
    "alpha.txt": (
        "Geneva, 3 March 2012 - Remarks on the protection of civilians\n\n"
        "The protection of civilians in armed conflict is a duty of every State.\n\n"
        "Famine and drought threaten the harvests of farmers across the region this year.\n\n"
        "Thank you.\n"
    ),
    "beta.txt": (
        "Nuclear disarmament and the non-proliferation treaty remain the priorities of our delegation.\n\n"
        "Climate change and rising seas threaten small island developing States in the Pacific.\n"
    ),
    "sub/gamma.md": (
        "# Statement on Libya\n\n"
        "The Security Council authorised measures to protect civilians in Libya under resolution 1973.\n\n"
        "Regional organisations such as the African Union must be partners in prevention.\n"
    ),
}
