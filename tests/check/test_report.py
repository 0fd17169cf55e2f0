"""The report: escaping, a self-contained page, a fragment for the web page, Markdown, terminal text."""

from __future__ import annotations

import re

import pytest

from rag.check.compliance import check_plans
from rag.check.report import CSS, render_html, render_markdown, render_text
from rag.docs.ingest import clean_text
from rag.models import DocMeta, Document
from tests.conftest import KeywordEmbedder

HOSTILE = "<script>alert('x')</script>&nbsp;|"


def _doc(raw: str, name: str, level: str) -> Document:
    text, blocks = clean_text(raw)
    meta = DocMeta(file=name, title=f"{name}规划", level=level)  # type: ignore[arg-type]
    return Document(name, meta, text, blocks, "0")


@pytest.fixture(scope="module")
def hostile_check():
    table = "序号\t指标\t单位\t2025年目标值\t属性\n1\t{name}覆盖率\t%\t{value}\t预期性"
    province = _doc(
        f"第一章 目标\n第一节 指标\n{table.format(name=HOSTILE, value='50')}\n"
        f"第二节 任务\n完善{HOSTILE}救助方式。对急难型救助，积极开展先行救助，直接予以救助。\n",
        "<省>",
        "province",
    )
    county = _doc(
        f"一、目标\n{table.format(name=HOSTILE, value='40')}\n二、任务\n对急难型救助，积极开展先行救助，直接予以救助。\n",
        "<县>",
        "county",
    )
    return check_plans(county, province, KeywordEmbedder())


def test_html_escapes_everything_from_the_documents(hostile_check):
    assert hostile_check.indicators[0].verdict == "weaker"
    page = render_html(hostile_check)
    assert "<script" not in page and "alert('x')" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;nbsp;|覆盖率" in page
    assert "《&lt;县&gt;规划》" in page and "<县>" not in page
    assert re.search(r"https?://", page) is None  # no CDN, no fonts, nothing fetched


def test_full_page_and_fragment(hostile_check):
    page = render_html(hostile_check)
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">')
    assert "<title>规划对照检查：&lt;县&gt;规划</title>" in page
    fragment = render_html(hostile_check, fragment=True)
    assert fragment.startswith('<div class="planqa-report"><style>') and fragment.endswith("</div>")
    assert "<html" not in fragment and "<head" not in fragment and "<body" not in fragment
    assert fragment in page
    # every CSS rule is scoped under the wrapper, so the fragment cannot restyle the page around it
    selectors = [rule.split("{")[0] for rule in CSS.strip().split("}") if rule.strip()]
    assert selectors and all(s.strip().startswith(".planqa-report") for s in selectors)
    for label in ("概要", "主要发展指标", "更宽松", "原文对照", "省级规划", "县级规划"):
        assert label in fragment


def test_summary_comes_first_and_findings_side_by_side(shulan_check):
    md = render_markdown(shulan_check)
    assert md.index("## 概要") < md.index("## 一、主要发展指标") < md.index("## 二、") < md.index("## 三、")
    assert "- 主要发展指标 15 项：相同 11，更严格 1，不可比 2，属性变化 1" in md
    # each non-same indicator has both rows side by side
    pair = md.split("#### 乡镇(街道)未成年人保护工作站覆盖率（更严格）")[1].split("####")[0]
    assert "| 省级规划 | 县级规划 |" in pair
    assert "11 · 乡镇(街道)未成年人保护工作站覆盖率 · % · 50 · 预期性" in pair
    assert "11 · 乡镇(街道)未成年人保护工作站覆盖率 · % · 100 · 预期性" in pair
    assert (
        "省级规划正文“2025年底护理型床位占比不低于60%”与其指标表“公办养老机构护理型床位占比：≥55%”不一致"
        in md
    )
    html = render_html(shulan_check)
    assert html.count('<div class="pair">') >= 4 + 65  # 4 indicators, 65 tasks not fully covered, …


def test_markdown_escapes_cells(hostile_check):
    md = render_markdown(hostile_check)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "&amp;nbsp;\\|覆盖率" in md  # a pipe cannot break the table


def test_terminal_text(hostile_check):
    text = render_text(hostile_check)
    assert text.splitlines()[0] == "县级规划：《<县>规划》  省级规划：《<省>规划》"
    assert "  [更宽松] <script>alert('x')</script>&nbsp;|覆盖率" in text
