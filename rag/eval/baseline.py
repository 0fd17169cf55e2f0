"""The baseline a user would otherwise build: llama-index defaults over the same text and model.

``SentenceSplitter`` chunks (llama-index's default size and overlap) of each
cleaned document, a ``VectorStoreIndex`` embedded with the same embedder as
planqa, top-k retrieval. Its nodes keep character offsets into the cleaned
text, so the evaluation judges them exactly like planqa's chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.models import Chunk, Document, Filters, Hit


def _llama_embedding(embedder: Any) -> Any:
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class PlanqaEmbedding(BaseEmbedding):  # type: ignore[misc]
        _embedder: Any = PrivateAttr()

        def __init__(self, inner: Any) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=inner.batch_size)
            self._embedder = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in self._embedder.embed_query(query)]

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in self._embedder.embed_documents([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in self._embedder.embed_documents(texts)]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return PlanqaEmbedding(embedder)


class LlamaIndexBaseline:
    """llama-index defaults: SentenceSplitter + VectorStoreIndex + top-k, same embedder."""

    name = "llamaindex"

    def __init__(self, docs: Sequence[Document], embedder: Any) -> None:
        from llama_index.core import Document as LlamaDocument
        from llama_index.core import VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        llama_docs = [
            LlamaDocument(text=d.text, id_=d.file, metadata={"doc": d.file, "title": d.title})
            for d in docs
        ]
        nodes = SentenceSplitter().get_nodes_from_documents(llama_docs)
        self._titles = {d.file: d.title for d in docs}
        self._index = VectorStoreIndex(nodes, embed_model=_llama_embedding(embedder))
        self.n_nodes = len(nodes)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        retriever = self._index.as_retriever(similarity_top_k=k)
        hits = []
        for n, scored in enumerate(retriever.retrieve(query)):
            node = scored.node
            doc = node.metadata["doc"]
            chunk = Chunk(
                chunk_id=f"llamaindex:{n}",
                doc=doc,
                title=self._titles[doc],
                section_path=[],
                start=int(getattr(node, "start_char_idx", None) or 0),
                end=int(getattr(node, "end_char_idx", None) or 0),
                text=node.get_content(),
            )
            hits.append(Hit(chunk, float(scored.score or 0.0), self.name))
        return hits
