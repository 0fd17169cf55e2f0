"""The 文档库 tab's handlers (ui.library) without a browser: the library of a small corpus, the
keyword embedder, real index jobs. The page itself is tested in test_ui_browser.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.library.conftest import NEW, SMALL, small_corpus, upload  # noqa: F401 - fixtures
from tests.library.test_api import make
from ui import library


@pytest.fixture()
def api(small_corpus: Path, tmp_path: Path) -> Any:  # noqa: F811
    return make(small_corpus, tmp_path / "index")[1]


def last(lines: Any) -> str:
    return list(lines)[-1]


def test_table_lists_the_documents_and_finds_them(api):
    rows = library.table(api)
    assert {r[1] for r in rows} == set(SMALL) and len(rows[0]) == len(library.COLUMNS)
    assert [r[1] for r in library.table(api, "2025")] == ["jilin_work_points_2025.txt"]


def test_preview_shows_the_outline_and_fills_the_form(upload):  # noqa: F811
    md, values = library.preview([str(upload)])
    assert "目录结构" in md and "2023年工作要点.txt" in md
    assert values[0] == "2023年全省民政工作要点"  # the title, read from the text
    assert library.preview([])[0] == "请先选择要上传的文件。"


def test_preview_of_an_unreadable_file_says_why(tmp_path):
    bad = tmp_path / "坏文件.docx"
    bad.write_bytes(b"PK\x03\x04" + bytes(200))  # a zip header, then nothing
    md, values = library.preview([str(bad)])
    assert md.startswith("⚠ 无法读取 坏文件.docx") and values[0] == ""


def test_add_with_a_corrected_title_then_answer_remove_restore(api, upload):  # noqa: F811
    form = ["我的新要点", "", "", "province", "", "", ""]
    lines = list(library.add(api, [str(upload)], form, "", ""))
    assert lines[0].startswith("已加入文档库：2023年工作要点.txt。") and "现在可以提问" in lines[-1], lines
    row = next(r for r in library.table(api) if r[1] == "2023年工作要点.txt")
    assert row[0] == "我的新要点" and row[2] == "省级" and row[7] == "本机用户（网页）" and row[8] == "是"
    answer = api.service.answer("2023年对生活不能自理的特困老人，集中供养率要达到多少？", api.service.filters())
    assert "60%以上" in answer.text and answer.citations[0].chunk.doc == "2023年工作要点.txt"
    assert "现在可以提问" in last(library.remove(api, "2023年工作要点.txt", "", ""))
    assert "2023年工作要点.txt" not in {r[1] for r in library.table(api)}
    (trash_id,) = [value for _, value in library.trash_choices(api)]
    assert "已恢复 2023年工作要点.txt" in last(library.restore(api, trash_id, "", ""))
    assert "2023年工作要点.txt" in {r[1] for r in library.table(api)}


def test_changes_need_the_library_login_when_one_is_configured(small_corpus, tmp_path, upload):  # noqa: F811
    _, api = make(small_corpus, tmp_path / "index", admin_user="guanliyuan", admin_password="mima-2026")
    assert "需要管理员登录" in library.rule(api)
    form = [""] * 7
    assert last(library.add(api, [str(upload)], form, "", "")) == "⚠ 修改文档库需要管理员登录：请在上方填写管理员账号和密码。"
    assert last(library.add(api, [str(upload)], form, "guanliyuan", "wrong")) == "⚠ 资料库管理员用户名或密码错误。"
    assert "现在可以提问" in last(library.add(api, [str(upload)], form, "guanliyuan", "mima-2026"))
    assert next(r for r in library.table(api) if r[1] == "2023年工作要点.txt")[7] == "guanliyuan"


def test_bad_input_is_one_chinese_line(api, tmp_path):
    bad = tmp_path / "x.exe"
    bad.write_bytes(b"MZ")
    assert last(library.add(api, [str(bad)], [""] * 7, "", "")).startswith("⚠ ")
    assert last(library.add(api, [], [""] * 7, "", "")) == "⚠ 请先选择要上传的文件。"
    assert last(library.remove(api, None, "", "")) == "⚠ 请选择要删除的文档。"
    assert last(library.update(api, SMALL[0], ["", "", "", "village", "", "", ""], "", "")) == "⚠ 文档信息有误：level 的值无效。"
    assert last(library.remove(api, "nope.txt", "", "")).startswith("⚠ ")
