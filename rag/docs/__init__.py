"""What a document is: reading files of every format, cleaning, the outline, tables, and what a
file says about itself (its wrapper and 印发通知: ``heads``; metadata read from the text: ``meta``;
whose document it is by its whole body: ``jurisdiction``; the place gazetteer: ``places``).

Imports only ``rag.models``, ``rag.errors`` and ``rag.settings`` (and its own modules):
everything else builds on it (docs ← index ← qa ← check / eval ← ui / cli).
"""
