"""Reading real files: encodings, .md/.docx/.pdf, unreadable files, metadata inference."""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

import rag.ingest
from rag.errors import UnreadableFileError
from rag.ingest import ingest_corpus, ingest_file, read_file
from rag.models import Block

HEADING = "第五章 大力促进养老服务业发展"
BODY = (
    "切实发挥公办养老机构兜底保障作用。根据人口总量、人口老龄化程度、特困人员数量、经济发展水平等因素，"
    "科学规划公办养老机构布局，保障供给，有效满足特困人员供养需求。坚持公办养老机构公益属性，"
    "突出保基本兜底线职能，做好城乡特困人员集中供养工作。不断增加公办养老机构护理型床位数量，"
    "到2022年底护理型床位占比不低于50%，到2025年底护理型床位占比不低于60%。"
    "公办养老机构在满足特困人员养老服务需求的基础上，闲置床位向社会开放，"
    "优先接收经济困难的孤寡、失能、高龄、计划生育特殊家庭等老年人。"
)
TEXT = f"{HEADING}\n{BODY}\n"
GARBAGE = random.Random(0).randbytes(4000)
TABLE = [
    ["序号", "指标", "单位", "2025年目标值", "属性"],
    ["1", "公办养老机构护理型床位占比", "%", "≥55", "约束性"],
    ["2", "社会工作专业人才总量", "万人", "2.0", "预期性"],
]


def _unreadable(path: Path) -> UnreadableFileError:
    with pytest.raises(UnreadableFileError) as info:
        read_file(path)
    err = info.value
    assert re.search(r"[\u4e00-\u9fff]", err.message), err.message
    assert path.name in err.message
    assert err.detail
    return err


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", TEXT),
        ("utf-8-sig", TEXT),
        ("gbk", TEXT),
        ("gb18030", TEXT.replace("老年人。", "老年人𠮷。")),
        ("utf-16", TEXT),  # Python's utf-16 codec writes a BOM
    ],
)
def test_encodings_decode_to_the_original_text(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / f"plan-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    assert len(text) >= 200  # long enough for charset detection to be reliable
    assert read_file(path) == text


def test_gbk_short_sample(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    short = "到2025年底护理型床位占比不低于60%。"
    path.write_bytes(short.encode("gbk"))
    assert read_file(path) == short


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    md = f"# {HEADING}\n\n**{BODY}**\n"
    path.write_text(md, encoding="utf-8")
    assert read_file(path) == md


@pytest.mark.parametrize("suffix", [".txt", ".docx", ".pdf"])
def test_binary_garbage_is_unreadable(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(GARBAGE)
    _unreadable(path)


def test_empty_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "为空" in _unreadable(path).message


def test_unsupported_suffix_lists_supported_types(tmp_path: Path) -> None:
    path = tmp_path / "指标.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    err = _unreadable(path)
    assert ".xlsx" in err.message
    for suffix in (".txt", ".md", ".docx", ".pdf"):
        assert suffix in err.message


def test_file_over_size_limit_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rag.ingest, "MAX_FILE_BYTES", 100)
    small = tmp_path / "small.txt"
    small.write_text("到2025年底护理型床位占比不低于60%。", encoding="utf-8")  # 50 bytes
    assert read_file(small) == "到2025年底护理型床位占比不低于60%。"
    big = tmp_path / "big.txt"
    big.write_text(TEXT, encoding="utf-8")
    err = _unreadable(big)
    assert "过大" in err.message
    assert err.detail == f"file too large: {big.stat().st_size} bytes"


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


def _blank_pdf(path: Path, password: str | None = None) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(password)
    with path.open("wb") as fh:
        writer.write(fh)


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


def test_pdf_without_text_layer_asks_for_ocr(tmp_path: Path) -> None:
    path = tmp_path / "扫描件.pdf"
    _blank_pdf(path)
    assert "OCR" in _unreadable(path).message


def test_encrypted_pdf_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "加密.pdf"
    _blank_pdf(path, password="secret")
    assert "加密" in _unreadable(path).message


def test_truncated_pdf_is_unreadable(tmp_path: Path) -> None:
    whole = tmp_path / "whole.pdf"
    _blank_pdf(whole)
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole.read_bytes()[:100])
    assert "损坏" in _unreadable(path).message


def test_chinese_file_name_with_spaces(tmp_path: Path) -> None:
    name = "舒兰 规划（草稿）.txt"
    path = tmp_path / name
    path.write_text(TEXT, encoding="utf-8")
    doc = ingest_file(path)
    assert doc.file == name
    assert doc.meta.file == name
    assert doc.text == f"{HEADING}\n{BODY}"
    assert doc.blocks == [
        Block("para", 0, len(HEADING)),
        Block("para", len(HEADING) + 1, len(HEADING) + 1 + len(BODY)),
    ]


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
        ("舒兰市民政事业发展“十四五”规划", "舒兰市", "city"),
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


@pytest.mark.parametrize("suffix", [".txt", ".docx", ".pdf"])
def test_corpus_skips_garbage(tmp_path: Path, caplog: pytest.LogCaptureFixture, suffix: str) -> None:
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / f"garbage{suffix}").write_bytes(GARBAGE)
    with caplog.at_level(logging.WARNING, logger="rag.ingest"):
        docs = ingest_corpus(tmp_path)
    assert [d.file for d in docs] == ["good.txt"]
    assert docs[0].text == f"{HEADING}\n{BODY}"
    assert any(f"garbage{suffix}" in r.getMessage() for r in caplog.records)
