"""One evaluation run: every retrieval configuration and the answers, on one gold set.

The models and the index are loaded once by the caller and shared by every
configuration. The result is plain data (:meth:`EvalRun.to_json`), which is
what ``report.json`` holds and what reports, plots and comparisons are made from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import ConfigError
from rag.eval.metrics import (
    KINDS,
    AnswerResult,
    GoldQuestion,
    QuestionResult,
    answerable,
    by_kind,
    recall_curve,
    run_answers,
    run_retrieval,
    summarize,
    summarize_answers,
)
from rag.models import Document
from rag.qa.scope import corpus_places

REPORT_FORMAT = 1

# name -> label shown in reports, in the order reports list them
CONFIGS = {
    "bm25": "BM25（jieba 分词）",
    "dense": "向量检索（同一嵌入模型）",
    "hybrid": "混合检索（默认）",
    "rerank": "混合检索 + 重排序",
    "llamaindex": "llama-index 默认设置（对照基线）",
}
NO_RERANKER = "未配置重排序模型（用 --reranker 或 PLANQA_RERANKER 指定 CrossEncoder 模型目录）"

# progress(description, total) -> advance(); the CLI passes a rich progress bar
Progress = Callable[[str, int], Callable[[], None]]


def no_progress(description: str, total: int) -> Callable[[], None]:
    return lambda: None


@dataclass
class ConfigRun:
    name: str
    results: list[QuestionResult]
    setup_seconds: float = 0.0
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": CONFIGS.get(self.name, self.name),
            "setup_s": round(self.setup_seconds, 2),
            "note": self.note,
            "summary": summarize(self.results),
            "by_kind": by_kind(self.results, summarize),
            "recall_curve": {str(k): v for k, v in recall_curve(self.results).items()},
            "questions": [dataclasses.asdict(r) for r in self.results],
        }


@dataclass
class EvalRun:
    gold_path: str
    gold: list[GoldQuestion]
    configs: list[ConfigRun] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # config name -> why
    answers: list[AnswerResult] = field(default_factory=list)
    backend: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        kinds = {k: n for k in KINDS if (n := sum(q.kind == k for q in self.gold))}
        return {
            "format": REPORT_FORMAT,
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "gold": {
                "path": self.gold_path,
                "questions": len(self.gold),
                "answerable": len(answerable(self.gold)),
                "kinds": kinds,
                "sha256": gold_digest(self.gold),
                "text": {q.id: q.question for q in self.gold},
            },
            **self.meta,
            "seconds": round(self.seconds, 1),
            "configs": [c.to_json() for c in self.configs],
            "skipped": self.skipped,
            "answers": self.answers_json(),
        }

    def answers_json(self) -> dict[str, Any]:
        if not self.answers:
            return {}
        rows = []
        for r in self.answers:
            row = dataclasses.asdict(r)
            row["status"] = answer_status(r)
            rows.append(row)
        return {
            "backend": self.backend,
            "summary": summarize_answers(self.answers),
            "by_kind": by_kind(self.answers, summarize_answers),
            "questions": rows,
        }


def answer_status(r: AnswerResult) -> str:
    """One word per answer, for question-by-question comparison."""
    if not r.answerable:
        return "declined" if r.abstained else "answered_unanswerable"
    if r.abstained:
        return "declined_answerable"
    if r.key_facts_found == r.key_facts_total:
        return "all_facts" if r.supported else "all_facts_unsupported"
    return "missing_facts"


# A status is "good" when it is what the user should get.
GOOD_STATUS = {"declined", "all_facts"}


def gold_digest(gold: Sequence[GoldQuestion]) -> str:
    h = hashlib.sha256()
    for q in gold:
        h.update(q.model_dump_json().encode())
    return h.hexdigest()[:16]


def build_retriever(
    name: str, index: Any, embedder: Any, docs: dict[str, Document], reranker: Any = None
) -> Any:
    from rag.qa.retrieve import make_retriever

    if name in ("bm25", "dense", "hybrid"):
        return make_retriever(index, embedder, name)
    if name == "rerank":
        if reranker is None:
            raise ConfigError(NO_RERANKER, "rerank configuration without a reranker")
        return make_retriever(index, embedder, "hybrid", reranker)
    if name == "llamaindex":
        from rag.eval.baseline import LlamaIndexBaseline

        return LlamaIndexBaseline(list(docs.values()), embedder)
    raise ValueError(f"unknown configuration {name!r}")


def run_evaluation(
    gold_path: str,
    gold: list[GoldQuestion],
    docs: dict[str, Document],
    index: Any,
    embedder: Any,
    configs: Sequence[str],
    *,
    reranker: Any = None,
    answerer: Any = None,
    backend: str = "",
    progress: Progress = no_progress,
) -> EvalRun:
    """Run ``configs`` (names from :data:`CONFIGS`) and, with an answerer, the answers.

    ``rerank`` without a reranker is skipped with the reason, not an error: the
    default run lists every configuration, and a reranker is optional.
    """
    started = time.perf_counter()
    run = EvalRun(gold_path, gold, backend=backend)
    n = len(answerable(gold))
    for name in configs:
        if name == "rerank" and reranker is None:
            run.skipped[name] = NO_RERANKER
            continue
        advance = progress(f"准备 {name}", 1)
        t0 = time.perf_counter()
        retriever = build_retriever(name, index, embedder, docs, reranker)
        setup = time.perf_counter() - t0
        advance()
        note = f"{retriever.n_nodes} 个 SentenceSplitter 节点" if name == "llamaindex" else ""
        places = corpus_places(index.metas)
        results = run_retrieval(retriever, gold, docs, on_question=progress(f"检索 {name}", n), places=places)
        run.configs.append(ConfigRun(name, results, setup, note))
    if answerer is not None:
        run.answers = run_answers(answerer, gold, docs, on_question=progress("回答", len(gold)))
    run.meta = {"index": {"chunks": len(index), "model": getattr(embedder, "name", "")}, "git": git_commit()}
    run.seconds = time.perf_counter() - started
    return run


def git_commit() -> str:
    """The checkout's commit (and '+' when the tree has changes), or '' outside git."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    if head.returncode != 0:
        return ""
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")
