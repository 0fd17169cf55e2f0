"""The package layout the subpackages' docstrings promise: who may import whom.

docs ← index ← qa ← check / eval ← ui / cli (and docs ← index ← library ← ui / cli), with models, errors and settings shared by all.
Every import is read from the source (function-level imports too), so a lazy import that
breaks the direction fails here as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = {"rag", "rag.models", "rag.errors", "rag.settings", "rag.data"}
# what each room may import besides itself and the shared modules
ALLOWED = {
    "rag.docs": set(),
    "rag.index": {"rag.docs"},
    "rag.qa": {"rag.docs", "rag.index"},
    "rag.check": {"rag.docs", "rag.index", "rag.qa"},
    "rag.eval": {"rag.docs", "rag.index", "rag.qa"},
    "rag.library": {"rag.docs", "rag.index"},
    "ui": {"rag.docs", "rag.index", "rag.qa", "rag.check", "rag.eval", "rag.library"},
    "rag.cli": {"rag.docs", "rag.index", "rag.qa", "rag.check", "rag.eval", "rag.library", "ui"},
}
SHARED_MAY_IMPORT = {"rag.models": set(), "rag.errors": set(), "rag.settings": {"rag.errors"}}


def room(module: str) -> str:
    if module.startswith("ui"):
        return "ui"
    parts = module.split(".")
    return ".".join(parts[:2])


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted([*(ROOT / "rag").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.split(".")[0] in ("rag", "ui")}


def test_rag_root_holds_only_the_shared_modules_and_the_cli() -> None:
    root_modules = {p.stem for p in (ROOT / "rag").glob("*.py")}
    assert root_modules == {"__init__", "models", "errors", "settings", "cli"}


@pytest.mark.parametrize("module,path", modules(), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_imports_follow_the_layers(module: str, path: Path) -> None:
    own = room(module)
    if module in SHARED_MAY_IMPORT:
        allowed = SHARED_MAY_IMPORT[module] | {module}
        bad = {m for m in imports(path) if m not in allowed}
    elif module == "rag":
        bad = imports(path)
    else:
        assert own in ALLOWED, f"{module} is in no room: add it to a subpackage"
        allowed = ALLOWED[own] | {own}
        bad = {m for m in imports(path) if m not in SHARED and room(m) not in allowed}
    assert not bad, f"{module} imports {sorted(bad)}, against the layer rule"


def test_the_rule_catches_a_backward_import(tmp_path: Path) -> None:
    """The checker itself: a docs module importing qa is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from rag.qa.answer import Answerer\n", encoding="utf-8")
    assert imports(bad) == {"rag.qa.answer"}
    assert room("rag.qa.answer") not in ALLOWED["rag.docs"]
