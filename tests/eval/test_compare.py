"""Comparing two reports question by question, in the library and through ``planqa eval --compare``."""

from __future__ import annotations

import json

from rich.console import Console

from rag.eval.compare import compare_markdown, compare_reports, print_comparison
from tests.conftest import run_cli
from tests.eval.test_report import report_data


def test_changes_are_found_question_by_question():
    old = report_data(hybrid_q2_rank=7, q2_found=0)
    new = report_data(hybrid_q2_rank=2, q2_found=1)
    cmp = compare_reports(old, new)
    assert not cmp["gold_changed"] and cmp["added"] == cmp["removed"] == []
    hybrid, baseline = cmp["configs"]
    assert [r["qid"] for r in hybrid["better"]] == ["q2"] and hybrid["worse"] == []
    assert hybrid["better"][0]["old_ranks"] == [7] and hybrid["better"][0]["new_ranks"] == [2]
    assert hybrid["summary"]["recall@5"] == [0.5, 1.0]
    assert baseline["better"] == baseline["worse"] == []
    (changed,) = cmp["answers"]["changed"]
    assert (changed["qid"], changed["old"], changed["new"], changed["verdict"]) == (
        "q2", "missing_facts", "all_facts", "better")

    back = compare_reports(new, old)
    assert [r["qid"] for r in back["configs"][0]["worse"]] == ["q2"]
    assert back["answers"]["changed"][0]["verdict"] == "worse"

    md = compare_markdown(cmp)
    assert "变好：1 题" in md and "变差：0 题" in md
    assert "| q2 | 历年变化 | 床位目标的变化 | 7 → 2 |" in md
    assert "| recall@5 | 0.500 → 1.000（+0.500） |" in md
    assert "| q2 | 历年变化 | 床位目标的变化 | 缺要点 → 要点全对 | 变好 |" in md


def test_a_changed_gold_set_is_flagged():
    old = report_data()
    new = report_data()
    new["gold"]["sha256"] = "other"
    new["gold"]["text"]["q9"] = "新题"
    cmp = compare_reports(old, new)
    assert cmp["gold_changed"] and cmp["added"] == ["q9"]
    assert "两次使用的标准问题集不同（新增 1 题" in compare_markdown(cmp)


def test_terminal_comparison_colours_better_and_worse():
    console = Console(record=True, width=160, color_system="truecolor", force_terminal=True)
    print_comparison(compare_reports(report_data(7, 0), report_data(2, 1)), console)
    text = console.export_text(clear=False)
    assert "hybrid：变好 1 题，变差 0 题" in text and "q2 床位目标的变化  7 → 2" in text
    assert "缺要点 → 要点全对" in text
    html = console.export_html(inline_styles=True)
    assert "color: #008000" in html  # the better figures in green


def test_cli_compares_two_written_reports(tmp_path):
    for name, data in (("old", report_data(7, 0)), ("new", report_data(2, 1))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run_cli("eval", "--compare", str(tmp_path / "old"), str(tmp_path / "new" / "report.json"))
    assert done.returncode == 0, done.stderr
    assert "hybrid：变好 1 题，变差 0 题" in done.stdout and "q2 床位目标的变化" in done.stdout
    done = run_cli("eval", "--compare", str(tmp_path / "old"), str(tmp_path / "new"), "--json")
    assert json.loads(done.stdout)["answers"]["changed"][0]["verdict"] == "better"
    done = run_cli("eval", "--compare", str(tmp_path / "missing"), str(tmp_path / "new"))
    assert done.returncode != 0 and "找不到评测报告" in done.stderr and "Traceback" not in done.stderr
