"""The plan check: a lower-level plan against the plan it implements (indicators, text
targets, tasks, 专栏 projects), and its text / Markdown / HTML reports.

May import ``rag.docs``, ``rag.index`` and ``rag.qa``; not ``rag.eval``, the CLI or ``ui``.
"""
