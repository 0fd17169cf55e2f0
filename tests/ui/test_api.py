"""The API's routes through FastAPI's test client, over the fake-embedder service (fast).

The same API against a real ``planqa serve`` with the official ``openai`` SDK and a plain
HTTP client: ``test_api_server.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.errors import ConfigError, LLMError
from rag.models import Answer, Chunk, Citation, Claim
from rag.qa.answer import Answerer
from rag.settings import Settings
from tests.conftest import QUESTION, ScriptedLLM
from ui.api import Api
from ui.auth import KeyRing, RateLimiter, add_key, hash_key, read_keys_file, remove_key
from ui.render import markdown_answer, markdown_pieces, plain_answer
from ui.routes import create_app

PROVINCE = "jilin_province_14th_fyp_2021.txt"
COUNTY = "shulan_city_14th_fyp_2021.txt"


def client(service: Any, settings: Settings | None = None) -> TestClient:
    return TestClient(create_app(Api(service, KeyRing.from_settings(settings or Settings(api_keys_file="/nonexistent")))))


@pytest.fixture()
def api(service: Any) -> TestClient:
    return client(service)


def chat(api: TestClient, content: str, history: list[dict[str, str]] = (), **extra: Any) -> Any:  # type: ignore[assignment]
    messages = [*history, {"role": "user", "content": content}]
    return api.post("/v1/chat/completions", json={"model": "planqa-extractive", "messages": messages, **extra})


def events(response: Any) -> list[Any]:
    """The data of a server-sent-event stream: JSON objects, and "[DONE]" as a string."""
    out = []
    for block in response.text.split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                data = line[6:]
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


# -- Markdown answers ----------------------------------------------------------------------


def sample_answer() -> Answer:
    chunk = Chunk("c1", "a.txt", "某省民政规划", ["第五章 养老", "第一节 床位"], 0, 10, "护理型床位占比达到*60%*。\n\n第二段[注]", ocr=True)
    return Answer("问", [Claim("护理型床位占比达到60%。", [1]), Claim("另一句。", [1])], [Citation(1, chunk)], notices=["按“某问题”回答"])


def test_markdown_answer_has_markers_notices_and_quoted_sources():
    md = markdown_answer(sample_answer())
    assert md.startswith("护理型床位占比达到60%。[1]  \n另一句。[1]")
    assert "> 提示：按“某问题”回答" in md and "**来源**" in md
    assert "[1] 《某省民政规划》第五章 第一节（OCR 识别，请核对原件）" in md
    assert "第五章 养老 › 第一节 床位 · 文件：a.txt" in md
    assert "> 护理型床位占比达到\\*60%\\*。\n>\n> 第二段\\[注\\]" in md  # passage text is literal, not Markdown


def test_markdown_pieces_join_to_the_whole_and_plain_answer_inverts_it():
    answer = sample_answer()
    pieces = markdown_pieces(markdown_answer(answer))
    assert len(pieces) > 3 and "".join(pieces) == markdown_answer(answer)
    assert plain_answer(markdown_answer(answer)) == "护理型床位占比达到60%。\n另一句。"


# -- /v1 --------------------------------------------------------------------------------------


def test_models_lists_the_loaded_backends(api):
    body = api.get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["planqa-extractive"]
    assert api.get("/v1/models/planqa-extractive").json()["owned_by"] == "planqa"
    missing = api.get("/v1/models/gpt-4o")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


def test_chat_completion_is_cited_markdown_with_the_planqa_field(api):
    r = chat(api, QUESTION)
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "planqa-extractive"
    content = body["choices"][0]["message"]["content"]
    assert "60%以上" in content and "[1]" in content and "**来源**" in content
    assert body["choices"][0]["finish_reason"] == "stop" and body["usage"]["completion_tokens"] == len(content)
    extra = body["planqa"]
    assert extra["abstained"] is False and extra["citations"][0]["doc"] == "jilin_work_points_2023.txt"
    assert extra["citations"][0]["label"].startswith("《2023年全省民政工作要点》")


def test_streamed_completion_sends_chunks_then_planqa_then_done(api):
    r = chat(api, QUESTION, stream=True, stream_options={"include_usage": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    got = events(r)
    assert got[-1] == "[DONE]" and got[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    chunks = [e for e in got[:-1] if e["choices"]]
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in chunks)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and last["planqa"]["abstained"] is False
    assert text == chat(api, QUESTION).json()["choices"][0]["message"]["content"]
    assert len(chunks) > 3 and all(e["object"] == "chat.completion.chunk" for e in chunks)
    assert got[-2]["choices"] == [] and got[-2]["usage"]["completion_tokens"] == len(text)


def test_a_follow_up_leans_on_the_history_the_client_hands_back(api):
    first = chat(api, "省规划里农村互助养老站点数量目标是多少？").json()
    history = [
        {"role": "system", "content": "你是一个乐于助人的助手。"},
        {"role": "user", "content": "省规划里农村互助养老站点数量目标是多少？"},
        {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
    ]
    follow = chat(api, "舒兰呢？", history).json()
    assert follow["planqa"]["standalone_question"] == "舒兰规划里农村互助养老站点数量目标是多少？"
    assert "按“舒兰规划里农村互助养老站点数量目标是多少？”回答" in follow["choices"][0]["message"]["content"]


def test_an_llm_reply_is_streamed_only_once_checked(service, fake_answerer):
    """The model's unchecked draft never reaches the client: a sentence with a figure the passage
    does not hold is dropped before the stream sends text."""
    reply = "对生活不能自理特困人员的集中供养率达到60%以上[1]。集中供养率达到99%[1]。"
    service.answerers["openai"] = Answerer(fake_answerer.index, fake_answerer.retriever, llm=ScriptedLLM(reply))
    api = client(service)
    assert [m["id"] for m in api.get("/v1/models").json()["data"]] == ["planqa-extractive", "planqa-openai"]
    r = api.post("/v1/chat/completions", json={"model": "planqa-openai", "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events(r)[:-1] if e["choices"])
    assert "60%以上" in text and "集中供养率达到99%" not in text and "已删除一句数字（99%）" in text
    assert events(r)[-2]["planqa"]["backend"] == "scripted"


def test_an_llm_that_is_down_gives_the_extractive_answer_and_a_notice(service, fake_answerer):
    down = LLMError("无法连接大模型服务，已改用摘录式回答。请检查服务地址和网络。", "connection refused")
    service.answerers["openai"] = Answerer(fake_answerer.index, fake_answerer.retriever, llm=ScriptedLLM(down))
    body = client(service).post("/v1/chat/completions", json={"model": "planqa-openai", "messages": [{"role": "user", "content": QUESTION}]}).json()
    content = body["choices"][0]["message"]["content"]
    assert "60%以上" in content and "> 提示：无法连接大模型服务" in content and body["planqa"]["backend"] == "extractive"


def test_content_as_a_list_of_parts_is_read(api):
    r = api.post("/v1/chat/completions", json={"model": "planqa-extractive", "messages": [
        {"role": "user", "content": [{"type": "text", "text": QUESTION}]}]})
    assert "60%以上" in r.json()["choices"][0]["message"]["content"]


def test_a_declined_question_says_so_with_the_closest_passages(api):
    body = chat(api, "辽宁省的低保标准是多少？").json()
    assert body["planqa"]["abstained"] is True
    assert body["choices"][0]["message"]["content"].startswith("文档中没有相关信息")


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"model": "planqa-extractive", "messages": [{"role": "user", "content": "  "}]}, 400, "bad_input", "问题不能为空"),
        ({"model": "planqa-extractive", "messages": [{"role": "user", "content": "问" * 2001}]}, 400, "bad_input", "问题过长"),
        ({"model": "planqa-extractive", "messages": [{"role": "assistant", "content": "答"}]}, 400, "bad_messages", "最后一条消息必须是用户的问题"),
        ({"model": "planqa-extractive", "messages": []}, 400, "invalid_request", "字段 messages 不能为空"),
        ({"messages": [{"role": "user", "content": "问"}]}, 400, "invalid_request", "缺少字段 model"),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "问"}]}, 404, "model_not_found", "可用的模型：planqa-extractive"),
        ({"model": "planqa-extractive", "messages": [{"role": "user", "content": QUESTION}], "docs": ["x.txt"]}, 400, "unknown_document", "x.txt"),
        ({"model": "planqa-extractive", "messages": [{"role": "user", "content": QUESTION}], "levels": ["乡级"]}, 400, "bad_level", "不认识的层级"),
    ],
)
def test_bad_requests_get_openai_error_objects_in_chinese(api, body, status, code, message):
    for stream in (False, True):
        r = api.post("/v1/chat/completions", json={**body, "stream": stream})
        assert r.status_code == status, r.text
        err = r.json()["error"]
        assert err["code"] == code and message in err["message"] and set(err) == {"message", "type", "param", "code"}


def test_a_body_that_is_not_json_is_refused(api):
    r = api.post("/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["message"] == "请求体不是有效的 JSON。"


def test_filters_are_extra_body_fields(api):
    body = chat(api, "护理型床位占比", docs=[COUNTY], levels=["市县级"]).json()
    assert {c["doc"] for c in body["planqa"]["citations"]} == {COUNTY}
    assert chat(api, "护理型床位占比", levels=["province"]).json()["planqa"]["citations"][0]["doc"] == PROVINCE


# -- /api -------------------------------------------------------------------------------------


def test_api_ask_is_the_cli_json(api, service):
    r = api.post("/api/ask", json={"question": QUESTION, "years": [2023]})
    assert r.json() == service.answer(QUESTION, service.filters(years=[2023])).to_json()
    unknown = api.post("/api/ask", json={"question": QUESTION, "extra": 1})
    assert unknown.status_code == 400 and "不认识的字段 extra" in unknown.json()["error"]["message"]
    gguf = api.post("/api/ask", json={"question": QUESTION, "backend": "gguf"})
    assert gguf.status_code == 404 and "planqa-extractive" in gguf.json()["error"]["message"]


def test_api_ask_with_history(api):
    history = [{"role": "user", "content": "省规划里农村互助养老站点数量目标是多少？"}, {"role": "assistant", "content": "超过300个。"}]
    out = api.post("/api/ask", json={"question": "舒兰呢？", "history": history}).json()
    assert out["standalone_question"] == "舒兰规划里农村互助养老站点数量目标是多少？"


def test_api_retrieve_returns_passages(api):
    out = api.post("/api/retrieve", json={"question": QUESTION, "k": 3}).json()
    assert len(out["hits"]) == 3 and {"doc", "title", "section_path", "text", "score"} <= set(out["hits"][0])
    assert api.post("/api/retrieve", json={"question": QUESTION, "k": 99}).status_code == 400


def test_api_check_of_an_upload_gives_json_and_report_links(api):
    draft = (Path(__file__).parents[2] / "corpus" / COUNTY).read_bytes()
    r = api.post("/api/check", files={"file": ("../../草案.txt", draft, "text/plain")}, data={"province": PROVINCE})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["check"]["summary"] and set(out["reports"]) == {"markdown", "html"}
    md = api.get(out["reports"]["markdown"])
    assert md.status_code == 200 and "主要发展指标" in md.text
    assert api.get(out["reports"]["html"]).text.startswith("<!DOCTYPE html>")
    assert api.get("/api/check/reports/..%2F..%2Fetc/report.md").status_code == 404


def test_api_check_of_a_corpus_plan_and_bad_uploads(api):
    assert api.post("/api/check", data={"county": COUNTY}).json()["check"]["summary"]  # the province plan by default
    bad = api.post("/api/check", files={"file": ("草案.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert bad.status_code == 400 and "不支持的文件类型" in bad.json()["error"]["message"]
    none = api.post("/api/check", data={})
    assert none.status_code == 400 and "请上传下级规划草案" in none.json()["error"]["message"]


# -- keys, limits, CORS, docs -----------------------------------------------------------------


def test_keys_are_needed_once_configured(service):
    c = client(service, Settings(api_keys="pq-secret-1,pq-secret-2", api_keys_file="/nonexistent"))
    assert c.get("/v1/models").json()["error"]["code"] == "missing_api_key"
    wrong = c.get("/v1/models", headers={"Authorization": "Bearer pq-wrong"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "API 密钥无效，请检查后重试。"
    assert c.get("/v1/models", headers={"Authorization": "Bearer pq-secret-2"}).status_code == 200


def test_beyond_loopback_the_api_needs_a_key_even_when_none_is_configured(service):
    c = client(service, Settings(host="0.0.0.0", api_keys_file="/nonexistent"))
    r = c.get("/v1/models")
    assert r.status_code == 401 and r.json()["error"]["code"] == "api_keys_not_configured"


def test_a_key_over_its_rate_gets_429_with_retry_after(service):
    c = client(service, Settings(api_keys="pq-k", api_rate=2, api_keys_file="/nonexistent"))
    auth = {"Authorization": "Bearer pq-k"}
    assert [c.get("/v1/models", headers=auth).status_code for _ in range(3)] == [200, 200, 429]
    r = c.get("/v1/models", headers=auth)
    assert r.json()["error"]["code"] == "rate_limit_exceeded" and int(r.headers["retry-after"]) >= 1


def test_rate_limiter_refills():
    limiter = RateLimiter(60)
    assert all(limiter.allow("k", now=0.0) == 0 for _ in range(60))
    assert limiter.allow("k", now=0.0) == pytest.approx(1.0)
    assert limiter.allow("k", now=1.0) == 0 and limiter.allow("other", now=1.0) == 0


def test_keys_file_holds_only_hashes(tmp_path):
    path = tmp_path / "planqa" / "api_keys"
    key = add_key(path, "county-office")
    text = path.read_text(encoding="utf-8")
    assert key.startswith("pq-") and key not in text and hash_key(key) in text
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_keys_file(path) == {hash_key(key): "county-office"}
    with pytest.raises(ConfigError, match="已有名为 county-office 的密钥"):
        add_key(path, "county-office")
    assert remove_key(path, "county-office") and read_keys_file(path) == {} and not remove_key(path, "county-office")
    path.write_text("not a key line\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="第 1 行格式不对"):
        read_keys_file(path)


def test_oversized_requests_are_refused_before_they_are_read(api):
    big = json.dumps({"model": "planqa-extractive", "messages": [{"role": "user", "content": "问" * 1_000_000}]})
    r = api.post("/v1/chat/completions", content=big.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "请求过大" in r.json()["error"]["message"]

    def chunked():  # no Content-Length: counted as it arrives
        for _ in range(300):
            yield b" " * 10_000

    r = api.post("/api/ask", content=chunked(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_cors_lets_browser_clients_call(api):
    pre = api.options("/v1/chat/completions", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert "x-stainless-os" in pre.headers["access-control-allow-headers"]
    assert api.get("/v1/models").headers["access-control-allow-origin"] == "*"


def test_openapi_page_is_served_from_local_files(api):
    page = api.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in page and "cdn." not in page
    assert api.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = api.get("/openapi.json").json()
    assert {"/v1/chat/completions", "/v1/models", "/api/ask", "/api/retrieve", "/api/check"} <= set(spec["paths"])
    errors = spec["paths"]["/api/ask"]["post"]["responses"]
    assert "422" not in errors and errors["default"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
