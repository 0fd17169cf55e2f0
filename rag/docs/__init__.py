"""What a document is: reading files of every format, cleaning, the outline, tables.

Imports only ``rag.models``, ``rag.errors`` and ``rag.settings`` (and its own modules):
everything else builds on it (docs ← index ← qa ← check / eval ← ui / cli).
"""
