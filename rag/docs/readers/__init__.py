"""Read a file of any format an office uses into raw text, with what was read how.

One module per family of formats, each a function ``(data, name) -> RawText``:
:mod:`~rag.docs.readers.text` (.txt / .md in any Chinese encoding),
:mod:`~rag.docs.readers.word` (.docx), :mod:`~rag.docs.readers.pdf` (.pdf, scanned pages
by OCR), :mod:`~rag.docs.readers.ocr` (images: .png / .jpg / .tif).
:func:`read_document` checks the file (type, size) and dispatches on its suffix; the raw
text then goes through the same cleaning and outline (:mod:`rag.docs.ingest`) whatever
the format. A reader raises :class:`~rag.errors.UnreadableFileError` with one Chinese line
for a file it cannot read; what it read with doubts it says in ``warnings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import UnreadableFileError

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class RawText:
    """What a reader made of a file: its text, before cleaning."""

    text: str
    ocr_pages: list[int] = field(default_factory=list)  # 1-based pages whose text came from OCR
    warnings: list[str] = field(default_factory=list)  # in Chinese, for the user
    # the texts of the OCR'd pages as they stand in ``text``: ingestion finds them in the
    # cleaned text (Document.ocr_spans), so that their passages are cited as OCR
    ocr_parts: list[str] = field(default_factory=list)


Reader = Callable[[bytes, str], RawText]


def _readers() -> dict[str, Reader]:
    from rag.docs.readers import ocr, pdf, text, word

    return {
        ".txt": text.read_text,
        ".md": text.read_text,
        ".docx": word.read_docx,
        ".pdf": pdf.read_pdf,
        **{suffix: ocr.read_image for suffix in IMAGE_SUFFIXES},
    }


IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".docx", ".pdf", *IMAGE_SUFFIXES)


def read_file(path: Path) -> str:
    """The raw text of a supported file, decoded."""
    return read_document(path)[1].text


def read_document(path: Path) -> tuple[bytes, RawText]:
    """(the file's bytes, what its reader made of it): the file is read once."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFileError(
            f"不支持的文件类型 {suffix or '（无扩展名）'}：{path.name}；支持 {' '.join(SUPPORTED_SUFFIXES)}",
            f"unsupported suffix {suffix}",
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFileError(f"无法打开文件：{path.name}", repr(exc)) from exc
    if size > MAX_FILE_BYTES:
        raise UnreadableFileError(
            f"文件过大（{size // (1024 * 1024)} MB），上限为 {MAX_FILE_BYTES // (1024 * 1024)} MB：{path.name}",
            f"file too large: {size} bytes",
        )
    if size == 0:
        raise UnreadableFileError(f"文件为空：{path.name}", f"empty file: {path}")
    data = path.read_bytes()
    return data, _readers()[suffix](data, path.name)
