"""Evaluation report files: what ``planqa eval`` writes and the web page's report tab reads."""

from __future__ import annotations

import json

from rag.evaluate import report_markdown, write_report
from ui.service import latest_report

RETRIEVAL = {
    "bm25": {"questions": 75.0, "recall@5": 0.914, "hit@5": 0.96, "recall@10": 0.974, "mrr@10": 0.824,
             "ndcg@10": 0.908, "p50_ms": 0.4, "p95_ms": 0.9},
}
ANSWERS = {
    "all": {"questions": 90.0, "key_facts": 0.907, "supported": 0.973, "declined_answerable": 0.0,
            "declined_unanswerable": 1.0},
    "unanswerable": {"questions": 15.0, "declined_unanswerable": 1.0},
}


def test_markdown_tables_hold_every_figure():
    md = report_markdown("evals/gold.jsonl", RETRIEVAL, ANSWERS, "摘录式回答")
    assert "## 检索（75 道可回答问题）" in md
    assert "| bm25 | 0.914 | 0.960 | 0.974 | 0.824 | 0.908 | 0.4 | 0.9 |" in md
    assert "| all | 90 | 0.907 | 0.973 | 0.000 | 1.000 |" in md
    assert "| unanswerable | 15 | – | – | – | 1.000 |" in md  # no answerable questions: no key facts


def test_written_report_is_the_one_the_page_shows(tmp_path):
    run = write_report(tmp_path, "evals/gold.jsonl", RETRIEVAL, {}, "")
    assert json.loads((run / "report.json").read_text(encoding="utf-8"))["retrieval"] == RETRIEVAL
    report = latest_report(tmp_path)
    assert report is not None and report.path == run
    assert "## 检索" in report.markdown and "## 回答" not in report.markdown  # retrieval only
