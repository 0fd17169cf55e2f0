"""OCR of scans: images (.png / .jpg / .tif, multi-page TIFF too) and PDF pages without a
usable text layer, with rapidocr (PP-OCR ONNX models inside its wheel; nothing is downloaded).

The engine is loaded once per process, on first use. Each page's boxes are put back in
reading order: boxes are grouped into lines by vertical position, lines into paragraphs by
indent, short last lines and vertical gaps; a line whose boxes stand apart in three or more
columns is a table row (tab-separated cells, as :mod:`~rag.docs.readers.word` writes them).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.docs.readers import RawText
from rag.errors import UnreadableFileError

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

MAX_OCR_PAGES = 50  # a longer scan: its first MAX_OCR_PAGES pages are read, with a warning
PAGE_SECONDS = 60.0  # a page slower than this stops the OCR of the pages after it (warning)
RENDER_DPI = 200  # PDF pages are rendered at this resolution for OCR
MAX_SKEW = 1.5  # degrees: a page whose lines slope more is straightened and read again
MAX_SIDE = 2400  # images are scaled down to this longest side first (bounds a page's time)
# onnxruntime threads per model call: on the shared 2-core machine, with the other cores busy,
# a 200 dpi A4 page took 4.3 s with 1 thread and 5.0 s with 2 (with them idle 2 threads win:
# 1.3 s against 2.4 s on a smaller page); a server that OCRs alone may raise it
THREADS = 1
NO_TEXT = "OCR 未识别出文字（图片可能为空白或过于模糊）：{name}"


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@functools.lru_cache(maxsize=1)
def engine() -> Any:
    """The rapidocr engine, built once, from the models inside the installed wheel."""
    import rapidocr
    from rapidocr import RapidOCR

    models = Path(rapidocr.__file__).parent / "models"
    paths = {
        "Det.model_path": models / "PP-OCRv6_det_small.onnx",
        "Rec.model_path": models / "PP-OCRv6_rec_small.onnx",
        "Cls.model_path": models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    }
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:  # never let rapidocr fetch a model from the internet
        raise UnreadableFileError("OCR 模型缺失，请重新安装 rapidocr", f"missing models: {missing}")
    return RapidOCR(
        params={
            **{k: str(v) for k, v in paths.items()},
            "Global.log_level": "error",  # an empty page is our warning, not its log line
            "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )


def ocr_boxes(image: Image) -> list[Box]:
    """Text boxes of one page image (axis-aligned bounds of rapidocr's quadrilaterals). A page
    scanned askew (its lines slope by more than :data:`MAX_SKEW` degrees) is turned straight and
    read again: sloping boxes overlap the lines above and below and would scramble the reading order."""
    import numpy as np

    scale = min(1.0, MAX_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    pixels = np.asarray(image.convert("RGB"))
    if float(pixels.std()) < 2.0:  # a blank page (a scan's empty back side): nothing to read
        return []
    result = engine()(pixels)
    if result.boxes is None or result.txts is None:
        return []
    angle = skew(result.boxes)
    if abs(angle) > MAX_SKEW:
        from PIL import Image as PILImage

        log.info("ocr: page skewed %.1f degrees, straightened and read again", angle)
        straight = image.convert("RGB").rotate(
            angle, resample=PILImage.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255)
        )
        again = engine()(np.asarray(straight))
        if again.boxes is not None and again.txts is not None:
            result = again
    out = []
    for quad, text in zip(result.boxes, result.txts, strict=True):
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        if text.strip():
            out.append(Box(min(xs), min(ys), max(xs), max(ys), text.strip()))
    return out


def skew(quads: Any) -> float:
    """The median slope, in degrees, of the long text boxes of a page (positive: lines fall to the
    right, as PIL's ``rotate`` turns them back); 0 when fewer than three boxes are long enough to tell."""
    import math

    slopes = []
    for quad in quads:
        (x0, y0), (x1, y1) = (float(quad[0][0]), float(quad[0][1])), (float(quad[1][0]), float(quad[1][1]))
        height = math.dist((float(quad[0][0]), float(quad[0][1])), (float(quad[3][0]), float(quad[3][1])))
        if math.dist((x0, y0), (x1, y1)) >= 4 * max(height, 1.0):
            slopes.append(math.degrees(math.atan2(y1 - y0, x1 - x0)))
    return statistics.median(slopes) if len(slopes) >= 3 else 0.0


def _lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into lines (a box joins a line it overlaps by half its height), top down."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.cy):
        if lines:
            last = lines[-1]
            top = statistics.median(b.y0 for b in last)
            bottom = statistics.median(b.y1 for b in last)
            overlap = min(bottom, box.y1) - max(top, box.y0)
            if overlap >= 0.5 * min(box.height, bottom - top):
                last.append(box)
                continue
        lines.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _groups(line: list[Box], char: float) -> list[list[Box]]:
    """A line's boxes merged where they nearly touch; apart by two characters or more, cells."""
    groups: list[list[Box]] = [[line[0]]]
    for box in line[1:]:
        if box.x0 - groups[-1][-1].x1 >= 2 * char:
            groups.append([box])
        else:
            groups[-1].append(box)
    return groups


def _rows(lines: list[list[Box]], char: float) -> list[str]:
    """Table lines (three cells or more, one after another) as tab-separated cells, each box in
    the column it lines up with: the columns start where the cells of the fullest line do, so
    a cell close to its neighbour still gets its own column and a merged cell stays empty."""
    groups = [_groups(line, char) for line in lines]
    starts = [g[0].x0 for g in max(groups, key=len)]
    rows = []
    for line in lines:
        cells = [""] * len(starts)
        for box in line:
            col = max((i for i, x in enumerate(starts) if x <= box.x0 + char), default=0)
            cells[col] += box.text
        rows.append("\t".join(cells).rstrip("\t"))
    return rows


# OCR reads "第五章 大力…" as one box without the space the outline's headings keep
_HEADING = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+(?:[章节篇]|部分)|专栏\s*\d+)(?=[\u4e00-\u9fff“])")


def layout_text(boxes: list[Box]) -> str:
    """One page's text in reading order: a paragraph per line, a blank line between
    paragraphs, a table row as tab-separated cells."""
    if not boxes:
        return ""
    lines = _lines(boxes)
    char = statistics.median(b.height for b in boxes)  # about one character's width
    left = min(line[0].x0 for line in lines)
    right = max(line[-1].x1 for line in lines)
    pitches = [b[0].y0 - a[0].y0 for a, b in zip(lines, lines[1:], strict=False)]
    pitch = statistics.median(pitches) if pitches else 2 * char
    out: list[str] = []
    table: list[list[Box]] = []
    prev: list[Box] | None = None

    def aligned(line: list[Box]) -> bool:
        """Every box of the line starts where a column of the table above starts."""
        starts = [g[0].x0 for g in max((_groups(t, char) for t in table), key=len)]
        return len(line) >= 2 and all(any(abs(b.x0 - x) <= char for x in starts) for b in line)

    for line in lines:
        groups = _groups(line, char)
        if len(groups) >= 3 or (table and aligned(line)):
            table.append(line)
            continue
        if table:
            out.append("")
            out.extend(_rows(table, char))
            table, prev = [], None
        text = _HEADING.sub(r"\1 ", " ".join("".join(b.text for b in g) for g in groups))
        new_para = (
            prev is None
            or line[0].x0 - left >= 1.2 * char  # indented: a paragraph's first line
            or prev[-1].x1 < right - 2 * char  # the line above ended short
            or line[0].y0 - prev[0].y0 > 1.6 * pitch  # a vertical gap
        )
        if new_para:
            out.append("")
            out.append(text)
        else:
            out[-1] += text
        prev = line
    if table:
        out.append("")
        out.extend(_rows(table, char))
    return "\n".join(out).strip("\n")


def ocr_pages(
    images: Iterable[tuple[int, Image]], total: int, name: str
) -> tuple[dict[int, str], list[str]]:
    """OCR text per 1-based page and the warnings, with a progress bar on stderr.

    ``images`` yields (page number, image) lazily, so pages are rendered one at a time.
    """
    from tqdm import tqdm

    texts: dict[int, str] = {}
    warnings: list[str] = []
    bar = tqdm(total=total, desc=f"OCR {name}", unit="页", disable=None, leave=False)
    try:
        for page, image in images:
            started = time.monotonic()
            text = layout_text(ocr_boxes(image))
            seconds = time.monotonic() - started
            log.info("ocr %s page %d: %.1f s, %d chars", name, page, seconds, len(text))
            texts[page] = text
            bar.update(1)
            if not text.strip():
                warnings.append(f"第{page}页 OCR 未识别出文字")
            if seconds > PAGE_SECONDS and len(texts) < total:
                warnings.append(
                    f"第{page}页 OCR 用时 {seconds:.0f} 秒，超过每页 {PAGE_SECONDS:.0f} 秒的上限，其后各页未识别"
                )
                break
    finally:
        bar.close()
    return texts, warnings


def read_image(data: bytes, name: str) -> RawText:
    """An image file (a multi-page TIFF page after page), read by OCR."""
    from PIL import Image as PILImage
    from PIL import ImageSequence, UnidentifiedImageError

    try:
        image = PILImage.open(io.BytesIO(data))
        frames = sum(1 for _ in ImageSequence.Iterator(image))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UnreadableFileError(f"图片文件损坏或格式不受支持：{name}", repr(exc)) from exc
    warnings: list[str] = []
    if frames > MAX_OCR_PAGES:
        warnings.append(f"共 {frames} 页，超过 {MAX_OCR_PAGES} 页的上限，只识别了前 {MAX_OCR_PAGES} 页")
    count = min(frames, MAX_OCR_PAGES)

    def pages() -> Iterable[tuple[int, Image]]:
        for i, frame in enumerate(ImageSequence.Iterator(image)):
            if i >= count:
                return
            yield i + 1, frame.copy()

    try:
        texts, more = ocr_pages(pages(), count, name)
    except OSError as exc:  # a truncated image fails when decoded
        raise UnreadableFileError(f"图片文件损坏或格式不受支持：{name}", repr(exc)) from exc
    text = "\n\n".join(t for t in texts.values() if t.strip())
    if not text.strip():
        raise UnreadableFileError(NO_TEXT.format(name=name), f"ocr found no text in {name}")
    pages_read = sorted(texts)
    return RawText(text, ocr_pages=pages_read, warnings=warnings + more, ocr_parts=[text])
