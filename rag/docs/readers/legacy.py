"""Word 97-2003 .doc and Kingsoft .wps (the same OLE Word binary): wps2md, then antiword.

wps2md (pure Python) reads the paragraphs with their table flags; it reads a file whose text
is one run of characters, not one Word saved in pieces (fast save), where it returns garbage.
Such a file, and any wps2md refuses, is read by Debian's ``antiword`` when it is installed.
Either way paragraphs come out one a line and table rows as tab-separated cells, as the
.docx reader writes them, so the table model builds the same tables.
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
    lines = []
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        stripped = line.strip()
        if len(stripped) > 2 and stripped.startswith("|") and stripped.endswith("|"):
            cells = [c.strip() for c in stripped[1:-1].split("|")]
            lines.append("\t".join(cells))
        else:
            lines.append(stripped)
    return "\n".join(lines)
