"""Index builds after library changes: a queue, one build at a time, progress anyone can read.

A change to the library submits a job; a job is one :func:`rag.index.directory.build_index`
of the whole corpus, which re-embeds only the chunks whose text changed and switches the
index's ``CURRENT`` by one atomic rename when it is done, so the chat answers from the
previous version all the while, and every serving process that checks ``CURRENT``
(:func:`rag.index.directory.current_version`) moves to the new one by itself.

Jobs are small JSON files, ``<index>/.jobs/<id>.json``, rewritten (atomically) as they move
``queued`` → ``running`` → ``done`` | ``failed``, so any process serving the same index answers
``GET /api/jobs/{id}``. Builds are serialised across processes by an ``flock`` on
``<index>/.jobs/.build.lock``. A change made while a job is still queued joins that job (the
build has not read the corpus yet, so it will see the change); one made while a build runs
gets a new job after it.

A job records its process id. A job another process left ``queued`` or ``running`` whose
process is gone (killed, or stopped mid-build) is reported ``failed`` by whoever reads it
next, with a message saying the index is still the previous version: it is never left
"running" forever, and it is not silently re-run (the next change, ``planqa index`` or the
next ``planqa serve`` start, which updates a stale index, brings the index up to date).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from rag.errors import PlanqaError
from rag.library.journal import write_atomic
from rag.library.store import LibraryError

log = logging.getLogger(__name__)

JOBS_DIR = ".jobs"
KEEP_JOBS = 200  # finished job files kept per index; older ones are deleted
State = Literal["queued", "running", "done", "failed"]
_JOB_ID = re.compile(r"job-[0-9a-f]{16}")
DEAD = "更新索引的进程已退出（可能被终止或重启），任务未完成；索引仍是之前的版本。重新提交修改或运行 `planqa index` 即可更新。"
INTERNAL = "更新索引时出现内部错误（详细信息已写入服务器日志）；索引仍是之前的版本。"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Job(BaseModel):
    """One index build, as ``GET /api/jobs/{id}`` answers it."""

    model_config = ConfigDict(extra="forbid")
    id: str
    state: State = "queued"
    progress: float = 0.0  # 0–1
    stage: str = "排队中"  # in Chinese, for people
    error: str | None = None  # in Chinese, when failed
    reasons: list[str] = []  # the changes it brings in ("添加 x.txt", …)
    created: str
    started: str | None = None
    finished: str | None = None
    pid: int
    host: str
    version: str | None = None  # the index version it made current
    report: dict[str, Any] | None = None  # the build's report (documents, chunks, embedded, seconds, stages)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"pid", "host"})


class JobStore:
    """The job files of one index."""

    def __init__(self, index_dir: Path) -> None:
        self.dir = Path(index_dir) / JOBS_DIR

    def new(self, reasons: list[str]) -> Job:
        job = Job(
            id=f"job-{uuid.uuid4().hex[:16]}",
            reasons=reasons, created=_now(), pid=os.getpid(), host=socket.gethostname(),
        )
        self.save(job)
        self.prune()
        return job

    def save(self, job: Job) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.dir / f"{job.id}.json", job.model_dump_json(indent=1))

    def get(self, job_id: str) -> Job:
        """A job by id; one whose process has died unfinished is reported (and saved) as failed."""
        path = self.dir / f"{job_id}.json"
        if not _JOB_ID.fullmatch(job_id) or not path.is_file():
            raise LibraryError(f"没有任务 {job_id[:60]}（任务记录保留最近 {KEEP_JOBS} 个）。", f"no job {job_id[:60]!r}", 404, "job_not_found")
        try:
            job = Job.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as exc:
            raise LibraryError(f"任务记录 {job_id} 已损坏。", f"bad job file {path}: {exc}", 500, "job_damaged") from exc
        if job.state in ("queued", "running") and self._dead(job):
            job = job.model_copy(update={"state": "failed", "error": DEAD, "stage": "已中断", "finished": _now()})
            self.save(job)
        return job

    @staticmethod
    def _dead(job: Job) -> bool:
        from rag.index.directory import _pid_alive

        if job.host != socket.gethostname():
            return False  # another machine's process: it cannot be asked
        return job.pid != os.getpid() and not _pid_alive(job.pid)

    def prune(self, keep: int = KEEP_JOBS) -> None:
        files = sorted(self.dir.glob("job-*.json"), key=lambda p: p.stat().st_mtime)
        for old in files[:-keep] if len(files) > keep else []:
            old.unlink(missing_ok=True)

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """One build of this index at a time, across processes."""
        import fcntl

        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".build.lock", "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def run_job(
    store: JobStore, job: Job, corpus: Path, index: Path, embedder: Any, every: float = 0.5,
    on_progress: Callable[[Job], object] | None = None,
) -> Job:
    """Run one job's build now (waiting for another process's build to end first), saving its
    progress at most every ``every`` seconds (and telling ``on_progress``); the job as it ended."""
    from rag.index.directory import build_index, current_version

    with store.build_lock():
        job.state, job.started, job.stage, job.progress = "running", _now(), "读取与切分文档", 0.05
        store.save(job)
        saved = time.monotonic()

        def progress(done: int, total: int) -> None:
            nonlocal saved
            job.stage = f"向量化 {done}/{total} 段" if total else "写入索引"
            job.progress = round(0.1 + 0.8 * (done / total if total else 1.0), 3)
            if time.monotonic() - saved >= every or done == total:
                saved = time.monotonic()
                store.save(job)
                if on_progress is not None:
                    on_progress(job)

        try:
            report = build_index(corpus, index, embedder, progress=progress)
        except PlanqaError as exc:
            log.warning("index job %s failed: %s", job.id, exc.detail)
            job.state, job.error, job.stage = "failed", f"{exc.message.rstrip('。')}；索引仍是之前的版本。", "失败"
        except Exception:  # noqa: BLE001 - the job says it failed, the log has the traceback
            log.exception("index job %s failed", job.id)
            job.state, job.error, job.stage = "failed", INTERNAL, "失败"
        else:
            job.state, job.progress, job.stage = "done", 1.0, "完成"
            job.version = current_version(index)
            job.report = {k: v for k, v in report.__dict__.items()}
        job.finished = _now()
        store.save(job)
    return job


class JobQueue:
    """This process's build queue for one index: a worker thread takes the jobs one by one;
    ``on_done`` is called after each (the serving process reloads the index there)."""

    def __init__(self, corpus: Path, index: Path, embedder: Any, on_done: Callable[[Job], object] | None = None) -> None:
        self.corpus, self.index, self.embedder = Path(corpus), Path(index), embedder
        self.store = JobStore(self.index)
        self.on_done = on_done
        self._pending: deque[Job] = deque()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, reason: str) -> Job:
        """A job that will bring ``reason``'s change into the index (a queued one it joins, or a new one)."""
        with self._cv:
            for job in self._pending:
                if job.state == "queued":  # its build has not read the corpus yet: it will see this change
                    job.reasons.append(reason)
                    self.store.save(job)
                    return job
            job = self.store.new([reason])
            self._pending.append(job)
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="planqa-index-jobs", daemon=True)
                self._thread.start()
            self._cv.notify()
            return job

    def get(self, job_id: str) -> Job:
        return self.store.get(job_id)

    def wait(self, timeout: float | None = None) -> bool:
        """Until no job is queued or running here (tests, the benchmark); False on timeout."""
        return self._idle.wait(timeout)

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._pending:
                    self._idle.set()
                    self._cv.wait()
                job = self._pending[0]
            try:
                run_job(self.store, job, self.corpus, self.index, self.embedder)
            finally:
                with self._cv:
                    self._pending.popleft()
            if self.on_done is not None:
                try:
                    self.on_done(job)
                except Exception:  # noqa: BLE001 - a failed reload leaves the old index serving
                    log.exception("after index job %s", job.id)
            with self._cv:
                if not self._pending:
                    self._idle.set()
