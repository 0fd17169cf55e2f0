"""PDF: the text layer, page after page."""

from __future__ import annotations

import io

from rag.docs.readers import RawText
from rag.errors import UnreadableFileError


def read_pdf(data: bytes, name: str) -> RawText:
    """Text of a text PDF, page after page (page-break splits are repaired by cleaning)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:  # noqa: BLE001 - pypdf raises several types here
                ok = False
            if not ok:
                raise UnreadableFileError(
                    f"PDF 文件已加密，无法读取：{name}", f"encrypted pdf {name}"
                )
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFileError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableFileError(f"PDF 文件损坏，无法读取：{name}", repr(exc)) from exc
    text = "\n".join(pages)
    if not text.strip():
        raise UnreadableFileError(
            f"PDF 没有文字层（可能是扫描件），需要先做 OCR 文字识别：{name}",
            f"no text layer in {name}",
        )
    return RawText(text)


