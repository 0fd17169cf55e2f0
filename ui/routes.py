"""The HTTP side of :mod:`ui.api`: FastAPI routes, the key check, size limits, CORS, errors.

:func:`create_app` makes the FastAPI application that ``planqa serve`` runs, with the Gradio
page mounted at ``/`` after these routes (:mod:`ui.app`). Every ``/v1`` and ``/api`` request
passes :class:`Gate` first: a body over its limit is refused with 413 as soon as it is (before
the rest is read), and any origin may call (chat clients that run in a browser or Electron need CORS; the
key, not a cookie, is what authorises, so no credentials are allowed).

FastAPI is imported at the top: this module is loaded only by ``planqa serve`` (and FastAPI
reads the routes' type hints from the module's names).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import fastapi_offline
from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ui.api import (
    MAX_JSON_BYTES,
    MAX_UPLOAD_BYTES,
    Api,
    ApiError,
    AskRequest,
    ChatRequest,
    MetaUpdate,
    RetrieveRequest,
    error_body,
    validation_message,
)
from ui.auth import ADMIN_REALM, Denied

log = logging.getLogger("planqa.api")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
API_PREFIXES = ("/v1/", "/api/")
UPLOAD_PATHS = re.compile(r"/api/(check|documents|documents/[^/]+/file)")  # multipart uploads: the upload limit
DESCRIPTION = """planqa 的接口：与 OpenAI 兼容的对话接口（`/v1`），以及问答、检索、规划对照检查（`/api`）。

对外开放（绑定 127.0.0.1 以外的地址）或配置了密钥时，每个请求都要带 `Authorization: Bearer <密钥>`；
密钥用 `planqa keys add 名称` 生成。修改资料库（上传、修改、替换、删除、恢复文档）需要管理员登录：
HTTP Basic（`PLANQA_ADMIN_USER` / `PLANQA_ADMIN_PASSWORD`）或 `Authorization: Bearer <管理员密钥>`（`PLANQA_ADMIN_KEYS`）；
未配置时只有绑定 127.0.0.1 的本机用户可以修改。每次修改立即返回一个索引更新任务（`GET /api/jobs/{id}` 查看进度），
更新期间问答照常使用当前索引，完成后自动切换。错误一律是 OpenAI 的错误格式：`{"error": {"message", "type", "param", "code"}}`。"""


class Gate:
    """Pure ASGI middleware for the API paths: request size limits and CORS."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _send_raw(send, 204, b"", self._cors(headers.get("access-control-request-headers", "")))
            return
        limit = MAX_UPLOAD_BYTES if UPLOAD_PATHS.fullmatch(path) and scope["method"] in ("POST", "PUT") else MAX_JSON_BYTES
        if int(headers.get("content-length") or 0) > limit:
            await _too_large(send, limit)
            return
        # The body is read here, up to the limit, and handed on whole: a body without a
        # Content-Length (chunked) that runs past the limit is refused as soon as it does (an
        # exception raised while FastAPI reads the body would become its 400 instead).
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                await _too_large(send, limit)
                return
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()  # then only a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def with_cors(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"access-control-allow-origin", b"*")]
            await send(message)

        await self.app(scope, replay, with_cors)

    @staticmethod
    def _cors(requested: str) -> list[tuple[bytes, bytes]]:
        return [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, OPTIONS"),
            (b"access-control-allow-headers", (requested or "authorization, content-type").encode("latin-1")),
            (b"access-control-max-age", b"600"),
        ]


async def _send_raw(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(error_body(f"请求过大（上限 {limit // (1024 * 1024)} MB）。", "request_too_large"), ensure_ascii=False).encode()
    await _send_raw(send, 413, body, [(b"content-type", b"application/json"), (b"access-control-allow-origin", b"*")])


def create_app(api: Api) -> Any:
    """The FastAPI application with the API's routes (the page is mounted on it afterwards)."""
    app = FastAPI(title="planqa API", version="1", description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.add_middleware(Gate)

    def fail(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return fail(exc.status, error_body(exc.message, exc.code, exc.kind, exc.param))

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> JSONResponse:
        kind = "rate_limit_error" if exc.status == 429 else "invalid_request_error"
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.status == 429 else None
        if exc.code in ("admin_login_required", "invalid_admin_login"):
            headers = {"WWW-Authenticate": ADMIN_REALM}
        return fail(exc.status, error_body(exc.message, exc.code, kind), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        log.info("invalid request to %s: %s", request.url.path, exc.errors()[:1])
        return fail(400, error_body(validation_message(exc.errors()), "invalid_request"))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        messages = {404: "没有这个接口。", 405: "该接口不支持这种请求方法。"}
        return fail(exc.status_code, error_body(messages.get(exc.status_code, str(exc.detail)), f"http_{exc.status_code}"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("API request %s failed", request.url.path, exc_info=exc)
        return fail(500, error_body("系统内部错误，本次请求未完成（详细信息已写入服务器日志）。", "internal_error", "server_error"))

    def caller(request: Request) -> str:
        return api.keys.check(request.headers.get("authorization"))

    key = [Depends(caller)]

    @app.post("/v1/chat/completions", dependencies=key, tags=["OpenAI 兼容"], summary="对话（问答，带引用）")
    def chat_completions(req: ChatRequest) -> Any:
        if req.stream:
            headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
            return StreamingResponse(api.completion_stream(req), media_type="text/event-stream", headers=headers)
        return api.completion(req)

    @app.get("/v1/models", dependencies=key, tags=["OpenAI 兼容"], summary="可用的模型（回答方式）")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [model_card(m, api.created) for m in api.models()]}

    @app.get("/v1/models/{model}", dependencies=key, tags=["OpenAI 兼容"], summary="一个模型")
    def model(model: str) -> dict[str, Any]:
        api.backend_of(model)
        return model_card(model, api.created)

    @app.post("/api/ask", dependencies=key, tags=["问答"], summary="问答：与 planqa ask --json 相同的 JSON")
    def ask(req: AskRequest) -> dict[str, Any]:
        return api.ask(req)

    @app.post("/api/retrieve", dependencies=key, tags=["问答"], summary="检索：最相关的段落")
    def retrieve(req: RetrieveRequest) -> dict[str, Any]:
        return api.retrieve(req)

    @app.post("/api/check", dependencies=key, tags=["规划对照检查"], summary="上传下级规划草案，与上级规划对照")
    def check(
        file: Annotated[UploadFile | None, File(description="下级规划草案（各种格式，50 MB 以内）")] = None,
        county: Annotated[str, Form(description="或：语料库中下级规划的文件名")] = "",
        province: Annotated[str, Form(description="上级规划的文件名（默认：语料库中的省级五年规划）")] = "",
    ) -> dict[str, Any]:
        if file is None:
            return api.check(None, "", county, province)
        with _spooled(file) as path:
            return api.check(path, file.filename or "", "", province)

    @app.get("/api/check/reports/{run}/{name}", dependencies=key, tags=["规划对照检查"], summary="对照检查报告文件")
    def report(run: str, name: Literal["report.md", "report.html"]) -> FileResponse:
        media = "text/markdown; charset=utf-8" if name.endswith(".md") else "text/html; charset=utf-8"
        return FileResponse(api.report_file(run, name), media_type=media, filename=f"对照检查{name[6:]}")

    def admin(request: Request) -> None:
        request.state.admin = api.admin.check(request.headers.get("authorization"))  # who, for the log and the record

    admin_login = [Depends(admin)]
    lib = "资料库"

    @app.get("/api/documents", dependencies=key, tags=[lib], summary="资料库中的文档（含是否已进入当前索引）")
    def documents() -> dict[str, Any]:
        return api.documents()

    @app.post("/api/documents", dependencies=admin_login, tags=[lib], summary="上传文档（需要管理员登录）；返回文档与索引更新任务")
    def add_document(
        request: Request,
        file: Annotated[UploadFile, File(description="文档（txt/md/docx/doc/wps/pdf/ofd/xlsx/xls/ods/图片，50 MB 以内）")],
        title: Annotated[str, Form(description="标题（默认从正文推断）")] = "",
        issuer: Annotated[str, Form(description="发文机关")] = "",
        doc_number: Annotated[str, Form(description="发文字号")] = "",
        date: Annotated[str, Form(description="日期，如 2023-02 或 2023-02-03")] = "",
        jurisdiction: Annotated[str, Form(description="地区（省、市或县的名称）")] = "",
        level: Annotated[str, Form(description="层级：province / city / county")] = "",
        kind: Annotated[str, Form(description="类型，如 five_year_plan、annual_work_points")] = "",
        period: Annotated[str, Form(description="规划期，如 2026-2030")] = "",
        implements: Annotated[str, Form(description="所依据规划在语料库中的文件名")] = "",
        index: Annotated[bool, Form(description="上传后更新索引（默认是）")] = True,
    ) -> dict[str, Any]:
        fields = {"title": title, "issuer": issuer, "doc_number": doc_number, "date": date, "jurisdiction": jurisdiction,
                  "level": level, "kind": kind, "period": period, "implements": implements}
        with _spooled(file) as path:
            return api.add_document(path, file.filename or "", fields, request.state.admin, index)

    @app.get("/api/documents/{doc_id}", dependencies=key, tags=[lib], summary="一篇文档的信息")
    def document(doc_id: str) -> dict[str, Any]:
        return api.document(doc_id)

    @app.put("/api/documents/{doc_id}", dependencies=admin_login, tags=[lib], summary="修改文档信息（需要管理员登录）")
    def update_document(doc_id: str, req: MetaUpdate, request: Request) -> dict[str, Any]:
        return api.update_document(doc_id, req, request.state.admin)

    @app.put("/api/documents/{doc_id}/file", dependencies=admin_login, tags=[lib], summary="替换文档文件（需要管理员登录；旧文件进回收站）")
    def replace_document(
        doc_id: str, request: Request, file: Annotated[UploadFile, File(description="新文件")],
        index: Annotated[bool, Form(description="替换后更新索引（默认是）")] = True,
    ) -> dict[str, Any]:
        with _spooled(file) as path:
            return api.replace_document(doc_id, path, file.filename or "", request.state.admin, index)

    @app.delete("/api/documents/{doc_id}", dependencies=admin_login, tags=[lib], summary="删除文档：移入回收站（需要管理员登录）")
    def remove_document(doc_id: str, request: Request, index: bool = True) -> dict[str, Any]:
        return api.remove_document(doc_id, request.state.admin, index)

    @app.get("/api/documents/{doc_id}/preview", dependencies=key, tags=[lib], summary="文档解析结果（同 planqa parse --json）")
    def preview(doc_id: str) -> dict[str, Any]:
        return api.preview(doc_id)

    @app.get("/api/trash", dependencies=key, tags=[lib], summary="回收站")
    def trash() -> dict[str, Any]:
        return api.trash()

    @app.post("/api/trash/{trash_id}/restore", dependencies=admin_login, tags=[lib], summary="从回收站恢复文档（需要管理员登录）")
    def restore(trash_id: str, request: Request, index: bool = True) -> dict[str, Any]:
        return api.restore(trash_id, request.state.admin, index)

    @app.get("/api/jobs/{job_id}", dependencies=key, tags=[lib], summary="索引更新任务：queued / running / done / failed 与进度")
    def job(job_id: str) -> dict[str, Any]:
        return api.job(job_id)

    static = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=static), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="planqa API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js", swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
        )

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, with the errors as they are: OpenAI's error object (a bad request is a
        400 here, not FastAPI's 422 with its own shape)."""
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
            for methods in schema.get("paths", {}).values():
                for op in methods.values():
                    op["responses"].pop("422", None)
                    op["responses"]["default"] = {
                        "description": "错误（OpenAI 的错误格式，中文说明）",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
            for name in ("HTTPValidationError", "ValidationError"):
                schema["components"]["schemas"].pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "中文说明"},
                "type": {"type": "string", "examples": ["invalid_request_error", "rate_limit_error", "server_error"]},
                "param": {"type": ["string", "null"]},
                "code": {"type": "string", "examples": ["invalid_api_key", "model_not_found", "bad_input"]},
            },
            "required": ["message", "type", "param", "code"],
        }
    },
    "required": ["error"],
}


@contextmanager
def _spooled(upload: UploadFile) -> Iterator[Path]:
    """An uploaded file on disk (a private temporary file, deleted afterwards)."""
    with tempfile.NamedTemporaryFile(prefix="planqa-upload-", delete=False) as tmp:
        shutil.copyfileobj(upload.file, tmp)
    try:
        yield Path(tmp.name)
    finally:
        Path(tmp.name).unlink(missing_ok=True)


def model_card(model: str, created: int) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": created, "owned_by": "planqa"}
