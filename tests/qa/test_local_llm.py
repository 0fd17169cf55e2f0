"""The local GGUF backend's own logic, without the engine or a model (fast; tests/qa/test_gguf.py runs
the real ones): the Chinese message when the extra or the file is missing, and the streaming of
llama.cpp's chat chunks out of its blocking callback API, against a fake server that calls back as
xllamacpp's ``Server.handle_chat_completions(request, callback)`` does."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest

from rag.errors import ConfigError, LLMError
from rag.qa.llm import XLlamaCppChat, _stream_chunks, make_llm
from rag.settings import Settings


def chunk(content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "object": "chat.completion.chunk"}


class FakeServer:
    """Calls back with the scripted chunks (or raises), recording what the callback answered."""

    def __init__(self, *chunks: Any, pause: float = 0.0) -> None:
        self.chunks = chunks
        self.pause = pause
        self.answers: list[bool] = []
        self.finished = threading.Event()

    def handle_chat_completions(self, request: dict[str, Any], callback: Any = None) -> Any:
        assert request["stream"] is True and callback is not None
        try:
            for c in self.chunks:
                if isinstance(c, Exception):
                    raise c
                time.sleep(self.pause)
                stop = callback(c)
                self.answers.append(bool(stop))
                if stop:
                    return None
            return None
        finally:
            self.finished.set()


REQUEST = {"messages": [{"role": "user", "content": "问题"}], "stream": True}


def test_deltas_come_out_in_order_and_empty_ones_are_skipped() -> None:
    server = FakeServer(chunk(None), chunk("到2025年底"), chunk(""), chunk("5000张[1]。"), chunk(None, "stop"))
    assert list(_stream_chunks(server, REQUEST, timeout=5)) == ["到2025年底", "5000张[1]。"]
    assert server.answers == [False] * 5  # never asked to stop


def test_a_reader_that_stops_early_stops_the_engine() -> None:
    server = FakeServer(chunk("一"), chunk("二"), chunk("三"), chunk("四"), chunk(None, "stop"), pause=0.05)
    pieces = _stream_chunks(server, REQUEST, timeout=5)
    assert next(pieces) == "一"
    pieces.close()
    assert server.finished.wait(5)
    assert True in server.answers and len(server.answers) < 5  # the callback said stop, the rest never came


@pytest.mark.parametrize(
    ("chunks", "detail"),
    [
        ((chunk("到2025年"), chunk("底")), "stream ended without finish_reason"),
        ((chunk("到"), RuntimeError("decode failed")), "decode failed"),
        (({"error": {"code": 400, "message": "the request exceeds the available context size"}},), "context size"),
        (({"choices": []},), "llama.cpp: {'choices': []}"),
    ],
    ids=["cut-off", "engine-raises", "engine-error-object", "malformed"],
)
def test_failures_are_llm_errors_with_a_chinese_message(chunks: tuple[Any, ...], detail: str) -> None:
    with pytest.raises(LLMError) as info:
        list(_stream_chunks(FakeServer(*chunks), REQUEST, timeout=5))
    assert "已改用摘录式回答" in info.value.message and detail in info.value.detail


def test_a_stalled_engine_times_out() -> None:
    server = FakeServer(chunk("到"), chunk("底"), chunk(None, "stop"), pause=0.5)
    with pytest.raises(LLMError, match="本地模型响应超时"):
        list(_stream_chunks(server, REQUEST, timeout=0.2))


def test_a_missing_model_file_names_make_llm(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="找不到本地模型文件.*make llm"):
        XLlamaCppChat(str(tmp_path / "none.gguf"))


def test_a_missing_engine_names_the_extra(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # import xllamacpp raises ImportError
    with pytest.raises(ConfigError) as info:
        XLlamaCppChat(str(model))
    assert "未安装本地模型引擎 xllamacpp" in info.value.message and "planqa[gguf]" in info.value.message


def test_make_llm_passes_the_thread_count_and_asks_for_a_path(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, Any] = {}
    monkeypatch.setattr("rag.qa.llm.XLlamaCppChat", lambda path, **kw: seen.update(path=path, **kw) or "llm")
    settings = Settings.from_env({"PLANQA_BACKEND": "gguf", "PLANQA_GGUF_MODEL": "m.gguf", "PLANQA_GGUF_THREADS": "2"})
    assert make_llm(settings) == "llm" and seen["path"] == "m.gguf" and seen["n_threads"] == 2
    assert seen["timeout"] == 300  # the 60 s default is too short for a 2-core machine to read a prompt
    assert Settings.from_env({}).gguf_threads == 1  # one thread unless told: see XLlamaCppChat
    with pytest.raises(ConfigError, match="PLANQA_GGUF_MODEL"):
        make_llm(Settings.from_env({"PLANQA_BACKEND": "gguf"}))
    with pytest.raises(ConfigError, match="gguf_threads"):
        Settings.from_env({"PLANQA_GGUF_THREADS": "0"})
