"""Readers of every office format (rag.docs.readers): what a reader of the page sees comes out.

Real published files (tests/data/files/, see its sources.md) and tiny files written by hand
(tests/docs/office.py) for one feature each.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from rag.docs import readers
from rag.docs.ingest import ingest_corpus, ingest_file
from rag.docs.outline import iter_sections, parse_outline
from rag.docs.readers import read_document
from rag.docs.readers.legacy import _render
from rag.docs.readers.numbering import chinese, format_number
from rag.errors import UnreadableFileError
from rag.models import Document
from tests.docs.office import docx, ods, ole, para, xlsx

FILES = Path(__file__).resolve().parents[1] / "data" / "files"
DOCX = FILES / "standard_06.docx"
DOC = FILES / "standard_07.doc"
OFD = FILES / "notice_09.ofd"
XLS = FILES / "yunnan_11.xls"


# The standard's outline as a reader sees it, in the .docx and in the .doc alike: the cover's
# "第1部分：通用要求" stays a part heading; 前言 and 引言 are unnumbered, before clause 1.
STANDARD_TOP = [
    "第1部分", "前言", "引言", "1 范围", "2 规范性引用文件", "3 术语和定义", "4 缩略语", "5 定期安全评价的策划和准备",
    "6 执行评价", "7 定期安全评价后工作",
    "附录A 安全要素关联矩阵", "附录B 核电厂PSR大纲的一般内容", "附录C 收益成本分析的一般方法",
]
CLAUSE_6 = [
    (1, "clause", "6 执行评价"),
    (2, "clause", "6.1 要素/专项评价"),
    (3, "clause", "6.1.1 要素/专项评价方法"),
    (3, "clause", "6.1.2 差异项分析及处置"),
    (4, "clause", "6.1.2.1 差异项提出及安全影响分析"),
    (4, "clause", "6.1.2.2 弱项处置"),
]


@pytest.fixture(scope="module")
def standard_docx() -> Document:
    return ingest_file(DOCX)


@pytest.fixture(scope="module")
def standard_doc() -> Document:
    return ingest_file(DOC)


def _lines(doc: Document) -> list[str]:
    return doc.text.split("\n")


# ---------------------------------------------------------------------------
# 06: the WPS-saved .docx


def test_docx_appendix_a_matrix_rows(standard_docx: Document) -> None:
    """Appendix A, 安全要素关联矩阵: the vertically merged 接受输入的安全要素 repeats in each row."""
    matrix = next(t for t in standard_docx.tables if "提供输入的安全要素" in t.header)
    assert matrix.rows[0] == ["", "", *(f"SF{k}" for k in range(1, 15))]
    assert matrix.rows[1] == ["接受输入的安全要素", "SF1", "", "×", "×", "×", "×", "×", "×", "×", "×", "", "", "×", "×", "×"]
    # (the empty cells at a row's end are not kept)
    assert matrix.rows[14] == ["接受输入的安全要素", "SF14", "×", "×", "", "", "", "×", "", "×", "×", "", "×"]
    assert len(matrix.rows) == 15


def test_docx_clause_numbers_come_from_word_numbering(standard_docx: Document) -> None:
    """"范围", "确定评价范围和内容" carry no number in their text: Word numbers them (style 章标题 …)."""
    lines = _lines(standard_docx)
    for heading in ("1 范围", "2 规范性引用文件", "5 定期安全评价的策划和准备", "6 执行评价", "7 定期安全评价后工作"):
        assert heading in lines
    # (cleaning drops the layout space between a number and Chinese text)
    assert "5.1确定评价范围和内容" in lines and "7.3核电厂文件更新" in lines
    assert "a)核电厂设计（SF1）" in lines and "n)辐射环境影响（SF14）" in lines
    assert {"附录A", "附录B", "附录C"} <= set(lines)
    assert lines[lines.index("核电厂定期安全评价第1部分：通用要求") + 1] == "1 范围"  # not joined into the title


def _outline(doc: Document) -> list[tuple[int, str, str]]:
    return [(len(path), s.kind, s.heading) for s, path in iter_sections(parse_outline(doc)) if path]


def test_docx_outline_is_the_clause_tree(standard_docx: Document) -> None:
    """The clause numbers (Word's numbering written in) are the outline, nested by number; the
    目次's "1 范围" … "附录C" is no heading, nor are 5.1.1's numbered sentences."""
    outline = _outline(standard_docx)
    top = [heading for depth, _, heading in outline if depth == 1]
    assert top == STANDARD_TOP
    six = outline.index((1, "clause", "6 执行评价"))
    assert outline[six : six + 6] == CLAUSE_6
    assert (3, "clause", "5.6.3 要素/专项评价程序、细则编制") in outline  # not joined with its first paragraph
    assert not [h for _, _, h in outline if h.startswith("5.1.1")]
    # the matrix sits under its appendix
    matrix = next(t for t in standard_docx.tables if "提供输入的安全要素" in t.header)
    assert matrix.section_path == ("附录A 安全要素关联矩阵",)


def test_docx_cover_form_fields_read_as_text_and_no_page_numbers(standard_docx: Document) -> None:
    lines = _lines(standard_docx)
    assert lines[:2] == ["ICS\u200227.120.99", "F69"]  # (an en space in the file)  # legacy FORMTEXT fields: their text, not "FORMTEXT"
    assert "FORMTEXT" not in standard_docx.text and "PAGE" not in standard_docx.text
    assert "本部分起草单位：大亚湾核电运营管理有限责任公司、苏州热工研究院有限公司、生态环境部核与辐射安全中心" in standard_docx.text
    # the footers' PAGE fields (1, 2 …) never reach the body: no line is a bare number (the
    # static 目次's "前言<TAB>II" does leave its roman page numbers: cleaning drops arabic ones only)
    assert not [line for line in lines if line.strip().isdigit()]


# ---------------------------------------------------------------------------
# 07: the same document as a .doc


def test_doc_reads_the_same_text_as_the_docx(standard_doc: Document, standard_docx: Document) -> None:
    """Every body paragraph of the .docx from 前言 on is a paragraph of the .doc (antiword: this
    .doc was saved in pieces, which wps2md reads as garbage), apart from the numbers and tables."""
    doc_lines = set(_lines(standard_doc))
    start = [line.replace("\u2003", "") for line in _lines(standard_docx)].index("前言", 20)
    body = [
        line for line in _lines(standard_docx)[start:]
        if len(line) >= 20 and "\t" not in line and not line[:1].isascii()
    ]
    assert len(body) >= 55
    missing = [line for line in body if line not in doc_lines]
    assert missing == []
    assert "核电厂PSR通常每10年左右开展一次，每次持续4年左右时间，项目可划分为准备和执行两个阶段。" in doc_lines
    assert "本部分起草单位：大亚湾核电运营管理有限责任公司、苏州热工研究院有限公司、生态环境部核与辐射安全中心" in standard_doc.text


def test_doc_numbered_clauses_and_lists(standard_doc: Document) -> None:
    lines = _lines(standard_doc)
    assert "5.1.1一般而言，核电厂定期安全评价的范围应包括以下14个安全要素：" in lines
    assert "5 定期安全评价的策划和准备" in lines and "a)核电厂设计（SF1）" in lines
    assert "FORMTEXT" not in standard_doc.text


def test_doc_outline_is_the_clause_tree_antiword_leaves(standard_doc: Document) -> None:
    """antiword writes Word's top-level numbers as "1. 范围" and drops the second level ("5.1"):
    the clauses it keeps nest by number; a title line right above a paragraph numbered 6.1.1 is
    6.1 again, and where no N.M.1 follows (5.7, 7.1–7.3) the title stays a paragraph."""
    outline = _outline(standard_doc)
    top = [heading for depth, _, heading in outline if depth == 1]
    assert top == STANDARD_TOP
    six = outline.index((1, "clause", "6 执行评价"))
    assert outline[six : six + 6] == CLAUSE_6
    five = [h for d, _, h in outline if d == 2 and h.startswith("5.")]
    assert five == [f"5.{k} {t}" for k, t in enumerate(
        ["确定评价范围和内容", "确定评价依据", "确定工作模式", "组建PSR技术团队", "建立PSR项目管理体系", "编制PSR工作文件"], 1
    )]
    assert (2, "clause", "5.2.3 确定适用的现行安全标准和实践") not in outline  # under 5.2 now
    seven = outline.index((1, "clause", "7 定期安全评价后工作"))
    assert outline[seven + 1][2] == "附录A 安全要素关联矩阵"


def test_doc_appendix_a_matrix_rows_like_the_docx(standard_doc: Document, standard_docx: Document) -> None:
    """antiword prints the matrix's body as one paragraph with the cell marks inline
    ("接受输入的安全要素 |SF1 | |× |…| | |SF2 |…"): split into its 14 rows, under the two header
    rows, it is the .docx twin's table, except that a .doc leaves the cells a merge covers empty
    (the .docx repeats 接受输入的安全要素)."""
    matrix = next(t for t in standard_doc.tables if "提供输入的安全要素" in t.header)
    twin = next(t for t in standard_docx.tables if "提供输入的安全要素" in t.header)
    assert matrix.header == ["", "", *["提供输入的安全要素"] * 14] == twin.header
    assert matrix.rows[0] == ["", "", *(f"SF{k}" for k in range(1, 15))]
    assert matrix.rows[1] == ["接受输入的安全要素", "SF1", "", "×", "×", "×", "×", "×", "×", "×", "×", "", "", "×", "×", "×"]
    assert matrix.rows[2] == ["", "SF2", "×", "", "×", "×", "×", "", "", "×", "×", "×"]
    assert matrix.rows[14] == ["", "SF14", "×", "×", "", "", "", "×", "", "×", "×", "", "×"]
    assert [r[1:] for r in matrix.rows] == [r[1:] for r in twin.rows]
    assert matrix.section_path == ("附录A 安全要素关联矩阵",)


def test_inline_cell_marks_are_split_into_rows() -> None:
    from rag.docs.readers.legacy import _antiword_text, inline_rows

    assert inline_rows("类别 |指标 |单位 | |  |人口 |万人 | |") == [["类别", "指标", "单位"], ["", "人口", "万人"]]
    assert inline_rows("甲|乙|丙|丁|戊|己|庚") is None  # text after the last mark
    assert inline_rows("见表1 |表2 |表3 |表4 |表5 |表6 |") is None  # no empty row end
    out = "标题\n   |  |目标值 |\n\n |2025年 |2030年 | |\n\n人口 |80 |90 | | 就业 |50 |55 | |\n"
    # the header rows above widen to the body's three columns, 目标值 over both years
    assert _antiword_text(out).split("\n") == [
        "标题", "\t目标值\t目标值", "", "\t2025年\t2030年", "", "人口\t80\t90", "就业\t50\t55"
    ]


def test_wps2md_table_rows_become_tab_rows() -> None:
    """wps2md's paragraphs: cells of a row, then the row-end mark, as a .docx row is written."""
    from wps2md import Paragraph

    cells = ["序号", "指标", "单位", "1", "养老机构护理型床位占比", "%"]
    paragraphs = [Paragraph(0, "主要指标")]
    for row in (cells[:3], cells[3:]):
        paragraphs += [Paragraph(0, c, in_table=True) for c in row]
        paragraphs.append(Paragraph(0, "", in_table=True, is_row_end=True))
    paragraphs.append(Paragraph(0, "FORMTEXT 吉林省民政厅"))
    assert _render(paragraphs) == "主要指标\n序号\t指标\t单位\n1\t养老机构护理型床位占比\t%\n吉林省民政厅"


def test_doc_neither_reader_can_read_gets_one_chinese_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged .doc (the real one cut short) and no antiword: one Chinese line naming the fix."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "草案.doc"
    path.write_bytes(DOC.read_bytes()[:3000])
    with pytest.raises(UnreadableFileError) as info:
        read_document(path)
    assert info.value.message == (
        "无法读取 Word/WPS 文件（文件损坏，或是本程序读不了的旧格式；可在 Office 或 WPS 中另存为 .docx 后再导入）：草案.doc"
    )


def test_password_protected_doc_gets_a_chinese_line(tmp_path: Path) -> None:
    """The real .doc with its FIB's fEncrypted bit set (what Word writes for an open password)."""
    import olefile

    data = bytearray(DOC.read_bytes())
    with olefile.OleFileIO(str(DOC)) as ole_file:
        entry = ole_file.direntries[ole_file._find("WordDocument")]
        offset = (entry.isectStart + 1) * ole_file.sectorsize  # a big stream: in regular sectors
    assert data[offset : offset + 2] == b"\xec\xa5"  # the FIB's magic
    data[offset + 0x0B] |= 0x01  # flags at 0x0A, fEncrypted = 0x0100
    path = tmp_path / "加密.doc"
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFileError) as info:
        read_document(path)
    assert info.value.message == "文件已加密（设有打开密码），无法读取；请在 Office 或 WPS 中取消密码后再导入：加密.doc"


# ---------------------------------------------------------------------------
# 09: the .ofd with a seal


def test_ofd_document_number_body_and_no_page_numbers() -> None:
    doc = ingest_file(OFD)
    lines = _lines(doc)
    assert lines[1] == "路卫发〔2011〕76号"
    assert doc.meta.doc_number == "路卫发〔2011〕76号"
    assert "关于同意张阿三同志辞职的批复" in lines
    assert "区中医院：" in lines
    # a sentence hard-wrapped over three lines of the page reads as one paragraph
    assert (
        "张阿三，男，1978年2月出生，籍贯江西新建，2001年9月参加工作，本科学历，主治医师，系区中医院职工。" in lines
    )
    assert any(line.endswith("（浙人才〔1993〕73号）文件精神，经研究，同意张阿三同志辞职。") for line in lines)
    assert "—" not in doc.text  # "— 1 —", "— 2 —" are gone
    assert lines[-2:] == ["2011年3月10日", "测试符路桥区卫生局办公室2011年3月10日印发"]
    assert doc.warnings == []  # the seal (Signs/Sign_0) is no page text and breaks nothing


def _ofd_drawn_font_by_font(lines: list[str]) -> bytes:
    """An OFD page of ``lines`` (3.7 mm type, 6.4 mm apart): the Chinese runs in 宋体 drawn first,
    then the digits and Latin in Times New Roman, each run a TextObject placed where it stands."""
    import io
    import zipfile

    from tests.data.make_mixed_fonts_pdf import WIDTHS, _runs

    size, ns = 3.7, 'xmlns:ofd="http://www.ofdspec.org/2016"'
    objects: dict[str, list[str]] = {"F1": [], "F2": []}
    for k, line in enumerate(lines):
        x, y = 30.0, 40.0 + 6.4 * k  # the baseline, from the page's top edge
        for font, text in _runs(line):
            advances = [size if font == "F1" else WIDTHS.get(c, 500) * size / 1000 for c in text]
            width = sum(advances)
            deltas = " ".join(f"{a:.2f}" for a in advances[:-1])
            objects[font].append(
                f'<ofd:TextObject ID="{100 + sum(map(len, objects.values()))}" Font="{font[1]}" Size="{size}" '
                f'Boundary="{x:.2f} {y - size:.2f} {width:.2f} {1.2 * size:.2f}">'
                f'<ofd:TextCode X="0" Y="{size:.2f}" DeltaX="{deltas}">{text}</ofd:TextCode></ofd:TextObject>'
            )
            x += width
    files = {
        "OFD.xml": f"<ofd:OFD {ns} Version=\"1.0\" DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1</ofd:DocID>"
        "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f"<ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea>"
        "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
        '</ofd:CommonData><ofd:Pages><ofd:Page ID="10" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/PublicRes.xml": f'<ofd:Res {ns} BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="宋体"/>'
        '<ofd:Font ID="2" FontName="Times New Roman"/></ofd:Fonts></ofd:Res>',
        "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page {ns}><ofd:Content><ofd:Layer ID="20">'
        + "".join(objects["F1"] + objects["F2"])
        + "</ofd:Layer></ofd:Content></ofd:Page>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return out.getvalue()


def test_ofd_digits_in_a_second_font_stay_in_their_line(tmp_path: Path) -> None:
    """The OFD side of the reading-order rule (rag/docs/readers/glyphs.py for PDF): ofdkit groups runs
    by baseline and reads each line by x, whatever the font and the order they are drawn in."""
    from tests.data.make_mixed_fonts_pdf import LINES

    path = tmp_path / "标准.ofd"
    path.write_bytes(_ofd_drawn_font_by_font(LINES))
    assert read_document(path)[1].text.split("\n") == [
        "3.1.1 钛及钛合金产品的牌号和化学成分应符合表1、表2和表3的规定。其中表1为工业纯钛，表2为TA7等钛合金，"
        "表3为TC4（Ti-6Al-4V）等钛合金。",
        "3.1.2 需方要求时，经供需双方协商，可供应表1～表3以外牌号的产品。",
    ]


def test_damaged_ofd_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "批复.ofd"
    path.write_bytes(OFD.read_bytes()[:5000])
    with pytest.raises(UnreadableFileError) as info:
        read_document(path)
    assert info.value.message == "OFD 文件损坏或不是 OFD 格式，无法读取：批复.ofd"


# ---------------------------------------------------------------------------
# 11: the legacy Mac .xls


def test_xls_cells_headers_and_rows() -> None:
    doc = ingest_file(XLS)
    lines = _lines(doc)
    # headers in code page 10008 read as Chinese, not mojibake; the empty columns are gone
    assert lines[0].split("\t")[3] == "农业"
    assert lines[1].split("\t")[3:6] == ["耕地面积", "", "播种面积"]
    assert lines[3].split("\t")[:5] == ["", "", "", "数值（万亩）", "增长率％"]
    # the growth rates are formatted 0.00% / 0.0% (XF → FORMAT records): shown as Excel shows them,
    # not as the stored 0.668660524004; the areas next to them (General) stay numbers
    assert lines[4].split("\t")[:11] == [
        "一五计划", "", "1953", "504.769808511", "66.87%", "865.627725328", "54.44%", "", "9.30%", "", "17.8%"
    ]
    table = doc.tables[0]
    assert len(table.rows) == 47
    assert [r[:3] for r in table.rows if len(r) > 2 and r[2] == "1958"] == [["二五计划", "", "1958"]]
    assert table.rows[5][:4] == ["", "", "1955", "1405.49516029"]


# ---------------------------------------------------------------------------
# spreadsheets written by hand

INDICATORS = [
    ["序号", "类别", "指标", "单位", "2025年现状值", "2030年目标值", "属性"],
    [1, "养老服务", "养老机构护理型床位占比", "%", 55, 65, "约束性"],
    [2, None, "每千名老年人拥有养老床位数", "张", 32, 35, "预期性"],
    [3, "社会救助", "城乡低保标准年均增长", "%", 5, 6, "预期性"],
]
TEXT_TWIN = "主要发展指标\n" + "\n".join(
    "\t".join("" if c is None else str(c) for c in row) for row in INDICATORS
)


def test_spreadsheet_indicator_table_is_the_same_table_as_its_text_twin(tmp_path: Path) -> None:
    """The sheet's table, laid out from C3 with a merged 类别 cell (D4:D5) and an empty column,
    becomes the same Table as the text table."""
    rows = [[*row[:2], None, *row[2:]] for row in INDICATORS]  # an empty column inside the table
    sheet = tmp_path / "指标.xlsx"
    sheet.write_bytes(xlsx([["主要发展指标"], [], *rows], merges=("D4:D5",), origin=(0, 2)))
    text = tmp_path / "指标.txt"
    text.write_text(TEXT_TWIN, encoding="utf-8")
    from_sheet, from_text = ingest_file(sheet).tables, ingest_file(text).tables
    assert len(from_sheet) == 1
    a, b = from_sheet[0], from_text[0]
    assert (a.header, a.rows, a.columns, a.caption) == (b.header, b.rows, b.columns, b.caption)
    assert a.rows[1] == ["2", "养老服务", "每千名老年人拥有养老床位数", "张", "32", "35", "预期性"]  # filled down
    assert a.is_indicator and a.years == (2025, 2030)


@pytest.mark.parametrize("suffix", [".ods", ".xlsx"])
def test_ods_and_xlsx_give_the_same_rows(tmp_path: Path, suffix: str) -> None:
    """The same indicator table as an OpenDocument or an Excel sheet: the same text, the same Table."""
    path = tmp_path / f"指标{suffix}"
    path.write_bytes(ods(INDICATORS) if suffix == ".ods" else xlsx(INDICATORS))
    text = tmp_path / "指标.txt"
    text.write_text(TEXT_TWIN.split("\n", 1)[1], encoding="utf-8")
    doc, twin = ingest_file(path), ingest_file(text)
    assert doc.text == twin.text
    assert [(t.header, t.rows, t.columns) for t in doc.tables] == [(t.header, t.rows, t.columns) for t in twin.tables]


def _with_stray_cell(ref: str) -> bytes:
    """The indicator sheet with one more cell, far away, written into the sheet's XML."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx(INDICATORS))) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                stray = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'
                data = data.replace(b"</sheetData>", stray.encode() + b"</sheetData>")
            dst.writestr(item, data)
    return buf.getvalue()


def test_wide_sparse_sheet_reads_its_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stray cell in the last column (XFD1) makes the sheet 16384 columns wide: the empty
    columns go, the table at the left is intact, and no more than ``MAX_CELLS`` cells are read
    (how long it takes: benchmarks/bench_bounds.py)."""
    sheet = tmp_path / "指标.xlsx"
    sheet.write_bytes(_with_stray_cell("XFD1"))
    from rag.docs.readers import sheet as sheet_reader

    read = []
    to_text = sheet_reader._cell
    monkeypatch.setattr(sheet_reader, "_cell", lambda *a: read.append(1) or to_text(*a))
    doc = ingest_file(sheet)
    assert 0 < len(read) <= sheet_reader.MAX_CELLS
    assert doc.tables[0].rows[0] == ["1", "养老服务", "养老机构护理型床位占比", "%", "55", "65", "约束性"]
    assert doc.warnings == []


def test_sheet_rows_are_read_up_to_a_cell_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers.sheet, "MAX_CELLS", 7 * 3)  # 7 columns: 3 rows
    sheet = tmp_path / "指标.xlsx"
    sheet.write_bytes(xlsx(INDICATORS))
    _, raw = read_document(sheet)
    assert raw.text.split("\n")[2].startswith("2\t养老服务") is False
    assert len(raw.text.split("\n")) == 3
    assert raw.warnings == ["工作表“主要指标”过大（4 行 × 7 列），只读取了前 3 行：指标.xlsx"]


def test_a_sheet_with_a_cell_at_the_far_corner_is_refused(tmp_path: Path) -> None:
    """XFD1048576 makes the used range 17 billion cells, which calamine would try to hold
    (and abort the process): the sheet is refused from its cell references, in Chinese."""
    sheet = tmp_path / "指标.xlsx"
    sheet.write_bytes(_with_stray_cell("XFD1048576"))
    with pytest.raises(UnreadableFileError) as info:
        read_document(sheet)
    assert info.value.message == (
        "表格范围过大（约 1717986 万个单元格，可能有远处的零散单元格），请删除多余的行列后再导入：指标.xlsx"
    )


def _biff(kind: int, payload: bytes) -> bytes:
    import struct

    return struct.pack("<HH", kind, len(payload)) + payload


def _xls(last_row: int, last_col: int) -> bytes:
    """A BIFF8 workbook of one sheet that holds only its DIMENSIONS record."""
    import struct

    bof = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    sheet_name = b"Sheet1"

    def globals_(offset: int) -> bytes:
        boundsheet = _biff(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(sheet_name), 0) + sheet_name)
        return bof + boundsheet + _biff(0x000A, b"")

    head = globals_(0)
    sheet = bof.replace(b"\x05\x00", b"\x10\x00", 1) + _biff(0x0200, struct.pack("<IIHHH", 0, last_row, 0, last_col, 0))
    # (4096 bytes at least: a shorter stream would belong in the mini stream, which ole() does not write)
    return ole({"Workbook": (globals_(len(head)) + sheet + _biff(0x000A, b"")).ljust(4096, b"\0")})


def test_an_xls_whose_dimensions_are_too_large_is_refused(tmp_path: Path) -> None:
    """65536 rows × 256 columns (a whole BIFF8 sheet) is 16.7 million cells: refused from the
    sheet's DIMENSIONS record before calamine opens it."""
    path = tmp_path / "大表.xls"
    path.write_bytes(_xls(65536, 256))
    with pytest.raises(UnreadableFileError) as info:
        read_document(path)
    assert info.value.message == (
        "表格范围过大（约 1677 万个单元格，可能有远处的零散单元格），请删除多余的行列后再导入：大表.xls"
    )
    from rag.docs.readers.extent import _areas

    assert list(_areas(_xls(63, 199), "y.xls")) == [("Sheet1", 63 * 199)]
    assert list(_areas(XLS.read_bytes(), "yunnan_11.xls"))[0][1] == 63 * 199  # the real file: 63 rows, 199 columns


def _ods_with(rows_xml: str) -> bytes:
    """A small .ods with ``rows_xml`` after its two rows."""
    data = ods([["指标", "2025年"], ["人口", 80]])
    return _ods_replace(data, b"</table:table>", rows_xml.encode() + b"</table:table>")


def test_an_ods_whose_repeated_cells_reach_too_far_is_refused(tmp_path: Path) -> None:
    """A value repeated over 100000 rows × 100 columns is 10 million cells; the empty rows and
    columns LibreOffice repeats to the sheet's end count for nothing."""
    empty_tail = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    path = tmp_path / "指标.ods"
    path.write_bytes(_ods_with(empty_tail))
    assert read_document(path)[1].text == "指标\t2025年\n人口\t80"
    far = (
        '<table:table-row table:number-rows-repeated="100000"><table:table-cell '
        'table:number-columns-repeated="100" office:value-type="float" office:value="1"/></table:table-row>'
    )
    path.write_bytes(_ods_with(far))
    with pytest.raises(UnreadableFileError) as info:
        read_document(path)
    assert info.value.message == (
        "表格范围过大（约 1000 万个单元格，可能有远处的零散单元格），请删除多余的行列后再导入：指标.ods"
    )


def test_xlsx_values_as_excel_shows_them(tmp_path: Path) -> None:
    """A rate formatted 0% is stored as 0.55 and shown as 55%; dates come as dates (calamine
    reads the date formats), a date without a time without 00:00:00."""
    sheet = tmp_path / "指标.xlsx"
    sheet.write_bytes(xlsx(
        [["指标", "2025年", "基期", "更新时间"], ["护理型床位占比", 0.55, 0.1234, 46023.5], ["完成日期", 46023, 7, 0.5]],
        origin=(1, 1),  # the grid does not start at A1: formats are found by the cell's own place
        formats={(1, 1): "0%", (1, 2): "0.00%", (1, 3): "yyyy/m/d h:mm", (2, 1): 'yyyy"年"m"月"d"日"', (2, 3): "h:mm"},
    ))
    assert read_document(sheet)[1].text == (
        "指标\t2025年\t基期\t更新时间\n护理型床位占比\t55%\t12.34%\t2026-01-01 12:00\n完成日期\t2026-01-01\t7\t12:00"
    )


def test_percent_decimals_of_a_format_code() -> None:
    from rag.docs.readers.numfmt import percent_decimals

    assert [percent_decimals(c) for c in ("0%", "0.00%", "#,##0.0%;[Red]-0.0%", '0"%"', "0\\%", "0.00", "yyyy-mm-dd")] == [
        0, 2, 1, None, None, None, None
    ]


def test_ods_percentage_as_shown(tmp_path: Path) -> None:
    """An .ods cell says it is a percentage; its text gives the decimals shown."""
    cell = b'office:value-type="float" office:value="0.55"><text:p>0.55'
    data = ods([["指标", "2025年"], ["护理型床位占比", 0.55]])
    data = _ods_replace(data, cell, b'office:value-type="percentage" office:value="0.55"><text:p>55.0%')
    path = tmp_path / "指标.ods"
    path.write_bytes(data)
    assert read_document(path)[1].text == "指标\t2025年\n护理型床位占比\t55.0%"


def _ods_replace(data: bytes, old: bytes, new: bytes) -> bytes:
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "content.xml":
                assert old in part
                part = part.replace(old, new)
            out.writestr(info, part)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Word features written by hand

NUMBERING = (
    '<w:abstractNum w:abstractNumId="0">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="space"/>'
    '<w:lvlText w:val="第%1章"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/>'
    '<w:lvlText w:val="%2、"/></w:lvl>'
    '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/>'
    '<w:lvlText w:val="（%3）"/></w:lvl>'
    "</w:abstractNum>"
    '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
    '<w:lvlText w:val="●"/></w:lvl></w:abstractNum>'
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
)
STYLES = (
    '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
    '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="ChapterTitle"><w:name w:val="章标题"/><w:basedOn w:val="Heading1"/></w:style>'
)


def _numbered(ilvl: int, text: str) -> str:
    return para(text, f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="1"/></w:numPr>')


def _read(tmp_path: Path, data: bytes, name: str = "草案.docx") -> Document:
    path = tmp_path / name
    path.write_bytes(data)
    return ingest_file(path)


def test_word_numbering_headings_reach_the_outline(tmp_path: Path) -> None:
    """第一章 from a style (through basedOn), 一、 and （一） from numPr; a chapter restarts 一、."""
    body = "".join([
        para("总体要求", '<w:pStyle w:val="ChapterTitle"/>'),
        _numbered(1, "发展基础"),
        _numbered(2, "养老服务体系初步建立"),
        para("全省养老机构达到2100家。"),
        _numbered(1, "面临形势"),
        para("大力发展养老服务", '<w:pStyle w:val="Heading1"/>'),
        _numbered(1, "完善服务网络"),
        para("健全县乡村三级服务网络", '<w:numPr><w:numId w:val="2"/></w:numPr>'),  # a bullet: no label
    ])
    doc = _read(tmp_path, docx(body, numbering=NUMBERING, styles=STYLES))
    assert _lines(doc) == [
        "第一章 总体要求", "一、发展基础", "（一）养老服务体系初步建立", "全省养老机构达到2100家。",
        "二、面临形势", "第二章 大力发展养老服务", "一、完善服务网络", "健全县乡村三级服务网络",
    ]
    tree = [(s.kind, s.heading, len(path)) for s, path in iter_sections(parse_outline(doc))][1:]
    assert tree == [
        ("chapter", "第一章 总体要求", 1), ("cn", "一、发展基础", 2), ("paren", "（一）养老服务体系初步建立", 3),
        ("cn", "二、面临形势", 2), ("chapter", "第二章 大力发展养老服务", 1), ("cn", "一、完善服务网络", 2),
    ]


@pytest.mark.parametrize(
    ("n", "fmt", "label"),
    [(1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (12, "chineseCounting", "十二"),
     (20, "chineseCounting", "二十"), (35, "chineseCountingThousand", "三十五"), (3, "upperLetter", "C"),
     (28, "lowerLetter", "ab"), (4, "lowerRoman", "iv"), (3, "decimalEnclosedCircle", "③"), (7, "decimal", "7")],
)
def test_number_formats(n: int, fmt: str, label: str) -> None:
    assert format_number(n, fmt) == label


def test_chinese_hundreds() -> None:
    assert [chinese(n) for n in (100, 105, 115, 120)] == ["一百", "一百零五", "一百一十五", "一百二十"]


FOOTNOTES = (
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t>护理型床位指为失能、半失能老年人提供照护服务的床位。</w:t></w:r></w:p></w:footnote>'
)


def test_footnotes_are_kept_apart_from_the_body(tmp_path: Path) -> None:
    ref = '<w:r><w:footnoteReference w:id="1"/></w:r>'
    body = para("到2025年，养老机构护理型床位占比达到55%", runs=ref + '<w:r><w:t>，每个县至少有1所特困人员供养服务设施。</w:t></w:r>')
    doc = _read(tmp_path, docx(body + para("第二段。"), footnotes=FOOTNOTES))
    assert _lines(doc) == [
        "到2025年，养老机构护理型床位占比达到55%，每个县至少有1所特困人员供养服务设施。",
        "第二段。",
        "注释",
        "[1]护理型床位指为失能、半失能老年人提供照护服务的床位。",
    ]


def test_text_box_text_is_read_once(tmp_path: Path) -> None:
    """A text box as Word writes it: the DrawingML shape, and a VML copy for old readers."""
    box = '<w:txbxContent>' + para("专栏1 重点工程") + para("建设县级失能特困人员集中照护机构。") + "</w:txbxContent>"
    runs = (
        "<w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic><a:graphicData>"
        f"<wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )
    doc = _read(tmp_path, docx(para("一、重点任务", runs=runs) + para("正文继续。")))
    assert _lines(doc) == ["一、重点任务", "专栏1 重点工程", "建设县级失能特困人员集中照护机构。", "正文继续。"]


def test_page_fields_are_not_text_and_form_fields_are(tmp_path: Path) -> None:
    def field(instr: str, result: str) -> str:
        return (
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f"<w:r><w:t>{result}</w:t></w:r>"
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        )

    body = (
        para("发文机关：", runs=field("FORMTEXT", "吉林省民政厅"))
        + para("第", runs=field("PAGE", "3") + "<w:r><w:t>页</w:t></w:r>" + field("NUMPAGES", "20"))
        + para("正文。", runs='<w:fldSimple w:instr=" PAGE "><w:r><w:t>7</w:t></w:r></w:fldSimple>')
    )
    path = tmp_path / "草案.docx"
    path.write_bytes(docx(body))
    assert read_document(path)[1].text == "发文机关：吉林省民政厅\n第页\n正文。"


# ---------------------------------------------------------------------------
# files that are not what they say, and bad files


def test_a_doc_that_is_a_docx_is_read_as_docx(tmp_path: Path) -> None:
    path = tmp_path / "草案.doc"
    path.write_bytes(docx(para("第一章 总则") + para("为推进养老服务发展，制定本规划。")))
    _, raw = read_document(path)
    assert raw.text == "第一章 总则\n为推进养老服务发展，制定本规划。"
    assert raw.warnings == ["文件扩展名为 .doc，但内容是 Word（.docx） 格式，已按 Word（.docx） 读取：草案.doc"]


def test_a_docx_that_is_an_old_word_file_is_read_as_doc(tmp_path: Path) -> None:
    path = tmp_path / "标准.docx"
    shutil.copy(DOC, path)
    doc = ingest_file(path)
    assert "5.1.1一般而言，核电厂定期安全评价的范围应包括以下14个安全要素：" in _lines(doc)
    assert doc.warnings == ["文件扩展名为 .docx，但内容是 Word 97-2003（.doc） 格式，已按 Word 97-2003（.doc） 读取：标准.docx"]


def test_a_pdf_that_is_text_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "规划.pdf"
    path.write_text("第一章 总则\n为推进养老服务发展，制定本规划。\n", encoding="gbk")
    _, raw = read_document(path)
    assert raw.text == "第一章 总则\n为推进养老服务发展，制定本规划。\n"
    assert raw.warnings == ["文件扩展名为 .pdf，但内容是 纯文本 格式，已按 纯文本 读取：规划.pdf"]


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".ofd"])
def test_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path, suffix: str) -> None:
    """30 MB of zeros in a 30 KB file (a ratio of about 1000) is refused from the zip directory."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", f'<w:document xmlns:w="{"x"}"/>')
        z.writestr("word/media/image1.bin", b"\0" * (30 * 1024 * 1024))
    path = tmp_path / f"炸弹{suffix}"
    path.write_bytes(buf.getvalue())
    with pytest.raises(UnreadableFileError) as info:
        read_document(path)
    assert info.value.message.startswith("文件解压后过大（30 MB，压缩比")
    assert info.value.message.endswith("倍），疑似压缩炸弹，已拒绝读取：" + path.name)


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_encrypted_office_file_gets_a_chinese_line(tmp_path: Path, suffix: str) -> None:
    """Office wraps a password-protected .docx / .xlsx in an OLE file: EncryptionInfo + EncryptedPackage."""
    path = tmp_path / f"加密{suffix}"
    path.write_bytes(ole({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": b"\x01" * 6000}))
    with pytest.raises(UnreadableFileError) as info:
        read_document(path)
    assert info.value.message == f"文件已加密（设有打开密码），无法读取；请在 Office 或 WPS 中取消密码后再导入：加密{suffix}"


def test_a_corpus_with_bad_files_builds_from_the_good_ones(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shutil.copy(OFD, tmp_path / "批复.ofd")
    shutil.copy(DOCX, tmp_path / "标准.docx")
    (tmp_path / "指标.xlsx").write_bytes(xlsx(INDICATORS))
    (tmp_path / "加密.docx").write_bytes(ole({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"\x01" * 10}))
    (tmp_path / "损坏.ofd").write_bytes(OFD.read_bytes()[:4000])
    (tmp_path / "损坏.xls").write_bytes(XLS.read_bytes()[:3000])
    (tmp_path / "空白.doc").write_bytes(b"\0" * 600)
    with caplog.at_level(logging.WARNING, logger="rag.docs.ingest"):
        docs = ingest_corpus(tmp_path)
    assert sorted(d.file for d in docs) == sorted(["指标.xlsx", "批复.ofd", "标准.docx"])
    skipped = sorted(r.getMessage().split(":")[0] for r in caplog.records if r.getMessage().startswith("skipping"))
    assert skipped == sorted(f"skipping {n}" for n in ("加密.docx", "损坏.ofd", "损坏.xls", "空白.doc"))


@pytest.mark.parametrize("real", [DOCX, DOC, OFD, XLS], ids=lambda p: p.suffix)
def test_damaged_copies_of_real_files_give_a_chinese_line_or_text(tmp_path: Path, real: Path) -> None:
    """Cut short or with bytes flipped (seeded), a real file reads or is refused with one Chinese
    line: never another exception (zlib, zipfile, olefile, a calamine panic were all seen here)."""
    import random

    rng = random.Random(1)
    data = real.read_bytes()
    variants = [data[:n] for n in (600, 2000, len(data) // 2, len(data) - 10)]
    for _ in range(8):
        flipped = bytearray(data)
        for _ in range(20):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        variants.append(bytes(flipped))
    refused = 0
    for k, variant in enumerate(variants):
        path = tmp_path / f"损坏{k}{real.suffix}"
        path.write_bytes(variant)
        try:
            read_document(path)
        except UnreadableFileError as exc:
            assert exc.message.endswith(path.name) and "\n" not in exc.message
            refused += 1
    assert refused >= 2  # at least the two shortest copies
