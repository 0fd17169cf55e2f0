"""专栏: reading boxes, pairing them by title and content, and what became of their items."""

from __future__ import annotations

from pathlib import Path

from rag.check.zhuanlan import box_notes, boxes, compare_zhuanlan, numbering_gaps
from rag.docs.ingest import clean_text, ingest_file
from rag.docs.outline import parse_outline
from rag.models import DocMeta, Document


def _doc(raw: str) -> Document:
    text, blocks = clean_text(raw)
    return Document("t.txt", DocMeta(file="t.txt", title="t"), text, blocks, "0")


def test_real_pair_correspondences(shulan_check):
    pairs = {z.province: z.county for z in shulan_check.zhuanlan}
    # numbering differs: the province's 专栏3 is Shulan's 专栏2, its 专栏9 is Shulan's 专栏6
    assert pairs == {
        "专栏1 基层社会救助服务能力提升工程": "专栏1 基层社会救助服务能力提升工程",
        "专栏2 社会组织发展质量提升工程": None,
        "专栏3 养老服务保障及提升工程": "专栏2 养老服务保障及提升工程",
        "专栏4 儿童福利服务和未成年人保护提升工程": "专栏3 儿童福利服务和未成年人保护提升工程",
        "专栏5 救助管理机构基础设施提升工程": "专栏4 救助管理机构基础设施提升工程",
        "专栏7 殡葬服务设施建设提升工程": "专栏5 殡葬服务设施建设提升工程",
        "专栏9 地名服务提升工程": "专栏6 地名服务提升工程",
        "专栏10 标准化建设工作": None,
    }
    assert [z.verdict for z in shulan_check.zhuanlan].count("missing") == 2
    assert shulan_check.summary.zhuanlan == {"matched": 6, "missing": 2}


def test_real_pair_items_of_the_elderly_care_box(shulan_check):
    box = next(z for z in shulan_check.zhuanlan if z.province == "专栏3 养老服务保障及提升工程")
    assert [(i.province, i.county, i.status) for i in box.items] == [
        ("01 基本兜底养老服务保障能力提升", "01 基本兜底养老服务保障能力提升", "kept"),
        ("02 居家社区养老服务网络建设", "02 居家社区养老服务网络建设", "kept"),  # 全省街道 → 全市街道 only
        ("03 完善农村养老服务体系", "03 完善农村养老服务体系", "changed"),
        ("04 养老机构运营管理水平提升", None, "dropped"),
        ("05 推进医养康养文养相融合", None, "dropped"),
        ("06 建设吉林康养职业技术学院", None, "dropped"),
        ("07 养老产业发展壮大", None, "dropped"),
        (None, "04 深化养老服务供给侧改革", "added"),
        (None, "05 加强养老服务人才队伍建设", "added"),
    ]
    changed = box.items[2]
    assert changed.changes[0].startswith("改写：省「继续推动农村养老大院和互助养老站点建设")
    assert "超过300个" in changed.changes[0] and "超过10个" in changed.changes[0]
    assert changed.changes[1].startswith("新增：「对舒兰市社会福利服务中心")
    assert changed.evidence.province and changed.evidence.county
    assert "专栏2 养老服务保障及提升工程" in changed.evidence.county.section


def test_real_pair_children_and_funeral_boxes(shulan_check):
    children = next(z for z in shulan_check.zhuanlan if z.province and z.province.startswith("专栏4"))
    assert [i.status for i in children.items] == [
        "dropped",
        "dropped",
        "kept",
        "kept",
        "changed",
        "added",
        "added",
    ]
    assert children.items[4].changes[0] == "删去：「全省现有儿童之家5864个，覆盖全省村（居）约50%。」"
    funeral = next(z for z in shulan_check.zhuanlan if z.province and z.province.startswith("专栏7"))
    # Shulan wrote this box as one paragraph: both provincial items are rewritten into it
    assert [(i.status, i.county) for i in funeral.items] == [
        ("changed", "（专栏正文）"),
        ("changed", "（专栏正文）"),
    ]
    assert "殡仪馆" in funeral.items[0].changes[0] and "公墓" in funeral.items[1].changes[0]


def test_numbering_gaps_and_body_only_boxes(corpus_docs):
    from tests.conftest import PROVINCE_PLAN

    assert numbering_gaps(parse_outline(corpus_docs[PROVINCE_PLAN])) == [6, 8]
    doc = _doc(
        "第一节 救助\n正文。\n专栏5 救助管理机构基础设施提升工程\n新建或改扩建5个以上救助管理机构，完善基础设施建设。"
    )
    [box] = boxes(parse_outline(doc))
    assert (box.number, box.title, [i.title for i in box.items]) == (
        5,
        "救助管理机构基础设施提升工程",
        ["（专栏正文）"],
    )


def test_boxes_pair_by_content_when_titles_differ():
    province = _doc(
        "第一节 养老\n专栏3 养老服务保障及提升工程\n01 居家社区养老服务网络建设\n"
        "推进区域养老服务中心建设。推动构建城市地区15分钟居家养老服务圈。\n"
        "第二节 地名\n专栏9 地名服务提升工程\n01 地名信息服务\n依托中国·国家地名信息库，完善乡村地名信息。"
    )
    county = _doc(
        "一、养老\n专栏1 居家养老重点项目\n01 社区养老网络\n"
        "推进区域养老服务中心建设。推动构建城市地区15分钟居家养老服务圈。"
    )
    found = compare_zhuanlan(county, province, parse_outline(county), parse_outline(province))
    assert [(z.province, z.county, z.verdict) for z in found] == [
        ("专栏3 养老服务保障及提升工程", "专栏1 居家养老重点项目", "matched"),
        ("专栏9 地名服务提升工程", None, "missing"),
    ]
    assert [(i.status, i.changes) for i in found[0].items] == [
        ("changed", ["标题：省「01 居家社区养老服务网络建设」 → 县「01 社区养老网络」"])
    ]


EXTERNAL = Path(__file__).parents[1] / "data" / "external"


def test_no_box_on_the_district_side_is_a_note_not_a_crash():
    """The city 生态空间 plan has 专栏1–9 (专栏1 holds its indicator table); 长宁 has none."""
    city = ingest_file(EXTERNAL / "shanghai_ecospace-cityscape_plan15_2026.txt")
    district = ingest_file(EXTERNAL / "shanghai-changning_ecospace-cityscape_plan15_2026.txt")
    c_root, d_root = parse_outline(city), parse_outline(district)
    found = compare_zhuanlan(district, city, d_root, c_root)
    assert [(z.province.split()[0] if z.province else None, z.verdict) for z in found] == [
        (f"专栏{n}", "missing") for n in range(2, 10)
    ]
    # 专栏2 numbers its three projects 1. 2. 3.: they are its items
    assert [i.province for i in found[0].items] == [
        "1. 新建及改造公园建设工程",
        "2. 环城生态公园带建设工程",
        "3. 上海辰山国家植物园建设工程",
    ]
    assert box_notes(d_root, c_root) == [
        "省级规划的专栏1是指标表，在“主要发展指标”中对照，不作专栏比较",
        "县级规划没有专栏：省级规划的 8 个专栏都列为缺失；县级规划可能把这些项目写在正文里，请看“重点任务”的对照",
    ]
    # the other way round, and neither side
    assert box_notes(c_root, d_root)[-1] == "省级规划没有专栏：县级规划的 8 个专栏都列为新增"
    assert box_notes(d_root, d_root) == ["两份规划都没有专栏，未做专栏对照"]
    assert compare_zhuanlan(district, district, d_root, d_root) == []


def test_a_check_without_boxes_renders(tmp_path):
    from rag.check.compliance import check_plans
    from rag.check.report import render_html, render_markdown, render_text

    city = ingest_file(EXTERNAL / "shanghai_housing_plan14_2021.txt")  # neither plan has a 专栏
    district = ingest_file(EXTERNAL / "shanghai-huangpu_old-district-renewal_plan14_2021.txt")
    check = check_plans(district, city, None)
    assert check.zhuanlan == [] and "两份规划都没有专栏，未做专栏对照" in check.summary.notes
    for render in (render_text, render_markdown, render_html):
        assert "两份规划都没有专栏" in render(check)
