"""The external development set (tests/data/external/, described in evals/external/sources.md):
nine real documents from elsewhere, with no manifest, read once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.docs.ingest import ingest_corpus
from rag.models import Document

EXTERNAL = Path(__file__).resolve().parents[1] / "data" / "external"


@pytest.fixture(scope="session")
def external_docs() -> dict[str, Document]:
    return {d.file: d for d in ingest_corpus(EXTERNAL)}
