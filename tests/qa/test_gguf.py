"""The local GGUF backend end to end, and llama.cpp's own OpenAI-compatible server.

Needs the optional ``gguf`` extra (llama-cpp-python, built from source: see
README) and a model file in ``PLANQA_GGUF_MODEL``. Skipped with the reason
when either is missing, as in CI, whose machines do not build llama.cpp.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time

import pytest

MODEL = os.environ.get("PLANQA_GGUF_MODEL", "")
llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (optional extra gguf)")
if not os.path.isfile(MODEL):
    pytest.skip("set PLANQA_GGUF_MODEL to a .gguf file to run the local-model tests", allow_module_level=True)

pytestmark = pytest.mark.gguf
QUESTION = "到2025年底全省失智老年人照护床位要达到多少张？"


def check(answer) -> None:  # type: ignore[no-untyped-def]
    """Whatever a small model says, what reaches the user is verified or the extractive answer."""
    assert "5000张" in answer.text
    if answer.backend == "extractive":
        assert "已改用摘录式回答" in answer.notices[0]
    else:
        for claim in answer.claims:
            assert claim.cites


def test_local_gguf_model(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    from rag.qa.llm import LlamaCppChat

    answerer = dataclasses.replace(fake_answerer, llm=LlamaCppChat(MODEL, n_ctx=4096))
    check(answerer.answer(QUESTION))


def test_llama_cpp_server(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    from rag.qa.llm import OpenAIChat

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", MODEL, "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--model_alias", "local"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(1)
        llm = OpenAIChat(f"http://127.0.0.1:{port}/v1", "local", timeout=300)
        check(dataclasses.replace(fake_answerer, llm=llm).answer(QUESTION))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
