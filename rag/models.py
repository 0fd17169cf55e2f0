"""Typed data passed between pipeline stages.

Pydantic models with ``extra="forbid"`` for what is read from disk or from a
user (manifest, gold sets); light dataclasses for the hot path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

Level = Literal["province", "city", "county"]

# Where a field read from a file was found. Declared: what the file says of itself at its head
# (a wrapper's field, the title line, the 印发通知, the issuer: its signature or a cover page's).
# Inferred: what its body shows (the 人民代表大会 that approved it, the issuing bodies it names,
# the place it names most often, what a report speaks for, the period its preamble is about) or
# what the head's title becomes once completed with that place; a title from the file's name.
FieldEvidence = Literal[
    "wrapper", "title", "notice", "issuer",
    "approval", "issuing_body", "mentions", "report", "preamble", "body_title", "prefixed", "file_name",
]


class FieldSource(BaseModel):
    """How sure a field read from the text is, so that later stages can rank by it, not filter."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["declared", "inferred"]
    evidence: FieldEvidence
    # inferred from the places a body names: the place's share of the place mentions counted (0–1)
    share: float | None = None


class DocMeta(BaseModel):
    """One document's metadata, as in ``corpus/manifest.json``."""

    model_config = ConfigDict(extra="forbid")

    file: str
    title: str
    issuer: str | None = None
    doc_number: str | None = None
    date: str | None = None
    jurisdiction: str | None = None
    level: Level | None = None
    parent_jurisdiction: str | None = None
    kind: str | None = None
    period: str | None = None
    implements: str | None = None  # the file, in the same corpus, of the plan it implements
    # that plan's title as the document quotes it (根据《…》): read from the text, resolved to
    # ``implements`` when the corpus holds the plan
    implements_title: str | None = None
    inferred: bool = False  # True when taken from the document head, not a manifest
    # how each field read from the text was found (title, jurisdiction, level, parent_jurisdiction,
    # period); empty for a manifest entry and in indexes written before it was kept
    provenance: dict[str, FieldSource] = {}

    @property
    def year(self) -> int | None:
        """The year the document was issued, from ``date``."""
        if self.date and self.date[:4].isdigit():
            return int(self.date[:4])
        return None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocMeta]
    notes: str | None = None
    name: str | None = None  # what the corpus is, for the web page's heading ("民政规划文件")
    examples: list[str] = []  # example questions the web chat offers for this corpus


BlockKind = Literal["para", "table"]
# What a table column holds: 序号, a group cell (类别), the indicator's name, its unit, its
# attribute (预期性/约束性), a value (a year's figure: baseline or target), a note (备注), else other.
ColumnRole = Literal["number", "group", "name", "unit", "attribute", "value", "note", "other"]
Stage = Literal["baseline", "target", ""]


@dataclass(frozen=True)
class Column:
    """One table column: its header as a person reads it and what it holds."""

    label: str
    role: ColumnRole
    year: int | None = None  # the year a value column speaks of ("2030年目标值" → 2030)
    stage: Stage = ""  # a value column's: 现状/基期 → baseline, 目标/规划 → target


@dataclass
class Table:
    """A table as read at ingestion, used by chunking, answers and the plan check alike.

    ``rows`` are the body rows, one cell per column (a group cell written once per group is
    filled down); ``row_spans`` locate each body row's line in the cleaned text, ``start``/``end``
    the whole table (header line to last row). ``caption`` is the title line before the table,
    ``section_path`` the headings it sits under (a 专栏 heading right before the table is there,
    not in ``caption``), ``notes`` the 注：… paragraphs right under it.
    """

    header: list[str]
    rows: list[list[str]]
    row_spans: list[tuple[int, int]]
    start: int
    end: int
    columns: list[Column]
    caption: str = ""
    caption_start: int | None = None  # the caption line's start in the cleaned text
    section_path: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    def column(self, *roles: ColumnRole) -> int | None:
        """The first column with one of ``roles``."""
        return next((i for i, c in enumerate(self.columns) if c.role in roles), None)

    def cell(self, row: list[str], index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    @property
    def years(self) -> tuple[int, ...]:
        """The years its value columns speak of, in order."""
        return tuple(sorted({c.year for c in self.columns if c.year is not None}))

    @property
    def is_indicator(self) -> bool:
        """An indicator table (主要发展指标): a name column and a 序号 or 单位 column."""
        return self.column("name") is not None and self.column("number", "unit") is not None


@dataclass
class Block:
    """A paragraph or a table in a document's cleaned text.

    ``start``/``end`` index the cleaned text. A table keeps its rows as cells (the header
    first); in the cleaned text each row is one line of tab-separated cells, and ``table``
    is the table model built from it at ingestion.
    """

    kind: BlockKind
    start: int
    end: int
    rows: list[list[str]] = field(default_factory=list)
    row_spans: list[tuple[int, int]] = field(default_factory=list)
    table: Table | None = None


@dataclass
class Document:
    """A read and cleaned document: the text every span and citation refers to."""

    file: str
    meta: DocMeta
    text: str
    blocks: list[Block]
    sha256: str  # of the raw file bytes
    ocr_pages: list[int] = field(default_factory=list)  # 1-based pages read by OCR (rag.docs.readers)
    # spans of ``text`` that came from OCR pages (paragraphs and table rows), merged, in order
    ocr_spans: list[tuple[int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the reader doubted, in Chinese

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def tables(self) -> list[Table]:
        """Its tables in text order (built once, when the text was cleaned)."""
        return [b.table for b in self.blocks if b.table is not None]


@dataclass
class Section:
    """A node of the outline tree (第X章, 第X节, 一、, （一）, 1., 专栏N, 01 ...)."""

    kind: str
    heading: str
    level: int
    start: int  # span of the heading line in the cleaned text
    end: int
    children: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # own content, not the children's


# shown beside every citation of a passage read by OCR (CLI, web page; JSON carries ``ocr``)
OCR_NOTE = "OCR 识别，请核对原件"

ChunkKind = Literal["text", "table", "table_row", "box"]


@dataclass
class Chunk:
    """A citable passage.

    For ``text``, ``table`` and ``box`` (a whole 专栏) chunks
    ``text == document.text[start:end]``.
    A ``table_row`` chunk's text renders one row with its header
    ("指标：…；单位：…"), and ``start``/``end`` locate that row's line.
    """

    chunk_id: str
    doc: str
    title: str
    section_path: list[str]
    start: int
    end: int
    text: str
    kind: ChunkKind = "text"
    # a table_row chunk's row read as a sentence, units with the values, from the table model
    # ("公办养老机构护理型床位占比：2025年目标值≥55%（约束性）"); "" for other chunks
    statement: str = ""
    ocr: bool = False  # the passage came (in part) from OCR of a scan: cite it with OCR_NOTE
    # a table or table_row chunk: which table of its document (0, 1, …) and, for a row, which body row;
    # ``cells`` are the table's cells as read at ingestion, the header first (a row chunk: the header and
    # its row), stored with the index so that answers read cells, never the rendered text
    table: int = -1
    row: int = -1
    cells: list[list[str]] = field(default_factory=list)

    def row_cells(self) -> list[tuple[str, str]]:
        """A table_row chunk's (header label, cell) pairs, empty cells left out."""
        if self.kind != "table_row" or len(self.cells) < 2:
            return []
        return [(h, v) for h, v in zip(self.cells[0], self.cells[1], strict=False) if v]

    def embed_text(self) -> str:
        """What the embedder and BM25 see: title and section path, then the passage."""
        path = " / ".join(self.section_path)
        return f"{self.title}\n{path}\n{self.text}" if path else f"{self.title}\n{self.text}"

    def to_json(self) -> dict[str, object]:
        return {
            "chunk_id": self.chunk_id,
            "doc": self.doc,
            "title": self.title,
            "section_path": self.section_path,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "text": self.text,
            **({"statement": self.statement} if self.statement else {}),
            **({"ocr": True} if self.ocr else {}),
            **({"table": self.table, "row": self.row, "cells": self.cells} if self.table >= 0 else {}),
        }

    def ref_json(self) -> dict[str, object]:
        """Where a passage is and what it says: the fields every hit and citation carries."""
        return {
            "chunk_id": self.chunk_id,
            "doc": self.doc,
            "title": self.title,
            "section_path": self.section_path,
            "text": self.text,
            "ocr": self.ocr,
        }

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Chunk:
        return cls(
            chunk_id=str(d["chunk_id"]),
            doc=str(d["doc"]),
            title=str(d["title"]),
            section_path=[str(s) for s in d["section_path"]],  # type: ignore[attr-defined]
            start=int(d["start"]),  # type: ignore[call-overload]
            end=int(d["end"]),  # type: ignore[call-overload]
            text=str(d["text"]),
            kind=d.get("kind", "text"),  # type: ignore[arg-type]
            statement=str(d.get("statement", "")),
            ocr=bool(d.get("ocr", False)),
            table=int(d.get("table", -1)),  # type: ignore[call-overload]
            row=int(d.get("row", -1)),  # type: ignore[call-overload]
            cells=[[str(c) for c in r] for r in d.get("cells", [])],  # type: ignore[attr-defined]
        )


@dataclass
class Hit:
    """One retrieved chunk with its score (higher is better)."""

    chunk: Chunk
    score: float
    source: str = ""  # which retriever produced the score: bm25, dense, hybrid, rerank

    def to_json(self) -> dict[str, object]:
        return {**self.chunk.ref_json(), "score": round(float(self.score), 6)}


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents: by file, level or issue year."""

    docs: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def is_empty(self) -> bool:
        return not (self.docs or self.levels or self.years)

    def allows(self, meta: DocMeta) -> bool:
        if self.docs and meta.file not in self.docs:
            return False
        if self.levels and (meta.level or "") not in self.levels:
            return False
        if self.years and meta.year not in self.years:
            return False
        return True


def section_label(title: str, section_path: list[str]) -> str:
    """《吉林省民政事业发展“十四五”规划》第五章 第一节 — the headings' numbers, not their titles."""
    marks = []
    for heading in section_path:
        m = re.match(r"(第[一二三四五六七八九十百零〇\d]+[章节]|专栏\s*\d+|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])", heading)
        marks.append(m.group(1).rstrip("、") if m else heading[:20])
    return f"《{title}》" + " ".join(marks)


@dataclass
class Citation:
    """A numbered passage an answer cites (or, when it abstains, the closest passages)."""

    n: int
    chunk: Chunk

    @property
    def label(self) -> str:
        return section_label(self.chunk.title, self.chunk.section_path)

    def to_json(self) -> dict[str, object]:
        return {"n": self.n, "label": self.label, **self.chunk.ref_json()}


@dataclass
class Claim:
    """One sentence of an answer and the citation numbers that support it.

    ``count``: the sentence says how many items follow it ("“第三章 …”包括6节："), a figure
    counted from the outline rather than copied from a passage; verification counts them again.
    ``total``: how many there are in all when those items are some of them ("15项指标中，约束性
    指标5项"), counted from the table by the answerer, never taken from a model's reply.
    """

    text: str
    cites: list[int]
    count: int = 0
    total: int = 0


@dataclass
class Answer:
    """What a user reads: sentences with [n] markers, the passages they point to, and notices."""

    question: str
    claims: list[Claim]
    citations: list[Citation]
    abstained: bool = False
    backend: str = "extractive"
    notices: list[str] = field(default_factory=list)  # fallbacks, removed sentences …
    standalone: str = ""  # the question answered, when a follow-up was rewritten from the conversation

    @property
    def text(self) -> str:
        if self.abstained:
            return "\n".join(c.text for c in self.claims)
        return "\n".join(c.text + "".join(f"[{n}]" for n in c.cites) for c in self.claims)

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "standalone_question": self.standalone or self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "backend": self.backend,
            "notices": self.notices,
            "citations": [c.to_json() for c in self.citations],
        }
