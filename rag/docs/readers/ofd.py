"""OFD (GB/T 33190, the format of e-government documents): text in reading order, page by page.

ofdkit places each text run and reads lines top to bottom; the seal and signature
(``Signs/``) are not page text, so they do not break the body. The page number a 公文
prints at the foot of each page ("— 1 —") is dropped, so a sentence that runs over a page
break joins up in cleaning.
"""

from __future__ import annotations

import logging
import re

from rag.docs.readers import RawText
from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

_PAGE_NUMBER = re.compile(r"^[-—–－\s]*(第\s*)?\d{1,4}(\s*页)?[-—–－\s]*$|^第\s*\d+\s*页\s*共\s*\d+\s*页$")


def _unwrap(page: str) -> str:
    """Join a line that runs to the right margin into the next: a 公文 is set line by line."""
    from rag.docs.ingest import ends_sentence

    lines = page.split("\n")
    widest = max((_width(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        if prev and line.strip() and _width(prev) >= 0.8 * widest and not ends_sentence(prev):
            out[-1] = prev + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def _width(line: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in line.strip())


def read_ofd(data: bytes, name: str) -> RawText:
    """Text of an .ofd, pages in order, without page-number lines."""
    import ofdkit

    warnings: list[str] = []
    try:
        with ofdkit.open(data) as doc:
            pages = [page.text() for page in doc.pages]
            if doc.warnings:
                log.info("ofdkit on %s: %s", name, "; ".join(doc.warnings))
                warnings.append(f"OFD 文件有部分内容无法读取（{len(doc.warnings)} 处），请核对原件：{name}")
    except ofdkit.OFDLimitError as exc:
        raise UnreadableFileError(f"OFD 文件超出读取限制（内容过多或过大）：{name}", repr(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - a damaged zip or XML raises zlib, zipfile, XML errors …
        raise UnreadableFileError(f"OFD 文件损坏或不是 OFD 格式，无法读取：{name}", repr(exc)) from exc
    kept = []
    for text in pages:
        lines = [line for line in text.split("\n") if not _PAGE_NUMBER.match(line.strip()) or not line.strip()]
        kept.append(_unwrap("\n".join(lines).strip("\n")))
    text = "\n".join(kept)
    if not text.strip():
        raise UnreadableFileError(
            f"OFD 文件中没有文字（可能是扫描件），需要先做 OCR 文字识别：{name}", f"no text in ofd {name}"
        )
    return RawText(text, warnings=warnings)
