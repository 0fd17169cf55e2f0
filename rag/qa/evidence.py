"""Evidence assembly shared by every backend: what answers the question, as typed, numbered passages.

:func:`gather` runs the evidence-gathering of :func:`rag.qa.extractive.select` over a typed view of
the corpus (:class:`CorpusView`: idf, following passages, whole 专栏 boxes, table rows, outlines)
and returns :class:`Evidence`:

- ``selection``: the sentences the extractive answer is composed from (or why there are none);
- ``passages``: the same evidence as :class:`Passage` s, in the order of relevance, each marked with
  what it is (a table's rows with their headers, an outline listing, a section's text, a list, a
  passage holding chosen sentences), then the other retrieved passages, up to a budget.

The extractive answerer composes its answer from ``selection``; an LLM reads ``passages``
numbered in its prompt (:meth:`Evidence.prompt`), and its answer cites them by number. Each
citation carries the text the model was given (:meth:`Passage.cited`), so that
:func:`rag.qa.answer.verify` checks the answer against exactly the passages in the prompt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rag.models import Chunk, Hit
from rag.qa.extractive import Selection, Sentence, SentenceRole, select
from rag.qa.llm import PromptInput
from rag.qa.scope import Scope
from rag.qa.structure import Node

# what a passage is: what its sentences were chosen as (:data:`rag.qa.extractive.SentenceRole`), a table
# row (with its headers), or a retrieved passage the selection did not use
Role = SentenceRole | Literal["row", "retrieved"]
BLOCKS = ("table", "listing")  # roles whose sentences (an intro that counts, then items) make one passage


@dataclass(frozen=True)
class CorpusView:
    """What evidence gathering reads of the loaded index besides the retrieved passages."""

    weight: Callable[[str], float]  # a term's idf
    following: Callable[[Chunk], list[Chunk]] = lambda c: []  # the passages after one, in its section
    box_of: Callable[[Chunk], Chunk | None] = lambda c: None  # the whole 专栏 a passage is part of
    rows_of: Callable[[Chunk], list[Chunk]] = lambda c: []  # every row of a passage's table
    doc_years: Mapping[str, int] = dataclasses.field(default_factory=dict)  # an annual document's year
    outlines: Mapping[str, Node] = dataclasses.field(default_factory=dict)  # each document's section tree


@dataclass(frozen=True)
class Passage:
    """One numbered passage of evidence: the chunk it comes from, the text a reader is given, what it is."""

    chunk: Chunk
    text: str
    role: Role
    # the chunks whose whole content the text gives (not a listing's items, whose headings are all it gives
    # of them, nor a table block's rows, read as sentences only): the retrieved passages that follow leave these out
    chunk_ids: tuple[str, ...] = ()

    def cited(self) -> Chunk:
        """The chunk a citation of this passage carries: its own, or, when the text given was assembled
        (a listing's headings, a row read with its headers), a copy holding that text, so a claim
        citing it is checked against what was read."""
        if self.text == self.chunk.text:
            return self.chunk
        return dataclasses.replace(self.chunk, text=self.text, statement="")


@dataclass(frozen=True)
class Evidence:
    """What answers a question: the extractive answer's sentences and the passages a model reads."""

    selection: Selection
    passages: tuple[Passage, ...]

    def prompt(self, question: str) -> PromptInput:
        """The LLM prompt: the passages numbered from 1, in order."""
        return PromptInput.of(question, [(p.chunk, p.text) for p in self.passages])

    def cited(self) -> list[Chunk]:
        """What a citation of each passage carries, by prompt number less one."""
        return [p.cited() for p in self.passages]


def gather(
    question: str,
    hits: Sequence[Hit],
    scope: Scope,
    corpus: CorpusView,
    min_coverage: float,
    carried: bool = False,
    budget: int = 6,
) -> Evidence:
    """The evidence for ``question`` among ``hits``: :func:`rag.qa.extractive.select`'s sentences, and
    the passages they make (:func:`evidence_passages`) followed by the retrieved ones they leave out,
    up to ``budget`` passages in all (more only when the evidence itself needs more)."""
    sel = select(
        question, hits, scope, corpus.weight, min_coverage,
        following=corpus.following, box_of=corpus.box_of, doc_years=corpus.doc_years,
        outlines=corpus.outlines, rows_of=corpus.rows_of, carried=carried,
    )
    return Evidence(sel, with_retrieved(evidence_passages(sel.sentences), hits, budget))


def row_text(chunk: Chunk) -> str:
    """A table row as a reader is given it: its header: value pairs as the document writes them
    ("指标：养老机构护理型床位占比(%)；2025年：68"), then, when the table model has it, the row read as
    a sentence with units on the values ("养老机构护理型床位占比：2025年68%")."""
    if chunk.statement and chunk.statement != chunk.text:
        return chunk.text + "\n" + chunk.statement
    return chunk.text


def evidence_passages(sentences: Sequence[Sentence]) -> list[Passage]:
    """The passages of chosen sentences, in the order of the first sentence of each.

    A counted block (a table's rows or an outline's headings, after the sentence that counts them)
    is one passage, its lines in order, cited to the block's first chunk. Any other sentence gives
    its whole passage (a table row: the row with its headers), once. A passage whose whole content
    is given is not given again (a row in a block, a passage holding two chosen sentences)."""
    out: list[Passage] = []
    seen: set[str] = set()
    i = 0
    while i < len(sentences):
        s = sentences[i]
        if s.role in BLOCKS and s.count:
            j = i + 1
            while j < len(sentences) and sentences[j].role == s.role and not sentences[j].count:
                j += 1
            block = sentences[i:j]
            ids = tuple(dict.fromkeys(b.chunk.chunk_id for b in block if b.text in (b.chunk.text, row_text(b.chunk))))
            out.append(Passage(s.chunk, "\n".join(b.text for b in block), s.role, ids))
            seen.update(ids)
            i = j
            continue
        if s.chunk.chunk_id not in seen:
            seen.add(s.chunk.chunk_id)
            row = s.chunk.kind == "table_row"
            role: Role = "row" if row else s.role
            out.append(Passage(s.chunk, row_text(s.chunk) if row else s.chunk.text, role, (s.chunk.chunk_id,)))
        i += 1
    return out


def with_retrieved(passages: list[Passage], hits: Sequence[Hit], budget: int) -> tuple[Passage, ...]:
    """``passages``, then the retrieved passages none of them was read from, in retrieval order, while
    there are fewer than ``budget``."""
    used = {cid for p in passages for cid in p.chunk_ids}
    out = list(passages)
    for hit in hits:
        if len(out) >= budget:
            break
        c = hit.chunk
        if c.chunk_id in used:
            continue
        used.add(c.chunk_id)
        out.append(Passage(c, row_text(c) if c.kind == "table_row" else c.text, "retrieved", (c.chunk_id,)))
    return tuple(out)
