"""The API beside the page: OpenAI-compatible chat completions, and REST under ``/api``.

A thin adapter over the same :class:`ui.service.Service` the page uses (one process, one
loaded model and index):

- ``POST /v1/chat/completions``: ``messages`` in (the last user message is the question, the
  user and assistant messages before it its history; system messages are ignored: the
  answerer's rules are its own), the answer out as Markdown with [n] markers and a 来源 list,
  and a ``planqa`` field with the structured citations, ``abstained``, notices and the
  standalone question. ``stream: true`` sends server-sent events in OpenAI's chunk format, the
  last chunk carrying ``planqa``, then ``[DONE]``. Only checked text is sent: an LLM's reply is
  verified sentence by sentence before any of it goes out (a stream cannot take text back), so
  with an LLM backend the text arrives when the check is done; the extractive answer is
  immediate. Filters are extra body fields: ``docs``, ``levels``, ``years``.
- ``GET /v1/models``: one model per loaded backend.
- ``POST /api/ask``, ``POST /api/retrieve``, ``POST /api/check`` (multipart), and the check's
  report files;
- the document library (:mod:`rag.library`): ``GET/POST /api/documents``,
  ``GET/PUT/DELETE /api/documents/{id}``, ``PUT /api/documents/{id}/file``,
  ``GET /api/documents/{id}/preview``, ``GET /api/trash``, ``POST /api/trash/{id}/restore`` and
  ``GET /api/jobs/{id}``; a change answers at once with the index job that brings it in;
  OpenAPI at ``/openapi.json``, its page at ``/docs`` (Swagger UI served from
  the ``fastapi-offline`` package, not a CDN).

Every error is OpenAI's error object (``{"error": {"message", "type", "param", "code"}}``)
with a Chinese message; tracebacks go to the log only. Keys and the rate limit:
:mod:`ui.auth`.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.docs.readers import MAX_FILE_BYTES
from rag.errors import BadQuestionError, PlanqaError, UnreadableFileError
from rag.models import Answer, Filters
from rag.qa.retrieve import check_question
from ui.auth import AdminGate, KeyRing
from ui.render import markdown_answer, markdown_pieces, plain_answer, text_of
from ui.service import Service, safe_upload_name

log = logging.getLogger("planqa.api")

INTERNAL_ERROR = "系统内部错误，本次请求未完成（详细信息已写入服务器日志）。请稍后重试或联系管理员。"
MAX_JSON_BYTES = 2 * 1024 * 1024  # a long conversation of long questions fits many times over
MAX_UPLOAD_BYTES = MAX_FILE_BYTES + 1024 * 1024  # the draft (ingestion's own limit) and the form around it
MAX_MESSAGES = 200
HISTORY_TURNS = 20  # the messages before the question that are handed on (a follow-up leans on the last few)
CONCURRENT_ANSWERS = 8  # as the page's queue: more threads only share the same two cores
Message = dict[str, str]


# -- request shapes --------------------------------------------------------------------------


class Scope(BaseModel):
    """Filters, as the page's: documents by file name, levels (省级 / 市县级, or province / city /
    county) and years of issue; none given, no filter."""

    docs: list[str] = Field(default_factory=list, max_length=200)
    levels: list[str] = Field(default_factory=list, max_length=10)
    years: list[int] = Field(default_factory=list, max_length=50)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls …: accepted, not used
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        return text_of(self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(Scope):
    """OpenAI's chat request. Clients send fields planqa has no use for (temperature, top_p,
    max_tokens, user …), so unknown fields are accepted and ignored, not refused."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None


class AskRequest(Scope):
    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_MESSAGES)
    backend: str | None = None


class MetaUpdate(BaseModel):
    """A document's metadata to correct (``PUT /api/documents/{id}``): the fields given; the rest
    stay as they are."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=300)
    issuer: str | None = Field(default=None, max_length=200)
    doc_number: str | None = Field(default=None, max_length=100)
    date: str | None = Field(default=None, max_length=20)
    jurisdiction: str | None = Field(default=None, max_length=100)
    level: Literal["province", "city", "county"] | None = None
    parent_jurisdiction: str | None = Field(default=None, max_length=100)
    kind: str | None = Field(default=None, max_length=100)
    period: str | None = Field(default=None, max_length=40)
    implements: str | None = Field(default=None, max_length=300)
    implements_title: str | None = Field(default=None, max_length=300)
    index: bool = True  # update the index afterwards (a job)


class RetrieveRequest(Scope):
    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_MESSAGES)
    k: int = Field(default=8, ge=1, le=50)


# -- errors ------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error for the caller: HTTP status, a Chinese message, OpenAI's type and code."""

    def __init__(self, status: int, message: str, code: str, kind: str = "invalid_request_error", param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.kind, self.param = status, message, code, kind, param


def error_body(message: str, code: str, kind: str = "invalid_request_error", param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def planqa_error(exc: PlanqaError) -> ApiError:
    """A domain error as an API error: the user's own input is a 400, the server's state a 503."""
    if isinstance(exc, BadQuestionError | UnreadableFileError):
        return ApiError(400, exc.message, "bad_input")
    return ApiError(503, exc.message, "unavailable", "server_error")


def validation_message(errors: Sequence[Any]) -> str:
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "请求体"
    kind = str(first.get("type", ""))
    if kind == "missing":
        return f"请求缺少字段 {where}。"
    if kind == "json_invalid":
        return "请求体不是有效的 JSON。"
    if kind == "extra_forbidden":
        return f"请求中有不认识的字段 {where}。"
    if kind.startswith("too_long"):
        return f"字段 {where} 的条目过多。"
    if kind.startswith("too_short"):
        return f"字段 {where} 不能为空。"
    return f"字段 {where} 的值无效。"


# -- the answers -------------------------------------------------------------------------------


def question_and_history(messages: Sequence[ChatMessage]) -> tuple[str, list[Message]]:
    """(question, history) of a chat request: the last message must be the user's; the user and
    assistant messages before it, as plain sentences, are the history."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if messages[-1].role != "user":
        raise ApiError(400, "最后一条消息必须是用户的问题（role 为 user）。", "bad_messages", param="messages")
    return turns[-1].text(), history_of([{"role": m.role, "content": m.content} for m in turns[:-1]])


class Api:
    """The routes' logic, free of the web framework (tested with FastAPI's client and for real)."""

    def __init__(self, service: Service, keys: KeyRing, admin: AdminGate | None = None) -> None:
        self.service = service
        self.keys = keys
        self.admin = admin or AdminGate.from_settings(service.settings, keys)
        self._library: Any = None  # rag.library.store.Library, opened on first use
        self._jobs: Any = None  # rag.library.jobs.JobQueue, started on first change
        self._open = threading.Lock()
        self.answers = threading.BoundedSemaphore(CONCURRENT_ANSWERS)
        self.checks = threading.Lock()  # a plan check reads two whole plans: one at a time, as in the page
        self.created = int(time.time())

    # -- models ----------------------------------------------------------------------

    def models(self) -> dict[str, str]:
        """{model id: backend}: ``planqa-extractive`` and one ``planqa-<backend>`` per loaded LLM."""
        return {f"planqa-{backend}": backend for backend in self.service.answerers}

    def backend_of(self, model: str) -> str:
        models = self.models()
        if model in models:
            return models[model]
        if not self.service.ready:
            raise planqa_error(PlanqaError(self.service.load_error or "索引未载入。"))
        raise ApiError(404, f"没有模型 {model}。可用的模型：{'、'.join(models)}。", "model_not_found", param="model")

    def default_backend(self) -> str:
        backend = self.service.settings.backend
        return backend if backend in self.service.answerers else "extractive"

    def filters(self, scope: Scope) -> Filters:
        unknown = [d for d in scope.docs if self.service.ready and d not in self.service.index.metas]
        if unknown:
            raise ApiError(400, f"语料库中没有这些文件：{'、'.join(unknown)}。", "unknown_document", param="docs")
        try:
            return self.service.filters(scope.docs, scope.levels, scope.years)
        except PlanqaError as exc:
            raise ApiError(400, exc.message, "bad_level", param="levels") from None

    def answer(self, question: str, history: Sequence[Message], scope: Scope, backend: str) -> Answer:
        filters = self.filters(scope)
        with self.answers:
            try:
                return self.service.answer(question, filters, backend, history)
            except PlanqaError as exc:
                log.info("question refused: %s", exc.detail)
                raise planqa_error(exc) from exc

    # -- /v1/chat/completions ------------------------------------------------------------

    def completion(self, req: ChatRequest) -> dict[str, Any]:
        backend = self.backend_of(req.model)
        question, history = question_and_history(req.messages)
        answer = self.answer(question, history, req, backend)
        content = markdown_answer(answer)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop", "logprobs": None}],
            "usage": usage(req.messages, content),
            "planqa": answer.to_json(),  # the structured part a Markdown reply cannot carry
        }

    def completion_stream(self, req: ChatRequest) -> Iterator[str]:
        """Check what can be checked before the stream starts (the model, the messages, the
        question), so that those errors are plain HTTP errors; then the events."""
        backend = self.backend_of(req.model)
        question, history = question_and_history(req.messages)
        try:
            check_question(question)
        except BadQuestionError as exc:
            raise planqa_error(exc) from exc
        filters = self.filters(req)
        return self._events(req, question, history, filters, backend)

    def _events(self, req: ChatRequest, question: str, history: list[Message], filters: Filters, backend: str) -> Iterator[str]:
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            body = {
                "id": cid, "object": "chat.completion.chunk", "created": created, "model": req.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra,
            }
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        answer = None
        last_beat = time.monotonic()
        try:
            with self.answers:
                for event in self.service.stream(question, filters, backend, history):
                    if event.kind == "final":
                        answer = event.answer
                    elif time.monotonic() - last_beat > 2:  # an LLM is still writing: keep the connection alive
                        last_beat = time.monotonic()
                        yield ": 正在生成并核对回答\n\n"
        except PlanqaError as exc:
            log.info("question refused in a stream: %s", exc.detail)
            yield f"data: {json.dumps(error_body(exc.message, 'unavailable', 'server_error'), ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"
            return
        except Exception:  # noqa: BLE001 - the client gets a message, the log the traceback
            log.exception("streamed answer failed")
            yield f"data: {json.dumps(error_body(INTERNAL_ERROR, 'internal_error', 'server_error'), ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"
            return
        assert answer is not None  # every stream of the answerer ends with its final event
        content = markdown_answer(answer)
        for piece in markdown_pieces(content):
            yield chunk({"content": piece})
        yield chunk({}, "stop", planqa=answer.to_json())
        if req.stream_options is not None and req.stream_options.include_usage:
            body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": req.model,
                    "choices": [], "usage": usage(req.messages, content)}
            yield f"data: {json.dumps(body, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"

    # -- /api ------------------------------------------------------------------------------

    def ask(self, req: AskRequest) -> dict[str, Any]:
        backend = req.backend or self.default_backend()
        if backend not in self.service.answerers:
            self.backend_of(f"planqa-{backend}")  # says which backends there are
        return self.answer(req.question, history_of(req.history), req, backend).to_json()

    def retrieve(self, req: RetrieveRequest) -> dict[str, Any]:
        filters = self.filters(req)
        try:
            alone, hits = self.service.retrieve(req.question, filters, history_of(req.history), req.k)
        except PlanqaError as exc:
            raise planqa_error(exc) from exc
        return {"question": req.question, "standalone_question": alone, "hits": [h.to_json() for h in hits]}

    def check(self, upload: Path | None, filename: str, county: str, province: str) -> dict[str, Any]:
        from rag.check.report import render_html, render_markdown

        province = province or self.service.default_province()
        if upload is None and not county:
            raise ApiError(400, "请上传下级规划草案（字段 file），或用字段 county 指定语料库中的一篇规划。", "no_draft", param="file")
        if not province:
            raise ApiError(400, "语料库中没有省级五年规划：请用字段 province 指定上级规划的文件名。", "no_province", param="province")
        with self.checks:
            try:
                if upload is not None:
                    with tempfile.TemporaryDirectory(prefix="planqa-upload-") as tmp:
                        local = Path(tmp) / safe_upload_name(filename or "draft.txt")
                        shutil.move(upload, local)
                        check = self.service.check(local, "", province)
                else:
                    check = self.service.check(None, county, province)
            except PlanqaError as exc:
                log.info("plan check refused: %s", exc.detail)
                raise planqa_error(exc) from exc
        out = self.service.scratch_dir()
        (out / "report.md").write_text(render_markdown(check), encoding="utf-8")
        (out / "report.html").write_text(render_html(check), encoding="utf-8")
        base = f"/api/check/reports/{out.name}"
        return {"check": check.to_json(), "reports": {"markdown": f"{base}/report.md", "html": f"{base}/report.html"}}

    def report_file(self, run: str, name: Literal["report.md", "report.html"]) -> Path:
        """A report file that :meth:`check` wrote (gone after an hour)."""
        root = self.service.scratch_root()
        path = root / run / name
        if not re.fullmatch(r"[\w-]{1,80}", run) or not path.is_file():
            raise ApiError(404, "报告不存在或已过期（报告保留一小时），请重新运行对照检查。", "report_not_found")
        return path


    # -- /api/documents: the library ------------------------------------------------------

    @property
    def library(self) -> Any:
        from rag.library.store import Library, LibraryError

        with self._open:
            if self._library is None:
                try:
                    self._library = Library(self.service.corpus)
                except LibraryError as exc:
                    raise library_error(exc) from exc
            return self._library

    @property
    def jobs(self) -> Any:
        from rag.library.jobs import JobQueue

        with self._open:
            if self._jobs is None:
                if self.service.embedder is None:
                    raise ApiError(503, f"向量模型未载入，无法更新索引：{self.service.load_error}", "unavailable", "server_error")
                self._jobs = JobQueue(
                    self.service.corpus, self.service.index_path, self.service.embedder, on_done=lambda job: self.service.refresh()
                )
            return self._jobs

    def _entry_json(self, entry: Any) -> dict[str, Any]:
        """A library entry, with whether the index in use holds this very file (``indexed``)."""
        out: dict[str, Any] = entry.to_json()
        held = self.service.index.manifest.documents.get(entry.id) if self.service.ready else None
        out["indexed"] = held is not None and (entry.facts is None or held.sha256 == entry.facts.sha256)
        return out

    def _job(self, reason: str, index: bool) -> dict[str, Any] | None:
        if not index:
            return None
        job = self.jobs.submit(reason)
        return {"id": job.id, "state": job.state, "progress": job.progress, "error": job.error}

    def documents(self) -> dict[str, Any]:
        self.service.refresh()  # ``indexed`` against the newest version, whichever worker built it
        with library_errors():
            entries = self.library.documents()
        version = self.service.version or None
        return {"documents": [self._entry_json(e) for e in entries], "index_version": version}

    def document(self, doc_id: str) -> dict[str, Any]:
        self.service.refresh()
        with library_errors():
            return {"document": self._entry_json(self.library.get(doc_id))}

    def add_document(self, upload: Path, filename: str, fields: dict[str, Any], by: str, index: bool = True) -> dict[str, Any]:
        with library_errors():
            entry = self.library.add(upload, filename, fields, by=by)
        log.warning("library: %s added %s", by or "-", entry.id)
        return {"document": self._entry_json(entry), "job": self._job(f"添加 {entry.id}", index)}

    def update_document(self, doc_id: str, req: MetaUpdate, by: str) -> dict[str, Any]:
        fields = req.model_dump(exclude={"index"}, exclude_none=True)
        with library_errors():
            entry = self.library.update_meta(doc_id, fields, by=by)
        log.warning("library: %s corrected %s (%s)", by or "-", entry.id, ", ".join(fields))
        return {"document": self._entry_json(entry), "job": self._job(f"修改 {entry.id} 的信息", req.index)}

    def replace_document(self, doc_id: str, upload: Path, filename: str, by: str, index: bool = True) -> dict[str, Any]:
        with library_errors():
            entry = self.library.replace(doc_id, upload, filename, by=by)
        log.warning("library: %s replaced %s", by or "-", entry.id)
        return {"document": self._entry_json(entry), "job": self._job(f"替换 {entry.id}", index)}

    def remove_document(self, doc_id: str, by: str, index: bool = True) -> dict[str, Any]:
        with library_errors():
            item = self.library.remove(doc_id, by=by)
        log.warning("library: %s removed %s", by or "-", doc_id)
        return {"trash": item.to_json(), "job": self._job(f"删除 {doc_id}", index)}

    def trash(self) -> dict[str, Any]:
        with library_errors():
            return {"trash": [t.to_json() for t in self.library.trash()]}

    def restore(self, trash_id: str, by: str, index: bool = True) -> dict[str, Any]:
        with library_errors():
            entry = self.library.restore(trash_id, by=by)
        log.warning("library: %s restored %s", by or "-", entry.id)
        return {"document": self._entry_json(entry), "job": self._job(f"恢复 {entry.id}", index)}

    def job(self, job_id: str) -> dict[str, Any]:
        from rag.library.jobs import JobStore

        with library_errors():
            job = self._jobs.get(job_id) if self._jobs is not None else JobStore(self.service.index_path).get(job_id)
        out: dict[str, Any] = job.to_json()
        return out

    def preview(self, doc_id: str) -> dict[str, Any]:
        """What ingestion makes of a stored document (``planqa parse --json``), with its manifest entry."""
        from rag.docs.ingest import ingest_file
        from rag.docs.parsed import describe

        with library_errors():
            entry = self.library.get(doc_id)
            try:
                doc = ingest_file(self.library.root / entry.id, entry.meta if entry.in_manifest else None)
            except PlanqaError as exc:
                raise planqa_error(exc) from exc
        return {"document": self._entry_json(entry), "parsed": describe(doc)}


@contextmanager
def library_errors() -> Iterator[None]:
    """A domain error raised inside (a :class:`rag.library.store.LibraryError` with its status,
    or another) becomes the :class:`ApiError` the caller gets."""
    try:
        yield
    except PlanqaError as exc:
        raise library_error(exc) from exc


def library_error(exc: PlanqaError) -> ApiError:
    from rag.library.store import LibraryError

    if isinstance(exc, LibraryError):
        kind = "server_error" if exc.status >= 500 else "invalid_request_error"
        return ApiError(exc.status, exc.message, exc.code, kind)
    return planqa_error(exc)


def history_of(raw: Sequence[dict[str, Any]]) -> list[Message]:
    """A conversation handed in (OpenAI-style messages, from /v1 or /api): user turns as they are, assistant turns as plain
    sentences (a client may hand back the Markdown of :mod:`ui.render`)."""
    out = []
    for m in raw[-HISTORY_TURNS:]:
        role, content = m.get("role"), text_of(m.get("content"))
        if role == "assistant":
            content = plain_answer(content)
        if role in ("user", "assistant") and content.strip():
            out.append({"role": str(role), "content": content})
    return out


def usage(messages: Sequence[ChatMessage], content: str) -> dict[str, int]:
    """Characters, counted as OpenAI counts tokens (planqa's answerer has no tokenizer); clients
    only show or sum them."""
    prompt = sum(len(m.text()) for m in messages)
    return {"prompt_tokens": prompt, "completion_tokens": len(content), "total_tokens": prompt + len(content)}
