"""Index jobs after library changes: only new chunks embedded, progress, killed builds, stale jobs,
and a serving process switching to the new version by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rag.index.directory import Index, build_index, current_version
from rag.library.jobs import DEAD, JobQueue, JobStore, run_job
from rag.library.store import Library
from rag.settings import Settings
from tests.conftest import ROOT, KeywordEmbedder
from tests.library.conftest import SMALL


@pytest.fixture()
def indexed(small_corpus: Path, tmp_path: Path) -> Path:
    index = tmp_path / "index"
    build_index(small_corpus, index, KeywordEmbedder())
    return index


def test_adding_one_document_embeds_only_its_chunks(small_corpus: Path, indexed: Path, upload: Path):
    before = current_version(indexed)
    entry = Library(small_corpus).add(upload, upload.name)
    embedder = KeywordEmbedder()
    store = JobStore(indexed)
    seen: list[float] = []
    job = run_job(store, store.new([f"添加 {entry.id}"]), small_corpus, indexed, embedder, every=0, on_progress=lambda j: seen.append(j.progress))
    assert job.state == "done" and job.error is None and job.progress == 1.0
    index = Index.load(indexed)
    new_chunks = index.manifest.documents[entry.id].chunks
    assert new_chunks > 20
    assert embedder.embedded == new_chunks == job.report["embedded"]  # the two old documents' vectors are reused
    assert job.version == current_version(indexed) != before
    assert seen == sorted(seen) and 0.1 < seen[0] and seen[-1] == pytest.approx(0.9)
    assert store.get(job.id).state == "done"  # what another process reads


def test_queue_runs_one_build_after_another_and_joins_changes_while_queued(small_corpus: Path, indexed: Path, upload: Path):
    done: list[str] = []
    queue = JobQueue(small_corpus, indexed, KeywordEmbedder(), on_done=lambda job: done.append(job.id))
    first = queue.submit("一")
    second = queue.submit("二")
    third = queue.submit("三")
    assert queue.wait(300)  # a hang guard, not a time (loaded CI machines are slow)
    assert second.id == third.id or first.id == second.id  # a change made while a job waited joins it
    assert all(queue.get(j.id).state == "done" for j in (first, second, third))
    assert len(done) == len({first.id, second.id, third.id})
    with pytest.raises(Exception, match="没有任务"):
        queue.get("../../etc/passwd")


def test_a_failed_build_says_so_in_chinese(small_corpus: Path, tmp_path: Path):
    store = JobStore(tmp_path / "index")
    job = run_job(store, store.new(["删除"]), small_corpus / "missing", tmp_path / "index", KeywordEmbedder())
    assert job.state == "failed" and "语料目录不存在" in (job.error or "") and "之前的版本" in (job.error or "")


def test_a_job_left_running_by_a_dead_process_is_reported_failed(indexed: Path):
    store = JobStore(indexed)
    job = store.new(["添加 x.txt"])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    job.state, job.pid = "running", int(dead.stdout)
    store.save(job)
    got = store.get(job.id)
    assert got.state == "failed" and got.error == DEAD and got.finished
    assert json.loads((indexed / ".jobs" / f"{job.id}.json").read_text(encoding="utf-8"))["state"] == "failed"
    job.pid = os.getpid()  # this process's own queued job is left alone
    job.state = "queued"
    store.save(job)
    assert store.get(job.id).state == "queued"


SLOW_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from rag.library.jobs import JobStore, run_job
    from tests.conftest import KeywordEmbedder

    class Slow(KeywordEmbedder):
        def embed_batch(self, texts, *, query):
            print("EMBEDDING", flush=True)
            time.sleep(0.5)
            return super().embed_batch(texts, query=query)

    store = JobStore(Path(sys.argv[2]))
    job = store.new(["添加"])
    print(job.id, flush=True)
    run_job(store, job, Path(sys.argv[1]), Path(sys.argv[2]), Slow(), every=0)
    """
)


def test_a_build_killed_midway_leaves_the_index_as_it_was_and_the_next_one_succeeds(
    small_corpus: Path, indexed: Path, upload: Path
):
    version = current_version(indexed)
    Library(small_corpus).add(upload, upload.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, str(small_corpus), str(indexed)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    job_id = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "EMBEDDING"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert current_version(indexed) == version
    assert set(Index.load(indexed).metas) == set(SMALL)  # the old version, whole
    assert JobStore(indexed).get(job_id).state == "failed"
    store = JobStore(indexed)
    job = run_job(store, store.new(["再试"]), small_corpus, indexed, KeywordEmbedder())
    assert job.state == "done" and upload.name in Index.load(indexed).metas
    assert not [p for p in indexed.iterdir() if p.name.startswith(".tmp-")]  # the killed build's leftovers went


def test_a_serving_process_switches_to_the_new_version_by_itself(small_corpus: Path, indexed: Path, upload: Path):
    from ui.service import Service

    service = Service.load(small_corpus, indexed, Settings(), embedder=KeywordEmbedder())
    assert service.ready and service.version == current_version(indexed)
    assert not service.refresh()  # nothing new
    old_answerer = service.answerers["extractive"]
    Library(small_corpus).add(upload, "new.txt")
    build_index(small_corpus, indexed, KeywordEmbedder())  # as another process's job would
    answer = service.answer("2023年对生活不能自理的特困老人，集中供养率要达到多少？", service.filters())
    assert service.version == current_version(indexed) and "new.txt" in service.index.metas
    assert service.answerers["extractive"] is not old_answerer
    assert any(c.chunk.doc == "new.txt" for c in answer.citations)  # only the new document says it


def test_a_question_waits_for_one_slice_of_a_background_build_at_most():
    """A question asked while a build's slice runs goes next: before the build's following slice.
    Each slice is held until the test lets it finish, so the order is checked, not a time (how long
    a question waits: benchmarks/bench_bounds.py)."""
    import threading

    import numpy as np

    from ui.service import SLICE, SerializedEmbedder

    log: list[str] = []
    gates = [threading.Event() for _ in range(4)]
    started = threading.Event()

    class Gated:
        name, dim = "gated", 4

        def embed_documents(self, texts, progress=None):  # type: ignore[no-untyped-def]
            n = sum(entry.startswith("slice") for entry in log) // 2
            log.append(f"slice {n} start")
            started.set()
            assert gates[n].wait(timeout=30), "the test never let the slice finish"
            log.append(f"slice {n} end")
            return np.zeros((len(texts), 4), dtype=np.float32)

        def embed_query(self, text):  # type: ignore[no-untyped-def]
            log.append("question")
            return np.zeros(4, dtype=np.float32)

    embedder = SerializedEmbedder(Gated())
    build = threading.Thread(target=embedder.embed_documents, args=(["段落"] * SLICE * 4,))  # 4 slices
    build.start()
    assert started.wait(timeout=30)  # slice 0 holds the model
    asking = threading.Thread(target=embedder.embed_query, args=("问题",))
    asking.start()
    for _ in range(3000):  # until the question is waiting for the model (at most 30 s)
        if embedder._asking:
            break
        threading.Event().wait(0.01)
    assert embedder._asking == 1
    gates[0].set()  # slice 0 ends while the question waits
    asking.join(timeout=30)
    for gate in gates[1:]:
        gate.set()
    build.join(timeout=30)
    assert log == ["slice 0 start", "slice 0 end", "question", "slice 1 start", "slice 1 end",
                   "slice 2 start", "slice 2 end", "slice 3 start", "slice 3 end"]  # fmt: skip
