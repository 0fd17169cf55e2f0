"""Where the dense vectors are searched: FAISS in the index directory (default) or a Milvus engine.

Every store answers ``search(query_vector, k, docs) -> [(row, inner product)]``:
rows are chunk positions in ``chunks.jsonl``, ``docs`` (file names) restricts
the search to some documents. One contract test runs against both
(``tests/index/test_vectorstore.py``).

Milvus is reached through its official client, pymilvus. A ``uri`` that is a
file path opens Milvus Lite, the engine embedded in-process, with its
database file inside the index directory (so the index stays one directory
that is renamed into place); an ``http(s)://`` uri talks to a Milvus server or
cluster with the same code, each build writing a new collection that the
manifest names.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from rag.errors import ConfigError

log = logging.getLogger(__name__)

LITE_FILE = "milvus.db"
VECTOR_STORES = ("faiss", "milvus")


class StoreEntry(BaseModel):
    """The manifest's record of where the vectors are searched."""

    model_config = ConfigDict(extra="forbid")
    kind: str = "faiss"
    uri: str = ""  # milvus: a server URL, or "" for Milvus Lite inside the index directory
    collection: str = ""


class VectorStore(Protocol):
    kind: str

    def search(self, query: np.ndarray, k: int, docs: Collection[str] | None = None) -> list[tuple[int, float]]: ...


class FaissStore:
    """A FAISS index over the rows; document filters become an ID selector."""

    kind = "faiss"

    def __init__(self, index: Any, doc_of_row: np.ndarray) -> None:
        self.index = index
        self.doc_of_row = doc_of_row

    def search(self, query: np.ndarray, k: int, docs: Collection[str] | None = None) -> list[tuple[int, float]]:
        import faiss

        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        k = min(k, self.index.ntotal)
        if k <= 0:
            return []
        if docs is None:
            scores, ids = self.index.search(q, k)
        else:
            allowed = np.flatnonzero(np.isin(self.doc_of_row, list(docs))).astype(np.int64)
            if allowed.size == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))  # type: ignore[call-arg]
            scores, ids = self.index.search(q, min(k, allowed.size), params=params)
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]


def hnsw_ef_search(n: int) -> int:
    """HNSW's search breadth for ``n`` vectors, from benchmarks/bench_scale.py (near-duplicate corpus,
    recall@10 against exact search / search time on 2 cores): 100k: ef 512 gives 0.989 / 1.6 ms (128 gave
    0.879); 1M: ef 3072 gives 0.964 / 17 ms (2048: 0.948 / 11 ms; 128: 0.624)."""
    if n <= 20_000:
        return 128
    if n <= 200_000:
        return 512
    return 3072


def is_server(uri: str) -> bool:
    return bool(re.match(r"^(https?|tcp)://", uri))


def _client(uri: str) -> Any:
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise ConfigError(
            "使用 Milvus 向量库需要安装 pymilvus：pip install 'planqa[milvus]'（或 pip install \"pymilvus[milvus-lite]\"）。",
            f"pymilvus not installed: {exc}",
        ) from exc
    try:
        return MilvusClient(uri)
    except Exception as exc:  # noqa: BLE001 - the client raises many kinds; the user needs one message
        if not is_server(uri):
            raise ConfigError(
                f"无法打开 Milvus Lite 向量库 {uri}：它可能正被另一个进程使用（如 planqa serve），"
                "Milvus Lite 同一时间只允许一个进程打开。多个进程共用索引时，请用 Milvus 服务（PLANQA_MILVUS_URI）"
                "或默认的 FAISS（planqa index --vector-store faiss）。",
                f"cannot open milvus lite at {uri}: {exc!r}",
            ) from exc
        raise ConfigError(
            f"无法连接 Milvus 向量库 {uri}：{exc}。请检查 PLANQA_MILVUS_URI 和服务是否在运行。",
            f"cannot connect to milvus at {uri}: {exc!r}",
        ) from exc


def milvus_filter(docs: Collection[str]) -> str:
    """A Milvus boolean expression restricting to these document files."""
    return "doc in " + json.dumps(sorted(docs), ensure_ascii=False)


class MilvusStore:
    """The rows in a Milvus collection: id = row, vector, doc (the file, for filters)."""

    kind = "milvus"

    def __init__(self, client: Any, collection: str, uri: str = "") -> None:
        self.client = client
        self.collection = collection
        self.uri = uri
        self.ef = hnsw_ef_search(len(self))  # as FAISS: the search breadth grows with the collection

    @classmethod
    def open(cls, uri: str, collection: str) -> MilvusStore:
        client = _client(uri)
        if not client.has_collection(collection):
            raise ConfigError(
                f"Milvus 向量库 {uri} 中没有集合 {collection}（索引与向量库不一致）。请运行 `planqa index --rebuild` 重建。",
                f"milvus collection {collection} missing at {uri}",
            )
        client.load_collection(collection)
        return cls(client, collection, uri)

    @classmethod
    def write(
        cls,
        uri: str,
        collection: str,
        vectors: np.ndarray,
        doc_of_row: np.ndarray,
        exact_limit: int = 50_000,
        batch: int = 2000,
    ) -> MilvusStore:
        """Create ``collection`` (replacing one of that name) and insert every row.

        Like the FAISS store: exact search (FLAT) up to ``exact_limit`` rows, HNSW above.
        """
        from pymilvus import DataType

        client = _client(uri)
        if client.has_collection(collection):
            client.drop_collection(collection)
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        schema.add_field("doc", DataType.VARCHAR, max_length=1024)
        index_params = client.prepare_index_params()
        if len(vectors) <= exact_limit:
            index_params.add_index("vector", index_type="FLAT", metric_type="IP")
        else:
            index_params.add_index("vector", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 80})
        client.create_collection(collection, schema=schema, index_params=index_params, consistency_level="Strong")
        for start in range(0, len(vectors), batch):
            rows = [
                {"id": start + i, "vector": v.tolist(), "doc": str(doc_of_row[start + i])}
                for i, v in enumerate(vectors[start : start + batch])
            ]
            client.insert(collection, rows)
        client.flush(collection)
        client.load_collection(collection)
        return cls(client, collection, uri)

    def __len__(self) -> int:
        return int(self.client.get_collection_stats(self.collection)["row_count"])

    def search(self, query: np.ndarray, k: int, docs: Collection[str] | None = None) -> list[tuple[int, float]]:
        if k <= 0 or (docs is not None and not docs):
            return []
        res = self.client.search(
            self.collection,
            [np.asarray(query, dtype=np.float32).ravel().tolist()],
            limit=k,
            filter=milvus_filter(docs) if docs is not None else "",
            output_fields=[],
            search_params={"metric_type": "IP", "params": {"ef": max(self.ef, k)}},  # ef: HNSW only
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in res[0]]

    def drop(self) -> None:
        self.client.drop_collection(self.collection)

    def close(self) -> None:
        """Close the client; for Milvus Lite also stop its in-process server, which holds the
        database directory's lock (the build renames that directory into place afterwards)."""
        self.client.close()
        if not is_server(self.uri):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self.uri)


def milvus_uri(entry: StoreEntry, index_dir: Path) -> str:
    """Milvus Lite lives in the index directory; a server has its URL."""
    return entry.uri if entry.uri else str(index_dir / LITE_FILE)


def open_store(entry: StoreEntry, index_dir: Path, faiss_index: Any, doc_of_row: np.ndarray) -> VectorStore:
    if entry.kind == "faiss":
        return FaissStore(faiss_index, doc_of_row)
    if entry.kind == "milvus":
        return MilvusStore.open(milvus_uri(entry, index_dir), entry.collection)
    raise ConfigError(
        f"未知的向量库类型 {entry.kind}（可选：{', '.join(VECTOR_STORES)}）。请运行 `planqa index --rebuild` 重建。",
        f"unknown vector store {entry.kind!r}",
    )
