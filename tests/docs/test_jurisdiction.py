"""Whose document it is, from its whole body (rag/docs/jurisdiction.py): small texts for each
signal, and every development file, whose body alone must name the place its head declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.docs.ingest import ingest_file
from rag.docs.jurisdiction import (
    BodyPlace,
    approving_congress,
    body_place,
    issuing_bodies,
    place_mentions,
    self_kind,
)
from tests.conftest import CORPUS
from tests.docs.conftest import EXTERNAL

PLAN15 = Path(__file__).resolve().parents[1] / "data" / "plan15"

# 白山 is in the gazetteer as a bare 地级市 name: 白山 and 白山市 both count for 白山市
CITY_BODY = (
    "第一章 发展基础\n“十四五”时期，白山市全市地区生产总值年均增长5%。白山坚持生态立市，全市森林覆盖率达到80%。\n"
    "第二章 主要任务\n推动白山市与长春市、吉林市协同发展。全市新建公园20个，白山市城乡面貌持续改善。\n"
)


def test_the_most_named_place_with_its_suffix():
    # 白山市 4 (白山市 ×3, 白山 ×1), 长春市 1, 吉林市 1: 4 of 6 mentions
    assert place_mentions(CITY_BODY) == {"白山市": 4, "长春市": 1, "吉林市": 1}
    assert self_kind(CITY_BODY) == "市"  # 全市 ×3
    assert body_place(CITY_BODY) == BodyPlace(("白山市",), "mentions", 4 / 6)


def test_a_district_that_names_its_city_more_often_than_itself():
    """全区 ×3 and no other 全X: the body speaks as a 区, so 上海市 (4 mentions) does not stand."""
    text = "落实上海市部署，对标上海市要求，服务上海市大局，融入上海市发展。长宁区全区推进，长宁区全区落实，长宁区全区建设。\n"
    assert self_kind(text) == "区"
    assert body_place(text) == BodyPlace(("长宁区",), "mentions", 3 / 7)
    # without the 全区 the city would win: the kind is what decides
    assert body_place(text.replace("全区", "")).place == "上海市"


def test_market_and_region_are_no_places():
    assert place_mentions("吉林市场主体活跃，吉林市经济发展，黄浦区域内") == {"吉林市": 1}
    assert self_kind("全市场 全市场 全市场 全区域 全区域 全区域") is None


def test_too_few_or_tied_mentions_tell_nothing():
    assert body_place("白山市和通化市合作，白山市与通化市共建。") is None  # 2 : 2
    assert body_place("白山市合作，白山市共建。") is None  # 2 < MIN_MENTIONS


def test_the_approving_congress_wins_over_mentions():
    """The congress's place is taken even when another place is named more (长春市 ×4, 白山市 ×2)."""
    text = (
        "白山市国民经济和社会发展\n第十五个五年规划纲要\n2026年1月20日白山市第九届\n人民代表大会第五次会议批准\n"
        "长春市、长春市、长春市、长春市都市圈协同。\n"
    )
    assert approving_congress(text) == ("白山市",)
    found = body_place(text)
    assert (found.chain, found.evidence) == (("白山市",), "approval")
    assert found.share == pytest.approx(2 / 6)


def test_a_congress_or_signature_of_a_place_the_gazetteer_lacks():
    assert approving_congress("（2026年1月20日某市第十届人民代表大会第五次会议审议通过）") == ("某市",)
    assert approving_congress("经上海市长宁区第十七届人民代表大会第五次会议批准") == ("上海市", "长宁区")
    # a report given at a congress was not approved by it
    assert approving_congress("——2026年1月27日在吉林省第十四届人民代表大会第五次会议上") is None
    signed = "第一章 总体要求\n某县坚持……某县推进……某县建设……报市人民政府批准。\n某县人民政府\n2026年3月1日\n"
    assert issuing_bodies(signed) == {("某县",): 1}  # 市人民政府 inside a sentence is not the signature
    assert body_place(signed) == BodyPlace(("某县",), "issuing_body", 1.0)


def _heads_and_bodies() -> list[tuple[str, str, str]]:
    """(file, the jurisdiction its head declares, its text) of every development file."""
    files = [*sorted(EXTERNAL.glob("*.txt")), *sorted(CORPUS.glob("*.txt"))]
    files += [PLAN15 / f"{name}_general_plan15_2026.txt" for name in ("beijing", "shanghai", "guangdong-shenzhen")]
    out = []
    for path in files:
        doc = ingest_file(path)  # read without the manifest: the head's own reading
        out.append((path.name, doc.meta.jurisdiction, doc.text))
    return out


def test_every_development_body_names_the_place_its_head_declares():
    """17 files, plans, points and reports of a province, 直辖市, 地级市, 县级市 and 区: the body
    alone reads the jurisdiction the head reads (北京's head reads it since its cover's two title
    lines are joined; its body from the approval sentence)."""
    rows = _heads_and_bodies()
    assert len(rows) == 17
    assert [(f, body_place(text).place) for f, _, text in rows] == [(f, head) for f, head, _ in rows]


def test_a_place_is_given_as_the_body_writes_it_in_full():
    """The gazetteer holds 广西 (自治区); the body writes 广西壮族自治区 once and 广西 three times."""
    text = "广西壮族自治区全区推进。广西全区落实，广西全区建设，广西与云南合作。\n"
    assert place_mentions(text) == {"广西自治区": 4, "云南省": 1}
    assert body_place(text) == BodyPlace(("广西壮族自治区",), "mentions", 4 / 5)
