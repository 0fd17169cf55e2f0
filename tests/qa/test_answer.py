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
