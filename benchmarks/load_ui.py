"""Load test of the server: N users asking at once for a fixed time, through the page's Gradio
API and through the OpenAI-compatible API, one path after the other against the same server.

Each user asks the gold questions (``evals/gold.jsonl``, each user starting at a different one)
one after another until the time is up, on one of two paths (``--paths``, default both):

- ``gradio``: one ``gradio_client.Client`` per user (its own session), the page's ``/ask``
  (through Gradio's queue); a reply with ``"error"`` or an exception counts as an error;
- ``api``: one HTTP client per user (``httpx``, a connection kept open), ``POST
  /v1/chat/completions`` without streaming; a status other than 200 or a reply without its
  ``planqa`` field counts as an error. The server's resident memory (``VmRSS`` of its process, read from
``/proc``, Linux) is sampled every second: before the load, when the warm-up (the first
quarter of the run) ends, at the end, and its peak.

Against a running server (``planqa serve`` started by you; give its pid for the memory)::

    .venv/bin/python benchmarks/load_ui.py --url http://127.0.0.1:7860 --pid PID

or let the script start ``planqa serve`` on the default index and stop it afterwards::

    .venv/bin/python benchmarks/load_ui.py [--users 20] [--seconds 60] [--paths gradio,api] [--out FILE.json]

It prints p50/p95/p99/max latency, requests per second, errors, and RSS before/after, for each
path, and a side-by-side table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "gold.jsonl"


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux /proc), None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, nearest rank (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def gold_questions() -> list[str]:
    return [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


PATHS = ("gradio", "api")


def gradio_asker(url: str) -> tuple[Any, Any]:
    """(ask(question) -> error text or None, close) for one user of the page's Gradio API."""
    from gradio_client import Client

    client = Client(url, verbose=False)

    def ask(q: str) -> str | None:
        out = client.predict(q, api_name="/ask")
        return None if isinstance(out, dict) and "answer" in out and "error" not in out else str(out)[:200]

    return ask, client.close


def api_asker(url: str, key: str | None = None) -> tuple[Any, Any]:
    """(ask, close) for one user of ``/v1/chat/completions`` (one kept-open connection)."""
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    client = httpx.Client(base_url=url, headers=headers, timeout=120)

    def ask(q: str) -> str | None:
        r = client.post("/v1/chat/completions", json={"model": "planqa-extractive", "messages": [{"role": "user", "content": q}]})
        if r.status_code != 200 or "planqa" not in r.json():
            return f"HTTP {r.status_code}: {r.text[:200]}"
        return None

    return ask, client.close


def run_load(
    url: str, pid: int | None, users: int = 20, seconds: float = 60, questions: list[str] | None = None, path: str = "gradio"
) -> dict[str, Any]:
    """Run the load on one path; return the figures (latencies in ms, memory in MB) and the errors seen."""
    questions = questions or gold_questions()
    make_asker = {"gradio": gradio_asker, "api": api_asker}[path]
    samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB)
    stop = threading.Event()
    start = time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            if pid is not None and (mb := rss_mb(pid)) is not None:
                samples.append((time.monotonic() - start, mb))
            stop.wait(1.0)

    rss_before = rss_mb(pid) if pid is not None else None
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline = start + seconds

    def user(k: int) -> dict[str, Any]:
        ask, close = make_asker(url)
        latencies: list[float] = []
        errors: list[str] = []
        i = k * 7  # each user starts at a different question
        while time.monotonic() < deadline:
            q = questions[i % len(questions)]
            i += 1
            t = time.perf_counter()
            try:
                failed = ask(q)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                errors.append(f"{q[:30]}: {exc!r}"[:300])
                continue
            latencies.append((time.perf_counter() - t) * 1000)
            if failed is not None:
                errors.append(f"{q[:30]}: {failed}")
        close()
        return {"latencies": latencies, "errors": errors}

    with ThreadPoolExecutor(users) as pool:
        results = list(pool.map(user, range(users)))
    elapsed = time.monotonic() - start
    stop.set()
    sampler.join()
    latencies = [x for r in results for x in r["latencies"]]
    errors = [e for r in results for e in r["errors"]]
    warm = [mb for t, mb in samples if t <= seconds / 4]
    out: dict[str, Any] = {
        "path": path,
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
        "requests_per_second": round((len(latencies) + len(errors)) / elapsed, 2),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "per_user_requests_min": min(len(r["latencies"]) for r in results),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),  # other work on the machine slows it
        "cpus": os.cpu_count(),
    }
    if samples:
        out.update(
            rss_before_mb=round(rss_before or samples[0][1], 1),
            rss_after_warmup_mb=round(warm[-1] if warm else samples[0][1], 1),
            rss_end_mb=round(samples[-1][1], 1),
            rss_peak_mb=round(max(mb for _, mb in samples), 1),
            rss_series_mb=[round(mb) for _, mb in samples],
        )
    return out


def start_server(index: Path, corpus: Path, port: int) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("planqa")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [str(exe), "serve", "--index", str(index), "--corpus", str(corpus), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "网页已就绪" in line:
            return proc
    raise SystemExit("planqa serve did not start (see its messages above)")


def side_by_side(results: list[dict[str, Any]]) -> str:
    """One Markdown row per path: requests/s, p50, p95, p99, errors."""
    rows = ["| path | users | seconds | requests/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|---|"]
    names = {"gradio": "Gradio `/ask` (gradio_client)", "api": "`/v1/chat/completions` (HTTP)"}
    for r in results:
        rows.append(
            f"| {names.get(r['path'], r['path'])} | {r['users']} | {r['seconds']} | {r['requests_per_second']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} |"
        )
    return "\n".join(rows)


def report(r: dict[str, Any]) -> str:
    lines = [
        f"[{r.get('path', 'gradio')}] {r['users']} users, {r['seconds']} s: {r['requests']} requests ({r['requests_per_second']}/s), {r['errors']} errors",
        f"latency ms: p50 {r['p50_ms']}, p95 {r['p95_ms']}, p99 {r['p99_ms']}, max {r['max_ms']}",
        f"machine: {r['cpus']} CPUs, load average {r['load_average_1min_at_end']} at the end",
    ]
    if "rss_end_mb" in r:
        lines.append(
            f"server RSS MB: before {r['rss_before_mb']}, after warm-up {r['rss_after_warmup_mb']}, "
            f"end {r['rss_end_mb']}, peak {r['rss_peak_mb']}"
        )
    lines.extend(f"  error: {e}" for e in r["error_samples"])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (else one is started on --index)")
    parser.add_argument("--pid", type=int, help="the running server's process id, for its memory")
    parser.add_argument("--index", default=str(ROOT / "indexes" / "default"))
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    parser.add_argument("--port", type=int, default=7861)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--paths", default=",".join(PATHS), help="gradio, api, or both (comma-separated, run in turn)")
    parser.add_argument("--out", help="write the figures as JSON to this file")
    args = parser.parse_args()
    proc = None
    url, pid = args.url, args.pid
    if url is None:
        proc = start_server(Path(args.index), Path(args.corpus), args.port)
        url, pid = f"http://127.0.0.1:{args.port}", proc.pid
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if unknown := [p for p in paths if p not in PATHS]:
        parser.error(f"unknown path {unknown[0]!r}: choose from {', '.join(PATHS)}")
    results = []
    try:
        for path in paths:
            results.append(run_load(url, pid, args.users, args.seconds, path=path))
            print(report(results[-1]), flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    print()
    print(side_by_side(results))
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
