"""The benchmarks still run (numbers are not asserted: speed is reported, not timed in tests)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.eval.metrics import answerable, load_gold
from tests.conftest import GOLD, ROOT

pytestmark = pytest.mark.real


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


# the questions the benchmarks time: every answerable question of the gold set (follow-ups included)
ANSWERABLE = len(answerable(load_gold(GOLD)))


def test_scale_benchmark_on_a_small_synthetic_corpus(real_index_dir):
    done = run_module("benchmarks.bench_scale", "--sizes", "600", "--index", str(real_index_dir))
    assert done.returncode == 0, done.stderr
    assert "HNSW recall@10" in done.stdout and "│ 600 " in done.stdout
    path = ROOT / done.stdout.strip().splitlines()[-1].removeprefix("results: ")
    (size,) = json.loads(path.read_text(encoding="utf-8"))["sizes"]
    path.unlink()
    assert size["chunks"] == 600 and set(size["latency"]) == {"bm25", "dense", "hybrid"}
    assert size["latency"]["hybrid"]["n"] == ANSWERABLE  # every answerable gold question
    assert 0.0 < size["hnsw_recall@10"] <= 1.0 and size["disk_mb"]["total"] > 0
    assert size["llamaindex"]["n"] == 20
    worker = size["worker"]  # a second process loaded the written index, as a web worker does
    assert worker["latency"]["hybrid"]["n"] == ANSWERABLE
    assert worker["index_mb"]["file"] > 0  # the memory-mapped index files
    assert "A serving process loading the written index" in done.stdout


def test_query_benchmark_without_the_baseline(real_index_dir):
    done = run_module("benchmarks.bench_query", "--index", str(real_index_dir), "--no-baseline")
    assert done.returncode == 0, done.stderr
    for row in ("hybrid (default)", "dense, Milvus Lite store", "extractive answer", "cold: planqa --help"):
        assert row in done.stdout
    path = ROOT / done.stdout.strip().splitlines()[-1].removeprefix("results: ")
    data = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    assert data["warm"]["hybrid (default)"]["n"] == ANSWERABLE
    assert data["cold"]["first planqa retrieve"]["n"] == 3


def test_bounds_benchmark_prints_the_times_the_tests_no_longer_assert():
    done = run_module("benchmarks.bench_bounds", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    for row in ("planqa check, bundled pair: wall", "wide sparse sheet (XFD1)", "question during a build"):
        assert row in done.stdout
    path = ROOT / done.stdout.strip().splitlines()[-1].removeprefix("results: ")
    data = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    assert data["check"]["reported_s"] > 0 and data["wide_sheet"]["n"] == 1 and data["question_wait"]["n"] == 1
