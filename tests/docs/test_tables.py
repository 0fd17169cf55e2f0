"""The table model built at ingestion (rag/docs/tables.py): header, rows, caption, section,
column roles and years; the row statement answers quote."""

from __future__ import annotations

from rag.docs.ingest import clean_text
from rag.docs.tables import column_roles, row_statement
from rag.models import Document, DocMeta

PLAN = """第二章 发展目标
第一节 主要指标
“十四五”时期民政事业发展主要指标
序号\t指标\t单位\t2020年基期值\t2025年目标值\t属性
1\t城乡低保标准年度增速\t%\t—\t不低于居民上年度人均消费支出增速\t预期性
2\t公办养老机构护理型床位占比\t%\t40\t≥55\t约束性
第三章 主要任务
"""


def _doc(text: str) -> Document:
    clean, blocks = clean_text(text)
    return Document("p.txt", DocMeta(file="p.txt", title="p"), clean, blocks, "0")


def test_a_table_knows_its_header_rows_caption_section_and_years() -> None:
    doc = _doc(PLAN)
    [table] = doc.tables
    assert table.header == ["序号", "指标", "单位", "2020年基期值", "2025年目标值", "属性"]
    assert [r[1] for r in table.rows] == ["城乡低保标准年度增速", "公办养老机构护理型床位占比"]
    assert table.caption == "“十四五”时期民政事业发展主要指标"
    assert doc.text[table.caption_start :].startswith(table.caption)
    assert table.section_path == ("第二章 发展目标", "第一节 主要指标")
    assert table.years == (2020, 2025)
    assert table.is_indicator
    # each row's span is its own line of the cleaned text
    assert [doc.text[s:e].split("\t")[1] for s, e in table.row_spans] == [r[1] for r in table.rows]


def test_column_roles_and_stages() -> None:
    cols = column_roles(["序号", "类别", "指标名称", "计量单位", "2025年现状值", "2030年目标值", "指标属性", "备注"])
    assert [c.role for c in cols] == ["number", "group", "name", "unit", "value", "value", "attribute", "note"]
    assert [(c.year, c.stage) for c in cols if c.role == "value"] == [(2025, "baseline"), (2030, "target")]


def test_a_second_name_like_column_is_not_the_name() -> None:
    cols = column_roles(["序号", "指标", "项目", "单位"])
    assert [c.role for c in cols] == ["number", "name", "other", "unit"]


def test_row_statement_reads_a_row_as_a_sentence_with_units() -> None:
    [table] = _doc(PLAN).tables
    assert row_statement(table, table.rows[1]) == (
        "公办养老机构护理型床位占比：2020年基期值40%，2025年目标值≥55%（约束性）"
    )
    assert row_statement(table, table.rows[0]) == (
        "城乡低保标准年度增速：2020年基期值—，2025年目标值不低于居民上年度人均消费支出增速（预期性）"
    )


def test_a_heading_line_is_not_a_caption() -> None:
    text = "专栏1 主要指标\n序号\t指标\t单位\t目标值\n1\t覆盖率\t%\t100\n"
    [table] = _doc(text).tables
    assert table.caption == "" and table.caption_start is None
    assert table.section_path == ("专栏1 主要指标",)


def test_a_field_table_without_a_name_column_is_no_indicator_table() -> None:
    text = "索引号:\t1122/2021-00670\t分类:\t通知\n发文机关:\t吉林省民政厅\t成文日期:\t2021年02月03日\n"
    [table] = _doc(text).tables
    assert not table.is_indicator
