"""``planqa parse FILE [--json]``: what ingestion made of a file, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

FILES = Path(__file__).resolve().parent / "data" / "files"
KEYS = {"file", "sha256", "meta", "inferred", "text", "outline", "tables", "ocr_pages", "warnings"}


def test_parse_json_of_the_docx() -> None:
    done = run_cli("parse", str(FILES / "standard_06.docx"), "--json")
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert set(parsed) == KEYS
    assert parsed["meta"]["file"] == "standard_06.docx"
    assert parsed["inferred"] == ["title", "kind"]  # no manifest: what the text gave, marked
    assert "5.1确定评价范围和内容" in parsed["text"].split("\n")
    matrix = next(t for t in parsed["tables"] if "提供输入的安全要素" in t["header"])
    assert matrix["rows"][1][:4] == ["接受输入的安全要素", "SF1", "", "×"]
    assert len(matrix["rows"]) == 15
    # the standard's clauses are its outline (the cover's 第1部分 stays a part of its own)
    top = [(s["kind"], s["title"]) for s in parsed["outline"]]
    assert top[:4] == [("part", "第1部分"), ("preface", "前言"), ("preface", "引言"), ("clause", "1 范围")]
    assert top[-1] == ("annex", "附录C 收益成本分析的一般方法")
    five = next(s for s in parsed["outline"] if s["title"] == "5 定期安全评价的策划和准备")
    assert [c["title"] for c in five["children"]][:2] == ["5.1 确定评价范围和内容", "5.2 确定评价依据"]
    assert parsed["ocr_pages"] == [] and parsed["warnings"] == []


def test_parse_json_of_the_ofd_with_a_lying_suffix(tmp_path: Path) -> None:
    path = tmp_path / "批复.doc"  # an OFD saved under the wrong name
    path.write_bytes((FILES / "notice_09.ofd").read_bytes())
    done = run_cli("parse", str(path), "--json")
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert set(parsed) == KEYS
    assert parsed["meta"]["doc_number"] == "路卫发〔2011〕76号"
    assert "doc_number" in parsed["inferred"]
    assert parsed["text"].split("\n")[:3] == ["测试符路桥区卫生局文件", "路卫发〔2011〕76号", "关于同意张阿三同志辞职的批复"]
    assert "— 1 —" not in parsed["text"]
    assert parsed["warnings"] == ["文件扩展名为 .doc，但内容是 OFD 格式，已按 OFD 读取：批复.doc"]


def test_parse_human_output_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "规划.txt"
    path.write_text(
        "第一章 总体要求\n一、发展基础\n全省养老机构达到2100家。\n"
        "序号\t指标\t单位\t2025年目标值\t属性\n1\t养老机构护理型床位占比\t%\t55\t约束性\n",
        encoding="utf-8",
    )
    done = run_cli("parse", str(path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "目录结构：\n  第一章 总体要求\n    一、发展基础\n" in out
    assert "表格：1 个" in out and "    表头：序号 | 指标 | 单位 | 2025年目标值 | 属性\n" in out
    assert "    1 | 养老机构护理型床位占比 | % | 55 | 约束性\n" in out
    assert "OCR 识别的页：无" in out and "警告：无" in out


def test_parse_a_corpus_file_uses_its_manifest_entry() -> None:
    done = run_cli("parse", "corpus/jilin_province_14th_fyp_2021.txt", "--json")
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert parsed["inferred"] == []  # described by corpus/manifest.json, nothing guessed
    assert parsed["meta"]["level"] == "province"
    assert any("指标" in "".join(t["header"]) and t["rows"] for t in parsed["tables"])
    chapters = [n["title"] for n in parsed["outline"] if n["kind"] == "chapter"]
    assert "第五章 大力促进养老服务业发展" in chapters


def test_parse_a_bad_file_is_one_chinese_line(tmp_path: Path) -> None:
    path = tmp_path / "加密.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # OLE magic, no valid directory
    done = run_cli("parse", str(path))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == "错误：表格文件损坏或格式不对，无法读取：加密.xlsx"
    done = run_cli("parse", str(tmp_path / "没有.docx"), "--json")
    assert (done.returncode, done.stderr.strip(), done.stdout) == (1, "错误：无法打开文件：没有.docx", "")


def test_help_lists_parse_and_imports_no_reader() -> None:
    """The readers' libraries load only when a file is read: ``planqa --help`` stays instant."""
    import subprocess
    import sys

    done = run_cli("--help")
    assert done.returncode == 0 and "parse" in done.stdout
    code = (
        "import sys, rag.cli; rag.cli.build_parser(); "
        "print(sorted(m for m in ('docx', 'pypdf', 'wps2md', 'ofdkit', 'python_calamine', 'olefile') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_parse_says_what_a_field_inferred_from_the_body_rests_on(tmp_path: Path) -> None:
    """A plan whose head names no place: the place is the body's most named (白山市 4 of 6 mentions)."""
    path = tmp_path / "纲要.txt"
    path.write_text(
        "第十五个五年规划纲要\n第一章 发展基础\n“十四五”时期，白山市全市地区生产总值年均增长5%。"
        "白山坚持生态立市，全市森林覆盖率达到80%。\n第二章 主要任务\n推动白山市与长春市、吉林市协同发展。"
        "全市新建公园20个，白山市城乡面貌持续改善。\n",
        encoding="utf-8",
    )
    done = run_cli("parse", str(path))
    assert done.returncode == 0, done.stderr
    assert "  地区：白山市 *（依据：正文中提到最多的地名，占地名提及的 67%）\n" in done.stdout
    assert "  标题：白山市第十五个五年规划纲要 *（依据：标题前加上推断的地区，占地名提及的 67%）\n" in done.stdout
    assert "  规划期：2026-2030 *\n" in done.stdout  # read from the title itself: no note
    parsed = json.loads(run_cli("parse", str(path), "--json").stdout)
    assert parsed["meta"]["provenance"]["jurisdiction"] == {"source": "inferred", "evidence": "mentions", "share": 0.667}
    assert "provenance" not in parsed["inferred"]
