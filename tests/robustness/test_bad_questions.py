"""Bad questions: empty, blank, too long, no words at all, mixed scripts, 繁体, full-width
digits — in the library, the command line and the web chat (issue 8, "Questions")."""

from __future__ import annotations

import pytest

from rag.errors import BadQuestionError
from rag.retrieve import MAX_QUESTION_CHARS, check_question
from tests.conftest import final
from ui.app import respond


def test_check_question():
    assert check_question("  低保标准  ") == "低保标准"
    for bad in ["", "   ", "\n\t"]:
        with pytest.raises(BadQuestionError) as err:
            check_question(bad)
        assert "不能为空" in err.value.message
    with pytest.raises(BadQuestionError) as err:
        check_question("问" * (MAX_QUESTION_CHARS + 1))
    assert "过长" in err.value.message


@pytest.mark.parametrize("question", ["", "   ", "问" * 2001])
def test_bad_questions(fake_answerer, question: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadQuestionError) as err:
        fake_answerer.answer(question)
    assert "问题" in err.value.message


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "问题不能为空"), ("   \n ", "问题不能为空"), ("养" * 10_000, "问题过长（10000 字）")],
)
def test_bad_questions_get_a_chinese_message_and_keep_the_question(service, question, message):
    box, html = final(list(respond(service, question, [{"role": "user", "content": "早先的问题"}])))
    assert message in html and 'class="pq-error"' in html
    assert box == question  # nothing lost: the question stays in the box to be corrected
