"""The package's shape: every module imports on its own, and no two modules import each other.

Imports are read from the source (inside functions and under TYPE_CHECKING too), so a cycle
that only shows on one code path is caught here rather than by a user.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "r2p_search"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports, wherever in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"  # "from . import selection" imports a module
                found.add(child if child in known else target)
    return {m for m in found if m in known and m != name}


def test_no_two_modules_import_each_other() -> None:
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    facade = "r2p_search"  # the package's lazy facade re-exports; it is not a stage
    pairs = sorted(
        (a, b)
        for a, deps in graph.items()
        for b in deps
        if a < b and a in graph.get(b, ()) and facade not in (a, b)
    )
    assert pairs == []

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            for nxt in graph[stack.pop()] - {facade}:
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    cycles = sorted(name for name in graph if name != facade and reaches(name, name))
    assert cycles == []


@pytest.mark.parametrize("name", [m for m in modules() if not m.endswith("__main__")])
def test_every_module_imports_on_its_own(name: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
