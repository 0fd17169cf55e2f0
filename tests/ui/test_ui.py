"""The web chat's handlers and HTML, without a browser (fake embedder, real corpus).

The page itself is tested in a real browser in ``test_ui_browser.py``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from rag.errors import ConfigError, LLMError
from rag.models import Answer, Chunk, Citation, Claim
from rag.qa.answer import Answerer
from rag.settings import Settings
from tests.conftest import CORPUS, QUESTION, KeywordEmbedder, ScriptedLLM, final
from ui.app import INTERNAL_ERROR, answer_json, report_view, respond, run_check
from ui.render import highlight, render_answer, render_streaming
from ui.service import Service, latest_report

# -- HTML ------------------------------------------------------------------------


def test_highlight_escapes_and_marks():
    text = "<b>护理型床位</b>占比\n不低于50%"
    out = highlight(text, [(3, 8)])
    assert out == "&lt;b&gt;<mark>护理型床位</mark>&lt;/b&gt;占比<br>不低于50%"


def test_answer_html_is_one_escaped_line_with_markers_and_sources():
    chunk = Chunk("d:0001", "d.txt", "某规划<script>", ["第五章 养老", "第一节 机构"], 0, 20, "护理型床位占比不低于55%。\n第二行<img>")
    answer = Answer("护理型床位占比？", [Claim("护理型床位占比不低于55%。", [1])], [Citation(1, chunk)])
    out = render_answer(answer)
    assert "\n" not in out
    assert "<script>" not in out and "<img>" not in out
    assert '不低于55%。<sup class="pq-cite">[1]</sup>' in out
    assert "《某规划&lt;script&gt;》第五章 第一节" in out
    assert "第五章 养老 › 第一节 机构" in out
    assert "<mark>护理型床位</mark>" in out
    assert '<details class="pq-source" open>' in out  # the first source is shown unfolded
    assert "文件：d.txt" in out and "回答方式：摘录式" in out


def test_declined_answer_shows_closest_passages_folded():
    chunk = Chunk("d:0001", "d.txt", "某规划", [], 0, 5, "无关段落")
    answer = Answer("辽宁低保", [Claim("文档中没有相关信息。没有辽宁的相关文件。", [])], [Citation(1, chunk)], abstained=True)
    out = render_answer(answer)
    assert "pq-declined" in out and "最接近的段落" in out and " open" not in out
    assert "（正文前）" in out


def test_streaming_html_says_it_is_not_checked_yet():
    out = render_streaming("到2025年<底>", ["注意"])
    assert "到2025年&lt;底&gt;" in out and "提示：注意" in out and "核对引用" in out


# -- chat handler ----------------------------------------------------------------------


def test_question_gets_a_cited_answer_and_the_box_is_cleared(service):
    steps = list(respond(service, QUESTION, []))
    assert "正在检索" in steps[0][1][-1]["content"]  # shown at once, before retrieval
    box, html = final(steps)
    assert box == ""
    user, _ = steps[-1][1]
    assert user == {"role": "user", "content": QUESTION}
    assert "60%以上" in html
    assert "《2023年全省民政工作要点》" in html
    assert '<sup class="pq-cite">[1]</sup>' in html


def test_a_follow_up_in_the_chat_is_answered_from_the_conversation(service):
    """The chat's own history (the rendered answers) is what the follow-up leans on."""
    _, first = final(list(respond(service, "省规划里农村互助养老站点数量目标是多少？", [])))
    history = [{"role": "user", "content": "省规划里农村互助养老站点数量目标是多少？"}, {"role": "assistant", "content": first}]
    box, html = final(list(respond(service, "舒兰呢？", history)))
    assert box == ""
    assert "按“舒兰规划里农村互助养老站点数量目标是多少？”回答" in html
    assert "超过10个" in html


def test_the_conversation_handed_to_the_answerer_is_plain_text(service):
    from ui.render import conversation

    _, first = final(list(respond(service, QUESTION, [])))
    got = conversation([{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first},
                        {"role": "assistant", "content": None}])
    assert got[0] == {"role": "user", "content": QUESTION}
    assert got[1]["role"] == "assistant" and "60%以上" in got[1]["content"]
    assert "<" not in got[1]["content"] and "[1]" not in got[1]["content"]  # no markup, markers or sources
    assert "引用出处" not in got[1]["content"] and len(got) == 2
    # Gradio hands messages back with their content as a list of parts
    parts = conversation([{"role": "user", "content": [{"type": "text", "text": QUESTION}]},
                          {"role": "assistant", "content": [{"type": "text", "text": first}]}])
    assert parts == got


def test_filters_from_the_page_restrict_the_sources(service):
    _, html = final(list(respond(service, "护理型床位占比", [], docs=["shulan_city_14th_fyp_2021.txt"])))
    assert "文件：shulan_city_14th_fyp_2021.txt" in html
    assert "文件：jilin_" not in html


def test_filter_widgets_map_to_filters(service):
    f = service.filters(["a.txt"], ["市县级"], ["2023"])
    assert (f.docs, f.levels, f.years) == (("a.txt",), ("city", "county"), (2023,))
    assert service.filters().is_empty()


def test_long_question_is_shortened_in_the_history_only(service):
    steps = list(respond(service, "养" * 10_000, []))
    user = steps[-1][1][0]["content"]
    assert user.endswith("…（共 10000 字）") and len(user) < 500


def test_llm_endpoint_down_gives_the_extractive_answer_and_a_notice(service, fake_answerer):
    down = LLMError("无法连接大模型服务，已改用摘录式回答。请检查服务地址和网络。", "connection refused")
    service.answerers["openai"] = Answerer(fake_answerer.index, fake_answerer.retriever, llm=ScriptedLLM(down))
    _, html = final(list(respond(service, QUESTION, [], backend="openai")))
    assert "提示：无法连接大模型服务" in html
    assert "60%以上" in html


def test_llm_reply_streams_then_is_checked(service, fake_answerer):
    reply = "对生活不能自理特困人员的集中供养率达到60%以上[1]。"
    service.answerers["openai"] = Answerer(fake_answerer.index, fake_answerer.retriever, llm=ScriptedLLM(reply))
    steps = list(respond(service, QUESTION, [], backend="openai"))
    partial = [h[-1]["content"] for _, h in steps if "pq-streaming" in h[-1]["content"]]
    assert len(partial) >= 3  # the reply arrives in pieces
    _, html = final(steps)
    assert "pq-streaming" not in html and "60%以上" in html and "回答方式：大模型 scripted" in html


def test_unconfigured_backend_is_refused_in_chinese(service):
    _, html = final(list(respond(service, QUESTION, [], backend="openai")))
    assert "无法使用所选回答方式" in html


def test_unexpected_failure_shows_no_traceback(service, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service.answerers["extractive"], "stream", broken)
    box, html = final(list(respond(service, QUESTION, [])))
    assert INTERNAL_ERROR in html
    assert "secret" not in html and "Traceback" not in html
    assert box == QUESTION


def test_service_load_builds_a_missing_index_and_answers(tmp_path, corpus_copy):
    service = Service.load(corpus_copy, tmp_path / "idx", Settings(), embedder=KeywordEmbedder())
    assert service.ready and (tmp_path / "idx" / "CURRENT").exists()
    assert list(service.answerers) == ["extractive"]
    assert [m.file for m in service.documents()][0] == "jilin_province_14th_fyp_2021.txt"
    assert service.years() == [2021, 2023, 2025]


# -- settings --------------------------------------------------------------------------


def test_settings_read_the_web_options_from_the_environment():
    s = Settings.from_env({"PLANQA_HOST": "0.0.0.0", "PLANQA_PORT": "8080", "PLANQA_UI_USER": "a", "PLANQA_UI_PASSWORD": "b"})
    assert (s.host, s.port, s.login) == ("0.0.0.0", 8080, ("a", "b"))
    with pytest.raises(ConfigError):
        Settings.from_env({"PLANQA_PORT": "99999"})
    assert "b" not in s.describe()


# -- evaluation reports -----------------------------------------------------------------


def test_latest_report_is_the_newest_directory_with_a_report(tmp_path):
    assert latest_report(tmp_path / "none") is None
    assert "planqa eval" in report_view(tmp_path / "none")[0]
    for stamp, text in (("20261101-0900", "旧"), ("20261120-1000", "新")):
        (tmp_path / stamp).mkdir()
        (tmp_path / stamp / "report.md").write_text(f"# {text}", encoding="utf-8")
    (tmp_path / "20261120-1000" / "recall.png").write_bytes(b"\x89PNG")
    (tmp_path / "20261121-0000").mkdir()  # a run still writing: no report.md yet
    md, images = report_view(tmp_path)
    assert "# 新" in md and "20261120-1000" in md
    assert [Path(p).name for p in images] == ["recall.png"]


# -- plan-check tab ---------------------------------------------------------------------


def test_plan_check_of_a_corpus_plan_gives_a_report_and_its_files(service):
    html, files = run_check(service, None, "shulan_city_14th_fyp_2021.txt", "jilin_province_14th_fyp_2021.txt")
    assert html.startswith('<div class="planqa-report">') and "更严格" in html
    assert sorted(Path(f).name for f in files) == ["对照检查报告.html", "对照检查报告.md"]
    assert "主要发展指标" in Path(files[0]).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("upload", "county", "province", "message"),
    [
        (None, None, "jilin_province_14th_fyp_2021.txt", "请上传县（市）规划草案"),
        (None, "shulan_city_14th_fyp_2021.txt", None, "请选择上级（省级）规划"),
        (None, "../../etc/passwd", "jilin_province_14th_fyp_2021.txt", "语料库中没有这个文件"),
    ],
)
def test_plan_check_without_what_it_needs_says_so(service, upload, county, province, message):
    html, files = run_check(service, upload, county, province)
    assert message in html and 'class="pq-error"' in html and files == []


def test_old_report_files_are_deleted(service):
    first = service.scratch_dir()
    (first / "对照检查报告.md").write_text("旧报告", encoding="utf-8")
    os.utime(first, (time.time() - 7200, time.time() - 7200))
    second = service.scratch_dir()
    assert not first.exists() and second.exists()


def test_serve_on_a_busy_port_says_which_option_to_change(service, monkeypatch):
    import socket

    from ui.app import serve

    monkeypatch.setattr(Service, "load", classmethod(lambda cls, *a, **k: service))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*PLANQA_PORT"):
            serve(CORPUS, Path("unused"), Settings(port=port), open_browser=False)


def test_api_answer_is_json_or_a_chinese_error(service):
    out = answer_json(service, QUESTION, years=[2023])
    assert out["abstained"] is False and out["citations"][0]["doc"] == "jilin_work_points_2023.txt"
    assert answer_json(service, " ") == {"error": "问题不能为空，请输入要查询的内容。"}
    assert "无法使用所选回答方式" in answer_json(service, QUESTION, backend="gguf")["error"]


def test_ocr_citation_carries_the_note():
    from rag.models import OCR_NOTE

    scanned = Chunk("s:0001", "scan.pdf", "某规划", ["第五章 养老"], 0, 12, "护理型床位占比不低于60%。", ocr=True)
    typed = Chunk("t:0001", "t.txt", "某规划", ["第五章 养老"], 0, 12, "护理型床位占比不低于55%。")
    answer = Answer("护理型床位占比？", [Claim("不低于60%。", [1, 2])], [Citation(1, scanned), Citation(2, typed)])
    out = render_answer(answer)
    assert out.count(OCR_NOTE) == 1 and OCR_NOTE == "OCR 识别，请核对原件"
    assert out.index(OCR_NOTE) < out.index("t.txt")  # beside the scanned passage's label
    assert [c["ocr"] for c in answer.to_json()["citations"]] == [True, False]
