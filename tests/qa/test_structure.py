"""Answers from a document's outline: its 专栏, a section's sub-sections, its task chapters."""

from __future__ import annotations

from rag.models import Chunk
from rag.qa.extractive import content_terms
from rag.qa.structure import find_listing, outlines, stated_count

TITLE = "某市生态环境保护“十五五”规划"
PATHS = [
    [],
    ["一、发展基础"],
    ["二、总体要求", "（一）指导思想"],
    ["二、总体要求", "（二）基本原则"],
    ["二、总体要求", "（三）发展目标", "专栏1 主要指标"],
    ["三、深化污染防治", "（一）大气治理"],
    ["三、深化污染防治", "（一）大气治理", "专栏2 大气治理工程"],
    ["三、深化污染防治", "（二）水环境治理"],
    ["四、守护生态安全", "（三）生物多样性保护"],
    ["四、守护生态安全", "（四）湿地保护", "专栏4 湿地保护工程"],
    ["五、推进绿色转型"],
    ["六、保障措施"],
    ["附件"],
]


def chunks(paths: list[list[str]] = PATHS, doc: str = "a.txt", title: str = TITLE) -> list[Chunk]:
    return [
        Chunk(f"{doc}:{i}", doc, title, path, i * 100, i * 100 + 50, f"正文{i}。") for i, path in enumerate(paths)
    ]


def weight(term: str) -> float:
    return 1.0


def listing(question: str, trees=None):  # type: ignore[no-untyped-def]
    trees = trees or outlines(chunks())
    return find_listing(question, content_terms(question), weight, ["a.txt"], trees, 0.6)


def test_the_outline_is_read_back_from_the_chunks_in_order() -> None:
    root = outlines(chunks())["a.txt"]
    assert [n.heading for n in root.children][:3] == ["一、发展基础", "二、总体要求", "三、深化污染防治"]
    (goals,) = [n for n in root.walk() if n.heading == "（三）发展目标"]
    assert goals.path == ("二、总体要求", "（三）发展目标")
    assert goals.first is not None and goals.first.chunk_id == "a.txt:4"  # cited to its first passage


def test_a_named_section_is_answered_with_its_sub_sections() -> None:
    got = listing("污染防治有哪些方面")
    assert got is not None and got.parent is not None and got.parent.heading == "三、深化污染防治"
    assert [n.heading for n in got.items] == ["（一）大气治理", "（二）水环境治理"]


def test_a_section_whose_items_are_text_lines_is_left_to_the_passages() -> None:
    # （二）基本原则 has no sub-sections: its items are lines of its text, which the passage answer reads
    assert listing("基本原则有哪些") is None


def test_the_boxes_of_a_plan_in_order_gaps_included() -> None:
    got = listing("这个规划设了哪些专栏")
    assert got is not None and got.parent is None
    assert [n.heading for n in got.items] == ["专栏1 主要指标", "专栏2 大气治理工程", "专栏4 湿地保护工程"]
    assert listing("专栏2有哪些工程") is None  # one 专栏 named: its content, not the list of 专栏


def test_the_main_tasks_are_the_chapters_between_the_goals_and_the_safeguards() -> None:
    got = listing("规划的主要任务分哪几大块")
    assert got is not None
    assert [n.heading for n in got.items] == ["三、深化污染防治", "四、守护生态安全", "五、推进绿色转型"]


def test_the_chapters_of_a_plan() -> None:
    got = listing("规划分哪几章")
    assert got is not None
    assert [n.heading for n in got.items][0] == "一、发展基础" and len(got.items) == 7


def test_a_count_the_question_gives_confirms_the_section() -> None:
    paths = [["一、现状"], ["二、主要任务", "（一）“百姓园林”"], ["二、主要任务", "（二）“百业兴绿”"], ["二、主要任务", "（三）“百花齐放”"]]
    trees = outlines(chunks(paths))
    assert stated_count("“百”字系列的三项主要任务是什么") == 3
    got = find_listing("“百”字系列的三项主要任务是什么", ["系列", "任务"], lambda t: 3.0 if t == "系列" else 1.0,
                       ["a.txt"], trees, 0.6)
    assert got is not None and got.parent is not None and got.parent.heading == "二、主要任务"
    # without the count (or with another), the heading covers too little of the question
    assert find_listing("“百”字系列的主要任务是什么", ["系列", "任务"], lambda t: 3.0 if t == "系列" else 1.0,
                        ["a.txt"], trees, 0.6) is None


def test_the_answerer_lists_the_boxes_of_the_provincial_plan(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    a = fake_answerer.answer("吉林省民政事业发展十四五规划一共设了哪些专栏？")
    assert not a.abstained
    intro, *boxes_claims = a.claims
    # the count is the outline's, checked against the items that follow it
    assert intro.text == "《吉林省民政事业发展“十四五”规划》共有8个专栏：" and intro.count == 8
    boxes = [c.text for c in boxes_claims]
    assert boxes[0].startswith("专栏1 基层社会救助服务能力提升工程")
    assert [b.split(" ")[0] for b in boxes] == ["专栏1", "专栏2", "专栏3", "专栏4", "专栏5", "专栏7", "专栏9", "专栏10"]
    # each 专栏 is cited to a passage inside it
    for claim in boxes_claims:
        (n,) = claim.cites
        chunk = next(c.chunk for c in a.citations if c.n == n)
        assert any(p.startswith(claim.text.split(" ")[0] + " ") for p in chunk.section_path)


def test_a_section_named_by_number_lists_its_parts() -> None:
    paths = [["第一章 发展基础"], ["第三章 夯实民生保障", "第一节 社会救助"], ["第三章 夯实民生保障", "第二节 基本生活救助"]]
    trees = outlines(chunks(paths))
    got = find_listing("省规划第三章讲什么", ["讲"], weight, ["a.txt"], trees, 0.6)
    assert got is not None and [n.heading for n in got.items] == ["第一节 社会救助", "第二节 基本生活救助"]
    # the work points number their parts 一、二、: 第二部分 is 二、
    got = listing("规划第三部分有哪几条")
    assert got is not None and got.parent is not None and got.parent.heading == "三、深化污染防治"
    assert find_listing("第九章讲什么", ["讲"], weight, ["a.txt"], trees, 0.6) is None  # no such chapter


def test_a_question_about_parts_wants_a_section_with_parts() -> None:
    # "大气治理" is also the heading of a leaf-like （一）with one 专栏; the chapter has the parts
    got = listing("污染防治那部分有哪几条")
    assert got is not None and got.parent is not None and got.parent.heading == "三、深化污染防治"


def test_when_every_chapter_frames_the_tasks_are_the_largest_set_of_sub_sections() -> None:
    paths = [["一、前言"], ["二、形势"], ["三、发展目标", "（一）总目标"], ["三、发展目标", "（二）预期目标", "1.救助"],
             ["三、发展目标", "（二）预期目标", "2.养老"], ["三、发展目标", "（二）预期目标", "3.社区"], ["四、保障措施"]]
    got = listing("规划的主要任务有哪些", outlines(chunks(paths)))
    assert got is not None and [n.heading for n in got.items] == ["1.救助", "2.养老", "3.社区"]


def test_a_section_named_by_number_and_words_is_the_one_whose_heading_holds_the_words() -> None:
    county = [["二、任务", "专栏2 养老服务保障及提升工程", "01 兜底"], ["二、任务", "专栏2 养老服务保障及提升工程", "02 居家"],
              ["二、任务", "专栏3 儿童福利服务工程", "01 协调"], ["二、任务", "专栏3 儿童福利服务工程", "02 权益"]]
    province = [["三、养老", "专栏3 养老服务保障及提升工程", "01 兜底"], ["三、养老", "专栏3 养老服务保障及提升工程", "02 社区"]]
    trees = {**outlines(chunks(county, "county.txt")), **outlines(chunks(province, "province.txt"))}
    q = "专栏3 养老服务保障及提升工程包括哪些项目？"
    got = find_listing(q, content_terms(q), weight, ["county.txt", "province.txt"], trees, 0.6)
    assert got is not None and got.doc == "province.txt"


def test_a_count_is_kept_only_when_the_items_it_counts_follow() -> None:
    """A listing's count is verified by counting again: a count whose items went is removed."""
    from rag.models import Answer, Citation, Claim
    from rag.qa.answer import verify

    chunk = chunks([["第三章 民生", "第一节 救助"]])[0]

    def answer(*claims: Claim) -> Answer:
        return Answer("第三章有几节", list(claims), [Citation(1, chunk)])

    kept = verify(answer(Claim("“第三章 民生”包括2节：", [1], count=2), Claim("第一节 救助", [1]), Claim("第二节 养老", [1])))
    assert [c.text for c in kept.claims][0] == "“第三章 民生”包括2节："
    short = verify(answer(Claim("“第三章 民生”包括2节：", [1], count=2), Claim("第一节 救助", [1])))
    assert all("2节" not in c.text for c in short.claims) and short.notices
    # a count no code derived (an LLM's sentence) is a figure like any other
    made_up = verify(answer(Claim("第三章共有2节。", [1]), Claim("第一节 救助", [1])))
    assert all("2节" not in c.text for c in made_up.claims)


def test_the_answerer_lists_a_tables_indicators_with_their_count(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    """All of the table's rows, not the retrieved few; of the attribute asked, with both counts."""
    a = fake_answerer.answer("省民政十四五主要发展指标一共几项？")
    assert a.claims[0].text.endswith("共有15项：") and len(a.claims) == 16 and not a.notices
    a = fake_answerer.answer("省民政十四五主要发展指标一共几项？里面哪些是约束性指标？")
    intro, *rows = a.claims
    assert "15项中，约束性指标5项" in intro.text and len(rows) == 5
    assert all("约束性" in r.text for r in rows) and any("护理型床位占比" in r.text for r in rows)


def test_a_section_named_by_its_headings_words_is_answered_with_its_text(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    """"第8条具体要求啥" made standalone names the section by its title: its sentences, in order."""
    a = fake_answerer.answer("2021年要点推进农村养老服务具体要求啥")
    texts = [c.text for c in a.claims]
    assert len(texts) >= 5 and not any(t.rstrip("。").endswith("8. 推进农村养老服务") for t in texts)
    assert any("应进尽进" in t for t in texts) and any("农村助浴项目" in t for t in texts)
    assert {c.chunk.section_path[-1] for c in a.citations} == {"8. 推进农村养老服务"}


def test_a_part_named_by_what_its_sub_headings_speak_of() -> None:
    """"养老那部分有哪几条": no heading says 养老, but most sub-headings of one part do."""
    paths = [["一、党建", "（一）政治建设"], ["一、党建", "（二）作风建设"],
             ["二、应对人口老龄化", "（一）老龄事业"], ["二、应对人口老龄化", "（二）养老服务改革"],
             ["二、应对人口老龄化", "（三）机构养老兜底"], ["二、应对人口老龄化", "（四）社区居家养老"],
             ["三、社会救助", "（一）低保"], ["三、社会救助", "（二）特困供养"]]
    got = listing("养老那部分有哪几条", outlines(chunks(paths)))
    assert got is not None and got.parent is not None and got.parent.heading == "二、应对人口老龄化"
    assert len(got.items) == 4
    assert listing("殡葬那部分有哪几条", outlines(chunks(paths))) is None  # nothing speaks of it


def row_chunks(header: list[str], cells: list[list[str]], path: tuple[str, ...] = ("专栏1 核心指标表",)) -> list[Chunk]:
    """Row chunks as the index stores them: the rendered row, and the row's cells with their header."""
    return [
        Chunk(f"t:{i}", "t.txt", "普陀区国土空间近期规划", list(path), i, i + 1,
              "；".join(f"{h}：{v}" for h, v in zip(header, row, strict=True)), kind="table_row",
              table=0, row=i, cells=[header, row])
        for i, row in enumerate(cells)
    ]  # fmt: skip


def test_a_tables_rows_of_one_category() -> None:
    """"生态低碳安全类有哪些指标": the rows whose 指标类别 cell says so, counted among all."""
    from rag.qa.structure import find_table_listing

    rows = row_chunks(["指标", "2030年", "指标类别"], [
        ["河湖水面率", "3.95%", "生态低碳安全"], ["建设用地总规模", "53.74", "发展规模"], ["森林覆盖率", "20%", "生态低碳安全"],
    ])  # fmt: skip
    got = find_table_listing("生态低碳安全类有哪些指标？", ["生态", "低碳", "安全类", "指标"], weight, rows,
                             lambda c: rows, 0.6)
    assert got is not None and [r.chunk_id for r in got.rows] == ["t:0", "t:2"] and got.total == 3
    assert got.attribute == "指标类别为生态低碳安全"


def test_of_two_headings_that_match_the_one_the_question_quotes_with_parts() -> None:
    """"主要任务有哪几项": 四、主要任务 (with its parts), not a leaf 2.重点任务 met earlier."""
    paths = [["三、目标", "2.重点任务"], ["四、主要任务", "（一）租赁"], ["四、主要任务", "（二）保障"]]
    got = find_listing("住房规划的主要任务有哪几项", ["任务"], weight, ["a.txt"], outlines(chunks(paths)), 0.6)
    assert got is not None and got.parent is not None and got.parent.heading == "四、主要任务"


def test_the_categories_of_a_tables_indicators() -> None:
    """"指标分哪几类": each value of the category column once, in order; 约束性 / 预期性 are no category."""
    from rag.qa.structure import find_table_listing

    rows = row_chunks(["指标", "类型", "指标类别"], [
        ["建设用地总规模", "约束性", "发展规模"], ["河湖水面率", "约束性", "生态低碳安全"], ["人口规模", "预期性", "发展规模"],
    ])  # fmt: skip
    got = find_table_listing("普陀规划的指标分哪几类？", ["普陀", "指标"], weight, rows, lambda c: rows, 0.6)
    assert got is not None and got.category == "指标类别" and [r.chunk_id for r in got.rows] == ["t:0", "t:1"]


def test_a_list_the_question_names_by_its_count() -> None:
    """"七个要义是哪些": the seven —— items after the sentence that names them, not the sentence alone."""
    from rag.models import Hit
    from rag.qa.extractive import _list_answer

    text = ("具体要聚焦七个要义，在省域副中心建设上抓落实。\n" + "\n".join(f"——聚焦第{i}项。正文。" for i in range(1, 9)))
    chunk = Chunk("r:1", "r.txt", "吉林市2024年政府工作报告", ["二、工作安排"], 0, len(text), text)
    got = _list_answer([Hit(chunk, 1.0)], ["要义"], lambda t: 1.0, 0.6, lambda c: [], lambda c: None,
                       "吉林市报告里说的七个要义是哪些？")
    assert got[0].text.startswith("具体要聚焦七个要义") and [s.text for s in got[1:]] == [
        f"——聚焦第{i}项。" for i in range(1, 8)
    ]


PLAN = [
    ["第一篇 锚定发展目标", "第一章 发展基础"],
    ["第一篇 锚定发展目标", "第二章 主要目标"],
    ["第二篇 共享发展成果", "第一章 促进人口高质量发展", "一、落实人口发展战略"],
    ["第二篇 共享发展成果", "第一章 促进人口高质量发展", "二、完善生育支持"],
    ["第二篇 共享发展成果", "第二章 丰富公共服务供给", "一、办好教育"],
    ["第二篇 共享发展成果", "第二章 丰富公共服务供给", "二、发展养老服务"],
    ["第二篇 共享发展成果", "第二章 丰富公共服务供给", "三、完善社会保障"],
    ["第三篇 凝聚各方力量", "第一章 加强组织领导"],
    ["第三篇 凝聚各方力量", "第二章 强化规划实施"],
    ["附表"],
]


def test_a_section_named_with_the_section_above_it() -> None:
    """"共享发展成果那篇里，公共服务供给那一章分哪几节": the words name a 章 and the 篇 it is in; 那篇里 and
    那一章 only point at parts, they name none."""
    trees = outlines(chunks(PLAN))
    got = listing("共享发展成果那篇里，公共服务供给那一章分哪几节", trees)
    assert got is not None and got.parent is not None and got.parent.heading == "第二章 丰富公共服务供给"
    assert [n.heading for n in got.items] == ["一、办好教育", "二、发展养老服务", "三、完善社会保障"]
    # the 篇 alone, named the same way, is answered with its 章
    got = listing("共享发展成果那一篇下面有哪几章", trees)
    assert got is not None and got.parent is not None and got.parent.heading == "第二篇 共享发展成果"


def test_how_many_of_a_unit_counts_the_headings_of_that_unit() -> None:
    """"一共分几篇": the three 篇, not the 附表 beside them; the count is in the headings' own unit."""
    from rag.qa.extractive import _count_unit

    got = listing("这个规划一共分几篇？", outlines(chunks(PLAN)))
    assert got is not None and [n.heading for n in got.items] == [
        "第一篇 锚定发展目标", "第二篇 共享发展成果", "第三篇 凝聚各方力量"
    ]
    assert _count_unit(got.items) == "篇"
    # asked for its parts, the plan keeps all of them
    got = listing("这个规划包括哪几部分？", outlines(chunks(PLAN)))
    assert got is not None and len(got.items) == 4


def test_words_that_point_at_parts_are_not_what_the_part_is_about() -> None:
    from rag.qa.structure import part_reference

    for word in ("那篇里", "一章", "几节", "这节", "几个小节", "一部分", "下面", "方面"):
        assert part_reference(word), word
    for word in ("养老", "服务", "章节", "工程", "一带", "篇", "附"):
        assert not part_reference(word), word


def test_the_items_of_a_section_whose_paragraphs_open_with_their_title() -> None:
    """"促进就业和增收那一块有哪几方面举措": a section without sub-headings whose paragraphs each open with
    a short title sentence is listed by those titles, read on into the section's next passages."""
    from rag.models import Hit
    from rag.qa.extractive import _list_answer, run_in_titles

    path = ["第十篇 共享发展成果", "三、积极促进就业与增收"]
    one = "加强就业岗位挖潜扩容。深入实施就业优先战略,支持企业稳岗扩岗。\n健全就业支持和公共服务体系。稳定重点群体就业。"
    two = "拓宽居民收入增长渠道。多措并举增加居民收入,扎实推进共同富裕。"
    first = Chunk("b:1", "b.txt", "北京市十五五规划纲要", path, 0, len(one), one)
    second = Chunk("b:2", "b.txt", "北京市十五五规划纲要", path, len(one), len(one) + len(two), two)
    got = _list_answer([Hit(first, 1.0)], ["促进", "就业", "增收"], lambda t: 1.0, 0.6, lambda c: [second] if c is first else [],
                       lambda c: None, "北京促进就业和增收那一块主要有哪几方面举措")  # fmt: skip
    assert [s.text for s in got] == ["加强就业岗位挖潜扩容。", "健全就业支持和公共服务体系。", "拓宽居民收入增长渠道。"]
    assert [s.chunk.chunk_id for s in got] == ["b:1", "b:1", "b:2"]
    # a first sentence with a comma, or a long one, is text, not a title; numbered titles count
    text = "推动养老服务供需协调适配，促进融合发展。\n5.1整合完善养老服务体系。\n推动居家、社区、机构等不同形态养老服务合理适配。"
    assert [t for _, t in run_in_titles(text)] == ["5.1整合完善养老服务体系。"]
