"""Query latency, warm and in-process, on the bundled corpus; and the CLI's cold start.

Every answerable gold question is asked of each retriever (BM25, dense with its query
embedding, hybrid, hybrid + rerank when ``PLANQA_RERANKER`` names a cross-encoder, the
llama-index default baseline over the same text and model, the Milvus Lite store) and of
the extractive answerer, after three warm-up questions. The cold starts are fresh
processes: ``planqa --help`` and a first ``planqa retrieve`` (imports, model and index load).

    .venv/bin/python -m benchmarks.bench_query [--index indexes/default] [--no-baseline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.common import (
    PLANQA,
    ROOT,
    latencies,
    percentiles,
    print_table,
    run_timed,
    timed,
    write_results,
)


def cold_starts(index: Path, runs: int = 5) -> dict[str, dict[str, float]]:
    help_s, retrieve_s = [], []
    for _ in range(runs):
        done, wall, _ = run_timed([str(PLANQA), "--help"])
        assert done.returncode == 0, done.stderr
        help_s.append(wall)
    for _ in range(3):
        done, wall, _ = run_timed([str(PLANQA), "retrieve", "护理型床位占比", "--k", "3", "--index", str(index), "--no-build"])
        assert done.returncode == 0, done.stderr
        retrieve_s.append(wall)
    return {"planqa --help": percentiles(help_s), "first planqa retrieve": percentiles(retrieve_s)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", default=str(ROOT / "indexes" / "default"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the llama-index baseline (about 70 s to embed)")
    args = parser.parse_args()

    from rag.docs.ingest import ingest_corpus
    from rag.eval.metrics import answerable, load_gold
    from rag.index.directory import Index, build_index
    from rag.index.embed import get_embedder
    from rag.qa.answer import Answerer
    from rag.qa.retrieve import load_cross_encoder, make_retriever

    index_dir = Path(args.index)
    embedder, load_model_s = timed(lambda: get_embedder(None))
    index, load_index_s = timed(lambda: Index.load(index_dir, embedder.name))
    questions = [q.question for q in answerable(load_gold(ROOT / "evals" / "gold.jsonl"))]
    rows: dict[str, dict[str, float]] = {}

    rows["bm25"] = latencies(make_retriever(index, embedder, "bm25").search, questions)
    rows["query embedding alone"] = latencies(embedder.embed_query, questions)
    rows["dense (with query embedding)"] = latencies(make_retriever(index, embedder, "dense").search, questions)
    hybrid = make_retriever(index, embedder, "hybrid")
    rows["hybrid (default)"] = latencies(hybrid.search, questions)
    reranker = os.environ.get("PLANQA_RERANKER")
    if reranker:
        rows["hybrid + rerank"] = latencies(make_retriever(index, embedder, "hybrid", load_cross_encoder(reranker)).search, questions)
    answerer = Answerer(index, hybrid)
    rows["extractive answer (retrieval included)"] = latencies(answerer.answer, questions)

    with tempfile.TemporaryDirectory() as tmp:  # the same index, vectors searched in Milvus Lite
        shutil.copytree(index_dir, Path(tmp) / "idx")
        build_index(ROOT / "corpus", Path(tmp) / "idx", embedder, vector_store="milvus")
        milvus = Index.load(Path(tmp) / "idx", embedder.name)
        rows["dense, Milvus Lite store"] = latencies(make_retriever(milvus, embedder, "dense").search, questions)
        rows["hybrid, Milvus Lite store"] = latencies(make_retriever(milvus, embedder, "hybrid").search, questions)
        milvus.store.close()  # type: ignore[attr-defined]

    baseline_build_s = None
    if not args.no_baseline:
        from rag.eval.baseline import LlamaIndexBaseline

        docs = ingest_corpus(ROOT / "corpus")
        baseline, baseline_build_s = timed(lambda: LlamaIndexBaseline(docs, embedder))
        rows[f"llama-index default ({baseline.n_nodes} nodes, same model)"] = latencies(baseline.search, questions)

    cold = cold_starts(index_dir)
    table = [[name, r["p50_ms"], r["p95_ms"], r["n"]] for name, r in rows.items()]
    table += [[f"cold: {name}", r["p50_ms"], r["p95_ms"], r["n"]] for name, r in cold.items()]
    print_table(
        f"Query latency, warm, in-process ({len(questions)} gold questions, {len(index)} chunks; top 10)",
        ["what", "p50 ms", "p95 ms", "runs"], table,
    )
    print(f"model load {load_model_s:.2f} s, index load {load_index_s:.2f} s"
          + (f", llama-index baseline build {baseline_build_s:.1f} s" if baseline_build_s else ""))
    write_results("query", {
        "chunks": len(index), "questions": len(questions), "warm": rows, "cold": cold,
        "model_load_s": round(load_model_s, 3), "index_load_s": round(load_index_s, 3),
        "baseline_build_s": baseline_build_s,
    })


if __name__ == "__main__":
    main()
