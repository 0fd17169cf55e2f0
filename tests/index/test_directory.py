"""Index directories: round trip, incremental re-index, FAISS kinds (faults: tests/robustness/test_index_faults.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rag.index.directory import FORMAT_VERSION, Index, build_index, make_faiss
from tests.conftest import KeywordEmbedder


def test_round_trip(fake_index_dir, corpus_docs):
    index = Index.load(fake_index_dir, KeywordEmbedder.name)
    current = (fake_index_dir / "CURRENT").read_text(encoding="utf-8")
    assert sorted(p.name for p in fake_index_dir.iterdir()) == [".lock", "CURRENT", current]
    assert index.files == fake_index_dir / current
    files = sorted(p.name for p in index.files.iterdir())
    assert files == ["bm25", "chunks.jsonl", "dense.faiss", "docs.json", "manifest.json", "vectors.npy"]
    manifest = json.loads((index.files / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["embedder"] == "fake/keyword-64" and manifest["dim"] == 64
    assert manifest["faiss"] == "flat_ip"
    assert set(manifest["documents"]) == set(corpus_docs)
    assert len(index) == manifest["n_chunks"] == index.vectors.shape[0] == index.faiss.ntotal
    # chunks.jsonl is readable Chinese, not escapes
    first = (index.files / "chunks.jsonl").read_text(encoding="utf-8").splitlines()[1]
    assert "\\u" not in first
    norms = np.linalg.norm(index.vectors, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)


def test_loaded_arrays_are_memory_mapped_read_only(fake_index_dir):
    """Web workers on one machine share the index files through the page cache instead of each copying them."""
    index = Index.load(fake_index_dir)
    assert isinstance(index.vectors, np.memmap) and not index.vectors.flags.writeable
    assert isinstance(index.bm25.scores["data"], np.memmap)
    maps = Path("/proc/self/maps").read_text(encoding="utf-8")
    assert str(index.files / "dense.faiss") in maps  # FAISS maps its file too


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


def test_document_provenance_is_kept_and_an_index_written_before_it_still_loads(tmp_path):
    """docs.json keeps how each field was read from the text; one without it (an older index) loads
    with none."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name = "shanghai-changning_ecospace-cityscape_plan15_2026.txt"
    (corpus / name).write_bytes((Path(__file__).resolve().parents[1] / "data" / "external" / name).read_bytes())
    build_index(corpus, tmp_path / "idx", KeywordEmbedder())
    index = Index.load(tmp_path / "idx")
    assert index.metas[name].provenance["jurisdiction"].model_dump() == {"source": "declared", "evidence": "title", "share": None}
    docs = index.files / "docs.json"
    old = [{k: v for k, v in d.items() if k != "provenance"} for d in json.loads(docs.read_text(encoding="utf-8"))]
    docs.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    again = Index.load(tmp_path / "idx")
    assert again.metas[name].provenance == {} and again.metas[name].jurisdiction == "长宁区"
