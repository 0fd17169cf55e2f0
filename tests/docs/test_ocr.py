"""Scans read by OCR for real (rag.docs.readers.ocr, and scanned pages of PDFs).

The fixtures in tests/data/scans/ are real corpus paragraphs and an indicator table drawn
turned, blurred and noisy by tests/data/scans/make_scans.py (committed, so every run reads the
same pixels). Each file is read once per module: five OCR'd pages in all (about 2–3 s a page
on 2 cores), plus a strip of one page for the page limit and a blank image.
"""

from __future__ import annotations

import difflib
import io
from pathlib import Path

import pytest
from PIL import Image

from rag.docs.ingest import ingest_file
from rag.docs.outline import parse_outline
from rag.docs.readers import ocr
from rag.docs.readers.ocr import Box, layout_text
from rag.errors import UnreadableFileError
from rag.index.chunking import chunk_document
from rag.models import Document
from tests.data.scans.make_scans import (
    HEADINGS,
    PARA_BEDS,
    PARA_LOTTERY,
    PARA_SCANNED_PAGE,
    PARA_TEXT_PAGE,
    TABLE,
)

SCANS = Path(__file__).resolve().parents[1] / "data" / "scans"


def ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def paragraph_like(doc: Document, expected: str) -> str:
    """The paragraph of ``doc`` closest to ``expected``."""
    return max(doc.text.split("\n"), key=lambda p: ratio(p, expected))


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    from rapidocr.utils.download_file import DownloadFile

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("rapidocr tried to download a model")

    ocr.engine.cache_clear()  # built here, under the guard: the models come from the wheel
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DownloadFile, "run", no_download)
        return {name: ingest_file(SCANS / name) for name in ("scan.pdf", "scan.png", "mixed.pdf", "garbage.pdf")}


def test_scanned_pdf_text_and_outline(docs: dict[str, Document]) -> None:
    doc = docs["scan.pdf"]
    assert doc.ocr_pages == [1, 2] and doc.warnings == []
    assert doc.ocr_spans == [(0, len(doc.text))]  # every passage came from OCR
    root = parse_outline(doc)
    chapter = root.children[0]
    assert (chapter.heading, chapter.children[0].heading) == tuple(HEADINGS)
    para = paragraph_like(doc, PARA_BEDS)
    assert ratio(para, PARA_BEDS) >= 0.95  # a character or two may be misread (） as ))
    assert "到2025年底护理型床位占比不低于60%" in para and "到2022年底护理型床位占比不低于50%" in para


def test_scanned_table_rows(docs: dict[str, Document]) -> None:
    (table,) = docs["scan.pdf"].tables
    assert table.caption == "“十四五”期间民政事业主要发展指标"
    assert table.header == TABLE[0]
    assert table.is_indicator
    # the figures are read exactly; a name may lose a character to noise, never its column
    assert [[r[0], r[2], r[3], r[4]] for r in table.rows] == [[r[0], r[2], r[3], r[4]] for r in TABLE[1:]]
    assert all(ratio(got[1], want[1]) >= 0.9 for got, want in zip(table.rows, TABLE[1:], strict=True))


def test_image_file(docs: dict[str, Document]) -> None:
    doc = docs["scan.png"]
    assert doc.ocr_pages == [1]
    assert ratio(doc.text, PARA_LOTTERY) >= 0.95
    assert "不低于55%" in doc.text


@pytest.mark.parametrize("angle", [8.0, -12.0])
def test_a_page_scanned_askew_is_straightened(docs: dict[str, Document], angle: float) -> None:
    """Lines sloping by 8° overlap the lines above and below; read as they are, the paragraph comes out
    scrambled (a character match of 0.62 measured before straightening)."""
    page = Image.open(SCANS / "scan.png").convert("RGB").rotate(angle, expand=True, fillcolor=(255, 255, 255))
    text = layout_text(ocr.ocr_boxes(page))
    assert ratio(text.replace("\n", ""), PARA_LOTTERY) >= 0.95 and "不低于55%" in text


def test_the_skew_of_a_page_is_the_median_slope_of_its_long_boxes() -> None:
    level = [[(0, 10 * i), (400, 10 * i), (400, 10 * i + 20), (0, 10 * i + 20)] for i in range(4)]
    sloped = [[(0, 0), (400, 35), (398, 55), (-2, 20)] for _ in range(4)]  # atan(35/400) ≈ 5.0°
    assert ocr.skew(level) == 0.0 and round(ocr.skew(sloped), 1) == 5.0
    assert ocr.skew(sloped[:2]) == 0.0  # too few to tell


def test_mixed_pdf_reads_both_kinds(docs: dict[str, Document]) -> None:
    doc = docs["mixed.pdf"]
    assert doc.ocr_pages == [2]
    lines = doc.text.split("\n")
    assert lines[:2] == ["第三章 加强福利彩票管理", PARA_TEXT_PAGE]  # the text layer, exact
    assert [s.heading for s in parse_outline(doc).children] == ["第三章 加强福利彩票管理", "第六章 健全养老服务体系"]
    assert ratio(paragraph_like(doc, PARA_SCANNED_PAGE), PARA_SCANNED_PAGE) >= 0.95
    start = doc.text.index("第六章")
    assert doc.ocr_spans == [(start, len(doc.text))]  # the scanned page only
    flags = {c.section_path[0]: c.ocr for c in chunk_document(doc)}
    assert flags == {"第三章 加强福利彩票管理": False, "第六章 健全养老服务体系": True}


def test_garbage_text_layer_is_read_by_ocr(docs: dict[str, Document]) -> None:
    doc = docs["garbage.pdf"]
    assert doc.ocr_pages == [1]
    assert doc.warnings == ["第1页的文字层无法解码（字体缺少编码表），已改用 OCR 识别"]
    assert ratio(doc.text, PARA_LOTTERY) >= 0.95
    assert not any("\x80" <= c <= "\xff" for c in doc.text)


def test_page_limit_reads_the_first_pages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    strip = Image.open(SCANS / "scan.png").convert("L")
    blank = Image.new("L", (200, 100), 255)
    path = tmp_path / "three.tif"
    strip.save(path, save_all=True, append_images=[blank, blank])  # a 3-page TIFF
    monkeypatch.setattr(ocr, "MAX_OCR_PAGES", 2)
    doc = ingest_file(path)
    assert doc.ocr_pages == [1, 2]
    assert doc.warnings == ["共 3 页，超过 2 页的上限，只识别了前 2 页", "第2页 OCR 未识别出文字"]
    assert "不低于55%" in doc.text


def test_no_text_is_one_chinese_line(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buf, "PNG")
    (tmp_path / "blank.png").write_bytes(buf.getvalue())
    with pytest.raises(UnreadableFileError) as exc:
        ingest_file(tmp_path / "blank.png")
    assert str(exc.value) == "OCR 未识别出文字（图片可能为空白或过于模糊）：blank.png"


def test_broken_image_is_one_chinese_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    with pytest.raises(UnreadableFileError) as exc:
        ingest_file(tmp_path / "bad.jpg")
    assert str(exc.value) == "图片文件损坏或格式不受支持：bad.jpg"


# layout of boxes, without OCR: 20 px characters, lines 40 px apart, text from x=100 to 500


def test_layout_paragraphs_by_indent_and_short_lines() -> None:
    boxes = [
        Box(140, 0, 500, 20, "第一段首行缩进，"),
        Box(100, 40, 500, 60, "写满一行后接着写，"),
        Box(100, 80, 300, 100, "末行较短。"),
        Box(140, 120, 500, 140, "第二段。"),
    ]
    assert layout_text(boxes) == "第一段首行缩进，写满一行后接着写，末行较短。\n\n第二段。"


def test_layout_table_columns_line_up() -> None:
    boxes = [
        Box(100, 0, 140, 20, "序号"), Box(200, 0, 240, 20, "指标"), Box(400, 0, 440, 20, "单位"),
        Box(100, 40, 110, 60, "1"), Box(200, 40, 385, 60, "城乡低保标准年度增速"), Box(400, 40, 410, 60, "%"),
        Box(100, 80, 110, 100, "2"), Box(400, 80, 420, 100, "万个"),
    ]
    # "%" is 15 px from its neighbour, under two characters, yet it lines up with 单位;
    # the empty name of row 2 stays an empty cell
    assert layout_text(boxes) == "序号\t指标\t单位\n1\t城乡低保标准年度增速\t%\n2\t\t万个"


def test_a_scan_saved_under_another_suffix_is_read_by_ocr(tmp_path) -> None:
    """A .png renamed .pdf: the first bytes say image, so it is OCR'd, with a warning."""
    from rag.docs.readers import read_document

    src = Path(__file__).resolve().parents[1] / "data" / "scans" / "scan.png"
    lying = tmp_path / "扫描件.pdf"
    lying.write_bytes(src.read_bytes())
    _data, raw = read_document(lying)
    assert raw.ocr_pages == [1] and raw.text.strip()
    assert any("图片（PNG）" in w for w in raw.warnings)
