"""Word 97-2003 .doc and Kingsoft .wps (the same OLE Word binary): wps2md, then antiword.

wps2md (pure Python) reads the paragraphs with their table flags; it reads a file whose text
is one run of characters, not one Word saved in pieces (fast save), where it returns garbage.
Such a file, and any wps2md refuses, is read by Debian's ``antiword`` when it is installed.
Either way paragraphs come out one a line and table rows as tab-separated cells, as the
.docx reader writes them, so the table model builds the same tables; a table antiword
prints as one paragraph with its cell marks inline ("…|SF1 | |× |…") is split into its rows.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from rag.docs.readers import RawText
from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

ANTIWORD_TIMEOUT_S = 30
MIN_INLINE_MARKS = 6  # cell marks in a paragraph that may be table rows run together
# the share of characters that must be ones a Chinese document is written in, else the
# text is taken for garbage (a fast-saved file's text read as one run)
MIN_PLAIN_SHARE = 0.98
_PLAIN = re.compile(
    r"[\u0020-\u007e\u00a0-\u024f\u2000-\u206f\u2100-\u23ff\u2460-\u27bf\u2e80-\u2fdf"
    r"\u3000-\u303f\u3100-\u31bf\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\n\t]"
)
# field instructions Word keeps beside their results (\x13 code \x14 result \x15), which
# wps2md leaves in the text: FORMTEXT, HYPERLINK \l "_Toc…", PAGEREF _Toc… \h, TOC \o …
_FIELD_CODE = re.compile(
    r"\b(?:FORM(?:TEXT|DROPDOWN|CHECKBOX)|HYPERLINK(?:\s+\\[a-z])?(?:\s+\"[^\"]*\")?"
    r"|PAGEREF\s+\S+(?:\s+\\[a-z])*|TOC(?:\s+\\[a-z*](?:\s*\"[^\"]*\"|\s+[A-Z]+)?)*"
    r"|\\\*\s*MERGEFORMAT)\s?"
)


def read_legacy(data: bytes, name: str) -> RawText:
    """Text of a .doc / .wps: paragraphs one a line, table rows as tab-separated cells."""
    import wps2md

    try:
        doc = wps2md.parse(data)
    except wps2md.WpsParseError as exc:
        if "encrypted" in str(exc).lower():
            raise UnreadableFileError(
                f"文件已加密（设有打开密码），无法读取；请在 Office 或 WPS 中取消密码后再导入：{name}",
                repr(exc),
            ) from exc
        log.info("wps2md could not read %s: %s", name, exc)
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 - olefile and struct raise many kinds on damaged files
        log.info("wps2md failed on %s: %r", name, exc)
        reason = repr(exc)
    else:
        text = _render(doc.paragraphs) if doc.paragraphs else doc.main_text
        if _plausible(text) and _plausible(doc.main_text):
            return RawText(text)
        reason = "wps2md text is not plausible (a fast-saved file?)"
        log.info("%s: %s", name, reason)
    text = _antiword(data, name)
    if text is None:
        raise UnreadableFileError(
            f"无法读取 Word/WPS 文件（文件损坏，或是本程序读不了的旧格式；可在 Office 或 WPS 中另存为 .docx 后再导入）：{name}",
            f"wps2md: {reason}; antiword unavailable or failed",
        )
    return RawText(text)


def _plausible(text: str) -> bool:
    body = re.sub(r"\s", "", text)
    if not body:
        return False
    plain = sum(1 for _ in _PLAIN.finditer(text)) - (len(text) - len(body))
    return plain >= MIN_PLAIN_SHARE * len(body)


def _render(paragraphs: list) -> str:  # type: ignore[type-arg]
    """wps2md paragraphs -> lines; the cells of a table row joined by tabs."""
    lines: list[str] = []
    row: list[str] = []
    for p in paragraphs:
        text = _FIELD_CODE.sub("", p.text).strip()
        if p.in_table:
            if p.is_row_end:
                if row:
                    lines.append("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row))
                row = []
            else:
                row.extend(text.split("\t") if "\t" in text else [text])
            continue
        if row:
            lines.append("\t".join(row))
            row = []
        lines.append(text)
    if row:
        lines.append("\t".join(row))
    return "\n".join(lines)


def _antiword(data: bytes, name: str) -> str | None:
    """antiword's text (``-w 0``: a paragraph a line), tables as tab rows; None if it fails."""
    exe = shutil.which("antiword")
    if exe is None:
        log.warning("antiword is not installed: cannot fall back for %s", name)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.doc"
        path.write_bytes(data)
        try:
            done = subprocess.run(
                [exe, "-w", "0", "-m", "UTF-8.txt", str(path)],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT_S,
                check=False,
            )
        except (subprocess.TimeoutExpired, OSError) as exc:
            log.warning("antiword failed on %s: %r", name, exc)
            return None
    if done.returncode != 0 or not done.stdout.strip():
        log.info("antiword on %s: rc %s, %s", name, done.returncode, done.stderr[:200])
        return None
    return _antiword_text(done.stdout.decode("utf-8", errors="replace"))


def _antiword_text(out: str) -> str:
    """antiword's lines -> ours: a table row ("|cell |cell |") as tab-separated cells, and a
    paragraph of inline cell marks (:func:`inline_rows`) as the rows it holds."""
    lines: list[str | list[str]] = []  # a table row as its cells
    for line in out.splitlines():
        stripped = line.strip()
        if len(stripped) > 2 and stripped.startswith("|") and stripped.endswith("|"):
            lines.append([c.strip() for c in stripped[1:-1].split("|")])
            continue
        inline = inline_rows(stripped)
        if inline is None:
            lines.append(stripped)
            continue
        _widen_rows_above(lines, max(len(r) for r in inline))
        lines.extend(inline)
    return "\n".join(x if isinstance(x, str) else "\t".join(x) for x in lines)


def inline_rows(text: str) -> list[list[str]] | None:
    """The rows of a paragraph where Word's cell marks stand inline, or None.

    A table whose rows Word did not mark as rows (this happens in a .doc saved in pieces)
    reaches antiword as one paragraph: each cell's text followed by its mark, which antiword
    prints as "|", and a row's end as one more mark after an empty text ("接受输入的安全要素
    |SF1 | |× |…|× | | |SF2 |…"). The rows are the shortest equal slices of the marks that
    each end on such an empty row end and hold at least two cells of text.
    """
    if text.count("|") < MIN_INLINE_MARKS or text.startswith("|"):
        return None
    pieces = [p.strip() for p in text.split("|")]
    if pieces[-1]:
        return None  # text after the last mark: a paragraph with bars in it
    pieces.pop()
    n = len(pieces)
    for width in range(3, n // 2 + 1):
        if n % width:
            continue
        rows = [pieces[k : k + width] for k in range(0, n, width)]
        if all(not r[-1] and sum(1 for c in r if c) >= 2 for r in rows):
            return [_trim(r[:-1]) for r in rows]
    return None


def _trim(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    return cells


def _widen_rows_above(lines: list[str | list[str]], width: int) -> None:
    """The table rows right above inline rows (blank lines between) that are narrower: the
    header over the value columns, its corner cell spanning the label columns, as antiword
    prints one cell for a merged one. Their first cells widen to the left to ``width``; a row
    whose only text is its last cell (a title over the columns) spans the labelled columns
    of the row below, as a .docx repeats a merged cell."""
    below: list[str] = []
    for k in range(len(lines) - 1, -1, -1):
        item = lines[k]
        if isinstance(item, str):
            if item:
                return
            continue
        cells = _trim(item)
        if len(cells) < width:
            span = 1
            if len(below) == width and cells and [c for c in cells if c] == cells[-1:]:
                while span < width - len(cells) + 1 and below[width - span - 1]:
                    span += 1
            cells = [""] * (width - len(cells) - span + 1) + cells[:-1] + cells[-1:] * span
            lines[k] = cells
        below = cells
