"""The gold set is well-formed and its evidence really is in the documents."""

from __future__ import annotations

from collections import Counter

from rag.evaluate import evidence_spans, load_gold
from tests.conftest import GOLD


def test_gold_format_and_coverage(corpus_docs):
    gold = load_gold(GOLD)
    assert len(gold) >= 40
    assert len({q.id for q in gold}) == len(gold)
    kinds = Counter(q.kind for q in gold)
    assert set(kinds) == {"fact", "indicator", "list", "cross_document", "compare", "change", "unanswerable"}
    cited = {ev.doc for q in gold for ev in q.evidence}
    assert cited == set(corpus_docs)
    for q in gold:
        if q.kind == "unanswerable":
            assert q.evidence == [] and q.answer.startswith("文档中没有相关信息")
        else:
            assert q.evidence and q.key_facts
            assert {ev.doc for ev in q.evidence} <= set(q.docs)


def test_every_evidence_string_is_in_the_cleaned_text(corpus_docs):
    missing = [
        (q.id, ev.text) for q in load_gold(GOLD) for ev in q.evidence if not evidence_spans(ev, corpus_docs)
    ]
    assert missing == []
