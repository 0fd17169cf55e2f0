"""The library over a corpus directory: changes, names, limits, the trash, crashes, concurrency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rag.docs.ingest import ingest_corpus, load_manifest
from rag.library import store
from rag.library.store import JOURNAL_FILE, Library, LibraryError, safe_name
from tests.conftest import ROOT
from tests.library.conftest import NEW, SMALL, snapshot


def test_add_copies_the_file_and_writes_its_entry_and_facts(small_corpus: Path, upload: Path):
    entry = Library(small_corpus).add(upload, upload.name, {"title": "二〇二三年工作要点", "level": "province"}, by="张三")
    assert entry.id == "2023年工作要点.txt"
    assert (small_corpus / entry.id).read_bytes() == upload.read_bytes()
    meta = load_manifest(small_corpus)[entry.id]
    assert meta.title == "二〇二三年工作要点"  # the caller's field wins
    assert meta.issuer == "吉林省民政厅" and meta.date == "2023-02-01"  # the rest read from the text
    assert not meta.inferred
    facts = json.loads((small_corpus / ".library.json").read_text(encoding="utf-8"))["documents"][entry.id]
    assert facts["added_by"] == "张三" and facts["size"] == upload.stat().st_size and len(facts["sha256"]) == 64
    assert [e.id for e in Library(small_corpus).documents()] == sorted([*SMALL, entry.id])
    # the manifest's other entries and fields are kept as they were
    manifest = json.loads((small_corpus / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "吉林省及舒兰市民政规划文件" and [d["file"] for d in manifest["documents"]][:2] == list(SMALL)


def test_without_fields_the_entry_is_what_the_text_says(small_corpus: Path, upload: Path):
    entry = Library(small_corpus).add(upload, "x.txt")
    assert entry.meta.inferred and entry.meta.title == "2023年全省民政工作要点" and entry.meta.period == "2023"


def test_a_corrected_field_loses_its_provenance(small_corpus: Path, upload: Path):
    """How a field was read from the text stays with it until a person sets it."""
    library = Library(small_corpus)
    entry = library.add(upload, "x.txt")
    assert {k: v.evidence for k, v in entry.meta.provenance.items()} == {
        "title": "notice", "jurisdiction": "issuer", "level": "issuer", "period": "title"
    }
    corrected = library.update_meta(entry.id, {"jurisdiction": "吉林省", "period": "2023年"})
    assert sorted(corrected.meta.provenance) == ["level", "title"]
    assert sorted(load_manifest(small_corpus)[entry.id].provenance) == ["level", "title"]


@pytest.mark.parametrize(
    ("uploaded", "stored"),
    [
        ("../../x.txt", "x.txt"),
        ("..\\..\\windows\\y.MD", "y.md"),
        ("/etc/cron.d/z.txt", "z.txt"),
        (".hidden.txt", "hidden.txt"),
        ("a\x00b.txt", "a_b.txt"),
        ("规划 草案 (1).txt", "规划_草案_(1).txt"),
        ("%2e%2e%2fq.txt", "2e_2e_2fq.txt"),
        ("." * 3 + ".txt", "document.txt"),
        ("长" * 200 + ".txt", "长" * 80 + ".txt"),
    ],
)
def test_uploaded_names_are_stored_safely(uploaded: str, stored: str):
    assert safe_name(uploaded) == stored


@pytest.mark.parametrize("uploaded", ["..", "../..", "x.exe", "report.txt.sh", "noext", ""])
def test_names_without_a_supported_type_are_refused(uploaded: str):
    with pytest.raises(LibraryError) as err:
        safe_name(uploaded)
    assert err.value.status == 415 and "不支持的文件类型" in err.value.message


def test_a_traversal_name_lands_inside_the_corpus_and_a_taken_name_gets_a_number(small_corpus: Path, upload: Path):
    library = Library(small_corpus)
    first = library.add(upload, "../../jilin_work_points_2021.txt")
    assert first.id == "jilin_work_points_2021-2.txt" and (small_corpus / first.id).is_file()
    assert not (small_corpus.parent / "jilin_work_points_2021.txt").exists()


def test_oversized_empty_and_unreadable_uploads_change_nothing(small_corpus: Path, tmp_path: Path, upload: Path):
    before = snapshot(small_corpus)
    with pytest.raises(LibraryError) as err:
        Library(small_corpus, max_bytes=1000).add(upload, upload.name)
    assert err.value.status == 413 and "文件过大" in err.value.message
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(LibraryError, match="文件为空"):
        Library(small_corpus).add(empty, empty.name)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LibraryError) as err:
        Library(small_corpus).add(broken, broken.name)
    assert err.value.status == 400
    assert snapshot(small_corpus) == before
    assert not any((small_corpus / ".staging").iterdir())


def test_remove_moves_file_and_entry_to_the_trash_and_restore_puts_them_back(small_corpus: Path):
    library = Library(small_corpus)
    name = SMALL[0]
    meta, data = load_manifest(small_corpus)[name], (small_corpus / name).read_bytes()
    item = library.remove(name, by="李四")
    assert not (small_corpus / name).exists() and name not in load_manifest(small_corpus)
    assert (small_corpus / ".trash" / item.id).read_bytes() == data
    assert [t.id for t in library.trash()] == [item.id] and item.removed_by == "李四"
    assert [d.file for d in ingest_corpus(small_corpus)] == [SMALL[1]]  # the trash is never indexed
    restored = library.restore(item.id)
    assert restored.id == name and (small_corpus / name).read_bytes() == data
    assert load_manifest(small_corpus)[name] == meta
    assert library.trash() == []
    with pytest.raises(LibraryError) as err:
        library.restore(item.id)
    assert err.value.status == 404


def test_restore_under_a_new_name_when_the_old_one_is_taken(small_corpus: Path, upload: Path):
    library = Library(small_corpus)
    added = library.add(upload, "doc.txt")
    item = library.remove(added.id)
    library.add(upload, "doc.txt")
    assert library.restore(item.id).id == "doc-2.txt"


def test_unknown_ids_are_not_found(small_corpus: Path, upload: Path):
    library = Library(small_corpus)
    for bad in ("../manifest.json", "manifest.json", ".library.json", "nope.txt", "../../etc/passwd"):
        with pytest.raises(LibraryError) as err:
            library.remove(bad)
        assert err.value.status == 404
    with pytest.raises(LibraryError):
        library.restore("../corpus/jilin_work_points_2021.txt")


def test_update_meta_corrects_and_validates(small_corpus: Path):
    library = Library(small_corpus)
    entry = library.update_meta(SMALL[0], {"title": "新标题", "level": "city", "issuer": ""})
    meta = load_manifest(small_corpus)[SMALL[0]]
    assert entry.meta == meta and meta.title == "新标题" and meta.level == "city" and meta.issuer == "吉林省民政厅"
    before = snapshot(small_corpus)
    for bad in ({"level": "village"}, {"file": "x.txt"}, {"implements": "missing.txt"}, {}):
        with pytest.raises(LibraryError) as err:
            library.update_meta(SMALL[0], bad)
        assert err.value.status == 400
    assert snapshot(small_corpus) == before


def test_replace_keeps_a_corrected_entry_and_trashes_the_old_file(small_corpus: Path, upload: Path):
    library = Library(small_corpus)
    library.update_meta(SMALL[0], {"title": "更正后的标题"})
    old = (small_corpus / SMALL[0]).read_bytes()
    entry = library.replace(SMALL[0], upload, "whatever.txt")
    assert entry.id == SMALL[0] and (small_corpus / SMALL[0]).read_bytes() == upload.read_bytes()
    assert load_manifest(small_corpus)[SMALL[0]].title == "更正后的标题"
    (trashed,) = library.trash()
    assert trashed.reason == "replaced" and (small_corpus / ".trash" / trashed.id).read_bytes() == old


def test_a_failed_step_rolls_the_change_back(small_corpus: Path, upload: Path, monkeypatch: pytest.MonkeyPatch):
    before = snapshot(small_corpus)

    def fail(point: str) -> None:
        if point == "add:manifest":
            raise OSError("disk full")

    monkeypatch.setattr(store, "checkpoint", fail)
    with pytest.raises(OSError):
        Library(small_corpus).add(upload, upload.name)
    assert snapshot(small_corpus) == before and not (small_corpus / JOURNAL_FILE).exists()


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from rag.library import store

    point = sys.argv[3]

    def pause(at):
        if at == point:
            print("PAUSED", flush=True)
            time.sleep(120)

    store.checkpoint = pause
    library = store.Library(Path(sys.argv[1]))
    if sys.argv[2] == "remove":
        library.remove(sys.argv[4])
    else:
        library.add(Path(sys.argv[4]), Path(sys.argv[4]).name)
    print("DONE", flush=True)
    """
)


def child(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("op", "point"), [("add", "add:moved"), ("add", "add:manifest"), ("remove", "remove:moved")])
def test_a_process_killed_in_the_middle_of_a_change_leaves_the_library_as_it_was(
    small_corpus: Path, upload: Path, op: str, point: str
):
    before = snapshot(small_corpus)
    listed = [e.to_json() for e in Library(small_corpus).documents()]
    proc = child(str(small_corpus), op, point, str(upload) if op == "add" else SMALL[0])
    assert proc.stdout is not None and proc.stdout.readline().strip() == "PAUSED"
    assert (small_corpus / JOURNAL_FILE).exists()  # killed with the change half made
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    library = Library(small_corpus)
    assert [e.to_json() for e in library.documents()] == listed  # the next process undoes it first
    assert snapshot(small_corpus) == before
    assert sorted(d.file for d in ingest_corpus(small_corpus)) == list(SMALL)
    assert library.add(upload, upload.name).id == upload.name  # and the library works on


def test_two_processes_adding_at_once_both_land(small_corpus: Path, upload: Path):
    procs = [child(str(small_corpus), "add", "none", str(upload)) for _ in range(2)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.read().strip() == "DONE"
        assert proc.wait(60) == 0
    names = {upload.name, "2023年工作要点-2.txt"}
    assert names <= set(load_manifest(small_corpus)) and names <= {p.name for p in small_corpus.iterdir()}
    assert len(json.loads((small_corpus / ".library.json").read_text(encoding="utf-8"))["documents"]) == 2
    assert NEW not in names
