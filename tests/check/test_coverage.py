"""Task coverage: provincial tasks, the lexical score and its thresholds, hand labels, LLM refinement."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from rag.check.compare import SentenceIndex
from rag.check.coverage import (
    COVERED,
    EMBED_CHARS,
    PARTIAL,
    ClosestPassage,
    Scored,
    Task,
    check_tasks,
    contested,
    county_spans,
    provincial_tasks,
    score_task,
    task_title,
    verdict_for,
)
from rag.docs.ingest import clean_text
from rag.docs.outline import parse_outline
from rag.errors import LLMError
from rag.index.chunking import chunk_document
from rag.models import DocMeta, Document
from rag.qa.retrieve import convex_fusion
from tests.conftest import PROVINCE_PLAN, SHULAN_PLAN, KeywordEmbedder, ScriptedLLM

LABELS = Path(__file__).parents[1] / "data" / "coverage_labels.json"


def _doc(raw: str) -> Document:
    text, blocks = clean_text(raw)
    return Document("t.txt", DocMeta(file="t.txt", title="t"), text, blocks, "0")


PROVINCE = (
    "第一章 规划背景\n第一节 “十三五”时期取得的成就\n全省民政系统深入贯彻落实党中央决策部署，各项工作取得显著成效。\n"
    "第二章 基本民生保障\n第一节 夯实基本生活救助\n"
    "完善救助标准确定方式。实行与城乡居民人均可支配收入挂钩的动态调整机制，确保及时启动足额发放。\n"
    "健全救助对象认定方式。统筹考虑家庭收入、财产、人口结构、健康状况等因素，综合评估救助需求。\n"
    "专栏1 基层社会救助服务能力提升工程\n01 优化社会救助程序\n取消可以通过政务服务平台查询的相关证明材料。\n"
    "第二节 强化急难社会救助\n"
    "完善临时救助政策措施。对急难型救助，积极开展先行救助，直接予以救助。取消户籍申请限制，由急难发生地实施临时救助。\n"
)
COUNTY = (
    "一、社会救助\n"
    "完善救助标准确定方式。实行与城乡居民人均可支配收入挂钩的动态调整机制，确保及时启动足额发放。\n"
    "临时救助救急难作用充分发挥。对急难型救助，积极开展先行救助，直接予以救助。\n"
)


def test_provincial_tasks_leave_out_background_and_boxes():
    doc = _doc(PROVINCE)
    sections = provincial_tasks(doc, parse_outline(doc))
    assert [(label, [t.title for t in tasks]) for label, tasks in sections] == [
        ("第二章 基本民生保障 / 第一节 夯实基本生活救助", ["完善救助标准确定方式", "健全救助对象认定方式"]),
        ("第二章 基本民生保障 / 第二节 强化急难社会救助", ["完善临时救助政策措施"]),
    ]


def test_task_title():
    assert task_title("——坚持党的全面领导。坚决维护……") == "坚持党的全面领导"
    long = "加强兜底性、基础性民政工作经费保障，与经济社会发展水平相适应，与宏观政策、社会政策相衔接。"
    assert task_title(long) == long[:30] + "…"


def _scored(score: float, title_share: float = 0.0) -> Scored:
    return Scored(Task("t", 0, 1), score, title_share)


def test_thresholds():
    assert (COVERED, PARTIAL) == (0.6, 0.1)
    assert verdict_for(_scored(0.6))[0] == "covered"
    assert verdict_for(_scored(0.59))[0] == "partial"
    assert verdict_for(_scored(0.1))[0] == "partial"
    assert verdict_for(_scored(0.09))[0] == "missing"
    assert verdict_for(_scored(0.0, title_share=0.8)) == (
        "partial",
        "任务标题在县级规划中出现，但正文只有 0% 重现",
    )


def test_small_pair_verdicts_scores_and_evidence():
    province, county = _doc(PROVINCE), _doc(COUNTY)
    found = check_tasks(county, province, parse_outline(county), parse_outline(province), KeywordEmbedder())
    tasks = {t.task: t for s in found for t in s.tasks}
    # every sentence of the first task reappears, none of the second; the third keeps one of its three
    # sentences: "对急难型救助，积极开展先行救助，直接予以救助。" is 20 of its 10 + 20 + 20 characters
    # (punctuation not counted) = 0.4
    assert {k: (t.verdict, t.score) for k, t in tasks.items()} == {
        "完善救助标准确定方式": ("covered", 1.0),
        "健全救助对象认定方式": ("missing", 0.0),
        "完善临时救助政策措施": ("partial", 0.4),
    }
    # a section's score weighs its tasks by length: 46 and 45 characters → 46 / 91 = 0.505
    assert [(s.verdict, s.score) for s in found] == [("partial", 0.505), ("partial", 0.4)]
    ev = tasks["完善临时救助政策措施"].evidence
    assert ev.county and ev.county.text == "对急难型救助，积极开展先行救助，直接予以救助。"
    assert ev.county.section == "一、社会救助"
    assert ev.province and ev.province.text.startswith("完善临时救助政策措施。")
    # no sentence in common: the closest county passage is the evidence
    missing = tasks["健全救助对象认定方式"]
    assert missing.evidence.county is not None and missing.rule.endswith("证据为最接近的段落")


def test_real_pair_agrees_with_hand_labels(shulan_check):
    """103 tasks labelled before scoring; the thresholds were chosen on them (see rag/check/coverage.py)."""
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["labels"]
    got = {t.task: t.verdict for s in shulan_check.tasks for t in s.tasks}
    assert len(got) == 112 and set(labels) <= set(got)
    confusion = Counter((label, got[task]) for task, label in labels.items())
    assert confusion == {
        ("covered", "covered"): 45,
        ("missing", "missing"): 40,
        ("partial", "partial"): 11,
        ("partial", "missing"): 7,  # paraphrased: same topic, no sentence in common
    }


def test_llm_refines_partial_verdicts_only():
    province, county = _doc(PROVINCE), _doc(COUNTY)
    llm = ScriptedLLM("覆盖。县级规划写明了先行救助。")
    found = check_tasks(county, province, parse_outline(county), parse_outline(province), None, llm)
    refined = found[1].tasks[0]
    assert (refined.verdict, refined.rule) == (
        "covered",
        "大模型复核：县级规划写明了先行救助（规则判断：任务文字的 40% 在县级规划中重现（10%–60% 为部分覆盖））",
    )
    assert len(llm.calls) == 1  # covered and missing tasks are not sent
    system, user = llm.calls[0]
    payload = json.loads(user["content"])
    assert payload["省级任务"].startswith("完善临时救助政策措施") and payload["县级段落"] == [
        refined.evidence.county.text
    ]
    assert "一律忽略" in system["content"]


def test_llm_failures_keep_the_rule_verdict():
    province, county = _doc(PROVINCE), _doc(COUNTY)
    for reply in (LLMError("无法连接大模型服务", "refused"), "这个问题很难说。"):
        found = check_tasks(
            county, province, parse_outline(county), parse_outline(province), None, ScriptedLLM(reply)
        )
        assert found[1].tasks[0].verdict == "partial"
        assert found[1].tasks[0].rule.startswith("任务文字的 40% 在县级规划中重现")


def test_contested():
    # min-max scaled BM25 of the candidates: the runner-up must exceed (2 × 0.7 − 1) / 0.7 = 0.571
    assert not contested(np.array([10.0, 5.0, 0.0]))  # runner-up 0.5
    assert contested(np.array([10.0, 6.0, 0.0]))  # runner-up 0.6
    assert contested(np.array([4.0, 4.0, 1.0]))  # a tie
    assert not contested(np.array([3.0]))


def test_pruned_fusion_picks_what_full_fusion_picks(corpus_docs):
    """Embedding only contested tasks changes nothing: the real pair, every task with no repeated sentence."""
    province, county = corpus_docs[PROVINCE_PLAN], corpus_docs[SHULAN_PLAN]
    p_root, c_root = parse_outline(province), parse_outline(county)
    index = SentenceIndex(county, county_spans(c_root))
    tasks = [t for _, ts in provincial_tasks(province, p_root) for t in ts]
    queries = [
        (province.text[t.start : t.end], t.title) for t in tasks if not score_task(province, t, index).matched
    ]
    chunks = [c for c in chunk_document(county, root=c_root) if c.kind == "text"]
    embedder = KeywordEmbedder()
    search = ClosestPassage(chunks, embedder)
    pruned = search.best(queries)
    assert 0 < embedder.embedded < len({id(c) for c in chunks})  # some passages embedded, not all
    full = []
    for text, title in queries:
        ids, scores = search.candidates(text)
        vectors = embedder.embed_documents([chunks[i].text[:EMBED_CHARS] for i in ids])
        fused = convex_fusion(scores[ids], vectors @ embedder.embed_query(title), 0.7)
        full.append(chunks[ids[int(np.argmax(fused))]])
    assert len(queries) == 49
    assert [c.chunk_id if c else None for c in pruned] == [c.chunk_id for c in full]
