"""Gold-set judging and metrics, worked out by hand on tiny inputs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rag.errors import ConfigError
from rag.eval.metrics import (
    AnswerResult,
    GoldQuestion,
    QuestionResult,
    by_kind,
    hit_at,
    judge,
    judge_answer,
    latency_ms,
    load_gold,
    mrr_at,
    ndcg_at,
    recall_at,
    recall_curve,
    summarize,
    summarize_answers,
)
from rag.models import Answer, Chunk, Citation, Claim

TEXT = "一、养老服务。护理型床位占比不低于55%。二、社会救助。低保标准动态调整。"
DOCS = {"a.txt": SimpleNamespace(text=TEXT)}
BEDS = "护理型床位占比不低于55%"  # TEXT[7:20]
DIBAO = "低保标准动态调整"  # TEXT[28:36]


def chunk(start: int, end: int, doc: str = "a.txt") -> Chunk:
    return Chunk(f"{doc}:{start}", doc, "甲", [], start, end, TEXT[start:end])


def gold(**kw: object) -> GoldQuestion:
    base = {
        "id": "q1", "question": "护理型床位和低保", "kind": "list", "docs": ["a.txt"],
        "evidence": [{"doc": "a.txt", "text": BEDS}, {"doc": "a.txt", "text": DIBAO}],
        "answer": "不低于55%；动态调整。", "key_facts": ["55%", "动态调整"],
    }
    return GoldQuestion.model_validate({**base, **kw})


def test_evidence_is_located_and_half_coverage_counts():
    assert TEXT.index(BEDS) == 7 and TEXT.index(DIBAO) == 28
    hits = [
        chunk(0, 7),  # 一、养老服务。 — neither
        chunk(28, 32),  # 低保标准: 4 of DIBAO's 8 characters, exactly half — covers
        chunk(10, 14),  # 4 of BEDS's 13 characters — less than half
        chunk(0, 21),  # all of BEDS
        chunk(0, 7, doc="b.txt"),
    ]
    r = judge(gold(), hits, DOCS)  # type: ignore[arg-type]
    assert r.ranks == [4, 2]
    assert r.first_relevant == 2
    assert r.relevant_flags == [False, True, False, True, False]
    assert recall_at(r, 1) == 0.0 and recall_at(r, 2) == 0.5 and recall_at(r, 4) == 1.0
    assert hit_at(r, 1) == 0.0 and hit_at(r, 2) == 1.0
    assert mrr_at(r, 10) == 0.5 and mrr_at(r, 1) == 0.0
    # DCG = 1/log2(3) + 1/log2(5) = 0.6309 + 0.4307 = 1.0616; ideal (2 evidence items) = 1 + 0.6309 = 1.6309
    assert ndcg_at(r, 10) == pytest.approx(1.0616 / 1.6309, abs=1e-4)


def test_summary_over_questions_and_by_kind():
    a = QuestionResult("q1", "fact", [1], 1, [True], 0.010, 1)
    b = QuestionResult("q2", "fact", [None, 3], 3, [False, False, True], 0.030, 2)
    c = QuestionResult("q3", "list", [None], None, [False], 0.020, 1)
    s = summarize([a, b, c])
    assert s["questions"] == 3
    assert s["recall@1"] == pytest.approx(1 / 3)  # 1, 0, 0
    assert s["recall@5"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert s["hit@5"] == pytest.approx(2 / 3)
    assert s["mrr@10"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert (s["p50_ms"], s["p95_ms"]) == pytest.approx((20.0, 30.0))  # nearest rank of 10, 20, 30 ms
    kinds = by_kind([c, a, b], summarize)
    assert list(kinds) == ["fact", "list"]  # the gold format's kind order, not the input's
    assert kinds["fact"]["questions"] == 2 and kinds["list"]["recall@5"] == 0.0
    curve = recall_curve([a, b, c], ks=[1, 3])
    assert curve == pytest.approx({1: 1 / 3, 3: 0.5})


def test_latency_percentiles_are_nearest_rank():
    assert latency_ms([]) == {}
    twenty = [i / 1000 for i in range(1, 21)]  # 1 … 20 ms
    assert latency_ms(twenty) == pytest.approx({"p50_ms": 10.0, "p95_ms": 19.0})


def answer(text: str, cites: list[Chunk], abstained: bool = False, notices: list[str] | None = None) -> Answer:
    return Answer("?", [Claim(text, [1])], [Citation(i + 1, c) for i, c in enumerate(cites)], abstained,
                  notices=notices or [])


def test_answer_judging():
    full = judge_answer(gold(), answer("占比不低于５５％，低保标准动态 调整", [chunk(28, 36)]), DOCS)  # type: ignore[arg-type]
    assert (full.key_facts_found, full.key_facts_total, full.supported, full.all_facts) == (2, 2, True, True)
    partial = judge_answer(gold(), answer("不低于55%", [chunk(0, 7)]), DOCS)  # type: ignore[arg-type]
    assert (partial.key_facts_found, partial.supported, partial.all_facts) == (1, False, False)
    removed = judge_answer(gold(), answer("x", [], notices=["已删除一句数字（60%）在所引段落中找不到的内容。"]), DOCS)  # type: ignore[arg-type]
    assert removed.number_failures == 1


def test_answer_summary_and_abstention():
    def res(kind: str, answerable: bool, abstained: bool, found: int = 0, total: int = 2) -> AnswerResult:
        return AnswerResult("q", kind, answerable, abstained, found, total, not abstained, 0, 0.01)

    results = [
        res("fact", True, False, 2),  # all facts
        res("fact", True, False, 1),  # half the facts
        res("fact", True, True),  # wrongly declined
        res("unanswerable", False, True, total=0),  # rightly declined
        res("unanswerable", False, False, total=0),  # answered what it should not
    ]
    s = summarize_answers(results)
    assert s["key_facts"] == pytest.approx(1 / 3)
    assert s["key_fact_recall"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert s["declined_answerable"] == pytest.approx(1 / 3)
    assert s["declined_unanswerable"] == 0.5  # abstention recall
    assert s["abstention_precision"] == 0.5  # 2 declines, 1 right
    fact_only = summarize_answers(results[:3])
    assert "abstention_precision" not in fact_only  # nothing to decline in the set: not a figure


def test_gold_format_errors_name_the_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    good = gold().model_dump_json()
    path.write_text(good + "\n\n" + good.replace('"kind":"list"', '"kind":"list","extra":1') + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_gold(path)
    assert "第 3 行" in err.value.message
    with pytest.raises(ConfigError, match="找不到"):
        load_gold(tmp_path / "none.jsonl")


def test_an_answer_from_the_outline_is_supported_by_the_passage_under_its_heading() -> None:
    from rag.eval.metrics import Evidence, under_heading
    from rag.models import Chunk

    chunk = Chunk("p:1", "p.txt", "省规划", ["第三章 不断夯实基本民生保障基础", "第二节 夯实基本生活救助"], 100, 200, "完善救助标准确定方式。")
    assert under_heading(chunk, Evidence(doc="p.txt", text="第二节 夯实基本生活救助"))
    assert not under_heading(chunk, Evidence(doc="q.txt", text="第二节 夯实基本生活救助"))  # another document
    assert not under_heading(chunk, Evidence(doc="p.txt", text="第三节 强化急难社会救助"))


def test_evidence_written_without_spaces_is_found_in_a_line_with_layout_spaces() -> None:
    """The gold format writes evidence without spaces; a PDF's line keeps them ("专栏 14 建设…")."""
    from rag.eval.metrics import Evidence, evidence_spans
    from rag.models import DocMeta, Document

    text = "第十二篇 民生\n专栏 14 建设高质量教育体系\n专栏14建设高质量教育体系"
    doc = Document(file="d.txt", meta=DocMeta(file="d.txt", title="纲要"), text=text, blocks=[], sha256="")
    spans = evidence_spans(Evidence(doc="d.txt", text="专栏14建设高质量教育体系"), {"d.txt": doc})
    assert [text[s:e] for s, e in spans] == ["专栏 14 建设高质量教育体系", "专栏14建设高质量教育体系"]
    assert evidence_spans(Evidence(doc="d.txt", text="民生专栏14"), {"d.txt": doc}) == []  # not across a line break


def test_ndcg_stays_at_most_one_when_several_chunks_cover_one_evidence_item() -> None:
    from rag.eval.metrics import QuestionResult

    r = QuestionResult("q", "fact", [1], 1, [True, True, False], 0.0, 1)
    assert ndcg_at(r, 10) == pytest.approx(1.0)
    r = QuestionResult("q", "fact", [2], 2, [False, True, True], 0.0, 1)
    assert 0 < ndcg_at(r, 10) < 1
