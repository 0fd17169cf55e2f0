"""A small corpus of two real documents, and a third to add (fast with the keyword embedder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS

SMALL = ("jilin_work_points_2021.txt", "jilin_work_points_2025.txt")
NEW = "jilin_work_points_2023.txt"  # the document added in the tests: real text, no chunk shared with SMALL


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for name in SMALL:
        shutil.copyfile(CORPUS / name, root / name)
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"] = [d for d in manifest["documents"] if d["file"] in SMALL]
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return root


@pytest.fixture()
def upload(tmp_path: Path) -> Path:
    """The new document as an upload (somewhere outside the corpus, under another name)."""
    path = tmp_path / "uploads" / "2023年工作要点.txt"
    path.parent.mkdir()
    shutil.copyfile(CORPUS / NEW, path)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under a corpus directory (the lock file aside), by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".library.lock"
    }
