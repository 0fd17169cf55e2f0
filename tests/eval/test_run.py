"""One evaluation run over every configuration, with the keyword embedder (fast)."""

from __future__ import annotations

import json

import pytest

from rag.errors import ConfigError
from rag.eval.metrics import AnswerResult, load_gold
from rag.eval.run import CONFIGS, NO_RERANKER, EvalRun, answer_status, run_evaluation
from rag.index.directory import Index
from tests.conftest import GOLD, KeywordEmbedder


class LengthReranker:
    """A cross-encoder stand-in: shorter passages first."""

    def __init__(self) -> None:
        self.pairs = 0

    def predict(self, pairs):  # type: ignore[no-untyped-def]
        self.pairs += len(pairs)
        return [-len(text) for _, text in pairs]


@pytest.fixture(scope="module")
def small_gold():
    gold = load_gold(GOLD)
    # two answerable questions of each of three kinds, and two unanswerable ones
    picked = []
    for kind in ("fact", "indicator", "compare", "unanswerable"):
        picked += [q for q in gold if q.kind == kind][:2]
    return picked


def test_cli_names_the_same_configurations():
    from rag.cli import EVAL_CONFIGS

    assert tuple(CONFIGS) == EVAL_CONFIGS


def test_every_configuration_runs_once_with_progress(fake_index_dir, corpus_docs, small_gold, fake_answerer):
    embedder = KeywordEmbedder()
    index = Index.load(fake_index_dir, embedder.name)
    reranker = LengthReranker()
    steps: list[tuple[str, int]] = []
    done: dict[str, int] = {}

    def progress(description: str, total: int):  # type: ignore[no-untyped-def]
        steps.append((description, total))

        def advance() -> None:
            done[description] = done.get(description, 0) + 1

        return advance

    run = run_evaluation(
        "gold.jsonl", small_gold, corpus_docs, index, embedder, list(CONFIGS),
        reranker=reranker, answerer=fake_answerer, backend="摘录式", progress=progress,
    )
    assert [c.name for c in run.configs] == ["bm25", "dense", "hybrid", "rerank", "llamaindex"]
    assert run.skipped == {}
    assert all(len(c.results) == 6 for c in run.configs)  # the unanswerable ones have no evidence to find
    assert reranker.pairs == 6 * 30  # each question reranks the hybrid retriever's top 30
    assert len(run.answers) == 8
    assert ("检索 hybrid", 6) in steps and ("回答", 8) in steps
    assert done["检索 hybrid"] == 6 and done["回答"] == 8 and done["准备 llamaindex"] == 1
    assert run.configs[-1].note.endswith("SentenceSplitter 节点")

    data = json.loads(json.dumps(run.to_json(), ensure_ascii=False))  # what report.json holds
    assert data["gold"]["questions"] == 8 and data["gold"]["answerable"] == 6
    assert data["gold"]["kinds"] == {"fact": 2, "indicator": 2, "compare": 2, "unanswerable": 2}
    assert data["index"]["chunks"] == len(index)
    hybrid = next(c for c in data["configs"] if c["name"] == "hybrid")
    assert set(hybrid["by_kind"]) == {"fact", "indicator", "compare"}
    assert list(hybrid["recall_curve"]) == [str(k) for k in range(1, 11)]
    assert hybrid["recall_curve"]["5"] == pytest.approx(hybrid["summary"]["recall@5"])
    assert [q["qid"] for q in hybrid["questions"]] == [q.id for q in small_gold if q.kind != "unanswerable"]
    answers = data["answers"]
    assert answers["backend"] == "摘录式" and answers["summary"]["questions"] == 8
    assert {q["status"] for q in answers["questions"]} <= {
        "all_facts", "all_facts_unsupported", "missing_facts", "declined_answerable", "declined",
        "answered_unanswerable",
    }


def test_rerank_without_a_reranker_is_skipped_with_the_reason(fake_index_dir, corpus_docs, small_gold):
    embedder = KeywordEmbedder()
    index = Index.load(fake_index_dir, embedder.name)
    run = run_evaluation("g", small_gold, corpus_docs, index, embedder, ["bm25", "rerank"])
    assert [c.name for c in run.configs] == ["bm25"]
    assert run.skipped == {"rerank": NO_RERANKER}
    assert run.answers == [] and run.to_json()["answers"] == {}


def test_cli_refuses_rerank_by_name_without_a_reranker(tmp_path, capsys, monkeypatch):
    from rag.cli import main

    monkeypatch.delenv("PLANQA_RERANKER", raising=False)
    code = main(["eval", "--modes", "rerank", "--index", str(tmp_path / "none"), "--no-build"])
    assert code != 0
    assert "未配置重排序模型" in capsys.readouterr().err
    with pytest.raises(ConfigError):  # and the library says so too
        from rag.eval.run import build_retriever

        build_retriever("rerank", None, None, {})


@pytest.mark.parametrize(
    ("answerable", "abstained", "found", "supported", "status"),
    [
        (True, False, 2, True, "all_facts"),
        (True, False, 2, False, "all_facts_unsupported"),
        (True, False, 1, True, "missing_facts"),
        (True, True, 0, False, "declined_answerable"),
        (False, True, 0, False, "declined"),
        (False, False, 0, False, "answered_unanswerable"),
    ],
)
def test_answer_status(answerable, abstained, found, supported, status):
    r = AnswerResult("q", "fact", answerable, abstained, found, 2 if answerable else 0, supported, 0, 0.0)
    assert answer_status(r) == status


def test_empty_run_serialises():
    data = EvalRun("g", []).to_json()
    assert data["configs"] == [] and data["answers"] == {} and data["gold"]["questions"] == 0
