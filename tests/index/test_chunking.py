"""Outline parsing and chunking on real snippets from every corpus file."""

from __future__ import annotations

import pytest

from rag.docs.outline import heading_kind, heading_title, iter_sections, parse_outline, split_sentences
from rag.docs.tables import render_row
from rag.index.chunking import ChunkParams, chunk_document
from rag.models import Chunk, Document

PROVINCE = "jilin_province_14th_fyp_2021.txt"
SHULAN = "shulan_city_14th_fyp_2021.txt"


def text_chunk_with(doc: Document, snippet: str) -> Chunk:
    found = [c for c in chunk_document(doc) if c.kind == "text" and snippet in c.text]
    assert found, f"no text chunk contains {snippet!r}"
    return found[0]


@pytest.mark.parametrize(
    ("file", "snippet", "path"),
    [
        (
            PROVINCE,
            "不断增加公办养老机构护理型床位数量，到2022年底护理型床位占比不低于50%",
            ["第五章 大力促进养老服务业发展", "第一节 进一步提升养老机构服务水平"],
        ),
        (
            PROVINCE,
            "全省51个救助站全部加挂未成年人保护中心牌子",
            [
                "第六章 加快推动基本社会服务高质量发展",
                "第一节 推进未成年人保护工作",
                "专栏4 儿童福利服务和未成年人保护提升工程",
                "02 未成年人保护中心转型发展",
            ],
        ),
        (
            "jilin_work_points_2021.txt",
            "2021年底前全省80%以上养老机构符合标准",
            ["二、积极应对人口老龄化推进养老服务高质量发展", "6. 提升养老机构服务质量"],
        ),
        (
            "jilin_work_points_2023.txt",
            "特困人员供养机构护理型床位占比不低于50%",
            ["三、推进养老服务高质量发展", "（十一）提升机构养老服务水平"],
        ),
        (
            "jilin_work_points_2025.txt",
            "年度新增失智照护床位不少于500张",
            ["二、推进实施积极应对人口老龄化国家战略", "（三）不断提高机构养老服务兜底保障水平"],
        ),
        (
            SHULAN,
            "预计到2025年完成全市12个乡镇新建12所公墓",
            [
                "五、发展愿景和目标",
                "（二）“十四五”预期目标",
                "7.深化殡葬事业改革",
                "专栏5 殡葬服务设施建设提升工程",
            ],
        ),
    ],
)
def test_known_passages_have_exact_section_paths(corpus_docs, file, snippet, path):
    assert text_chunk_with(corpus_docs[file], snippet).section_path == path


def test_toc_yields_no_sections(corpus_docs):
    root = parse_outline(corpus_docs[PROVINCE])
    headings = [s.heading for s, _ in iter_sections(root) if s.kind != "root"]
    chapters = [h for h in headings if heading_kind(h) == "chapter"]
    # 8 chapters, each once: the table of contents (目录 with page numbers) is dropped
    assert len(chapters) == 8
    assert len(set(chapters)) == 8
    assert chapters[0] == "第一章 规划背景"
    assert not any(h.rstrip().endswith(("3", "4", "…")) and "……" in h for h in headings)
    assert "目录" not in corpus_docs[PROVINCE].text.split("\n")


def test_province_outline_counts(corpus_docs):
    root = parse_outline(corpus_docs[PROVINCE])
    kinds = [s.kind for s, _ in iter_sections(root)]
    assert kinds.count("chapter") == 8
    assert kinds.count("section") == 35  # 2+2+6+4+5+5+3+8, as listed in the 目录
    assert kinds.count("zhuanlan") == 8  # 专栏 1,2,3,4,5,7,9,10 (6 and 8 are not in the text)


def _table_rows(chunks: list[Chunk]) -> list[Chunk]:
    return [c for c in chunks if c.kind == "table_row"]


def test_shulan_one_cell_per_line_table_yields_15_rows(corpus_docs):
    chunks = chunk_document(corpus_docs[SHULAN])
    rows = _table_rows(chunks)
    assert len(rows) == 15
    assert rows[4].text == "序号：5；指标：福利彩票销售网点数；单位：个；2025年目标值：10；属性：预期性"
    assert rows[7].text == "序号：8；指标：社会工作专业人才总量；单位：人；2025年目标值：120；属性：预期性"
    assert rows[13].text == "序号：14；指标：公办养老机构护理型床位占比；单位：%；2025年目标值：≥55；属性：约束性"
    assert rows[14].text.endswith("2025年目标值：60；属性：约束性")
    # the row read as a sentence, from the table model, travels with the chunk into the index
    assert rows[13].statement == "公办养老机构护理型床位占比：2025年目标值≥55%（约束性）"
    assert all(c.statement == "" for c in chunks if c.kind != "table_row")
    assert rows[0].section_path[-1] == "“十四五”期间民政事业主要发展指标"
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) == 1
    assert tables[0].text.count("\n") == 16  # caption + header + 15 rows


def test_province_table_split_by_a_page_break_is_one_table(corpus_docs):
    rows = _table_rows(chunk_document(corpus_docs[PROVINCE]))
    assert [r.text.split("；")[0] for r in rows] == [f"序号：{i}" for i in range(1, 16)]
    assert "单位：万人；2025年目标值：2.0" in rows[7].text
    assert "2025年目标值：≥55；属性：约束性" in rows[13].text


def test_chunk_spans_point_into_the_cleaned_text(corpus_docs):
    for doc in corpus_docs.values():
        for c in chunk_document(doc):
            span = doc.text[c.start : c.end]
            if c.kind == "table_row":
                cells = [part.split("：", 1)[1] for part in c.text.split("；")]
                assert span.split("\t") == cells
            else:
                assert c.text == span


def test_chunks_stay_inside_their_section_and_size_limits(corpus_docs):
    params = ChunkParams()
    for doc in corpus_docs.values():
        root = parse_outline(doc)
        starts = sorted(s.start for s, _ in iter_sections(root) if s.kind != "root")
        for c in chunk_document(doc, params):
            if c.kind == "text":
                assert len(c.text) <= params.max_chars + params.min_chars
                # no section heading begins strictly inside a text chunk
                assert not any(c.start < s < c.end for s in starts), (c.chunk_id, c.text[:40])
    sizes = [len(c.text) for d in corpus_docs.values() for c in chunk_document(d) if c.kind == "text"]
    assert sum(sizes) / len(sizes) < 1000


def test_zhuanlan_box_is_also_one_chunk(corpus_docs):
    boxes = [c for c in chunk_document(corpus_docs[PROVINCE]) if c.kind == "box"]
    box2 = next(b for b in boxes if b.section_path[-1].startswith("专栏2 "))
    assert box2.text.startswith("专栏2 社会组织发展质量提升工程\n01 提升社会组织党建水平")
    assert "05 培育一批示范型、品牌型社会组织" in box2.text


def test_heading_title_run_in_and_heading_only():
    assert heading_title("（三）强化政治建设。把党的政治建设摆在首位") == ("（三）强化政治建设", True)
    assert heading_title("第一节 总体思路") == ("第一节 总体思路", False)
    assert heading_title("（一）“十四五”时期，全市民政事业发展的总目标：到2025年") == (
        "（一）“十四五”时期，全市民政事业发展的总目标",
        True,
    )


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("第五章 大力促进养老服务业发展", "chapter"),
        ("第一节 进一步提升养老机构服务水平", "section"),
        ("一、前言", "cn"),
        ("（十一）提升机构养老服务水平。", "paren"),
        ("1. 有效衔接实施乡村振兴战略。", "arabic"),
        ("2.大力发展养老服务", "arabic"),
        ("专栏10 标准化建设工作", "zhuanlan"),
        ("01. 实施国家标准", "item"),
        ("1.3倍", None),
        ("2025年底前", None),
    ],
)
def test_heading_kinds(line, kind):
    assert heading_kind(line) == kind


def test_split_sentences_keeps_closing_quotes():
    assert split_sentences("确保“应保尽保。”再推进；完成！") == ["确保“应保尽保。”", "再推进；", "完成！"]


def test_render_row_skips_empty_cells():
    assert render_row(["序号", "指标", "单位"], ["1", "覆盖率", ""]) == "序号：1；指标：覆盖率"


def test_chunks_over_ocr_spans_are_marked_and_keep_the_mark():
    from rag.docs.ingest import clean_text
    from rag.models import DocMeta

    text, blocks = clean_text(
        "第一章 总体要求\n坚持以人民为中心。\n第二章 主要任务\n到2025年底护理型床位占比不低于60%。"
    )
    start = text.index("第二章")
    doc = Document("scan.pdf", DocMeta(file="scan.pdf", title="某规划"), text, blocks, "0", ocr_spans=[(start, len(text))])
    chunks = chunk_document(doc)
    assert [(c.section_path[0], c.ocr) for c in chunks] == [("第一章 总体要求", False), ("第二章 主要任务", True)]
    marked = chunks[1]
    assert marked.ref_json()["ocr"] is True and chunks[0].ref_json()["ocr"] is False
    assert Chunk.from_json(marked.to_json()) == marked
    assert "ocr" not in chunks[0].to_json()  # chunks.jsonl stays as it was for text passages
