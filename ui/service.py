"""What the web chat holds for its whole life: the index, the model and the answerers.

Loaded once per process, before the page is served, and shared by every
user. A failure to load (no corpus, an index from another model …) does not
stop the server: the page opens and says what is wrong and how to fix it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.docs.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from rag.errors import BadQuestionError, PlanqaError, UnreadableFileError
from rag.models import Answer, DocMeta, Filters
from rag.qa.answer import Answerer, Event
from rag.qa.followup import Message
from rag.qa.llm import make_llm
from rag.settings import Backend, Settings

log = logging.getLogger("planqa.ui")

LEVELS = {"省级": ("province",), "市县级": ("city", "county")}
LEVEL_NAMES = {name: (name,) for names in LEVELS.values() for name in names}
UPLOAD_SUFFIXES = SUPPORTED_SUFFIXES  # every format ingestion reads
WARM_UP_QUESTION = "公办养老机构护理型床位占比要达到多少？"
SLICE = 8  # texts a background build embeds at most at a time between questions


class SerializedEmbedder:
    """An embedder used by one thread at a time, questions first.

    The default model runs in a C engine whose thread safety is not
    documented; a query takes about 20 ms, so queueing them costs little. A
    background index build embeds in slices (the model's batch, at most
    :data:`SLICE` texts: one for the default model) and lets
    every question that is waiting go before its next slice (a plain lock is
    not fair: the build would take it again at once), so a question waits for
    one slice at most.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._turn = threading.Condition()
        self._asking = 0  # questions waiting for the model or using it
        self.name: str = inner.name
        self.dim: int = inner.dim

    def embed_query(self, text: str) -> np.ndarray:
        with self._turn:
            self._asking += 1
        try:
            with self._lock:
                return np.asarray(self._inner.embed_query(text))
        finally:
            with self._turn:
                self._asking -= 1
                self._turn.notify_all()

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        parts = []
        step = min(SLICE, max(1, int(getattr(self._inner, "batch_size", SLICE))))  # the model's own batch, at most
        for start in range(0, max(len(texts), 1), step):
            with self._turn:
                self._turn.wait_for(lambda: self._asking == 0, timeout=1.0)  # questions first (a second at most)
            with self._lock:
                parts.append(np.asarray(self._inner.embed_documents(texts[start : start + step], progress=progress)))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]


def safe_upload_name(name: str) -> str:
    """The last path component of an uploaded file's name, without characters a
    file system or a shell would read specially ("../../x.txt" → "x.txt")."""
    base = re.split(r"[\\/]", name)[-1].strip().lstrip(".")
    base = re.sub(r"[\x00-\x1f<>:\"|?*]", "_", base)
    return base[:120] or "upload.txt"


@dataclass
class Service:
    settings: Settings
    corpus: Path
    index_path: Path
    index: Any = None  # rag.index.directory.Index once loaded
    embedder: Any = None
    answerers: dict[str, Answerer] = field(default_factory=dict)
    backend_errors: dict[str, str] = field(default_factory=dict)
    load_error: str = ""
    load_seconds: float = 0.0
    # the index version loaded (rag.index.directory.current_version; "" for an index without
    # versions); None: not tracked (a service put together by hand, as in tests)
    version: str | None = None
    _reload: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _manifest(self) -> Any:
        from rag.docs.ingest import read_manifest

        try:
            return read_manifest(self.corpus)
        except PlanqaError:
            return None

    def examples(self) -> list[str]:
        """The example questions of the corpus's manifest (``examples``); none without one."""
        manifest = self._manifest()
        return list(manifest.examples) if manifest else []

    def heading(self) -> str:
        """The page's heading: what the corpus is (the manifest's ``name``), else plain 规划文件."""
        manifest = self._manifest()
        name = manifest.name if manifest and manifest.name else "规划文件"
        return f"planqa · {name}问答与对照检查"

    @classmethod
    def load(cls, corpus: Path, index_path: Path, settings: Settings, embedder: Any = None) -> Service:
        """Load the model and the index (building or updating it when needed) and warm them up."""
        from rag.index.directory import current_version, index_exists, open_index
        from rag.index.embed import get_embedder
        from rag.qa.retrieve import make_retriever

        t0 = time.perf_counter()
        service = cls(settings, corpus, index_path)
        try:
            service.embedder = SerializedEmbedder(embedder or get_embedder())
            service.index = open_index(index_path, corpus, service.embedder, notify=lambda m: log.warning("%s", m))
        except PlanqaError as exc:
            log.error("cannot load the index: %s", exc.detail)
            service.load_error = exc.message
            if not index_exists(index_path) and "planqa index" not in exc.message:
                service.load_error = (
                    f"索引 {index_path} 不存在，也无法建立：{exc.message.rstrip('。')}。"
                    "请检查语料目录（PLANQA_CORPUS）后运行 `planqa index`。"
                )
            return service
        service.version = current_version(index_path) or ""
        retriever = make_retriever(service.index, service.embedder)
        for backend in settings.available_backends():
            try:
                llm = make_llm(settings.model_copy(update={"backend": backend}))
            except PlanqaError as exc:
                log.error("backend %s unavailable: %s", backend, exc.detail)
                service.backend_errors[backend] = exc.message
                continue
            service.answerers[backend] = Answerer(service.index, retriever, llm=llm)
        service.answerers["extractive"].answer(WARM_UP_QUESTION)  # jieba, idf tables, first query
        service.load_seconds = time.perf_counter() - t0
        return service

    def refresh(self) -> bool:
        """Move to the index version another build has made current, if there is one: the index
        and the answerers are loaded anew and swapped in together (a question already being
        answered finishes on the old ones). Called before every question; the check is one read
        of ``CURRENT``. True when it moved."""
        from rag.index.directory import Index, current_version
        from rag.qa.retrieve import make_retriever

        if self.version is None or not self.ready:
            return False
        version = current_version(self.index_path)
        if not version or version == self.version:
            return False
        with self._reload:
            if version == self.version:
                return False  # another thread moved while this one waited
            try:
                index = Index.load(self.index_path, self.embedder.name)
            except PlanqaError as exc:  # keep serving the version that is loaded
                log.error("cannot load index version %s: %s", version, exc.detail)
                return False
            retriever = make_retriever(index, self.embedder)
            answerers = {b: Answerer(index, retriever, llm=a.llm) for b, a in self.answerers.items()}
            self.index, self.answerers, self.version = index, answerers, index.files.name
            log.warning("switched to index version %s (%d chunks)", self.version, len(index))
            return True

    # -- what the page shows ----------------------------------------------

    @property
    def ready(self) -> bool:
        return self.index is not None and not self.load_error

    def documents(self) -> list[DocMeta]:
        return sorted(self.index.metas.values(), key=lambda m: m.file) if self.ready else []

    def years(self) -> list[int]:
        return sorted({m.year for m in self.documents() if m.year})

    def backend_label(self, backend: str) -> str:
        return self.settings.model_copy(update={"backend": backend}).describe()

    def status(self) -> str:
        """One line for the top of the page."""
        if not self.ready:
            return f"⚠ {self.load_error}"
        docs = self.documents()
        return f"已载入 {len(docs)} 篇文档、{len(self.index)} 个段落（索引 {self.index_path}）"

    def filters(self, docs: Sequence[str] = (), levels: Sequence[str] = (), years: Sequence[Any] = ()) -> Filters:
        """The page's filter widgets (or the API's fields) as :class:`rag.models.Filters`; nothing
        ticked, no filter. A level is a label (省级 / 市县级) or a level's own name (province, city,
        county)."""
        unknown = [lv for lv in levels if lv not in LEVELS and lv not in LEVEL_NAMES]
        if unknown:
            raise BadQuestionError(
                f"不认识的层级 {unknown[0]}：可用 省级、市县级（或 province、city、county）。", f"unknown level {unknown[0]!r}"
            )
        level_names = tuple(name for label in levels for name in LEVELS.get(label) or LEVEL_NAMES[label])
        return Filters(docs=tuple(docs), levels=level_names, years=tuple(int(y) for y in years))

    # -- answers -----------------------------------------------------------

    def stream(
        self, question: str, filters: Filters, backend: str = "extractive", history: Sequence[Message] = ()
    ) -> Iterator[Event]:
        self.refresh()
        if not self.ready:
            raise PlanqaError(self.load_error or "索引未载入。", "service not ready")
        answerer = self.answerers.get(backend)
        if answerer is None:
            reason = self.backend_errors.get(backend, "该回答方式未配置。")
            raise PlanqaError(f"无法使用所选回答方式：{reason}", f"backend {backend} not available")
        yield from answerer.stream(question, filters, history)

    def retrieve(
        self, question: str, filters: Filters, history: Sequence[Message] = (), k: int = 8
    ) -> tuple[str, list[Any]]:
        """(the standalone question, its passages): the answerer's retriever, as ``planqa retrieve``."""
        from rag.qa.retrieve import check_question

        self.refresh()
        if not self.ready:
            raise PlanqaError(self.load_error or "索引未载入。", "service not ready")
        alone = self.answerers["extractive"].standalone(check_question(question), history).question
        return alone, self.answerers["extractive"].retriever.search(alone, k, filters)

    def answer(
        self, question: str, filters: Filters, backend: str = "extractive", history: Sequence[Message] = ()
    ) -> Answer:
        final = None
        for event in self.stream(question, filters, backend, history):
            if event.kind == "final":
                final = event.answer
        if final is None:  # pragma: no cover - every stream ends with a final event
            raise PlanqaError("没有得到回答。", "stream ended without a final event")
        return final

    # -- plan check ----------------------------------------------------------

    @staticmethod
    def scratch_root() -> Path:
        """Where this process keeps report files (deleted when the server stops)."""
        return Path(tempfile.gettempdir()) / f"planqa-reports-{os.getpid()}"

    def scratch_dir(self, keep_seconds: float = 3600) -> Path:
        """A fresh directory for one report's files (the page offers them for download);
        directories older than ``keep_seconds`` are deleted, so drafts' text does not pile up."""
        root = self.scratch_root()
        root.mkdir(mode=0o700, exist_ok=True)
        for old in root.iterdir():
            if time.time() - old.stat().st_mtime > keep_seconds:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=root))

    def default_province(self) -> str:
        """The plan a draft is checked against when none is named: the corpus's provincial
        five-year plan (the newest, if there are several)."""
        plans = [m for m in self.documents() if m.level == "province" and m.kind == "five_year_plan"]
        return max(plans, key=lambda m: (m.year or 0, m.file)).file if plans else ""

    def corpus_path(self, file: str) -> Path:
        """A corpus document by file name (only names the index holds)."""
        if not self.ready or file not in self.index.metas:
            raise UnreadableFileError(f"语料库中没有这个文件：{file}", f"not in corpus: {file}")
        return self.corpus / file

    def read_document(self, path: Path, meta: DocMeta | None = None) -> Any:
        from rag.docs.ingest import ingest_file

        if path.suffix.lower() not in UPLOAD_SUFFIXES:
            raise UnreadableFileError(
                f"不支持的文件类型 {path.suffix or '（无扩展名）'}：请上传 {'、'.join(UPLOAD_SUFFIXES)} 文件。",
                f"unsupported upload {path.name}",
            )
        return ingest_file(path, meta)

    def check(self, county: Path | None, county_file: str, province_file: str) -> Any:
        """Check an uploaded draft (or a corpus document) against a corpus plan.

        An upload is copied into a private temporary directory under a safe
        name, read, and deleted with that directory.
        """
        from rag.check.compliance import check_plans

        if not self.ready:
            raise PlanqaError(self.load_error or "索引未载入。", "service not ready")
        if not province_file:
            raise PlanqaError("请选择上级（省级）规划。", "no province plan chosen")
        province = self.read_document(self.corpus_path(province_file), self.index.metas[province_file])
        if county is not None:
            with tempfile.TemporaryDirectory(prefix="planqa-upload-") as tmp:
                local = Path(tmp) / safe_upload_name(county.name)
                if local.suffix.lower() in UPLOAD_SUFFIXES and county.is_file() and county.stat().st_size <= MAX_FILE_BYTES:
                    shutil.copyfile(county, local)  # else read_document says what is wrong, from the name or size
                else:
                    local = county
                draft = self.read_document(local)
        elif county_file:
            draft = self.read_document(self.corpus_path(county_file), self.index.metas[county_file])
        else:
            raise PlanqaError("请上传县（市）规划草案，或从语料库中选择一篇规划。", "no county plan given")
        return check_plans(draft, province, self.embedder, llm=None)


# -- evaluation reports ----------------------------------------------------------


@dataclass
class Report:
    path: Path
    markdown: str
    images: list[Path]


def latest_report(reports_dir: Path) -> Report | None:
    """The newest ``evals/reports/<timestamp>/`` holding a report.md, with its PNG plots."""
    if not reports_dir.is_dir():
        return None
    runs = sorted((p for p in reports_dir.iterdir() if (p / "report.md").is_file()), key=lambda p: p.name)
    if not runs:
        return None
    run = runs[-1]
    return Report(run, (run / "report.md").read_text(encoding="utf-8"), sorted(run.glob("*.png")))


def backend_choices(service: Service) -> list[tuple[str, Backend]]:
    """(label, value) for the backend picker: what is configured and loaded."""
    return [(service.backend_label(b), b) for b in service.settings.available_backends() if b in service.answerers]
