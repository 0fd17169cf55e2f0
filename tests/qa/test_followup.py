"""Follow-up questions made standalone from the conversation (rag.qa.followup)."""

from __future__ import annotations

import pytest

from rag.qa.followup import elliptical, history_messages, standalone


def talk(*turns: str) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        # another place
        ("舒兰呢？", talk("省规划里公办养老机构护理型床位占比的目标是多少？", "到2025年不低于55%。"),
         "舒兰规划里公办养老机构护理型床位占比的目标是多少？"),
        ("省里呢", talk("舒兰孤儿基本生活保障标准是多少", "每月1100元。"), "省里孤儿基本生活保障标准是多少"),
        # another year
        ("那2025年呢？", talk("2021年要点里养老机构等级评定怎么安排的", "开展等级评定。"),
         "2025年要点里养老机构等级评定怎么安排的"),
        # a topic of its own: the place, year and document stay, and so does the question
        ("护理型床位呢", talk("舒兰规划里养老机构床位数到2025年要达到多少", "1800张。"),
         "舒兰规划里2025年护理型床位是多少"),  # the question, not its unit or object
        # a property of the previous topic
        ("单位是什么？", talk("省规划里社会工作专业人才总量目标是多少", "2.0。"),
         "省规划里社会工作专业人才总量的单位是什么"),
        ("这个指标是约束性的吗", talk("省规划里县级公益性安葬设施覆盖率目标", "100%。"),
         "省规划里县级公益性安葬设施覆盖率目标是约束性的吗"),
        ("目标年份是哪年", talk("省规划要求村（居）民自治章程实现全覆盖吗？", "是的。"),
         "省规划要求村（居）民自治章程实现全覆盖的目标年份是哪年"),
        # where, of the previous topic, in another place: the previous question's 哪年 goes
        ("那舒兰具体打算在哪几个地方建？", talk("省规划要求街道社区居家养老服务中心哪年实现全覆盖？", "2022年底。"),
         "舒兰规划要求街道社区居家养老服务中心的具体打算在哪几个地方建"),
        # now, not the previous question's deadline
        ("现在是多少？", talk("舒兰十四五期末每千名老人养老床位要达到多少张？", "40张以上。"),
         "舒兰每千名老人养老床位现在是多少"),
        # the other of a pair (城市 ↔ 农村, 公办 ↔ 民办): the same topic, of the other
        ("农村呢？", talk("舒兰规划里城市低保标准2020年是多少？", "每人每月470元。"), "舒兰规划里农村低保标准2020年是多少？"),
        ("民办的呢", talk("舒兰公办养老机构有多少家", "18家。"), "舒兰民办养老机构有多少家"),
        # another document, asked again in other words ("又是怎么说的")
        ("2023年要点又是怎么说的", talk("2021年要点对养老护理员培训有什么要求", "…"), "2023年要点对养老护理员培训有什么要求"),
        # a topic of its own keeps what the previous question asked of any topic
        ("那失智老人这块呢？", talk("2021年要点对《养老机构服务安全基本规范》达标有什么要求？", "80%以上。"),
         "2021年要点失智老人有什么要求"),
    ],
)
def test_a_follow_up_is_made_standalone(question: str, history: list[dict[str, str]], expected: str) -> None:
    got = standalone(question, history)
    assert got.question == expected and got.rewritten


def test_the_nth_item_of_the_previous_answer() -> None:
    answer = "01 特困人员供养服务设施改造提升工程。\n02 养老服务综合体建设。\n06 农村互助养老服务设施建设。"
    got = standalone("第6项具体要做什么？", talk("专栏3有哪些工程", answer))
    assert got.question == "农村互助养老服务设施建设具体要做什么"  # the item numbered 6, not the third line
    # an unnumbered list: the n-th line, or the n-th 、-separated item of a one-line answer
    assert standalone("第2项呢", talk("有哪几个原则", "坚持党的领导\n坚持以人民为中心")).question.startswith("坚持以人民为中心")
    assert standalone("第三个具体指什么", talk("三大任务是什么", "兜底保障、社会治理、基本服务")).question.startswith("基本服务")


def test_a_chain_of_follow_ups_builds_on_each_standalone_question() -> None:
    history = talk("2021年要点提出城市低保标准要提高多少", "…", "那2025年呢？", "…")
    assert standalone("那2023年呢？", history).question == "2023年要点提出城市低保标准要提高多少"


def test_a_question_that_stands_alone_is_left_as_it_is() -> None:
    history = talk("省规划里护理型床位占比是多少", "55%。")
    got = standalone("2023年要点里低保标准提到多少", history)
    assert got.question == "2023年要点里低保标准提到多少" and not got.rewritten
    assert standalone("舒兰呢？", []).question == "舒兰呢？"  # nothing to lean on
    assert not elliptical("吉林省民政事业发展十四五规划一共设了哪些专栏？")
    assert elliptical("那2025年呢？") and elliptical("单位是什么") and elliptical("第6项具体要做什么？")


def test_history_from_json_keeps_only_well_formed_turns() -> None:
    raw = [{"role": "user", "content": "问"}, {"role": "system", "content": "x"}, {"role": "assistant"}, "junk",
           {"role": "assistant", "content": "答"}]
    assert history_messages(raw) == [{"role": "user", "content": "问"}, {"role": "assistant", "content": "答"}]
    assert history_messages("not a list") == []


def test_the_answerer_answers_a_follow_up_and_says_what_it_answered(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    history = talk("省规划里农村互助养老站点数量目标是多少？", "超过300个。")
    a = fake_answerer.answer("舒兰呢？", None, history)
    assert a.question == "舒兰呢？" and a.standalone == "舒兰规划里农村互助养老站点数量目标是多少？"
    assert a.notices[0] == "按“舒兰规划里农村互助养老站点数量目标是多少？”回答。"
    assert not a.abstained and "超过10个" in a.text
    assert a.to_json()["standalone_question"] == a.standalone
    plain = fake_answerer.answer("舒兰规划里农村互助养老站点数量目标是多少？")
    assert plain.standalone == "" and plain.to_json()["standalone_question"] == plain.question


def test_a_topic_carried_to_another_place_or_year_is_marked() -> None:
    """The topic's words are the other document's: the answerer asks a little less of them."""
    history = talk("2025年要点对综合嵌入式社区居家养老服务中心定了什么目标？", "不少于60%街道。")
    assert standalone("那2021年要点里怎么说的", history).carried
    assert standalone("舒兰呢？", talk("十三五期间全省有多少人取得社工证书？", "10855人。")).carried
    # a property, or a topic of its own, in the same document: its own words
    assert not standalone("单位是什么？", talk("省规划里社会工作专业人才总量目标是多少", "2.0。")).carried
    assert not standalone("护理型床位呢", talk("舒兰规划里养老机构床位数到2025年要达到多少", "1800张。")).carried


# -- an LLM backend's rewrite, held to the rules --------------------------------

PROVINCE_TURN = talk("省规划里公办养老机构护理型床位占比的目标是多少？", "到2025年不低于55%。")


@pytest.mark.parametrize(
    ("reply", "used"),
    [
        ("改写后的问题：舒兰市规划对公办养老机构护理型床位占比的目标是多少？", True),
        ("省规划里公办养老机构护理型床位占比的目标是多少？", False),  # dropped 舒兰, which the question names
        ("舒兰规划里2030年公办养老机构护理型床位占比的目标是多少？", False),  # a year nobody said
        ("舒兰规划和延吉规划里护理型床位占比目标", False),  # a place nobody said
        ("舒兰和省规划里公办养老机构护理型床位占比的目标是多少？", False),  # kept the place 舒兰 replaces
        ("舒兰省规划里公办养老机构护理型床位占比的目标是多少？", False),  # 舒兰 is a 县级市 (the 1.5B model wrote this)
        ("舒兰" + "的护理型床位" * 30, False),  # an answer, not a question
        ("", False),
    ],
)
def test_a_models_rewrite_is_held_to_the_rules(reply: str, used: bool) -> None:
    from rag.qa.followup import held_to_rules

    rules = standalone("舒兰呢？", PROVINCE_TURN)
    got = held_to_rules("舒兰呢？", PROVINCE_TURN, reply, rules)
    if used:
        assert got.question == "舒兰市规划对公办养老机构护理型床位占比的目标是多少？" and got.rewritten and got.carried
    else:
        assert got == rules


def test_the_llm_backend_rewrites_a_follow_up_with_the_model(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    """The model is asked for the standalone question first; the answer shows which it answered."""
    import dataclasses

    from rag.errors import LLMError
    from tests.conftest import ScriptedLLM

    history = talk("到2025年底全省失智老年人照护床位要达到多少张？", "不少于5000张。")
    llm = ScriptedLLM("省规划到2025年底失智老年人照护专区试点怎么安排的？", "文档中没有相关信息。")
    answer = dataclasses.replace(fake_answerer, llm=llm).answer("那照护专区试点呢？", history=history)
    assert "追问" in llm.calls[0][1]["content"] and "那照护专区试点呢？" in llm.calls[0][1]["content"]
    assert answer.standalone == "省规划到2025年底失智老年人照护专区试点怎么安排的？"
    assert answer.notices[0] == "按“省规划到2025年底失智老年人照护专区试点怎么安排的？”回答。"
    # a model that is down: the rules' rewrite, and the answer still comes
    llm = ScriptedLLM(LLMError("无法连接大模型服务，已改用摘录式回答。", "refused"), "文档中没有相关信息。")
    answer = dataclasses.replace(fake_answerer, llm=llm).answer("那照护专区试点呢？", history=history)
    assert answer.standalone == standalone("那照护专区试点呢？", history).question


def test_the_corpus_own_places_are_places_though_the_gazetteer_lacks_them() -> None:
    """长宁 and 黄浦 name the corpus's district plans: "长宁呢？" moves the question there."""
    places = ("长宁区", "黄浦区", "上海市", "长宁", "黄浦", "上海")
    city = talk("上海市生态空间十五五规划里，人均公园绿地面积2030年要到多少？", "＞10.5平方米。")
    got = standalone("长宁呢？", city, places)
    assert got.question == "长宁生态空间十五五规划里，人均公园绿地面积2030年要到多少？" and got.carried
    assert standalone("那黄浦区的呢？", city, places).question.startswith("黄浦区生态空间十五五规划里")
    # "市规划里…" of a district: its plan, not "黄浦市规划"
    got = standalone("黄浦呢", talk("市规划里景观照明集中控制纳控率2030年目标多少？", "＞95%。"), places)
    assert got.question == "黄浦规划里景观照明集中控制纳控率2030年目标多少？"
    assert standalone("长宁定的是多少", talk("黄浦十五五要推动多少个附属绿地开放共享？", "5个。"), places).rewritten
    # a year the follow-up names stays, though it asks about now (基数)
    got = standalone("2025年基数是多少？", talk("黄浦区十五五规划新增公园数量定了多少？", "10个。"), places)
    assert "2025年" in got.question


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        # a period as a time keeps the plan that reviews it; what was done then, not what is set
        ("十三五期间是多少", "住房十四五规划里旧住房更新改造规模是多少？", "住房十四五规划里十三五期间旧住房更新改造规模是多少？"),
        ("十三五做了多少", "黄浦旧改规划里架空线入地目标多少公里？", "黄浦旧改规划里十三五架空线入地多少公里？"),
        # a period as a plan replaces the previous one's, or follows the place
        ("十五五的呢", "舒兰十四五规划里养老床位目标是多少", "舒兰十五五规划里养老床位目标是多少"),
        ("吉林省十五五定的是什么？", "普陀规划里研发经费支出占GDP比例目标是多少？", "吉林省十五五规划里研发经费支出占GDP比例目标是多少？"),
        # a relative year is a year
        ("今年目标呢？", "吉林省报告里2025年肉牛屠宰加工量是多少？", "吉林省报告里今年肉牛屠宰加工量是多少？"),
    ],
)
def test_a_period_or_a_relative_year_in_a_follow_up(question: str, previous: str, expected: str) -> None:
    got = standalone(question, talk(previous, "…"), ("黄浦", "普陀", "吉林省", "吉林"))
    assert got.question == expected and got.carried


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        # the year asked about changes, not the year that names the report
        ("今年计划新增多少？", "吉林市2024年政府工作报告里，2023年城镇新增就业多少人？", "吉林市2024年政府工作报告里，今年城镇新增就业多少人？"),
        # what was done is no target; one period time replaces another
        ("去年实际完成了多少", "吉林省报告里2026年粮食产量目标是多少？", "吉林省报告里去年粮食产量是多少？"),
        ("十三五期间完成了多少", "上海住房十四五规划里，新增供应租赁住房目标是多少？", "上海住房十四五规划里十三五期间，新增供应租赁住房是多少？"),
        ("十三五做了多少？", "黄浦区旧改规划里，十四五期间旧改目标是多少？", "黄浦区旧改规划里，十三五旧改是多少？"),
    ],
)
def test_a_follow_up_about_another_time_or_what_was_done(question: str, previous: str, expected: str) -> None:
    assert standalone(question, talk(previous, "…"), ("黄浦区", "黄浦", "吉林市")).question == expected


def test_the_year_before_in_the_same_report_and_a_base_value() -> None:
    got = standalone("去年实际是多少？", talk("吉林省2026年政府工作报告里，粮食产量目标是多少？", "900亿斤以上。"), ("吉林省",))
    assert got.question == "吉林省2026年政府工作报告里，去年粮食产量是多少？"  # the report stays
    got = standalone("2025年基准呢？", talk("上海市生态空间十五五规划里，生活垃圾回收利用率2030年目标多少？", "50%。"))
    assert got.question == "上海市生态空间十五五规划里，生活垃圾回收利用率2025年基准是多少"
    # the n-th row of an indicator list is the indicator, not its figures
    rows = "主要指标共有2项：\n人均公园绿地面积：2025年基准9.5平方米。\n公园数量：2025年基准1100座，2030年目标1600座。"
    assert standalone("第二项2030年目标是多少？", talk("专栏1主要指标有哪些？", rows)).question.startswith("公园数量2030年")


def test_a_follow_up_asking_what_changed_compares_both() -> None:
    got = standalone("2025年有变化吗", talk("2021年要点里地名普查有什么安排？", "…"))
    assert got.question == "2021年和2025年要点里地名普查有什么变化" and got.carried
    assert standalone("舒兰一样吗", talk("省规划里护理型床位占比目标是多少？", "…")).question == "省和舒兰规划里护理型床位占比有什么不同"
