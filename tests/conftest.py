"""Shared fixtures and fakes.

Fakes (a keyword embedder) keep most tests fast and deterministic; tests
marked ``real`` use the real embedding model on the real corpus index, which
is built once per test session.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.docs.ingest import ingest_corpus
from rag.index.embed import Embedder
from rag.index.tokenize import tokenize
from rag.models import Document

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
GOLD = ROOT / "evals" / "gold.jsonl"
ARTIFACTS = ROOT / "test-artifacts"  # server logs and screenshots (ignored by git; CI keeps them)
QUESTION = "2023年对生活不能自理的特困老人，集中供养率要达到多少？"  # answered by 2023 要点 （十一）: 60%以上
# A heading and paragraph of the provincial plan, for tests that write their own files.
SAMPLE_HEADING = "第五章 大力促进养老服务业发展"
SAMPLE_BODY = (
    "切实发挥公办养老机构兜底保障作用。根据人口总量、人口老龄化程度、特困人员数量、经济发展水平等因素，"
    "科学规划公办养老机构布局，保障供给，有效满足特困人员供养需求。坚持公办养老机构公益属性，"
    "突出保基本兜底线职能，做好城乡特困人员集中供养工作。不断增加公办养老机构护理型床位数量，"
    "到2022年底护理型床位占比不低于50%，到2025年底护理型床位占比不低于60%。"
    "公办养老机构在满足特困人员养老服务需求的基础上，闲置床位向社会开放，"
    "优先接收经济困难的孤寡、失能、高龄、计划生育特殊家庭等老年人。"
)


class KeywordEmbedder(Embedder):
    """Hashes jieba tokens into a small vector: similar words, similar vectors. Counts texts embedded."""

    name = "fake/keyword-64"
    dim = 64

    def __init__(self) -> None:
        self.embedded = 0

    def embed_batch(self, texts: list[str], *, query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in tokenize(text):
                h = int(hashlib.md5(tok.encode()).hexdigest(), 16)
                out[row, h % self.dim] += 1.0 if (h >> 8) % 2 else -1.0
        if not query:
            self.embedded += len(texts)
        return out


@pytest.fixture(scope="session")
def corpus_docs() -> dict[str, Document]:
    return {d.file: d for d in ingest_corpus(CORPUS)}


@pytest.fixture()
def fake_embedder() -> KeywordEmbedder:
    return KeywordEmbedder()


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rag.index.directory import build_index

    path = tmp_path_factory.mktemp("fake-index") / "default"
    build_index(CORPUS, path, KeywordEmbedder())
    return path


def final(steps: list[tuple[str, list[dict]]]) -> tuple[str, str]:
    """(input box, last chat message) after the handler's last step."""
    box, history = steps[-1]
    return box, history[-1]["content"]


def write_questions(path: Path, questions: dict[str, str]) -> Path:
    """A ``--questions`` file: one {"id", "question"} per line."""
    lines = (json.dumps({"id": i, "question": q}, ensure_ascii=False) for i, q in questions.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``planqa`` command as a user would."""
    exe = Path(sys.executable).with_name("planqa")
    return subprocess.run(
        [str(exe), *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=600
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(
    index: Path, env: dict[str, str], *args: str, log_name: str = "server", port: int | None = None
) -> Iterator[dict[str, Any]]:
    """``planqa serve`` as a user starts it; yields its URL, port, process and when it said it
    was ready. Stopped with SIGTERM (as ``kill`` or systemd does) when the block ends, unless the
    test stopped it already."""
    port = port or free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **env}
    env.pop("DISPLAY", None)
    exe = Path(sys.executable).with_name("planqa")
    cmd = [str(exe), "serve", "--corpus", str(CORPUS), "--index", str(index), "--port", str(port), *args]
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"{log_name}.log"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            ready_at = None
            deadline = time.monotonic() + 180
            assert proc.stdout is not None
            while ready_at is None and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                if "网页已就绪" in line:
                    ready_at = time.monotonic()
            if ready_at is None:
                pytest.fail("the server did not start: " + log_path.read_text(encoding="utf-8")[-3000:])
            yield {"url": f"http://127.0.0.1:{port}", "port": port, "ready_at": ready_at, "proc": proc, "log": log_path}
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


MILVUS_SERVER = ROOT / ".milvus-server" / "bin" / "milvus-server"


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URI of a real Milvus standalone server: ``PLANQA_TEST_MILVUS_URI``, or one started here
    from ``make milvus-server`` (Milvus 2.3.5 from PyPI) and stopped after the session."""
    given = os.environ.get("PLANQA_TEST_MILVUS_URI")
    if given:
        yield given
        return
    if not MILVUS_SERVER.exists():
        why = "no Milvus server: run `make milvus-server` or set PLANQA_TEST_MILVUS_URI"
        if os.environ.get("PLANQA_REQUIRE_MILVUS_SERVER"):  # CI requires it
            pytest.fail(why)
        pytest.skip(why)
    data = tmp_path_factory.mktemp("milvus-server")
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "milvus-server.log"
    # A port of our own: the wrapper silently moves to the next port when its default 19530 cannot be
    # bound (still in TIME_WAIT after a previous run), and the client would knock on the wrong one.
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        # its own process group: the wrapper starts the milvus binary, and both must stop
        proc = subprocess.Popen(
            [str(MILVUS_SERVER), "--data", str(data), "--proxy-port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            from pymilvus import MilvusClient

            deadline = time.monotonic() + 240
            while True:
                try:
                    MilvusClient(uri=uri, timeout=5).list_collections()
                    break
                except Exception:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("the Milvus server did not start: " + log_path.read_text(errors="replace")[-3000:])
                    time.sleep(1)
            yield uri
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):  # SIGKILL: whatever did not stop in a minute
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=60)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real corpus indexed by ``planqa index`` with the real default model (about a minute)."""
    path = tmp_path_factory.mktemp("real-index") / "default"
    done = run_cli("index", "--corpus", str(CORPUS), "--index", str(path))
    assert done.returncode == 0, done.stderr
    assert "索引已建立" in done.stdout
    return path


class ScriptedLLM:
    """A chat model that replays scripted replies (or raises) and records the messages it got."""

    name = "scripted"

    def __init__(self, *replies: str | Exception) -> None:
        self.replies = list(replies)
        self.calls: list[list[dict[str, str]]] = []

    def chat(self, messages: list[dict[str, str]], stream: bool = True):  # type: ignore[no-untyped-def]
        self.calls.append(messages)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        for i in range(0, len(reply), 7):  # stream in small pieces, as a server does
            yield reply[i : i + 7]


@pytest.fixture(scope="session")
def fake_answerer(fake_index_dir: Path):  # type: ignore[no-untyped-def]
    """An extractive answerer over the real corpus with the keyword embedder (fast, deterministic)."""
    from rag.index.directory import Index
    from rag.qa.answer import Answerer
    from rag.qa.retrieve import make_retriever

    embedder = KeywordEmbedder()
    index = Index.load(fake_index_dir, embedder.name)
    return Answerer(index, make_retriever(index, embedder))


@pytest.fixture()
def service(fake_answerer, fake_index_dir: Path):  # type: ignore[no-untyped-def]
    """What the web chat's ``Service.load`` builds, over the fake-embedder index."""
    from rag.settings import Settings
    from ui.service import Service

    return Service(
        Settings(),
        CORPUS,
        fake_index_dir,
        index=fake_answerer.index,
        embedder=KeywordEmbedder(),
        answerers={"extractive": fake_answerer},
    )


PROVINCE_PLAN = "jilin_province_14th_fyp_2021.txt"
SHULAN_PLAN = "shulan_city_14th_fyp_2021.txt"


@pytest.fixture(scope="session")
def shulan_check(corpus_docs: dict[str, Document]):  # type: ignore[no-untyped-def]
    """The plan check of the real pair (Shulan against the provincial plan), keyword embedder."""
    from rag.check.compliance import check_plans

    return check_plans(corpus_docs[SHULAN_PLAN], corpus_docs[PROVINCE_PLAN], KeywordEmbedder())


def load_script(path: Path, name: str):  # type: ignore[no-untyped-def]
    """A script that is not in a package (``.ci/audit.py``, ``benchmarks/load_ui.py``), imported as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
