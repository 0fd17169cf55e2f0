"""A ".doc" that is really RTF or a web page (rag/docs/readers/markup.py, sniffed by sniff.py):
read as what it is, with a warning that the extension is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.docs.ingest import ingest_file
from rag.docs.readers import read_document
from rag.docs.readers.markup import rtf_text
from rag.errors import UnreadableFileError


def _gbk_escapes(text: str) -> bytes:
    r"""宋体 -> \'cb\'ce\'cc\'e5, as Word writes Chinese under \ansicpg936."""
    return b"".join(b"\\'%02x" % b for b in text.encode("gbk"))


# What Word and WordPad write: tables of fonts and colours, a generator, document info, a
# field whose instruction is no text, Chinese as code-page escapes and as \uN with a fallback,
# a cell of two paragraphs (护理 / 型床位: one cell, its row unbroken).
RTF = (
    rb"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 " + _gbk_escapes("宋体") + rb";}}"
    rb"{\colortbl ;\red255\green0\blue0;}{\*\generator Msftedit 5.41;}{\info{\title "
    + _gbk_escapes("旧标题") + rb"}}"
    rb"\viewkind4\uc1\pard\lang2052\f0\fs32 " + _gbk_escapes("第一章 总则") + rb"\par"
    + _gbk_escapes("全省养老机构达到") + rb"2100" + _gbk_escapes("家。") + rb"\par"
    rb"\trowd\cellx1000\cellx2000\cellx3000\intbl " + _gbk_escapes("序号") + rb"\cell "
    + _gbk_escapes("指标") + rb"\cell " + _gbk_escapes("单位") + rb"\cell\row"
    rb"\trowd\pard\intbl 1\cell \u25252?\u29702?\par\u22411?\u24202?\u20301?\cell %\cell\row"
    rb"\pard " + _gbk_escapes("详见") + rb"{\field{\*\fldinst HYPERLINK \"http://example.org\"}{\fldrslt "
    + _gbk_escapes("附件") + rb"}}\par}"
)


def test_rtf_text_decodes_the_code_page_and_drops_destinations() -> None:
    assert rtf_text(RTF) == "第一章 总则\n全省养老机构达到2100家。\n序号\t指标\t单位\t\n1\t护理 型床位\t%\t\n详见附件\n"


def test_a_doc_that_is_rtf_is_read_as_rtf(tmp_path: Path) -> None:
    path = tmp_path / "规划.doc"
    path.write_bytes(RTF)
    doc = ingest_file(path)
    assert doc.warnings[0] == "文件扩展名为 .doc，但内容是 RTF 格式，已按 RTF 读取：规划.doc"
    assert "\\" not in doc.text and "fonttbl" not in doc.text and "旧标题" not in doc.text
    assert doc.text.split("\n")[:2] == ["第一章 总则", "全省养老机构达到2100家。"]
    assert doc.tables[0].header == ["序号", "指标", "单位"]
    assert doc.tables[0].rows == [["1", "护理型床位", "%"]]


HTML = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
    '<meta http-equiv=Content-Type content="text/html; charset=gb2312"><title>规划</title>'
    "<style>p.MsoNormal {margin:0cm}</style></head><body>"
    "<p class=MsoNormal>第一章&nbsp;总则<o:p></o:p></p><p>全省养老机构\n达到2100家。</p>"
    "<table><tr><td><p>序号</p></td><td><p>指标</p></td><td><p>单位</p></td></tr>"
    "<tr><td><p>1</p></td><td><p>护理型床位</p></td><td>%</td></tr></table>"
    "<script>var a = 1;</script></body></html>"
).encode("gbk")


def test_a_doc_that_is_a_web_page_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "规划.doc"
    path.write_bytes(HTML)
    doc = ingest_file(path)
    assert doc.warnings[0] == "文件扩展名为 .doc，但内容是 网页（HTML） 格式，已按 网页（HTML） 读取：规划.doc"
    assert doc.text.split("\n")[:2] == ["第一章 总则", "全省养老机构达到2100家。"]
    assert "MsoNormal" not in doc.text and "var a" not in doc.text and "<" not in doc.text
    assert doc.tables[0].header == ["序号", "指标", "单位"]
    assert doc.tables[0].rows == [["1", "护理型床位", "%"]]


@pytest.mark.parametrize(
    "data",
    [
        RTF[: len(RTF) // 2],  # cut short: what was read
        b"{\\rtf1\\ansi" + b"{" * 5000 + b"x",  # nested past any real document
        b"{\\rtf1\\ansi\\ansicpg99999 {\\fonttbl{\\f0 x;}}}",  # an unknown code page, no body
        b"<html><head><title>x</title></head><body><script>1</script></body></html>",
    ],
)
def test_a_bad_rtf_or_page_is_one_chinese_line_or_its_text(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "坏.doc"
    path.write_bytes(data)
    try:
        _, raw = read_document(path)
    except UnreadableFileError as exc:
        assert "\n" not in exc.message and exc.message.endswith("：坏.doc")
        assert exc.message in ("RTF 文件中没有正文：坏.doc", "网页文件中没有正文：坏.doc")
    else:
        assert raw.text.startswith("第一章 总则\n")
