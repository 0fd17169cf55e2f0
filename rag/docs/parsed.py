"""What ingestion made of one file, for people and tools (``planqa parse``).

:func:`describe` turns a :class:`~rag.models.Document` into one JSON-ready mapping:
``meta`` (its ``provenance``: how each field read from the text was found; and ``inferred``:
which fields were read from the text, not a manifest),
``text`` (the cleaned text every span and citation refers to), ``outline`` (nested
``{"title", "kind", "children"}``), ``tables`` (``{"header", "rows", "caption",
"section_path", "notes"}``), ``ocr_pages`` and ``warnings``. :func:`render_parsed` prints
it in Chinese.
"""

from __future__ import annotations

from typing import Any

from rag.docs.outline import parse_outline
from rag.models import Document, Section

_META_LABELS = {
    "title": "标题",
    "issuer": "发文机关",
    "doc_number": "发文字号",
    "date": "日期",
    "jurisdiction": "地区",
    "level": "层级",
    "parent_jurisdiction": "上级地区",
    "kind": "类型",
    "period": "规划期",
    "implements_title": "依据的规划",
    "implements": "依据的规划文件",
}
PREVIEW = 200  # characters of the text shown to a person
_LEVELS = {"province": "省级", "city": "市级", "county": "县级"}
# what a field inferred from the body was read from, for the person checking it
_EVIDENCE = {
    "approval": "批准它的人民代表大会",
    "issuing_body": "正文中的发文机关",
    "mentions": "正文中提到最多的地名",
    "report": "报告所代表的地区",
    "preamble": "序言所说的规划期",
    "body_title": "正文中的全称",
    "prefixed": "标题前加上推断的地区",
    "file_name": "文件名",
}


def describe(doc: Document) -> dict[str, Any]:
    """The file as ingestion read it; see the module doc for the keys."""
    meta = doc.meta.model_dump()
    inferred_flag = bool(meta.pop("inferred"))
    inferred = [k for k, v in meta.items() if inferred_flag and v is not None and k not in ("file", "provenance")]
    return {
        "file": doc.file,
        "sha256": doc.sha256,
        "meta": meta,
        "inferred": inferred,
        "text": doc.text,
        "outline": [_section(s) for s in parse_outline(doc).children],
        "tables": [
            {
                "caption": t.caption,
                "section_path": list(t.section_path),
                "header": t.header,
                "rows": t.rows,
                "notes": t.notes,
            }
            for t in doc.tables
        ],
        "ocr_pages": doc.ocr_pages,
        "warnings": doc.warnings,
    }


def _section(section: Section) -> dict[str, Any]:
    return {
        "title": section.heading,
        "kind": section.kind,
        "children": [_section(c) for c in section.children],
    }


def _how(meta: dict[str, Any], key: str) -> str:
    """"（依据：正文中提到最多的地名，占 80%）" for a field inferred from the body; "" otherwise."""
    how = (meta.get("provenance") or {}).get(key)
    if not how or how["source"] != "inferred":
        return ""
    share = f"，占地名提及的 {how['share']:.0%}" if how.get("share") is not None else ""
    return f"（依据：{_EVIDENCE.get(how['evidence'], how['evidence'])}{share}）"


def render_parsed(parsed: dict[str, Any]) -> str:
    """The description in Chinese, for a person checking a file before it goes into the library."""
    lines = [f"文件：{parsed['file']}", "", "文件信息（标 * 的是从正文推断的）："]
    for key, label in _META_LABELS.items():
        value = parsed["meta"].get(key)
        if value is None:
            continue
        shown = _LEVELS.get(value, value) if key == "level" else value
        lines.append(f"  {label}：{shown}{' *' if key in parsed['inferred'] else ''}{_how(parsed['meta'], key)}")
    text = parsed["text"]
    lines += ["", f"正文：{len(text)} 字，开头："]
    lines += ["  " + line for line in text[:PREVIEW].split("\n")]
    if len(text) > PREVIEW:
        lines[-1] += " …"
    lines += ["", "目录结构："]
    outline: list[str] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            outline.append("  " * (depth + 1) + node["title"])
            walk(node["children"], depth + 1)

    walk(parsed["outline"], 0)
    lines += outline or ["  （没有识别出章节标题）"]
    lines += ["", f"表格：{len(parsed['tables'])} 个"]
    for n, table in enumerate(parsed["tables"], start=1):
        where = " / ".join(table["section_path"])
        title = table["caption"] or where or "（无标题）"
        lines.append(f"  表{n}：{title}（{len(table['rows'])} 行）")
        lines.append("    表头：" + " | ".join(table["header"]))
        lines += ["    " + " | ".join(row) for row in table["rows"]]
    pages = parsed["ocr_pages"]
    lines += ["", "OCR 识别的页：" + ("、".join(str(p) for p in pages) if pages else "无")]
    lines += ["", "警告：" + ("" if parsed["warnings"] else "无")]
    lines += [f"  {w}" for w in parsed["warnings"]]
    return "\n".join(lines)
