"""Text normalisation shared by questions and documents.

- Traditional characters become simplified ones (OpenCC's ``t2s`` table,
  phrase-aware: 乾隆 stays 乾隆, 乾淨 becomes 干净), so a question typed in
  繁体 (公辦養老機構護理型床位佔比) finds the same passages as one in 简体, and a
  draft written in 繁体 can be checked against a simplified plan. On the
  bundled corpus the conversion changes no character.
- Full-width Latin letters and digits (２０２５, ＡＢＣ) become ASCII; full-width
  punctuation is left alone (the answerer splits questions on ？ and ；).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_FULL_WIDTH_ALNUM = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
}
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` with traditional characters converted to simplified ones."""
    if text.isascii():
        return text
    converter = _converter()
    with _lock:  # the C++ converter's thread safety is not documented; a call takes microseconds
        return str(converter.convert(text))


def half_width_alnum(text: str) -> str:
    """Full-width digits and Latin letters as ASCII (２０２５ → 2025)."""
    return text.translate(_FULL_WIDTH_ALNUM)


def normalize_question(text: str) -> str:
    """What retrieval and answering see of a question: simplified, ASCII digits and letters."""
    return half_width_alnum(to_simplified(text))
