"""Report files from report.json data: Markdown, plots, and what the web page's report tab reads."""

from __future__ import annotations

import json

import pytest

from rag.errors import ConfigError
from rag.eval.metrics import AnswerResult, GoldQuestion, QuestionResult
from rag.eval.report import PLOTS, load_report, plot_report, report_markdown, write_report
from rag.eval.run import ConfigRun, EvalRun
from ui.service import latest_report


def question(qid: str, kind: str, text: str) -> GoldQuestion:
    evidence = [] if kind == "unanswerable" else [{"doc": "a.txt", "text": "x"}]
    answer = "文档中没有相关信息。" if kind == "unanswerable" else "甲"
    return GoldQuestion.model_validate({
        "id": qid, "question": text, "kind": kind, "docs": ["a.txt"], "evidence": evidence,
        "answer": answer, "key_facts": [] if kind == "unanswerable" else ["甲"],
    })


GOLD = [question("q1", "fact", "低保标准"), question("q2", "change", "床位目标的变化"),
        question("q3", "unanswerable", "辽宁低保")]


def report_data(hybrid_q2_rank: int | None = 7, q2_found: int = 0) -> dict:
    """Hybrid finds q1 first and q2 at ``hybrid_q2_rank``; the baseline finds q1 third, q2 never."""
    hybrid = [QuestionResult("q1", "fact", [1], 1, [True], 0.010, 1),
              QuestionResult("q2", "change", [hybrid_q2_rank], hybrid_q2_rank,
                             [i + 1 == hybrid_q2_rank for i in range(10)], 0.020, 1)]
    baseline = [QuestionResult("q1", "fact", [3], 3, [False, False, True], 0.015, 1),
                QuestionResult("q2", "change", [None], None, [False] * 10, 0.025, 1)]
    answers = [AnswerResult("q1", "fact", True, False, 1, 1, True, 0, 0.01),
               AnswerResult("q2", "change", True, False, q2_found, 1, True, 0, 0.03),
               AnswerResult("q3", "unanswerable", False, True, 0, 0, False, 0, 0.01)]
    run = EvalRun("evals/gold.jsonl", GOLD, [ConfigRun("hybrid", hybrid), ConfigRun("llamaindex", baseline, 70.0, "121 个 SentenceSplitter 节点")],
                  {"rerank": "未配置重排序模型"}, answers, "摘录式回答", {"index": {"chunks": 316, "model": "m"}, "git": "abc1234"})
    return json.loads(json.dumps(run.to_json(), ensure_ascii=False))


def test_markdown_holds_every_table_and_the_margin():
    md = report_markdown(report_data())
    assert "3 题（事实 1、历年变化 1、无答案 1），其中 2 题有证据段落" in md
    # hybrid: recall@1 0.5, recall@5 0.5, recall@10 1.0, hit@5 0.5, MRR (1 + 1/7)/2 = 0.571
    assert "| **混合检索（默认）** | 0.500 | 0.500 | 1.000 | 0.500 | 0.571 |" in md
    # baseline: recall@5 0.5, MRR (1/3 + 0)/2 = 0.167; margins +0.000 and +0.405
    assert "| llama-index 默认设置（对照基线） | 0.000 | 0.500 | 0.500 | 0.500 | 0.167 |" in md
    assert "recall@5 +0.000，MRR@10 +0.405" in md
    assert "未运行 rerank：未配置重排序模型" in md and "121 个 SentenceSplitter 节点" in md
    assert "| 历年变化 | 1 | 0.000 | 0.000 |" in md  # recall@5 per kind, both configurations
    assert "| **全部** | 3 | 0.500 | 0.500 | 1.000 | 0.000 | 1.000 | 1.000 | 0 |" in md
    # what failed, to look at first: hybrid's q2 (rank 7) and the answer to q2 (no key fact)
    assert "| q2 | 历年变化 | 床位目标的变化 | 7 |" in md
    assert "| q2 | 历年变化 | 床位目标的变化 | 缺要点 | 0/1 |" in md
    assert "| q1 |" not in md


def test_written_report_is_the_one_the_page_shows(tmp_path):
    first = write_report(tmp_path, report_data())
    second = write_report(tmp_path, report_data(), compare_md="# 与旧报告对比\n\n变好：1 题\n")
    assert first != second  # two runs in the same second get two directories
    assert sorted(p.name for p in second.iterdir()) == sorted(["compare.md", "report.json", "report.md", *PLOTS])
    for name in PLOTS:
        assert (second / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert load_report(second) == load_report(second / "report.json") == report_data() | {
        "created": load_report(second)["created"]
    }
    report = latest_report(tmp_path)
    assert report is not None and report.path == second
    assert "## 与旧报告对比" in report.markdown  # the comparison is part of the page's report
    assert [p.name for p in report.images] == sorted(PLOTS)


def test_plots_without_a_chinese_font_use_english_labels(tmp_path, monkeypatch):
    import rag.eval.report

    monkeypatch.setattr(rag.eval.report, "_cjk_font", lambda: None)
    data = report_data()
    data["answers"] = {}
    written = plot_report(data, tmp_path)
    assert [p.name for p in written] == list(PLOTS[:2])


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "找不到评测报告"), ("{not json", "无法读取"), ('{"format": 0}', "格式版本不同")],
)
def test_bad_reports_are_named(tmp_path, content, message):
    if content is not None:
        (tmp_path / "report.json").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_report(tmp_path)
