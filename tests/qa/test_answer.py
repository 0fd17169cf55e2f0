"""Cited answers: extractive selection, abstention, number checks, the LLM prompt and its fallbacks."""

from __future__ import annotations

import dataclasses

import pytest

from rag.errors import LLMError
from rag.models import Answer, Chunk, Citation, Claim
from rag.qa.answer import NO_ANSWER, verify
from rag.qa.llm import parse_reply
from tests.conftest import ScriptedLLM


def with_llm(answerer, llm):  # type: ignore[no-untyped-def]
    return dataclasses.replace(answerer, llm=llm)


def test_extractive_answer_quotes_and_cites(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    a = fake_answerer.answer("到2025年底全省失智老年人照护床位要达到多少张？")
    assert not a.abstained
    assert "5000张" in a.text
    # every claim carries a citation, and every claim is the cited passage's own words
    for claim in a.claims:
        assert claim.cites
        body = claim.text.split("》：", 1)[-1].rstrip("。")
        assert any(body in c.chunk.text for c in a.citations if c.n in claim.cites)
    assert a.citations[0].label.startswith("《吉林省民政事业发展“十四五”规划》第")


def test_indicator_row_is_read_with_its_unit(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    a = fake_answerer.answer("省规划里县级公益性安葬设施覆盖率指标是多少")
    assert "县级公益性安葬(放)设施覆盖率：2025年目标值100%（约束性）" in a.text


def test_comparison_gathers_each_document(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    a = fake_answerer.answer("农村互助养老站点数量，省里和舒兰分别要求多少？")
    assert "《吉林省民政事业发展“十四五”规划》：" in a.text and "超过300个" in a.text
    assert "《舒兰市民政事业发展“十四五”规划》：" in a.text and "超过10个" in a.text


def test_list_question_reads_the_box_items(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    a = fake_answerer.answer("社会组织发展质量提升工程包括哪些内容？")
    for item in ["提升社会组织党建水平", "提升法人治理规范化水平", "加强社会组织孵化基地建设"]:
        assert item in a.text


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("2024年全省民政工作要点里养老机构等级评定要达到多少？", "没有2024年的工作要点"),
        ("辽宁省民政事业十四五规划对护理型床位占比的目标是多少？", "没有辽宁"),
        ("福彩每年销售额目标是多少亿元", "没有直接回答"),  # no figure in 亿元 anywhere
        ("吉林省养老服务条例是哪天正式施行的？", "没有直接回答"),  # no date for it anywhere
    ],
)
def test_declines_with_the_closest_passages(fake_answerer, question: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    a = fake_answerer.answer(question)
    assert a.abstained
    assert a.text.startswith(NO_ANSWER) and reason in a.text
    assert a.citations  # the closest passages are still shown


def _chunk(text: str, n: int = 1) -> Chunk:
    return Chunk(f"c{n}", "d.txt", "测试规划", ["第一章 总则"], 0, len(text), text)


def test_verify_removes_unsupported_figures_and_uncited_claims() -> None:
    c = Citation(1, _chunk("到2025年底，养老护理员培训人数不少于5万人次。"))
    answer = Answer(
        "q",
        [
            Claim("到2025年底培训养老护理员不少于50000人次。", [1]),  # 5万 = 50000: kept
            Claim("其中农村不少于2万人次。", [1]),  # not in the passage: removed
            Claim("培训工作很重要。", []),  # no citation: removed
        ],
        [c],
        backend="scripted",
    )
    out = verify(answer)
    assert [cl.text for cl in out.claims] == ["到2025年底培训养老护理员不少于50000人次。"]
    assert any("2万" in n for n in out.notices) and any("没有引用" in n for n in out.notices)


def test_parse_reply() -> None:
    draft = parse_reply("护理型床位占比不低于55%[1]。到2025年达到60%【1，2】。无依据的话[9]。", 2)
    assert [(s.text, s.citations) for s in draft.sentences] == [
        ("护理型床位占比不低于55%。", [1]),
        ("到2025年达到60%。", [1, 2]),
        ("无依据的话。", []),
    ]
    assert parse_reply("文档中没有相关信息。", 2).abstained
    assert parse_reply("<think>想一想</think>文档中没有相关信息", 2).abstained


def test_llm_answer_is_verified(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM("到2025年底，全省失智老年人照护床位数不少于5000张[1]。另外还要新增9999张[1]。")
    events = list(with_llm(fake_answerer, llm).stream("到2025年底全省失智老年人照护床位要达到多少张？"))
    assert [e.kind for e in events[:-1]] == ["delta"] * (len(events) - 1)  # streamed
    final = events[-1].answer
    assert final.backend == "scripted"
    assert "5000张" in final.text and "9999" not in final.text
    assert any("9999" in n for n in final.notices)


@pytest.mark.parametrize(
    "failure",
    [
        LLMError("无法连接大模型服务，已改用摘录式回答。", "refused"),
        "这句话没有任何引用，数字是123456。",  # nothing verifiable
    ],
)
def test_llm_failure_falls_back_to_extractive(fake_answerer, failure) -> None:  # type: ignore[no-untyped-def]
    answerer = with_llm(fake_answerer, ScriptedLLM(failure))
    events = list(answerer.stream("到2025年底全省失智老年人照护床位要达到多少张？"))
    final = events[-1].answer
    assert final.backend == "extractive" and "5000张" in final.text
    assert "已改用摘录式回答" in final.notices[0]
    assert any(e.kind == "notice" for e in events)


def test_llm_abstention_is_respected(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    final = with_llm(fake_answerer, ScriptedLLM("文档中没有相关信息。")).answer("失智照护床位要达到多少张？")
    assert final.abstained and final.text.startswith(NO_ANSWER)


def test_a_heading_year_is_the_year_its_sentences_speak_for() -> None:
    from rag.qa.extractive import answers_number, heading_year

    assert heading_year(["一、2023年工作回顾", "（四）人民福祉更加殷实"]) == 2023
    assert heading_year(["三、2024年工作安排"]) == 2024
    assert heading_year(["普陀区国土空间近期规划（2026—2030年）"]) is None  # a period, not a year
    assert heading_year(["第五章 大力促进养老服务业发展"]) is None
    # a report's review of 2023 answers "2023年…多少", not "2024年…多少"
    sentence = "新建社区长者食堂84个。"
    assert answers_number("2023年社区长者食堂建了多少个", sentence, (2023,), heading_year(["一、2023年工作回顾"]))
    assert not answers_number("2024年社区长者食堂建多少个", sentence, (2024,), heading_year(["一、2023年工作回顾"]))


def test_a_review_section_of_an_annual_report_speaks_for_the_year_before() -> None:
    from rag.qa.extractive import answers_number, implicit_year

    # a 2026 government work report: "一、工作回顾" reports on 2025, "二、2026年工作安排" plans 2026
    assert implicit_year(["一、工作回顾"], 2026) == 2025
    assert implicit_year(["二、2026年工作安排", "（一）扩大内需"], 2026) == 2026
    assert implicit_year(["三、重点任务"], 2026) == 2026
    assert implicit_year(["一、2023年工作回顾"], 2024) == 2023  # the heading's own year wins
    assert implicit_year(["一、发展回顾"], None) is None  # not an annual document: no year assumed
    sentence = "建成助老餐厅413个。"
    assert answers_number("2025年建了多少助老餐厅", sentence, (2025,), implicit_year(["一、工作回顾"], 2026))
    assert not answers_number("2026年建多少助老餐厅", sentence, (2026,), implicit_year(["一、工作回顾"], 2026))


def test_question_words_jieba_keeps_whole_are_not_content() -> None:
    from rag.qa.extractive import content_terms

    terms = content_terms("黄浦有哪几个历史文化风貌区")
    assert "哪几个" not in terms and "风貌" in terms
    assert "几大块" not in content_terms("主要任务分哪几大块")
    assert content_terms("多少项指标") == ["指标"]


def test_a_section_the_question_names_by_number_counts_its_heading_in_full() -> None:
    from rag.qa.extractive import coverage, in_named_section

    path = ["二、深化公园城市建设", "（四）推进公园开放共享", "专栏3 公园提质增效及开放共享工程"]
    assert in_named_section("专栏3公园提质增效及开放共享工程里要建哪些运动设施", path)
    assert not in_named_section("专栏31里有什么", path)  # 专栏3 is not 专栏31
    assert not in_named_section("公园提质增效有哪些运动设施", path)  # named by words only: no
    terms, one = ["公园", "提质", "运动"], lambda t: 1.0
    sentence, context = "新增篮球场100个以上，宠物友好公园15座", " ".join(path)
    assert coverage(terms, one, sentence, context) == (1 + 0.5) / 3
    assert coverage(terms, one, sentence, context, 1.0) == 2 / 3


def test_a_question_in_parts_asks_each_part_about_its_own_time_and_the_first_parts_subject() -> None:
    from rag.qa.extractive import content_terms, named_years, sub_questions

    assert sub_questions("吉林粮食产量2025年多少，2026年目标") == ["吉林粮食产量2025年多少", "吉林粮食产量2026年目标"]
    assert sub_questions("火化率十四五末要达到多少？十三五末是多少？") == ["火化率十四五末要达到多少", "火化率十三五末是多少"]
    # a part with a subject of its own keeps it; a comma without a time on each side splits nothing
    assert sub_questions("低保标准是多少？特困供养标准呢？") == ["低保标准是多少", "特困供养标准呢"]
    assert sub_questions("护理型床位占比，到2025年要达到多少") == ["护理型床位占比，到2025年要达到多少"]
    assert named_years("吉林粮食产量2026年目标") == (2026,) and named_years("十四五目标") == ()
    assert content_terms("旧改“四个优先”是哪四个") == ["旧改", "四个", "优先"]  # a count inside quotes is a name


def test_a_comparison_keeps_each_named_documents_own_words() -> None:
    """2021 says 建立殡葬管理系统, 2023 正式启用殡葬管理信息系统: the 2021 sentence covers less of the
    question than 2023's, and is kept all the same, labelled with its document."""
    from rag.models import Hit
    from rag.qa.extractive import select
    from rag.qa.scope import Scope

    def chunk(doc: str, text: str) -> Chunk:
        return Chunk(f"{doc}:1", doc, doc.removesuffix(".txt"), ["殡葬改革"], 0, len(text), text)

    hits = [Hit(chunk("wp2023.txt", "正式启用殡葬管理信息系统，推动历史信息数据补录。"), 1.0),
            Hit(chunk("wp2021.txt", "建立殡葬管理系统。"), 0.9),
            Hit(chunk("other.txt", "加强养老服务体系建设。"), 0.8)]
    scope = Scope(docs=("wp2021.txt", "wp2023.txt"), gather=True)
    weights = {"殡葬": 3.0, "管理": 1.0, "信息": 2.0, "系统": 2.0, "管理信息系统": 5.0}
    sel = select("殡葬管理信息系统建设进度", hits, scope, lambda t: weights.get(t, 1.0))
    assert {s.chunk.doc for s in sel.sentences} == {"wp2021.txt", "wp2023.txt"}
    # a document the question does not name gets no such allowance
    sel = select("殡葬管理信息系统建设进度", hits, Scope(docs=("wp2023.txt",), gather=True), lambda t: weights.get(t, 1.0))
    assert {s.chunk.doc for s in sel.sentences} == {"wp2023.txt"}


def test_a_target_question_is_not_answered_by_a_past_achievement() -> None:
    from rag.models import Hit
    from rag.qa.extractive import select
    from rag.qa.scope import Scope

    past = Chunk("s:1", "s.txt", "舒兰规划", ["二、“十三五”工作总结"], 0, 40, "孤儿养育标准由每月900元提高到1100元。")
    ahead = Chunk("s:2", "s.txt", "舒兰规划", ["五、发展目标"], 50, 90, "孤儿养育标准到2025年提高到每月1300元。")
    q = "舒兰孤儿养育标准到2025年的目标是每月多少？"
    sel = select(q, [Hit(past, 1.0), Hit(ahead, 0.9)], Scope(), lambda t: 1.0)
    assert [s.chunk.chunk_id for s in sel.sentences] == ["s:2"]
    assert not select(q, [Hit(past, 1.0)], Scope(), lambda t: 1.0).sentences  # declined, not the 十三五 figure
    # asked about the past, the past answers
    assert select("十三五期间孤儿养育标准提高到多少", [Hit(past, 1.0)], Scope(), lambda t: 1.0).sentences


def test_a_sentence_naming_the_year_asked_about_is_preferred() -> None:
    from rag.models import Hit
    from rag.qa.extractive import select
    from rag.qa.scope import Scope

    rule = Chunk("s:1", "s.txt", "舒兰规划", ["五、发展目标"], 0, 60, "城乡分散供养特困人员基本生活标准按照不低于上年度城乡低保标准的1.3倍确定。")
    other = Chunk("s:3", "s.txt", "舒兰规划", ["六、保障"], 130, 160, "加强队伍建设。")
    then = Chunk("s:2", "s.txt", "舒兰规划", ["二、工作总结"], 70, 120, "城乡特困人员供养标准到2020年提高到每人每月560元。")
    hits = [Hit(rule, 1.0), Hit(other, 0.95), Hit(then, 0.9)]
    q = "2020年舒兰城乡特困人员基本生活标准是多少"
    kept = [s.chunk.chunk_id for s in select(q, hits, Scope(target_years=(2020,)), lambda t: 1.0).sentences]
    assert "s:2" in kept  # the 2020 figure is in the answer
    kept = [s.chunk.chunk_id for s in select(q, hits, Scope(), lambda t: 1.0).sentences]
    assert kept == ["s:1"]  # without the year asked, only the better-covering rule


def test_the_denominator_of_a_rate_is_no_figure_in_the_unit_asked() -> None:
    """"每百张床位…1名社工" states no count of 张; "这几年" asks no figure."""
    from rag.qa.extractive import _ASKS_NUMBER, answers_number

    q = "每千名老人拥有养老床位数的目标是多少张？"
    assert not answers_number(q, "推动实现每千名老年人、每百张养老机构床位均拥有1名社会工作者。", ())
    assert answers_number(q, "每千名老年人拥有养老床位数达到40张以上。", ())
    assert not _ASKS_NUMBER.search("慈善条例的立法进度，这几年要点是怎么说的？")
    assert _ASKS_NUMBER.search("要几年完成？")


def test_a_law_named_in_the_question_is_one_term() -> None:
    """"吉林省慈善条例的立法进度": a sentence about 《吉林省养老服务条例》立法 is not about it."""
    from rag.qa.extractive import content_terms, coverage, instrument_names

    assert instrument_names("吉林省慈善条例的立法进度，这几年要点是怎么说的？") == ["慈善条例"]
    assert instrument_names("《吉林省地名管理规定》修订") == ["地名管理规定"]
    assert instrument_names("低保标准是多少") == []
    terms = content_terms("吉林省慈善条例的立法进度")
    weight = {"慈善": 2.0, "条例": 2.7, "立法": 4.0, "进度": 0.0, "慈善条例": 4.5}.get
    other = coverage(terms, lambda t: weight(t) or 0.0, "跟进完成《吉林省养老服务条例》立法。", "")
    this = coverage(terms, lambda t: weight(t) or 0.0, "深入宣传贯彻落实《吉林省慈善条例》。", "")
    assert this > other


def test_the_questions_own_count_is_no_figure_of_the_answer() -> None:
    """"“四项”基本收费提标以后，收费标准是多少": a sentence whose only figure is 四项 does not answer it."""
    from rag.qa.extractive import answers_number

    q = "殡葬“四项”基本收费提标以后，具体收费标准是多少？"
    assert not answers_number(q, "持续推动做好“四项”基本收费提标工作。", ())
    assert answers_number(q, "“四项”基本收费标准提高到每具遗体800元。", ())


def test_a_measure_is_answered_only_by_a_sentence_about_what_it_measures() -> None:
    """"森林覆盖率": a row about 轨交站点600米用地覆盖率 is another measure; 达标比例 names no thing."""
    from rag.qa.extractive import measure_modifiers

    weight = lambda t: 2.0  # noqa: E731
    assert measure_modifiers("普陀规划2030年森林覆盖率是多少", ["森林", "覆盖", "覆盖率"], weight) == [("森林", "覆盖率")]
    assert measure_modifiers("养老机构等级评定达标比例", ["养老", "机构", "等级", "评定", "达标", "比例"], weight) == []
    assert measure_modifiers("城市低保标准是多少", ["城市", "低保", "标准"], weight) == []  # 标准 is no measure head


def test_the_answerer_declines_a_measure_no_passage_states(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    a = fake_answerer.answer("省规划里森林覆盖率2025年目标是多少？")
    assert a.abstained


def test_a_half_that_only_names_the_plan_is_no_question_of_its_own() -> None:
    from rag.qa.extractive import sub_questions

    assert sub_questions("黄浦区生态空间十五五规划里，人均公园绿地面积2030年要到多少？") == [
        "黄浦区生态空间十五五规划里，人均公园绿地面积2030年要到多少"
    ]
    assert len(sub_questions("民政十四五规划从编制、中期评估到收尾，21年、23年、25年要点分别是怎么安排的？")) == 2


def test_the_first_passage_answers_in_its_own_words_when_it_holds_the_most_specific_word() -> None:
    """"社会救助方式要往什么方向转": the first passage says 救助方式向“物质+服务”救助转变. It holds the rarest
    word and most of the others; the words it lacks are the asker's own. Another passage, or a sentence
    without the rarest word, needs the full coverage."""
    from rag.models import Hit
    from rag.qa.extractive import select
    from rag.qa.scope import Scope

    weights = {"社会": 1.0, "救助": 1.5, "社会救助": 1.5, "方式": 1.0, "方向": 1.0, "转": 0.5, "物质": 2.0, "千名": 0.2, "老人": 0.2}

    def weight(term: str) -> float:
        return weights.get(term, 0.0)

    said = Chunk("b:1", "b.txt", "北京规划纲要", ["七、保障"], 0, 40, "推动救助方式向“物质+服务”救助转变，为救助对象提供照料服务。")
    other = Chunk("b:2", "b.txt", "北京规划纲要", ["八、其他"], 50, 60, "加强队伍建设。")
    vague = Chunk("b:3", "b.txt", "北京规划纲要", ["七、保障"], 70, 90, "推动救助方式转向服务方向，完善社会福利。")
    q = "社会救助方式要往什么方向转，物质"  # 物质: the rarest word; each sentence covers 0.59 of the words
    got = select(q, [Hit(said, 1.0), Hit(other, 0.9)], Scope(), weight, 0.6)
    assert [s.chunk.chunk_id for s in got.sentences] == ["b:1"]
    # second in the ranking, the same sentence falls short of the floor
    assert not select(q, [Hit(other, 1.0), Hit(said, 0.9)], Scope(), weight, 0.6).sentences
    # first, but without the rarest word, a sentence of the same coverage falls short too
    assert not select(q, [Hit(vague, 1.0)], Scope(), weight, 0.6).sentences
    # and so does one that lacks more than two of the question's words (社会救助, 方向, 千名, 老人): the
    # question asks about another measure, whatever the coverage (0.56)
    assert not select(q + "，千名老人", [Hit(said, 1.0)], Scope(), weight, 0.6).sentences
