"""PDF: the text layer read with its geometry (pdfplumber over pdfminer; pdfium where pdfminer
cannot), scanned pages by OCR.

Per page: characters are put into lines by their place on the page, whatever their font
(:mod:`~rag.docs.readers.glyphs`); tables (pdfplumber's ruling lines) become rows of
tab-separated cells, a cell merged down repeated in each row it covers, a header row repeated
at the top of every page once; the other lines are joined into paragraphs by their geometry (a
line that reaches the right margin goes on in the next one unless that is indented, across page
breaks too); running headers and footers (the same line at the top or bottom of most pages) and
page numbers (— 3 —, 第3页 共20页, 3/20, 3) go; footnotes (small type at the foot of a page,
① / [1] / 注 …) are kept apart, after the body.

A file pdfminer cannot open (a broken cross-reference table: "No /Root object!"), a page it
cannot read, and a page without a text layer or whose text layer is garbage (fonts without a
usable Unicode map) are read by pdfium (:mod:`~rag.docs.readers.pdfium`: the same lines, no
table cells); a page pdfium has no good text for either is rendered and read by OCR
(:mod:`~rag.docs.readers.ocr`). A file neither opens is written again by pypdf where pypdf can
read it (a trailer that lost its /Root) and read as above; only a file no reader opens is
refused as damaged.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rag.docs.readers import RawText
from rag.docs.readers import ocr as ocr_reader
from rag.docs.readers.glyphs import Glyph, Line, text_lines, turned
from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

MAX_PAGES = 500  # past this a PDF is refused (a 500-page PDF is not one plan)
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be a header / footer
PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*(第\s*\d{1,4}\s*页(\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}(\s*/\s*\d{1,4})?"
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页|page\s*\d{1,4}(\s*of\s*\d{1,4})?)[-—–－\s]*$",
    re.IGNORECASE,
)
FOOTNOTE_START = re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩]|\[\d{1,2}\]|［\d{1,2}］|\*|注\s*\d*\s*[:：]|\d{1,2}\s)")


@dataclass
class Page:
    number: int  # 1-based
    width: float
    items: list[Line | list[list[str]]] = field(default_factory=list)  # lines and tables, top down
    footnotes: list[str] = field(default_factory=list)


def garbage_share(text: str) -> float:
    """Share of a text layer's characters that no Chinese document is made of.

    Fonts without a usable Unicode map come out as (cid:NN), private-use or replacement
    characters, control characters, or Latin-1 letters in place of Chinese (GBK bytes read
    as single-byte glyphs: "Éç»á").
    """
    chars = [c for c in re.sub(r"\(cid:\d+\)", "\ufffd", text) if not c.isspace()]
    if not chars:
        return 0.0
    bad = 0
    for c in chars:
        o = ord(c)
        if c == "\ufffd" or 0xE000 <= o <= 0xF8FF or unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn"):
            bad += 1
        elif 0x80 <= o <= 0x24F and c not in "°±×÷·§¹²³µ":
            bad += 1
    return bad / len(chars)


def is_garbage(text: str) -> bool:
    """A text layer not worth reading: a fifth of its characters or more are garbage."""
    return len(text.strip()) >= 5 and garbage_share(text) >= 0.2


def _cell(value: object) -> str:
    return re.sub(r"\s*\n\s*", "", str(value or "")).strip()


def _table_rows(table: Any) -> list[list[str]]:
    """A pdfplumber table's rows of cells, a cell merged down repeated in each row it covers.

    pdfplumber gives None where no cell starts (a merged cell covers the place) and "" for an
    empty cell: a None under a cell whose box reaches down over its row takes that cell's
    text, as the .docx reader repeats a vMerge cell (门类 / 行业大类 down their groups); one
    covered by a cell to its left stays empty.
    """
    texts = table.extract()
    rows: list[list[str]] = []
    for i, (row, values) in enumerate(zip(table.rows, texts, strict=False)):
        out = [_cell(v) for v in values]
        for j, box in enumerate(row.cells):
            if box is not None or i == 0:
                continue
            k = i - 1
            while k > 0 and table.rows[k].cells[j] is None:
                k -= 1
            above = table.rows[k].cells[j] if j < len(table.rows[k].cells) else None
            if above is not None and above[3] >= row.bbox[3] - 1:
                out[j] = _cell(texts[k][j])
        rows.append(out)
    return rows


def _read_page(page: Any, number: int) -> Page:
    """One page's lines and tables, top down."""
    out = Page(number, float(page.width))
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj: dict[str, Any]) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    body = page.filter(outside) if boxes else page
    placed: list[tuple[float, Line | list[list[str]]]] = [
        (line.top, line) for line in text_lines(_glyph(c) for c in body.chars)
    ]
    for table in tables:
        rows = [r for r in _table_rows(table) if any(r)]
        if rows:
            placed.append((table.bbox[1], rows))
    placed.sort(key=lambda t: t[0])
    out.items = [item for _, item in placed]
    return out


def _glyph(char: dict[str, Any]) -> Glyph:
    """A pdfminer character as a glyph: its baseline is where its text matrix puts its origin
    (its box hangs from the baseline by its font's declared descent). A character not set
    upright (a page turned by /Rotate, a label up the margin; pdfminer calls upside-down
    text upright) is seen in its baseline's frame."""
    a, b, c, d, e, f = char["matrix"]
    if a > 0 and d > 0 and abs(b) < 1e-6 and abs(c) < 1e-6:
        baseline = char["bottom"] + char["y0"] - f
        return Glyph(char["text"], float(char["x0"]), float(char["x1"]), float(baseline), float(char["size"]))
    width, height = char["x1"] - char["x0"], char["bottom"] - char["top"]
    advance, size = (width, height) if abs(a) >= abs(b) else (height, width)
    return turned(char["text"], e, f, (a, b), advance, size)


def _edge_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _drop_running(pages: list[Page]) -> None:
    """Remove page numbers and the lines repeated at the top or bottom of most pages."""
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [i for i in page.items if isinstance(i, Line)]
        counts.update({_edge_key(line.text) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]})
    # a header or footer is short and is no sentence; digits aside (第3页) it repeats
    running = {
        k
        for k, n in counts.items()
        if len(pages) >= 3 and n >= 0.5 * len(pages) and len(k) <= 40 and "。" not in k
    }
    for page in pages:
        lines = [i for i in page.items if isinstance(i, Line)]
        edges = {id(x) for x in lines[:EDGE_LINES] + lines[-EDGE_LINES:]}
        page.items = [
            i
            for i in page.items
            if not (
                isinstance(i, Line)
                and id(i) in edges
                and (_edge_key(i.text) in running or PAGE_NUMBER.match(i.text))
            )
        ]


def _split_footnotes(pages: list[Page]) -> None:
    """Move small-type notes at the foot of a page (①…, [1]…, 注：…) out of the body."""
    sizes = [i.size for p in pages for i in p.items if isinstance(i, Line) and i.size]
    if not sizes:
        return
    body = statistics.median(sizes)
    for page in pages:
        cut = len(page.items)
        k = len(page.items) - 1
        while k >= 0 and isinstance(page.items[k], Line) and 0 < page.items[k].size <= 0.85 * body:  # type: ignore[union-attr]
            k -= 1
        # the small lines at the foot must start with a note mark
        start = k + 1
        while start < cut and not FOOTNOTE_START.match(page.items[start].text):  # type: ignore[union-attr]
            start += 1
        if start < cut:
            notes = page.items[start:]
            page.items = page.items[:start]
            text: list[str] = []
            for line in notes:
                assert isinstance(line, Line)
                if FOOTNOTE_START.match(line.text) or not text:
                    text.append(line.text)
                else:
                    text[-1] += line.text
            page.footnotes = text


def _join(pages: list[Page]) -> list[str]:
    """Paragraphs (and table rows) of the text pages, in order, each one output line.

    A line goes on into the next when it reaches the right margin (within two characters)
    and the next is not indented, within a page and across a page break.
    """
    out: list[str] = []
    lines = [i for p in pages for i in p.items if isinstance(i, Line)]
    if not lines:
        right = left = 0.0
    else:
        right = statistics.median(sorted(line.x1 for line in lines)[-max(1, len(lines) // 3) :])
        left = min(statistics.median(line.x0 for line in lines), min(line.x0 for line in lines) + 1)
    open_ = False  # the last output line is a paragraph that may go on
    header: list[str] | None = None
    for page in pages:
        for item in page.items:
            if isinstance(item, list):
                rows = item
                if header is not None and rows and rows[0] == header:
                    rows = rows[1:]  # the header repeated on the next page
                elif rows:
                    header = rows[0]
                out.append("")  # tables and paragraphs stand apart
                out.extend("\t".join(r) for r in rows)
                open_ = False
                continue
            char = item.size or 10.0
            indented = item.x0 - left >= 1.2 * char
            if open_ and not indented:
                out[-1] += item.text
            else:
                out.append("")
                out.append(item.text)
            open_ = item.x1 >= right - 2 * char
    notes = [n for p in pages for n in p.footnotes]
    if notes:
        out.append("")
        out.extend(f"脚注：{n}" if not n.startswith("注") else n for n in notes)
    return out


def _open(data: bytes, name: str, repaired: bool = False) -> tuple[Any, Any, list[str]]:
    """(pdfplumber's PDF, pdfium's document, warnings): either reader is None where it cannot open
    the file. Where neither can, pypdf rewrites what it can read of the file (it finds the
    catalog of a file whose trailer has lost it) and both try again; where that fails too, the
    file is damaged or locked by a password."""
    from rag.docs.readers import pdfium

    plumber, plumber_error = _open_pdfminer(data)
    try:
        doc = pdfium.open_pdf(data)
    except Exception as exc:  # noqa: BLE001 - PdfiumError, and anything a fuzzed file may raise
        if plumber is None:
            if _is_password_error(plumber_error) or pdfium.is_password_error(exc):
                raise UnreadableFileError(f"PDF 文件已加密，无法读取：{name}", f"encrypted pdf {name}") from exc
            rewritten = None if repaired else _rewrite(data, name)
            if rewritten is not None:
                plumber, doc, _ = _open(rewritten, name, repaired=True)
                return plumber, doc, ["PDF 文件结构有损坏，已修复后读取，请核对原件"]
            raise UnreadableFileError(
                f"PDF 文件损坏，无法读取：{name}", f"pdfminer: {plumber_error!r}; pdfium: {exc!r}"
            ) from exc
        log.info("pdfium cannot open %s (%r): pdfminer alone, no OCR", name, exc)
        doc = None
    if plumber is None:
        log.info("pdfminer cannot open %s (%r): read by pdfium", name, plumber_error)
        return None, doc, ["PDF 文件结构有损坏，已改用备用方式读出文字（表格按文字行读出），请核对原件"]
    return plumber, doc, []


def _rewrite(data: bytes, name: str) -> bytes | None:
    """The PDF as pypdf reads and writes it again (a fresh cross-reference table and trailer), or
    None where pypdf cannot read it either."""
    from pypdf import PdfReader, PdfWriter

    try:
        out = io.BytesIO()
        PdfWriter(clone_from=PdfReader(io.BytesIO(data))).write(out)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files
        log.info("pypdf cannot rewrite %s either: %r", name, exc)
        return None
    log.info("%s: pdfminer and pdfium cannot open it, pypdf rewrote it", name)
    return out.getvalue()


def _open_pdfminer(data: bytes) -> tuple[Any, Exception | None]:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = len(pdf.pages)
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types on broken files
        return None, exc
    return pdf, None


def _is_password_error(exc: Exception | None) -> bool:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    inner = exc.args[0] if exc is not None and exc.args else exc
    return isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError)


def _page_text(page: Page) -> str:
    text = "".join(i.text for i in page.items if isinstance(i, Line))
    return text + "".join("".join(r) for i in page.items if isinstance(i, list) for r in i)


def _kind(page: Page | None) -> str:
    """What a reader made of a page: "text", "empty" (no text layer), "garbage" or "failed"."""
    if page is None:
        return "failed"
    text = _page_text(page)
    return "empty" if not text.strip() else "garbage" if is_garbage(text) else "text"


def _read(plumber: Any, doc: Any, number: int, name: str) -> tuple[Page | None, str]:
    """A page read by pdfminer, or by pdfium where pdfminer cannot read it or has no good text,
    with what it is (see :func:`_kind`)."""
    from rag.docs.readers import pdfium

    page: Page | None = None
    if plumber is not None:
        try:
            page = _read_page(plumber.pages[number - 1], number)
        except Exception as exc:  # noqa: BLE001 - pdfminer raises many types on broken files
            log.info("pdfminer fails on %s page %d: %r", name, number, exc)
    kind = _kind(page)
    if kind == "text" or doc is None:
        return page, kind
    try:
        width, lines = pdfium.page_lines(doc, number)
    except Exception as exc:  # noqa: BLE001 - a page pdfium cannot load either
        log.info("pdfium fails on %s page %d: %r", name, number, exc)
        return page, kind
    other = Page(number, width, list(lines))
    if _kind(other) == "text":
        if plumber is not None:
            log.info("%s page %d: pdfminer's text is %s, pdfium's is read", name, number, kind)
        return other, "text"
    return (page, kind) if page is not None else (other, _kind(other))


def read_pdf(data: bytes, name: str) -> RawText:
    """Text of a PDF, page after page: pdfminer's text layer and tables; pdfium's text where
    pdfminer cannot open the file, read a page or decode its fonts; OCR where neither has text."""
    plumber, doc, warnings = _open(data, name)
    try:
        return _read_pdf(plumber, doc, name, warnings)
    finally:
        if plumber is not None:
            plumber.close()
        if doc is not None:
            doc.close()


def _read_pdf(plumber: Any, doc: Any, name: str, warnings: list[str]) -> RawText:
    from rag.docs.readers import pdfium

    total = len(plumber.pages) if plumber is not None else len(doc)
    if total > MAX_PAGES:
        raise UnreadableFileError(
            f"PDF 共 {total} 页，超过 {MAX_PAGES} 页的上限，请拆分后再导入：{name}",
            f"{total} pages in {name}",
        )
    pages: list[Page | None] = []
    todo: dict[str, list[int]] = {"empty": [], "garbage": [], "failed": []}
    for k in range(1, total + 1):
        page, kind = _read(plumber, doc, k, name)
        pages.append(page if kind == "text" else None)
        if kind != "text":
            todo[kind].append(k)
    garbage, failed = todo["garbage"], todo["failed"]
    if garbage:
        log.info("garbage text layer in %s, pages %s: read by OCR", name, garbage)
        warnings.append(f"第{_ranges(garbage)}页的文字层无法解码（字体缺少编码表），已改用 OCR 识别")
    ocr = sorted(todo["empty"] + garbage + failed)
    if doc is None and ocr:  # nothing to render them with
        if failed:
            warnings.append(f"第{_ranges(failed)}页已损坏，无法读取")
        ocr = []
    if len(ocr) > ocr_reader.MAX_OCR_PAGES:
        warnings.append(
            f"需要 OCR 的页共 {len(ocr)} 页，超过 {ocr_reader.MAX_OCR_PAGES} 页的上限，"
            f"只识别了前 {ocr_reader.MAX_OCR_PAGES} 页"
        )
        ocr = ocr[: ocr_reader.MAX_OCR_PAGES]
    text_pages = [p for p in pages if p is not None]
    if not text_pages and failed and not ocr:
        raise UnreadableFileError(f"PDF 文件损坏，无法读取：{name}", f"no page of {name} could be read")
    _drop_running(text_pages)
    _split_footnotes(text_pages)
    texts: dict[int, str] = {}
    if ocr:
        texts, more = ocr_reader.ocr_pages(pdfium.render(doc, ocr), len(ocr), name)
        warnings += more
    parts: list[str] = []
    run: list[Page] = []
    ocr_parts: list[str] = []
    for k, text_page in enumerate(pages, start=1):
        if text_page is not None:
            run.append(text_page)
            continue
        if run:
            parts.append("\n".join(_join(run)))
            run = []
        if texts.get(k, "").strip():
            parts.append(texts[k])
            ocr_parts.append(texts[k])
    if run:
        parts.append("\n".join(_join(run)))
    text = "\n\n".join(p for p in parts if p.strip())
    if not text.strip():
        if ocr:
            raise UnreadableFileError(ocr_reader.NO_TEXT.format(name=name), f"ocr found no text in {name}")
        raise UnreadableFileError(f"PDF 中没有可读的文字：{name}", f"no text in {name}")
    return RawText(text, ocr_pages=sorted(texts), warnings=warnings, ocr_parts=ocr_parts)


def _ranges(numbers: Iterable[int]) -> str:
    """[1, 2, 3, 7] -> "1-3、7"."""
    out: list[str] = []
    for n in sorted(numbers):
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return "、".join(out)
