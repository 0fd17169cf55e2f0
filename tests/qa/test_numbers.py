"""Number normalisation: the answer's figures must be the passage's figures."""

from __future__ import annotations

import pytest

from rag.qa.numbers import cn_to_int, quantities, unsupported


def values(text: str) -> list[tuple[float, bool]]:
    return [(q.value, q.percent) for q in quantities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("护理型床位占比不低于55%", [(55.0, True)]),
        ("占比不低于５５％", [(55.0, True)]),  # full-width digits and percent sign
        ("持证社工达到2万人以上", [(20000.0, False)]),
        ("销售网点0.35万个", [(3500.0, False)]),
        ("总量2.0万人", [(20000.0, False)]),
        ("资金1695余万元", [(16950000.0, False)]),
        ("目标值：≥55", [(55.0, False)]),
        ("比全国平均水平高32个百分点", [(32.0, True)]),
        ("落实“七个帮扶”政策", [(7.0, False)]),
        ("“十四五”期间建成两项补贴制度", [(2.0, False)]),  # 十四五 is a plan name, not 14 or 145
        ("每生3000元", [(3000.0, False)]),
        ("1,200名", [(1200.0, False)]),
    ],
)
def test_quantities(text: str, expected: list[tuple[float, bool]]) -> None:
    assert values(text) == expected


def test_chinese_numerals() -> None:
    assert [cn_to_int(s) for s in ["一", "十", "十二", "二十", "一百零五", "三千", "二〇二五"]] == [
        1, 10, 12, 20, 105, 3000, 2025
    ]
    assert cn_to_int("十四五x") is None


def test_unsupported_numbers_are_found() -> None:
    source = "到2025年底，全省失智老年人照护床位数不少于5000张。"
    assert unsupported("到2025年底失智照护床位不少于5000张。", [source]) == []
    assert unsupported("到2025年底失智照护床位不少于５０００张。", [source]) == []
    bad = unsupported("到2025年底失智照护床位不少于6000张。", [source])
    assert [q.value for q in bad] == [6000.0]


def test_two_wan_is_twenty_thousand() -> None:
    assert unsupported("持证社工2万人", ["持证社工达到20000人"]) == []
    assert unsupported("持证社工20000人", ["持证社工达到2万人以上"]) == []


def test_percent_needs_a_percent_in_the_source() -> None:
    # 55 stated as a count does not support 55%; a table row with a % unit does.
    assert [q.text for q in unsupported("占比55%", ["新建55张床位"])] == ["55%"]
    assert unsupported("占比≥55%", ["指标：公办养老机构护理型床位占比；单位：%；2025年目标值：≥55"]) == []


