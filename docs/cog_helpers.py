"""What the cog blocks in docs/commands.md and README.md print (https://cog.readthedocs.io).

    make docs        # = python -m cogapp -r -I docs docs/commands.md README.md

docs/commands.md holds each command's `--help` as the command prints it, and README.md's tour
holds commands run on the shipped corpus with what they print: both are written here, never by
hand, so they cannot drift from the code. tests/test_docs.py fails when docs/commands.md is not
what this module makes of today's code (the tour needs the model, so no test regenerates it).

Both are rendered the same way on every machine: a fixed terminal width, no colour, and none of
the environment variables that change a default or force a terminal.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELP_COLUMNS = 100
_PROGRESS_BAR = re.compile(r"━ .*\d+%")  # "Embedding ━━━━━━ 25/25 100%  0:00:02 eta 0:00:00"
TOUR_COLUMNS = 80
# Variables that would change what --help or a command prints: a default (R2P_*), a forced
# terminal or colours (typer and rich read these), a terminal width.
_DROPPED = ("FORCE_COLOR", "PY_COLORS", "CLICOLOR_FORCE", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "LINES")

# The command as a user types it, run with this checkout's code whatever is installed; Click
# names the program after sys.argv[0].
_COMMAND = [
    sys.executable,
    "-c",
    "import sys; sys.argv[0] = 'r2p-search'; from r2p_search.cli import main; main()",
]


def _env(columns: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("R2P_") and k not in _DROPPED}
    env.update(
        COLUMNS=str(columns),
        NO_COLOR="1",
        TERM="dumb",
        PYTHONUNBUFFERED="1",  # stdout and stderr reach the pipe in the order they are written
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    return env


def _clean(text: str) -> str:
    # rich pads every line to the terminal's width; the page keeps none of that padding.
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def help_text(*command: str) -> str:
    """`r2p-search COMMAND --help` as a 100-column terminal without colour shows it."""
    done = subprocess.run(
        [*_COMMAND, *command, "--help"],
        env=_env(HELP_COLUMNS),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return _clean(done.stdout)


def help_block(*command: str) -> None:
    """A cog block's output: the help of one command (none: of r2p-search itself) in a fence."""
    import cog  # provided by cogapp while it runs the blocks

    shown = " ".join(["r2p-search", *command, "--help"])
    cog.outl(f"```text\n$ {shown}\n{help_text(*command)}\n```")


class Tour:
    """Commands run one after the other in a scratch copy of the repository's corpus/ (and
    tests/eval/, for eval).

    The tour's first command meets no index, as a new user's does; later commands see what the
    earlier ones built. Paths in the output are the ones the user would see (./corpus, ./index).
    """

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="r2p-tour-"))
        shutil.copytree(ROOT / "corpus", self.dir / "corpus")
        shutil.copytree(ROOT / "tests" / "eval", self.dir / "tests" / "eval")

    def run(self, line: str) -> str:
        args = shlex.split(line)
        assert args[0] == "r2p-search", line
        done = subprocess.run(
            [*_COMMAND, *args[1:]],
            env=_env(TOUR_COLUMNS),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.dir,
        )
        # A terminal redraws a progress bar in place until it is gone; a pipe gets its last state.
        lines = [line for line in done.stdout.splitlines() if not _PROGRESS_BAR.search(line)]
        text = _clean("\n".join(lines)).replace(str(self.dir) + os.sep, "")
        return f"$ {line}\n{text}" + (f"\n(exit code {done.returncode})" if done.returncode else "")

    def block(self, *lines: str) -> None:
        """A cog block's output: each command with what it printed, in one fence."""
        import cog

        cog.outl("```text\n" + "\n\n".join(self.run(line) for line in lines) + "\n```")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def commands_in_page(page: str) -> set[str]:
    """The commands whose help a page's cog blocks insert."""
    return {m.group(1) for m in re.finditer(r'help_block\("([a-z]+)"\)', page)}
