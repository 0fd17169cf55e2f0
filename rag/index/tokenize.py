"""Chinese tokens for BM25: jieba with a civil-affairs user dictionary.

The dictionary (``rag/data/userdict.txt``) keeps domain terms whole (低保,
特困人员, 护理型床位, 社工站, 专栏, 未保 …). Tokens are NFKC-normalised, so
full-width digits match half-width ones, and punctuation and a few function
words are dropped.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

USER_DICT = Path(__file__).parents[1] / "data" / "userdict.txt"
STOPWORDS = frozenset(
    "的 了 和 与 及 等 是 在 对 为 以 把 将 按 由 从 于 其 之 并 或 有 也 要 中 上 下 个 "
    "哪些 什么 多少 怎么 如何 是否 吗 呢 啊 请问 请 一下 关于 有关 方面".split()
)


def dictionary_version() -> str:
    """Changes when the user dictionary changes: part of the index manifest."""
    return "jieba+" + hashlib.sha256(USER_DICT.read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    with USER_DICT.open("rb") as f:  # jieba leaves a path it opens unclosed
        tk.load_userdict(f)
    return tk


def _keep(token: str) -> bool:
    if not token or token in STOPWORDS:
        return False
    return any(unicodedata.category(c)[0] in "LN" for c in token)


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens: words plus their shorter dictionary parts."""
    text = unicodedata.normalize("NFKC", text).lower()
    return [t for t in _tokenizer().lcut_for_search(text) if _keep(t.strip())]

