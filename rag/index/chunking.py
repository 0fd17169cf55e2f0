"""Section-aware chunking: a document and its outline -> chunks.

Chunks never cross a section boundary. Long sections are split at sentence
ends into passages of about ``target``–``max_chars`` characters with one
sentence of overlap. An indicator table (主要发展指标) becomes one table chunk
plus one chunk per row, each row rendered with its header. A 专栏 box is kept
whole as one more chunk (when not too long) besides one chunk per item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.docs.outline import iter_sections, parse_outline, split_sentences
from rag.docs.tables import render_row, row_statement
from rag.models import Block, Chunk, Document, Section

# Bump when parsing or chunking logic changes: indexes built before are then re-chunked.
# 2: documents are converted from traditional to simplified characters when read.
# 3: a table_row chunk carries its statement, read from the table model.
# 4: tables of any layout are rebuilt (headers over two lines or rows, group cells written
#    once, pipes); statements name values "2025年现状", drop footnote markers, add the group.
# 5: the 印发通知 in front of a plan is a section of its own (path ["印发通知"]); web-page debris
#    and wrappers (front matter, a CSV export) are dropped when read.
# 6: outlines of other styles (第一部分, 附件 / 附表, （1）, ①).
# 7: a chunk whose span overlaps the document's OCR spans carries ocr=True.
CHUNKER_VERSION = 7


@dataclass(frozen=True)
class ChunkParams:
    target: int = 450
    max_chars: int = 600
    min_chars: int = 150
    overlap_max: int = 120  # longest sentence repeated as overlap
    box_max_chars: int = 1500  # a 专栏 up to this long is also kept whole

    def as_dict(self) -> dict[str, int]:
        return {
            "version": CHUNKER_VERSION,
            "target": self.target,
            "max_chars": self.max_chars,
            "min_chars": self.min_chars,
            "overlap_max": self.overlap_max,
            "box_max_chars": self.box_max_chars,
        }


def _pieces(text: str, offset: int, params: ChunkParams) -> list[tuple[int, int]]:
    """Spans (absolute) of the passages one long paragraph splits into."""
    sentences = split_sentences(text)
    spans: list[tuple[int, int]] = []
    pos = 0
    bounds = []
    for s in sentences:
        bounds.append((pos, pos + len(s)))
        pos += len(s)
    i = 0
    while i < len(bounds):
        start = bounds[i][0]
        j = i
        while j + 1 < len(bounds) and bounds[j + 1][1] - start <= params.target:
            j += 1
        end = bounds[j][1]
        if end - start > params.max_chars:  # one very long sentence: cut at a comma or hard
            cut = text.rfind("，", start, start + params.max_chars)
            end = cut + 1 if cut > start + params.min_chars else start + params.max_chars
            spans.append((start, end))
            bounds[i] = (end, bounds[i][1])
            continue
        spans.append((start, end))
        if j + 1 >= len(bounds):
            break
        last = bounds[j]
        overlap = last[1] - last[0] <= params.overlap_max and j > i
        i = j if overlap else j + 1
    # fold a short tail into its predecessor when that stays near the limit
    if len(spans) >= 2 and spans[-1][1] - spans[-1][0] < params.min_chars:
        if spans[-1][1] - spans[-2][0] <= params.max_chars + params.min_chars:
            spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return [(offset + a, offset + b) for a, b in spans]


def _text_spans(doc: Document, blocks: list[Block], params: ChunkParams) -> list[tuple[int, int]]:
    """Group a section's own paragraphs into passages; split the long ones."""
    spans: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for block in blocks:
        length = block.end - block.start
        if length > params.max_chars:
            if cur:
                spans.append(cur)
                cur = None
            spans.extend(_pieces(doc.text[block.start : block.end], block.start, params))
            continue
        if cur and block.end - cur[0] <= params.max_chars and (cur[1] - cur[0]) < params.target:
            cur = (cur[0], block.end)
        else:
            if cur:
                spans.append(cur)
            cur = (block.start, block.end)
    if cur:
        spans.append(cur)
    return spans


def _last_end(section: Section) -> int:
    """End of the last block of a section or of its descendants."""
    end = section.end
    for b in section.blocks:
        end = max(end, b.end)
    for child in section.children:
        end = max(end, _last_end(child))
    return end


def chunk_document(
    doc: Document, params: ChunkParams | None = None, root: Section | None = None
) -> list[Chunk]:
    """All chunks of a document, in text order (``root``: its outline, if already parsed)."""
    params = params or ChunkParams()
    stem = Path(doc.file).stem
    out: list[tuple[int, int, list[str], str, str, str, int, int, list[list[str]]]] = []
    # start, end, path, text, kind, statement, table number, row number, cells
    root = root or parse_outline(doc)
    number = {id(t): n for n, t in enumerate(doc.tables)}
    for section, path in iter_sections(root):
        blocks = section.blocks
        pending: list[Block] = []
        for idx, block in enumerate(blocks):
            table = block.table
            if table is None:
                nxt = blocks[idx + 1] if idx + 1 < len(blocks) else None
                if nxt is not None and nxt.table is not None and nxt.table.caption_start == block.start:
                    continue  # the caption goes with its table
                pending.append(block)
                continue
            for s, e in _text_spans(doc, pending, params):
                out.append((s, e, list(path), doc.text[s:e], "text", "", -1, -1, []))
            pending = []
            table_path = list(path)
            start = block.start
            if table.caption_start is not None:
                table_path.append(table.caption)
                start = table.caption_start
            n = number.get(id(table), -1)
            cells = [list(table.header), *map(list, table.rows)]
            out.append((start, block.end, table_path, doc.text[start : block.end], "table", "", n, -1, cells))
            if table.is_indicator:
                for k, (row, (rs, re_)) in enumerate(zip(table.rows, table.row_spans, strict=True)):
                    rendered = render_row(table.header, row)
                    statement = row_statement(table, row)
                    cells = [list(table.header), list(row)]
                    out.append((rs, re_, table_path, rendered, "table_row", statement, n, k, cells))
        for s, e in _text_spans(doc, pending, params):
            out.append((s, e, list(path), doc.text[s:e], "text", "", -1, -1, []))
        if section.kind == "zhuanlan" and section.children:
            # the whole box as one chunk too, for "专栏N 包括哪些" questions
            end = _last_end(section)
            if end - section.start <= params.box_max_chars:
                out.append((section.start, end, list(path), doc.text[section.start : end], "box", "", -1, -1, []))
    out.sort(key=lambda t: (t[0], t[4] not in ("table", "box")))
    return [
        Chunk(
            chunk_id=f"{stem}:{i:04d}",
            doc=doc.file,
            title=doc.title,
            section_path=path,
            start=s,
            end=e,
            text=text,
            kind=kind,  # type: ignore[arg-type]
            statement=statement,
            ocr=any(a < e and s < b for a, b in doc.ocr_spans),
            table=n,
            row=k,
            cells=cells,
        )
        for i, (s, e, path, text, kind, statement, n, k, cells) in enumerate(out)
    ]
