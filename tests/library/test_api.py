"""The document library through HTTP (FastAPI's test client, fake embedder, a small corpus copy):
the routes, who may change the library, size, type and name checks, jobs."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.index.directory import build_index, current_version
from rag.settings import Settings
from tests.conftest import KeywordEmbedder
from tests.library.conftest import SMALL, snapshot
from ui.api import Api
from ui.auth import KeyRing
from ui.routes import create_app
from ui.service import Service

QUESTION = "2023年对生活不能自理的特困老人，集中供养率要达到多少？"  # only the 2023 要点 answers it


def make(corpus: Path, index: Path, **settings: Any) -> tuple[TestClient, Api]:
    s = Settings(api_keys_file="/nonexistent", **settings)
    if not (index / "CURRENT").exists():
        build_index(corpus, index, KeywordEmbedder())
    api = Api(Service.load(corpus, index, s, embedder=KeywordEmbedder()), KeyRing.from_settings(s))
    return TestClient(create_app(api)), api


@pytest.fixture()
def local(small_corpus: Path, tmp_path: Path) -> tuple[TestClient, Api]:
    return make(small_corpus, tmp_path / "index")


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_add_then_answer_list_correct_preview_remove_restore(local: tuple[TestClient, Api], upload: Path, small_corpus: Path):
    client, api = local
    version = current_version(api.service.index_path)
    assert client.post("/v1/chat/completions", json={"model": "planqa-extractive", "messages": [{"role": "user", "content": QUESTION}]}).status_code == 200
    with open(upload, "rb") as fh:
        r = client.post("/api/documents", files={"file": ("../../2023要点.txt", fh, "text/plain")}, data={"level": "province"})
    assert r.status_code == 200, r.text
    body = r.json()
    doc, job = body["document"], body["job"]
    assert doc["id"] == "2023要点.txt" and doc["meta"]["level"] == "province" and doc["added_by"] == "本机用户"
    assert job["state"] in ("queued", "running", "done") and job["id"].startswith("job-")
    assert api.jobs.wait(300)  # a hang guard, not a time
    done = client.get(f"/api/jobs/{job['id']}").json()
    assert done["state"] == "done" and done["progress"] == 1.0 and done["error"] is None
    assert done["report"]["embedded"] > 20 and done["version"] != version
    # the chat answers from the new version without a restart
    ask = client.post("/api/ask", json={"question": QUESTION}).json()
    assert any(c["doc"] == "2023要点.txt" for c in ask["citations"]), ask
    listed = client.get("/api/documents").json()
    assert [d["id"] for d in listed["documents"]] == ["2023要点.txt", *SMALL]
    assert all(d["indexed"] for d in listed["documents"]) and listed["index_version"] == done["version"]
    r = client.put("/api/documents/2023要点.txt", json={"title": "二〇二三年要点", "index": False})
    assert r.status_code == 200 and r.json()["document"]["meta"]["title"] == "二〇二三年要点" and r.json()["job"] is None
    preview = client.get("/api/documents/2023要点.txt/preview").json()
    assert preview["parsed"]["meta"]["title"] == "二〇二三年要点" and preview["parsed"]["outline"]
    assert client.get("/api/documents/2023要点.txt").json()["document"]["sha256"] == preview["parsed"]["sha256"]
    r = client.delete("/api/documents/2023要点.txt")
    assert r.status_code == 200
    trash_id = r.json()["trash"]["id"]
    assert api.jobs.wait(300)  # a hang guard, not a time
    assert "2023要点.txt" not in api.service.index.metas
    assert [t["id"] for t in client.get("/api/trash").json()["trash"]] == [trash_id]
    r = client.post(f"/api/trash/{trash_id}/restore")
    assert r.status_code == 200 and r.json()["document"]["id"] == "2023要点.txt"
    assert api.jobs.wait(300)  # a hang guard, not a time
    assert "2023要点.txt" in api.service.index.metas


def test_replace_a_file_through_the_api(local: tuple[TestClient, Api], upload: Path, small_corpus: Path):
    client, api = local
    with open(upload, "rb") as fh:
        r = client.put(f"/api/documents/{SMALL[0]}/file", files={"file": ("new.txt", fh, "text/plain")}, data={"index": "false"})
    assert r.status_code == 200, r.text
    assert (small_corpus / SMALL[0]).read_bytes() == upload.read_bytes()
    assert r.json()["document"]["indexed"] is False  # the index still holds the old file


def test_changes_need_the_library_login_once_one_is_configured(small_corpus: Path, tmp_path: Path, upload: Path):
    client, _ = make(small_corpus, tmp_path / "index", admin_user="admin", admin_password="s3cret-密码", admin_keys="adm-key-1", api_keys="read-key")
    before = snapshot(small_corpus)
    read = {"Authorization": "Bearer read-key"}
    assert client.get("/api/documents", headers=read).status_code == 200  # reading as before
    for headers, status, code in [
        ({}, 401, "admin_login_required"),
        (basic("admin", "wrong"), 401, "invalid_admin_login"),
        (basic("someone", "s3cret-密码"), 401, "invalid_admin_login"),
        (read, 403, "admin_required"),  # a reading key cannot change the library
    ]:
        with open(upload, "rb") as fh:
            r = client.post("/api/documents", files={"file": (upload.name, fh)}, headers=headers)
        assert r.status_code == status and r.json()["error"]["code"] == code, r.text
        assert "管理员" in r.json()["error"]["message"]
        assert client.delete(f"/api/documents/{SMALL[0]}", headers=headers).status_code == status
    assert r.status_code == 403
    assert client.post("/api/documents", files={"file": ("x.txt", b"x")}).headers["www-authenticate"].startswith("Basic")
    assert snapshot(small_corpus) == before
    ok = client.put(f"/api/documents/{SMALL[0]}", json={"title": "甲", "index": False}, headers=basic("admin", "s3cret-密码"))
    assert ok.status_code == 200
    ok = client.put(f"/api/documents/{SMALL[0]}", json={"title": "乙", "index": False}, headers={"Authorization": "Bearer adm-key-1"})
    assert ok.status_code == 200 and ok.json()["document"]["meta"]["title"] == "乙"


def test_a_public_server_without_a_library_login_refuses_changes(small_corpus: Path, tmp_path: Path):
    client, _ = make(small_corpus, tmp_path / "index", host="0.0.0.0", api_keys="read-key")
    r = client.delete(f"/api/documents/{SMALL[0]}", headers={"Authorization": "Bearer read-key"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "library_changes_disabled"
    assert (small_corpus / SMALL[0]).exists()


def test_oversized_wrong_type_and_unreadable_uploads_are_refused(
    local: tuple[TestClient, Api], small_corpus: Path, monkeypatch: pytest.MonkeyPatch
):
    import ui.routes

    client, api = local
    before = snapshot(small_corpus)
    monkeypatch.setattr(ui.routes, "MAX_UPLOAD_BYTES", 10_000)  # the request's limit, checked before the body is read
    r = client.post("/api/documents", files={"file": ("big.txt", "规划".encode() * 10_000)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    monkeypatch.undo()
    api.library.max_bytes = 1000  # the file's own limit
    r = client.post("/api/documents", files={"file": ("big.txt", "规划".encode() * 1000)})
    assert r.status_code == 413 and "文件过大" in r.json()["error"]["message"]
    r = client.post("/api/documents", files={"file": ("run.sh", b"rm -rf /")})
    assert r.status_code == 415 and "不支持的文件类型" in r.json()["error"]["message"]
    r = client.post("/api/documents", files={"file": ("..", b"x")})
    assert r.status_code in (400, 415)
    r = client.post("/api/documents", files={"file": ("a.docx", b"PK\x03\x04broken")})
    assert r.status_code == 400
    r = client.post("/api/documents", files={"file": ("a.txt", "正文".encode())}, data={"level": "村级"})
    assert r.status_code == 400 and "level" in r.json()["error"]["message"]
    assert snapshot(small_corpus) == before


def test_unknown_ids_are_404_and_never_leave_the_corpus(local: tuple[TestClient, Api]):
    client, _ = local
    for path in ("/api/documents/manifest.json", "/api/documents/..%2F..%2Fetc%2Fpasswd", "/api/documents/.library.json/preview"):
        assert client.get(path).status_code == 404
    assert client.delete("/api/documents/nope.txt").json()["error"]["code"] == "document_not_found"
    assert client.get("/api/jobs/job-0000000000000000").status_code == 404
    assert client.get("/api/jobs/..%2F..%2Fmanifest").status_code == 404
    assert client.post("/api/trash/nope/restore").status_code == 404


def test_the_library_routes_are_on_the_openapi_page(local: tuple[TestClient, Api]):
    paths = local[0].get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/documents"])
    assert {"get", "put", "delete"} <= set(paths["/api/documents/{doc_id}"])
    assert "/api/jobs/{job_id}" in paths and "/api/trash/{trash_id}/restore" in paths


def test_library_logins_are_rate_limited(small_corpus: Path, tmp_path: Path):
    client, _ = make(small_corpus, tmp_path / "index", admin_user="admin", admin_password="pw", api_rate=2)
    codes = [client.delete("/api/documents/nope.txt", headers=basic("admin", f"guess{n}")).status_code for n in range(3)]
    assert codes == [401, 401, 429]


def test_a_pdf_whose_cross_reference_table_is_broken_is_added_and_answers(local: tuple[TestClient, Api], tmp_path: Path):
    """Issue 29: a PDF pdfminer cannot open ("No /Root object!") but pdfium can was refused as damaged
    ("PDF 文件损坏，无法读取"); now it is read by pdfium, indexed and cited."""
    from tests.docs.pdfdamage import stale_startxref, with_xref_stream

    client, api = local
    report = Path(__file__).resolve().parents[1] / "data" / "files" / "01_2024年北京市政府工作报告.pdf"
    upload = tmp_path / "北京报告.pdf"
    upload.write_bytes(stale_startxref(with_xref_stream(report.read_bytes())))
    with open(upload, "rb") as fh:
        r = client.post("/api/documents", files={"file": ("北京报告.pdf", fh, "application/pdf")}, data={"level": "city"})
    assert r.status_code == 200, r.text
    assert api.jobs.wait(300)  # a hang guard, not a time
    assert client.get(f"/api/jobs/{r.json()['job']['id']}").json()["state"] == "done"
    ask = client.post("/api/ask", json={"question": "今年北京市地区生产总值的预期增长目标是多少？"}).json()
    cited = [c for c in ask["citations"] if c["doc"] == "北京报告.pdf"]
    assert cited, ask
    assert "地区生产总值增长5%左右" in ask["answer"], ask
