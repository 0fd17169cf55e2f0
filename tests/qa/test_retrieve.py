"""Fusion and ranking functions (exact values on tiny inputs) and the retriever contract."""

from __future__ import annotations

import numpy as np
import pytest

from rag.errors import BadQuestionError
from rag.index.directory import Index
from rag.models import Filters
from rag.qa.retrieve import (
    BM25Retriever,
    convex_fusion,
    make_retriever,
    minmax,
    rrf,
    top_k,
)


def test_rrf_exact_scores():
    # ranking A: 7, 3 ; ranking B: 3, 9.  k = 60
    # 7: 1/61 ; 3: 1/62 + 1/61 ; 9: 1/62
    fused = rrf([[7, 3], [3, 9]], k=60)
    assert fused[7] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[9] == pytest.approx(1 / 62)
    assert rrf([[1]], k=60, weights=[2.0])[1] == pytest.approx(2 / 61)


def test_top_k_breaks_ties_by_index_and_honours_mask():
    scores = np.array([0.5, 0.9, 0.5, 0.1])
    assert top_k(scores, 3) == [1, 0, 2]
    assert top_k(scores, 3, mask=np.array([True, False, True, True])) == [0, 2, 3]
    assert top_k(scores, 10, mask=np.zeros(4, dtype=bool)) == []


def test_minmax_and_convex_fusion():
    assert minmax(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert minmax(np.array([5.0, 5.0])).tolist() == [0.0, 0.0]
    # bm25 -> [0, 1], dense -> [1, 0]; alpha 0.7 -> [0.3, 0.7]
    fused = convex_fusion(np.array([1.0, 3.0]), np.array([0.9, 0.1]), alpha=0.7)
    assert fused.tolist() == pytest.approx([0.3, 0.7])


def test_bm25_finds_the_indicator_row_first(fake_index_dir):
    index = Index.load(fake_index_dir)
    hits = BM25Retriever(index).search("社会工作专业人才总量 舒兰", k=3)
    # chunk 0000 is the 印发通知, 0001 the plan's title line
    assert hits[0].chunk.chunk_id == "shulan_city_14th_fyp_2021:0025"
    assert hits[0].chunk.kind == "table_row"
    assert "2025年目标值：120" in hits[0].chunk.text


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_retriever_contract(fake_index_dir, fake_embedder, mode):
    index = Index.load(fake_index_dir)
    retriever = make_retriever(index, fake_embedder, mode)
    hits = retriever.search("特困人员供养机构护理型床位占比", k=5)
    assert 0 < len(hits) <= 5
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.chunk.chunk_id for h in hits}) == len(hits)
    only = Filters(docs=("jilin_work_points_2023.txt",))
    filtered = retriever.search("护理型床位", k=5, filters=only)
    assert filtered and {h.chunk.doc for h in filtered} == {"jilin_work_points_2023.txt"}
    by_level = retriever.search("护理型床位", k=8, filters=Filters(levels=("county",)))
    assert by_level and {h.chunk.doc for h in by_level} == {"shulan_city_14th_fyp_2021.txt"}
    by_year = retriever.search("养老", k=8, filters=Filters(years=(2025,)))
    assert by_year and {h.chunk.doc for h in by_year} == {"jilin_work_points_2025.txt"}
    assert retriever.search("养老", k=5, filters=Filters(years=(1999,))) == []
    with pytest.raises(BadQuestionError):
        retriever.search("   ", k=5)


def test_rerank_reorders_candidates(fake_index_dir, fake_embedder):
    class LengthScorer:  # a stand-in cross-encoder: prefers shorter passages
        def predict(self, pairs):  # type: ignore[no-untyped-def]
            return [-len(p[1]) for p in pairs]

    index = Index.load(fake_index_dir)
    hits = make_retriever(index, fake_embedder, "bm25", reranker=LengthScorer()).search("护理型床位", k=4)
    lengths = [len(h.chunk.text) for h in hits]
    assert lengths == sorted(lengths)
    assert all(h.source == "rerank" for h in hits)


def test_llamaindex_baseline_hits_carry_exact_spans(corpus_docs, fake_embedder):
    from rag.eval.baseline import LlamaIndexBaseline

    docs = [corpus_docs["jilin_work_points_2025.txt"], corpus_docs["jilin_work_points_2021.txt"]]
    baseline = LlamaIndexBaseline(docs, fake_embedder)
    hits = baseline.search("失智照护床位", k=3)
    assert len(hits) == 3
    for h in hits:
        assert corpus_docs[h.chunk.doc].text[h.chunk.start : h.chunk.end] == h.chunk.text
