"""The running web chat (``planqa serve`` on the real index, real model) under load, stopped and
started again, and its network defaults (issue 8, "Load and faults" and "Security defaults").

The load test is a bounded run of ``benchmarks/load_ui.py``: 20 ``gradio_client`` users asking
the gold questions for 40 s, then 20 HTTP clients of the OpenAI-compatible API for 20 s. Its figures go to ``test-artifacts/load_test.json`` and the test's
output; docs/user-guide.md ("Limits and failure behaviour") quotes a longer run of the script.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS, QUESTION, ROOT, free_port, load_script, running_server

pytestmark = pytest.mark.real

LOAD_USERS = 20
LOAD_SECONDS = 40
API_LOAD_SECONDS = 20
# Growth of the server's resident memory from the end of the warm-up (the first quarter) to the
# end of the run. Measured with 20 users: +3.7 MB from 15 s to 60 s (1,041 requests), +3.4 MB from
# 45 s to 180 s (3,283 requests) and flat over the last 80 s (docs/user-guide.md, "Limits and failure
# behaviour"). 32 MB leaves room for a slow machine's allocator, and still fails when each request keeps
# its answer or its session's page configuration (≈ 20–40 kB each: 20–40 MB over the ~1,000 requests of
# a 40 s run).
RSS_GROWTH_LIMIT_MB = 32


def load_ui() -> Any:
    return load_script(ROOT / "benchmarks" / "load_ui.py", "load_ui")


@pytest.fixture(scope="module")
def server(real_index_dir: Path) -> Any:
    with running_server(real_index_dir, {}, log_name="server-load") as srv:
        yield srv


def test_twenty_users_at_once_get_answers_without_errors(server):
    bench = load_ui()
    result = bench.run_load(server["url"], server["proc"].pid, LOAD_USERS, LOAD_SECONDS)
    print("\n" + bench.report(result))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load_test.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    assert result["errors"] == 0, result["error_samples"]
    assert result["per_user_requests_min"] >= 3  # every user was served, again and again
    growth = result["rss_end_mb"] - result["rss_after_warmup_mb"]
    assert growth <= RSS_GROWTH_LIMIT_MB, result["rss_series_mb"]


def test_twenty_api_clients_at_once_get_answers_without_errors(server):
    """The same load on the OpenAI-compatible API (``/v1/chat/completions``), beside the page."""
    bench = load_ui()
    result = bench.run_load(server["url"], server["proc"].pid, LOAD_USERS, API_LOAD_SECONDS, path="api")
    print("\n" + bench.report(result))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load_test_api.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    assert result["errors"] == 0, result["error_samples"]
    assert result["per_user_requests_min"] >= 3


def listening_addresses(port: int) -> set[str]:
    """The local IPv4/IPv6 addresses with a socket listening on ``port`` (Linux /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    found.add(address)
    return found


def other_address() -> str | None:
    """This machine's address on its network, if it has one besides loopback."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the route
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_listens_on_loopback_only(server):
    assert listening_addresses(server["port"]) == {"127.0.0.1"}
    address = other_address()
    if address is not None:  # from another machine's point of view: nothing answers there
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(3)
            s.connect((address, server["port"]))


def test_upload_over_the_size_limit_is_refused_by_the_server(server, tmp_path):
    import httpx

    big = tmp_path / "草案.txt"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024 + 1)
    with big.open("rb") as fh:
        r = httpx.post(f"{server['url']}/gradio_api/upload", files={"files": ("草案.txt", fh, "text/plain")}, timeout=60)
    assert r.status_code == 413, r.text[:300]
    small = httpx.post(f"{server['url']}/gradio_api/upload", files={"files": ("草案.txt", b"\xe8\x8d\x89\xe6\xa1\x88", "text/plain")})
    assert small.status_code == 200  # the limit, not uploads as such


def test_server_stops_cleanly_and_starts_again_on_the_same_port(real_index_dir, tmp_path):
    """SIGTERM: exit code 0, '已停止', its private temporary files (Gradio's uploads, reports)
    gone; a new server on the same port at once answers the same."""
    import httpx
    from gradio_client import Client

    port = free_port()
    scratch = tmp_path / "tmp"  # the servers' TMPDIR, to see what they leave behind
    scratch.mkdir()
    with running_server(real_index_dir, {"TMPDIR": str(scratch)}, port=port, log_name="server-restart-1") as first:
        before = Client(first["url"], verbose=False).predict(QUESTION, api_name="/ask")
        upload = httpx.post(f"{first['url']}/gradio_api/upload", files={"files": ("草案.txt", "规划草案".encode(), "text/plain")})
        assert upload.status_code == 200
        assert any(p.name.startswith("planqa-gradio-") for p in scratch.iterdir())
        proc: subprocess.Popen[str] = first["proc"]
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert "planqa 网页已停止。" in rest
    left = sorted(p.name for p in scratch.iterdir() if p.name != "jieba.cache")  # jieba's shared dictionary cache
    assert left == []  # nothing of its own left in its temporary folder
    with running_server(real_index_dir, {"TMPDIR": str(scratch)}, port=port, log_name="server-restart-2") as second:
        after = Client(second["url"], verbose=False).predict(QUESTION, api_name="/ask")
    assert after == before and "60%以上" in after["answer"]
