"""Build, save and load an index directory (FAISS + BM25 + chunks + manifest).

An index is a plain directory, no pickle anywhere::

    indexes/default/
      CURRENT            the name of the version in use ("v-…")
      v-1764…-4242/      one complete build:
        manifest.json      format version, model, dimension, chunker, tokenizer, corpus hashes
        chunks.jsonl       one chunk per line (ensure_ascii=False)
        docs.json          each document's metadata
        vectors.npy        float32 (N, dim) embeddings, row i = chunk i
        dense.faiss        the FAISS index over those vectors (the default vector store)
        milvus.db          instead of dense.faiss when built with --vector-store milvus (Milvus Lite);
                           a Milvus server keeps the vectors itself and the manifest names its collection
        bm25/              bm25s arrays (allow_pickle=False) and vocabulary

A build writes a new version in ``.tmp-<pid>-…/``, renames it to ``v-…`` and
then replaces ``CURRENT`` (one atomic rename), so a build killed at any point
leaves the previous index in use, and a process reading the index while a
rebuild runs reads one whole version: it reads ``CURRENT`` once, and the
version it names is kept until the build after next. Leftovers of killed
builds are removed by the next build. (An index written before versions, with
its files directly in the directory, is still read, and replaced by the next
build.) Re-indexing reuses the vectors of every chunk whose embedded text is
unchanged (content hashes), so editing one file re-embeds only that file's
chunks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from rag.docs.ingest import corpus_files, file_sha256, ingest_corpus
from rag.errors import IndexMismatchError, IndexMissingError, StaleIndexError
from rag.index.chunking import ChunkParams, chunk_document
from rag.index.tokenize import dictionary_version, tokenize
from rag.index.vectorstore import StoreEntry, VectorStore, hnsw_ef_search
from rag.models import Chunk, DocMeta, Filters

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: table and table_row chunks carry their table's cells
EXACT_LIMIT = 50_000  # above this many vectors FAISS uses HNSW instead of exact search


class DocEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sha256: str
    chunks: int


class IndexManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format_version: int
    created: str
    embedder: str
    dim: int
    chunker: dict[str, int]
    tokenizer: str
    faiss: str
    n_chunks: int
    documents: dict[str, DocEntry]
    vector_store: StoreEntry = StoreEntry()


@dataclass
class BuildReport:
    documents: int
    sections: int
    chunks: int
    embedded: int  # chunks embedded now (the rest reused)
    seconds: float
    skipped: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, for benchmarks/bench_build.py


def import_bm25s() -> Any:
    """The ``bm25s`` module, its logger kept at WARNING: importing it sets that logger to
    DEBUG, which would print its progress notes under every command (``-v`` keeps them)."""
    import bm25s

    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def make_faiss(vectors: np.ndarray, exact_limit: int = EXACT_LIMIT) -> tuple[Any, str]:
    """Exact inner product at small sizes, HNSW above ``exact_limit`` vectors."""
    import faiss

    n, dim = vectors.shape
    index: Any
    if n <= exact_limit:
        index = faiss.IndexFlatIP(dim)
        kind = "flat_ip"
    else:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = hnsw_ef_search(n)
        kind = "hnsw32_ip"
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


class Index:
    """A loaded index: chunks, document metadata, dense vectors and BM25."""

    def __init__(
        self,
        path: Path,
        manifest: IndexManifest,
        chunks: list[Chunk],
        metas: dict[str, DocMeta],
        vectors: np.ndarray,
        faiss_index: Any,
        bm25: Any,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.chunks = chunks
        self.metas = metas
        self.vectors = vectors
        self.faiss = faiss_index
        self.bm25 = bm25
        self.files = path  # the directory the files were read from (the current version)
        self._doc_of = np.array([c.doc for c in chunks], dtype=object)
        self._store: VectorStore | None = None

    @property
    def store(self) -> VectorStore:
        """Where dense search runs (FAISS here, or the Milvus engine the manifest names); opened on first use."""
        if self._store is None:
            from rag.index.vectorstore import open_store

            self._store = open_store(self.manifest.vector_store, self.files, self.faiss, self._doc_of)
        return self._store

    def allowed_docs(self, filters: Filters | None) -> set[str] | None:
        """The document files ``filters`` lets through, or None when nothing is filtered out."""
        if filters is None or filters.is_empty():
            return None
        return {f for f, m in self.metas.items() if filters.allows(m)}

    def __len__(self) -> int:
        return len(self.chunks)

    def doc_freq(self, token: str) -> int:
        """How many chunks contain ``token`` (a :func:`rag.index.tokenize.tokenize` token), from BM25's matrix."""
        i = self.bm25.vocab_dict.get(token)
        if i is None:
            return 0
        indptr = self.bm25.scores["indptr"]
        return int(indptr[i + 1] - indptr[i])

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask of allowed chunks, or None when nothing is filtered out."""
        allowed = self.allowed_docs(filters)
        if allowed is None:
            return None
        return np.array([d in allowed for d in self._doc_of], dtype=bool)

    @classmethod
    def load(cls, path: Path, embedder: str | None = None) -> Index:
        """Load an index; check its format and (when given) its embedding model.

        A damaged or partly copied index (a missing or truncated file, a
        pickled array) is an :class:`IndexMismatchError` naming the rebuild.
        """
        for attempt in range(3):
            files = version_dir(path)
            if files is None:
                raise IndexMissingError(
                    f"索引不存在：{path}。请先运行 `planqa index --index {path}` 建立索引。",
                    f"index not found at {path}: run `planqa index`",
                )
            try:
                return cls._load_version(path, files, embedder)
            except FileNotFoundError as exc:
                if attempt < 2 and version_dir(path) != files:
                    continue  # two rebuilds finished while this one was read: read the new one
                raise IndexMismatchError(
                    f"索引 {path} 不完整（缺少文件 {Path(exc.filename or '').name}）。"
                    "请运行 `planqa index --rebuild` 重建。",
                    f"missing file in {files}: {exc!r}",
                ) from exc
            except (OSError, RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
                raise IndexMismatchError(
                    f"索引 {path} 已损坏，无法读取。请运行 `planqa index --rebuild` 重建。",
                    f"damaged index {files}: {exc!r}",
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _load_version(cls, path: Path, files: Path, embedder: str | None) -> Index:
        import faiss

        bm25s = import_bm25s()

        for name in INDEX_FILES:
            if not (files / name).exists():
                raise FileNotFoundError(2, "index file missing", str(files / name))
        manifest_path = files / "manifest.json"
        try:
            manifest = IndexManifest.model_validate_json(manifest_path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as exc:
            raise IndexMismatchError(
                f"索引 {path} 的清单无法识别（可能由其他版本生成）。请运行 `planqa index --rebuild` 重建。",
                f"unreadable manifest {manifest_path}: {exc}",
            ) from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"索引格式版本为 {manifest.format_version}，当前程序需要 {FORMAT_VERSION}。"
                "请运行 `planqa index --rebuild` 重建。",
                f"index format {manifest.format_version} != {FORMAT_VERSION}",
            )
        if embedder is not None and manifest.embedder != embedder:
            raise IndexMismatchError(
                f"索引由向量模型 {manifest.embedder} 建立，当前配置的模型是 {embedder}。"
                "请运行 `planqa index --rebuild` 重建。",
                f"index model {manifest.embedder} != configured {embedder}",
            )
        store = manifest.vector_store
        if not (store.kind == "milvus" and store.uri):  # a Milvus server keeps the vectors itself
            store_file = files / STORE_FILES.get(store.kind, "dense.faiss")
            if not store_file.exists():
                raise FileNotFoundError(2, "index file missing", str(store_file))
        with open(files / "chunks.jsonl", encoding="utf-8") as f:
            chunks = [Chunk.from_json(json.loads(line)) for line in f if line.strip()]
        docs = json.loads((files / "docs.json").read_text(encoding="utf-8"))
        metas = {d["file"]: DocMeta.model_validate(d) for d in docs}
        # The arrays are memory-mapped, not read: the web workers on one machine share one copy in the
        # page cache (measured by benchmarks/bench_scale.py's serving process).
        vectors = np.load(files / "vectors.npy", allow_pickle=False, mmap_mode="r")
        faiss_index = (
            faiss.read_index(str(files / "dense.faiss"), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
            if manifest.vector_store.kind == "faiss"
            else None
        )
        bm25 = bm25s.BM25.load(str(files / "bm25"), allow_pickle=False, load_vocab=True, mmap=True)
        in_faiss = faiss_index.ntotal if faiss_index is not None else len(chunks)
        if len(chunks) != manifest.n_chunks or vectors.shape != (len(chunks), manifest.dim) or in_faiss != len(chunks):
            raise IndexMismatchError(
                f"索引 {path} 不完整。请运行 `planqa index --rebuild` 重建。",
                f"{len(chunks)} chunks, vectors {vectors.shape}, {in_faiss} in FAISS, manifest says {manifest.n_chunks}",
            )
        index = cls(path, manifest, chunks, metas, vectors, faiss_index, bm25)
        index.files = files
        return index

    def outdated_settings(self, params: ChunkParams | None = None) -> list[str]:
        """Chunker or tokenizer settings that differ from this program's."""
        out = []
        if self.manifest.chunker != (params or ChunkParams()).as_dict():
            out.append("chunker")
        if self.manifest.tokenizer != dictionary_version():
            out.append("tokenizer")
        return out

    def stale_files(self, corpus_dir: Path) -> list[str]:
        """Corpus files added, removed or changed since the index was built."""
        current = {p.name: file_sha256(p) for p in corpus_files(corpus_dir)}
        indexed = {f: e.sha256 for f, e in self.manifest.documents.items()}
        changed = [f for f, h in current.items() if indexed.get(f) != h]
        removed = [f for f in indexed if f not in current]
        return sorted(changed + removed)


def _old_vectors(path: Path, embedder_name: str) -> dict[str, np.ndarray]:
    """Vectors of an existing compatible index, by hash of the embedded text."""
    try:
        old = Index.load(path, embedder_name)
    except (IndexMissingError, IndexMismatchError):
        return {}
    except Exception as exc:  # noqa: BLE001 - a broken old index only means no reuse
        log.warning("previous index at %s unusable (%r); embedding everything", path, exc)
        return {}
    return {text_hash(c.embed_text()): old.vectors[i] for i, c in enumerate(old.chunks)}


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Any,
    params: ChunkParams | None = None,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
    exact_limit: int = EXACT_LIMIT,
    vector_store: str | None = None,
    milvus_uri: str = "",
) -> BuildReport:
    """Ingest, chunk, embed and write an index directory atomically.

    ``progress(done, total)`` is called as chunks are embedded. ``vector_store``
    is ``faiss`` or ``milvus`` (Milvus Lite inside the index directory, or the
    Milvus server at ``milvus_uri``); None keeps what the existing index uses
    (FAISS for a new one), so an update after a file changes keeps its store.
    """
    from rag.docs.outline import iter_sections, parse_outline

    bm25s = import_bm25s()

    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        stages[stage] = now - since
        return now

    params = params or ChunkParams()
    files = corpus_files(corpus_dir)
    docs = ingest_corpus(corpus_dir)
    skipped = sorted({p.name for p in files} - {d.file for d in docs})
    t = lap("ingest", t0)
    chunks: list[Chunk] = []
    sections = 0
    for doc in docs:
        root = parse_outline(doc)
        sections += sum(1 for _ in iter_sections(root)) - 1
        chunks.extend(chunk_document(doc, params, root))
    t = lap("chunk", t)

    reuse = {} if rebuild else _old_vectors(index_dir, embedder.name)
    texts = [c.embed_text() for c in chunks]
    hashes = [text_hash(t) for t in texts]
    todo = [i for i, h in enumerate(hashes) if h not in reuse]
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        if h in reuse:
            vectors[i] = reuse[h]
    if todo:
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(todo))

        vectors[todo] = embedder.embed_documents([texts[i] for i in todo], progress=step)
    elif progress:
        progress(0, 0)
    t = lap("embed", t)

    previous = _previous_store(index_dir)
    if vector_store is None and previous is not None:
        vector_store, milvus_uri = previous.kind, previous.uri
    doc_of_row = np.array([c.doc for c in chunks], dtype=object)
    store, write_store = _store_writer(vector_store or "faiss", milvus_uri, vectors, doc_of_row, exact_limit)
    faiss_index, faiss_kind = make_faiss(vectors, exact_limit) if store.kind == "faiss" else (None, "none")
    t = lap("faiss", t)
    retriever = bm25s.BM25()
    retriever.index([tokenize(text) or [""] for text in texts], show_progress=False)
    t = lap("bm25", t)

    manifest = IndexManifest(
        format_version=FORMAT_VERSION,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        embedder=embedder.name,
        dim=embedder.dim,
        chunker=params.as_dict(),
        tokenizer=dictionary_version(),
        faiss=faiss_kind,
        n_chunks=len(chunks),
        documents={
            d.file: DocEntry(sha256=d.sha256, chunks=sum(1 for c in chunks if c.doc == d.file))
            for d in docs
        },
        vector_store=store,
    )
    write_version(index_dir, manifest, chunks, [d.meta for d in docs], vectors, faiss_index, retriever, write_store)
    lap("write", t)  # with Milvus, writing the vectors into it
    return BuildReport(
        documents=len(docs),
        sections=sections,
        chunks=len(chunks),
        embedded=len(todo),
        seconds=time.perf_counter() - t0,
        skipped=skipped,
        stages={k: round(v, 4) for k, v in stages.items()},
    )


def write_version(
    index_dir: Path,
    manifest: IndexManifest,
    chunks: list[Chunk],
    metas: list[DocMeta],
    vectors: np.ndarray,
    faiss_index: Any,
    bm25: Any,
    write_store: Callable[[Path], None] | None = None,
) -> None:
    """Write a new version and make it current (see the module doc)."""
    import faiss

    index_dir = index_dir.resolve()
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_dead_builds(index_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-", dir=index_dir))
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
        (tmp / "docs.json").write_text(
            json.dumps([m.model_dump() for m in metas], ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
        if faiss_index is not None:
            faiss.write_index(faiss_index, str(tmp / "dense.faiss"))
        if write_store is not None:
            write_store(tmp)
        bm25.save(str(tmp / "bm25"), allow_pickle=False, show_progress=False)
        (tmp / "manifest.json").write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
        for p in tmp.rglob("*"):
            if p.is_file():
                with open(p, "rb") as fh:
                    os.fsync(fh.fileno())
        with _build_lock(index_dir):
            previous = _current_name(index_dir)
            version = index_dir / f"v-{time.time_ns()}-{os.getpid()}"
            tmp.rename(version)
            pointer = index_dir / f".{CURRENT}.{os.getpid()}"
            with open(pointer, "w", encoding="utf-8") as fh:
                fh.write(version.name)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(pointer, index_dir / CURRENT)  # the switch: one atomic rename
            fsync_dir(index_dir)
            for old in index_dir.glob("v-*"):
                if old.name not in (version.name, previous):  # a reader may still be reading `previous`
                    _drop_server_collection(old)  # a Milvus server's collection goes with its version
                    shutil.rmtree(old, ignore_errors=True)
            if previous is None:  # an index written before versions: its files go
                for name in (*INDEX_FILES, *STORE_FILES.values()):
                    legacy = index_dir / name
                    if legacy.is_dir():
                        shutil.rmtree(legacy, ignore_errors=True)
                    elif legacy.exists():
                        legacy.unlink()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _store_writer(
    kind: str, uri: str, vectors: np.ndarray, doc_of_row: np.ndarray, exact_limit: int = EXACT_LIMIT
) -> tuple[StoreEntry, Callable[[Path], None] | None]:
    """The manifest entry for ``kind`` and what writes the vectors into it (None for FAISS)."""
    from rag.errors import ConfigError
    from rag.index.vectorstore import LITE_FILE, VECTOR_STORES, MilvusStore, is_server

    if kind == "faiss":
        return StoreEntry(), None
    if kind != "milvus":
        raise ConfigError(f"未知的向量库类型 {kind}（可选：{', '.join(VECTOR_STORES)}）。", f"unknown vector store {kind!r}")
    if uri and not is_server(uri):
        raise ConfigError(
            f"PLANQA_MILVUS_URI 应为 Milvus 服务地址（如 http://milvus:19530），收到 {uri}；"
            "不设置时使用索引目录内的 Milvus Lite。",
            f"milvus uri is not a server URL: {uri}",
        )
    # a server keeps each build's collection as long as its version directory is kept (see write_version)
    entry = StoreEntry(kind="milvus", uri=uri, collection=f"planqa_{time.time_ns()}" if uri else "chunks")

    def write(tmp: Path) -> None:
        store = MilvusStore.write(uri or str(tmp / LITE_FILE), entry.collection, vectors, doc_of_row, exact_limit)
        store.close()

    return entry, write


def _previous_store(index_dir: Path) -> StoreEntry | None:
    try:
        files = version_dir(index_dir)
        if files is None:
            return None
        text = (files / "manifest.json").read_text(encoding="utf-8")
        return IndexManifest.model_validate_json(text).vector_store
    except (OSError, ValidationError, ValueError, IndexMismatchError):
        return None


def _drop_server_collection(version: Path) -> None:
    """Best effort: the collection a deleted version kept on a Milvus server (it is kept as long
    as its version, the one before the current, may still be read)."""
    from rag.index.vectorstore import MilvusStore

    try:
        entry = IndexManifest.model_validate_json((version / "manifest.json").read_text(encoding="utf-8")).vector_store
    except (OSError, ValidationError, ValueError):
        return
    if entry.kind != "milvus" or not entry.uri:
        return
    try:
        MilvusStore.open(entry.uri, entry.collection).drop()
    except Exception as exc:  # noqa: BLE001 - the new index is in place; an old collection is only space
        log.warning("could not drop old milvus collection %s at %s: %r", entry.collection, entry.uri, exc)


CURRENT = "CURRENT"
INDEX_FILES = ("manifest.json", "chunks.jsonl", "docs.json", "vectors.npy", "bm25")  # and the vector store's file
STORE_FILES = {"faiss": "dense.faiss", "milvus": "milvus.db"}  # Milvus Lite; a Milvus server keeps its own
_VERSION_NAME = re.compile(r"v-\d+-\d+")


def _current_name(index_dir: Path) -> str | None:
    """The version ``CURRENT`` names, or None when there is no such file."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _VERSION_NAME.fullmatch(name):  # never follow a path written into the pointer
        raise IndexMismatchError(
            f"索引 {index_dir} 的 {CURRENT} 文件内容无效。请运行 `planqa index --rebuild` 重建。",
            f"invalid {CURRENT} in {index_dir}: {name[:80]!r}",
        )
    return name


def version_dir(index_dir: Path) -> Path | None:
    """The directory holding the index's files (the current version), or None when there is no index."""
    name = _current_name(index_dir)
    if name is not None:
        return index_dir / name
    return index_dir if (index_dir / "manifest.json").is_file() else None


def index_exists(index_dir: Path) -> bool:
    try:
        return version_dir(index_dir) is not None
    except IndexMismatchError:
        return True  # there is one, but damaged


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # signal 0 means Ctrl+C there: never send it; keep the files
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a system that cannot tell: keep its files
    return True


def remove_dead_builds(index_dir: Path) -> list[str]:
    """Delete what builds that were killed left behind (``.tmp-<pid>-…`` of dead processes); their names."""
    removed = []
    for leftover in index_dir.glob(".*"):
        m = re.fullmatch(rf"\.(?:tmp-(\d+)-\w+|{CURRENT}\.(\d+))", leftover.name)
        if m is None:
            continue
        pid = int(m.group(1) or m.group(2))
        if pid != os.getpid() and not _pid_alive(pid):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed.append(leftover.name)
    if removed:
        log.info("removed leftovers of killed builds in %s: %s", index_dir, removed)
    return removed


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time switches versions (POSIX ``flock``; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (the directory's entry, not only the file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open directories
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_index(
    index_dir: Path,
    corpus_dir: Path | None,
    embedder: Any,
    auto_build: bool = True,
    notify: Callable[[str], None] = print,
) -> Index:
    """Load an index, building it first when it is missing or stale (with a message).

    With ``auto_build=False`` a missing or stale index is an error naming the
    command that fixes it.
    """
    name = embedder.name
    try:
        index = Index.load(index_dir, name)
    except IndexMissingError:
        if not auto_build or corpus_dir is None:
            raise
        notify(f"索引不存在，正在从 {corpus_dir} 建立索引（首次约需 1–2 分钟）……")
        build_index(corpus_dir, index_dir, embedder)
        return Index.load(index_dir, name)
    if corpus_dir is not None and corpus_dir.is_dir():
        stale = index.stale_files(corpus_dir) + index.outdated_settings()
        if stale:
            if not auto_build:
                raise StaleIndexError(
                    f"语料或索引设置已变化（{', '.join(stale)}），索引已过期。请运行 `planqa index` 更新。",
                    f"stale index: {stale}",
                )
            notify(f"语料或索引设置已变化（{', '.join(stale)}），正在更新索引（只重新处理变化的部分）……")
            build_index(corpus_dir, index_dir, embedder)
            index = Index.load(index_dir, name)
    return index


def current_version(index_dir: Path) -> str | None:
    """The name of the version in use (what ``CURRENT`` says), or None without a versioned index:
    one small read, for a serving process to notice that a build has switched versions."""
    try:
        return _current_name(index_dir)
    except IndexMismatchError:
        return None
