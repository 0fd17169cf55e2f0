"""Which documents a question names, and what the corpus cannot answer."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from rag.docs.ingest import load_manifest
from rag.models import DocMeta
from rag.qa.scope import place_mentions, question_scope
from tests.conftest import CORPUS

METAS = load_manifest(CORPUS)  # the five documents' metadata, as the index holds it
PROV, WP21, WP23, WP25, SHULAN = sorted(METAS)


@pytest.mark.parametrize(
    ("question", "docs", "gather"),
    [
        ("23年采暖补贴提到户均多少钱", (WP23,), False),
        ("2025年要点对养老机构等级评定怎么要求", (WP25,), False),
        ("舒兰十四五要建多少个乡镇公墓？", (SHULAN,), False),
        ("省规划里农村低保标准的比例目标", (PROV,), False),
        ("福彩销售网点数，舒兰和全省的目标各是多少？", (PROV, SHULAN), True),
        ("街道养老服务设施，21、23、25年要点的目标分别是多少？", (WP21, WP23, WP25), True),
        ("养老机构等级评定达标比例从23年到25年怎么变的", (WP23, WP25), True),
        ("村级小微权力清单全覆盖，2021年要点和省十四五规划说法一样吗？", (PROV, WP21), True),
        ("失智照护床位的新增目标这几年是怎么定的？", (), True),
        # 到 between two documents sets no deadline; "这几年要点": every year's work points
        ("养老机构等级评定办法，从21年要点到23年要点有什么进展？", (WP21, WP23), True),
        ("吉林省慈善条例的立法进度，这几年要点是怎么说的？", (WP21, WP23, WP25), True),
        ("到2025年底全省失智老年人照护床位要达到多少张？", (), False),  # a deadline, not a document
    ],
)
def test_documents_named(question: str, docs: tuple[str, ...], gather: bool) -> None:
    scope = question_scope(question, METAS)
    assert not scope.missing
    assert (scope.docs, scope.gather) == (docs, gather)


def test_deadline_and_plan_year_are_targets() -> None:
    assert question_scope("到2025年底全省失智照护床位多少张", METAS).target_years == (2025,)
    scope = question_scope("舒兰市2025年城市低保标准每人每月多少钱？", METAS)
    assert (scope.docs, scope.target_years) == ((SHULAN,), (2025,))


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("2024年全省民政工作要点里养老机构等级评定要达到多少？", "没有2024年的工作要点"),
        ("22年要点对社工站建设提了什么目标", "没有2022年的工作要点"),
        ("辽宁省民政事业十四五规划对护理型床位占比的目标是多少？", "没有辽宁"),
        ("哈尔滨的养老床位有多少", "没有哈尔滨"),
        ("长春市民政十四五规划要建多少个社区居家养老服务中心？", "没有长春本地"),
        ("十五五民政规划提出的养老床位目标是多少", "没有“十五五”时期的规划"),
    ],
)
def test_out_of_corpus(question: str, says: str) -> None:
    scope = question_scope(question, METAS)
    assert says in scope.missing


def test_a_place_inside_the_province_is_kept_as_an_anchor() -> None:
    scope = question_scope("延吉市的精康融合试点进展如何", METAS)
    assert not scope.missing
    assert scope.places == ("延吉",)


def test_years_that_are_not_years() -> None:
    # 连续10年 is a duration; 70周岁 is an age: neither names work points.
    assert question_scope("连续10年的工作要点有哪些", METAS).missing == ""
    assert question_scope("70周岁以上老年人纳入重点保障", METAS).docs == ()


# ---------------------------------------------------------------------------
# Any corpus: periods and places from the corpus's own metadata and text

def _meta(file: str, title: str, jurisdiction: str, level: str, period: str | None = None) -> DocMeta:
    return DocMeta(file=file, title=title, jurisdiction=jurisdiction, level=level, period=period)  # type: ignore[arg-type]


SHANGHAI = {
    "city.txt": _meta("city.txt", "上海市生态空间建设和市容环境优化“十五五”规划", "上海市", "province", "2026-2030"),
    "cn.txt": _meta("cn.txt", "长宁区生态空间建设和市容环境优化“十五五”规划", "长宁区", "county"),
}


def test_a_period_the_corpus_holds_is_not_declined() -> None:
    # the city plan's period, and the district plan's title (no period field), both say 十五五
    assert not question_scope("上海十五五规划里河湖水面率目标是多少？", SHANGHAI).missing
    only_title = {"cn.txt": SHANGHAI["cn.txt"]}
    assert not question_scope("长宁十五五规划的绿地目标", only_title).missing
    assert question_scope("十四五规划的绿地目标", SHANGHAI).missing == "文档库中没有“十四五”时期的规划。"


def test_the_bundled_corpus_holds_the_14th_period_only() -> None:
    assert question_scope("十五五规划对养老床位有什么目标？", METAS).missing == "文档库中没有“十五五”时期的规划。"
    assert not question_scope("省十四五规划对养老床位有什么目标？", METAS).missing


@pytest.mark.parametrize("question", ["苏州河沿岸要建多少公里绿道？", "黄浦江两岸贯通工程有什么要求"])
def test_a_river_named_after_a_place_is_no_place(question: str) -> None:
    assert [n for n, _ in place_mentions(question)] == []
    assert not question_scope(question, SHANGHAI).missing


def test_a_place_elsewhere_is_declined_unless_the_corpus_speaks_of_it() -> None:
    q = "苏州的生态廊道建设有什么要求？"
    assert question_scope(q, SHANGHAI).missing == "文档库只收录了上海市、长宁区的文件，没有苏州的相关文件。"
    scope = question_scope(q, SHANGHAI, mentioned={"苏州"})  # a city plan that names its neighbours
    assert not scope.missing and scope.places == ("苏州",)
    # but its own plans are still not in the library
    assert question_scope("苏州的规划里生态廊道目标", SHANGHAI, mentioned={"苏州"}).missing


@lru_cache(maxsize=1)
def _external() -> dict[str, DocMeta]:
    """The external development set read without a manifest, as a user's folder comes."""
    from rag.docs.ingest import ingest_corpus

    return {d.file: d.meta for d in ingest_corpus(Path(__file__).resolve().parents[1] / "data" / "external")}


HP_ECO = "shanghai-huangpu_ecospace-cityscape_plan15_2026.txt"
HP_HERITAGE = "shanghai-huangpu_historic-heritage_plan14_2021.txt"
CN_ECO = "shanghai-changning_ecospace-cityscape_plan15_2026.txt"


@pytest.mark.parametrize(
    ("question", "docs"),
    [
        # a district the gazetteer lacks, with three plans: the subject the question names picks one
        ("黄浦区生态空间规划里2025年人均公园绿地面积现状是多少", (HP_ECO,)),
        ("历史风貌规划里十四五旧改征收要完成多少户", (HP_HERITAGE,)),  # no place, the subject alone
        ("上海十五五生态空间规划的主要任务分哪几大块", ("shanghai_ecospace-cityscape_plan15_2026.txt",)),
        ("普陀近期规划 养老床位数占老年人口比例 2030年多少", ("shanghai-putuo_territorial-space_plan15_2026.txt",)),
        # two districts' plans of the period named, not 黄浦's 十四五 plans
        ("长宁和黄浦的十五五规划，新能源环卫车占比目标一样吗", (CN_ECO, HP_ECO)),
        # a year and a report: that year's report
        ("吉林省2026年GDP预期增长目标", ("jilin_general_govreport_2026.txt",)),
    ],
)
def test_documents_named_in_a_corpus_without_manifest(question: str, docs: tuple[str, ...]) -> None:
    scope = question_scope(question, _external())
    assert not scope.missing
    assert scope.docs == docs


def test_a_report_of_a_year_the_corpus_lacks_is_declined() -> None:
    scope = question_scope("吉林市2025年政府工作报告的GDP增长目标", _external())
    assert scope.missing == "文档库中没有吉林市2025年的政府工作报告（现有：2024年）。"


def test_a_named_place_does_not_hide_the_work_points_of_its_province() -> None:
    scope = question_scope("社会救助服务热线依托哪条热线建？21年要点、省规划和舒兰规划怎么说的", METAS)
    assert scope.docs == (PROV, WP21, SHULAN) and not scope.missing


def test_the_province_beside_a_named_place_is_that_places_province() -> None:
    # "省里" next to 吉林市 is 吉林省, not the province-level plans of 上海 the corpus also holds;
    # "省里2026年" / "吉林市2024年" name each owner's report of that year, and the year stays a target
    scope = question_scope("省里2026年和吉林市2024年各计划城镇新增就业多少", _external())
    assert scope.docs == ("jilin-jilinshi_general_govreport_2024.txt", "jilin_general_govreport_2026.txt")
    assert scope.gather and scope.target_years == (2024, 2026)


def test_a_relative_year_is_the_annual_documents_own() -> None:
    """"2023年要点里今年…" asks about 2023; "去年", about 2022."""
    assert question_scope("2023年要点里今年养老床位新增多少张", METAS).target_years == (2023,)
    assert question_scope("2023年要点里去年完成了多少", METAS).target_years == (2022,)


def test_the_short_form_of_a_title_names_its_document() -> None:
    """旧改 is how staff say 旧区改造: "黄浦旧改规划" is the 旧区改造 plan, not 黄浦's other plans."""
    from rag.qa.scope import short_forms

    assert "旧改" in short_forms("黄浦区旧区改造和重大项目“十四五”规划")
    metas = {
        "renewal.txt": DocMeta(file="renewal.txt", title="黄浦区旧区改造和重大项目“十四五”规划", jurisdiction="黄浦区", level="county"),
        "heritage.txt": DocMeta(file="heritage.txt", title="黄浦区历史风貌保护和利用“十四五”规划", jurisdiction="黄浦区", level="county"),
    }
    assert question_scope("黄浦旧改规划的重点工作有哪些？", metas).docs == ("renewal.txt",)


def test_a_provinces_plan_of_a_period_it_has_no_plan_for_is_its_document_of_that_period() -> None:
    """"吉林省十五五规划里…" in a corpus with the province's 2026 work report and no 十五五 plan."""
    metas = {
        "report.txt": DocMeta(file="report.txt", title="2026年吉林省政府工作报告", jurisdiction="吉林省",
                              level="province", kind="work_report", period="2026"),
        "putuo.txt": DocMeta(file="putuo.txt", title="普陀区国土空间近期规划（2026-2030年）", jurisdiction="普陀区",
                             level="county", kind="five_year_plan", period="2026-2030"),
    }
    assert question_scope("吉林省十五五规划里研发经费目标是多少？", metas).docs == ("report.txt",)


def test_a_bare_province_level_name_names_that_places_documents() -> None:
    """北京 and 上海 are province-level places: a question naming one bare is about its own plan,
    not the whole corpus; naming two asks about both."""
    metas = {
        "bj.txt": _meta("bj.txt", "北京市国民经济和社会发展第十五个五年规划纲要", "北京市", "province", "2026-2030"),
        "sh.txt": _meta("sh.txt", "上海市国民经济和社会发展第十五个五年规划纲要", "上海市", "province", "2026-2030"),
        "gz.txt": _meta("gz.txt", "广州市国民经济和社会发展第十五个五年规划纲要", "广州市", "city", "2026-2030"),
    }
    scope = question_scope("北京社会救助方式要往什么方向转", metas)
    assert (scope.docs, scope.gather) == (("bj.txt",), False)
    scope = question_scope("北京和上海的养老机构护理型床位占比", metas)
    assert (scope.docs, scope.gather) == (("bj.txt", "sh.txt"), True)
    assert question_scope("广州的节地生态安葬率", metas).docs == ("gz.txt",)
    assert question_scope("节地生态安葬率", metas).docs == ()
