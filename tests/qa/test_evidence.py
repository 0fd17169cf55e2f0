"""Evidence assembly: the passages both backends answer from, numbered for a model, checked as given."""

from __future__ import annotations

import dataclasses

from rag.models import Chunk, Hit
from rag.qa.evidence import Passage, evidence_passages, with_retrieved
from rag.qa.extractive import Sentence, table_sentences
from rag.qa.structure import TableListing
from tests.conftest import ScriptedLLM

DOC, TITLE = "plan.txt", "吉林省民政事业发展“十四五”规划"
TABLE = "“十四五”期间民政事业主要发展指标"


def text_chunk(n: int, text: str) -> Chunk:
    return Chunk(f"plan:{n:04d}", DOC, TITLE, ["第五章 大力促进养老服务业发展"], 100 * n, 100 * n + len(text), text)


def row_chunk(n: int, name: str, value: str, kind: str) -> Chunk:
    return Chunk(
        f"plan:{n:04d}", DOC, TITLE, [TABLE], 100 * n, 100 * n + 20, f"指标：{name}；2025年目标值：{value}；属性：{kind}",
        kind="table_row", statement=f"{name}：2025年目标值{value}（{kind}）",
    )


ROWS = (row_chunk(1, "困难残疾人生活补贴覆盖率", "100%", "约束性"), row_chunk(2, "县级公益性安葬(放)设施覆盖率", "100%", "约束性"))
BEDS = text_chunk(3, "提高医护型养老床位占比。到2025年底，全省失智老年人照护床位数不少于5000张。开展老年保健。")
OTHER = text_chunk(4, "加强养老服务人才队伍建设。")


def test_a_tables_counted_rows_are_one_passage_cited_with_the_text_read() -> None:
    sentences = table_sentences(TableListing(TABLE, ROWS, total=15, attribute="约束性"))
    [p] = evidence_passages(sentences)
    # the rows are read as sentences only: the rows as written (their header's words) may still follow
    assert p.role == "table" and p.chunk is ROWS[0] and p.chunk_ids == ()
    assert p.text.split("\n") == [
        f"{TABLE}的15项中，约束性指标2项：",  # the caption holds its own quotes
        "困难残疾人生活补贴覆盖率：2025年目标值100%（约束性）",
        "县级公益性安葬(放)设施覆盖率：2025年目标值100%（约束性）",
    ]
    cited = p.cited()  # what a claim citing it is checked against: the text given, not the first row alone
    assert cited.text == p.text and cited.chunk_id == "plan:0001" and not cited.statement


def test_chosen_sentences_give_their_whole_passage_once_and_a_row_with_its_headers() -> None:
    sentences = [
        Sentence(BEDS, 10, "到2025年底，全省失智老年人照护床位数不少于5000张。", 1.0, 1.2),
        Sentence(ROWS[1], 0, ROWS[1].statement, 0.9, 1.0),
        Sentence(BEDS, 0, "提高医护型养老床位占比。", 0.8, 0.9),
    ]
    passages = evidence_passages(sentences)
    assert [(p.chunk.chunk_id, p.role) for p in passages] == [("plan:0003", "sentence"), ("plan:0002", "row")]
    assert passages[0].text == BEDS.text and passages[0].cited() is BEDS  # a passage as it is: cited as it is
    # the row as the document writes it (its header's words: 单位, 属性), then read as a sentence
    assert passages[1].text == ROWS[1].text + "\n县级公益性安葬(放)设施覆盖率：2025年目标值100%（约束性）"


def test_retrieved_passages_follow_the_evidence_up_to_the_budget() -> None:
    evidence = [Passage(BEDS, BEDS.text, "sentence", (BEDS.chunk_id,))]
    hits = [Hit(c, 1.0) for c in (BEDS, OTHER, ROWS[0], ROWS[1])]
    out = with_retrieved(evidence, hits, 3)
    assert [(p.chunk.chunk_id, p.role) for p in out] == [
        ("plan:0003", "sentence"), ("plan:0004", "retrieved"), ("plan:0001", "retrieved")
    ]
    assert out[2].text == ROWS[0].text + "\n" + ROWS[0].statement
    many = [Passage(c, c.text, "sentence", (c.chunk_id,)) for c in (BEDS, OTHER, *ROWS)]
    assert len(with_retrieved(many, hits, 2)) == 4  # the evidence is kept whole, nothing added


def test_the_extractive_answer_and_the_prompt_come_from_the_same_evidence(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    question = "省规划第三章有哪几节"
    got = fake_answerer.retrieve(question)
    evidence = fake_answerer.evidence(question, got)
    first = evidence.passages[0]
    assert first.role == "listing" and first.chunk_ids == ()  # headings only: the sections' text may follow
    assert first.text.startswith("“第三章 不断夯实基本民生保障基础”包括6节：\n第一节 构建分层分类的社会救助体系")
    # then the retrieved passages the listing was not read from, in retrieval order, up to the budget
    rest = [h.chunk.chunk_id for h in got.hits if h.chunk.chunk_id not in first.chunk_ids]
    assert [p.chunk.chunk_id for p in evidence.passages[1:]] == rest[: fake_answerer.llm_passages - 1]
    answer = fake_answerer.extractive(question, got, evidence=evidence)
    assert [c.text.rstrip("。") for c in answer.claims] == first.text.split("\n")
    passages = evidence.prompt(question).passages
    assert [p.id for p in passages] == list(range(1, len(evidence.passages) + 1))
    assert passages[0].text == first.text and passages[0].section == "第三章 不断夯实基本民生保障基础"


def test_the_llm_prompt_holds_a_tables_rows_with_their_headers(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM("文档中没有相关信息。")
    dataclasses.replace(fake_answerer, llm=llm).answer("省规划主要发展指标一共几项？哪些是约束性的")
    prompt = llm.calls[0][1]["content"]
    # hits[:6] held the table's rendered text and some rows; the count and the 约束性 rows are the evidence's
    assert "的15项中，约束性指标5项" in prompt
    assert "困难残疾人生活补贴覆盖率：2025年目标值100%（约束性）" in prompt


def test_verify_checks_the_llm_answer_against_the_passage_it_was_given(fake_answerer) -> None:  # type: ignore[no-untyped-def]
    question = "省规划第三章有哪几节"
    reply = "“第三章 不断夯实基本民生保障基础”包括6节[1]。第六节 提升基层经办服务能力[1]。"
    answer = dataclasses.replace(fake_answerer, llm=ScriptedLLM(reply)).answer(question)
    assert answer.backend == "scripted" and not answer.notices
    assert "包括6节" in answer.text  # the count is in passage [1] as given (the listing), so it stands
    assert answer.citations[0].chunk.text.startswith("“第三章 不断夯实基本民生保障基础”包括6节：")
    wrong = dataclasses.replace(fake_answerer, llm=ScriptedLLM("第三章包括7节[1]。第六节 提升基层经办服务能力[1]。"))
    answer = wrong.answer(question)
    assert "7节" not in answer.text and any("7" in n for n in answer.notices)


def test_a_listing_gives_headings_only_so_the_passages_under_them_may_follow() -> None:
    from rag.qa.extractive import listing_sentences
    from rag.qa.structure import Listing, Node

    parent = Node("第五章 大力促进养老服务业发展", ("第五章 大力促进养老服务业发展",), first=OTHER)
    items = tuple(
        Node(h, (parent.heading, h), first=c)
        for h, c in (("第一节 进一步提升养老机构服务水平", BEDS), ("第二节 不断完善社区居家养老服务功能", ROWS[0]))
    )
    [p] = evidence_passages(listing_sentences(Listing(DOC, parent, items, 1.0)))
    assert p.role == "listing" and p.chunk_ids == ()
    assert p.text.splitlines()[1:] == ["第一节 进一步提升养老机构服务水平", "第二节 不断完善社区居家养老服务功能"]
    out = with_retrieved([p], [Hit(BEDS, 1.0)], 6)
    assert [q.chunk.chunk_id for q in out[1:]] == ["plan:0003"]  # the first section's text, after its heading
