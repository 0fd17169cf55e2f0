"""benchmarks/bench_library.py still runs (with the keyword embedder; its numbers are reported, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_library_benchmark_runs_with_the_keyword_embedder():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_library", "--fake", "--pages", "10"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "upload → answerable" in done.stdout and "while the build runs" in done.stdout
    path = ROOT / done.stdout.strip().splitlines()[-1].removeprefix("results: ")
    data = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    assert data["cited"] and data["pages"] == 10 and data["build"]["embedded"] < data["build"]["chunks"]
