"""Bad questions: empty, blank, too long, no words at all, mixed scripts, 繁体, full-width
digits — in the library, the command line and the web chat (issue 8, "Questions")."""

from __future__ import annotations

import json

import pytest

import rag.index.embed
from rag.cli import main
from rag.docs.textnorm import to_simplified
from rag.errors import BadQuestionError
from rag.qa.retrieve import MAX_QUESTION_CHARS, check_question
from tests.conftest import CORPUS, GOLD, QUESTION, KeywordEmbedder, final, write_questions
from ui.app import respond

# (question, what the Chinese message says): refused before anything is searched
BAD = [
    ("", "问题不能为空"),
    ("   \n\t\u3000", "问题不能为空"),
    ("养" * 10_000, "问题过长（10000 字）"),
    ("？？！！……。，", "没有文字或数字"),
    ("😀🙏👍 ❤️", "没有文字或数字"),
]

# 繁体 as staff in Hong Kong, Taiwan or older documents write it (佔, 專欄 …), and its 简体 form
TRADITIONAL = {
    "公辦養老機構護理型床位佔比要達到多少？": "公办养老机构护理型床位占比要达到多少？",
    "2023年對生活不能自理的特困老人，集中供養率要達到多少？": QUESTION,
    "舒蘭十四五期末每千名老人養老床位數目標": "舒兰十四五期末每千名老人养老床位数目标",
    "社會組織發展質量提升工程包括哪些內容？": "社会组织发展质量提升工程包括哪些内容？",
    "到2025年每個城市社區至少配備幾名持證社工？": "到2025年每个城市社区至少配备几名持证社工？",
}


def test_check_question():
    assert check_question("  低保标准  ") == "低保标准"
    assert check_question("２０２３年低保标准") == "2023年低保标准"
    assert check_question("低保標準是多少？") == "低保标准是多少？"
    for bad in ["", "   ", "\n\t"]:
        with pytest.raises(BadQuestionError) as err:
            check_question(bad)
        assert "不能为空" in err.value.message
    with pytest.raises(BadQuestionError) as err:
        check_question("问" * (MAX_QUESTION_CHARS + 1))
    assert "过长" in err.value.message


@pytest.mark.parametrize(("question", "message"), BAD)
def test_bad_questions(fake_answerer, question: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadQuestionError) as err:
        fake_answerer.answer(question)
    assert message in err.value.message


@pytest.mark.parametrize(("question", "message"), BAD)
def test_bad_questions_get_a_chinese_message_and_keep_the_question(service, question, message):
    box, html = final(list(respond(service, question, [{"role": "user", "content": "早先的问题"}])))
    assert message in html and 'class="pq-error"' in html
    assert box == question  # nothing lost: the question stays in the box to be corrected


@pytest.fixture()
def fake_model(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rag.index.embed, "get_embedder", lambda spec=None: KeywordEmbedder())


@pytest.mark.parametrize(("question", "message"), BAD)
def test_cli_refuses_a_bad_question_with_a_chinese_line_and_exit_1(fake_model, fake_index_dir, capsys, question, message):
    code = main(["ask", question, "--index", str(fake_index_dir), "--corpus", str(CORPUS), "--no-build"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("错误：") and message in err and len(err.splitlines()) == 1


def test_cli_batch_answers_the_good_questions_among_bad_ones(fake_model, fake_index_dir, capsys, tmp_path):
    questions = {f"bad{i}": q for i, (q, _) in enumerate(BAD)} | {"good": QUESTION}
    path = write_questions(tmp_path / "q.jsonl", questions)
    code = main(["ask", "--json", "--questions", str(path), "--index", str(fake_index_dir), "--corpus", str(CORPUS)])
    rows = {r["id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert code == 1  # some questions failed …
    assert list(rows) == list(questions)  # … but every one has its line, in order
    for i, (_, message) in enumerate(BAD):
        assert message in rows[f"bad{i}"]["error"] and rows[f"bad{i}"]["citations"] == []
    assert "60%以上" in rows["good"]["answer"] and "error" not in rows["good"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("2023年特困老人的集中供养率（concentrated support rate）要达到多少？", "60%以上"),
        ("2023年の特困老人集中供养率は？", "60%以上"),  # Japanese kana around the Chinese words
        ("What is the target for 公办养老机构护理型床位占比?", "护理型床位占比不低于60%"),
        ("ＰＬＡＮＱＡ：2023年对生活不能自理的特困老人，集中供养率要达到多少？", "60%以上"),
    ],
)
def test_mixed_scripts_are_answered_from_their_chinese_words(fake_answerer, question, expected):
    answer = fake_answerer.answer(question)
    assert not answer.abstained and expected in answer.text


@pytest.mark.parametrize(("traditional", "simplified"), list(TRADITIONAL.items()))
def test_traditional_question_gets_the_simplified_answer(fake_answerer, traditional, simplified):
    assert to_simplified(traditional) == simplified
    trad, simp = fake_answerer.answer(traditional), fake_answerer.answer(simplified)
    assert not simp.abstained
    assert trad.text == simp.text
    assert [c.chunk.chunk_id for c in trad.citations] == [c.chunk.chunk_id for c in simp.citations]


def test_full_width_digits_get_the_same_answer(fake_answerer):
    full = QUESTION.replace("2023", "２０２３")
    assert fake_answerer.answer(full).text == fake_answerer.answer(QUESTION).text
    box = "专栏３ 养老服务保障及提升工程包括哪些项目？"
    assert fake_answerer.answer(box).text == fake_answerer.answer("专栏3 养老服务保障及提升工程包括哪些项目？").text


@pytest.mark.real
def test_traditional_questions_find_the_same_passages_on_the_real_index(real_index_dir):
    """Every gold question written in 繁体 three ways (OpenCC s2t, s2hk, s2tw: the characters of
    standard, Hong Kong and Taiwan usage), and the hand-written ones above, get the same top 5
    passages from the real model and index as its 简体 form.

    (OpenCC's s2twp also swaps words for Taiwan ones, 对象 → 物件; t2s does not swap them back,
    and such a question finds other passages. Words are not converted, only characters.)"""
    import opencc

    from rag.index.directory import Index
    from rag.index.embed import get_embedder
    from rag.qa.retrieve import make_retriever

    embedder = get_embedder()
    retriever = make_retriever(Index.load(real_index_dir, embedder.name), embedder)
    gold = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines()]
    pairs = dict(TRADITIONAL)
    for config in ("s2t", "s2hk", "s2tw"):
        converter = opencc.OpenCC(config)
        written = {converter.convert(q): q for q in gold}
        assert sum(t != q for t, q in written.items()) >= 85  # nearly every question really is written differently
        pairs.update(written)
    expected = {q: [h.chunk.chunk_id for h in retriever.search(q, 5)] for q in set(pairs.values())}
    for traditional, simplified in pairs.items():
        assert [h.chunk.chunk_id for h in retriever.search(traditional, 5)] == expected[simplified], traditional
