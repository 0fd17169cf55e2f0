"""Outline styles beyond 第X章 / 一、 / （一）: parts, annexes, （1） and ① items (rag/docs/outline.py)."""

from __future__ import annotations

from pathlib import Path

from rag.docs.ingest import clean_text, ingest_file
from rag.docs.outline import iter_sections, parse_outline
from rag.models import DocMeta, Document

EXTERNAL = Path(__file__).resolve().parents[1] / "data" / "external"


def _tree(text: str) -> list[tuple[int, str, str]]:
    clean, blocks = clean_text(text)
    doc = Document("t.txt", DocMeta(file="t.txt", title="t"), clean, blocks, "0")
    return [(len(path), s.kind, s.heading) for s, path in iter_sections(parse_outline(doc)) if path]


def test_parts_items_and_circled_numbers_nest() -> None:
    text = (
        "第一部分 总体要求\n一、指导思想\n坚持以人民为中心。\n"
        "第二部分 主要任务\n一、建设公园城市\n（一）新建公园\n（1）郊野公园\n新建郊野公园5座。\n"
        "①口袋公园\n新建口袋公园100座。\n（2）城市公园\n改造城市公园20座。\n"
    )
    assert _tree(text) == [
        (1, "part", "第一部分 总体要求"),
        (2, "cn", "一、指导思想"),
        (1, "part", "第二部分 主要任务"),
        (2, "cn", "一、建设公园城市"),
        (3, "paren", "（一）新建公园"),
        (4, "paren_arabic", "（1）郊野公园"),
        (5, "circled", "①口袋公园"),
        (4, "paren_arabic", "（2）城市公园"),
    ]


def test_chapters_stay_inside_their_part() -> None:
    text = "第一部分 发展基础\n第一章 发展成就\n成就显著。\n第二章 面临形势\n形势复杂。\n第二部分 任务\n第三章 养老\n"
    assert [(d, k) for d, k, _ in _tree(text)] == [
        (1, "part"), (2, "chapter"), (2, "chapter"), (1, "part"), (2, "chapter")
    ]


def test_an_annex_starts_at_the_top_and_holds_its_table() -> None:
    doc = ingest_file(EXTERNAL / "shanghai-huangpu_historic-heritage_plan14_2021.txt")
    top = [s.heading for s in parse_outline(doc).children]
    assert top[-3:] == ["附件", "附件1", "附件2"]
    # the indicator table is under 附件1, not under the last chapter's list of annexes
    assert [t.section_path for t in doc.tables] == [("附件1",), ("附件2",)]


def test_a_heading_broken_over_two_lines_is_one_heading() -> None:
    text = (
        "第十二篇 坚持公共服务优质共享，深入建设\n幸福宜居的民生高地\n第一章 提升教育质量\n扩大优质教育供给。\n"
        "第十三篇 加快绿色转型\n全面建设美丽家园\n推动绿色发展是高质量发展的底色。\n"
        "第一章 深化污染防治\n坚持精准治污。\n"
    )
    assert _tree(text) == [
        (1, "part", "第十二篇 坚持公共服务优质共享，深入建设幸福宜居的民生高地"),
        (2, "chapter", "第一章 提升教育质量"),
        (1, "part", "第十三篇 加快绿色转型全面建设美丽家园"),
        (2, "chapter", "第一章 深化污染防治"),
    ]
    # the second line is the heading's, not the part's text
    clean, blocks = clean_text(text)
    root = parse_outline(Document("t.txt", DocMeta(file="t.txt", title="t"), clean, blocks, "0"))
    part = root.children[1]
    assert clean[part.start : part.end] == "第十三篇 加快绿色转型\n全面建设美丽家园"
    assert [clean[b.start : b.end] for b in part.blocks] == ["推动绿色发展是高质量发展的底色。"]


def test_a_short_line_after_a_heading_that_is_not_its_second_line() -> None:
    """A list item's next line is its text; a caption goes with its table; a phrase followed by a
    line opening with a comma began a sentence; 前言 is too short; a contents line goes on nowhere."""
    text = (
        "第一章 总体要求\n一、指导思想\n坚持党的全面领导\n全面贯彻新发展理念。\n"
        "二、增强功能圈发展动能\n高质量谱写双城记\n，推动同城化水平提升。\n"
        "第二章 加快构建市场经济体制\n坚持和落实“两个毫不动摇”\n,促进各种所有制经济优势互补。\n"
        "第一节 加强规划实施监测评估\n前言\n本规划是未来五年的蓝图。\n"
        "第三章 主要指标\n主要发展指标\n序号\t指标\t2030年\n1\t常住人口（万人）\t2300\n"
    )
    assert [h for _, _, h in _tree(text)] == [
        "第一章 总体要求", "一、指导思想", "二、增强功能圈发展动能", "第二章 加快构建市场经济体制",
        "第一节 加强规划实施监测评估", "第三章 主要指标",
    ]


def test_beijing_plan15_parts_are_whole() -> None:
    """北京's 篇 titles are set on two lines ("第一篇 锚定发展目标" / "奋力谱写中国式现代化的北京篇章");
    its contents list them on one. 14 of its 15 parts are whole: cleaning joined the 第六篇's second
    line to the text after it."""
    doc = ingest_file(Path(__file__).resolve().parents[1] / "data" / "plan15" / "beijing_general_plan15_2026.txt")
    parts = [s.heading for s in parse_outline(doc).children if s.kind == "part" and "…" not in s.heading]
    assert len(parts) == 15 and parts[0] == "第一篇 锚定发展目标奋力谱写中国式现代化的北京篇章"
    assert parts[14] == "第十五篇 凝聚各方力量为实现“十五五”规划目标共同奋斗"
    assert parts[5] == "第六篇 强化区域协同"
    contents = doc.text[: doc.text.index("第一篇 锚定发展目标\n")]  # up to the first part itself
    assert all(p in contents for p in parts if not p.startswith("第六篇"))  # as its contents write them


def test_the_contents_decide_which_headings_go_on_in_the_next_line() -> None:
    """Where the contents list a kind of heading, a heading goes on exactly when it and the next line are
    an entry: a phrase after a heading that is whole in the contents begins its text."""
    text = (
        "第一篇 锚定发展目标 奋力谱写新篇章……1\n第二篇 做实政策和项目支撑………9\n"
        "第一篇 锚定发展目标\n奋力谱写新篇章\n全市上下团结奋斗。\n"
        "第二篇 做实政策和项目支撑\n名词解释\n本规划所称的“一核”是指中心城区。\n"
    )
    assert [h for _, _, h in _tree(text) if "…" not in h] == [
        "第一篇 锚定发展目标奋力谱写新篇章", "第二篇 做实政策和项目支撑",
    ]


def test_without_contents_a_title_on_two_lines_is_a_layout_of_most_headings_of_its_kind() -> None:
    """One phrase after one 节 among many is the first words of its text (a sentence a footnote number
    cut, an annex's 名词解释); where most 节 are set on two lines, each is one title."""
    alone = (
        "第一节 加强海洋领域合作开放\n探索海域跨界合作区\n，推动海洋经济发展。\n"
        "第二节 建设科技成果转化基地\n打造一核两翼格局\n推动成果就地转化。\n"
        "第三节 做实政策支撑\n加强政策协同。\n第四节 强化要素保障\n保障用地需求。\n"
    )
    assert [h for _, _, h in _tree(alone)] == [
        "第一节 加强海洋领域合作开放", "第二节 建设科技成果转化基地", "第三节 做实政策支撑", "第四节 强化要素保障",
    ]
    layout = (
        "第一节 加强海洋领域合作开放\n探索海域跨界合作区\n推动海洋经济发展。\n"
        "第二节 建设科技成果转化基地\n打造一核两翼格局\n推动成果就地转化。\n"
        "第三节 做实政策支撑\n加强政策协同。\n"
    )
    assert [h for _, _, h in _tree(layout)] == [
        "第一节 加强海洋领域合作开放探索海域跨界合作区", "第二节 建设科技成果转化基地打造一核两翼格局", "第三节 做实政策支撑",
    ]
