"""What the benchmarks share: percentiles, a timer, memory, the table and the JSON they write."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PLANQA = Path(sys.executable).with_name("planqa")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (nearest rank, as ``planqa eval`` reports them), and the count."""
    from rag.eval.metrics import latency_ms

    return {"n": len(seconds), **{k: round(v, 2) for k, v in latency_ms(seconds).items()}}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def latencies(fn: Callable[[str], Any], queries: Sequence[str], warmup: int = 3) -> dict[str, float]:
    for q in queries[:warmup]:
        fn(q)
    secs = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        secs.append(time.perf_counter() - t0)
    return percentiles(secs)


def memory_mb() -> dict[str, float]:
    """This process's resident memory now (Linux /proc): all of it, anonymous and file-backed.

    File-backed pages are memory-mapped files: the page cache, shared between processes
    that map the same file.
    """
    fields = {"VmRSS:": "rss", "RssAnon:": "anon", "RssFile:": "file"}
    out = dict.fromkeys(fields.values(), float("nan"))
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":", 1)[0] + ":"
            if key in fields:
                out[fields[key]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def rss_mb() -> float:
    """This process's resident memory now, from /proc (Linux)."""
    return memory_mb()["rss"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def run_timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """(result, wall seconds, the child's peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run(list(cmd), capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return done, wall, max(after, before) / 1024


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 else "right")
    for r in rows:
        table.add_row(*[f"{x:.2f}" if isinstance(x, float) else str(x) for x in r])
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(table)


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), **data}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"results: {path.relative_to(ROOT)}")
    return path
