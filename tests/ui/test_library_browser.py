"""The 文档库 tab in a real browser (Debian's chromium through Playwright) against a real
``planqa serve`` (real model) on a copy of the corpus and of its index: a newcomer adds a
document of their own and asks about it, replaces it, removes it and restores it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS, CORPUS, running_server
from tests.ui.test_ui_browser import BROWSER_ARGS, CHROMIUM, ask

pytestmark = [pytest.mark.real, pytest.mark.browser]

COUNTY = "松原县"  # a county of no document in the corpus
QUESTION = f"{COUNTY}“十五五”民政规划中社区养老服务综合体建设目标是多少个？"
SCAN = Path(__file__).parents[1] / "data" / "scans" / "scan.pdf"


def draft(path: Path, count: int) -> Path:
    """A county's 十五五 draft as Word writes it: a heading and the paragraph the question asks about."""
    from docx import Document

    doc = Document()
    doc.add_heading(f"{COUNTY}民政事业发展“十五五”规划（征求意见稿）", level=1)
    doc.add_heading("第三章 养老服务", level=2)
    doc.add_paragraph(f"到2030年，全县建成社区养老服务综合体{count}个，农村互助养老服务设施覆盖率达到90%以上。")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


@pytest.fixture(scope="module")
def server(real_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server whose library is a copy: the repository's corpus is never written."""
    work = tmp_path_factory.mktemp("library-server")
    shutil.copytree(CORPUS, work / "corpus")
    shutil.copytree(real_index_dir, work / "index")
    with running_server(work / "index", {}, "--corpus", str(work / "corpus"), log_name="server-library") as srv:
        yield {**srv, "corpus": work / "corpus"}


@pytest.fixture(scope="module")
def page(server: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        pg.goto(server["url"])
        pg.wait_for_selector("#question textarea")
        yield pg
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "library-tab.png"), full_page=True)
        browser.close()


def in_library(page: Any) -> None:
    page.get_by_role("tab", name="文档库").click()


def wait_done(page: Any, what: str, timeout: float = 240_000) -> str:
    """The status line once the change's index job has finished."""
    status = page.locator("#library-status")
    page.wait_for_function(
        "w => { const t = document.querySelector('#library-status').innerText; return t.includes(w) && (t.includes('现在可以提问') || t.includes('⚠')); }",
        arg=what, timeout=timeout,
    )
    text = str(status.inner_text())
    assert "现在可以提问" in text, text
    return text


def pick(page: Any, box: str, text: str) -> None:
    """Choose the option of a Gradio dropdown that holds ``text``."""
    page.locator(f"{box} input").click()
    page.get_by_role("option", name=text).first.click()


def chat_answer(page: Any, question: str) -> Any:
    page.get_by_role("tab", name="问答").click()
    return ask(page, question)


def test_add_ask_replace_remove_restore(page, server, tmp_path):
    first = draft(tmp_path / "v1" / f"{COUNTY}十五五规划（征求意见稿）.docx", 12)
    in_library(page)
    assert "资料库可由本机用户修改" in page.locator("#library-rule").inner_text()
    page.locator("#library-upload input[type=file]").set_input_files(str(first))
    page.get_by_text("目录结构").first.wait_for(timeout=60_000)  # the preview comes with the upload
    page.locator("#meta-title textarea").fill(f"{COUNTY}民政十五五规划（草案）")
    page.click("#library-add")
    wait_done(page, "已加入文档库")
    page.locator("#library-table").get_by_text(f"{COUNTY}民政十五五规划（草案）").first.wait_for()  # the table follows

    answer = chat_answer(page, QUESTION)
    assert "12个" in answer.inner_text() and f"《{COUNTY}民政十五五规划（草案）》" in answer.inner_text()

    in_library(page)  # a scanned PDF too: read by OCR
    page.locator("#library-upload input[type=file]").set_input_files(str(SCAN))
    page.get_by_text("scan.pdf").first.wait_for()
    page.click("#library-add")
    wait_done(page, "已加入文档库：scan.pdf")

    second = draft(tmp_path / "v2" / "新版本.docx", 15)
    page.get_by_role("tab", name="修改、替换、删除").click()
    pick(page, "#library-pick", f"{COUNTY}民政十五五规划（草案）")
    page.locator("#library-new-file input[type=file]").set_input_files(str(second))
    page.get_by_text("新版本.docx").first.wait_for()
    page.click("#library-replace")
    wait_done(page, "已替换")
    assert "15个" in chat_answer(page, QUESTION).inner_text()

    in_library(page)
    page.get_by_role("tab", name="修改、替换、删除").click()
    pick(page, "#library-pick", f"{COUNTY}民政十五五规划（草案）")
    page.click("#library-remove")
    wait_done(page, "已删除")
    gone = chat_answer(page, QUESTION).inner_text()
    assert "15个" not in gone and "12个" not in gone

    in_library(page)
    page.get_by_role("tab", name="回收站").click()
    pick(page, "#library-trash", f"{COUNTY}民政十五五规划（草案）")
    page.click("#library-restore")
    wait_done(page, "已恢复")
    assert "15个" in chat_answer(page, QUESTION).inner_text()
    assert not (CORPUS / first.name).exists()  # the repository's corpus was never touched
