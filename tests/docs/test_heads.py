"""A file's wrapper, web-page debris and 印发通知 (rag/docs/heads.py), on small inputs and on the
real external files."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from rag.docs.heads import find_notice, strip_debris, unwrap
from rag.docs.ingest import clean_text, corpus_files, ingest_file
from rag.docs.outline import parse_outline
from rag.docs.readers import read_file
from rag.docs.textnorm import to_simplified
from tests.conftest import CORPUS
from tests.conftest import SAMPLE_BODY as BODY
from tests.conftest import SAMPLE_HEADING as HEADING

FRONT_MATTER = """---
标题: 关于印发《长宁区生态空间建设和市容环境优化“十五五”规划》的通知
文号: 长绿容发 〔2026〕34号
发布单位: 上海市长宁区绿化和市容管理局
发布日期: 2026-08-20
层级: 区级
类型: 规划与计划
官方链接: https://www.shanghai.gov.cn/zhengce/detail?businessId=007482147&siteId=0074
---

> 本文正文由脚本自上海市官方公开页面提取，仅供检索查阅；以[官方链接](https://www.shanghai.gov.cn/zhengce/detail?businessId=007482147)发布版本为准。&siteId=0074
> 依《中华人民共和国著作权法》第五条第一项，具有立法、行政、司法性质的文件不适用著作权法。

# 关于印发《长宁区生态空间建设和市容环境优化“十五五”规划》的通知

区政府各委、办、局，各街道办事处，新泾镇政府：

《长宁区生态空间建设和市容环境优化“十五五”规划》已经区政府第141次常务会议审议通过，现予以印发。

特此通知。

上海市长宁区绿化和市容管理局

2026年8月20日

长宁区生态空间建设和市容环境优化“十五五”规划

一、发展基础

（一）发展成效
"""

# Debris lines of the real files and of web pages like them; none may survive.
DEBRIS = re.compile(
    r"^(?:下载|打印|全屏|收藏|加大|还原|减小|】)$|【字号|相关报道|官方链接|siteId|本文正文由脚本|著作权法"
    r"|^(?:标题|文号|发布单位|发布日期|层级|类型|分类|状态)\s*[:：]|^#|^> |^(?:来源|时间)：|^province,year"
)


def test_front_matter_is_metadata_and_leaves_the_text():
    wrapped = unwrap(FRONT_MATTER)
    assert wrapped.fields == {
        "title": "关于印发《长宁区生态空间建设和市容环境优化“十五五”规划》的通知",
        "doc_number": "长绿容发 〔2026〕34号",
        "issuer": "上海市长宁区绿化和市容管理局",
        "date": "2026-08-20",
        "level": "区级",
    }
    assert wrapped.text.startswith("\n> 本文正文由脚本")
    text, _ = clean_text(FRONT_MATTER)
    assert text.split("\n") == [
        "关于印发《长宁区生态空间建设和市容环境优化“十五五”规划》的通知",
        "区政府各委、办、局，各街道办事处，新泾镇政府：",
        "《长宁区生态空间建设和市容环境优化“十五五”规划》已经区政府第141次常务会议审议通过，现予以印发。",
        "特此通知。",
        "上海市长宁区绿化和市容管理局",
        "2026年8月20日",
        "长宁区生态空间建设和市容环境优化“十五五”规划",
        "一、发展基础",
        "（一）发展成效",
    ]


def test_a_markdown_rule_around_prose_is_not_front_matter():
    text = f"---\n{HEADING}\n{BODY}\n---\n{BODY}\n"
    assert unwrap(text).fields == {} and unwrap(text).text == text


def _csv(fields: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(fields)
    writer.writerow(fields.values())
    return "\ufeff" + out.getvalue()


def test_one_row_csv_export_is_unwrapped(tmp_path: Path):
    body = "下载\n打印\n全屏\n收藏\n【字号：\n加大\n还原\n减小\n】\n2025年某省政府工作报告\n" + f"{HEADING}\n{BODY}\n相关报道："
    raw = _csv({"province": "吉林省", "year": "2025", "title": "2025年某省政府工作报告", "full_text": body})
    wrapped = unwrap(raw.lstrip("\ufeff"))
    assert wrapped.text == body
    assert wrapped.fields == {"title": "2025年某省政府工作报告", "year": "2025", "province": "吉林省"}
    path = tmp_path / "report.txt"
    path.write_bytes(raw.encode("utf-8"))  # with its BOM, as exported
    doc = ingest_file(path)
    assert doc.text == f"2025年某省政府工作报告\n{HEADING}\n{BODY}"
    assert doc.meta.title == "2025年某省政府工作报告"


def test_a_csv_data_table_is_not_a_wrapper():
    table = "指标,单位,2025年\n低保标准,元,600\n护理型床位占比,%,55\n"
    assert unwrap(table).text == table and unwrap(table).fields == {}


def test_web_page_debris_is_dropped_and_other_lines_kept():
    page = "\n".join(
        [
            "下载 打印 收藏",
            "【字号 大 中 小】",
            "来源：吉林日报",
            "时间：2026-02-01 09:30",
            "# 关于印发《某市养老服务“十五五”规划》的通知",
            '<div class="content">第一章 总体要求<br>到2030年，护理型床位占比达到60%。</div>',
            "大",  # a lone weak toolbar word is a table cell
            ">30",  # a value, not a Markdown quote
            "> 本页内容仅供参考，以[正式文件](https://example.gov.cn/a)为准。",  # an extraction note
            "> 坚持以人民为中心的发展思想。",  # a Markdown quote of text: the text stays
            "详见[附件](https://example.gov.cn/b.pdf)。&siteId=0039",
            "版权所有：某市人民政府办公室 网站标识码 2200000001",
            "相关报道：",
            "某市召开养老服务工作会议",
        ]
    )
    assert strip_debris(page).split("\n") == [
        "关于印发《某市养老服务“十五五”规划》的通知",
        "第一章 总体要求",  # <div> dropped, <br> and </div> end lines
        "到2030年，护理型床位占比达到60%。",
        "",
        "大",
        ">30",
        "坚持以人民为中心的发展思想。",
        "详见附件。",
    ]  # and the related-links footer is cut with what follows it


@pytest.mark.parametrize("path", corpus_files(CORPUS), ids=lambda p: p.name)
def test_debris_removal_changes_nothing_in_the_bundled_corpus(path: Path):
    raw = to_simplified(read_file(path)).replace("\r\n", "\n").replace("\r", "\n")
    assert strip_debris(unwrap(raw).text) == raw


def test_notice_in_a_synthetic_head():
    paragraphs = [
        "某县民政局关于印发《某县民政事业发展“十五五”规划》的通知",
        "某民发〔2026〕3号",
        "各乡（镇）人民政府：",
        "现将《某县民政事业发展“十五五”规划》印发给你们，请认真贯彻落实。",
        "一、提高认识",  # a numbered requirement inside the notice is no chapter of the plan
        "特此通知。",
        "某县民政局",
        "2026年3月1日",
        "（此件公开发布）",
        "某县民政事业发展“十五五”规划",
        "一、发展基础",
    ]
    notice = find_notice(paragraphs)
    assert notice is not None
    assert (notice.start, notice.end, notice.plan, notice.issuer, notice.date) == (
        0,
        9,
        "某县民政事业发展“十五五”规划",
        "某县民政局",
        "2026-03-01",
    )
    assert find_notice(paragraphs[9:]) is None  # no notice: the plan's title and its first heading


@pytest.mark.parametrize(
    ("file", "first_chapter", "notice_blocks"),
    [
        ("shanghai_ecospace-cityscape_plan15_2026.txt", "一、发展目标", 6),
        ("shanghai-changning_ecospace-cityscape_plan15_2026.txt", "一、发展基础", 6),
        ("shanghai-huangpu_ecospace-cityscape_plan15_2026.txt", "一、总体目标", 6),
        ("shanghai-huangpu_historic-heritage_plan14_2021.txt", "一、“十三五”发展回顾", 6),
        ("shanghai-huangpu_old-district-renewal_plan14_2021.txt", "一、“十三五”规划总体完成情况", 6),
        ("shanghai-putuo_territorial-space_plan15_2026.txt", "一、总体要求", 5),  # no 特此通知
        ("shanghai_housing_plan14_2021.txt", "一、“十三五”期间发展成果", 5),
        ("jilin_general_govreport_2026.txt", "一、工作回顾", 0),
        ("jilin-jilinshi_general_govreport_2024.txt", "一、2023年工作回顾", 0),
    ],
)
def test_the_notice_is_its_own_section_and_the_plan_begins_after_it(
    external_docs, file, first_chapter, notice_blocks
):
    doc = external_docs[file]
    root = parse_outline(doc)
    chapters = [s for s in root.children if s.kind != "notice"]
    assert chapters[0].heading == first_chapter
    notices = [s for s in root.children if s.kind == "notice"]
    assert [len(s.blocks) for s in notices] == ([notice_blocks] if notice_blocks else [])
    if notices:
        assert root.children[0] is notices[0] and notices[0].heading == "印发通知"
        first = doc.text[notices[0].blocks[0].start : notices[0].blocks[0].end]
        last = doc.text[notices[0].blocks[-1].start : notices[0].blocks[-1].end]
        assert "关于印发" in first and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", last)
        # the plan's own title follows the notice, outside it
        assert doc.text[root.blocks[0].start : root.blocks[0].end].startswith(doc.meta.title[:10])


def test_no_debris_in_any_external_file(external_docs):
    assert len(external_docs) == 9
    for name, doc in external_docs.items():
        lines = doc.text.split("\n")
        assert [ln for ln in lines if DEBRIS.search(ln)] == [], name


def test_csv_report_reads_from_its_title_to_its_last_paragraph(external_docs):
    text = external_docs["jilin_general_govreport_2026.txt"].text
    assert text.split("\n")[:4] == [
        "2026年吉林省政府工作报告",
        "——2026年1月27日在吉林省第十四届人民代表大会第五次会议上",
        "省长胡玉亭",
        "各位代表：",
    ]
    assert text.endswith("为全面建设社会主义现代化新吉林作出新的更大的贡献！")


def test_values_that_look_like_quotes_survive(external_docs):
    # the heritage plan's appendix table has targets ">2", ">3", ">50" in cells of their own
    doc = external_docs["shanghai-huangpu_historic-heritage_plan14_2021.txt"]
    cells = [c for table in doc.tables for row in table.rows for c in row if c.startswith(">")]
    assert cells == [">2", ">3", ">50"]
