"""Cited answers: retrieve, answer with a backend, check every number, or decline.

:class:`Answerer` is the one entry point (CLI, web chat, evaluation):

1. :func:`rag.qa.scope.question_scope` reads which documents the question
   names; a question about a document, year or place the corpus does not
   hold is declined at once, with the closest passages shown.
2. Retrieval is steered to the named documents (several: passages are
   gathered from each).
3. The evidence is gathered once (:mod:`rag.qa.evidence`: chosen sentences, table
   rows with their headers, outline listings, sections, lists), and the backend
   answers from it: the embedded extractive answerer (:mod:`rag.qa.extractive`,
   the default, no model and no network) composes its answer from the chosen
   sentences; an LLM (:mod:`rag.qa.llm`: an OpenAI-compatible endpoint or a local
   GGUF model) reads the same evidence as numbered passages, then the other
   retrieved passages. When an LLM fails, the user gets the extractive answer and a notice.
4. Every sentence must cite a passage, and every figure in it must appear
   in a passage it cites (:func:`rag.qa.numbers.unsupported`); a sentence
   that fails is removed and the removal is noted, never shown as fact.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rag.errors import LLMError, PlanqaError
from rag.index.directory import Index
from rag.models import Answer, Chunk, Citation, Claim, Filters, Hit
from rag.qa.evidence import CorpusView, Evidence, gather
from rag.qa.extractive import Selection, idf_weights
from rag.qa.followup import Message, Standalone, held_to_rules, rewrite_messages, rewritten_notice, standalone
from rag.qa.llm import DraftAnswer, held_back, parse_reply, repeats_instructions
from rag.qa.numbers import unsupported
from rag.qa.retrieve import Retriever, check_question
from rag.qa.scope import Scope, annual_year, corpus_places, period_years_of, places, question_scope
from rag.qa.structure import Node, outlines

log = logging.getLogger(__name__)

NO_ANSWER = "文档中没有相关信息。"


@dataclass
class Retrieved:
    scope: Scope
    hits: list[Hit]


@dataclass
class Event:
    """A step of a streamed answer: text as it arrives, a notice, or the final answer."""

    kind: str  # "delta" | "notice" | "final"
    text: str = ""
    answer: Answer | None = None


def merge_filters(user: Filters | None, docs: Sequence[str]) -> Filters:
    """The user's filters narrowed to ``docs`` (ignored when the two do not intersect)."""
    user = user or Filters()
    if not docs:
        return user
    keep = tuple(d for d in docs if not user.docs or d in user.docs)
    return Filters(docs=keep or user.docs, levels=user.levels, years=user.years)


@dataclass
class Answerer:
    index: Index
    retriever: Retriever
    llm: Any = None  # rag.qa.llm.ChatModel, or None for the extractive answerer
    k: int = 8
    per_doc: int = 6
    llm_passages: int = 6  # passages in an LLM prompt: the evidence, then retrieved passages up to this many
    min_coverage: float = 0.6  # chosen on evals/gold.jsonl: 0.5–0.6 keep every key fact, 0.65 starts to decline answerable questions

    # -- retrieval ---------------------------------------------------------

    def retrieve(self, question: str, filters: Filters | None = None) -> Retrieved:
        scope = question_scope(question, self.index.metas, self._mentioned)
        hits: list[Hit]
        if scope.missing:
            hits = self.retriever.search(question, 3, filters)
            return Retrieved(scope, hits)
        if scope.several:
            hits = []
            for doc in scope.docs:
                f = merge_filters(filters, (doc,))
                if doc in f.docs:
                    hits.extend(self.retriever.search(question, self.per_doc, f))
            return Retrieved(scope, hits)
        f = merge_filters(filters, scope.docs)
        hits = self.retriever.search(question, self.k, f)
        if not hits and not f.is_empty():  # steering found nothing: fall back to the user's filters
            hits = self.retriever.search(question, self.k, filters)
        return Retrieved(scope, hits)

    # -- answering ---------------------------------------------------------

    def answer(
        self, question: str, filters: Filters | None = None, history: Sequence[Message] | None = None
    ) -> Answer:
        final = None
        for event in self.stream(question, filters, history):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final

    def stream(
        self, question: str, filters: Filters | None = None, history: Sequence[Message] | None = None
    ) -> Iterator[Event]:
        """The answer to ``question`` as events; ``history`` is the conversation so far (OpenAI-style
        messages, oldest first), against which a follow-up is made standalone first
        (:mod:`rag.qa.followup`)."""
        asked = check_question(question)
        alone = self.standalone(asked, history)
        if alone.rewritten and self.llm is not None and history:
            alone = self._model_rewrite(asked, history, alone)
        if alone.rewritten:
            yield Event("notice", rewritten_notice(alone.question))
        for event in self._stream(alone.question, filters, alone.carried):
            if event.answer is not None and alone.rewritten:
                event.answer.question = asked
                event.answer.standalone = alone.question
                event.answer.notices.insert(0, rewritten_notice(alone.question))
            yield event

    def standalone(self, question: str, history: Sequence[Message] | None) -> Standalone:
        """A follow-up made standalone by the rules (:func:`rag.qa.followup.standalone`), knowing the
        corpus's own places."""
        return standalone(question, history, self._places)

    def _model_rewrite(self, question: str, history: Sequence[Message], rules: Standalone) -> Standalone:
        """The LLM's standalone form of a follow-up, held to the rules' checks; the rules' own
        rewrite when the model breaks them or fails."""
        try:
            reply = "".join(self.llm.chat(rewrite_messages(question, history), stream=False))
        except PlanqaError as exc:
            log.warning("LLM rewrite of a follow-up failed, using the rules' rewrite: %s", exc.detail)
            return rules
        out = held_to_rules(question, history, reply, rules, self._places)
        if out is rules:
            log.info("LLM rewrite %r broke the rules; using %r", reply[:200], rules.question)
        return out

    def _stream(self, question: str, filters: Filters | None, carried: bool = False) -> Iterator[Event]:
        got = self.retrieve(question, filters)
        if got.scope.missing or not got.hits:
            answer = declined_answer(question, got.hits, got.scope.missing or "没有检索到相关段落。")
            yield Event("final", answer.text, answer)
            return
        if self.llm is None:
            answer = self.extractive(question, got, carried)
            yield Event("final", answer.text, answer)
            return
        evidence = self.evidence(question, got, carried)
        prompt = evidence.prompt(question)
        try:
            parts: list[str] = []

            def reply() -> Iterator[str]:
                for piece in self.llm.chat(prompt.messages(), stream=True):
                    parts.append(piece)
                    yield piece

            for shown in held_back(reply()):  # a reply quoting the instructions is not shown
                yield Event("delta", shown)
            cited = evidence.cited()
            answer = draft_answer(question, parse_reply("".join(parts), len(cited)), cited, self.llm.name)
            abstained_by_model = answer.abstained
            answer = verify(answer)
            if answer.abstained and not abstained_by_model:
                raise LLMError(
                    "大模型的回答无法在所引段落中核实，已改用摘录式回答。",
                    f"no verifiable sentence in the LLM reply; notices: {answer.notices}",
                )
        except PlanqaError as exc:
            log.warning("LLM backend failed, using the extractive answer: %s", exc.detail)
            yield Event("notice", exc.message)
            answer = self.extractive(question, got, carried, evidence)
            answer.notices.insert(0, exc.message)
        yield Event("final", answer.text, answer)

    def evidence(self, question: str, got: Retrieved, carried: bool = False) -> Evidence:
        """The evidence every backend answers from (:func:`rag.qa.evidence.gather`).

        ``carried``: a follow-up asking the previous question's topic of another place, year or
        document, whose words for it are the other document's (:func:`rag.qa.extractive.select`).
        """
        return gather(question, got.hits, got.scope, self.corpus, self.min_coverage, carried, self.llm_passages)

    def extractive(
        self, question: str, got: Retrieved, carried: bool = False, evidence: Evidence | None = None
    ) -> Answer:
        """The embedded answer (also the fallback when an LLM fails), verified like any other."""
        evidence = evidence or self.evidence(question, got, carried)
        return verify(selection_answer(question, got.hits, evidence.selection, got.scope, self._doc_order))

    # -- lookups over the loaded index, built once on first use --------------

    @cached_property
    def corpus(self) -> CorpusView:
        """The index as evidence gathering reads it."""
        return CorpusView(
            self.weight, self.following, self.box_of, self.rows_of, self._doc_years, self._outlines
        )

    @cached_property
    def _doc_years(self) -> dict[str, int]:
        """The year of each annual document (:func:`rag.qa.scope.annual_year`)."""
        years = {f: annual_year(m) for f, m in self.index.metas.items()}
        return {f: y for f, y in years.items() if y is not None}

    @cached_property
    def _doc_order(self) -> dict[str, tuple[int, int]]:
        """Documents in year order (an annual document's year, else its period's first year), then
        corpus order: a comparison over years reads from the earliest."""
        out = {}
        for i, (f, meta) in enumerate(self.index.metas.items()):
            years = period_years_of(meta)
            out[f] = (self._doc_years.get(f) or (years[0] if years else 9999), i)
        return out

    @cached_property
    def _outlines(self) -> dict[str, Node]:
        """Each document's section tree, read back from the index's chunks."""
        return outlines(self.index.chunks)

    @cached_property
    def _places(self) -> tuple[str, ...]:
        return corpus_places(self.index.metas)

    @cached_property
    def _mentioned(self) -> frozenset[str]:
        """Gazetteer places the corpus's text names (its BM25 vocabulary has them)."""
        return frozenset(name for name in places() if self.index.doc_freq(name))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {c.chunk_id: i for i, c in enumerate(self.index.chunks)}

    @cached_property
    def _boxes(self) -> dict[tuple[str, tuple[str, ...]], Chunk]:
        """Whole-专栏 chunks by (document, section path)."""
        return {(c.doc, tuple(c.section_path)): c for c in self.index.chunks if c.kind == "box"}

    @cached_property
    def _idf(self) -> Callable[[str], float]:
        return idf_weights(self.index.doc_freq, len(self.index))

    def following(self, chunk: Chunk) -> list[Chunk]:
        """The passages after ``chunk`` in the same section, in order."""
        out = []
        for c in self.index.chunks[self._positions[chunk.chunk_id] + 1 :]:
            if c.doc != chunk.doc or c.section_path != chunk.section_path:
                break
            if c.kind == "text":
                out.append(c)
        return out

    @cached_property
    def _tables(self) -> dict[tuple[str, tuple[str, ...]], list[Chunk]]:
        """Each table's rows, by (document, section path)."""
        out: dict[tuple[str, tuple[str, ...]], list[Chunk]] = {}
        for c in self.index.chunks:
            if c.kind == "table_row":
                out.setdefault((c.doc, tuple(c.section_path)), []).append(c)
        return out

    def rows_of(self, chunk: Chunk) -> list[Chunk]:
        """Every row of the table ``chunk`` (a table or one of its rows) belongs to, in order."""
        return self._tables.get((chunk.doc, tuple(chunk.section_path)), [])

    def box_of(self, chunk: Chunk) -> Chunk | None:
        """The whole-专栏 chunk of the 专栏 that ``chunk`` is part of, if the index keeps one."""
        depth = next((i for i, p in enumerate(chunk.section_path) if p.startswith("专栏")), None)
        if depth is None:
            return None
        return self._boxes.get((chunk.doc, tuple(chunk.section_path[: depth + 1])))

    def weight(self, term: str) -> float:
        return self._idf(term)


def declined_answer(question: str, hits: Sequence[Hit], reason: str, backend: str = "extractive") -> Answer:
    text = NO_ANSWER + reason
    if hits:
        text += "以下是最接近的段落，仅供参考。"
    cites = [Citation(n, h.chunk) for n, h in enumerate(hits[:3], start=1)]
    return Answer(question, [Claim(text, [])], cites, abstained=True, backend=backend)


def draft_answer(question: str, draft: DraftAnswer, passages: Sequence[Chunk], backend: str) -> Answer:
    """An LLM's parsed reply as an answer citing ``passages`` (what the prompt gave, in its order) by
    their prompt numbers (not yet verified)."""
    if draft.abstained:
        return declined_answer(question, [Hit(c, 0.0) for c in passages], "", backend)
    citations = [Citation(n, c) for n, c in enumerate(passages, start=1)]
    claims = [Claim(s.text, s.citations) for s in draft.sentences if not repeats_instructions(s.text)]
    answer = Answer(question, claims, citations, backend=backend)
    if len(claims) < len(draft.sentences):  # a document talked the model into quoting its instructions
        answer.notices.append("已删除复述系统指令的内容。")
    return answer


def selection_answer(
    question: str, hits: Sequence[Hit], sel: Selection, scope: Scope,
    doc_order: Mapping[str, tuple[int, int]] | None = None,
) -> Answer:
    """Sentences grouped by document (in ``doc_order``: year, then corpus order; else by name), then in
    reading order, numbered by first use."""
    if not sel.sentences:
        return declined_answer(question, hits, sel.reason)
    order = doc_order or {}
    ordered = sorted(
        sel.sentences, key=lambda s: (order.get(s.chunk.doc, (9999, 0)), s.chunk.doc, s.chunk.start + s.start)
    )
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    claims: list[Claim] = []
    labelled = len({s.chunk.doc for s in ordered}) > 1 or scope.gather
    last_doc = ""
    for s in ordered:
        chunk = s.chunk
        if chunk.chunk_id not in numbers:
            numbers[chunk.chunk_id] = len(numbers) + 1
            citations.append(Citation(numbers[chunk.chunk_id], chunk))
        text = s.text.rstrip("；;")
        if not text.endswith(("。", "！", "？", "：")):
            text += "。"
        if labelled and chunk.doc != last_doc and not text.startswith(f"《{chunk.title}》"):
            text = f"《{chunk.title}》：{text}"
        last_doc = chunk.doc
        claims.append(Claim(text, [numbers[chunk.chunk_id]], s.count, s.total))
    return Answer(question, claims, citations, backend="extractive")


def source_text(chunk: Chunk) -> str:
    """What a claim citing ``chunk`` may state: its document title, headings and text
    (a table row also read as a sentence)."""
    head = chunk.title + "\n" + "\n".join(chunk.section_path) + "\n"
    if chunk.kind == "table_row":
        return head + chunk.text + "\n" + (chunk.statement or chunk.text)
    return head + chunk.text


def _counted(items: Sequence[Claim], by_n: Mapping[int, Citation]) -> int:
    """How many of the claims that follow a listing's intro are cited items (up to the next intro)."""
    n = 0
    for claim in items:
        if claim.count or not any(c in by_n for c in claim.cites):
            break
        n += 1
    return n


def verify(answer: Answer) -> Answer:
    """Drop claims without a citation or with a figure no cited passage states; note each drop."""
    if answer.abstained:
        return answer
    by_n = {c.n: c for c in answer.citations}
    kept: list[Claim] = []
    for i, claim in enumerate(answer.claims):
        sources = [source_text(by_n[n].chunk) for n in claim.cites if n in by_n]
        if not sources:
            answer.notices.append(f"已删除一句没有引用出处的内容：{claim.text[:40]}")
            continue
        bad = unsupported(claim.text, sources)
        if claim.count and _counted(answer.claims[i + 1 :], by_n) >= claim.count:
            # the count of the items that follow, and of all of them
            counts = {claim.count, claim.total} - {0}
            bad = [q for q in bad if q.percent or q.value not in counts]
        if bad:
            figures = "、".join(q.text for q in bad)
            answer.notices.append(f"已删除一句数字（{figures}）在所引段落中找不到的内容。")
            continue
        kept.append(claim)
    if not kept:
        hits = [Hit(c.chunk, 0.0) for c in answer.citations]
        out = declined_answer(answer.question, hits, "回答中的内容无法在文档中核实。", answer.backend)
        out.notices = answer.notices
        return out
    used = sorted({n for c in kept for n in c.cites})
    renumber = {old: new for new, old in enumerate(used, start=1)}
    answer.claims = [dataclasses.replace(c, cites=[renumber[n] for n in c.cites if n in renumber]) for c in kept]
    answer.citations = [Citation(renumber[c.n], c.chunk) for c in answer.citations if c.n in renumber]
    return answer
