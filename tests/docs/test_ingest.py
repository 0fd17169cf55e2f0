"""Cleaning the real debris of the corpus: wraps, page breaks, indentation, markup, TOC, tables;
reading .md, .docx and .pdf files; metadata from a document's head.

Unreadable and unusual files are tested in ``tests/robustness/test_bad_files.py``.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from rag.docs.ingest import (
    clean_text,
    ends_sentence,
    infer_meta,
    ingest_file,
    load_manifest,
    normalize_inline,
)
from rag.docs.readers import read_file
from tests.conftest import CORPUS
from tests.conftest import SAMPLE_BODY as BODY
from tests.conftest import SAMPLE_HEADING as HEADING

TABLE = [
    ["序号", "指标", "单位", "2025年目标值", "属性"],
    ["1", "公办养老机构护理型床位占比", "%", "≥55", "约束性"],
    ["2", "社会工作专业人才总量", "万人", "2.0", "预期性"],
]

PROVINCE = "jilin_province_14th_fyp_2021.txt"


def paragraphs(doc) -> list[str]:  # type: ignore[no-untyped-def]
    return [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "para"]


def test_hard_wrapped_2023_sentences_are_rejoined(corpus_docs):
    paras = paragraphs(corpus_docs["jilin_work_points_2023.txt"])
    item = next(p for p in paras if p.startswith("（十一）"))
    assert "特困人员供养机构护理型床位占比不低于50%，生活不能自理特困老年人集中供养率达到60%以上" in item
    assert item.endswith("利用自身资源和优势开展社区居家养老服务。")
    assert paras[0] == "吉林省民政厅关于印发2023年全省民政工作要点的通知"
    assert "吉民发〔2023〕5号" in paras and "2023年2月1日" in paras


def test_full_width_indentation_of_2025_is_gone(corpus_docs):
    text = corpus_docs["jilin_work_points_2025.txt"].text
    assert "\u3000" not in text
    assert "\n一、坚持党的领导、加强党的建设\n（一）加强政治机关建设。" in text


def test_page_break_split_inside_a_sentence_is_joined(corpus_docs):
    text = corpus_docs[PROVINCE].text
    assert "提高保障能力和服务水平，负责收留抚养本行政区域内" in text  # across "<p>" and a blank line
    assert "推动吉林民政事业在“十四五”时期实现高质量发展，更好地履行" in text
    assert "认真执行《吉林省养老机构管理办法》。" in text


def test_markup_and_toc_are_removed(corpus_docs):
    text = corpus_docs[PROVINCE].text
    assert "**" not in text and "<p>" not in text and "</p>" not in text
    assert "……" not in text.split("第一章 规划背景")[0]
    assert text.count("第一节 “十三五”时期吉林民政事业取得的成就") == 1
    assert "——坚持服务中心工作。聚焦" in text


def test_layout_spaces_inside_chinese_are_dropped(corpus_docs):
    shulan = corpus_docs["shulan_city_14th_fyp_2021.txt"].text
    assert "开通社会救助服务热线" in shulan  # "开通社 会救助" in the raw file
    assert "到2025年，全市民政系统" in shulan  # "到 2025 年， 全市"


def test_normalize_inline_keeps_item_numbers_and_latin_spaces():
    assert normalize_inline("01 提升基层社会救助经办服务能力") == "01 提升基层社会救助经办服务能力"
    assert normalize_inline("第一章   规划背景") == "第一章 规划背景"
    assert normalize_inline("启用民政部 2.0 版婚姻登记") == "启用民政部2.0版婚姻登记"
    assert normalize_inline("**坚持共建共治共享**。充分") == "坚持共建共治共享。充分"
    assert normalize_inline("Milvus Lite 与 FAISS") == "Milvus Lite与FAISS"


def test_one_cell_per_line_table_is_rebuilt():
    raw = "主要发展指标\n\n序号\n\n指标\n\n单位\n\n目标值\n\n1\n\n覆盖率\n\n%\n\n100\n\n2\n\n网点数\n\n个\n\n10\n\n（二）预期目标"
    text, blocks = clean_text(raw)
    table = next(b for b in blocks if b.kind == "table")
    assert table.rows == [["序号", "指标", "单位", "目标值"], ["1", "覆盖率", "%", "100"], ["2", "网点数", "个", "10"]]
    assert text.split("\n") == ["主要发展指标", "序号\t指标\t单位\t目标值", "1\t覆盖率\t%\t100", "2\t网点数\t个\t10", "（二）预期目标"]


def test_titles_and_signatures_are_not_glued_together():
    text, _ = clean_text("吉林省民政事业发展“十四五”规划\n\n吉林省民政厅\n\n2021年10月\n\n第一章 规划背景\n正文。")
    assert text.split("\n") == ["吉林省民政事业发展“十四五”规划", "吉林省民政厅", "2021年10月", "第一章 规划背景", "正文。"]


def test_ends_sentence():
    assert ends_sentence("全面覆盖。")
    assert ends_sentence("做到“两个维护”。”")
    assert not ends_sentence("提高保障能")
    assert not ends_sentence("")


def test_manifest_metadata_and_inference(corpus_docs):
    manifest = load_manifest(CORPUS)
    assert manifest["shulan_city_14th_fyp_2021.txt"].level == "county"
    assert corpus_docs["jilin_work_points_2023.txt"].meta.doc_number == "吉民发〔2023〕5号"
    assert corpus_docs["jilin_work_points_2023.txt"].meta.inferred is False
    meta = infer_meta("x.txt", corpus_docs["jilin_work_points_2023.txt"].text)
    assert (meta.title, meta.doc_number, meta.date, meta.level) == (
        "2023年全省民政工作要点",
        "吉民发〔2023〕5号",
        "2023-02-01",
        "province",
    )


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    md = f"# {HEADING}\n\n**{BODY}**\n"
    path.write_text(md, encoding="utf-8")
    assert read_file(path) == md


def _make_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading(HEADING, level=1)
    document.add_paragraph(BODY)
    table = document.add_table(rows=3, cols=5)
    for row, values in zip(table.rows, TABLE, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.save(str(path))


def test_docx_paragraphs_and_table_rows(tmp_path: Path) -> None:
    path = tmp_path / "规划.docx"
    _make_docx(path)
    rows = ["\t".join(r) for r in TABLE]
    assert read_file(path) == "\n".join([HEADING, BODY, *rows])


def test_docx_ingests_with_a_table_block(tmp_path: Path) -> None:
    path = tmp_path / "规划.docx"
    _make_docx(path)
    doc = ingest_file(path)
    rows = ["\t".join(r) for r in TABLE]
    assert doc.text == "\n".join([HEADING, BODY, *rows])
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert len(tables) == 1
    assert tables[0].rows == TABLE
    assert [doc.text[s:e] for s, e in tables[0].row_spans] == rows
    assert [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "para"] == [HEADING, BODY]


def _text_pdf(text: str) -> bytes:
    """A minimal one-page PDF showing ``text`` in Helvetica, with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_text_pdf_is_read(tmp_path: Path) -> None:
    path = tmp_path / "hello.pdf"
    path.write_bytes(_text_pdf("Hello planqa"))
    assert "Hello planqa" in read_file(path)


NOTICE_2023 = (
    "吉林省民政厅关于印发2023年全省民政工作要点的通知\n"
    "吉民发〔2023〕5号\n"
    "各市（州）民政局，长白山管委会民政局，各县（市、区）民政局，厅机关各处（室）、各直属事业单位：\n"
    "《2023年全省民政工作要点》已经省民政厅2023年第2次党组会议审议通过，现印发给你们，请结合实际，认真贯彻落实。\n"
    "吉林省民政厅\n"
    "2023年2月1日\n"
    "2023年全省民政工作要点\n"
    "2023年是全面落实党的二十大精神的开局之年。\n"
)


def test_notice_head_gives_title_number_date_and_jurisdiction(tmp_path: Path) -> None:
    path = tmp_path / "points_2023.txt"
    path.write_text(NOTICE_2023, encoding="utf-8")
    meta = ingest_file(path).meta
    assert meta.title == "2023年全省民政工作要点"
    assert meta.doc_number == "吉民发〔2023〕5号"
    assert meta.date == "2023-02-01"
    assert meta.inferred is True
    assert meta.jurisdiction == "吉林省"  # from the issuer: the title names no place
    assert meta.level == "province"


@pytest.mark.parametrize(
    ("title", "jurisdiction", "level"),
    [
        ("吉林省民政事业发展“十四五”规划", "吉林省", "province"),
        ("舒兰市民政事业发展“十四五”规划", "舒兰市", "county"),  # a 县级市, by the gazetteer
        ("延边朝鲜族自治州民政事业发展“十四五”规划", "延边朝鲜族自治州", "city"),
        ("农安县民政事业发展“十四五”规划", "农安县", "county"),
    ],
)
def test_level_from_title(tmp_path: Path, title: str, jurisdiction: str, level: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(f"{title}\n{HEADING}\n{BODY}\n", encoding="utf-8")
    meta = ingest_file(path).meta
    assert (meta.title, meta.jurisdiction, meta.level, meta.inferred) == (title, jurisdiction, level, True)
    assert meta.doc_number is None
    assert meta.date is None
