"""Read a file of any format an office uses into raw text, with what was read how.

One module per family of formats, each a function ``(data, name) -> RawText``:
:mod:`~rag.docs.readers.text` (.txt / .md in any Chinese encoding),
:mod:`~rag.docs.readers.word` (.docx), :mod:`~rag.docs.readers.legacy` (.doc and Kingsoft
.wps), :mod:`~rag.docs.readers.pdf` (.pdf; :mod:`~rag.docs.readers.pdfium` where pdfminer cannot read it, scanned pages by OCR), :mod:`~rag.docs.readers.ofd`
(.ofd, GB/T 33190), :mod:`~rag.docs.readers.sheet` (.xlsx / .xls / .ods) and
:mod:`~rag.docs.readers.ocr` (images: .png / .jpg / .tif).
:func:`read_document` checks the file (type, size), looks at its first bytes
(:mod:`~rag.docs.readers.sniff`: a .doc that is really a .docx is read as a .docx, with a
warning, and so is a .doc that is RTF or a web page, read by :mod:`~rag.docs.readers.markup`;
an encrypted Office file or a zip bomb is refused) and dispatches; the raw text then
goes through the same cleaning and outline (:mod:`rag.docs.ingest`) whatever the format. A
reader raises :class:`~rag.errors.UnreadableFileError` with one Chinese line for a file it
cannot read; what it read with doubts it says in ``warnings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import UnreadableFileError

MAX_FILE_BYTES = 50 * 1024 * 1024


# A line break inside a table cell (a <br>, a second paragraph in a Word cell): the cell's text goes on,
# and ingestion joins it without a space, where a space the text itself has between two Latin letters or
# digits is kept ("PM2" / ".5" is "PM2.5", "Micro LED" stays).
CELL_BREAK = "\u2028"


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
    from rag.docs.readers import legacy, markup, ocr, ofd, pdf, sheet, text, word

    return {
        ".txt": text.read_text,
        ".md": text.read_text,
        ".docx": word.read_docx,
        ".doc": legacy.read_legacy,
        ".wps": legacy.read_legacy,
        ".pdf": pdf.read_pdf,
        ".ofd": ofd.read_ofd,
        ".xlsx": sheet.read_sheet,
        ".xls": sheet.read_sheet,
        ".ods": sheet.read_sheet,
        **{suffix: ocr.read_image for suffix in IMAGE_SUFFIXES},
        # what a file under another name may really be (see sniff): no suffix of its own
        ".rtf": markup.read_rtf,
        ".html": markup.read_html,
    }


IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".txt", ".md", ".docx", ".doc", ".wps", ".pdf", ".ofd", ".xlsx", ".xls", ".ods", *IMAGE_SUFFIXES
)


def read_file(path: Path) -> str:
    """The raw text of a supported file, decoded."""
    return read_document(path)[1].text


def read_document(path: Path) -> tuple[bytes, RawText]:
    """(the file's bytes, what its reader made of it): the file is read once."""
    from rag.docs.readers.sniff import reader_suffix

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
    actual, warning = reader_suffix(data, suffix, path.name)
    raw = _readers()[actual](data, path.name)
    if warning:
        raw.warnings.insert(0, warning)
    return data, raw
