"""A serving process (the API under uvicorn, keyword embedder made slow) SIGKILLed in the middle of
an upload, and in the middle of the build after one: the library and the index are left as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rag.index.directory import Index, build_index, current_version
from rag.library.jobs import JobStore, run_job
from rag.library.store import Library
from tests.conftest import ROOT, KeywordEmbedder, free_port
from tests.library.conftest import SMALL, snapshot

SERVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import uvicorn
    from rag.library import store
    from rag.settings import Settings
    from tests.conftest import KeywordEmbedder
    from ui.api import Api
    from ui.auth import KeyRing
    from ui.routes import create_app
    from ui.service import Service

    corpus, index, port, pause = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

    def checkpoint(point):
        if point == pause:
            print("PAUSED", flush=True)
            time.sleep(120)

    class Slow(KeywordEmbedder):
        def embed_batch(self, texts, *, query):
            if not query:
                time.sleep(0.25)  # a build of a dozen slices: seconds, with progress saved every 0.5 s
            return super().embed_batch(texts, query=query)

    store.checkpoint = checkpoint
    settings = Settings(api_keys_file="/nonexistent")
    service = Service.load(corpus, index, settings, embedder=Slow())
    print("READY", flush=True)
    uvicorn.run(create_app(Api(service, KeyRing.from_settings(settings))), host="127.0.0.1", port=port, log_level="warning")
    """
)


@contextmanager
def server(corpus: Path, index: Path, pause: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(corpus), str(index), str(port), pause], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{url}/api/documents", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


@pytest.fixture()
def indexed(small_corpus: Path, tmp_path: Path) -> Path:
    index = tmp_path / "index"
    build_index(small_corpus, index, KeywordEmbedder())
    return index


def test_killed_in_the_middle_of_an_upload(small_corpus: Path, indexed: Path, upload: Path):
    before, version = snapshot(small_corpus), current_version(indexed)
    with server(small_corpus, indexed, "add:manifest") as (proc, url):
        def post() -> None:
            with open(upload, "rb") as fh, pytest.raises(httpx.TransportError):
                httpx.post(f"{url}/api/documents", files={"file": (upload.name, fh)}, timeout=60)

        client = threading.Thread(target=post)
        client.start()
        assert proc.stdout is not None and proc.stdout.readline().strip() == "PAUSED"  # the file moved in, the manifest not yet
        assert (small_corpus / upload.name).exists()
        os.kill(proc.pid, signal.SIGKILL)
        client.join(30)
    assert [e.id for e in Library(small_corpus).documents()] == list(SMALL)  # the next process undoes it
    assert snapshot(small_corpus) == before and current_version(indexed) == version


def test_killed_in_the_middle_of_the_build_after_an_upload(small_corpus: Path, indexed: Path, upload: Path):
    version = current_version(indexed)
    with server(small_corpus, indexed, "none") as (proc, url):
        with open(upload, "rb") as fh:
            r = httpx.post(f"{url}/api/documents", files={"file": (upload.name, fh)}, timeout=60)
        assert r.status_code == 200, r.text
        job_id = r.json()["job"]["id"]
        deadline = time.monotonic() + 30
        while (job := httpx.get(f"{url}/api/jobs/{job_id}").json())["state"] != "running" or job["progress"] <= 0.1:
            assert time.monotonic() < deadline and job["state"] in ("queued", "running"), job
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    assert current_version(indexed) == version and set(Index.load(indexed).metas) == set(SMALL)  # the old version, whole
    assert upload.name in {e.id for e in Library(small_corpus).documents()}  # the upload itself had been committed
    store = JobStore(indexed)
    failed = store.get(job_id)
    assert failed.state == "failed" and "之前的版本" in (failed.error or "")
    assert run_job(store, store.new(["再试"]), small_corpus, indexed, KeywordEmbedder()).state == "done"
    assert upload.name in Index.load(indexed).metas
