"""Indicator names read for what they mean: stems, measures, increments, units in names, similarity."""

from __future__ import annotations

from rag.check.names import Name, meaning, name_similarity, strip_name


def test_strip_name_takes_off_footnotes_and_a_unit_in_brackets():
    assert strip_name("森林覆盖率*") == ("森林覆盖率", "")
    assert strip_name("养老机构护理型床位占比（%）") == ("养老机构护理型床位占比", "%")
    assert strip_name("每千人口养老床位数(张)") == ("每千人口养老床位数", "张")
    assert strip_name("城市生物多样性指数（鸟类）") == ("城市生物多样性指数(鸟类)", "")  # not a unit


def test_meaning_splits_stem_measure_and_flags():
    assert meaning("森林覆盖率*") == Name("森林", "rate", False, False, "")
    assert meaning("新增“美丽街区”提升建设数量") == Name("美丽街区提升建设", "count", True, False, "")
    assert meaning("人均公园绿地面积") == Name("人均公园绿地", "area", False, True, "")
    assert meaning("新增绿道") == Name("绿道", "", True, False, "")
    # 的, 能力 and 达 before a figure are filler; 3~5 and 3～5 read alike
    assert meaning("城镇雨水排水达3～5年一遇能力的面积占比").stem == "城镇雨水排水35年一遇面积"


def test_similar_names_pair():
    # the example of the issue: one stem inside the other (the shorter's 13 bigrams all in the longer)
    assert (
        name_similarity("中心城城镇雨水排水能力达3~5年一遇面积占比", "城镇雨水排水达3～5年一遇能力的面积占比")
        == 1.0
    )
    assert name_similarity("公园数量", "公园总量") == 1.0  # stem 公园, both counts
    assert name_similarity("绿道长度", "新增绿道") == 1.0  # a measure against none
    assert (
        name_similarity(
            "核心区域、重要区域和重要单体建（构）筑物的景观照明集中控制纳控率", "景观照明集中控制纳控率"
        )
        == 1.0
    )
    # 美丽街区提升和新建 vs 美丽街区提升建设: 5 shared bigrams of 8 and 7 → 10 / 15 = 0.667
    assert round(name_similarity("“美丽街区”提升和新建数量", "新增“美丽街区”提升建设数量"), 3) == 0.667


def test_different_indicators_with_a_shared_tail_do_not():
    assert name_similarity("森林覆盖率*", "绿化覆盖率") == 0.0  # stems 森林 and 绿化
    assert name_similarity("人均公园绿地面积", "公园绿地面积") == 0.0  # per capita against a total
    assert name_similarity("公园数量", "公园绿地面积") == 0.0  # a count against an area
    # 困难残疾人生活补贴 vs 重度残疾人护理补贴: 3 shared bigrams of 8 and 8 → 6 / 16
    assert name_similarity("困难残疾人生活补贴覆盖率", "重度残疾人护理补贴覆盖率") == 0.375
    # 生活垃圾资源化 vs 生活垃圾回收: 3 of 6 and 5 → 6 / 11 = 0.545, under the 0.6 that pairs the mutually closest
    assert round(name_similarity("生活垃圾资源化利用率", "生活垃圾回收利用率"), 3) == 0.545
    # a short stem inside a longer one is not enough: 公园 in 口袋公园 (2 characters < 4)
    assert name_similarity("口袋公园数量", "公园数量") < 0.6
