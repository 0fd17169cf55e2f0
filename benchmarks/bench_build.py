"""Index build of the bundled corpus: throughput per stage, peak memory, and the update after one file changes.

Each build runs as ``planqa index --json`` in a fresh process (what a user runs), so
the peak RSS is that process's alone.

    .venv/bin/python -m benchmarks.bench_build
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from benchmarks.common import PLANQA, ROOT, print_table, run_timed, write_results

CORPUS = ROOT / "corpus"
STAGES = ["ingest", "chunk", "embed", "faiss", "bm25", "write"]


def build(corpus: Path, index: Path, *extra: str) -> dict:
    done, wall, peak = run_timed([str(PLANQA), "index", "--json", "--corpus", str(corpus), "--index", str(index), *extra])
    if done.returncode != 0:
        raise SystemExit(f"planqa index failed: {done.stderr}")
    report = json.loads(done.stdout)
    return {**report, "wall_s": round(wall, 2), "peak_rss_mb": round(peak, 1)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(CORPUS, corpus)
        index = Path(tmp) / "idx"
        full = build(corpus, index, "--rebuild")
        changed = corpus / "jilin_work_points_2025.txt"
        changed.write_text(
            changed.read_text(encoding="utf-8") + "\n（三）新增一项基准测试工作。推进测试。\n", encoding="utf-8"
        )
        update = build(corpus, index)
        shutil.copytree(index, Path(tmp) / "idx-milvus")  # the same vectors, moved into Milvus Lite
        milvus = build(corpus, Path(tmp) / "idx-milvus", "--vector-store", "milvus")

    docs, chunks = full["documents"], full["chunks"]
    rows = []
    for stage in STAGES:
        s = full["stages"].get(stage, 0.0)
        n = docs if stage == "ingest" else chunks
        unit = "documents" if stage == "ingest" else "chunks"
        rows.append([stage, round(s, 3), f"{n / s:,.0f} {unit}/s" if s > 0 else "–"])
    rows.append(["total (in process)", round(full["seconds"], 2), f"{chunks / full['seconds']:,.1f} chunks/s"])
    rows.append(["wall (process, imports included)", full["wall_s"], f"peak RSS {full['peak_rss_mb']:.0f} MB"])
    print_table(f"planqa index --rebuild: {docs} documents, {full['sections']} sections, {chunks} chunks",
                ["stage", "seconds", "throughput"], rows)
    print_table(
        "updates",
        ["build", "seconds", "chunks embedded", "wall s"],
        [
            ["after one file changed", round(update["seconds"], 2), update["embedded"], update["wall_s"]],
            ["moved into Milvus Lite (vectors reused)", round(milvus["seconds"], 2), milvus["embedded"], milvus["wall_s"]],
        ],
    )
    write_results("build", {"full": full, "update_after_one_file": update, "milvus_lite": milvus})


if __name__ == "__main__":
    main()
