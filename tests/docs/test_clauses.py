"""A standard's decimal clause numbering as its outline (rag/docs/clauses.py), and the numbered
lines of other documents that must stay text."""

from __future__ import annotations

from rag.docs.clauses import find_clauses
from rag.docs.ingest import clean_text
from rag.docs.outline import iter_sections, parse_outline
from rag.models import DocMeta, Document

STANDARD = (
    "目  次\n前言\tI\n1 范围\n2 术语和定义\n3 总体要求\n3.1 布局\n3.2 设施\n附录A（规范性附录）指标计算方法\n"
    "前言\n本标准按照GB/T 1.1—2020给出的规则起草。\n"
    "1 范围\n本标准规定了城市公园的建设要求。\n"
    "2 术语和定义\n下列术语和定义适用于本标准。\n"
    "3 总体要求\n"
    "3.1 布局\n公园应均衡布局。\n"
    "3.1.1 服务半径\n社区公园服务半径宜为500米。\n"
    "3.1.2 规模\n社区公园面积不宜小于1公顷。\n"
    "3.2 设施\n"
    "3.2.1应设置无障碍设施，并符合GB 50763的规定。\n"
    "附录B给出了设施清单。\n"
    "附录A\n（规范性附录）\n指标计算方法\n"
    "A.1 人均公园绿地面积\n按常住人口计算。\n"
)


def _tree(text: str) -> list[tuple[int, str, str]]:
    clean, blocks = clean_text(text)
    doc = Document("t.txt", DocMeta(file="t.txt", title="t"), clean, blocks, "0")
    return [(len(path), s.kind, s.heading) for s, path in iter_sections(parse_outline(doc)) if path]


def test_clauses_nest_by_their_numbers_and_the_table_of_contents_is_no_outline() -> None:
    assert _tree(STANDARD) == [
        (1, "preface", "前言"),
        (1, "clause", "1 范围"),
        (1, "clause", "2 术语和定义"),
        (1, "clause", "3 总体要求"),
        (2, "clause", "3.1 布局"),
        (3, "clause", "3.1.1 服务半径"),
        (3, "clause", "3.1.2 规模"),
        (2, "clause", "3.2 设施"),
        # 3.2.1 is a numbered sentence, 附录B给出了… a sentence about an appendix: no headings
        (1, "annex", "附录A 指标计算方法"),
        (2, "clause", "A.1 人均公园绿地面积"),
    ]


def test_a_lost_level_is_skipped_over() -> None:
    """antiword drops Word's "5.1" but keeps "5.1.2" typed in the text: 5.1.2 nests under 5."""
    text = "1. 范围\n适用于核电厂。\n2. 术语\n无。\n3. 要求\n确定评价范围\n3.1.2 评价周期\n十年一次。\n3.2.1 评价依据\n安全基准。\n"
    assert _tree(text) == [
        (1, "clause", "1 范围"),
        (1, "clause", "2 术语"),
        (1, "clause", "3 要求"),
        (2, "clause", "3.1.2 评价周期"),
        (2, "clause", "3.2.1 评价依据"),
    ]


def test_a_title_above_n_m_1_is_n_m_whose_number_was_lost() -> None:
    text = (
        "1. 范围\n适用于核电厂。\n2. 术语\n无。\n3. 要求\n确定评价范围\n3.1.1 评价范围包括14个要素。\n"
        "确定评价依据\n3.2.1 评价依据包括安全基准。\n人员要求\n评价人员应经培训。\n"
    )
    assert _tree(text) == [
        (1, "clause", "1 范围"),
        (1, "clause", "2 术语"),
        (1, "clause", "3 要求"),
        (2, "clause", "3.1 确定评价范围"),
        (2, "clause", "3.2 确定评价依据"),
        # "人员要求" has no 3.3.1 under it: a paragraph
    ]


def test_numbered_lines_of_a_plan_stay_what_they_were() -> None:
    """Numbers at the start of a plan's lines are not clauses: no run 1, 2, 3 with sub-clauses."""
    text = (
        "第一章 发展基础\n"
        "1 个国家级开发区、2 个省级开发区建设取得进展。\n"
        "2 个县区进入全国百强。\n"
        "3 个县区完成撤县设区\n"
        "2025 年全市地区生产总值达到3000亿元。\n"
        "一、主要任务\n1.加强基础设施建设\n2.推进产业升级\n3.5万亿元投资计划落地\n"
    )
    assert _tree(text) == [
        (1, "chapter", "第一章 发展基础"),
        (2, "cn", "一、主要任务"),
        (3, "arabic", "1.加强基础设施建设"),
        (3, "arabic", "2.推进产业升级"),
    ]


def test_clauses_need_a_sub_clause_and_the_order() -> None:
    # three short numbered lines and nothing under them: a list, not a standard
    assert find_clauses(["1 总则", "正文。", "2 范围", "正文。", "3 要求", "正文。"]) == {}
    # out of order: 1, 3, 2 is no run of three
    assert find_clauses(["1 总则", "正文。", "3 范围", "3.1 一般", "正文。", "2 要求", "正文。"]) == {}
    # a table of contents: heading after heading, page numbers between
    assert find_clauses(["目次", "1 总则", "1", "2 范围", "2", "2.1 一般", "3 要求", "III"]) == {}
    found = find_clauses(["1 总则", "正文。", "2 范围", "2.1 一般", "正文。", None, "3 要求", "2.2 旧的", "正文。"])
    assert [c.title for c in found.values()] == ["1 总则", "2 范围", "2.1 一般", "3 要求"]  # 2.2 under 3: no
