"""Target values and the rules comparing them: exact verdicts and rule texts on tiny inputs."""

from __future__ import annotations

import pytest

from rag.check.compare import (
    Bound,
    SentenceIndex,
    compare_bounds,
    containment,
    dice,
    direction,
    fold,
    parse_bound,
    sentence_spans,
    show,
    text_key,
    unit_base,
)
from rag.docs.ingest import clean_text
from rag.models import DocMeta, Document


@pytest.mark.parametrize(
    ("cell", "unit", "expected"),
    [
        ("≥55", "%", Bound(">=", 55.0, True, "≥55")),
        (">30", "平方米", Bound(">", 30.0, False, ">30")),
        ("＞30", "平方米", Bound(">", 30.0, False, "＞30")),  # full-width, as in the Shulan table
        ("不低于50%", "", Bound(">=", 50.0, True, "不低于50%")),
        ("90%以上", "", Bound(">=", 90.0, True, "90%以上")),
        ("超过300", "个", Bound(">", 300.0, False, "超过300")),
        ("不超过2%", "", Bound("<=", 2.0, True, "不超过2%")),
        ("5以下", "%", Bound("<=", 5.0, True, "5以下")),
        ("2万", "人", Bound("=", 20000.0, False, "2万")),
        ("１００", "%", Bound("=", 100.0, True, "１００")),
        ("全覆盖", "", Bound(">=", 100.0, True, "全覆盖")),
        ("50-60", "%", Bound("range", 50.0, True, "50-60", high=60.0)),
        (
            "不低于居民上年度人均消费支出增速",
            "%",
            Bound("text", None, True, "不低于居民上年度人均消费支出增速"),
        ),
    ],
)
def test_parse_bound(cell, unit, expected):
    assert parse_bound(cell, unit) == expected


def test_units_and_names_fold_alike():
    assert fold("乡镇（街道）＞３０") == "乡镇(街道)>30"
    assert text_key("乡镇（街道）未成年人保护工作站覆盖率") == text_key("乡镇(街道)未成年人保护工作站覆盖率")
    assert text_key("2022年底实现全省街道全覆盖") == text_key("2022年底实现全市街道全覆盖")
    assert unit_base("万人") == ("人", 10000.0)
    assert unit_base("％") == ("%", 1.0)
    assert unit_base("平方米") == ("平方米", 1.0)  # 平 is not a multiplier
    # Dice of bigrams: 困难残疾人生活补贴覆盖率 / 重度残疾人护理补贴覆盖率 share 残疾, 疾人, 补贴, 贴覆, 覆盖, 盖率
    # out of 11 + 11 bigrams: 2 * 6 / 22
    assert dice("困难残疾人生活补贴覆盖率", "重度残疾人护理补贴覆盖率") == pytest.approx(12 / 22)
    assert containment("护理型床位占比", "公办养老机构护理型床位占比") == 1.0


@pytest.mark.parametrize(
    ("name", "cell", "sign", "rule"),
    [
        ("乡镇(街道)未成年人保护工作站覆盖率", "50", 1, "比例/覆盖率类：数值越高越严格"),
        ("全省平均火化率", "90", 1, "比例/覆盖率类：数值越高越严格"),
        ("每百户居民拥有的城乡社区综合服务设施面积", ">30", 1, "人均/每百户类：数值越高越严格"),
        ("农村互助养老站点", "300", 1, "数量类：数值越高越严格"),
        ("购买服务总额占比", "≤2", -1, "上限类目标（≤、不超过、以下）：数值越低越严格"),
        ("养老机构安全事故发生率", "1", -1, "越低越好的指标（发生率、时限等）：数值越低越严格"),
    ],
)
def test_direction(name, cell, sign, rule):
    assert direction(name, parse_bound(cell)) == (sign, rule)


def _cmp(name, p, pu, c, cu, cross=True):
    return compare_bounds(name, parse_bound(p, pu), pu, parse_bound(c, cu), cu, cross)


def test_rates_higher_is_stricter():
    assert _cmp("工作站覆盖率", "50", "%", "100", "%") == (
        "stricter",
        "比例/覆盖率类：数值越高越严格（省 50%，县 100%）",
    )
    assert _cmp("工作站覆盖率", "50", "%", "40", "%")[0] == "weaker"
    assert _cmp("护理型床位占比", "≥55", "%", "55", "%")[0] == "same"  # a plain table value is a floor
    area = "每百户居民拥有的城乡社区综合服务设施面积"
    assert _cmp(area, ">30", "平方米", "＞30", "平方米")[0] == "same"
    assert _cmp(area, "≥30", "平方米", ">30", "平方米") == (
        "stricter",
        "人均/每百户类：数值越高越严格；数值相同，“>”“<”比“≥”“≤”更严格（省 ≥30平方米，县 >30平方米）",
    )


def test_ceilings_lower_is_stricter():
    assert _cmp("购买服务总额占比", "≤2", "%", "≤1", "%")[0] == "stricter"
    assert _cmp("购买服务总额占比", "不超过2%", "", "不超过3%", "")[0] == "weaker"
    assert _cmp("占比", "≥2", "%", "≤2", "%")[0] == "not_comparable"  # a floor against a ceiling


def test_totals_across_levels_are_not_comparable():
    verdict, rule = _cmp("福利彩票销售网点数", "0.35", "万个", "10", "个")
    assert verdict == "not_comparable"
    assert (
        rule
        == "总量类指标：县级数值是本地总量，省级数值是全省总量，不可直接比较（单位 万个 vs 个；省 0.35万个，县 10个）"
    )
    # the same count in the same unit is still a county total against a provincial one
    assert _cmp("农村互助养老站点", "超过300", "个", "超过10", "个")[0] == "not_comparable"
    # between plans of one level the units convert: 0.35万个 = 3500 个 < 3600 个
    assert _cmp("福利彩票销售网点数", "0.35", "万个", "3600", "个", cross=False)[0] == "stricter"
    assert _cmp("福利彩票销售网点数", "0.35", "万个", "3500", "个", cross=False)[0] == "same"


def test_different_units_and_text():
    assert _cmp("覆盖率", "60", "%", "60", "个")[0] == "not_comparable"
    text = "不低于居民上年度人均消费支出增速"
    assert _cmp("城乡低保标准年度增速", text, "%", text, "%") == (
        "same",
        f"文字目标，按原文比较：表述一致（{text}）",
    )
    assert _cmp("城乡低保标准年度增速", text, "%", "不低于5", "%")[0] == "not_comparable"


def test_show_keeps_units_once():
    assert show(parse_bound("≥55", "%"), "%") == "≥55%"
    assert show(parse_bound("90%以上"), "%") == "90%以上"
    assert show(parse_bound("0.35", "万个"), "万个") == "0.35万个"


def _doc(raw: str) -> Document:
    text, blocks = clean_text(raw)
    return Document("t.txt", DocMeta(file="t.txt", title="t"), text, blocks, "0")


def test_sentence_index_finds_a_trimmed_sentence():
    doc = _doc("短句。加强社区养老服务设施建设，推动构建城市地区15分钟居家养老服务圈。\n另一段，与此无关。")
    index = SentenceIndex(doc, [(b.start, b.end) for b in doc.blocks])
    assert [doc.text[a:b] for a, b in sentence_spans(doc.text)] == [  # "短句。": under 4 characters
        "加强社区养老服务设施建设，推动构建城市地区15分钟居家养老服务圈。",
        "另一段，与此无关。",
    ]
    share, sentence = index.best("推动构建城市地区15分钟居家养老服务圈")
    assert share == 1.0 and sentence is not None
    assert doc.text[sentence.start : sentence.end].startswith("加强社区养老")
    assert index.best("完全不同的文字内容")[0] < 0.2
