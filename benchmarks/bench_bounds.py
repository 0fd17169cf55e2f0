"""Three times the tests used to assert, printed instead (speed is shown by a benchmark, not by a test).

- ``planqa check`` on the bundled pair (舒兰市 against 吉林省), end to end with the real model, and the
  time it reports itself (the test asserts the verdicts and that it finishes);
- reading a sheet made 16,384 columns wide by one stray cell (XFD1) (the test asserts the table is
  intact and that at most ``MAX_CELLS`` cells are read);
- how long a question waits for the embedder while a background build holds it, slice by slice (the
  test asserts the order: a waiting question goes before the build's next slice).

Usage::

    .venv/bin/python -m benchmarks.bench_bounds [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import PLANQA, ROOT, print_table, run_timed, timed, write_results

CORPUS = ROOT / "corpus"


def bench_check() -> dict[str, Any]:
    done, wall, peak = run_timed(
        [str(PLANQA), "check", str(CORPUS / "shulan_city_14th_fyp_2021.txt"), "--against",
         str(CORPUS / "jilin_province_14th_fyp_2021.txt"), "--json"]
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"planqa check failed: {done.stderr}")
    m = re.search(r"用时 ([\d.]+) 秒", done.stderr)
    return {"wall_s": wall, "reported_s": float(m.group(1)) if m else None, "peak_rss_mb": peak}


def bench_wide_sheet(repeat: int) -> dict[str, Any]:
    from rag.docs.ingest import ingest_file
    from tests.docs.test_readers import _with_stray_cell

    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "指标.xlsx"
        sheet.write_bytes(_with_stray_cell("XFD1"))
        seconds = [timed(lambda: ingest_file(sheet))[1] for _ in range(repeat)]
    return {"n": repeat, "median_s": statistics.median(seconds), "max_s": max(seconds)}


def bench_question_wait(repeat: int) -> dict[str, Any]:
    from ui.service import SLICE, SerializedEmbedder

    per_text = 0.02

    class Slow:
        name, dim = "slow", 4

        def embed_documents(self, texts: Any, progress: Any = None) -> np.ndarray:
            time.sleep(per_text * len(texts))
            return np.zeros((len(texts), 4), dtype=np.float32)

        def embed_query(self, text: str) -> np.ndarray:
            return np.zeros(4, dtype=np.float32)

    embedder = SerializedEmbedder(Slow())
    build = threading.Thread(target=embedder.embed_documents, args=(["段落"] * SLICE * (4 * repeat + 5),))
    build.start()
    time.sleep(0.3)
    waits = []
    for _ in range(repeat):
        waits.append(timed(lambda: embedder.embed_query("问题"))[1])
        time.sleep(0.05)
    build.join()
    return {"n": repeat, "slice_s": per_text * SLICE, "max_wait_s": max(waits), "median_wait_s": statistics.median(waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    check = bench_check()
    sheet = bench_wide_sheet(args.repeat)
    wait = bench_question_wait(args.repeat)
    print_table(
        "Times the tests no longer assert",
        ["what", "seconds"],
        [
            ["planqa check, bundled pair: wall", check["wall_s"]],
            ["planqa check, bundled pair: reported (用时)", check["reported_s"] or float("nan")],
            ["wide sparse sheet (XFD1): median read", sheet["median_s"]],
            ["wide sparse sheet (XFD1): slowest read", sheet["max_s"]],
            [f"question during a build: longest wait (one slice = {wait['slice_s']:.2f} s)", wait["max_wait_s"]],
            ["question during a build: median wait", wait["median_wait_s"]],
        ],
    )
    write_results("bounds", {"check": check, "wide_sheet": sheet, "question_wait": wait})


if __name__ == "__main__":
    main()
