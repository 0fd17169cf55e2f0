"""Evaluation against a gold question set: the gold format, metrics, runs over retrieval
configurations, reports, comparisons between reports, and the llama-index baseline.

May import ``rag.docs``, ``rag.index`` and ``rag.qa``; not ``rag.check``, the CLI or ``ui``.
"""
