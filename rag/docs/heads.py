"""What a file carries besides the plan itself: its wrapper, web-page debris, the 印发通知.

Files people bring are saved from web pages and exports, not from a manifest:

- **Wrappers.** A Markdown/YAML front matter (``---`` … ``---`` with 标题 / 文号 / 发布单位 /
  发布日期 / 层级 …) or a one-row CSV export whose long text column holds the document
  (``province,year,title,…,full_text``). :func:`unwrap` returns the document's text and the
  fields the wrapper declares, by :class:`~rag.models.DocMeta` name (``title``, ``doc_number``,
  ``issuer``, ``date``, ``level``, ``year``, ``province``).
- **Debris.** Page toolbars (下载 打印 全屏 收藏 【字号 大 中 小】), page meta lines (来源：…,
  时间：2026-02-01), a related-links footer (相关报道：), extraction and copyright notes
  (``> 本文正文由脚本…``, 版权所有), Markdown marks (``# `` headings, ``> `` quotes, links,
  rules, stray ``&siteId=…`` query fragments) and a saved page's layout tags (``<div>``,
  ``<br>``, ``<td>`` …; ``<p>`` is left to cleaning, which splits paragraphs on it).
  :func:`strip_debris` drops them and leaves every other line exactly as it was.
- **The 印发通知.** "关于印发《X》的通知 / 文号 / 主送： / 《X》已经…现印发给你们… / 特此通知。 /
  issuer / date" before the plan itself. :func:`find_notice` locates it in a cleaned text's
  paragraphs, with the plan's name X, the signing issuer and the date, so the outline keeps
  it as one section of its own and the plan's first chapter is the plan's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.docs.readers import CELL_BREAK

# ---------------------------------------------------------------------------
# Wrappers

# declared field -> the keys wrappers use for it, preferred first (成文日期 is the document's
# own date, 发布日期 the web page's)
_DECLARED_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "title", "名称", "文件名称", "题名"),
    "doc_number": ("文号", "发文字号", "doc_number", "文件编号"),
    "issuer": ("发布单位", "发文机关", "发文单位", "发布机构", "发布机关", "issuer"),
    "date": ("成文日期", "发布日期", "date", "publish_date", "发布时间", "日期"),
    "level": ("层级", "level"),
    "year": ("year", "年份", "年度"),
    "province": ("province", "省份"),
}
_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_KEY_VALUE = re.compile(r"^([^\s:：][^:：]{0,19}?)\s*[:：]\s*(.*)$")
_CSV_HEADER = re.compile(r"[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff ]{0,30}(?:,[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff ]{0,30})+")
MIN_DOCUMENT_CHARS = 200  # a CSV cell this long is a document, not a value


@dataclass(frozen=True)
class Unwrapped:
    text: str
    fields: dict[str, str] = field(default_factory=dict)  # declared metadata, by DocMeta name


def declared_fields(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Wrapper keys and values -> declared metadata by DocMeta name; unknown keys are dropped."""
    given = {k.strip().lower(): v.strip().strip("\"'") for k, v in pairs if v.strip().strip("\"'")}
    out = {}
    for name, keys in _DECLARED_KEYS.items():
        value = next((given[k] for k in keys if k in given), None)
        if value:
            out[name] = value
    return out


def _front_matter(text: str) -> Unwrapped | None:
    m = _FRONT_MATTER.match(text)
    if not m:
        return None
    pairs = []
    for line in m.group(1).split("\n"):
        if not line.strip():
            continue
        kv = _KEY_VALUE.match(line.strip())
        if not kv:
            return None  # not a key: value block (a Markdown rule around prose)
        pairs.append((kv.group(1), kv.group(2)))
    return Unwrapped(text[m.end() :], declared_fields(pairs)) if pairs else None


def _csv_export(text: str) -> Unwrapped | None:
    first = text.split("\n", 1)[0].strip()
    if not _CSV_HEADER.fullmatch(first):
        return None
    # the document is one field: let it be longer than the csv module's default limit
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error:
        return None
    if len(rows) != 2 or len(rows[0]) != len(rows[1]):
        return None  # a data table, or several documents: not one wrapped document
    header, row = rows
    longest = max(range(len(row)), key=lambda i: len(row[i]))
    if len(row[longest]) < MIN_DOCUMENT_CHARS:
        return None
    pairs = [(k, v) for i, (k, v) in enumerate(zip(header, row, strict=True)) if i != longest]
    return Unwrapped(row[longest], declared_fields(pairs))


def unwrap(text: str) -> Unwrapped:
    """The document inside a front matter or a one-row CSV export, with the declared fields.

    Text in no wrapper comes back unchanged, with no fields.
    """
    text = text.lstrip("\ufeff")
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    for reader in (_csv_export, _front_matter):
        found = reader(normalized)
        if found is not None:
            return found
    return Unwrapped(text)


# ---------------------------------------------------------------------------
# Debris

# Toolbar words: a line of these alone is a page control, not text. The weak ones (大, 加大 …)
# are debris only next to another toolbar line (a one-cell table may hold a lone "大").
_TOOLBAR_STRONG = {
    "下载", "打印", "全屏", "收藏", "分享", "分享到", "关闭窗口", "打印本页", "关闭本页",
    "返回顶部", "返回列表", "字号", "字体", "扫一扫", "在手机上打开", "手机查看",
}
_TOOLBAR_WEAK = {"大", "中", "小", "加大", "减小", "还原", "默认", "放大", "缩小", "标准", "关闭", "返回"}
_TOOLBAR_SPLIT = re.compile(r"[\s【】\[\]［］|｜/／:：、,，]+")
_PAGE_META = re.compile(
    r"^(?:(?:来源|信息来源|文章来源)[：:]\s*[^。，；：:]{1,20}"
    r"|(?:时间|发布时间|更新时间|日期|发布日期)[：:]\s*\d{4}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?:作者|编辑|责任编辑|审核|校对)[：:]\s*[^。，；：:]{1,12}"
    r"|(?:浏览次数|点击数|点击量|阅读量|访问量|浏览量)[：:]\s*\d*)$"
)
_FOOTER = re.compile(r"^(?:相关报道|相关链接|相关阅读|相关新闻|相关文章|相关稿件|延伸阅读)\s*[：:]?$")
_COPYRIGHT = re.compile(r"版权所有|Copyright|©|ICP备|公网安备|网站标识码", re.I)
_QUOTE = re.compile(r"^\s*>[ \t]+(?=\D)")  # "> 本文…", not a value such as ">30" or "> 30"
_QUOTE_NOTE = re.compile(r"脚本|提取|仅供|为准|著作权|版权|转载|免责|声明|来源")
_MD_HEADING = re.compile(r"^(\s*)#{1,6}[ \t]+")
_MD_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:https?://|/)[^)\s]*\)")
_QUERY_FRAGMENT = re.compile(r"(?<![A-Za-z0-9/?=&.%_-])&[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9%_-]*")
# layout tags of a saved page (<p> is left to cleaning, which splits paragraphs on it; anything
# else, <script> included, is text and stays, to be escaped wherever it is shown)
_HTML_TAG = re.compile(
    r"</?(?:br|div|span|font|strong|b|em|i|u|a|img|section|article|li|ul|ol|h[1-6]|table|tbody"
    r"|thead|tr|td|th|sup|sub|center|blockquote|hr|dl|dd|dt)(?:\s[^<>]*)?/?>",
    re.I,
)
_HTML_BREAK = re.compile(r"<br\s*/?>|</(?:div|li|h[1-6]|tr|section|article|ul|ol|table|dd|dt)>", re.I)
_HTML_CELL = re.compile(r"</t[dh]>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_PIPE_ROW = re.compile(r"^[ \t\u3000]*\|[^\n]*\|[ \t\u3000]*$", re.M)
_HTML_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def _toolbar(line: str) -> int:
    """0: not a toolbar line; 1: weak words (or bare brackets) only; 2: a strong word in it."""
    words = [w for w in _TOOLBAR_SPLIT.split(line.strip()) if w]
    if not all(w in _TOOLBAR_STRONG or w in _TOOLBAR_WEAK for w in words):
        return 0
    if any(w in _TOOLBAR_STRONG for w in words) or len(words) >= 2:
        return 2
    return 1


def _html(text: str) -> str:
    if not _HTML_TAG.search(text):
        return text
    # a <br> inside a Markdown pipe row breaks a cell's line, not the row ("| 计量<br>单位 |")
    text = _PIPE_ROW.sub(lambda m: _BR.sub(CELL_BREAK, m.group()), text)
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_CELL.sub("\t", text)
    text = _HTML_TAG.sub("", text)
    for entity, char in _HTML_ENTITIES.items():
        text = text.replace(entity, char)
    return text


def _line(line: str) -> str | None:
    """One line without its Markdown marks; None when the whole line is debris."""
    if _QUOTE.match(line):
        if _QUOTE_NOTE.search(line):
            return None  # "> 本文正文由脚本…提取…为准", "> 依《著作权法》…"
        line = _QUOTE.sub("", line)
    stripped = line.strip(" \t\u3000\xa0")
    if _MD_RULE.match(stripped) or _PAGE_META.match(stripped):
        return None
    if len(stripped) <= 80 and _COPYRIGHT.search(stripped):
        return None
    line = _MD_HEADING.sub(r"\1", line)
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _QUERY_FRAGMENT.sub("", line)
    return line


def strip_debris(text: str) -> str:
    """The text without web-page and Markdown debris (see the module doc), lines otherwise kept."""
    lines = _html(text).split("\n")
    kept: list[str | None] = [_line(line) for line in lines]
    # toolbars: a strong line, or a weak one next to another toolbar line
    kinds = [_toolbar(line) if line and line.strip() else 0 for line in kept]
    for i, kind in enumerate(kinds):
        neighbour = any(0 <= j < len(kinds) and kinds[j] for j in (i - 1, i + 1))
        if kind == 2 or (kind == 1 and neighbour):
            kept[i] = None
    # a related-links footer in the second half: it and what follows are the page's, not the text's
    nonblank = [i for i, line in enumerate(kept) if line and line.strip()]
    for n, i in enumerate(nonblank):
        line = kept[i]
        if n >= len(nonblank) // 2 and line is not None and _FOOTER.match(line.strip(" \t\u3000\"")):
            kept[i:] = []
            break
    return "\n".join(line for line in kept if line is not None)


# ---------------------------------------------------------------------------
# The 印发通知

NOTICE_HEADING = "印发通知"
NOTICE_LIMIT = 40  # a notice starts within the first paragraphs
_NOTICE_TITLE = re.compile(r"^(.*?)关于印发(.+)的通知$")
_ADDRESSEE = re.compile(r"^[^。！？；]{2,150}[：:]$")
_ISSUES = re.compile(r"印发给你们|印发你们|予以印发|现予印发|现印发|特此通知|现将.{1,80}印发")
_QUOTED = re.compile(r"《([^《》]{2,80})》")
_PUBLIC = re.compile(r"^[（(]此件[^）)]{1,10}[）)]$")
DATE_LINE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?$")
_SIGNATURE = re.compile(r"^[^\s，。；：:、！？“”《》]{2,40}$")


@dataclass(frozen=True)
class Notice:
    """The 印发通知 at the head of a document: paragraphs ``start``–``end`` (end excluded)."""

    start: int
    end: int
    plan: str | None  # the plan's name: X of 关于印发《X》的通知, or of 现将《X》印发
    issuer: str | None  # the signature line above the date
    date: str | None  # the signature date, ISO (2026-07-30)


def iso_date(match: re.Match[str]) -> str:
    """``YYYY年M月D日`` groups (year, month, day or None) -> "YYYY-MM-DD" / "YYYY-MM"."""
    y, mo, d = match.group(1), int(match.group(2)), match.group(3)
    return f"{y}-{mo:02d}" + (f"-{int(d):02d}" if d else "")


def plan_name(notice_title: str) -> str:
    """关于印发《X》的通知 → X (the first, when it issues several); any other title unchanged."""
    m = _NOTICE_TITLE.match(notice_title.strip())
    if m is None:
        return notice_title.strip()
    quoted = _QUOTED.search(m.group(2))
    return quoted.group(1) if quoted else m.group(2)


def find_notice(paragraphs: Sequence[str]) -> Notice | None:
    """The 印发通知 among the first paragraphs of a cleaned text, or None.

    ``paragraphs`` are a cleaned text's paragraphs in order (a table as any string with a tab,
    which never matches). The notice starts at its title (…关于印发…的通知) or at its addressee
    line (…：) followed by the issuing sentence (现将《X》印发给你们 / 特此通知); it ends at the
    signature date (after the issuer's line), and a "（此件公开发布）" line goes with it.
    """
    head = [p if "\t" not in p else "\t" for p in paragraphs[:NOTICE_LIMIT]]
    start = next(
        (
            i
            for i, p in enumerate(head)
            if _NOTICE_TITLE.match(p) or (_ADDRESSEE.match(p) and i + 1 < len(head) and _ISSUES.search(head[i + 1]))
        ),
        None,
    )
    if start is None:
        return None
    issued = next((i for i in range(start, min(start + 12, len(head))) if _ISSUES.search(head[i])), None)
    if issued is None:
        return None
    for i in range(issued + 1, len(head)):
        date = DATE_LINE.match(head[i])
        if not date:
            continue
        signature = head[i - 1] if i - 1 > issued and _SIGNATURE.match(head[i - 1]) else None
        if signature is None and i - 1 != issued and not head[i - 1].startswith("特此通知"):
            continue  # a date line that closes no signature
        end = i + 1
        while end < len(head) and _PUBLIC.match(head[end]):
            end += 1
        quoted = _QUOTED.search(head[issued])
        if _NOTICE_TITLE.match(head[start]):
            plan: str | None = plan_name(head[start])
        else:
            plan = quoted.group(1) if quoted else None
        return Notice(start, end, plan, signature, iso_date(date))
    return None
