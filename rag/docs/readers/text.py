"""Plain text and Markdown, in whatever encoding Chinese files use."""

from __future__ import annotations

import logging

from rag.docs.readers import RawText
from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)


def read_text(data: bytes, name: str) -> RawText:
    return RawText(decode_bytes(data, name))


def decode_bytes(data: bytes, name: str = "") -> str:
    """Decode a text file in whatever encoding Chinese files use.

    Strict UTF-8 is tried first (it is unambiguous); otherwise
    charset-normalizer picks the encoding (GB18030/GBK, UTF-16, Big5 ...).
    """
    if not data.strip():
        raise UnreadableFileError(f"文件为空：{name}", f"empty file: {name}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise UnreadableFileError(
                f"无法识别文件编码，可能不是文本文件：{name}", f"no encoding detected for {name}"
            ) from None
        encoding = best.encoding
        if encoding.lower() in {"gb2312", "gbk", "cp936", "hz"}:
            encoding = "gb18030"  # the superset: never lose a rare character
        text = data.decode(encoding, errors="replace")
        log.info("decoded %s as %s", name, encoding)
    text = text.lstrip("\ufeff")
    bad = sum(1 for c in text if (ord(c) < 32 and c not in "\n\r\t\f") or c == "\ufffd")
    if bad > max(3, len(text) // 100):
        raise UnreadableFileError(
            f"文件内容无法作为文本读取（可能是二进制或损坏的文件）：{name}",
            f"{bad} control/replacement characters in {name}",
        )
    return text


