"""PDFs pdfminer cannot open, read through pdfium (rag.docs.readers.pdfium), with the same lines,
paragraphs and reading order as pdfminer's."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rag.docs.ingest import ingest_file
from rag.docs.readers import pdfium
from rag.docs.readers.pdf import read_pdf
from rag.models import Document
from tests.docs.pdfdamage import stale_startxref, with_xref_stream

FILES = Path(__file__).resolve().parents[1] / "data" / "files"
BEIJING = FILES / "01_2024年北京市政府工作报告.pdf"


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Beijing report with a cross-reference stream that startxref misses by 1,000 bytes."""
    path = tmp_path_factory.mktemp("pdf") / "北京报告（交叉引用表损坏）.pdf"
    path.write_bytes(stale_startxref(with_xref_stream(BEIJING.read_bytes())))
    return path


def test_the_damage_is_one_pdfminer_cannot_open_and_pdfium_can(broken: Path) -> None:
    import pdfplumber
    import pypdfium2

    whole = with_xref_stream(BEIJING.read_bytes())
    assert read_pdf(whole, "whole.pdf").text == read_pdf(BEIJING.read_bytes(), "x.pdf").text  # the rewrite is sound
    with pytest.raises(Exception, match="No /Root object"), pdfplumber.open(broken) as pdf:
        _ = pdf.pages
    assert len(pypdfium2.PdfDocument(broken.read_bytes())) == 13


def test_a_pdf_pdfminer_cannot_open_is_read_by_pdfium_whole(broken: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Before pdfium was a reader this file was refused: "PDF 文件损坏，无法读取"."""
    with caplog.at_level(logging.INFO, logger="rag.docs.readers.pdf"):
        doc: Document = ingest_file(broken)
    # pdfium's characters go through the same line rule, paragraph joining and page-break
    # joining as pdfminer's: the report reads exactly as the undamaged file does
    assert doc.text == ingest_file(BEIJING).text
    paras = doc.text.split("\n")
    assert "现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。" in paras
    assert "以重大项目带动投资“稳规模、优结构”。加大新型基础设" in doc.text  # across pages 8 → 9
    assert doc.ocr_pages == []
    assert any("pdfminer cannot open" in r.getMessage() for r in caplog.records)
    raw = read_pdf(broken.read_bytes(), broken.name)
    assert raw.warnings == ["PDF 文件结构有损坏，已改用备用方式读出文字（表格按文字行读出），请核对原件"]


def test_pdfium_lines_follow_the_place_not_the_drawing_order() -> None:
    """mixed_fonts.pdf draws all its Chinese, then all its digits and Latin (in the content stream
    pdfium reads "…应符合表 、表 和表 的规定。其中" and "3.1.1 1 2 3" three lines later)."""
    doc = pdfium.open_pdf((FILES / "mixed_fonts.pdf").read_bytes())
    try:
        width, lines = pdfium.page_lines(doc, 1)
    finally:
        doc.close()
    assert width == 595
    assert [line.text for line in lines] == [
        "3.1.1 钛及钛合金产品的牌号和化学成分应符合表1、表2和表3的规定。其中",
        "表1为工业纯钛，表2为TA7等钛合金，表3为TC4（Ti-6Al-4V）等钛合金。",
        "3.1.2 需方要求时，经供需双方协商，可供应表1～表3以外牌号的产品。",
    ]
    assert [line.size for line in lines] == [pytest.approx(10.5)] * 3
    assert lines[0].x0 == pytest.approx(90 + 2 * 10.5)  # the clause number is indented two characters

