"""Dense, BM25, fusion and rerank retrievers: one ``search(query, k, filters)`` shape.

Scoring and fusion are plain functions over arrays (:func:`top_k`,
:func:`rrf`); the retriever classes only hold the loaded index and model.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from rag.docs.textnorm import normalize_question
from rag.errors import BadQuestionError
from rag.index.directory import Index
from rag.index.tokenize import tokenize
from rag.models import Filters, Hit

MAX_QUESTION_CHARS = 2000
EMPTY_QUESTION = "问题不能为空，请输入要查询的内容。"
NO_WORDS = "问题中没有文字或数字（只有标点、符号或表情），请用文字描述要查询的内容。"
RRF_K = 60


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]: ...


def check_question(query: str) -> str:
    """The question stripped and normalised (繁体 → 简体, full-width digits → ASCII),
    or a :class:`BadQuestionError` in Chinese: empty, too long, or no letter or digit at all."""
    q = query.strip() if query else ""
    if not q:
        raise BadQuestionError(EMPTY_QUESTION, "empty question")
    if len(q) > MAX_QUESTION_CHARS:
        raise BadQuestionError(
            f"问题过长（{len(q)} 字），请精简到 {MAX_QUESTION_CHARS} 字以内。",
            f"question too long: {len(q)} chars",
        )
    if not any(unicodedata.category(c)[0] in "LN" for c in q):
        raise BadQuestionError(NO_WORDS, f"no letters or digits in a {len(q)}-character question")
    return normalize_question(q)


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
    """Indices of the k highest scores (ties broken by index), masked ones excluded."""
    scores = np.asarray(scores, dtype=np.float64)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    return sorted(part.tolist(), key=lambda i: (-scores[i], i))


def rrf(
    rankings: Sequence[Sequence[int]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[int, float]:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank), rank from 1."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, idx in enumerate(ranking, start=1):
            fused[idx] = fused.get(idx, 0.0) + w / (k + rank)
    return fused


class BM25Retriever:
    name = "bm25"

    def __init__(self, index: Index) -> None:
        self.index = index
        self._vocab: dict[str, int] = index.bm25.vocab_dict

    def scores(self, query: str) -> np.ndarray:
        ids = [self._vocab[t] for t in tokenize(query) if t in self._vocab]
        if not ids:
            return np.zeros(len(self.index), dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores(ids), dtype=np.float32)

    def ranked(self, scores: np.ndarray, k: int, filters: Filters | None) -> list[int]:
        """Positions of the k best chunks with a positive score that pass the filters."""
        mask = self.index.mask(filters)
        positive = scores > 0
        return top_k(scores, k, positive if mask is None else (mask & positive))

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        scores = self.scores(check_question(query))
        return [Hit(self.index.chunks[i], float(scores[i]), self.name) for i in self.ranked(scores, k, filters)]


class DenseRetriever:
    name = "dense"

    def __init__(self, index: Index, embedder: Any) -> None:
        self.index = index
        self.embedder = embedder

    def embed(self, query: str) -> np.ndarray:
        return np.asarray(self.embedder.embed_query(query), dtype=np.float32)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        qv = self.embed(check_question(query))
        return [Hit(self.index.chunks[i], s, self.name) for i, s in self.ranked(qv, k, filters)]

    def ranked(self, qv: np.ndarray, k: int, filters: Filters | None) -> list[tuple[int, float]]:
        """(position, inner product) of the k nearest chunks that pass the filters."""
        return self.index.store.search(qv, min(k, len(self.index)), self.index.allowed_docs(filters))


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant array becomes zeros."""
    lo, hi = float(np.min(x)), float(np.max(x))
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def convex_fusion(bm25: np.ndarray, dense: np.ndarray, alpha: float) -> np.ndarray:
    """alpha * minmax(bm25) + (1 - alpha) * minmax(dense), over one candidate set."""
    return alpha * minmax(bm25) + (1.0 - alpha) * minmax(dense)


class HybridRetriever:
    """BM25 and dense retrieval fused.

    ``method="convex"`` (default): the union of both retrievers' top
    ``candidates`` is scored by both (BM25 scores and exact inner products
    with the stored vectors), min-max scaled over that set and mixed with
    weight ``alpha`` on BM25. ``method="rrf"``: reciprocal rank fusion.
    Both were measured on the gold set; see docs/quality.md.
    """

    name = "hybrid"

    def __init__(
        self,
        bm25: BM25Retriever,
        dense: DenseRetriever,
        candidates: int = 50,
        method: str = "convex",
        alpha: float = 0.7,
        rrf_k: int = RRF_K,
    ) -> None:
        self.bm25 = bm25
        self.dense = dense
        self.index = bm25.index
        self.candidates = candidates
        self.method = method
        self.alpha = alpha
        self.rrf_k = rrf_k

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        query = check_question(query)
        n = max(self.candidates, k)
        bm25_all = self.bm25.scores(query)  # computed once, used for candidates and fusion
        qv = self.dense.embed(query)  # embedded once
        bm25_ids = self.bm25.ranked(bm25_all, n, filters)
        dense_ids = [i for i, _ in self.dense.ranked(qv, n, filters)]
        if self.method == "rrf":
            fused = rrf([bm25_ids, dense_ids], self.rrf_k)
            order = sorted(fused, key=lambda i: (-fused[i], i))[:k]
            return [Hit(self.index.chunks[i], fused[i], self.name) for i in order]
        union = np.array(sorted(set(bm25_ids) | set(dense_ids)), dtype=np.int64)
        if union.size == 0:
            return []
        scores = convex_fusion(bm25_all[union], self.index.vectors[union] @ qv, self.alpha)
        order = top_k(scores, k)
        return [Hit(self.index.chunks[int(union[i])], float(scores[i]), self.name) for i in order]


class RerankRetriever:
    """Rescore a base retriever's candidates with a cross-encoder (optional, user-configured)."""

    name = "rerank"

    def __init__(self, base: Retriever, cross_encoder: Any, candidates: int = 30) -> None:
        self.base = base
        self.model = cross_encoder
        self.candidates = candidates

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        query = check_question(query)
        hits = self.base.search(query, max(self.candidates, k), filters)
        if not hits:
            return []
        scores = self.model.predict([(query, h.chunk.text) for h in hits])
        order = sorted(range(len(hits)), key=lambda i: (-float(scores[i]), i))[:k]
        return [Hit(hits[i].chunk, float(scores[i]), self.name) for i in order]


def load_cross_encoder(path: str) -> Any:
    """A sentence-transformers CrossEncoder from a local directory."""
    from pathlib import Path

    from rag.errors import ConfigError

    if not Path(path).is_dir():
        raise ConfigError(f"找不到重排序模型目录：{path}", f"reranker dir not found: {path}")
    from sentence_transformers import CrossEncoder

    return CrossEncoder(path, device="cpu", local_files_only=True)


def make_retriever(index: Index, embedder: Any, mode: str = "hybrid", reranker: Any = None) -> Retriever:
    """The retriever for ``mode``: bm25, dense, hybrid (default); reranked when a model is given."""
    bm25 = BM25Retriever(index)
    retriever: Retriever
    if mode == "bm25":
        retriever = bm25
    elif mode == "dense":
        retriever = DenseRetriever(index, embedder)
    elif mode == "hybrid":
        retriever = HybridRetriever(bm25, DenseRetriever(index, embedder))
    else:
        raise ValueError(f"unknown retrieval mode {mode!r}")
    if reranker is not None:
        retriever = RerankRetriever(retriever, reranker)
    return retriever
