"""Word .docx: paragraphs and tables in document order, as a reader of the page sees them.

- A heading numbered by Word (numbering.xml, through the paragraph's ``numPr`` or its style's)
  gets its number written in ("第一章 总则", "一、", "5.1 确定评价范围"), so the outline
  parser finds it; bullets are not written.
- Text boxes (``w:txbxContent``) are read as paragraphs after the paragraph that anchors them.
- Footnotes and endnotes are kept out of the body and listed under a 注释 line at the end.
- Field codes are never text: a FORMTEXT form field reads as its text, a PAGE / NUMPAGES
  field (page numbers; headers and footers are not read at all) as nothing.
- Table rows are tab-separated cells; a cell merged across columns or down (vMerge)
  repeats in each, a row that is one cell across the table is one cell.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from rag.docs.readers import CELL_BREAK, RawText
from rag.docs.readers.numbering import Numbering
from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_PAGE_FIELDS = ("PAGE", "NUMPAGES", "SECTIONPAGES")
_FOOTNOTES = "/footnotes"
_ENDNOTES = "/endnotes"


def read_docx(data: bytes, name: str) -> RawText:
    """Paragraphs and tables of a .docx in document order; table rows as tab-separated cells."""
    from docx import Document as DocxDocument

    try:
        doc = DocxDocument(io.BytesIO(data))
        reader = _Reader(doc)
        reader.blocks(doc.element.body)
        lines = reader.lines
        notes = reader.notes()
    except Exception as exc:  # noqa: BLE001 - a damaged zip or XML raises zlib, zipfile, lxml, KeyError …
        raise UnreadableFileError(
            f"无法读取 Word 文件（文件损坏或不是 .docx 格式）：{name}", repr(exc)
        ) from exc
    if notes:
        lines += ["", "注释", *notes]
    return RawText("\n".join(lines))


class _Reader:
    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.numbering = Numbering.of(doc)
        self.lines: list[str] = []
        self.note_refs: list[tuple[str, str]] = []  # (footnotes | endnotes, id) in reading order

    def blocks(self, parent: Any) -> None:
        """Paragraphs, tables and content controls under ``parent``, in order."""
        for child in parent.iterchildren():
            tag = child.tag
            if tag == f"{W}p":
                self.paragraph(child)
            elif tag == f"{W}tbl":
                self.table(child)
            elif tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    self.blocks(content)
            elif tag in (f"{W}ins", f"{W}customXml", f"{W}smartTag"):
                self.blocks(child)

    def paragraph(self, p: Any) -> None:
        boxes: list[Any] = []
        text = self.inline(p, boxes)
        number = self.numbering.label(p)
        if number:
            text = number + text.lstrip(" \u3000\t")
        self.lines.append(text)
        for box in boxes:
            self.blocks(box)

    def inline(self, element: Any, boxes: list[Any]) -> str:
        """The text of a paragraph (or a cell paragraph): runs, tabs, breaks, form fields."""
        out: list[str] = []
        hidden = 0  # depth of open page-number fields whose result is dropped
        fields: list[list[str]] = []  # instruction text of the open complex fields

        def walk(node: Any) -> None:
            nonlocal hidden
            for child in node.iterchildren():
                tag = child.tag
                if not isinstance(tag, str):
                    continue  # comments, processing instructions
                if tag == f"{MC}Fallback" or tag in (f"{W}del", f"{W}instrText", f"{W}delText"):
                    if tag == f"{W}instrText" and fields:
                        fields[-1].append(child.text or "")
                    continue
                if tag == f"{W}txbxContent":
                    boxes.append(child)
                    continue
                if tag == f"{W}fldChar":
                    kind = child.get(f"{W}fldCharType")
                    if kind == "begin":
                        fields.append([])
                    elif kind == "separate" and fields:
                        if _is_page_field("".join(fields[-1])):
                            hidden += 1
                            fields[-1] = ["\0page"]
                    elif kind == "end" and fields:
                        if fields.pop() == ["\0page"]:
                            hidden -= 1
                    continue
                if tag == f"{W}fldSimple" and _is_page_field(child.get(f"{W}instr") or ""):
                    continue
                if tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                    kind = "footnotes" if tag == f"{W}footnoteReference" else "endnotes"
                    self.note_refs.append((kind, child.get(f"{W}id") or ""))
                    continue
                if tag == f"{W}pPr" or tag == f"{W}rPr":
                    continue
                if hidden:
                    walk(child)  # field ends and nested boxes still count
                    continue
                if tag == f"{W}t":
                    out.append(child.text or "")
                elif tag == f"{W}tab":
                    out.append("\t")
                elif tag in (f"{W}br", f"{W}cr"):
                    out.append("\n")
                elif tag == f"{W}noBreakHyphen":
                    out.append("-")
                else:
                    walk(child)

        walk(element)
        return "".join(out)

    def table(self, tbl: Any) -> None:
        from docx.table import Table

        table = Table(tbl, self.doc._body)
        for row in table.rows:
            # a cell merged across columns repeats in each (a two-row header's 指标值 over
            # 现状 / 规划), one merged down repeats in each row (a group cell); a row that is
            # one cell across the table (a title, a note) is one cell
            cells = list(row.cells)
            if all(c._tc is cells[0]._tc for c in cells):
                cells = cells[:1]
            texts = []
            for c in cells:
                parts = [self.inline(p, []) for p in c._tc.iter(f"{W}p")]
                texts.append(CELL_BREAK.join(x.strip() for x in parts if x.strip()).replace("\t", " ").replace("\n", CELL_BREAK))
            self.lines.append("\t".join(texts))

    def notes(self) -> list[str]:
        """The footnotes and endnotes the body refers to, in order: "[1] …"."""
        if not self.note_refs:
            return []
        texts = {kind: _note_texts(self.doc, kind, self) for kind in ("footnotes", "endnotes")}
        out = []
        for n, (kind, note_id) in enumerate(self.note_refs, start=1):
            text = texts[kind].get(note_id, "").strip()
            if text:
                out.append(f"[{n}] {text}")
        return out


def _is_page_field(instruction: str) -> bool:
    word = instruction.strip().split(" ", 1)[0].upper() if instruction.strip() else ""
    return word in _PAGE_FIELDS


def _note_texts(doc: Any, kind: str, reader: _Reader) -> dict[str, str]:
    """{note id: its text} of the document's footnotes or endnotes part."""
    from lxml import etree

    suffix = _FOOTNOTES if kind == "footnotes" else _ENDNOTES
    part = next((r.target_part for r in doc.part.rels.values() if r.reltype.endswith(suffix)), None)
    if part is None:
        return {}
    try:
        root = etree.fromstring(part.blob)
    except etree.XMLSyntaxError as exc:
        log.warning("unreadable %s part: %r", kind, exc)
        return {}
    out = {}
    tag = f"{W}footnote" if kind == "footnotes" else f"{W}endnote"
    for note in root.iter(tag):
        if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        refs = len(reader.note_refs)
        paras = [reader.inline(p, []) for p in note.iter(f"{W}p")]
        del reader.note_refs[refs:]  # a note's own reference mark is not a reference
        out[note.get(f"{W}id") or ""] = " ".join(p.strip() for p in paras if p.strip())
    return out
