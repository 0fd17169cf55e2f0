"""Text PDFs (rag.docs.readers.pdf): real published files and the layout rules on small pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.docs.ingest import ingest_file
from rag.docs.readers.glyphs import Glyph, group_lines, line_text
from rag.docs.readers.pdf import (
    PAGE_NUMBER,
    Line,
    Page,
    _drop_running,
    _join,
    _split_footnotes,
    garbage_share,
)
from rag.models import Document

FILES = Path(__file__).resolve().parents[1] / "data" / "files"


@pytest.fixture(scope="module")
def beijing() -> Document:
    return ingest_file(FILES / "01_2024年北京市政府工作报告.pdf")


def test_beijing_paragraphs_are_whole(beijing: Document) -> None:
    paras = beijing.text.split("\n")
    # a sentence hard-wrapped over two lines of page 1
    assert "现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。" in paras
    # sentences running on across page breaks (pages 3→4, 4→5, 8→9)
    assert "有序处置重点企业风险，监管预付式资金" in beijing.text
    assert "向各民主党派、各人民团体和各界人士，向中央和国家机关各" in beijing.text
    assert "以重大项目带动投资“稳规模、优结构”。加大新型基础设" in beijing.text
    # one paragraph though a sentence ends at the right margin (page 2): the next line is not indented
    item = next(p for p in paras if p.startswith("二是着力发挥科技创新引领作用"))
    assert "巩固提升高精尖产业发展优势" in item
    # a heading that fills its line stays apart from the paragraph under it
    assert "（五）统筹扩大内需和深化供给侧结构性改革，巩固和增强经济回升向好态势" in paras
    assert beijing.ocr_pages == [] and beijing.ocr_spans == []


def test_beijing_has_no_page_numbers_or_broken_lines(beijing: Document) -> None:
    paras = beijing.text.split("\n")
    assert not [p for p in paras if PAGE_NUMBER.match(p)]
    assert paras[0] == "各位代表："
    # every paragraph ends a sentence except the 13 headings (一、 二、 （一）…（十一）)
    open_ = [p for p in paras if p[-1] not in "。！？：；"]
    assert len(open_) == 13 and all(re.match(r"[一二]、|（[一二三四五六七八九十]+）", p) for p in open_)


def test_csrc_table_over_pages() -> None:
    doc = ingest_file(FILES / "03_csrc_p1-3.pdf")
    assert len(doc.tables) == 1  # one table though it runs over three pages
    table = doc.tables[0]
    assert table.header == ["门类名称及代码", "行业大类代码", "行业大类名称", "上市公司代码", "上市公司简称"]
    assert doc.text.count("门类名称及代码") == 1  # the header repeated on pages 2 and 3 goes
    assert table.rows[0] == ["农、林、牧、渔业(A)", "01", "农业", "000998", "隆平高科"]
    # 门类 and 大类 are merged down their groups: each row they cover carries them
    assert table.rows[1] == ["农、林、牧、渔业(A)", "01", "农业", "002041", "登海种业"]
    assert ["采矿业(B)", "06", "煤炭开采和洗选业", "000552", "靖远煤电"] in table.rows  # page 2
    assert ["采矿业(B)", "09", "有色金属矿采选业", "000688", "国城矿业"] in table.rows  # the foot of page 2
    assert all(all(row) for row in table.rows)
    codes = [r[3] for r in table.rows]
    assert len(codes) == len(set(codes)) and all(re.fullmatch(r"\d{6}", c) for c in codes)


def test_a_cell_merged_down_repeats_one_merged_across_does_not() -> None:
    """pdfplumber: None where a merged cell covers the place, "" for an empty cell."""
    from types import SimpleNamespace

    from rag.docs.readers.pdf import _table_rows

    def row(top: float, *cells: tuple[float, float, float, float] | None) -> SimpleNamespace:
        return SimpleNamespace(bbox=(0, top, 30, top + 10), cells=list(cells))

    texts = [["类别", "指标", "值"], ["经济", "GDP", ""], [None, "投资", "5"], ["合计：见附表", None, None]]
    table = SimpleNamespace(
        rows=[
            row(0, (0, 0, 10, 10), (10, 0, 20, 10), (20, 0, 30, 10)),
            row(10, (0, 10, 10, 30), (10, 10, 20, 20), (20, 10, 30, 20)),  # 经济 merged down a row
            row(20, None, (10, 20, 20, 30), (20, 20, 30, 30)),
            row(30, (0, 30, 30, 40), None, None),  # one cell across the table
        ],
        extract=lambda: texts,
    )
    assert _table_rows(table) == [
        ["类别", "指标", "值"], ["经济", "GDP", ""], ["经济", "投资", "5"], ["合计：见附表", "", ""]
    ]


def _line(text: str, top: float, x0: float = 90, x1: float = 505, size: float = 10.5) -> Line:
    return Line(text, x0, x1, top, top + size, size)


@pytest.mark.parametrize("footer", ["— {n} —", "- {n} -", "第{n}页 共4页", "{n}/4", "{n}"])
def test_running_header_and_page_numbers_go(footer: str) -> None:
    pages = [
        Page(n, 595, [
            _line("吉林省民政厅文件", 40, 250, 350),
            _line(f"正文第{n}页的第一行，写到右边距为止，下一行接着写。", 100, 111),
            _line("这一行是段落的末行。", 116, 90, 300),
            _line(footer.format(n=n), 800, 280, 310),
        ])
        for n in range(1, 5)
    ]
    _drop_running(pages)
    out = [line for line in _join(pages) if line]
    assert out == [f"正文第{n}页的第一行，写到右边距为止，下一行接着写。这一行是段落的末行。" for n in range(1, 5)]


def test_footnotes_are_kept_apart() -> None:
    pages = [
        Page(1, 595, [
            _line("到2025年，全省养老机构护理型床位占比达到55%①，城乡社区养老服务设施", 100, 111),
            _line("覆盖率达到100%。", 116, 90, 200),
            _line("① 含公办和民办养老机构。", 780, 90, 250, size=8),
        ])
    ]
    _split_footnotes(pages)
    assert [x for x in _join(pages) if x] == [
        "到2025年，全省养老机构护理型床位占比达到55%①，城乡社区养老服务设施覆盖率达到100%。",
        "脚注：① 含公办和民办养老机构。",
    ]


def test_garbage_share() -> None:
    assert garbage_share("到2025年，护理型床位占比达到55%。") == 0
    # GBK bytes read as WinAnsi glyphs (14 of 16: ² and ¹ are let pass, for 平方米² / 注¹)
    assert garbage_share("Öð²½¼Ó´óÕþ¸®¹ºÂò") == 14 / 16
    assert garbage_share("(cid:12)(cid:845)(cid:77)养老") == pytest.approx(3 / 5)
    assert garbage_share("\ue012\ue013服务") == 0.5  # private-use glyphs


def test_pdf_over_the_page_limit_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    from rag.errors import UnreadableFileError

    writer = PdfWriter()
    for _ in range(501):
        writer.add_blank_page(595, 842)
    path = tmp_path / "汇编.pdf"
    with path.open("wb") as f:
        writer.write(f)
    with pytest.raises(UnreadableFileError) as exc:
        ingest_file(path)
    assert str(exc.value) == "PDF 共 501 页，超过 500 页的上限，请拆分后再导入：汇编.pdf"


def test_digits_in_a_second_font_stay_in_their_line() -> None:
    """A standard's clause, Chinese in STSong, digits and Latin in Times New Roman whose declared
    descent hangs its boxes 5 pt lower, all drawn font by font (tests/data/make_mixed_fonts_pdf.py).
    Before the glyph rule pdfplumber's lines read "…应符合表 、表 和表 的规定。其中" with
    "3.1.1 1 2 3" as a line of its own."""
    doc = ingest_file(FILES / "mixed_fonts.pdf")
    assert doc.text.split("\n") == [
        "3.1.1钛及钛合金产品的牌号和化学成分应符合表1、表2和表3的规定。"  # cleaning drops the space
        "其中表1为工业纯钛，表2为TA7等钛合金，表3为TC4（Ti-6Al-4V）等钛合金。",
        "3.1.2需方要求时，经供需双方协商，可供应表1～表3以外牌号的产品。",
    ]


def test_mixed_fonts_fixture_is_what_its_generator_writes() -> None:
    from tests.data.make_mixed_fonts_pdf import pdf

    assert (FILES / "mixed_fonts.pdf").read_bytes() == pdf()


def _glyphs(text: str, x: float, baseline: float, size: float = 10.0, advance: float = 10.0) -> list[Glyph]:
    return [Glyph(c, x + i * advance, x + (i + 1) * advance, baseline, size) for i, c in enumerate(text)]


def test_glyphs_are_read_by_baseline_and_place_not_by_drawing_order() -> None:
    first = _glyphs("表", 100, 100) + _glyphs("1", 110, 100, advance=5) + _glyphs("、表", 115, 100)
    second = _glyphs("下一行", 100, 112)  # 12 pt lower: a line of its own
    note = _glyphs("2", 135, 96, size=6, advance=3)  # a raised, smaller ², 4 pt above the baseline
    lines = group_lines(second + note + list(reversed(first)))
    assert [line_text(line) for line in lines] == ["表1、表2", "下一行"]


def test_a_line_reads_a_space_where_its_characters_stand_apart() -> None:
    words = _glyphs("GDP", 100, 100, advance=6) + _glyphs("增长", 122, 100) + _glyphs(" ", 142, 100)
    words += _glyphs("5%", 152, 100, advance=5)
    assert line_text(group_lines(words)[0]) == "GDP 增长 5%"  # 4 pt apart (over 3), then a drawn space
