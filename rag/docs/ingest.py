"""Clean documents and describe them; the files themselves are read by :mod:`rag.docs.readers`.

The corpus is real extracted text: page-break splits in mid-sentence, hard
line breaks inside sentences, full-width indentation, ``**bold**`` markers,
``<p>`` fragments, a table of contents with page numbers, and tables written
one cell per line. :func:`clean_text` turns that into one line per paragraph
and one line per table row (cells separated by tabs), and records each
paragraph and table as a :class:`~rag.models.Block` with its span. Before that, a file's
wrapper (front matter, CSV export) and web-page debris go (:mod:`rag.docs.heads`); a file
without a manifest entry is described from its text (:mod:`rag.docs.meta`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import statistics
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from rag.docs.grid import read_text_table
from rag.docs.heads import strip_debris, unwrap
from rag.docs.meta import infer_meta, link_implements
from rag.docs.readers import CELL_BREAK, SUPPORTED_SUFFIXES, read_document
from rag.docs.tables import attach_tables, shape_rows
from rag.docs.textnorm import to_simplified
from rag.errors import ConfigError, UnreadableFileError
from rag.models import Block, DocMeta, Document, Manifest

log = logging.getLogger(__name__)


# Chinese characters, full-width forms and CJK punctuation, quotes and dashes.
CJK = r"\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’—…·《》〔〕"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{CJK}])[ \t\u3000\xa0]+|[ \t\u3000\xa0]+(?=[{CJK}])")
_MULTISPACE = re.compile(r"[ \t\u3000\xa0]+")
# A leading heading marker whose following space is kept: "第一章 规划背景",
# "专栏1 基层…", "01 提升…", "1. 有效衔接…"
_LEAD_ENUM = re.compile(
    r"^(第[一二三四五六七八九十百零〇\d]+(?:[章节篇]|部分)|专栏\s*\d+|\d{1,2}[.．]?)[ \u3000]+(?=\S)"
)

_CN_NUM = "一二三四五六七八九十百零〇"
TERMINAL = "。！？；：!?;…"
_CLOSERS = "”’」』）)】》\"'"

_TOC_ENTRY = re.compile(
    rf"^(第[{_CN_NUM}\d]+[章节]|[{_CN_NUM}]+、).*?(\.{{2,}}|…+|·{{2,}}|\t|\s{{2,}})\s*\d{{1,3}}\s*$"
)
_TOC_TITLE = re.compile(r"^目\s*录$")
_PAGE_NUMBER = re.compile(r"^[-—–－\s]*(第\s*)?\d{1,3}(\s*页)?[-—–－\s]*$")
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,8}〔\d{4}〕\d+\s*号$")
_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月(\s*\d{1,2}\s*日)?$")

# Lines that always start a new paragraph (headings and list items of every kind).
_BLOCK_START = re.compile(
    rf"^(第[{_CN_NUM}\d]+[章节]|[{_CN_NUM}]+、|（[{_CN_NUM}]+）|\([{_CN_NUM}]+\)"
    rf"|\d{{1,2}}[.．、](?!\d)|专栏\s*\d+|0\d(?!\d)|——"
    rf"|[（(]\d{{1,2}}[）)]|[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]|第[{_CN_NUM}\d]+[部篇]|附\s*[件表录]"
    # a clause number Word writes before a heading, with its full-width space: "1　范围", "5.1　…"
    rf"|\d{{1,2}}(?:[.．]\d{{1,2}}){{0,3}}\u3000(?=\S))"
)
# A standard's sub-clause heading, a short title after its number ("5.6.3要素/专项评价程序、细则
#编制"): the paragraph under it is not its continuation
_CLAUSE_HEADING = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,4}(?![.\d])[ \u3000]*[\u4e00-\u9fffA-Z][^。；！？：:，,]{0,39}$")


# ---------------------------------------------------------------------------
# Cleaning


def normalize_inline(text: str) -> str:
    """Drop layout spaces inside Chinese text; keep single spaces between Latin words.

    ``"到 2025 年"`` -> ``"到2025年"``, ``"社 会救助"`` -> ``"社会救助"``,
    ``"01 提升"`` keeps its space after a leading item number.
    """
    text = text.replace("**", "")
    lead = ""
    m = _LEAD_ENUM.match(text)
    if m:
        lead, text = re.sub(r"\s", "", m.group(1)) + " ", text[m.end() :]
    text = _SPACE_NEAR_CJK.sub("", text)
    text = _MULTISPACE.sub(" ", text).strip()
    return lead + text


def ends_sentence(text: str) -> bool:
    """True when the text ends a sentence (closing quotes and brackets skipped)."""
    stripped = text.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL


def _display_width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


_PIPE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


_CELL_SPACE = re.compile(r"\s+")


def _cell_text(cell: str) -> str:
    """A table cell without layout spaces: a line break inside it (``CELL_BREAK``: "PM2" / ".5"), or a
    space beside a Chinese character or punctuation ("1 （2024年）", "经济 发展") goes; one space the text
    has between two ASCII letters or digits stays."""
    cell = cell.strip(" \u3000\xa0" + CELL_BREAK)

    def space(m: re.Match[str]) -> str:
        a, b = cell[m.start() - 1 : m.start()], cell[m.end() : m.end() + 1]
        kept = CELL_BREAK not in m.group() and (a + b).isascii() and a.isalnum() and b.isalnum()
        return " " if kept else ""

    return _CELL_SPACE.sub(space, cell)


def _split_line(line: str) -> list[str | list[str]]:
    """One raw line -> text lines (str) and table rows (list of cells: tabs, Markdown pipes)."""
    line = line.replace("\xa0", " ").replace("**", "")
    if "<p>" in line or "</p>" in line:
        parts = re.split(r"</p>\s*<p>", line)
        return [re.sub(r"</?p>", "", p).strip(" \t\u3000") for p in parts]
    stripped = line.strip(" \t\u3000")
    if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3:
        if _PIPE_RULE.match(stripped):
            return []  # the |---|---| line under a Markdown table's header
        # (a <br> inside the row is a CELL_BREAK already: rag.docs.heads.strip_debris)
        return [[_cell_text(c) for c in stripped[1:-1].split("|")]]  # a Markdown table row
    if "\t" in line:
        raw = line.split("\t")
        parts = [c.replace(CELL_BREAK, " ").strip(" \u3000") for c in raw]
        while parts and not parts[-1]:
            parts.pop()
        # two or more tabs make a row, its empty cells included ("\t目标\t": the second line of a
        # header, "经济发展\t\t\t": a group's line); a row with one cell of text is kept as written,
        # and alone it is a paragraph (clean_text): tabs before the text are indentation
        if len(raw) >= 3 or (len(parts) == 2 and parts[0].endswith((":", "："))):
            if sum(1 for c in parts if c) == 1:
                return [parts]
            return [[_cell_text(c) for c in raw[: len(parts)]]]  # a table row (head fields too)
        return [c for c in parts if c]  # "01 标题<TAB>正文" -> heading line, body line
    return [stripped.replace(CELL_BREAK, " ")]  # a table of one cell is a paragraph


def clean_text(raw: str) -> tuple[str, list[Block]]:
    """Clean extracted text into paragraphs and tables; see the module doc."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    raw = strip_debris(unwrap(raw).text)  # a front matter, a CSV export, web-page debris
    items: list[str | list[str]] = []
    soft: list[bool] = []  # items[i] follows the line above without a blank line between
    blank = True
    for raw_line in raw.split("\n"):
        stripped = raw_line.strip(" \t\u3000\xa0")
        if not stripped:
            blank = True
            continue
        if _TOC_TITLE.match(stripped) or _TOC_ENTRY.match(stripped.replace("**", "")):
            continue
        pieces = [x for x in _split_line(raw_line) if x]
        soft.extend(not blank and k == 0 for k in range(len(pieces)))
        items.extend(pieces)
        blank = False

    # Group table rows; rebuild one-cell-per-line tables.
    units: list[str | list[list[str]]] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, list):
            table = [item]
            i += 1
            while i < len(items) and isinstance(items[i], list):
                table.append(items[i])  # type: ignore[arg-type]
                i += 1
            # a run's first and last rows with one cell of text (empty ones beside it) are a
            # title or a note, not rows: "表1 主要指标\t\t\t" from a sheet
            full = [k for k, row in enumerate(table) if sum(1 for c in row if c) > 1]
            a, b = (full[0], full[-1] + 1) if full else (len(table), len(table))
            units.extend("".join(row) for row in table[:a])
            if a < b:
                units.append(shape_rows(table[a:b]))
            units.extend("".join(row) for row in table[b:])
            continue
        found = read_text_table(items, i, soft)
        if found:
            rows, i = found
            units.append(rows)
            continue
        if not _PAGE_NUMBER.match(item):
            units.append(item)
        i += 1

    paragraphs = _join_paragraphs(units)
    text, blocks = _assemble(paragraphs)
    attach_tables(text, blocks)
    return text, blocks


def _wrap_width(lines: list[str]) -> float:
    """The line width of a hard-wrapped document, or infinity when lines are paragraphs.

    In a hard-wrapped file most lines end mid-sentence at about the same width.
    """
    widths = [
        _display_width(s)
        for s in lines
        if not ends_sentence(s) and not _BLOCK_START.match(s) and _display_width(s) >= 20
    ]
    if len(widths) < 10 or len(widths) < 0.3 * len(lines):
        return float("inf")
    median = statistics.median(widths)
    close = sum(1 for w in widths if abs(w - median) <= 6)
    return median if close >= 0.6 * len(widths) else float("inf")


def _is_standalone(line: str, wrap: float) -> bool:
    """A line that never continues into the next: a heading, a doc number, a date."""
    text = line.strip()
    if _DOC_NUMBER.match(text) or _DATE_LINE.match(text):
        return True
    if _display_width(text) >= 0.8 * wrap:
        return False  # a full-width line of a hard-wrapped file goes on
    if _BLOCK_START.match(text) and not any(c in text for c in "。；！？"):
        return True  # a heading-only line: 第X章 …, 一、…, （一）…, 1.…, 专栏N …, 01 …
    return bool(_CLAUSE_HEADING.match(text))


def _is_prose(line: str) -> bool:
    """A long line with clause punctuation: the first half of a sentence split by a page break.

    Titles, issuers and signatures are short and carry no commas.
    """
    if line.rstrip()[-1:] in "的和与及或，、":  # nothing ends on these: "…工作要点的" / "通知"
        return True
    return _display_width(line) >= 30 and any(c in line for c in "，、,；：。")


def _join_paragraphs(units: list[str | list[list[str]]]) -> list[str | list[list[str]]]:
    """Join lines broken inside a sentence (hard wraps and page breaks)."""
    texts = [u for u in units if isinstance(u, str)]
    wrap = _wrap_width(texts)
    out: list[str | list[list[str]]] = []
    last_line = ""  # the last physical line of the paragraph being built
    for unit in units:
        if isinstance(unit, list):
            out.append(unit)
            last_line = ""
            continue
        line = unit.strip(" \t\u3000")
        prev = out[-1] if out else None
        can_join = (
            isinstance(prev, str)
            and not ends_sentence(prev)
            and not _BLOCK_START.match(line)
            and not _DOC_NUMBER.match(line)
            and not _DATE_LINE.match(line)
            and not _is_standalone(last_line, wrap)
            and (_display_width(last_line) >= 0.8 * wrap or _is_prose(last_line))
        )
        if can_join:
            assert isinstance(prev, str)
            sep = " " if prev[-1:].isascii() and prev[-1:].isalnum() and line[:1].isascii() and line[:1].isalnum() else ""
            out[-1] = prev + sep + line
        else:
            out.append(line)
        last_line = line
    return out


def _assemble(paragraphs: list[str | list[list[str]]]) -> tuple[str, list[Block]]:
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for p in paragraphs:
        if isinstance(p, str):
            text = normalize_inline(p)
            if not text:
                continue
            blocks.append(Block("para", pos, pos + len(text)))
            parts.append(text)
            pos += len(text) + 1
        else:
            rows = [[normalize_inline(c) for c in row] for row in p]
            start = pos
            spans = []
            for row in rows:
                line = "\t".join(rows_cell for rows_cell in row)
                spans.append((pos, pos + len(line)))
                parts.append(line)
                pos += len(line) + 1
            blocks.append(Block("table", start, pos - 1, rows=rows, row_spans=spans))
    return "\n".join(parts), blocks


# ---------------------------------------------------------------------------
# Metadata


def read_manifest(corpus_dir: Path) -> Manifest | None:
    """``corpus_dir/manifest.json``, or None when there is none."""
    path = corpus_dir / "manifest.json"
    if not path.exists():
        return None
    try:
        return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8-sig")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ConfigError(
            f"语料清单 {path} 格式错误：{exc}", f"invalid manifest {path}: {exc}"
        ) from exc


def load_manifest(corpus_dir: Path) -> dict[str, DocMeta]:
    """Entries of ``corpus_dir/manifest.json`` by file name; empty when there is none."""
    manifest = read_manifest(corpus_dir)
    return {d.file: d for d in manifest.documents} if manifest else {}


# ---------------------------------------------------------------------------
# Entry points


def ingest_file(path: Path, meta: DocMeta | None = None) -> Document:
    """Read, clean and describe one file."""
    raw_bytes, raw = read_document(path)
    wrapped = unwrap(to_simplified(raw.text))  # a draft in 繁体 is read as 简体
    text, blocks = clean_text(wrapped.text)
    if not text.strip():
        raise UnreadableFileError(f"文件中没有可读的文字：{path.name}", f"no text in {path}")
    if meta is None:
        meta = infer_meta(path.name, text, wrapped.fields)
    return Document(
        file=path.name,
        meta=meta,
        text=text,
        blocks=blocks,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        ocr_pages=list(raw.ocr_pages),
        ocr_spans=ocr_spans(text, blocks, [to_simplified(p) for p in raw.ocr_parts]),
        warnings=list(raw.warnings),
    )


_PROBE = 8  # characters from each end of a paragraph looked up in the OCR'd text


def ocr_spans(text: str, blocks: list[Block], parts: list[str]) -> list[tuple[int, int]]:
    """Spans of the cleaned text that came from the OCR'd pages ``parts`` (merged).

    Cleaning joins and rewrites lines, so a paragraph (a table row) is found by content: it
    came from OCR when its first or last characters, spaces aside, stand in an OCR'd page —
    a paragraph joined across a text page and a scanned one counts as OCR.
    """
    if not parts:
        return []
    squeeze = re.compile(r"\s+")
    source = "\n".join(squeeze.sub("", p) for p in parts)
    spans: list[tuple[int, int]] = []
    pieces = [(b.start, b.end) for b in blocks if b.kind == "para"]
    pieces += [span for b in blocks if b.kind == "table" for span in b.row_spans]
    for start, end in sorted(pieces):
        flat = squeeze.sub("", text[start:end])
        if flat and (flat[:_PROBE] in source or flat[-_PROBE:] in source):
            if spans and start - spans[-1][1] <= 1:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return spans


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files directly in ``corpus_dir``, sorted by name."""
    if not corpus_dir.is_dir():
        raise ConfigError(f"语料目录不存在：{corpus_dir}", f"corpus dir missing: {corpus_dir}")
    return sorted(
        p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
    )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest_corpus(corpus_dir: Path, only: Iterable[str] | None = None) -> list[Document]:
    """Every readable document of a corpus; unreadable files are logged and skipped."""
    manifest = load_manifest(corpus_dir)
    wanted = set(only) if only is not None else None
    docs = []
    for path in corpus_files(corpus_dir):
        if wanted is not None and path.name not in wanted:
            continue
        try:
            docs.append(ingest_file(path, manifest.get(path.name)))
        except UnreadableFileError as exc:
            log.warning("skipping %s: %s", path.name, exc.detail)
    for doc, linked in zip(docs, link_implements([d.meta for d in docs]), strict=True):
        doc.meta = linked  # 根据《…规划》 → that plan's file, when the corpus holds it
    return docs
