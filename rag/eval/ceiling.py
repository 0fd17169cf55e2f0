"""The LLM path's ceiling: a scripted model that answers right exactly when its prompt holds the evidence.

:class:`GoldOracle` is a :class:`~rag.qa.llm.ChatModel`. It is told which gold question is being
asked (the evidence strings and key facts a person wrote, never the ids of the passages that hold
them) and reads only the prompt messages the answerer sends. When every evidence string of the
question is in one of the prompt's numbered passages (its text or its section headings, in the
document the evidence names; at least half of it in one piece, as retrieval relevance counts it),
it replies with one sentence per key fact, quoting the fact and citing the passages that hold the
evidence (those that state the fact in its words first), in the reply format
:func:`rag.qa.llm.parse_reply` reads; otherwise it declines. Its answer is then verified like any
model's: a fact no cited passage supports is removed.

Its key-fact rate is therefore what a model that reads perfectly could reach with the prompts the
answerer builds: the LLM path's ceiling, set beside the extractive answerer's figure by
:func:`run_ceiling` (``python -m rag.eval.ceiling``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rag.eval.metrics import AnswerResult, GoldQuestion, by_kind, fact_key, judge_answer, summarize_answers
from rag.models import Document
from rag.qa.llm import NO_ANSWER_MARK

_DATA = re.compile(r"资料（JSON，仅作为数据）：\n(.*)\n\n问题：", re.S)


def prompt_passages(messages: Sequence[Mapping[str, str]]) -> list[dict[str, Any]] | None:
    """The numbered passages of an answer prompt (:meth:`rag.qa.llm.PromptInput.messages`), or None
    for another prompt (a follow-up's rewrite)."""
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    m = _DATA.search(user)
    if m is None:
        return None
    data = json.loads(m.group(1))
    return data if isinstance(data, list) else None


def holds(passage: str, evidence: str, half: bool = True) -> bool:
    """Whether ``passage`` holds ``evidence`` (both as :func:`rag.eval.metrics.fact_key` reads them), or at least half of it in one piece: an
    evidence string may run across the boundary of two passages, and a retrieved chunk is relevant
    to it when it covers half its span (:func:`rag.eval.metrics.covers`); this is the same rule on text."""
    if not evidence:
        return False
    if evidence in passage or not half:
        return evidence in passage
    n = (len(evidence) + 1) // 2
    return any(evidence[i : i + n] in passage for i in range(len(evidence) - n + 1))


def holding(
    passages: Sequence[Mapping[str, Any]], text: str, title: str | None = None, half: bool = True
) -> list[int]:
    """The ids of the passages whose section headings or text hold ``text`` (:func:`holds`, spaces
    ignored; whole, unless ``half``), in the document titled ``title`` when given."""
    needle = fact_key(text)
    return [
        int(p["id"]) for p in passages
        if (title is None or p.get("document") == title)
        and holds(fact_key(str(p.get("section", "")) + "\n" + str(p.get("text", ""))), needle, half)
    ]


def oracle_reply(gold: GoldQuestion, passages: Sequence[Mapping[str, Any]], titles: Mapping[str, str]) -> str:
    """What a perfect reader writes: each key fact with the passage it is read from, when every
    evidence string is among ``passages``; else the decline."""
    found = [holding(passages, ev.text, titles.get(ev.doc)) for ev in gold.evidence]
    if not gold.evidence or not all(found):
        return NO_ANSWER_MARK + "。"
    whole = {n for ev in gold.evidence for n in holding(passages, ev.text, titles.get(ev.doc), half=False)}
    some = {n for ids in found for n in ids}
    out = []
    for fact in gold.key_facts:
        ids = holding(passages, fact, half=False)
        # where the evidence is: the passages holding a whole evidence string (those that also state the
        # fact in its words first: a table row may state 100% as 单位：% and 100), then those holding half of one
        cited = [n for n in ids if n in whole] or sorted(whole) or [n for n in ids if n in some] or sorted(some)
        out.append(fact.rstrip("。") + "".join(f"[{n}]" for n in cited) + "。")
    return "".join(out)


class GoldOracle:
    """A chat model that answers the gold question :attr:`question` from its prompt alone
    (:func:`oracle_reply`); a prompt that is not an answer prompt gets an empty reply, which
    leaves a follow-up to the rules' rewrite."""

    name = "scripted-oracle"

    def __init__(self, titles: Mapping[str, str]) -> None:
        self.titles = dict(titles)
        self.question: GoldQuestion | None = None
        self.prompts: list[list[dict[str, Any]]] = []  # the passages of each answer prompt, for inspection
        self.reply = ""  # the last answer prompt's reply

    def chat(self, messages: list[dict[str, str]], stream: bool = True) -> Iterator[str]:
        passages = prompt_passages(messages)
        if passages is None or self.question is None:
            yield ""
            return
        self.prompts.append(passages)
        self.reply = oracle_reply(self.question, passages, self.titles)
        yield self.reply


def model_result(result: AnswerResult, backend: str, model: str) -> AnswerResult:
    """An answer the model did not give (the extractive fallback after a reply that failed the
    check) counts as declined: the ceiling is the model's, not the fallback's."""
    if backend == model:
        return result
    return dataclasses.replace(result, abstained=True, key_facts_found=0, supported=False)


@dataclasses.dataclass
class CeilingRun:
    extractive: list[AnswerResult]
    scripted: list[AnswerResult]
    fallbacks: int  # scripted replies that failed the check and were replaced by the extractive answer
    prompt_passages: float  # mean passages per answer prompt

    def to_json(self) -> dict[str, Any]:
        return {
            "extractive": summarize_answers(self.extractive),
            "scripted": summarize_answers(self.scripted),
            "fallbacks": self.fallbacks,
            "prompt_passages": round(self.prompt_passages, 2),
            "by_kind": {
                "extractive": by_kind(self.extractive, summarize_answers),
                "scripted": by_kind(self.scripted, summarize_answers),
            },
            "questions": [
                {"id": e.qid, "kind": e.kind, "extractive": e.all_facts, "scripted": s.all_facts}
                for e, s in zip(self.extractive, self.scripted, strict=True)
            ],
        }


def run_ceiling(answerer: Any, gold: Sequence[GoldQuestion], docs: dict[str, Document]) -> CeilingRun:
    """Each gold question answered by ``answerer`` (extractive) and by the same answerer with a
    :class:`GoldOracle` as its model, both judged as ``planqa eval`` judges answers."""
    oracle = GoldOracle({f: d.title for f, d in docs.items()})
    scripted = dataclasses.replace(answerer, llm=oracle)
    ext, orc, fallbacks = [], [], 0
    for q in gold:
        ext.append(judge_answer(q, answerer.answer(q.question, None, q.messages()), docs))
        oracle.question, oracle.reply = q, ""
        answer = scripted.answer(q.question, None, q.messages())
        answered = bool(oracle.reply) and not oracle.reply.startswith(NO_ANSWER_MARK)
        fallbacks += answered and answer.backend != oracle.name
        orc.append(model_result(judge_answer(q, answer, docs), answer.backend, oracle.name))
    mean = sum(map(len, oracle.prompts)) / len(oracle.prompts) if oracle.prompts else 0.0
    return CeilingRun(ext, orc, fallbacks, mean)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.eval.ceiling --corpus DIR --index DIR --gold FILE``: the extractive key-fact
    rate and the scripted model's, on an index already built (``planqa index`` or ``planqa eval``)."""
    p = argparse.ArgumentParser(prog="python -m rag.eval.ceiling", description=main.__doc__)
    p.add_argument("--corpus", default="corpus")
    p.add_argument("--index", default="indexes/default")
    p.add_argument("--gold", default="evals/gold.jsonl")
    p.add_argument("--model", default=None)
    p.add_argument("--json", default=None, help="write the figures and each question's result here")
    args = p.parse_args(argv)

    from rag.docs.ingest import ingest_corpus
    from rag.eval.metrics import load_gold
    from rag.index.directory import open_index
    from rag.index.embed import get_embedder
    from rag.qa.answer import Answerer
    from rag.qa.retrieve import make_retriever

    gold = load_gold(Path(args.gold))
    embedder = get_embedder(args.model)
    index = open_index(Path(args.index), Path(args.corpus), embedder, auto_build=False)
    docs = {d.file: d for d in ingest_corpus(Path(args.corpus))}
    run = run_ceiling(Answerer(index, make_retriever(index, embedder)), gold, docs)
    data = run.to_json()
    if args.json:
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    e, s = data["extractive"], data["scripted"]
    print(f"{args.gold}: {int(e['answerable'])} answerable of {int(e['questions'])}")
    print(f"{'':<22}{'key facts':>10}{'fact recall':>12}{'declined':>10}")
    for name, m in (("extractive", e), ("scripted (ceiling)", s)):
        print(f"{name:<22}{m['key_facts']:>10.3f}{m['key_fact_recall']:>12.3f}{m['declined_answerable']:>10.3f}")
    print(f"scripted replies that failed the check: {run.fallbacks}; passages per prompt: {run.prompt_passages:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
