"""Metadata inferred from the text alone (rag/docs/meta.py): every external file, as
evals/external/sources.md describes it, and small inputs for each rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.docs.ingest import ingest_corpus, ingest_file
from rag.docs.meta import infer_meta, link_implements, places_at_start, plan_period, resolve_implements
from rag.docs.places import place_level, province_name
from rag.models import DocMeta
from tests.conftest import CORPUS
from tests.conftest import SAMPLE_BODY as BODY
from tests.conftest import SAMPLE_HEADING as HEADING
from tests.docs.conftest import EXTERNAL

CITY_PLAN = "shanghai_ecospace-cityscape_plan15_2026.txt"
CITY_TITLE = "上海市生态空间建设和市容环境优化“十五五”规划"
FIELDS = ("title", "issuer", "doc_number", "date", "jurisdiction", "level", "parent_jurisdiction", "kind", "period")

# What sources.md says each file is. Where the text says more than sources.md, the text is
# followed: dates are the notice's 落款 (the housing plan's is 2021-07-26; its web page was
# published 07-28), issuers the signature line above it (普陀: 人民政府办公室, the page says
# 人民政府). The 2024 report has no title line: its title is built from what it says (我代表
# 市政府 … 吉林市, 2024年工作安排), and it is dated by its year.
EXPECTED = {
    CITY_PLAN: (CITY_TITLE, "上海市绿化和市容管理局", "沪绿容〔2026〕102号", "2026-07-30",
                "上海市", "province", None, "five_year_plan", "2026-2030"),
    "shanghai-changning_ecospace-cityscape_plan15_2026.txt": (
        "长宁区生态空间建设和市容环境优化“十五五”规划", "上海市长宁区绿化和市容管理局",
        "长绿容发〔2026〕34号", "2026-08-20", "长宁区", "county", "上海市", "five_year_plan", "2026-2030"),
    "shanghai-huangpu_ecospace-cityscape_plan15_2026.txt": (
        "黄浦区生态空间建设和市容环境优化“十五五”规划", "上海市黄浦区人民政府办公室",
        "黄府办发〔2026〕29号", "2026-08-26", "黄浦区", "county", "上海市", "five_year_plan", "2026-2030"),
    "shanghai_housing_plan14_2021.txt": (
        "上海市住房发展“十四五”规划", "上海市人民政府办公厅", "沪府办发〔2021〕19号", "2021-07-26",
        "上海市", "province", None, "five_year_plan", "2021-2025"),
    "shanghai-huangpu_old-district-renewal_plan14_2021.txt": (
        "黄浦区旧区改造和重大项目“十四五”规划", "上海市黄浦区人民政府办公室", "黄府办发〔2021〕23号",
        "2021-06-30", "黄浦区", "county", "上海市", "five_year_plan", "2021-2025"),
    "shanghai-huangpu_historic-heritage_plan14_2021.txt": (
        "黄浦区历史风貌保护和利用“十四五”规划", "上海市黄浦区人民政府办公室", "黄府办发〔2021〕28号",
        "2021-07-20", "黄浦区", "county", "上海市", "five_year_plan", "2021-2025"),
    "shanghai-putuo_territorial-space_plan15_2026.txt": (
        "普陀区国土空间近期规划（2026-2030年）", "上海市普陀区人民政府办公室", "普府办〔2026〕14号",
        "2026-08-20", "普陀区", "county", "上海市", "five_year_plan", "2026-2030"),
    "jilin-jilinshi_general_govreport_2024.txt": (
        "吉林市2024年政府工作报告", "吉林市人民政府", None, "2024", "吉林市", "city", "吉林省",
        "work_report", "2024"),
    "jilin_general_govreport_2026.txt": (
        "2026年吉林省政府工作报告", "吉林省人民政府", None, "2026-01-27", "吉林省", "province", None,
        "work_report", "2026"),
}


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_external_file_metadata(external_docs, file):
    meta = external_docs[file].meta
    assert tuple(getattr(meta, f) for f in FIELDS) == EXPECTED[file]
    assert meta.inferred is True


def test_every_external_file_is_described():
    assert sorted(p.name for p in EXTERNAL.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize(
    ("file", "implements_title", "implements"),
    [
        ("shanghai-changning_ecospace-cityscape_plan15_2026.txt", CITY_TITLE, CITY_PLAN),
        ("shanghai-huangpu_ecospace-cityscape_plan15_2026.txt", CITY_TITLE, CITY_PLAN),
        # cites only the city's own 国民经济…纲要: no higher plan
        (CITY_PLAN, None, None),
        ("shanghai_housing_plan14_2021.txt", None, None),
        # takes up the housing plan's targets without citing it; cites the district's own 纲要
        ("shanghai-huangpu_old-district-renewal_plan14_2021.txt", None, None),
        ("shanghai-huangpu_historic-heritage_plan14_2021.txt", None, None),
        ("shanghai-putuo_territorial-space_plan15_2026.txt", None, None),  # 落实区委区政府…: nothing quoted
        ("jilin-jilinshi_general_govreport_2024.txt", None, None),
        ("jilin_general_govreport_2026.txt", None, None),
    ],
)
def test_implements_the_quoted_higher_plan(external_docs, file, implements_title, implements):
    meta = external_docs[file].meta
    assert (meta.implements_title, meta.implements) == (implements_title, implements)


def test_implements_stays_a_title_when_the_corpus_lacks_the_plan(tmp_path: Path):
    name = "shanghai-changning_ecospace-cityscape_plan15_2026.txt"
    (tmp_path / name).write_bytes((EXTERNAL / name).read_bytes())
    (meta,) = [d.meta for d in ingest_corpus(tmp_path)]
    assert (meta.implements_title, meta.implements) == (CITY_TITLE, None)


def test_bundled_corpus_keeps_its_manifest(corpus_docs):
    shulan = corpus_docs["shulan_city_14th_fyp_2021.txt"].meta
    assert shulan.inferred is False
    assert (shulan.implements, shulan.implements_title) == ("jilin_province_14th_fyp_2021.txt", None)


def test_inference_agrees_with_the_bundled_manifest(corpus_docs):
    """Read without their manifest, the five corpus files get its values (the manifest leaves
    some fields out: the 2025 points have no 文号 line, the province plan no parent)."""
    fields = ("title", "issuer", "date", "jurisdiction", "level", "kind", "period")
    for file, doc in corpus_docs.items():
        inferred = infer_meta(file, doc.text)
        assert [getattr(inferred, f) for f in fields] == [getattr(doc.meta, f) for f in fields], file
    shulan = infer_meta("shulan.txt", corpus_docs["shulan_city_14th_fyp_2021.txt"].text)
    assert shulan.implements_title == "吉林省民政事业发展“十四五”规划"  # not the national plan it also cites
    metas = link_implements([*(d.meta for d in corpus_docs.values()), shulan])
    assert metas[-1].implements == "jilin_province_14th_fyp_2021.txt"


def test_a_text_with_no_head_is_named_after_its_file(tmp_path: Path):
    path = tmp_path / "某地养老材料.txt"
    path.write_text(f"{HEADING}\n{BODY}\n", encoding="utf-8")
    meta = ingest_file(path).meta
    assert (meta.title, meta.kind, meta.jurisdiction, meta.level, meta.date) == ("某地养老材料", "other", None, None, None)


def test_front_matter_fills_what_the_text_does_not_say(tmp_path: Path):
    path = tmp_path / "plan.md"
    path.write_text(
        "---\n标题: 城市更新行动方案\n文号: 某府办发 [2026] 7号\n发布单位: 某市人民政府办公室\n"
        f"发布日期: 2026-03-05\n层级: 市级\n---\n\n# 城市更新行动方案\n\n{HEADING}\n\n{BODY}\n",
        encoding="utf-8",
    )
    meta = ingest_file(path).meta
    assert (meta.title, meta.doc_number, meta.issuer, meta.date) == (
        "城市更新行动方案",
        "某府办发〔2026〕7号",
        "某市人民政府办公室",
        "2026-03-05",
    )
    # 城市 names no place; the issuer is not a known place either ("某市" is kept as a name)
    assert (meta.jurisdiction, meta.level, meta.kind) == ("某市", "city", "other")


def test_period_from_the_preamble_when_the_title_has_none():
    text = "某县养老服务体系建设规划\n“十五五”时期是……的关键五年。为做好“十五五”养老服务，对接“十四五”成果，制定本规划。\n一、总体要求\n"
    meta = infer_meta("x.txt", text)
    assert (meta.title, meta.period, meta.kind, meta.level) == ("某县养老服务体系建设规划", "2026-2030", "five_year_plan", "county")
    assert plan_period("吉林省民政事业发展“十四五”规划") == "2021-2025"
    assert plan_period("普陀区国土空间近期规划（2026-2030年）") == "2026-2030"
    assert plan_period("某县养老服务体系建设规划", "“十四五”回顾……“十五五”目标") is None  # undecided


def test_period_of_a_title_that_writes_the_plan_number_out():
    """第十五个五年规划 is the 十五五 plan, whatever its preamble reviews: 深圳's preamble names the
    十四五 five times and the 十五五 four, and the vote over it used to make the 纲要 a 十四五 plan."""
    reviewed = "“十四五”时期成就……“十四五”……“十四五”……“十五五”时期"
    assert plan_period("深圳市国民经济和社会发展第十五个五年规划纲要", reviewed) == "2026-2030"
    assert plan_period("国民经济和社会发展第十一个五年规划纲要") == "2006-2010"
    assert plan_period("某市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要") == "2021-2025"
    # the written-out form counts in a preamble too: 第十五个五年 twice against “十四五” once
    assert plan_period("某市规划纲要", "落实《第十五个五年规划建议》……“十四五”回顾……第十五个五年") == "2026-2030"


@pytest.mark.parametrize(
    ("name", "places", "level", "province"),
    [
        ("上海市长宁区绿化和市容管理局", ["上海市", "长宁区"], "county", "上海市"),  # the gazetteer knows 长宁区
        ("北京市朝阳区发展规划", ["北京市", "朝阳区"], "county", None),
        ("重庆市城市更新规划", ["重庆市"], "province", None),
        ("吉林市2024年政府工作报告", ["吉林市"], "city", "吉林省"),
        ("舒兰市民政事业发展“十四五”规划", ["舒兰市"], "county", "吉林省"),  # a 县级市 under 吉林市
        ("2026年吉林省政府工作报告", ["吉林省"], "province", None),
        ("黄浦区旧区改造和重大项目“十四五”规划", ["黄浦区"], "county", "上海市"),  # 旧区 is no place
        ("中共黄浦区委关于制定…的建议", ["黄浦区"], "county", "上海市"),
        ("城市更新行动方案", [], None, None),
        ("2021年全省民政工作要点", [], None, None),
    ],
)
def test_places_and_levels(name, places, level, province):
    assert places_at_start(name) == places
    if places:
        assert (place_level(places[-1]), province_name(places[-1])) == (level, province)


def test_resolve_implements_by_title():
    metas = [
        DocMeta(file="city.txt", title=CITY_TITLE),
        DocMeta(file="housing.txt", title="上海市住房发展“十四五”规划"),
    ]
    assert resolve_implements("《上海市生态空间建设和市容环境优化十五五规划》", metas) == "city.txt"
    assert resolve_implements("上海市生态空间建设和市容环境优化规划", metas) == "city.txt"  # near enough
    assert resolve_implements("上海市国民经济和社会发展第十五个五年规划纲要", metas) is None


def test_manifest_corpus_is_not_relinked(corpus_docs):
    assert CORPUS.joinpath("manifest.json").exists()
    before = [d.meta for d in corpus_docs.values()]
    assert link_implements(before) == before


def test_the_gazetteer_holds_every_province_city_and_unambiguous_county() -> None:
    """rag/data/places.txt: hand-written lines, then every division from the national table."""
    from rag.docs.places import find_place, gazetteer

    table = gazetteer()
    assert len(table) > 2500
    assert find_place("黄浦区") == ("上海", "区") and find_place("长宁区") == ("上海", "区")
    assert find_place("南京") == ("江苏", "地级市") and find_place("吉林市") == ("吉林", "地级市")
    assert find_place("舒兰") == ("吉林", "县级市")  # a hand-written bare name stays
    assert "朝阳区" not in table  # in 北京 and in 吉林: which one a question means is unknown
    assert not {"东区", "城区", "新县", "市南区"} & set(table)  # too plain to tell from words


# ---------------------------------------------------------------------------
# Heads the body completes (rag/docs/jurisdiction.py; the place signals are tested there)

PLAN15 = Path(__file__).resolve().parents[1] / "data" / "plan15"
# a body that names 白山市 four times of six place mentions and speaks of itself as 全市
CITY_BODY = (
    "第一章 发展基础\n“十四五”时期，白山市全市地区生产总值年均增长5%。白山坚持生态立市，全市森林覆盖率达到80%。\n"
    "第二章 主要任务\n推动白山市与长春市、吉林市协同发展。全市新建公园20个，白山市城乡面貌持续改善。\n"
)


def _how(meta: DocMeta) -> dict[str, str]:
    return {k: f"{v.source}:{v.evidence}" for k, v in meta.provenance.items()}


def test_a_title_without_its_place_gets_the_place_the_body_names():
    meta = infer_meta("x.txt", "第十五个五年规划纲要\n" + CITY_BODY)
    assert (meta.title, meta.jurisdiction, meta.level, meta.parent_jurisdiction, meta.period, meta.kind) == (
        "白山市第十五个五年规划纲要", "白山市", "city", "吉林省", "2026-2030", "five_year_plan"
    )
    assert _how(meta) == {
        "title": "inferred:prefixed", "jurisdiction": "inferred:mentions", "level": "inferred:mentions",
        "parent_jurisdiction": "inferred:mentions", "period": "declared:title",
    }
    assert meta.provenance["jurisdiction"].share == pytest.approx(0.667)  # 4 of 6, rounded


def test_the_completed_title_is_the_bodys_own_full_name_of_the_same_period():
    """The approval sentence gives the place (某市: no gazetteer place, so no mention count
    could); the body quotes the plan's full name, with 和二〇三五年远景目标 in it, once, and the
    十四五 纲要 twice: the quoted 十四五 name holds the title's characters in order too
    (第十…五…个五年规划…纲要), but it is of another period."""
    text = (
        "国民经济和社会发展第十五个五年规划纲要\n（2026年1月20日某市第十届人民代表大会第五次会议批准）\n"
        "《某市国民经济和社会发展第十五个五年规划和二〇三五年远景目标纲要》根据……编制，与"
        "《某市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》衔接，总结"
        "《某市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》实施情况。\n"
        "第一章 发展基础\n“十四五”时期，全市经济稳步增长。\n"
    )
    meta = infer_meta("x.txt", text)
    assert (meta.title, meta.jurisdiction, meta.level, meta.period) == (
        "某市国民经济和社会发展第十五个五年规划和二〇三五年远景目标纲要", "某市", "city", "2026-2030"
    )
    assert _how(meta)["title"] == "inferred:body_title" and _how(meta)["jurisdiction"] == "inferred:approval"


def test_what_the_head_declares_is_not_overridden_by_the_body():
    # the title names 通化市: the body's 白山市 is not taken, nor the title completed
    meta = infer_meta("x.txt", "通化市养老服务体系建设规划\n" + CITY_BODY)
    assert (meta.title, meta.jurisdiction, _how(meta)["jurisdiction"]) == ("通化市养老服务体系建设规划", "通化市", "declared:title")
    # a wrapper's province column: the body's city in it is more precise; one elsewhere is not taken
    meta = infer_meta("x.txt", CITY_BODY, {"province": "吉林"})
    assert (meta.jurisdiction, _how(meta)["jurisdiction"]) == ("白山市", "inferred:mentions")
    meta = infer_meta("x.txt", CITY_BODY, {"province": "广东"})
    assert (meta.jurisdiction, _how(meta)["jurisdiction"]) == ("广东", "declared:wrapper")


def test_a_cover_title_broken_over_two_lines_is_one_title():
    text = "白山市国民经济和社会发展\n第十五个五年规划纲要\n（2026年1月20日白山市第九届人民代表大会第五次会议批准）\n" + CITY_BODY
    meta = infer_meta("x.txt", text)
    assert (meta.title, _how(meta)["title"], _how(meta)["jurisdiction"]) == (
        "白山市国民经济和社会发展第十五个五年规划纲要", "declared:title", "declared:title"
    )
    # an organ's line above a title is its issuer, not the start of its name
    meta = infer_meta("x.txt", "白山市民政局文件\n养老服务体系建设规划\n" + CITY_BODY)
    assert meta.title == "白山市养老服务体系建设规划"  # completed from the body, not joined


def test_beijing_plan15_reads_its_place_from_its_cover_and_from_its_body():
    """北京's 纲要 opens with its title broken over two lines and the approval sentence (the parse
    gave "第十五个五年规划纲要" and no place); with the first line cut off, as a web page that kept
    only the second would have it, the body alone gives the place and the full name."""
    doc = ingest_file(PLAN15 / "beijing_general_plan15_2026.txt")
    meta = doc.meta
    full = "北京市国民经济和社会发展第十五个五年规划纲要"
    assert (meta.title, meta.jurisdiction, meta.level, meta.period, meta.kind) == (
        full, "北京市", "province", "2026-2030", "five_year_plan"  # a 直辖市 is province level, as 上海市
    )
    assert _how(meta)["title"] == "declared:title" and _how(meta)["jurisdiction"] == "declared:title"
    cut = infer_meta("b.txt", doc.text.split("\n", 1)[1])
    assert (cut.title, cut.jurisdiction, cut.level, cut.period) == (full, "北京市", "province", "2026-2030")
    assert _how(cut)["title"] == "inferred:body_title" and _how(cut)["jurisdiction"] == "inferred:approval"
    assert 0.5 < cut.provenance["jurisdiction"].share < 1


def test_shenzhen_plan15_is_the_2026_2030_plan():
    meta = ingest_file(PLAN15 / "guangdong-shenzhen_general_plan15_2026.txt").meta
    assert (meta.title, meta.jurisdiction, meta.level, meta.parent_jurisdiction, meta.period) == (
        "深圳市国民经济和社会发展第十五个五年规划纲要", "深圳市", "city", "广东省", "2026-2030"
    )


def test_a_manifest_entry_without_provenance_loads():
    meta = DocMeta.model_validate({"file": "a.txt", "title": "某规划", "jurisdiction": "吉林省"})
    assert meta.provenance == {}
    assert DocMeta.model_validate(meta.model_dump()) == meta
