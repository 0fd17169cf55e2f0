"""The command line as a contract: output shapes, exit codes, Chinese messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rag.index.embed
from rag.cli import main
from tests.conftest import CORPUS, ROOT, KeywordEmbedder, run_cli, write_questions


def test_help_lists_commands():
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("index", "retrieve", "eval"):
        assert command in done.stdout


@pytest.fixture()
def fake_model(monkeypatch):
    monkeypatch.setattr(rag.index.embed, "get_embedder", lambda spec=None: KeywordEmbedder())


def test_index_then_batch_retrieve_json(tmp_path, capsys, fake_model):
    index = str(tmp_path / "idx")
    assert main(["index", "--corpus", str(CORPUS), "--index", index]) == 0
    assert "索引已建立" in capsys.readouterr().out
    questions = write_questions(tmp_path / "q.jsonl", {"a": "社会工作专业人才总量", "b": "婚姻登记省内通办"})
    assert main(["retrieve", "--json", "--questions", str(questions), "--k", "3", "--index", index]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    for line in lines:
        assert len(line["hits"]) == 3
        assert set(line["hits"][0]) == {"chunk_id", "doc", "title", "section_path", "text", "ocr", "score"}
        assert not any(h["ocr"] for h in line["hits"])  # the corpus is typed text
        scores = [h["score"] for h in line["hits"]]
        assert scores == sorted(scores, reverse=True)
    assert lines[0]["hits"][0]["doc"].endswith(".txt")


def test_human_output_and_filters(tmp_path, capsys, fake_model):
    index = str(tmp_path / "idx")
    main(["index", "--corpus", str(CORPUS), "--index", index])
    capsys.readouterr()
    code = main(["retrieve", "护理型床位", "--k", "2", "--level", "县", "--index", index])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("[1] 《舒兰市民政事业发展“十四五”规划》")
    assert "《吉林省" not in out


def test_errors_are_chinese_and_exit_non_zero(tmp_path, capsys, fake_model):
    assert main(["retrieve", "低保", "--index", str(tmp_path / "none"), "--no-build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：索引不存在") and "planqa index" in err
    index = str(tmp_path / "idx")
    main(["index", "--corpus", str(CORPUS), "--index", index])
    assert main(["retrieve", "   ", "--index", index]) == 1
    assert "问题不能为空" in capsys.readouterr().err
    assert main(["retrieve", "低保", "--doc", "nope.txt", "--index", index]) == 2
    assert "nope.txt" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    assert main(["retrieve", "--questions", str(bad), "--index", index]) == 1
    assert "第 1 行格式错误" in capsys.readouterr().err
    mixed = write_questions(tmp_path / "mixed.jsonl", {"e": "", "ok": "低保"})
    assert main(["retrieve", "--json", "--questions", str(mixed), "--index", index]) == 1
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[0] == {"id": "e", "hits": [], "error": "问题不能为空，请输入要查询的内容。"}
    assert rows[1]["hits"]
    # ask shares the batch loop and the --doc check with retrieve
    assert main(["ask", "低保", "--doc", "nope.txt", "--index", index]) == 2
    assert "nope.txt" in capsys.readouterr().err
    assert main(["ask", "--json", "--questions", str(mixed), "--index", index]) == 1
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[0] == {
        "id": "e", "answer": "", "abstained": True, "citations": [], "error": "问题不能为空，请输入要查询的内容。"
    }
    assert set(rows[1]) == {"id", "answer", "abstained", "citations", "notices", "standalone_question"}


def test_eval_on_staff_own_gold_file(tmp_path, capsys, fake_model, fake_index_dir):
    """``planqa eval --gold THEIR_FILE``: a file written by staff, in the documented format."""
    from rag.eval.metrics import load_gold
    from tests.conftest import GOLD

    mine = [q for q in load_gold(GOLD) if q.id in ("q001", "q002", "q070")]
    gold = tmp_path / "我的题集.jsonl"
    gold.write_text("\n".join(q.model_dump_json() for q in mine) + "\n", encoding="utf-8")
    args = ["eval", "--gold", str(gold), "--modes", "bm25", "hybrid", "--index", str(fake_index_dir), "--no-build",
            "--reports", str(tmp_path / "reports")]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "评测报告已写入" in out.err and "│ hybrid" in out.out
    (run,) = (tmp_path / "reports").iterdir()
    data = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert data["gold"]["path"] == str(gold) and data["gold"]["questions"] == 3
    assert [c["name"] for c in data["configs"]] == ["bm25", "hybrid"]

    bad = mine[0].model_dump()
    bad["evidence"][0]["text"] = "护理型床位\n占比"  # a line break copied from the raw file
    gold.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "1 条证据在文档正文中找不到" in err and "q001：《2023年全省民政工作要点》中找不到" in err
    gold.write_text('{"id": "q1", "question": "低保"}\n', encoding="utf-8")
    assert main(args) == 1
    assert "第 1 行格式错误" in capsys.readouterr().err


def test_check_finds_the_higher_plan_a_draft_cites_in_a_corpus_without_manifest(tmp_path: Path) -> None:
    """No --against and no manifest: the district plan's own 根据《…》 names the city plan."""
    external = ROOT / "tests" / "data" / "external"
    district = external / "shanghai-changning_ecospace-cityscape_plan15_2026.txt"
    out = run_cli("check", str(district), "--corpus", str(external), "--no-dense", "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)["summary"]
    assert summary["province"]["file"] == "shanghai_ecospace-cityscape_plan15_2026.txt"
    assert summary["county"]["file"] == district.name
    # a draft that cites no plan gets the message, not a traceback
    lonely = tmp_path / "草稿.txt"
    lonely.write_text("某区养老服务规划\n一、发展目标\n到2030年养老床位达到1000张。\n", encoding="utf-8")
    out = run_cli("check", str(lonely), "--corpus", str(external), "--no-dense")
    assert out.returncode != 0 and "请用 --against 指定" in out.stderr and "Traceback" not in out.stderr


def test_print_answer_marks_ocr_citations(capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import print_answer
    from rag.models import Answer, Chunk, Citation, Claim

    scanned = Chunk("s:0001", "scan.pdf", "某规划", ["第五章 养老"], 0, 12, "护理型床位占比不低于60%。", ocr=True)
    typed = Chunk("t:0001", "t.txt", "某规划", ["第五章 养老"], 0, 12, "护理型床位占比不低于55%。")
    print_answer(Answer("？", [Claim("不低于60%。", [1, 2])], [Citation(1, scanned), Citation(2, typed)]))
    lines = capsys.readouterr().out.splitlines()
    assert "[1] 《某规划》第五章  （scan.pdf）  【OCR 识别，请核对原件】" in lines
    assert "[2] 《某规划》第五章  （t.txt）" in lines


def test_cli_keys_add_list_remove(tmp_path):
    keys = tmp_path / "api_keys"
    added = run_cli("keys", "add", "county-office", "--file", str(keys))
    assert added.returncode == 0, added.stderr
    key = added.stdout.splitlines()[1]
    assert key.startswith("pq-") and key not in keys.read_text(encoding="utf-8")
    assert "1 个密钥：county-office" in run_cli("keys", "list", "--file", str(keys)).stdout
    again = run_cli("keys", "add", "county-office", "--file", str(keys))
    assert again.returncode != 0 and "已有名为 county-office 的密钥" in again.stderr
    assert run_cli("keys", "remove", "county-office", "--file", str(keys)).returncode == 0
    gone = run_cli("keys", "remove", "county-office", "--file", str(keys))
    assert gone.returncode == 2 and "没有名为 county-office 的密钥" in gone.stderr
