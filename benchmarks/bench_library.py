"""The document library: seconds per stage from upload to answerable, and the chat's latency
while the index is rebuilt in the background.

A ~50-page document (about 50,000 characters, at about 1,000 a page) is made from the bundled
plans with another province's names, so none of its chunks is already in the index. It is
uploaded through the REST API (``POST /api/documents``, FastAPI's test client) to a serving
process (``ui.service.Service`` with the real model, or ``--fake`` for the keyword embedder of
the tests); the job then rebuilds the index in the process's worker thread, re-embedding only
the new document's chunks, while this thread keeps asking gold questions. "Answerable" is the
first answer citing the new document.

    .venv/bin/python -m benchmarks.bench_library [--base-index indexes/default] [--fake]

``--base-index`` copies an index of the bundled corpus built with the same model, so the
starting build reuses its vectors (else it is built first, untimed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, percentiles, print_table, write_results

CORPUS = ROOT / "corpus"
PARTS = ("jilin_province_14th_fyp_2021.txt", "jilin_work_points_2023.txt", "jilin_work_points_2021.txt")
NEW_QUESTION = "黑龙江省民政事业发展规划中，到2025年护理型床位占比要达到多少？"


def make_document(path: Path, pages: int = 50) -> int:
    """A long plan of another province (names replaced, so its text is new to the index); its characters."""
    text = "\n\n".join((CORPUS / p).read_text(encoding="utf-8") for p in PARTS)
    for old, new in (("吉林省", "黑龙江省"), ("吉林", "黑龙江"), ("舒兰", "五常"), ("长春", "哈尔滨")):
        text = text.replace(old, new)
    text = text[: pages * 1000]
    path.write_text(text, encoding="utf-8")
    return len(text)


def questions() -> list[str]:
    lines = (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:30]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-index", help="an index of the bundled corpus to start from (its vectors are reused)")
    parser.add_argument("--fake", action="store_true", help="the tests' keyword embedder instead of the real model (fast)")
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient

    from rag.index.directory import build_index
    from rag.settings import Settings
    from ui.api import Api
    from ui.auth import KeyRing
    from ui.routes import create_app
    from ui.service import Service

    if args.fake:
        from tests.conftest import KeywordEmbedder

        embedder: Any = KeywordEmbedder()
    else:
        from rag.index.embed import get_embedder

        embedder = get_embedder()
    asked = questions()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(CORPUS, corpus)
        if args.base_index:
            shutil.copytree(args.base_index, index, ignore=shutil.ignore_patterns(".jobs", ".lock"))
        base = build_index(corpus, index, embedder)  # untimed: reuses the base index's vectors
        settings = Settings(api_keys_file="/nonexistent")
        service = Service.load(corpus, index, settings, embedder=embedder)
        api = Api(service, KeyRing.from_settings(settings))
        client = TestClient(create_app(api))
        document = Path(tmp) / "黑龙江省民政规划.txt"
        chars = make_document(document, args.pages)

        def ask(question: str) -> dict[str, Any]:
            r = client.post("/api/ask", json={"question": question})
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        for q in asked[:3]:
            ask(q)  # warm
        idle = []
        for q in asked:
            t0 = time.perf_counter()
            ask(q)
            idle.append(time.perf_counter() - t0)

        t_upload = time.perf_counter()
        with open(document, "rb") as fh:
            r = client.post("/api/documents", files={"file": (document.name, fh, "text/plain")}, data={"title": "黑龙江省民政事业发展规划"})
        assert r.status_code == 200, r.text
        t_uploaded = time.perf_counter()
        job_id = r.json()["job"]["id"]
        doc_id = r.json()["document"]["id"]
        during: list[float] = []
        started = finished = None
        i = 0
        while True:
            job = api.jobs.get(job_id)
            if started is None and job.state != "queued":
                started = time.perf_counter()
            if job.state in ("done", "failed"):
                finished = time.perf_counter()
                break
            t0 = time.perf_counter()
            ask(asked[i % len(asked)])
            during.append(time.perf_counter() - t0)
            i += 1
        assert job.state == "done", job.error
        api.jobs.wait(60)  # the worker's reload after the build (on_done → Service.refresh)
        t_reloaded = time.perf_counter()
        answer = ask(NEW_QUESTION)
        t_answered = time.perf_counter()
        cited = any(c["doc"] == doc_id for c in answer["citations"])
        report = job.report or {}

    stages = report.get("stages", {})
    rows: list[list[Any]] = [["upload (POST /api/documents: copy, read, manifest)", round(t_uploaded - t_upload, 3)]]
    rows.append(["queued (until the worker took the job)", round((started or t_uploaded) - t_uploaded, 3)])
    for stage in ("ingest", "chunk", "embed", "faiss", "bm25", "write"):
        rows.append([f"build: {stage}", round(float(stages.get(stage, 0.0)), 3)])
    rows.append(["build: total", round(float(report.get("seconds", 0.0)), 3)])
    rows.append(["switch (serving process loads the new version)", round(t_reloaded - (finished or t_reloaded), 3)])
    rows.append(["first answer from the new version", round(t_answered - t_reloaded, 3)])
    rows.append(["upload → answerable", round(t_answered - t_upload, 3)])
    model = embedder.name
    print_table(
        f"one {chars:,}-character document ({args.pages} pages) added: {report.get('embedded')} chunks embedded of "
        f"{report.get('chunks')} ({model}); answer cites it: {cited}",
        ["stage", "seconds"], rows,
    )
    lat_idle, lat_during = percentiles(idle), percentiles(during)
    print_table(
        "chat latency (POST /api/ask, extractive), ms",
        ["when", "n", "p50", "p95"],
        [[when, lat["n"], lat.get("p50_ms", "–"), lat.get("p95_ms", "–")] for when, lat in (("idle", lat_idle), ("while the build runs", lat_during))],
    )
    write_results("library", {
        "model": model, "document_chars": chars, "pages": args.pages, "base_build_embedded": base.embedded,
        "stages": {r[0]: r[1] for r in rows}, "build": report, "cited": cited,
        "latency_idle": lat_idle, "latency_during_build": lat_during,
    })


if __name__ == "__main__":
    main()
