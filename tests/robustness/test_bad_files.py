"""Bad files: unreadable or unusual input to ingestion gets a clear Chinese message, readable
input in any common Chinese encoding is read exactly (issue 8, "Files")."""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import pytest
from pypdf import PdfWriter

import rag.docs.readers
from rag.docs.ingest import ingest_corpus, ingest_file
from rag.docs.readers import read_file
from rag.errors import UnreadableFileError
from rag.models import Block
from tests.conftest import SAMPLE_BODY as BODY
from tests.conftest import SAMPLE_HEADING as HEADING
from ui.app import run_check

TEXT = f"{HEADING}\n{BODY}\n"
GARBAGE = random.Random(0).randbytes(4000)


def _unreadable(path: Path) -> UnreadableFileError:
    with pytest.raises(UnreadableFileError) as info:
        read_file(path)
    err = info.value
    assert re.search(r"[\u4e00-\u9fff]", err.message), err.message
    assert path.name in err.message
    assert err.detail
    return err


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", TEXT),
        ("utf-8-sig", TEXT),
        ("gbk", TEXT),
        ("gb18030", TEXT.replace("老年人。", "老年人𠮷。")),
        ("utf-16", TEXT),  # Python's utf-16 codec writes a BOM
        ("utf-16-le", TEXT),  # no BOM
        ("utf-16-be", TEXT),
    ],
)
def test_encodings_decode_to_the_original_text(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / f"plan-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    assert len(text) >= 200  # long enough for charset detection to be reliable
    assert read_file(path) == text


def test_traditional_big5_draft_is_read_as_simplified(tmp_path: Path) -> None:
    """A draft typed in 繁体 and saved as Big5 (HKSCS) is read and converted to 简体, so it can be
    searched and checked against the simplified plans."""
    import opencc

    traditional = opencc.OpenCC("s2t").convert(TEXT)
    assert traditional.startswith("第五章 大力促進養老服務業發展\n切實發揮公辦養老機構兜底保障作用")
    path = tmp_path / "規劃草案.txt"
    path.write_bytes(traditional.encode("big5hkscs"))
    assert read_file(path) == traditional  # decoded exactly
    assert ingest_file(path).text == f"{HEADING}\n{BODY}"  # and read as 简体


def test_gbk_short_sample(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    short = "到2025年底护理型床位占比不低于60%。"
    path.write_bytes(short.encode("gbk"))
    assert read_file(path) == short


@pytest.mark.parametrize("suffix", [".txt", ".docx", ".pdf", ".doc", ".wps", ".ofd", ".xlsx", ".xls", ".ods"])
def test_binary_garbage_is_unreadable(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(GARBAGE)
    _unreadable(path)


def test_empty_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "为空" in _unreadable(path).message


def test_unsupported_suffix_lists_supported_types(tmp_path: Path) -> None:
    path = tmp_path / "指标.numbers"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    err = _unreadable(path)
    assert ".numbers" in err.message
    for suffix in (".txt", ".md", ".docx", ".doc", ".wps", ".pdf", ".ofd", ".xlsx", ".xls", ".ods", ".png", ".jpg", ".tif"):
        assert suffix in err.message


def test_damaged_spreadsheet_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "指标.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    assert _unreadable(path).message == "表格文件损坏或格式不对，无法读取：指标.xlsx"


def test_file_over_size_limit_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rag.docs.readers, "MAX_FILE_BYTES", 100)
    small = tmp_path / "small.txt"
    small.write_text("到2025年底护理型床位占比不低于60%。", encoding="utf-8")  # 50 bytes
    assert read_file(small) == "到2025年底护理型床位占比不低于60%。"
    big = tmp_path / "big.txt"
    big.write_text(TEXT, encoding="utf-8")
    err = _unreadable(big)
    assert "过大" in err.message
    assert err.detail == f"file too large: {big.stat().st_size} bytes"


@pytest.mark.parametrize("name", ["巨大文件.txt", "巨大文件.pdf"])
def test_enormous_file_is_refused_before_it_is_read(tmp_path: Path, service, name: str) -> None:  # type: ignore[no-untyped-def]
    """A file over the real limit (50 MB; a sparse file, so the test writes nothing) is refused
    from its size alone, in the library and in the plan-check tab."""
    path = tmp_path / name
    with path.open("wb") as fh:
        fh.truncate(rag.docs.readers.MAX_FILE_BYTES + 1)
    assert "文件过大（50 MB），上限为 50 MB" in _unreadable(path).message
    html, files = run_check(service, str(path), None, "jilin_province_14th_fyp_2021.txt")
    assert "文件过大" in html and 'class="pq-error"' in html and files == []


def _blank_pdf(path: Path, password: str | None = None) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(password)
    with path.open("wb") as fh:
        writer.write(fh)


def _scanned_pdf(path: Path) -> None:
    """What a scanner writes: each page one image (here black bars for lines of text), no text layer."""
    from PIL import Image, ImageDraw

    pages = []
    for _ in range(2):
        page = Image.new("L", (620, 877), 255)
        draw = ImageDraw.Draw(page)
        for y in range(80, 800, 28):
            draw.rectangle((60, y, 560, y + 14), fill=0)
        pages.append(page)
    pages[0].save(path, "PDF", resolution=72, save_all=True, append_images=pages[1:])


@pytest.mark.parametrize("make", [_blank_pdf, _scanned_pdf])
def test_pdf_without_text_layer_is_ocred_and_says_it_found_nothing(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "扫描件.pdf"
    make(path)  # pages without a text layer go to OCR, which finds no characters in bars
    assert _unreadable(path).message == "OCR 未识别出文字（图片可能为空白或过于模糊）：扫描件.pdf"


def test_encrypted_pdf_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "加密.pdf"
    _blank_pdf(path, password="secret")
    assert "加密" in _unreadable(path).message


def test_truncated_pdf_is_unreadable(tmp_path: Path) -> None:
    whole = tmp_path / "whole.pdf"
    _blank_pdf(whole)
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole.read_bytes()[:100])
    assert "损坏" in _unreadable(path).message


REPORT = Path(__file__).resolve().parents[1] / "data" / "files" / "01_2024年北京市政府工作报告.pdf"


@pytest.mark.parametrize("share", [0.05, 0.5, 0.999])
def test_a_truncated_real_pdf_gets_one_line(tmp_path: Path, share: float) -> None:
    """Cut anywhere, even short of its last bytes, the report has lost its trailer: no reader opens it."""
    data = REPORT.read_bytes()
    path = tmp_path / "截断.pdf"
    path.write_bytes(data[: int(len(data) * share)])
    err = _unreadable(path)
    assert err.message == "PDF 文件损坏，无法读取：截断.pdf"
    assert "pdfminer" in err.detail and "pdfium" in err.detail


@pytest.mark.parametrize("seed", [0, 21])
def test_a_real_pdf_with_bytes_overwritten_is_read_by_what_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """20 random bytes of the report overwritten: with seed 0 pdfminer cannot open the file (a
    broken dictionary), with seed 21 it cannot read one page's content (of 30 seeds, pdfminer alone
    refused these two; all 30 are read now); both were refused as
    damaged while pdfminer was the only reader. pdfium reads what pdfminer cannot, and the pages
    neither reader has text for are rendered for OCR (here a stub: the OCR engine is not under test)."""
    from rag.docs.readers import ocr

    monkeypatch.setattr(ocr, "ocr_pages", lambda images, total, name: ({n: "" for n, _ in images}, []))
    rng = random.Random(seed)
    data = bytearray(REPORT.read_bytes())
    for _ in range(20):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path = tmp_path / "损坏.pdf"
    path.write_bytes(bytes(data))
    text = read_file(path)
    # of the report's 14,872 Chinese characters seed 0 keeps 2,076 (the bytes hit a font's map: pdfium
    # drops the characters it cannot map), seed 21 keeps 10,407 (pages 1, 4 and 11 are left to OCR)
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 1000


def test_chinese_file_name_with_spaces(tmp_path: Path) -> None:
    name = "舒兰 规划（草稿）.txt"
    path = tmp_path / name
    path.write_text(TEXT, encoding="utf-8")
    doc = ingest_file(path)
    assert doc.file == name
    assert doc.meta.file == name
    assert doc.text == f"{HEADING}\n{BODY}"
    assert doc.blocks == [
        Block("para", 0, len(HEADING)),
        Block("para", len(HEADING) + 1, len(HEADING) + 1 + len(BODY)),
    ]


@pytest.mark.parametrize("suffix", [".txt", ".docx", ".pdf", ".doc", ".ofd", ".xlsx"])
def test_corpus_skips_garbage(tmp_path: Path, caplog: pytest.LogCaptureFixture, suffix: str) -> None:
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / f"garbage{suffix}").write_bytes(GARBAGE)
    with caplog.at_level(logging.WARNING, logger="rag.docs.ingest"):
        docs = ingest_corpus(tmp_path)
    assert [d.file for d in docs] == ["good.txt"]
    assert docs[0].text == f"{HEADING}\n{BODY}"
    assert any(f"garbage{suffix}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("草案.exe", b"MZ\x90\x00", "不支持的文件类型 .exe"),
        ("草案.pdf", b"%PDF-1.4 broken" * 10, "PDF 文件损坏"),
        ("空文件.txt", b"", "文件为空"),
    ],
)
def test_unreadable_uploads_get_a_chinese_message(service, tmp_path, name, data, message):
    upload = tmp_path / name
    upload.write_bytes(data)
    html, files = run_check(service, str(upload), None, "jilin_province_14th_fyp_2021.txt")
    assert message in html and files == []


def test_uploads_take_every_format_ingestion_reads(service, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The plan-check upload follows the readers: an .ofd draft is read, not refused by its suffix."""
    from ui.service import UPLOAD_SUFFIXES

    assert set(UPLOAD_SUFFIXES) >= {".doc", ".wps", ".ofd", ".xlsx", ".xls", ".ods"}
    upload = tmp_path / "批复.ofd"
    upload.write_bytes((Path(__file__).resolve().parents[1] / "data" / "files" / "notice_09.ofd").read_bytes())
    assert service.read_document(upload).meta.doc_number == "路卫发〔2011〕76号"
    refused = tmp_path / "草案.key"
    refused.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnreadableFileError) as info:
        service.read_document(refused)
    assert info.value.message.startswith("不支持的文件类型 .key：请上传 .txt、.md、.docx、.doc、.wps、.pdf、.ofd")
