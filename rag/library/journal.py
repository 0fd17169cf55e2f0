"""A library change as one undoable transaction, and atomic file writes.

:class:`Transaction` writes the journal (``.library-journal.json``) before each step: the manifest
and the library file as they were, each move before it is made, each file it creates. Deleting
the journal commits. :meth:`Transaction.undo` puts back what a journal says was done: the moves
in reverse, the created files deleted, the rewritten files as they were; the library runs it on the
journal a killed process left, before its next change.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag.errors import PlanqaError
from rag.index.directory import fsync_dir

JOURNAL_FILE = ".library-journal.json"


def write_atomic(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, fsync, ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class Transaction:
    """One change, undoable until :meth:`commit` (see the module doc); ``files`` are the files (names
    in ``root``) it may rewrite whole, kept in the journal as they were."""

    def __init__(self, root: Path, op: str, files: tuple[str, ...]) -> None:
        self.root = root
        self.record: dict[str, Any] = {
            "op": op,
            "pid": os.getpid(),
            "at": time.time(),
            "files": {
                name: (root / name).read_text(encoding="utf-8-sig") if (root / name).is_file() else None for name in files
            },
            "moves": [],
            "created": [],
        }
        self._save()

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.root)

    def _save(self) -> None:
        write_atomic(self.root / JOURNAL_FILE, json.dumps(self.record, ensure_ascii=False))

    def move(self, src: Path, dst: Path) -> None:
        self.record["moves"].append([self._rel(src), self._rel(dst)])
        self._save()
        os.replace(src, dst)
        fsync_dir(dst.parent)

    def create(self, path: Path, text: str) -> None:
        self.record["created"].append(self._rel(path))
        self._save()
        write_atomic(path, text)

    def write(self, name: str, text: str) -> None:
        """Rewrite one of the transaction's ``files`` (atomically)."""
        if name not in self.record["files"]:
            raise ValueError(f"{name} is not among this transaction's files")
        write_atomic(self.root / name, text)

    def commit(self) -> None:
        (self.root / JOURNAL_FILE).unlink()
        fsync_dir(self.root)

    def rollback(self) -> None:
        self.undo(self.root, self.record)

    @staticmethod
    def undo(root: Path, record: Mapping[str, Any]) -> None:
        """Put back what a journal says was done (the moves in reverse, the files as they were)."""

        def inside(rel: str) -> Path:
            path = (root / rel).resolve()
            if root.resolve() not in path.parents:
                raise PlanqaError("资料库日志内容无效。", f"journal path outside corpus: {rel!r}")
            return path

        for src, dst in reversed(record.get("moves", [])):
            s, d = inside(src), inside(dst)
            if d.exists() and not s.exists():
                s.parent.mkdir(parents=True, exist_ok=True)
                os.replace(d, s)
        for rel in record.get("created", []):
            inside(rel).unlink(missing_ok=True)
        for name, old in record.get("files", {}).items():
            if old is None:
                inside(name).unlink(missing_ok=True)
            else:
                write_atomic(inside(name), old)
        (root / JOURNAL_FILE).unlink(missing_ok=True)
        fsync_dir(root)
