"""Numeric targets in the body text: extraction, pairing by topic, deadlines, conflicts with the table."""

from __future__ import annotations

from rag.check.compliance import indicator_rows
from rag.check.targets import body_targets, compare_pair, compare_text_targets, table_conflicts
from rag.docs.ingest import clean_text
from rag.docs.outline import parse_outline
from rag.models import DocMeta, Document


def _doc(raw: str, level: str = "county") -> Document:
    text, blocks = clean_text(raw)
    return Document("t.txt", DocMeta(file="t.txt", title="t", level=level), text, blocks, "0")  # type: ignore[arg-type]


def _targets(raw: str):
    doc = _doc(raw)
    return body_targets(doc, parse_outline(doc))


def test_targets_deadlines_and_topics():
    found = _targets(
        "第一节 养老服务\n"
        "不断增加公办养老机构护理型床位数量，到2022年底护理型床位占比不低于50%，到2025年底护理型床位占比不低于60%。"
        "推进乡镇（街道）社工站设立工作，力争2024年实现全覆盖；积极推进村（居）社工点（室）建设，力争2025年达到60%。"
        "到2025年底，养老护理员培训人数不少于5万人次。"
    )
    assert [(t.topic, t.value, t.deadline, t.deadline_text) for t in found] == [
        ("护理型床位占比", "不低于50%", 2022, "2022年底"),
        ("护理型床位占比", "不低于60%", 2025, "2025年底"),
        (
            "推进乡镇（街道）社工站设立工作",
            "全覆盖",
            2024,
            "2024年",
        ),  # short clause: topic from the first clause
        ("积极推进村（居）社工点（室）建设", "达到60%", 2025, "2025年"),
        ("养老护理员培训人数", "不少于5万人次", 2025, "2025年底"),  # deadline from the clause before
    ]
    assert (found[4].bound.value, found[4].unit) == (50000.0, "人次")


def test_background_status_and_bracketed_figures_are_not_targets():
    found = _targets(
        "第一节 “十三五”时期取得的成就\n火化率达到84%，比全国平均水平高32个百分点。\n"
        "第二节 发展目标\n全省现有儿童之家5864个，覆盖全省村（居）约50%。"
        "取得国家社会工作者职业资格证书的达到2万人以上（其中社区工作人员达到1.3万人）。"
        "拨打12345热线，15分钟内响应。"
    )
    assert [(t.topic, t.value, t.bound.value) for t in found] == [
        ("取得国家社会工作者职业资格证书", "达到2万人以上", 20000.0)
    ]


def test_deadline_decides_when_values_are_equal():
    p, c = (
        _targets("第一节 社工\n推进乡镇（街道）社工站设立工作，力争2024年实现全覆盖。"),
        _targets("第一节 社工\n推进乡镇（街道）社工站设立工作，力争2023年实现全覆盖。"),
    )
    verdict, rule = compare_pair(p[0], c[0])
    assert verdict == "stricter" and rule.startswith("期限：省 2024年，县 2023年，越早越严格")
    assert compare_pair(c[0], p[0])[0] == "weaker"
    later_but_higher = _targets("第一节 x\n到2026年护理型床位占比不低于70%。")
    earlier = _targets("第一节 x\n到2025年护理型床位占比不低于60%。")
    assert compare_pair(earlier[0], later_but_higher[0])[0] == "not_comparable"


def test_a_plan_contradicting_its_own_table():
    doc = _doc(
        "第一节 指标\n序号\t指标\t单位\t2025年目标值\t属性\n11\t乡镇(街道)未成年人保护工作站覆盖率\t%\t50\t预期性\n"
        "14\t公办养老机构护理型床位占比\t%\t≥55\t约束性\n"
        "第二节 养老\n到2022年底护理型床位占比不低于50%，到2025年底护理型床位占比不低于60%。"
        "到2025年底，养老护理员培训人数不少于5万人次。建设不少于100个社区老年食堂，乡镇（街道）覆盖率不低于20%。"
    )
    targets = body_targets(doc, parse_outline(doc))
    assert targets[-1].topic == "乡镇（街道）覆盖率"  # too general to be row 11 (5 of its 6 bigrams are there)
    conflicts = table_conflicts(targets, indicator_rows(doc), "省级规划")
    # the 2022 figure is for another year; the training count and the canteens are other indicators
    assert conflicts == {
        1: ["省级规划正文“2025年底护理型床位占比不低于60%”与其指标表“公办养老机构护理型床位占比：≥55%”不一致"]
    }


def test_real_pair_text_targets(shulan_check):
    found = {(f.topic, f.province.deadline if f.province else None): f for f in shulan_check.text_targets}
    beds_2025 = found[("护理型床位占比", "2025年底")]
    assert beds_2025.verdict == "same" and beds_2025.county and beds_2025.county.value == "不低于60%"
    assert beds_2025.conflicts == [  # both plans say 60% in the text and ≥55% in the table
        "省级规划正文“2025年底护理型床位占比不低于60%”与其指标表“公办养老机构护理型床位占比：≥55%”不一致",
        "县级规划正文“2025年底护理型床位占比不低于60%”与其指标表“公办养老机构护理型床位占比：≥55%”不一致",
    ]
    assert found[("护理型床位占比", "2022年底")].conflicts == []
    station = found[("推进乡镇（街道）社工站设立工作", "2024年")]
    assert station.verdict == "stricter" and station.county and station.county.deadline == "2023年"
    assert station.evidence.county and "力争2023年实现全覆盖" in station.evidence.county.text
    points = found[("农村互助养老站点", "2025年")]
    assert points.verdict == "not_comparable" and "县级数值是本地总量" in points.rule  # 超过300个 vs 超过10个
    rescue = found[("新建或改扩建救助管理机构", "“十四五”期间")]
    assert rescue.verdict == "missing" and rescue.rule.endswith("有相近表述，但没有写明数字或期限")
    assert rescue.evidence.county and "救助管理" in rescue.evidence.county.text
    assert shulan_check.summary.text_targets == {
        "same": 10,
        "stricter": 1,
        "not_comparable": 2,
        "missing": 45,
        "added": 20,
    }


def test_same_plan_against_itself_is_all_same(corpus_docs):
    from tests.conftest import SHULAN_PLAN

    doc = corpus_docs[SHULAN_PLAN]
    root = parse_outline(doc)
    found = compare_text_targets(
        doc, doc, root, root, indicator_rows(doc), indicator_rows(doc), cross_level=False
    )
    assert {f.verdict for f in found} == {"same"}
