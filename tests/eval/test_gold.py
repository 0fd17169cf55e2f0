"""The gold set is well-formed and its evidence really is in the documents."""

from __future__ import annotations

from collections import Counter

from rag.eval.metrics import Evidence, load_gold, missing_evidence
from tests.conftest import GOLD


def test_gold_format_and_coverage(corpus_docs):
    gold = load_gold(GOLD)
    assert len(gold) >= 40
    assert len({q.id for q in gold}) == len(gold)
    kinds = Counter(q.kind for q in gold)
    assert set(kinds) == {
        "fact", "indicator", "list", "cross_document", "compare", "change", "followup", "structure", "unanswerable"
    }
    assert kinds["followup"] >= 24 and kinds["structure"] >= 12
    cited = {ev.doc for q in gold for ev in q.evidence}
    assert cited == set(corpus_docs)
    for q in gold:
        if q.kind == "unanswerable":
            assert q.evidence == [] and q.answer.startswith("文档中没有相关信息")
        else:
            assert q.evidence and q.key_facts
            assert {ev.doc for ev in q.evidence} <= set(q.docs)
        # a follow-up comes with the conversation it leans on; nothing else does
        assert bool(q.history) == (q.kind == "followup")
        if q.history:
            roles = [m.role for m in q.history]
            assert roles == ["user", "assistant"] * (len(roles) // 2) and roles


def test_every_evidence_string_is_in_the_cleaned_text(corpus_docs):
    assert missing_evidence(load_gold(GOLD), corpus_docs) == []
    held_out = load_gold(GOLD.with_name("gold_heldout.jsonl"))  # conversations and structure, not tuned on
    assert {q.kind for q in held_out} == {"followup", "structure"} and len(held_out) >= 18
    assert missing_evidence(held_out, corpus_docs) == []


def test_evidence_not_in_the_text_is_named(corpus_docs):
    q = load_gold(GOLD)[0]
    bad = q.model_copy(update={"evidence": [
        Evidence(doc=q.evidence[0].doc, text="护理型床位\n占比"),  # a line break copied from the raw file
        Evidence(doc="other.txt", text="x"),
    ]})
    assert missing_evidence([q, bad], corpus_docs) == [
        f"{q.id}：《2023年全省民政工作要点》中找不到“护理型床位\n占比”",
        f"{q.id}：语料中没有文件 other.txt",
    ]
