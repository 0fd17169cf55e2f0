"""The documents of a corpus directory, changed safely while the corpus is served.

A :class:`Library` wraps a corpus directory: ``documents`` / ``get`` what it holds, ``add`` a file
(copied in under a safe unique name, read once to check it and to infer its metadata; the
caller's fields override the inferred ones), ``replace`` a document's file, ``update_meta``
(correct its metadata), ``remove`` it into the trash and ``restore`` it from there::

    corpus/
      manifest.json           the documents' metadata (rag.models.Manifest), written atomically
      .library.json           what the library knows beyond it: when, by whom, from which upload
                              name, size, SHA-256, the reader's warnings (by file name)
      .library.lock           every change holds an flock on it: changes are serialised across
                              threads and processes
      .library-journal.json   while a change is being made: what to undo if it is cut short
      .staging/<pid>-<hex>/   uploads being read, before they go in
      .trash/<stamp>-<file>   removed (or replaced) files, each with <stamp>-<file>.json beside
                              it: its manifest entry and library facts, for ``restore``

Nothing here is read as a document: the corpus walk (:func:`rag.docs.ingest.corpus_files`)
takes only files of a supported type directly in the directory, and no name above is one.

A document's id is its file name in the corpus. It is already the key of everything else:
the manifest, the index (``Chunk.doc``), the API's ``docs`` filter and every citation; a second
id would be one more mapping to keep in step. The library makes the names safe (no path, no
leading dot, no control characters, a supported suffix, at most 80 characters before it), so
they go into a URL path percent-encoded.

A change is one transaction (:mod:`rag.library.journal`): the journal is written (with the
manifest and library file as they were, and each move before it is made), the files are moved,
the manifest and the library file are rewritten (temporary file, fsync, ``os.replace``), and deleting the journal commits. A
process killed at any point leaves the journal; the next change (or listing) takes the lock,
finds it and undoes what was done, so the library is as it was before the cut-short change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rag.docs.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from rag.errors import PlanqaError
from rag.library.journal import JOURNAL_FILE, Transaction
from rag.models import DocMeta

LIBRARY_FILE = ".library.json"
LOCK_FILE = ".library.lock"
STAGING_DIR = ".staging"
TRASH_DIR = ".trash"
MANIFEST = "manifest.json"
MAX_STEM = 80
# the metadata a person may set or correct (``file`` is the id; ``inferred`` is the library's)
EDITABLE = (
    "title", "issuer", "doc_number", "date", "jurisdiction", "level", "parent_jurisdiction",
    "kind", "period", "implements", "implements_title",
)


class LibraryError(PlanqaError):
    """A library change refused: a Chinese message, and the HTTP status and code the API answers."""

    def __init__(self, message: str, detail: str = "", status: int = 400, code: str = "bad_input") -> None:
        super().__init__(message, detail)
        self.status = status
        self.code = code


def checkpoint(point: str) -> None:
    """Called between the steps of a change (``add:moved``, ``remove:moved`` …); a no-op that the
    crash tests replace, in a child process, by a pause to kill it in."""


class Facts(BaseModel):
    """What the library knows of a document beyond its manifest entry."""

    model_config = ConfigDict(extra="forbid")
    added_at: str
    added_by: str = ""
    original_name: str = ""  # the name it was uploaded under
    size: int
    sha256: str
    warnings: list[str] = []  # the reader's, in Chinese
    updated_at: str | None = None


class Sidecar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format_version: int = 1
    documents: dict[str, Facts] = {}


class TrashEntry(BaseModel):
    """``.trash/<id>.json``: what went to the trash with the file."""

    model_config = ConfigDict(extra="forbid")
    id: str
    file: str
    removed_at: str
    removed_by: str = ""
    reason: str = "removed"  # or "replaced"
    meta: DocMeta
    in_manifest: bool = True
    facts: Facts | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass
class Entry:
    """One document of the library."""

    meta: DocMeta
    facts: Facts | None
    in_manifest: bool  # False: a file put in the corpus by hand, described from its text at indexing
    size: int

    @property
    def id(self) -> str:
        return self.meta.file

    def to_json(self) -> dict[str, Any]:
        facts = self.facts
        return {
            "id": self.id,
            "file": self.meta.file,
            "meta": self.meta.model_dump(mode="json"),
            "in_manifest": self.in_manifest,
            "size": self.size,
            "sha256": facts.sha256 if facts else None,
            "added_at": facts.added_at if facts else None,
            "added_by": facts.added_by if facts else None,
            "original_name": facts.original_name if facts else None,
            "updated_at": facts.updated_at if facts else None,
            "warnings": list(facts.warnings) if facts else [],
        }


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def safe_name(name: str) -> str:
    """The name an upload is stored under: the last path component of ``name``, NFC, no leading
    dots, control characters, spaces or characters a shell or file system reads specially, a
    supported suffix (lower case) and at most :data:`MAX_STEM` characters before it
    ("../../x.txt" → "x.txt"; ".." and "x.exe" are refused)."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name)[-1])
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*%#\s]+", "_", base).rstrip(". ")
    stem, dot, ext = base.rpartition(".")
    suffix = f".{ext}".lower() if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise LibraryError(
            f"不支持的文件类型 {suffix or '（无扩展名）'}：{name[:100]!s}；支持 {' '.join(SUPPORTED_SUFFIXES)}",
            f"unsupported upload name {name[:100]!r}",
            415,
            "unsupported_file_type",
        )
    stem = stem.strip("._ ")[:MAX_STEM] or "document"
    return stem + suffix


def clean_fields(fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """The metadata fields a caller gave (empty strings dropped), refusing unknown ones."""
    out: dict[str, Any] = {}
    for key, value in (fields or {}).items():
        if key not in EDITABLE:
            raise LibraryError(
                f"不能设置字段 {key}：可设置 {'、'.join(EDITABLE)}。", f"unknown field {key!r}", 400, "unknown_field"
            )
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[key] = value.strip() if isinstance(value, str) else value
    return out


def _pid_alive(pid: int) -> bool:
    from rag.index.directory import _pid_alive as alive

    return alive(pid)


class Library:
    """The documents of ``root`` (a corpus directory); see the module doc."""

    def __init__(self, root: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        if not self.root.is_dir():
            raise LibraryError(
                f"语料目录不存在：{self.root}", f"corpus dir missing: {self.root}", 503, "corpus_missing"
            )

    # -- reading -----------------------------------------------------------------------

    def documents(self) -> list[Entry]:
        """Every document, by file name."""
        with self._locked(write=False):
            return self._entries()

    def get(self, doc_id: str) -> Entry:
        with self._locked(write=False):
            return self._entry(doc_id)

    def path_of(self, doc_id: str) -> Path:
        """The stored file of a document (only ids the library lists)."""
        return self.root / self.get(doc_id).id

    def trash(self) -> list[TrashEntry]:
        """What is in the trash, newest first."""
        with self._locked(write=False):
            return self._trash_entries()

    # -- changes -----------------------------------------------------------------------

    def add(self, source: Path, filename: str = "", fields: Mapping[str, Any] | None = None, by: str = "") -> Entry:
        """Copy ``source`` in (uploaded as ``filename``), with its metadata: the text's, overridden
        by ``fields``. The file is read once before anything changes: an unreadable one is refused."""
        given = clean_fields(fields)
        staged, doc = self._stage(source, safe_name(filename or source.name))
        try:
            with self._locked():
                metas = self._manifest_metas()
                name = self._unique(staged.name, metas)
                meta = self._meta(doc.meta.model_dump(), given, name, metas, inferred=not given)
                facts = Facts(
                    added_at=now(), added_by=by, original_name=(filename or source.name)[:200],
                    size=staged.stat().st_size, sha256=doc.sha256, warnings=list(doc.warnings),
                )
                with self._transaction("add") as txn:
                    txn.move(staged, self.root / name)
                    checkpoint("add:moved")
                    txn.write_manifest([*metas.values(), meta])
                    checkpoint("add:manifest")
                    txn.write_sidecar({**self._sidecar().documents, name: facts})
                return Entry(meta, facts, True, facts.size)
        finally:
            shutil.rmtree(staged.parent, ignore_errors=True)

    def replace(self, doc_id: str, source: Path, filename: str = "", by: str = "") -> Entry:
        """A new file for a document; its metadata is kept (a corrected entry stays corrected; an
        entry read from the text is read again from the new one). The old file goes to the trash.
        The id stays, unless the new file's type differs (``x.doc`` replaced by a .docx: ``x.docx``)."""
        new_suffix = os.path.splitext(safe_name(filename or source.name))[1]
        self.get(doc_id)  # an unknown id is refused before the upload is read
        staged, doc = self._stage(source, Path(doc_id).stem + new_suffix)
        try:
            with self._locked():
                old = self._entry(doc_id)
                metas = self._manifest_metas()
                name = staged.name if staged.name == old.id else self._unique(staged.name, metas)
                if old.in_manifest and not old.meta.inferred:
                    meta = old.meta.model_copy(update={"file": name})
                else:
                    meta = self._meta(doc.meta.model_dump(), {}, name, metas, inferred=True)
                stamp = now()
                facts = Facts(
                    added_at=old.facts.added_at if old.facts else stamp, added_by=old.facts.added_by if old.facts else by,
                    original_name=(filename or source.name)[:200], size=staged.stat().st_size,
                    sha256=doc.sha256, warnings=list(doc.warnings), updated_at=stamp,
                )
                sidecar = dict(self._sidecar().documents)
                sidecar.pop(old.id, None)
                with self._transaction("replace") as txn:
                    self._to_trash(txn, old, by, "replaced")
                    txn.move(staged, self.root / name)
                    checkpoint("replace:moved")
                    txn.write_manifest([meta if f == old.id else m for f, m in metas.items()] + ([] if old.in_manifest else [meta]))
                    txn.write_sidecar({**sidecar, name: facts})
                return Entry(meta, facts, True, facts.size)
        finally:
            shutil.rmtree(staged.parent, ignore_errors=True)

    def update_meta(self, doc_id: str, fields: Mapping[str, Any], by: str = "") -> Entry:
        """Correct a document's metadata (the fields given; an empty string leaves a field as it is)."""
        given = clean_fields(fields)
        if not given:
            raise LibraryError("没有要修改的字段。", "no fields", 400, "no_fields")
        with self._locked():
            old = self._entry(doc_id)
            metas = self._manifest_metas()
            base = old.meta.model_dump() if old.in_manifest else self._read(self.root / old.id).meta.model_dump()
            meta = self._meta(base, given, old.id, metas, inferred=False)
            sidecar = dict(self._sidecar().documents)
            if old.facts is not None:
                sidecar[old.id] = old.facts.model_copy(update={"updated_at": now()})
            with self._transaction("update") as txn:
                listed = [meta if f == old.id else m for f, m in metas.items()]
                txn.write_manifest(listed if old.in_manifest else [*listed, meta])
                txn.write_sidecar(sidecar)
            return Entry(meta, sidecar.get(old.id), True, old.size)

    def remove(self, doc_id: str, by: str = "") -> TrashEntry:
        """Move a document (its file, manifest entry and facts) into the trash."""
        with self._locked():
            old = self._entry(doc_id)
            metas = self._manifest_metas()
            sidecar = dict(self._sidecar().documents)
            sidecar.pop(old.id, None)
            with self._transaction("remove") as txn:
                item = self._to_trash(txn, old, by, "removed")
                checkpoint("remove:moved")
                txn.write_manifest([m for f, m in metas.items() if f != old.id])
                txn.write_sidecar(sidecar)
            return item

    def restore(self, trash_id: str, by: str = "") -> Entry:
        """Put a document back from the trash (under a new name if its name has been taken since)."""
        with self._locked():
            item = next((t for t in self._trash_entries() if t.id == trash_id), None)
            if item is None:
                raise LibraryError(f"回收站中没有 {trash_id[:120]}。", f"no trash item {trash_id[:120]!r}", 404, "not_in_trash")
            metas = self._manifest_metas()
            name = self._unique(item.file, metas)
            meta = item.meta.model_copy(update={"file": name})
            sidecar = dict(self._sidecar().documents)
            if item.facts is not None:
                sidecar[name] = item.facts.model_copy(update={"updated_at": now()})
            trash = self.root / TRASH_DIR
            with self._transaction("restore") as txn:
                txn.move(trash / item.id, self.root / name)
                if item.in_manifest:
                    txn.write_manifest([*metas.values(), meta])
                txn.write_sidecar(sidecar)
            (trash / f"{item.id}.json").unlink(missing_ok=True)  # after the commit: an orphan is skipped
            return Entry(meta, sidecar.get(name), item.in_manifest, (self.root / name).stat().st_size)

    # -- inside -------------------------------------------------------------------------

    def _read(self, path: Path) -> Any:
        from rag.docs.ingest import ingest_file

        return ingest_file(path)

    def _stage(self, source: Path, name: str) -> tuple[Path, Any]:
        """Copy an upload into a private staging directory and read it (outside the lock: reading
        a long scanned PDF takes a while)."""
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise LibraryError(f"无法打开文件：{source.name}", repr(exc), 400, "unreadable") from exc
        if size > self.max_bytes:
            raise LibraryError(
                f"文件过大（{size / (1024 * 1024):.1f} MB），上限为 {self.max_bytes / (1024 * 1024):.0f} MB。",
                f"upload too large: {size} bytes", 413, "file_too_large",
            )
        if size == 0:
            raise LibraryError("文件为空。", "empty upload", 400, "empty_file")
        staging = self.root / STAGING_DIR
        staging.mkdir(exist_ok=True)
        folder = staging / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        folder.mkdir()
        staged = folder / name
        try:
            shutil.copyfile(source, staged)
            with open(staged, "rb") as fh:
                os.fsync(fh.fileno())
            doc = self._read(staged)
        except PlanqaError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, LibraryError):
                raise
            raise LibraryError(exc.message, exc.detail, 400, "unreadable_file") from exc
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return staged, doc

    def _meta(self, base: dict[str, Any], given: dict[str, Any], name: str, metas: Mapping[str, DocMeta], inferred: bool) -> DocMeta:
        # a field a person gives is no longer read from the text: its provenance goes
        provenance = {k: v for k, v in (base.get("provenance") or {}).items() if k not in given}
        raw = {**base, **given, "file": name, "inferred": inferred, "provenance": provenance}
        try:
            meta = DocMeta.model_validate(raw)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise LibraryError(
                f"字段 {where} 的值无效（层级 level 可用 province、city、county）。", str(exc), 400, "bad_field"
            ) from exc
        if "implements" in given and meta.implements not in metas and not (self.root / str(meta.implements)).is_file():
            raise LibraryError(
                f"implements 应为语料库中一篇规划的文件名，没有 {meta.implements}。", "unknown implements", 400, "bad_field"
            )
        return meta

    def _unique(self, name: str, metas: Mapping[str, DocMeta]) -> str:
        stem, suffix = os.path.splitext(name)
        taken = {p.name.lower() for p in self.root.iterdir()} | {f.lower() for f in metas}
        candidate, n = name, 1
        while candidate.lower() in taken:
            n += 1
            candidate = f"{stem}-{n}{suffix}"
        return candidate

    def _manifest_raw(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        if not path.is_file():
            return {"documents": []}
        from rag.docs.ingest import read_manifest

        read_manifest(self.root)  # checks it (a malformed manifest is a ConfigError naming it)
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
        return data

    def _manifest_metas(self) -> dict[str, DocMeta]:
        return {d["file"]: DocMeta.model_validate(d) for d in self._manifest_raw().get("documents", [])}

    def _sidecar(self) -> Sidecar:
        path = self.root / LIBRARY_FILE
        if not path.is_file():
            return Sidecar()
        try:
            return Sidecar.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as exc:
            raise LibraryError(
                f"资料库记录 {path} 已损坏：请从备份恢复或删除该文件（文档本身不受影响）。",
                f"bad sidecar {path}: {exc}", 503, "library_damaged",
            ) from exc

    def _entries(self) -> list[Entry]:
        from rag.docs.ingest import corpus_files

        metas = self._manifest_metas()
        facts = self._sidecar().documents
        out = []
        for path in corpus_files(self.root):
            meta = metas.get(path.name) or DocMeta(file=path.name, title=path.stem, inferred=True)
            out.append(Entry(meta, facts.get(path.name), path.name in metas, path.stat().st_size))
        return out

    def _entry(self, doc_id: str) -> Entry:
        found = next((e for e in self._entries() if e.id == doc_id), None)
        if found is None:
            raise LibraryError(f"资料库中没有文档 {doc_id[:120]}。", f"no document {doc_id[:120]!r}", 404, "document_not_found")
        return found

    def _trash_entries(self) -> list[TrashEntry]:
        trash = self.root / TRASH_DIR
        if not trash.is_dir():
            return []
        out = []
        for side in trash.glob("*.json"):
            try:
                item = TrashEntry.model_validate_json(side.read_text(encoding="utf-8"))
            except (ValidationError, ValueError):
                continue
            if item.id == side.name[:-5] and (trash / item.id).is_file():
                out.append(item)
        return sorted(out, key=lambda t: t.id, reverse=True)

    def _to_trash(self, txn: _Change, old: Entry, by: str, reason: str) -> TrashEntry:
        trash = self.root / TRASH_DIR
        trash.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        item = TrashEntry(
            id=f"{stamp}-{old.id}", file=old.id, removed_at=now(), removed_by=by, reason=reason,
            meta=old.meta, in_manifest=old.in_manifest, facts=old.facts,
        )
        txn.create(trash / f"{item.id}.json", item.model_dump_json(indent=1))
        txn.move(self.root / old.id, trash / item.id)
        return item

    @contextmanager
    def _locked(self, write: bool = True) -> Iterator[None]:
        """The library's lock (``flock``, so across processes too); a change cut short by a killed
        process is undone first. A corpus this process may not write is still read (unlocked)."""
        import fcntl

        try:
            fh = open(self.root / LOCK_FILE, "a+")  # noqa: SIM115 - closed below
        except OSError:
            if write:
                raise LibraryError(
                    f"语料目录 {self.root} 不可写，资料库不能修改。", f"cannot open lock in {self.root}", 503, "corpus_read_only"
                ) from None
            yield
            return
        with fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                self._recover()
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def _transaction(self, op: str) -> Iterator[_Change]:
        txn = _Change(self, op)
        try:
            yield txn
        except BaseException:
            txn.rollback()
            raise
        txn.commit()

    def _recover(self) -> None:
        journal = self.root / JOURNAL_FILE
        if journal.is_file():
            try:
                data = json.loads(journal.read_text(encoding="utf-8"))
            except ValueError:  # the journal itself was cut short: nothing was changed after it
                journal.unlink()
            else:
                Transaction.undo(self.root, data)
        staging = self.root / STAGING_DIR
        if staging.is_dir():
            for folder in staging.iterdir():
                pid = folder.name.split("-", 1)[0]
                if not pid.isdigit() or (int(pid) != os.getpid() and not _pid_alive(int(pid))):
                    shutil.rmtree(folder, ignore_errors=True)


class _Change(Transaction):
    """A library transaction: it rewrites the manifest (its other keys kept as they were) and the
    library file."""

    def __init__(self, library: Library, op: str) -> None:
        self._raw = library._manifest_raw()
        super().__init__(library.root, op, (MANIFEST, LIBRARY_FILE))

    def write_manifest(self, metas: list[DocMeta]) -> None:
        raw = dict(self._raw)
        raw["documents"] = [m.model_dump(mode="json", exclude_defaults=True) for m in metas]
        self.write(MANIFEST, json.dumps(raw, ensure_ascii=False, indent=2) + "\n")

    def write_sidecar(self, documents: Mapping[str, Facts]) -> None:
        self.write(LIBRARY_FILE, Sidecar(documents=dict(sorted(documents.items()))).model_dump_json(indent=1))
