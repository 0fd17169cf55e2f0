"""The scripted model of the LLM path's ceiling: it answers exactly when its prompt holds the evidence."""

from __future__ import annotations

from rag.eval.ceiling import GoldOracle, holding, model_result, oracle_reply, prompt_passages
from rag.eval.metrics import AnswerResult, Evidence, GoldQuestion
from rag.models import Chunk, Hit
from rag.qa.answer import draft_answer, verify
from rag.qa.followup import rewrite_messages
from rag.qa.llm import PromptInput, parse_reply

DOC, TITLE = "wp2023.txt", "2023年全省民政工作要点"
BEDS = "提高特困人员供养机构护理型床位占比，供养机构护理型床位占比不低于50%。"
HEATING = "扩大采暖补贴范围，提高补助标准达到户均800元。"


def chunk(text: str, n: int = 1, title: str = TITLE) -> Chunk:
    return Chunk(f"{DOC}:{n}", DOC, title, ["三、推进养老服务", "（十一）提升照护能力"], 0, len(text), text)


def gold(*facts: str, evidence: str = "供养机构护理型床位占比不低于") -> GoldQuestion:
    return GoldQuestion(
        id="t1", question="特困供养机构护理型床位比例", kind="fact", docs=[DOC],
        evidence=[Evidence(doc=DOC, text=evidence)], answer="……", key_facts=list(facts),
    )


def ask(q: GoldQuestion, *chunks: Chunk):  # type: ignore[no-untyped-def]
    """The oracle's reply to the prompt of ``chunks``, parsed, drafted and verified as the answerer does."""
    hits = [Hit(c, 1.0) for c in chunks]
    oracle = GoldOracle({DOC: TITLE})
    oracle.question = q
    reply = "".join(oracle.chat(PromptInput.from_hits(q.question, hits).messages()))
    return reply, verify(draft_answer(q.question, parse_reply(reply, len(hits)), list(chunks), oracle.name))


def test_a_prompt_without_the_evidence_is_declined() -> None:
    reply, answer = ask(gold("50%"), chunk(HEATING))
    assert reply == "文档中没有相关信息。"
    assert answer.abstained


def test_a_prompt_with_the_evidence_is_answered_citing_it_and_passes_verify() -> None:
    reply, answer = ask(gold("50%"), chunk(HEATING, 1), chunk(BEDS, 2))
    assert reply == "50%[2]。"  # the fact, cited to the second passage, which holds it
    assert not answer.abstained and [(c.text, c.cites) for c in answer.claims] == [("50%。", [1])]
    assert [c.chunk.text for c in answer.citations] == [BEDS]  # renumbered to [1] by verify


def test_evidence_in_another_documents_passage_does_not_count() -> None:
    reply, answer = ask(gold("50%"), chunk(BEDS, title="舒兰市民政事业发展“十四五”规划"))
    assert answer.abstained and reply.startswith("文档中没有相关信息")


def test_every_evidence_string_must_be_there() -> None:
    q = gold("50%")
    q.evidence.append(Evidence(doc=DOC, text="户均800元"))
    assert ask(q, chunk(BEDS))[1].abstained
    assert not ask(q, chunk(BEDS, 1), chunk(HEATING, 2))[1].abstained


def test_a_fact_no_passage_states_is_removed_by_verify() -> None:
    # the evidence is there, the key fact's figure is not: the reply cites the evidence passage,
    # and the check removes the sentence, so the ceiling is held to what verify accepts
    reply, answer = ask(gold("60%"), chunk(BEDS))
    assert reply == "60%[1]。"
    assert answer.abstained and any("60%" in n for n in answer.notices)


def test_section_headings_count_as_the_passage() -> None:
    # a structure question's evidence is a heading, which the prompt gives as the passage's section
    q = gold("提升照护能力", evidence="（十一）提升照护能力")
    reply, answer = ask(q, chunk(BEDS))
    assert reply == "提升照护能力[1]。" and not answer.abstained


def test_holding_ignores_spaces_and_width() -> None:
    passages = [{"id": 1, "document": TITLE, "section": "", "text": "占比不低于 ５０％"}]
    assert holding(passages, "不低于50%") == [1]
    assert holding(passages, "不低于50%", "别的文件") == []


def test_a_rewrite_prompt_is_not_an_answer_prompt() -> None:
    history = [{"role": "user", "content": "省里护理型床位占比要求多少？"}, {"role": "assistant", "content": "55%"}]
    messages = rewrite_messages("舒兰呢？", history)
    assert prompt_passages(messages) is None
    oracle = GoldOracle({})
    oracle.question = gold("50%")
    assert "".join(oracle.chat(messages)) == ""
    assert oracle.prompts == []


def test_oracle_reply_with_no_evidence_declines() -> None:
    q = gold("50%")
    q.evidence.clear()  # an unanswerable question: nothing could be found
    assert oracle_reply(q, [{"id": 1, "document": TITLE, "section": "", "text": BEDS}], {DOC: TITLE}).startswith(
        "文档中没有相关信息"
    )


def test_an_answer_the_model_did_not_give_counts_as_declined() -> None:
    r = AnswerResult("t1", "fact", True, False, 1, 1, True, 0, 0.1)
    assert model_result(r, "scripted-oracle", "scripted-oracle") is r
    fell = model_result(r, "extractive", "scripted-oracle")
    assert fell.abstained and fell.key_facts_found == 0 and not fell.all_facts


def test_evidence_across_two_passages_is_held_by_the_one_with_half_of_it() -> None:
    # the gold string runs past the passage's end into the next one: relevance counts half a span
    q = gold("50%", evidence="护理型床位占比不低于50%。新建一批区域养老服务中心")
    assert not ask(q, chunk(BEDS))[1].abstained
    q = gold("50%", evidence="护理型床位占比不低于50%，新建一批区域性养老服务中心和社区养老服务站")
    assert ask(q, chunk(BEDS))[1].abstained  # less than half of it in one piece
    assert holding([{"id": 1, "document": TITLE, "section": "", "text": "超过30%"}], "超过300个", half=False) == []


def test_a_fact_is_cited_where_the_evidence_is_whole() -> None:
    # passage 1 states "100%" of another measure; passage 2 is the evidence, a row whose
    # cells hold the figure as 单位：% and 100: a reader cites the row
    row = Chunk(
        f"{DOC}:9", DOC, TITLE, ["主要发展指标"], 0, 10, "指标：县级公益性安葬(放)设施覆盖率；单位：%；2025年目标值：100",
        kind="table_row", statement="县级公益性安葬(放)设施覆盖率：2025年目标值100%",
    )
    other = chunk("乡镇公益性安葬设施覆盖率达到100%以上。", 1)
    q = gold("100%", evidence="县级公益性安葬(放)设施覆盖率")
    reply, answer = ask(q, other, row)
    assert reply == "100%[2]。" and not answer.abstained
