"""One contract for every vector store: FAISS in the index directory, Milvus Lite, and a Milvus server.

The same index is built with each store; dense search, document filters,
reloading, updating and the retrievers on top must behave the same. The server
is a real Milvus standalone (``make milvus-server``; see ``tests/conftest.py``),
reached over gRPC by the same client code that talks to a cluster.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from rag.index.directory import Index, build_index
from rag.index.vectorstore import MilvusStore, milvus_filter
from rag.qa.retrieve import make_retriever
from tests.conftest import CORPUS, KeywordEmbedder

QUESTIONS = ["护理型床位占比", "低保标准动态调整", "婚姻登记跨省通办", "社会工作专业人才", "殡葬改革 公益性公墓"]
DOCS = {"jilin_work_points_2023.txt", "shulan_city_14th_fyp_2021.txt"}


STORES = ["faiss", "milvus", "milvus-server"]


def build_with(kind: str, corpus, path, request, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Build an index with store ``kind``: ``milvus-server`` is Milvus by URI, on the test server."""
    if kind == "milvus-server":
        kwargs["milvus_uri"] = request.getfixturevalue("milvus_server")
    build_index(corpus, path, KeywordEmbedder(), vector_store=kind.removesuffix("-server"), **kwargs)


@pytest.fixture(scope="module", params=STORES)
def built(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param) / "idx"
    build_with(request.param, CORPUS, path, request)
    return request.param, path


def exact(index: Index, q: np.ndarray, k: int, docs: set[str] | None = None) -> list[float]:
    """The k best inner products by brute force, the answer every store must give."""
    scores = index.vectors @ q
    if docs is not None:
        scores = np.where(np.isin(np.array([c.doc for c in index.chunks]), list(docs)), scores, -np.inf)
    return sorted((float(s) for s in scores if np.isfinite(s)), reverse=True)[:k]


def test_directory_holds_the_store(built):
    kind, path = built
    index = Index.load(path)
    entry = index.manifest.vector_store
    assert entry.kind == index.store.kind == kind.removesuffix("-server")
    assert (index.files / "dense.faiss").exists() == (kind == "faiss")
    assert (index.files / "milvus.db").exists() == (kind == "milvus")  # a server keeps the vectors itself
    if kind == "milvus-server":
        from pymilvus import MilvusClient

        assert entry.uri and entry.collection
        client = MilvusClient(uri=entry.uri)
        assert entry.collection in client.list_collections()
        assert client.get_collection_stats(entry.collection)["row_count"] == len(index.chunks)


@pytest.mark.parametrize("question", QUESTIONS)
def test_search_is_exact_inner_product(built, question):
    _, path = built
    index = Index.load(path)
    q = KeywordEmbedder().embed_query(question)
    hits = index.store.search(q, 10)
    assert len(hits) == 10
    assert [s for _, s in hits] == pytest.approx(exact(index, q, 10), abs=1e-4)
    for row, score in hits:  # each row's score is its own vector's inner product
        assert score == pytest.approx(float(index.vectors[row] @ q), abs=1e-4)


def test_document_filters(built):
    _, path = built
    index = Index.load(path)
    q = KeywordEmbedder().embed_query("养老服务床位")
    hits = index.store.search(q, 8, DOCS)
    assert {index.chunks[r].doc for r, _ in hits} <= DOCS
    assert [s for _, s in hits] == pytest.approx(exact(index, q, 8, DOCS), abs=1e-4)
    assert index.store.search(q, 8, set()) == []
    n_2025 = sum(c.doc == "jilin_work_points_2025.txt" for c in index.chunks)
    assert len(index.store.search(q, 10_000, {"jilin_work_points_2025.txt"})) == n_2025  # k above what passes


def test_retrievers_on_top_agree_with_faiss(built, fake_index_dir):
    """Dense and hybrid retrieval through the store give FAISS's scores, with and without filters."""
    from rag.models import Filters

    _, path = built
    embedder = KeywordEmbedder()
    store_index, faiss_index = Index.load(path), Index.load(fake_index_dir)
    for mode in ("dense", "hybrid"):
        a, b = make_retriever(store_index, embedder, mode), make_retriever(faiss_index, embedder, mode)
        for question in QUESTIONS:
            for filters in (None, Filters(levels=("county",))):
                got = [(h.chunk.chunk_id, round(h.score, 4)) for h in a.search(question, 5, filters)]
                want = [(h.chunk.chunk_id, round(h.score, 4)) for h in b.search(question, 5, filters)]
                assert sorted(s for _, s in got) == sorted(s for _, s in want), (mode, question)


def test_update_after_one_file_changes_keeps_the_store(built, tmp_path):
    kind, path = built
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    index_dir = tmp_path / "idx"
    shutil.copytree(path, index_dir)
    f = corpus / "jilin_work_points_2025.txt"
    f.write_text(f.read_text(encoding="utf-8") + "\n（三）新增一项智慧民政平台建设工作。推进平台建设。\n", encoding="utf-8")
    embedder = KeywordEmbedder()
    report = build_index(corpus, index_dir, embedder)  # no store named: keep the index's
    index = Index.load(index_dir)
    assert index.manifest.vector_store.kind == kind.removesuffix("-server")
    assert index.manifest.vector_store.uri == Index.load(path).manifest.vector_store.uri  # same server, or none
    assert 0 < report.embedded < report.chunks  # only the changed file's new chunks
    hits = make_retriever(index, embedder, "dense").search("智慧民政平台建设", 3)
    assert hits and hits[0].chunk.doc == "jilin_work_points_2025.txt"


def test_milvus_filter_expression_quotes_names():
    assert milvus_filter({"b.txt", "舒兰.txt"}) == 'doc in ["b.txt", "舒兰.txt"]'
    assert milvus_filter({'a"b.txt'}) == 'doc in ["a\\"b.txt"]'


def one_doc_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "jilin_work_points_2025.txt", corpus)
    return corpus


def test_missing_milvus_collection_names_the_fix(tmp_path):
    from rag.errors import ConfigError

    build_index(one_doc_corpus(tmp_path), tmp_path / "idx", KeywordEmbedder(), vector_store="milvus")
    index = Index.load(tmp_path / "idx")
    store = MilvusStore.open(str(index.files / "milvus.db"), "chunks")
    assert len(store) == len(index.chunks)
    store.close()
    with pytest.raises(ConfigError, match="planqa index --rebuild"):
        MilvusStore.open(str(index.files / "milvus.db"), "no_such_collection")


@pytest.mark.parametrize("kind", STORES)
def test_approximate_index_above_the_exact_limit_keeps_recall(kind, tmp_path, request):
    """Above ``exact_limit`` rows every store switches to HNSW; recall@10 against exact search stays ≥ 0.95."""
    embedder = KeywordEmbedder()
    build_with(kind, CORPUS, tmp_path / "idx", request, exact_limit=100)
    index = Index.load(tmp_path / "idx")
    if kind == "faiss":
        assert index.manifest.faiss == "hnsw32_ip"
    found = total = 0
    for question in QUESTIONS + ["养老机构", "慈善", "未成年人保护", "地名", "社区治理", "残疾人两项补贴"]:
        q = embedder.embed_query(question)
        want = set(np.argsort(-(index.vectors @ q), kind="stable")[:10].tolist())
        floor = float(np.sort(index.vectors @ q)[::-1][9])
        got = index.store.search(q, 10)
        # ties at the 10th score make "the" exact top 10 ambiguous: a row scoring as high counts
        found += sum(1 for r, s in got if r in want or s >= floor - 1e-6)
        total += 10
    assert found / total >= 0.95


def test_a_milvus_uri_must_be_a_server(tmp_path):
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="Milvus 服务地址"):
        build_index(CORPUS, tmp_path / "idx", KeywordEmbedder(), vector_store="milvus", milvus_uri="/tmp/x.db")


def test_a_server_collection_is_dropped_with_its_version_not_before(tmp_path, monkeypatch):
    """Readers may still use the version before the current one: its collection stays; older ones go."""
    import json as _json

    import rag.index.vectorstore
    from rag.index.directory import version_dir

    dropped: list[tuple[str, str]] = []

    class Recorder:
        @classmethod
        def open(cls, uri, collection):  # type: ignore[no-untyped-def]
            return SimpleDrop(uri, collection)

    class SimpleDrop:
        def __init__(self, uri, collection):  # type: ignore[no-untyped-def]
            self.key = (uri, collection)

        def drop(self) -> None:
            dropped.append(self.key)

    monkeypatch.setattr(rag.index.vectorstore, "MilvusStore", Recorder)
    corpus, idx, embedder = one_doc_corpus(tmp_path), tmp_path / "idx", KeywordEmbedder()
    build_index(corpus, idx, embedder)
    first = version_dir(idx)
    manifest = _json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    manifest["vector_store"] = {"kind": "milvus", "uri": "http://milvus:19530", "collection": "planqa_1"}
    (first / "manifest.json").write_text(_json.dumps(manifest), encoding="utf-8")  # as if built on a server
    build_index(corpus, idx, embedder, vector_store="faiss")  # the first version is now the previous one: kept
    assert first.exists() and dropped == []
    build_index(corpus, idx, embedder, vector_store="faiss")  # now it goes, and its collection with it
    assert not first.exists() and dropped == [("http://milvus:19530", "planqa_1")]


def test_a_real_server_keeps_the_collections_of_current_and_previous_builds_only(tmp_path, milvus_server):
    from pymilvus import MilvusClient

    from rag.index.directory import version_dir

    corpus, idx, embedder = one_doc_corpus(tmp_path), tmp_path / "idx", KeywordEmbedder()
    names = []
    for _ in range(3):
        build_index(corpus, idx, embedder, vector_store="milvus", milvus_uri=milvus_server)
        names.append(Index.load(idx).manifest.vector_store.collection)
        assert not (version_dir(idx) / "milvus.db").exists()
    assert len(set(names)) == 3  # one collection per build
    on_server = set(MilvusClient(uri=milvus_server).list_collections())
    assert names[0] not in on_server and {names[1], names[2]} <= on_server
    hits = Index.load(idx).store.search(embedder.embed_query("养老服务"), 5)
    assert len(hits) == 5


def test_milvus_lite_held_by_another_process_gets_a_clear_message(tmp_path):
    """Milvus Lite lets one process open its directory; a second one is told why and what to use instead."""
    import subprocess
    import sys

    from rag.errors import ConfigError

    build_index(one_doc_corpus(tmp_path), tmp_path / "idx", KeywordEmbedder(), vector_store="milvus")
    lite = str(Index.load(tmp_path / "idx").files / "milvus.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from pymilvus import MilvusClient; MilvusClient({lite!r}); print('open', flush=True); input()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(ConfigError) as err:
            MilvusStore.open(lite, "chunks")
        assert "正被另一个进程使用" in err.value.message and "PLANQA_MILVUS_URI" in err.value.message
    finally:
        holder.communicate("\n", timeout=30)
