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
