"""PDFs pdfminer cannot open, read through pdfium (rag.docs.readers.pdfium), with the same lines,
paragraphs and reading order as pdfminer's."""

from __future__ import annotations

import io
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


def test_a_font_only_pdfium_decodes_is_read_from_the_text_layer() -> None:
    """builtin_encoding.pdf (tests/data/make_font_pdfs.py): a CFF font whose own encoding names its
    glyphs uniXXXX, no /Encoding, no ToUnicode. pdfminer reads "(cid:12)(cid:7)(cid:5)(cid:31)$…";
    before pdfium was asked, the page went to OCR (a warning, ocr_pages [1], 20 s)."""
    import pdfplumber

    from rag.docs.readers.pdf import is_garbage

    with pdfplumber.open(FILES / "builtin_encoding.pdf") as pdf:
        assert is_garbage(pdf.pages[0].extract_text())
    raw = read_pdf((FILES / "builtin_encoding.pdf").read_bytes(), "x.pdf")
    assert raw.text.split() == ["各位代表：", "现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。"]
    assert raw.ocr_pages == [] and raw.warnings == []


def test_a_font_no_reader_decodes_goes_to_ocr_not_as_pdfium_raw_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """identity_no_map.pdf: Identity-H, ordering Identity, no ToUnicode. pdfium's text is the raw
    codes as characters ("⺨⛤♏辑…", which pass for Chinese); it flags them unmapped, and so do we."""
    from rag.docs.readers import ocr

    doc = pdfium.open_pdf((FILES / "identity_no_map.pdf").read_bytes())
    try:
        _, lines = pdfium.page_lines(doc, 1)
    finally:
        doc.close()
    assert [set(line.text) for line in lines] == [{"\ufffd"}, {"\ufffd"}]
    monkeypatch.setattr(ocr, "ocr_pages", lambda images, total, name: ({n: "（OCR 所得）" for n, _ in images}, []))
    raw = read_pdf((FILES / "identity_no_map.pdf").read_bytes(), "x.pdf")
    assert raw.text == "（OCR 所得）" and raw.ocr_pages == [1]
    assert raw.warnings == ["第1页的文字层无法解码（字体缺少编码表），已改用 OCR 识别"]


@pytest.mark.skipif(not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists(), reason="fonts-noto-cjk")
def test_font_fixtures_are_what_their_generator_writes() -> None:
    from tests.data.make_font_pdfs import builtin_encoding_pdf, identity_no_map_pdf

    assert (FILES / "builtin_encoding.pdf").read_bytes() == builtin_encoding_pdf()
    assert (FILES / "identity_no_map.pdf").read_bytes() == identity_no_map_pdf()


def _first_pages(turn: int) -> bytes:
    """The Beijing report's first three pages, turned by /Rotate (content unchanged)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(BEIJING).pages[:3]:
        writer.add_page(page.rotate(turn) if turn else page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_page_turned_by_rotate_reads_as_upright_through_either_reader(turn: int) -> None:
    """Both readers give the characters of a turned page in turned coordinates; seen in their
    baseline's frame they read as upright text. Before, pdfminer's path read a page turned 90°
    from the bottom line up, mixing lines ("学开诊，公共服务共建共享不断深化。 北输出技术合同…")."""
    upright = read_pdf(_first_pages(0), "upright.pdf").text
    assert read_pdf(_first_pages(turn), "turned.pdf").text == upright
    assert read_pdf(stale_startxref(with_xref_stream(_first_pages(turn))), "pdfium.pdf").text == upright


def test_a_pdf_whose_trailer_lost_its_root_is_rewritten_by_pypdf_and_read_whole() -> None:
    """Neither pdfminer nor pdfium opens it (it was refused as damaged); pypdf, the third installed
    reader, finds the catalog and writes the file again, which both then read."""
    import pdfplumber
    import pypdfium2

    from tests.docs.pdfdamage import rootless_trailer

    data = rootless_trailer(BEIJING.read_bytes())
    with pytest.raises(Exception, match="No /Root object"), pdfplumber.open(io.BytesIO(data)) as pdf:
        _ = pdf.pages
    with pytest.raises(pypdfium2.PdfiumError):
        pypdfium2.PdfDocument(data)
    raw = read_pdf(data, "x.pdf")
    assert raw.text == read_pdf(BEIJING.read_bytes(), "x.pdf").text
    assert raw.warnings == ["PDF 文件结构有损坏，已修复后读取，请核对原件"]
