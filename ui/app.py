"""The web chat (Gradio): a thin adapter over :mod:`rag`.

Four tabs: 问答 (questions with cited answers, filters, example questions,
backend choice), 规划对照检查 (a county draft against the provincial plan),
文档库 (the document library: :mod:`ui.library`) and 评测报告 (the latest
``planqa eval`` report). Every handler turns domain
errors into a Chinese message in the page and logs anything else; no
traceback reaches a user.

Run it with ``planqa serve`` (or ``python -m ui.app``). It binds to
127.0.0.1 unless ``PLANQA_HOST`` says otherwise, and then only with a login
(``PLANQA_UI_USER`` / ``PLANQA_UI_PASSWORD``).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.errors import ConfigError, PlanqaError
from rag.qa.followup import history_messages
from rag.qa.retrieve import EMPTY_QUESTION
from rag.settings import DEFAULT_CORPUS, DEFAULT_INDEX, Settings
from ui.auth import LOOPBACK
from ui.render import (
    CSS,
    conversation,
    preview,
    render_answer,
    render_error,
    render_pending,
    render_streaming,
)
from ui.service import LEVELS, UPLOAD_SUFFIXES, Service, backend_choices, latest_report

log = logging.getLogger("planqa.ui")

INTERNAL_ERROR = "系统内部错误，本次操作未完成（详细信息已写入服务器日志）。请稍后重试或联系管理员。"
MAX_UPLOAD = "50mb"  # the ingestion's own limit (rag.docs.readers.MAX_FILE_BYTES)
# Gradio keeps per-session state (a copy of the page's configuration, about 40 kB) for 10,000
# sessions and a record of the last 10,000 requests by default: up to ~400 MB that a long-running
# server fills slowly. This page keeps nothing in a session (the chat history is in the browser),
# so 1,000 of each bound it to ~40 MB; the oldest are dropped first.
SESSION_CAPACITY = 1000
REQUEST_RECORDS = "1000"
Message = dict[str, Any]


def check_bind(settings: Settings) -> None:
    """Refuse to serve other machines without a login."""
    if settings.host not in LOOPBACK and settings.login is None:
        raise ConfigError(
            f"网页要绑定到 {settings.host}（可被其他计算机访问），必须先设置登录账号："
            "PLANQA_UI_USER 和 PLANQA_UI_PASSWORD。",
            f"refusing to bind {settings.host} without a login",
        )


# -- handlers (plain functions of the page's values, tested without a browser) ---------


def respond(
    service: Service,
    question: str,
    history: list[Message] | None,
    docs: Sequence[str] = (),
    levels: Sequence[str] = (),
    years: Sequence[Any] = (),
    backend: str | None = "extractive",
) -> Iterator[tuple[str, list[Message]]]:
    """Yield (input box, chat) as the answer arrives.

    The input box is cleared only once an answer is shown: after an error the
    question stays there to be corrected.
    """
    history = list(history or [])
    question = question or ""
    earlier = conversation(history)  # what a follow-up leans on (rag.qa.followup)
    if not question.strip():
        yield question, [*history, {"role": "assistant", "content": render_error(EMPTY_QUESTION)}]
        return
    history.append({"role": "user", "content": preview(question, 400)})
    history.append({"role": "assistant", "content": render_pending()})
    yield question, list(history)
    streamed: list[str] = []
    notices: list[str] = []
    try:
        filters = service.filters(docs, levels, years)
        for event in service.stream(question, filters, backend or "extractive", earlier):
            if event.kind == "delta":
                streamed.append(event.text)
                history[-1] = {"role": "assistant", "content": render_streaming("".join(streamed), notices)}
                yield question, list(history)
            elif event.kind == "notice":
                notices.append(event.text)
            elif event.kind == "final" and event.answer is not None:
                history[-1] = {"role": "assistant", "content": render_answer(event.answer)}
                yield "", list(history)
    except PlanqaError as exc:
        log.info("question refused: %s", exc.detail)
        history[-1] = {"role": "assistant", "content": render_error(exc.message)}
        yield question, list(history)
    except Exception:  # noqa: BLE001 - a user sees a message, the log gets the traceback
        log.exception("answering failed")
        history[-1] = {"role": "assistant", "content": render_error(INTERNAL_ERROR)}
        yield question, list(history)


def answer_json(
    service: Service,
    question: str,
    docs: Sequence[str] = (),
    levels: Sequence[str] = (),
    years: Sequence[Any] = (),
    backend: str = "extractive",
    history: Sequence[Message] = (),
) -> dict[str, Any]:
    """The API's answer: ``Answer.to_json()``, or ``{"error": message}``."""
    try:
        messages = history_messages(list(history))
        return service.answer(question, service.filters(docs, levels, years), backend, messages).to_json()
    except PlanqaError as exc:
        return {"error": exc.message}
    except Exception:  # noqa: BLE001
        log.exception("api answer failed")
        return {"error": INTERNAL_ERROR}


def run_check(service: Service, upload: str | None, county_file: str | None, province_file: str | None) -> tuple[str, list[str]]:
    """(report HTML, [Markdown file, HTML file]) for the plan-check tab.

    The uploaded file is deleted once it has been read, whatever the outcome (the page then
    clears the upload box): a draft stays on the server only as long as its check runs.
    """
    from rag.check.report import render_html, render_markdown

    try:
        check = service.check(Path(upload) if upload else None, county_file or "", province_file or "")
    except PlanqaError as exc:
        log.info("plan check refused: %s", exc.detail)
        return render_error(exc.message), []
    except Exception:  # noqa: BLE001
        log.exception("plan check failed")
        return render_error(INTERNAL_ERROR), []
    finally:
        if upload:
            discard_upload(Path(upload))
    out = service.scratch_dir()
    md, page = out / "对照检查报告.md", out / "对照检查报告.html"
    md.write_text(render_markdown(check), encoding="utf-8")
    page.write_text(render_html(check), encoding="utf-8")
    return render_html(check, fragment=True), [str(md), str(page)]


def discard_upload(path: Path) -> None:
    """Delete an uploaded file and the folder Gradio made for it, if that is now empty."""
    try:
        path.unlink(missing_ok=True)
        path.parent.rmdir()
    except OSError:
        pass  # not empty, or already gone


def report_view(reports_dir: Path) -> tuple[str, list[str]]:
    """(Markdown, plot paths) of the latest evaluation report, or how to make one."""
    report = latest_report(reports_dir)
    if report is None:
        return f"还没有评测报告。运行 `planqa eval` 后，报告写在 `{reports_dir}/<时间>/`，刷新本页即可查看。", []
    return f"**报告目录：** `{report.path}`\n\n{report.markdown}", [str(p) for p in report.images]


# -- the page ------------------------------------------------------------------


def build_app(service: Service, reports_dir: Path = Path("evals/reports"), api: Any = None) -> Any:
    """The page. ``api`` (:class:`ui.api.Api`, the one the process serves) gives the 文档库 tab;
    without it (a page on its own) there is no such tab."""
    import gradio as gr

    docs = service.documents()
    titles = [(m.title, m.file) for m in docs]
    province_plans = [(m.title, m.file) for m in docs if m.level == "province" and m.kind == "five_year_plan"]
    lower_plans = [(m.title, m.file) for m in docs if m.level in ("city", "county")]
    choices = backend_choices(service)

    with gr.Blocks(title="planqa 规划文件问答", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"## {service.heading()}")
        gr.Markdown(service.status, elem_id="status")  # read at each page load: the library changes it
        with gr.Tab("问答", id="chat-tab"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        elem_id="chat", label="对话", height=560, sanitize_html=True,
                        feedback_options=None, placeholder="请输入关于规划文件的问题，回答会注明出处（文件、章节、原文）。",
                    )
                    with gr.Row():
                        box = gr.Textbox(
                            elem_id="question", label="问题", show_label=False, scale=5, lines=1, max_lines=6,
                            placeholder="请输入关于规划文件的问题，例如某项指标的目标值（Enter 发送）",
                        )
                        send = gr.Button("发送", variant="primary", elem_id="send", scale=1)
                    examples = (
                        gr.Examples(service.examples(), inputs=[box], label="示例问题（点击即提问）")
                        if service.examples()
                        else None
                    )
                with gr.Column(scale=1, min_width=240):
                    gr.Markdown("#### 检索范围")
                    doc_pick = gr.CheckboxGroup(titles, label="文档（不选则全部）", elem_id="filter-docs")
                    level_pick = gr.CheckboxGroup(list(LEVELS), label="层级", elem_id="filter-levels")
                    year_pick = gr.CheckboxGroup([str(y) for y in service.years()], label="发文年份", elem_id="filter-years")
                    gr.Markdown("#### 回答方式")
                    values = [value for _, value in choices]
                    default = service.settings.backend if service.settings.backend in values else values[0] if values else None
                    backend = gr.Radio(
                        choices, value=default, show_label=False, elem_id="backend",
                        interactive=len(choices) > 1,
                    )
                    for name, reason in service.backend_errors.items():
                        gr.Markdown(f"⚠ {name}：{reason}")
                    clear = gr.Button("清空对话", size="sm")

            def chat_turn(question: str, history: list[Message], d: list[str], lv: list[str], y: list[str], b: str) -> Iterator[Any]:
                yield from respond(service, question, history, d, lv, y, b)

            inputs = [box, chat, doc_pick, level_pick, year_pick, backend]
            chat_events: dict[str, Any] = {"fn": chat_turn, "inputs": inputs, "outputs": [box, chat], "concurrency_limit": 8, "concurrency_id": "chat"}
            box.submit(**chat_events, api_visibility="private")
            send.click(**chat_events, api_visibility="private")
            if examples is not None:
                examples.load_input_event.then(**chat_events, api_visibility="private")
            clear.click(lambda: ("", []), outputs=[box, chat], api_visibility="private")

        with gr.Tab("规划对照检查", id="check-tab"):
            gr.Markdown(
                "上传下级规划草案（.docx / .pdf / .txt / .md，50 MB 以内），或从语料库中选择一篇下级规划，"
                "与它要落实的上级规划逐项对照：指标、文字目标、专栏工程、重点任务。"
            )
            with gr.Row():
                upload = gr.File(
                    label="上传草案", file_types=list(UPLOAD_SUFFIXES), type="filepath", elem_id="check-upload"
                )
                with gr.Column():
                    county_pick = gr.Dropdown(
                        lower_plans, value=None, label="或选择语料库中的下级规划", elem_id="check-county"
                    )
                    province_pick = gr.Dropdown(
                        province_plans, value=province_plans[0][1] if province_plans else None,
                        label="上级规划", elem_id="check-province",
                    )
                    run = gr.Button("开始对照检查", variant="primary", elem_id="check-run")
            report = gr.HTML(elem_id="check-report")
            files = gr.File(label="下载报告（Markdown / HTML）", file_count="multiple", interactive=False, elem_id="check-files")
            run.click(
                lambda u, c, p: (*run_check(service, u, c, p), None), inputs=[upload, county_pick, province_pick],
                outputs=[report, files, upload], concurrency_limit=1, concurrency_id="check", api_visibility="private",
            )

        def corpus_lists() -> tuple[Any, ...]:
            """The choices that follow the corpus (the library changes it while serving): the chat's
            years, the check tab's lower-level and provincial plans."""
            metas = service.documents()
            return (
                gr.update(choices=[str(y) for y in service.years()]),
                gr.update(choices=[(m.title, m.file) for m in metas if m.level in ("city", "county")]),
                gr.update(choices=[(m.title, m.file) for m in metas if m.level == "province" and m.kind == "five_year_plan"]),
            )

        demo.load(corpus_lists, outputs=[year_pick, county_pick, province_pick], api_visibility="private")

        if api is not None and service.ready:
            from ui.library import build_tab

            with gr.Tab("文档库", id="library-tab"):
                build_tab(api, demo, doc_pick)

        with gr.Tab("评测报告", id="eval-tab"):
            refresh = gr.Button("刷新", size="sm")
            report_md = gr.Markdown(elem_id="eval-report")
            plots = gr.Gallery(label="图表", columns=2, height="auto", object_fit="contain", elem_id="eval-plots")
            refresh.click(lambda: report_view(reports_dir), outputs=[report_md, plots], api_visibility="private")
            demo.load(lambda: report_view(reports_dir), outputs=[report_md, plots], api_visibility="private")

        def ask(question: str, docs: list[str] | None = None, levels: list[str] | None = None,
                years: list[int] | None = None, backend: str = "extractive",
                history: list[dict[str, str]] | None = None) -> dict[str, Any]:
            """Answer a question as JSON: {"answer", "abstained", "citations", "notices", ...} or {"error"};
            ``history`` is the conversation so far ([{"role", "content"}, …], oldest first)."""
            return answer_json(service, question, docs or (), levels or (), years or (), backend, history or ())

        gr.api(ask, api_name="ask", concurrency_limit=8, concurrency_id="chat")  # for scripts (gradio_client)
    return demo


def theme() -> Any:
    """Gradio's default look with local fonts only (its default theme fetches Google Fonts)."""
    import gradio as gr

    cjk = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "sans-serif"]
    return gr.themes.Default(font=cjk, font_mono=["Noto Sans Mono CJK SC", "monospace"])


def serve(
    corpus: Path,
    index: Path,
    settings: Settings | None = None,
    reports: Path = Path("evals/reports"),
    open_browser: bool | None = None,
) -> None:
    """Load everything, then serve the page until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", REQUEST_RECORDS)  # kept in memory, not sent anywhere
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = settings or Settings.from_env()
    check_bind(settings)
    # Gradio keeps uploads and served files under GRADIO_TEMP_DIR (read when it is imported):
    # a folder of this process only, readable by its user only, deleted when the server stops.
    private = None
    if "GRADIO_TEMP_DIR" not in os.environ:
        private = Path(tempfile.mkdtemp(prefix="planqa-gradio-"))
        os.environ["GRADIO_TEMP_DIR"] = str(private)
    try:
        _serve(corpus, index, settings, reports, open_browser)
    finally:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
            os.environ.pop("GRADIO_TEMP_DIR", None)
        shutil.rmtree(Service.scratch_root(), ignore_errors=True)


def _serve(corpus: Path, index: Path, settings: Settings, reports: Path, open_browser: bool | None) -> None:
    from ui.api import Api
    from ui.auth import KeyRing

    keys = KeyRing.from_settings(settings)  # a malformed keys file stops here, before the models load
    print(f"正在载入模型和索引（{index}）……", file=sys.stderr, flush=True)
    service = Service.load(corpus, index, settings)
    if service.ready:
        print(f"已载入，用时 {service.load_seconds:.1f} 秒。", file=sys.stderr, flush=True)
    else:
        print(f"错误：{service.load_error}（网页仍会打开并显示此信息）", file=sys.stderr, flush=True)
    api = Api(service, keys)  # one per process: the page's library tab and the API share its job queue
    demo = build_app(service, reports, api)
    demo.queue(default_concurrency_limit=4, max_size=256)
    app = mount_page(demo, api, settings, reports)
    if open_browser is None:
        open_browser = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")
    server, thread = start_server(app, settings)
    url = f"http://{settings.host}:{settings.port}"
    print(f"planqa 网页已就绪：{url}  （Ctrl+C 退出）", flush=True)
    print(f"OpenAI 兼容接口：{url}/v1 ；接口文档：{url}/docs ；{keys.describe()}；{api.admin.describe()}", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill`, systemd stop: shut down like Ctrl+C
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.should_exit = True
        thread.join(20)
        demo.close()
        print("planqa 网页已停止。", flush=True)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def mount_page(demo: Any, api: Any, settings: Settings, reports: Path) -> Any:
    """The API's FastAPI application (:mod:`ui.routes`) with the page mounted at ``/`` after it."""
    import gradio as gr

    from ui.routes import create_app

    demo.state_session_capacity = SESSION_CAPACITY
    return gr.mount_gradio_app(
        create_app(api),
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        footer_links=["api"],
        auth=settings.login,
        auth_message="planqa：请输入账号和密码",
        allowed_paths=[str(reports.resolve())],  # the evaluation plots; nothing else on disk
        show_error=False,
        max_file_size=MAX_UPLOAD,
        ssr_mode=False,
        theme=theme(),
        css=CSS,
    )


def start_server(app: Any, settings: Settings) -> tuple[Any, threading.Thread]:
    """uvicorn serving ``app`` in a thread, once it accepts connections. The socket is bound here,
    so a busy port is a :class:`ConfigError` in Chinese (uvicorn would exit the thread)."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"无法在 {settings.host}:{settings.port} 启动网页（端口可能已被占用）。"
            "请用 --port 或 PLANQA_PORT 换一个端口。",
            f"bind failed: {exc}",
        ) from exc
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="planqa-server", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    if not server.started:
        raise ConfigError(f"网页服务未能启动（{settings.host}:{settings.port}），详见服务器日志。", "uvicorn did not start")
    return server, thread


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ui.app [--corpus … --index … --host … --port … --reports …]``: the same as
    ``planqa serve`` (which calls :func:`serve` too); the page does not import the CLI."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ui.app", description="planqa 网页问答")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="语料目录（默认 corpus/）")
    parser.add_argument("--index", default=DEFAULT_INDEX, help="索引目录（默认 indexes/default）")
    parser.add_argument("--host", default=None, help="绑定地址（默认 127.0.0.1）")
    parser.add_argument("--port", type=int, default=None, help="端口（默认 7860，或 PLANQA_PORT）")
    parser.add_argument("--reports", default="evals/reports", help="评测报告目录")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(host=args.host, port=args.port)
        serve(Path(args.corpus), Path(args.index), settings, Path(args.reports))
    except PlanqaError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
