"""``planqa add / remove / restore / list``, in this process (``run_cli`` would run the installed
command), with the keyword embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import cli
from rag.index.directory import Index
from tests.conftest import KeywordEmbedder
from tests.library.conftest import SMALL


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rag.index.embed.get_embedder", lambda model=None: KeywordEmbedder())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_remove_restore(small_corpus: Path, tmp_path: Path, upload: Path, capsys: pytest.CaptureFixture[str]):
    where = ["--corpus", str(small_corpus), "--index", str(tmp_path / "index")]
    code, out, err = run(capsys, "add", str(upload), "--title", "二〇二三年要点", "--level", "省", *where)
    assert code == 0, err
    assert f"已添加：{upload.name}（二〇二三年要点）" in out and "索引已更新" in out and "更新索引：" in err
    assert Index.load(tmp_path / "index").metas[upload.name].level == "province"
    code, out, _ = run(capsys, "list", "--json", "--corpus", str(small_corpus))
    assert [d["id"] for d in json.loads(out)] == [upload.name, *SMALL]
    code, out, _ = run(capsys, "remove", upload.name, *where)
    assert code == 0 and "已移入回收站" in out and upload.name not in Index.load(tmp_path / "index").metas
    code, out, _ = run(capsys, "list", "--trash", "--json", "--corpus", str(small_corpus))
    (item,) = json.loads(out)
    code, out, _ = run(capsys, "restore", item["id"], "--no-index", *where)
    assert code == 0 and f"已恢复：{upload.name}" in out and "--no-index" in out
    code, out, _ = run(capsys, "list", "--corpus", str(small_corpus))
    assert "3 篇文档" in out and "《二〇二三年要点》" in out


def test_errors_are_one_chinese_line(small_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "x.exe"
    bad.write_bytes(b"MZ")
    code, _, err = run(capsys, "add", str(bad), "--corpus", str(small_corpus), "--no-index")
    assert code == 1 and err.startswith("错误：不支持的文件类型 .exe")
    code, _, err = run(capsys, "remove", "nope.txt", "--corpus", str(small_corpus), "--no-index")
    assert code == 1 and "资料库中没有文档 nope.txt" in err
