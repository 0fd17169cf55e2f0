"""The API of a real ``planqa serve`` (real model, real index), called as clients call it: the
official ``openai`` Python SDK, and a plain HTTP client (httpx).

The server is started with API keys configured, so every call needs one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CORPUS, QUESTION, running_server

pytestmark = pytest.mark.real

KEY = "pq-test-key-for-the-api-server-tests"
FOLLOW_UP = "省规划里农村互助养老站点数量目标是多少？"


@pytest.fixture(scope="module")
def server(real_index_dir: Path) -> Iterator[dict[str, Any]]:
    with running_server(real_index_dir, {"PLANQA_API_KEYS": KEY, "PLANQA_API_KEYS_FILE": "/nonexistent"}, log_name="server-api") as srv:
        yield srv


@pytest.fixture(scope="module")
def sdk(server: dict[str, Any]) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=server["url"] + "/v1", api_key=KEY, max_retries=0, timeout=60)


# -- the openai SDK ------------------------------------------------------------------------


def test_sdk_lists_the_models(sdk):
    assert [m.id for m in sdk.models.list()] == ["planqa-extractive"]


def test_sdk_gets_a_cited_answer(sdk):
    r = sdk.chat.completions.create(model="planqa-extractive", messages=[{"role": "user", "content": QUESTION}])
    content = r.choices[0].message.content
    assert "60%以上" in content and "[1]" in content and "《2023年全省民政工作要点》" in content
    extra = r.model_extra["planqa"]
    assert extra["abstained"] is False and extra["citations"][0]["doc"] == "jilin_work_points_2023.txt"
    assert r.choices[0].finish_reason == "stop"


def test_sdk_streams_an_answer(sdk):
    stream = sdk.chat.completions.create(
        model="planqa-extractive", messages=[{"role": "user", "content": QUESTION}], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(chunks) > 3 and "60%以上" in text and "**来源**" in text
    assert len(finish) == 1 and finish[0].model_extra["planqa"]["citations"][0]["doc"] == "jilin_work_points_2023.txt"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len(text)


def test_sdk_follow_up_with_history(sdk):
    first = sdk.chat.completions.create(model="planqa-extractive", messages=[{"role": "user", "content": FOLLOW_UP}])
    assert "超过300个" in first.choices[0].message.content
    history = [
        {"role": "user", "content": FOLLOW_UP},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "舒兰呢？"},
    ]
    follow = sdk.chat.completions.create(model="planqa-extractive", messages=history)
    assert follow.model_extra["planqa"]["standalone_question"] == "舒兰规划里农村互助养老站点数量目标是多少？"
    assert "超过10个" in follow.choices[0].message.content


def test_sdk_declined_question(sdk):
    r = sdk.chat.completions.create(model="planqa-extractive", messages=[{"role": "user", "content": "辽宁省的低保标准是多少？"}])
    assert r.choices[0].message.content.startswith("文档中没有相关信息") and r.model_extra["planqa"]["abstained"] is True


def test_sdk_with_a_wrong_key_is_refused(server):
    from openai import AuthenticationError, OpenAI

    bad = OpenAI(base_url=server["url"] + "/v1", api_key="pq-wrong", max_retries=0)
    with pytest.raises(AuthenticationError) as err:
        bad.chat.completions.create(model="planqa-extractive", messages=[{"role": "user", "content": QUESTION}])
    assert err.value.status_code == 401 and err.value.body["message"] == "API 密钥无效，请检查后重试。"


def test_sdk_oversized_and_bad_requests_get_chinese_errors(sdk):
    from openai import APIStatusError, BadRequestError, NotFoundError

    with pytest.raises(APIStatusError) as big:
        sdk.chat.completions.create(model="planqa-extractive", messages=[{"role": "user", "content": "问" * 1_000_000}])
    assert big.value.status_code == 413 and "请求过大" in big.value.body["message"]
    with pytest.raises(BadRequestError) as empty:
        sdk.chat.completions.create(model="planqa-extractive", messages=[{"role": "user", "content": " "}])
    assert empty.value.body["message"] == "问题不能为空，请输入要查询的内容。"
    with pytest.raises(NotFoundError) as model:
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert "planqa-extractive" in model.value.body["message"]


def test_sdk_filters_through_extra_body(sdk):
    r = sdk.chat.completions.create(
        model="planqa-extractive", messages=[{"role": "user", "content": "护理型床位占比"}],
        extra_body={"docs": ["shulan_city_14th_fyp_2021.txt"]},
    )
    assert {c["doc"] for c in r.model_extra["planqa"]["citations"]} == {"shulan_city_14th_fyp_2021.txt"}


# -- plain HTTP -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(server: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server["url"], headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as c:
        yield c


def test_http_chat_completion_and_stream(http):
    body = {"model": "planqa-extractive", "messages": [{"role": "user", "content": QUESTION}]}
    assert "60%以上" in http.post("/v1/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    with http.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
        lines = [ln for ln in r.iter_lines() if ln.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    last = json.loads(lines[-2][6:])
    assert last["choices"][0]["finish_reason"] == "stop" and last["planqa"]["abstained"] is False


def test_http_without_a_key_is_refused(server):
    r = httpx.post(server["url"] + "/api/ask", json={"question": QUESTION})
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_api_key"


def test_http_ask_retrieve_and_check(http):
    ask = http.post("/api/ask", json={"question": QUESTION, "history": []}).json()
    assert ask["abstained"] is False and ask["citations"][0]["doc"] == "jilin_work_points_2023.txt"
    hits = http.post("/api/retrieve", json={"question": QUESTION, "k": 5}).json()["hits"]
    assert len(hits) == 5 and any(h["doc"] == "jilin_work_points_2023.txt" for h in hits)
    draft = (CORPUS / "shulan_city_14th_fyp_2021.txt").read_bytes()
    r = http.post("/api/check", files={"file": ("舒兰草案.txt", draft, "text/plain")})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["check"]["summary"] and "主要发展指标" in http.get(out["reports"]["markdown"]).text
    assert http.post("/api/check", content=b"x" * (60 * 1024 * 1024), headers={"content-type": "multipart/form-data; boundary=x"}).status_code == 413


def test_http_oversized_and_unknown_routes(http):
    r = http.post("/api/ask", content=b'{"question": "' + "问".encode() * 1_000_000 + b'"}', headers={"content-type": "application/json"})
    assert r.status_code == 413 and "请求过大" in r.json()["error"]["message"]
    assert http.get("/openapi.json").json()["info"]["title"] == "planqa API"
    assert http.get("/").status_code == 200  # the page is still there, beside the API


# -- the openai JavaScript SDK (what browser and Electron chat clients are built on) ----------

JS_SDK = "openai@7.59.0"
JS_CLIENT = """
import OpenAI from "openai";
const [url, key] = process.argv.slice(2);
const c = new OpenAI({ baseURL: url + "/v1", apiKey: key, maxRetries: 0 });
const s = await c.chat.completions.create({ model: "planqa-extractive", stream: true,
  messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: process.env.Q }] });
let text = "", last = null;
for await (const ch of s) { last = ch; text += ch.choices[0]?.delta?.content ?? ""; }
let refused = null;
try { await new OpenAI({ baseURL: url + "/v1", apiKey: "pq-wrong", maxRetries: 0 }).models.list(); }
catch (e) { refused = { status: e.status, message: e.error?.message }; }
console.log(JSON.stringify({ text, planqa: last.planqa, refused }));
"""


def test_the_javascript_sdk_streams_a_cited_answer(server, tmp_path_factory):
    """Cherry Studio, Chatbox and LobeChat call the API through the openai JavaScript SDK (or
    code like it): the streamed answer, its planqa chunk and a refusal, read by that SDK in Node."""
    import os
    import shutil
    import subprocess

    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("Node.js and npm are not installed")
    work = tmp_path_factory.mktemp("js-client")
    installed = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", JS_SDK], cwd=work, capture_output=True, text=True, timeout=300
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    (work / "client.mjs").write_text(JS_CLIENT, encoding="utf-8")
    run = subprocess.run(
        ["node", "client.mjs", server["url"], KEY], cwd=work, capture_output=True, text=True, timeout=120,
        env={**os.environ, "Q": QUESTION},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert "60%以上" in out["text"] and "**来源**" in out["text"]
    assert out["planqa"]["citations"][0]["doc"] == "jilin_work_points_2023.txt"
    assert out["refused"] == {"status": 401, "message": "API 密钥无效，请检查后重试。"}
