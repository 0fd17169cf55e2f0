"""Answering a question: scope, retrieval, the extractive and LLM answerers, number checks
(``Answerer`` in ``answer.py`` ties them together).

May import ``rag.docs`` and ``rag.index``; not ``rag.check``, ``rag.eval``, the CLI or ``ui``.
"""
