"""PDF through pdfium (pypdfium2): the second reader of :mod:`~rag.docs.readers.pdf`.

pdfium opens files pdfminer gives up on (a cross-reference table that points astray: "No
/Root object!"; pdfium rebuilds it from the objects) and decodes fonts pdfminer cannot (no
ToUnicode map: pdfium reads the embedded font's own tables). Each character comes with its
origin on the baseline, its advance and its size, and goes through the same line rule as
pdfminer's (:mod:`~rag.docs.readers.glyphs`). pdfium also renders the pages that OCR reads.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.docs.readers import ocr as ocr_reader
from rag.docs.readers.glyphs import Glyph, Line, text_lines, turned

if TYPE_CHECKING:
    from PIL.Image import Image


def open_pdf(data: bytes) -> Any:
    """A pypdfium2 ``PdfDocument``; raises ``pypdfium2.PdfiumError`` (``err_code`` 4: a password)."""
    import pypdfium2

    return pypdfium2.PdfDocument(data)


def is_password_error(exc: Exception) -> bool:
    import pypdfium2.raw as pdfium_c

    return getattr(exc, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)


def page_lines(doc: Any, number: int) -> tuple[float, list[Line]]:
    """The width and the text lines, top down, of a 1-based page."""
    page = doc[number - 1]
    try:
        textpage = page.get_textpage()
        try:
            return float(page.get_width()), text_lines(_glyphs(textpage, float(page.get_height())))
        finally:
            textpage.close()
    finally:
        page.close()


def _glyphs(textpage: Any, height: float) -> Iterator[Glyph]:
    """The characters pdfium read on a page (not the spaces and line breaks it adds itself),
    positions measured from the page's top edge."""
    import pypdfium2.raw as pdfium_c

    x, y = ctypes.c_double(), ctypes.c_double()
    matrix = pdfium_c.FS_MATRIX()
    count = textpage.count_chars()
    i = 0
    while i < count:
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        k = i
        i += 1
        if pdfium_c.FPDFText_IsGenerated(textpage, k) == 1:
            continue
        if 0xD800 <= code < 0xDC00 and i < count:  # a surrogate pair: one character
            low = pdfium_c.FPDFText_GetUnicode(textpage, i)
            if 0xDC00 <= low < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                i += 1
        text = "\ufffd" if pdfium_c.FPDFText_HasUnicodeMapError(textpage, k) == 1 or not code else chr(code)
        try:
            left, bottom, right, top = textpage.get_charbox(k, loose=True)
        except Exception:  # noqa: BLE001 - pypdfium2 raises PdfiumError for a box it cannot give
            continue
        pdfium_c.FPDFText_GetCharOrigin(textpage, k, x, y)
        pdfium_c.FPDFText_GetMatrix(textpage, k, matrix)
        size = pdfium_c.FPDFText_GetFontSize(textpage, k) * math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
        if abs(matrix.b) < 1e-6 and abs(matrix.c) < 1e-6 and matrix.a > 0 and matrix.d > 0:
            yield Glyph(text, left, right, height - y.value, size)
        else:  # set sideways or upside down: seen in its baseline's frame
            upright = abs(matrix.a) >= abs(matrix.b)
            advance = right - left if upright else top - bottom
            yield turned(text, x.value, y.value, (matrix.a, matrix.b), advance, size)


def render(doc: Any, numbers: list[int]) -> Iterator[tuple[int, Image]]:
    """The given 1-based pages as images for OCR, one at a time."""
    for n in numbers:
        page = doc[n - 1]
        try:
            yield n, page.render(scale=ocr_reader.RENDER_DPI / 72).to_pil()
        finally:
            page.close()
