"""Gold questions and retrieval metrics.

A gold question (``evals/gold.jsonl``, one JSON object per line) names the
passages that answer it as evidence strings: exact substrings of the cleaned
text of a corpus document. A retrieved chunk is relevant to an evidence item
when it comes from that document and its span covers at least half of the
evidence's span, so relevance does not depend on how the text was chunked.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from rag.errors import ConfigError
from rag.models import Answer, Chunk, Document
from rag.qa.followup import standalone


class _HasKind(Protocol):
    kind: str


R = TypeVar("R", bound=_HasKind)

Kind = Literal[
    "fact", "indicator", "list", "cross_document", "compare", "change", "followup", "structure", "unanswerable"
]
KINDS: tuple[str, ...] = get_args(Kind)
KIND_LABELS = {
    "fact": "事实",
    "indicator": "指标",
    "list": "列举",
    "cross_document": "跨文档",
    "compare": "县省对照",
    "change": "历年变化",
    "followup": "追问",
    "structure": "结构",
    "unanswerable": "无答案",
}


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc: str
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str


class GoldQuestion(BaseModel):
    """One line of a gold file. ``history`` (optional): the conversation before ``question``, as
    OpenAI-style messages, oldest first; a follow-up ("舒兰呢？") is asked with it."""

    model_config = ConfigDict(extra="forbid")
    id: str
    question: str
    kind: Kind
    docs: list[str]
    evidence: list[Evidence]
    answer: str
    key_facts: list[str]
    history: list[Message] = []

    def messages(self) -> list[dict[str, str]]:
        return [m.model_dump() for m in self.history]


def load_gold(path: Path) -> list[GoldQuestion]:
    """Read and validate a gold file; errors name the line."""
    if not path.exists():
        raise ConfigError(f"找不到评测题集：{path}", f"gold file not found: {path}")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(GoldQuestion.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ConfigError(
                f"评测题集 {path} 第 {n} 行格式错误：{exc}", f"{path}:{n}: {exc}"
            ) from exc
    return out


def evidence_spans(ev: Evidence, docs: dict[str, Document]) -> list[tuple[int, int]]:
    """Every place the evidence occurs in its document's cleaned text. Evidence is written without
    spaces (the gold format says so), and a line may keep layout spaces ("专栏 14 建设…"): the
    text is searched with its spaces taken out, and each place mapped back to the text."""
    doc = docs.get(ev.doc)
    if doc is None:
        return []
    squeezed, where = _without_spaces(doc.text)
    needle = re.sub(r"[ \u3000\xa0]+", "", ev.text)
    spans, start = [], squeezed.find(needle) if needle else -1
    while start >= 0:
        spans.append((where[start], where[start + len(needle) - 1] + 1))
        start = squeezed.find(needle, start + 1)
    return spans


@lru_cache(maxsize=64)
def _without_spaces(text: str) -> tuple[str, list[int]]:
    """``text`` without spaces (line breaks and the tabs between table cells kept), and each kept
    character's index in it."""
    keep = [i for i, c in enumerate(text) if c not in " \u3000\xa0"]
    return "".join(text[i] for i in keep), keep


def missing_evidence(gold: Iterable[GoldQuestion], docs: dict[str, Document]) -> list[str]:
    """One line per evidence item that is not in its document's cleaned text (or names no document)."""
    out = []
    for q in gold:
        for ev in q.evidence:
            if ev.doc not in docs:
                out.append(f"{q.id}：语料中没有文件 {ev.doc}")
            elif not evidence_spans(ev, docs):
                out.append(f"{q.id}：《{docs[ev.doc].title}》中找不到“{ev.text}”")
    return out


def covers(chunk: Chunk, doc: str, spans: Sequence[tuple[int, int]]) -> bool:
    if chunk.doc != doc:
        return False
    for s, e in spans:
        overlap = min(chunk.end, e) - max(chunk.start, s)
        if overlap * 2 >= e - s:
            return True
    return False


def under_heading(chunk: Chunk, ev: Evidence) -> bool:
    """Whether the evidence is a heading of the chunk's section: an answer from the outline cites each
    heading to the first passage under it, which carries the heading in its path, not its text."""
    return chunk.doc == ev.doc and any(ev.text in heading for heading in chunk.section_path)


@dataclass
class QuestionResult:
    qid: str
    kind: str
    ranks: list[int | None]  # per evidence item: rank (1-based) of the first covering chunk
    first_relevant: int | None  # rank of the first chunk relevant to any evidence
    relevant_flags: list[bool]  # per retrieved chunk, best first
    seconds: float
    n_evidence: int = field(default=0)


def judge(
    gold: GoldQuestion, hits: Sequence[Chunk], docs: dict[str, Document], seconds: float = 0.0
) -> QuestionResult:
    spans = [(ev.doc, evidence_spans(ev, docs)) for ev in gold.evidence]
    ranks: list[int | None] = []
    for doc, sp in spans:
        ranks.append(next((r for r, c in enumerate(hits, 1) if covers(c, doc, sp)), None))
    flags = [any(covers(c, doc, sp) for doc, sp in spans) for c in hits]
    first = next((r for r, f in enumerate(flags, 1) if f), None)
    return QuestionResult(gold.id, gold.kind, ranks, first, flags, seconds, len(spans))


def recall_at(r: QuestionResult, k: int) -> float:
    """Share of evidence items covered within the top k."""
    if not r.ranks:
        return 0.0
    return sum(1 for x in r.ranks if x is not None and x <= k) / len(r.ranks)


def hit_at(r: QuestionResult, k: int) -> float:
    return 1.0 if r.first_relevant is not None and r.first_relevant <= k else 0.0


def mrr_at(r: QuestionResult, k: int = 10) -> float:
    return 1.0 / r.first_relevant if r.first_relevant is not None and r.first_relevant <= k else 0.0


def ndcg_at(r: QuestionResult, k: int = 10) -> float:
    """Binary-gain nDCG; the ideal ranking puts the relevant chunks first: one per evidence item, or
    as many as were found when more chunks cover the evidence (a passage and the table row holding
    it), so that the figure stays at most 1."""
    dcg = sum(1.0 / math.log2(i + 2) for i, f in enumerate(r.relevant_flags[:k]) if f)
    ideal_n = min(k, max(r.n_evidence, sum(r.relevant_flags[:k]), 1))
    idcg = sum(1.0 / math.log2(i + 2) for i in range(ideal_n))
    return dcg / idcg if idcg else 0.0


def latency_ms(seconds: Iterable[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank) in milliseconds; empty when there are no timings."""
    secs = sorted(seconds)
    if not secs:
        return {}
    return {
        "p50_ms": 1000 * secs[math.ceil(0.50 * len(secs)) - 1],
        "p95_ms": 1000 * secs[math.ceil(0.95 * len(secs)) - 1],
    }


def summarize(results: Iterable[QuestionResult], ks: Sequence[int] = (1, 3, 5, 10)) -> dict[str, float]:
    results = list(results)
    if not results:
        return {}
    out: dict[str, float] = {"questions": float(len(results))}
    for k in ks:
        out[f"hit@{k}"] = statistics.fmean(hit_at(r, k) for r in results)
        out[f"recall@{k}"] = statistics.fmean(recall_at(r, k) for r in results)
    out["mrr@10"] = statistics.fmean(mrr_at(r, 10) for r in results)
    out["ndcg@10"] = statistics.fmean(ndcg_at(r, 10) for r in results)
    out.update(latency_ms(r.seconds for r in results))
    return out


def answerable(gold: Iterable[GoldQuestion]) -> list[GoldQuestion]:
    """The questions retrieval is scored on: those with evidence, less the structure questions, which
    are answered from the outline (their evidence is a list of headings no top five can hold)."""
    return [q for q in gold if q.kind not in ("unanswerable", "structure") and q.evidence]


def run_retrieval(
    retriever: object,
    gold: Sequence[GoldQuestion],
    docs: dict[str, Document],
    k: int = 10,
    on_question: Callable[[], None] | None = None,
    places: Sequence[str] = (),
) -> list[QuestionResult]:
    """Search every answerable gold question and judge the hits (``places``: the corpus's own, for
    making follow-ups standalone)."""
    results = []
    for q in answerable(gold):
        t0 = time.perf_counter()
        question = standalone(q.question, q.messages(), places).question  # a follow-up, made standalone
        hits = retriever.search(question, k)  # type: ignore[attr-defined]
        dt = time.perf_counter() - t0
        results.append(judge(q, [h.chunk for h in hits], docs, dt))
        if on_question is not None:
            on_question()
    return results


def recall_curve(results: Sequence[QuestionResult], ks: Iterable[int] = range(1, 11)) -> dict[int, float]:
    """Mean recall@k for each k (the report's recall@k plot)."""
    return {k: statistics.fmean(recall_at(r, k) for r in results) if results else 0.0 for k in ks}


def by_kind(results: Sequence[R], summarize_fn: Callable[[Iterable[R]], dict[str, float]]) -> dict[str, dict[str, float]]:
    """``summarize_fn`` over each question kind, in the gold format's kind order."""
    kinds = [k for k in KINDS if any(r.kind == k for r in results)]
    return {k: summarize_fn([r for r in results if r.kind == k]) for k in kinds}


# ---------------------------------------------------------------------------
# Answers


@dataclass
class AnswerResult:
    qid: str
    kind: str
    answerable: bool
    abstained: bool
    key_facts_found: int
    key_facts_total: int
    supported: bool  # a cited passage covers a gold evidence span
    number_failures: int  # sentences removed because a figure was not in the cited passage
    seconds: float

    @property
    def all_facts(self) -> bool:
        return not self.abstained and self.key_facts_found == self.key_facts_total


def fact_key(text: str) -> str:
    """Key facts are matched after NFKC and without spaces (５５％ = 55%)."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).split())


def judge_answer(gold: GoldQuestion, answer: Answer, docs: dict[str, Document], seconds: float = 0.0) -> AnswerResult:
    text = fact_key(answer.text)
    found = sum(1 for f in gold.key_facts if fact_key(f) in text)
    spans = [(ev.doc, evidence_spans(ev, docs)) for ev in gold.evidence]
    supported = not answer.abstained and (
        any(covers(c.chunk, doc, sp) for c in answer.citations for doc, sp in spans)
        or any(under_heading(c.chunk, ev) for c in answer.citations for ev in gold.evidence)
    )
    failures = sum(1 for n in answer.notices if "数字" in n)
    return AnswerResult(
        gold.id,
        gold.kind,
        gold.kind != "unanswerable",
        answer.abstained,
        found,
        len(gold.key_facts),
        supported,
        failures,
        seconds,
    )


def run_answers(
    answerer: object,
    gold: Sequence[GoldQuestion],
    docs: dict[str, Document],
    on_question: Callable[[], None] | None = None,
) -> list[AnswerResult]:
    results = []
    for q in gold:
        t0 = time.perf_counter()
        answer = answerer.answer(q.question, None, q.messages())  # type: ignore[attr-defined]
        results.append(judge_answer(q, answer, docs, time.perf_counter() - t0))
        if on_question is not None:
            on_question()
    return results


def summarize_answers(results: Iterable[AnswerResult]) -> dict[str, float]:
    """Key-fact accuracy, citation support and abstention over a set of answer results.

    - ``key_facts``: share of answerable questions whose answer holds every key fact;
    - ``key_fact_recall``: mean share of key facts found (answerable questions);
    - ``supported``: share of answerable questions with a cited passage covering gold evidence;
    - ``declined_answerable``: share of answerable questions wrongly declined;
    - ``declined_unanswerable``: abstention recall (share of unanswerable questions declined);
    - ``abstention_precision``: share of declines that were right (when the set has
      unanswerable questions; per kind it is left out).
    """
    results = list(results)
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    declined = [r for r in results if r.abstained]
    out: dict[str, float] = {"questions": float(len(results)), "answerable": float(len(answerable))}
    if answerable:
        out["key_facts"] = statistics.fmean(r.all_facts for r in answerable)
        out["key_fact_recall"] = statistics.fmean(
            (r.key_facts_found / r.key_facts_total if r.key_facts_total else 1.0) * (not r.abstained)
            for r in answerable
        )
        out["supported"] = statistics.fmean(r.supported for r in answerable)
        out["declined_answerable"] = statistics.fmean(r.abstained for r in answerable)
    if unanswerable:
        out["unanswerable"] = float(len(unanswerable))
        out["declined_unanswerable"] = statistics.fmean(r.abstained for r in unanswerable)
    if declined and unanswerable:  # only meaningful where there is something to decline
        out["abstention_precision"] = statistics.fmean(not r.answerable for r in declined)
    out["number_failures"] = float(sum(r.number_failures for r in results))
    out.update(latency_ms(r.seconds for r in results))
    return out
