"""The 文档库 tab: the library's documents, upload with a preview and a metadata form, replace,
remove, restore, and the index job's progress, all through :class:`ui.api.Api` (the same
logic as ``/api/documents``).

The handlers are plain functions of the page's values (tested without a browser); every
refusal or error is a Chinese line in the tab. Changing the library needs the library login
(:class:`ui.auth.AdminGate`), typed into the tab; with none configured, on 127.0.0.1, the
local user may.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.errors import PlanqaError
from ui.api import Api, ApiError
from ui.auth import Denied

log = logging.getLogger("planqa.ui")

LEVEL_LABELS = {"province": "省级", "city": "市级", "county": "县级"}
COLUMNS = ["标题", "文件", "层级", "规划期", "类型", "依据的规划", "添加时间", "添加人", "已入索引", "解析提示"]
META_FIELDS = ("title", "issuer", "date", "level", "kind", "period", "implements")
JOB_POLL_SECONDS = 0.5
JOB_WAIT_SECONDS = 1800


def who(api: Api, user: str, password: str) -> str:
    """The name a change is recorded under, or :class:`Denied` with the reason."""
    if not api.admin.configured and api.admin.local:
        return "本机用户（网页）"
    if not (user or "").strip():
        raise Denied(401, "修改文档库需要管理员登录：请在上方填写管理员账号和密码。", "admin_login_required")
    token = base64.b64encode(f"{user.strip()}:{password or ''}".encode()).decode("ascii")
    return api.admin.check(f"Basic {token}")


def rule(api: Api) -> str:
    """Who may change the library, for the top of the tab."""
    return api.admin.describe()


Documents = list[dict[str, Any]]  # as ``Api.documents()`` lists them


def table(api: Api, query: str = "", documents: Documents | None = None) -> list[list[Any]]:
    """The documents (``documents``, else the library's now) as rows of :data:`COLUMNS`, those
    matching ``query`` (title or file) only."""
    q = (query or "").strip().lower()
    rows = []
    for d in api.documents()["documents"] if documents is None else documents:
        meta = d["meta"]
        if q and q not in meta["title"].lower() and q not in d["file"].lower():
            continue
        rows.append([
            meta["title"], d["file"], LEVEL_LABELS.get(meta.get("level") or "", ""), meta.get("period") or "",
            meta.get("kind") or "", meta.get("implements") or meta.get("implements_title") or "",
            (d.get("added_at") or "")[:19].replace("T", " "), d.get("added_by") or "",
            "是" if d.get("indexed") else "否（更新中或未入索引）", "；".join(d.get("warnings") or []),
        ])
    return rows


def doc_choices(api: Api, documents: Documents | None = None) -> list[tuple[str, str]]:
    docs = api.documents()["documents"] if documents is None else documents
    return [(f"{d['meta']['title']}（{d['file']}）", d["file"]) for d in docs]


def trash_choices(api: Api) -> list[tuple[str, str]]:
    """The trash, newest first: title, file, when, and whether it was removed or replaced."""
    out = []
    for t in sorted(api.trash()["trash"], key=lambda t: t["removed_at"], reverse=True):
        how = "被替换下的旧版本" if t.get("reason") == "replaced" else "已删除"
        label = f"{t['meta']['title']}（{t['file']}，{how}，{t['removed_at'][:16].replace('T', ' ')}）"
        out.append((label, t["id"]))
    return out


def preview(paths: Sequence[str] | None) -> tuple[str, list[Any]]:
    """(Markdown of what ingestion made of the first upload, the metadata form's values). Nothing
    is stored: the file is read where the page put it."""
    from rag.docs.ingest import ingest_file
    from rag.docs.parsed import describe

    empty = ["", "", "", None, "", "", ""]
    if not paths:
        return "请先选择要上传的文件。", empty
    path = Path(paths[0])
    try:
        parsed = describe(ingest_file(path))
    except PlanqaError as exc:
        return f"⚠ 无法读取 {path.name}：{exc.message}", empty
    except Exception:  # noqa: BLE001 - the user sees a line, the log the traceback
        log.exception("preview failed")
        return f"⚠ 无法读取 {path.name}：系统内部错误（详细信息已写入服务器日志）。", empty
    meta = parsed["meta"]
    lines = [f"**{path.name}** 的解析结果" + (f"（另有 {len(paths) - 1} 个文件，入库时各自推断信息）" if len(paths) > 1 else "")]
    inferred = set(parsed.get("inferred") or [])
    for key, label in (("title", "标题"), ("issuer", "发文机关"), ("date", "日期"), ("level", "层级"), ("period", "规划期"),
                       ("kind", "类型"), ("implements_title", "依据的规划")):
        if meta.get(key):
            value = LEVEL_LABELS.get(meta[key], meta[key]) if key == "level" else meta[key]
            lines.append(f"- {label}：{value}" + ("（从正文推断，请核对）" if key in inferred else ""))
    outline = [f"{'  ' * depth}- {node['title']}" for node, depth in _walk(parsed.get("outline") or [])][:60]
    lines.append(f"\n**目录结构**（{len(outline)} 项{'，仅列前 60 项' if len(outline) >= 60 else ''}）：\n" + ("\n".join(outline) or "（没有识别出章节标题）"))
    if parsed.get("tables"):
        lines.append(f"\n**表格**：{len(parsed['tables'])} 个（第一个：{'、'.join(parsed['tables'][0].get('header') or [])[:120]}）")
    if parsed.get("ocr_pages"):
        lines.append(f"\n**OCR 识别的页**：{'、'.join(str(p) for p in parsed['ocr_pages'])}（OCR 识别，请核对原件）")
    for w in parsed.get("warnings") or []:
        lines.append(f"\n⚠ {w}")
    values = [meta.get("title") or "", meta.get("issuer") or "", meta.get("date") or "", meta.get("level"),
              meta.get("kind") or "", meta.get("period") or "", meta.get("implements") or ""]
    return "\n".join(lines), values


def _walk(nodes: Sequence[dict[str, Any]], depth: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
    for node in nodes:
        yield node, depth
        yield from _walk(node.get("children") or [], depth + 1)


def _message(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ApiError | Denied | PlanqaError):
        return f"⚠ {exc.message}"
    if isinstance(exc, ValidationError):
        return f"⚠ 文档信息有误：{'、'.join(str(e['loc'][0]) for e in exc.errors())} 的值无效。"
    log.exception("library change failed", exc_info=exc)
    return "⚠ 系统内部错误，本次操作未完成（详细信息已写入服务器日志）。"


def follow(api: Api, done: str, job: dict[str, Any] | None) -> Iterator[str]:
    """Status lines while the change's index job runs, ending with the outcome."""
    if job is None:
        yield done
        return
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    while time.monotonic() < deadline:
        state = api.job(job["id"])
        if state["state"] == "done":
            api.service.refresh()  # this process answers from the new version at once
            yield f"{done} 索引已更新（{state.get('stage') or '完成'}），现在可以提问。"
            return
        if state["state"] == "failed":
            yield f"{done} ⚠ 索引更新失败：{state.get('error') or '原因不明'}（问答仍使用之前的索引）。"
            return
        yield f"{done} 正在更新索引：{state.get('stage') or state['state']}（{round(100 * float(state.get('progress') or 0))}%）……"
        time.sleep(JOB_POLL_SECONDS)
    yield f"{done} 索引仍在更新（任务 {job['id']}），稍后刷新本页查看。"


def add(api: Api, paths: Sequence[str] | None, form: Sequence[Any], user: str, password: str) -> Iterator[str]:
    """Add the uploads (the form's fields apply when there is one file), then follow the job."""
    if not paths:
        yield "⚠ 请先选择要上传的文件。"
        return
    try:
        by = who(api, user, password)
        fields = {k: v for k, v in zip(META_FIELDS, form, strict=True) if v} if len(paths) == 1 else {}
        added, job = [], None
        for p in paths:
            out = api.add_document(Path(p), Path(p).name, fields, by)
            added.append(out["document"]["file"])
            job = out["job"] or job
    except Exception as exc:  # noqa: BLE001
        yield _message(exc)
        return
    yield from follow(api, f"已加入文档库：{'、'.join(added)}。", job)


def _change(api: Api, user: str, password: str, change: Callable[[str], dict[str, Any]], done: Callable[[dict[str, Any]], str]) -> Iterator[str]:
    """Check the login, make the change (``change(who)``), then follow its job."""
    try:
        out = change(who(api, user, password))
    except Exception as exc:  # noqa: BLE001 - one Chinese line in the tab
        yield _message(exc)
        return
    yield from follow(api, done(out), out.get("job"))


def replace(api: Api, doc_id: str | None, path: str | None, user: str, password: str) -> Iterator[str]:
    if not doc_id or not path:
        yield "⚠ 请选择要替换的文档，并上传新版本文件。"
        return
    yield from _change(api, user, password, lambda by: api.replace_document(doc_id, Path(path), Path(path).name, by),
                       lambda out: f"已替换 {doc_id}（旧版本已移入回收站）。")


def update(api: Api, doc_id: str | None, form: Sequence[Any], user: str, password: str) -> Iterator[str]:
    from ui.api import MetaUpdate

    if not doc_id:
        yield "⚠ 请选择要修改信息的文档。"
        return
    fields = {k: v for k, v in zip(META_FIELDS, form, strict=True) if v}
    yield from _change(api, user, password, lambda by: api.update_document(doc_id, MetaUpdate(**fields), by),
                       lambda out: f"已修改 {doc_id} 的信息。")


def remove(api: Api, doc_id: str | None, user: str, password: str) -> Iterator[str]:
    if not doc_id:
        yield "⚠ 请选择要删除的文档。"
        return
    yield from _change(api, user, password, lambda by: api.remove_document(doc_id, by),
                       lambda out: f"已删除 {doc_id}（在回收站中，可以恢复）。")


def restore(api: Api, trash_id: str | None, user: str, password: str) -> Iterator[str]:
    if not trash_id:
        yield "⚠ 请在回收站中选择要恢复的文档。"
        return
    yield from _change(api, user, password, lambda by: api.restore(trash_id, by),
                       lambda out: f"已恢复 {out['document']['file']}。")


# -- the tab ---------------------------------------------------------------------------


def build_tab(api: Api, demo: Any, chat_docs: Any) -> None:
    """The tab's components and events (inside the page's ``gr.Blocks``, ``demo``); ``chat_docs``
    is the chat's document filter, whose choices follow the library."""
    import gradio as gr

    from ui.service import UPLOAD_SUFFIXES

    gr.Markdown(f"**谁可以修改：** {rule(api)}", elem_id="library-rule")
    with gr.Row():
        user = gr.Textbox(label="管理员账号", scale=1, elem_id="library-user", visible=api.admin.configured)
        password = gr.Textbox(label="管理员密码", type="password", scale=1, elem_id="library-password", visible=api.admin.configured)
    status = gr.Markdown(elem_id="library-status")
    with gr.Row():
        query = gr.Textbox(label="查找文档（标题或文件名）", scale=4, elem_id="library-query")
        refresh = gr.Button("刷新", size="sm", scale=1)
    docs = gr.Dataframe(headers=COLUMNS, value=table(api), interactive=False, wrap=True, elem_id="library-table")
    with gr.Tab("上传"):
        files = gr.File(label="上传文档（可多选；50 MB 以内）", file_count="multiple", file_types=list(UPLOAD_SUFFIXES),
                        type="filepath", elem_id="library-upload")
        look = gr.Button("预览解析结果", elem_id="library-preview")
        parsed = gr.Markdown(elem_id="library-parsed")
        with gr.Row():
            title = gr.Textbox(label="标题", elem_id="meta-title", scale=3)
            issuer = gr.Textbox(label="发文机关", elem_id="meta-issuer")
            date = gr.Textbox(label="日期（如 2026-03）", elem_id="meta-date")
        with gr.Row():
            level = gr.Dropdown([("省级", "province"), ("市级", "city"), ("县级", "county")], label="层级", elem_id="meta-level")
            kind = gr.Textbox(label="类型（如 five_year_plan、annual_work_points）", elem_id="meta-kind")
            period = gr.Textbox(label="规划期（如 2026-2030）", elem_id="meta-period")
            implements = gr.Textbox(label="依据的规划（语料库中的文件名）", elem_id="meta-implements")
        confirm = gr.Button("确认入库", variant="primary", elem_id="library-add")
    with gr.Tab("修改、替换、删除"):
        pick = gr.Dropdown(doc_choices(api), label="文档", elem_id="library-pick")
        with gr.Row():
            fix = gr.Button("用上面的表单修改信息", elem_id="library-update")
            new_file = gr.File(label="新版本文件", file_types=list(UPLOAD_SUFFIXES), type="filepath", elem_id="library-new-file")
            swap = gr.Button("替换为新版本", elem_id="library-replace")
            drop = gr.Button("删除（移入回收站）", variant="stop", elem_id="library-remove")
    with gr.Tab("回收站"):
        bin_pick = gr.Dropdown(trash_choices(api), label="回收站中的文档", elem_id="library-trash")
        back = gr.Button("恢复", elem_id="library-restore")

    form = [title, issuer, date, level, kind, period, implements]
    def on_preview(paths: list[str] | None) -> tuple[Any, ...]:
        md, values = preview(paths)
        return (md, *values)

    look.click(on_preview, inputs=[files], outputs=[parsed, *form], api_visibility="private")
    # the preview comes as soon as files are chosen, and the form belongs to the files it was filled
    # from: removing them empties it, and so does a change (lists_now), so one document's corrected
    # title never goes onto the next
    files.upload(on_preview, inputs=[files], outputs=[parsed, *form], api_visibility="private")
    files.clear(lambda: ("", "", "", "", None, "", "", ""), outputs=[parsed, *form], api_visibility="private")

    def lists_now(clear: bool = True) -> tuple[Any, ...]:
        """The lists as the library is now; after a change the upload boxes are emptied too (a file
        is added once)."""
        documents = api.documents()["documents"]  # read once for all the lists
        titles = [(d["meta"]["title"], d["file"]) for d in documents]
        uploads = (None, None, "", "", "", "", None, "", "", "") if clear else (gr.skip(),) * 10
        return (table(api, documents=documents), gr.update(choices=doc_choices(api, documents), value=None), gr.update(choices=trash_choices(api), value=None),
                gr.update(choices=titles), *uploads)

    lists = [docs, pick, bin_pick, chat_docs, files, new_file, parsed, *form]

    def then_lists(lines: Iterator[str]) -> Iterator[tuple[Any, ...]]:
        """The status lines as they come; with the last, the lists (in the same update, so what the
        status says is done is what the lists show)."""
        line = ""
        for line in lines:
            yield (line, *[gr.skip()] * len(lists))
        yield (line, *lists_now())

    events: dict[str, Any] = {"outputs": [status, *lists], "concurrency_limit": 1, "concurrency_id": "library", "api_visibility": "private"}

    def on_add(paths: list[str] | None, *rest: Any) -> Iterator[tuple[Any, ...]]:
        yield from then_lists(add(api, paths, rest[:-2], rest[-2], rest[-1]))

    def on_update(doc_id: str | None, *rest: Any) -> Iterator[tuple[Any, ...]]:
        yield from then_lists(update(api, doc_id, rest[:-2], rest[-2], rest[-1]))

    def on_replace(doc_id: str | None, path: str | None, u: str, pw: str) -> Iterator[tuple[Any, ...]]:
        yield from then_lists(replace(api, doc_id, path, u, pw))

    def on_remove(doc_id: str | None, u: str, pw: str) -> Iterator[tuple[Any, ...]]:
        yield from then_lists(remove(api, doc_id, u, pw))

    def on_restore(trash_id: str | None, u: str, pw: str) -> Iterator[tuple[Any, ...]]:
        yield from then_lists(restore(api, trash_id, u, pw))

    for button, handler, inputs in (
        (confirm, on_add, [files, *form, user, password]),
        (fix, on_update, [pick, *form, user, password]),
        (swap, on_replace, [pick, new_file, user, password]),
        (drop, on_remove, [pick, user, password]),
        (back, on_restore, [bin_pick, user, password]),
    ):
        button.click(handler, inputs=inputs, **events)
    demo.load(lambda: lists_now(clear=False), outputs=lists, api_visibility="private")  # a page opened later sees the library as it is
    refresh.click(lambda q: table(api, q), inputs=[query], outputs=[docs], api_visibility="private")
    query.submit(lambda q: table(api, q), inputs=[query], outputs=[docs], api_visibility="private")
