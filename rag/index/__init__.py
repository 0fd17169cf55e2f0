"""From documents to a searchable index: chunking, embedders, BM25 tokens, vector stores,
and the versioned index directory.

May import ``rag.docs`` and the shared top-level modules, nothing above (qa, check, eval, ui, cli).
"""
