"""What a reader sees of an answer: HTML for the web chat, Markdown for chat clients (the API).

Pure functions over :mod:`rag.models` types, so they are tested without a
browser. Everything taken from a document or a user is escaped; the page's
HTML is one line (the chat renders Markdown, and a blank line inside an
HTML block would hand the rest back to the Markdown parser).

Each form has its inverse for follow-ups: :func:`conversation` reads the
page's history, :func:`plain_answer` an API client's, back into the plain
sentences :mod:`rag.qa.followup` leans on.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rag.models import OCR_NOTE, Answer, Citation
from rag.qa.extractive import matched_spans

PREVIEW_CHARS = 60


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _lines(text: str) -> str:
    """Escaped text with its line breaks kept as <br>."""
    return "<br>".join(esc(line) for line in text.split("\n"))


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with ``spans`` (sorted, not overlapping) in <mark>."""
    out, pos = [], 0
    for start, end in spans:
        out.append(_lines(text[pos:start]))
        out.append(f"<mark>{_lines(text[start:end])}</mark>")
        pos = end
    out.append(_lines(text[pos:]))
    return "".join(out)


def section_path_text(path: Sequence[str]) -> str:
    return " › ".join(path) if path else "（正文前）"


def render_source(citation: Citation, question: str, open_: bool = False) -> str:
    """One cited passage: label and section path (always shown), the text with the
    question's words marked (expandable)."""
    c = citation.chunk
    passage = highlight(c.text, matched_spans(question, c.text))
    return (
        f'<details class="pq-source"{" open" if open_ else ""}>'
        f'<summary><span class="pq-n">[{citation.n}]</span> '
        f'<span class="pq-label">{esc(citation.label)}</span>'
        + (f'<span class="pq-ocr">{esc(OCR_NOTE)}</span>' if c.ocr else "")
        + f'<span class="pq-path">{esc(section_path_text(c.section_path))}</span></summary>'
        f'<div class="pq-passage">{passage}</div>'
        f'<div class="pq-file">文件：{esc(c.doc)}</div>'
        "</details>"
    )


def render_notices(notices: Sequence[str]) -> str:
    return "".join(f'<div class="pq-notice">提示：{esc(n)}</div>' for n in notices)


def backend_line(backend: str) -> str:
    """How the answer was made, for the reader (the chat strips data-* attributes, so it is text)."""
    if backend == "extractive":
        return "回答方式：摘录式（句子摘自原文）"
    return f"回答方式：大模型 {backend}（每句已与所引段落核对）"


def render_answer(answer: Answer) -> str:
    """The answer's sentences with their [n] markers, its notices, then its sources."""
    claims = []
    for claim in answer.claims:
        marks = "".join(f'<sup class="pq-cite">[{n}]</sup>' for n in claim.cites)
        claims.append(f'<p class="pq-claim">{_lines(claim.text)}{marks}</p>')
    cls = "pq-answer pq-declined" if answer.abstained else "pq-answer"
    out = [f'<div class="{cls}">', *claims, render_notices(answer.notices)]
    if answer.citations:
        title = "最接近的段落（仅供参考）" if answer.abstained else f"引用出处（{len(answer.citations)} 段）"
        out.append(f'<div class="pq-sources"><div class="pq-sources-title">{title}</div>')
        for i, citation in enumerate(answer.citations):
            out.append(render_source(citation, answer.question, open_=(i == 0 and not answer.abstained)))
        out.append("</div>")
    out.append(f'<div class="pq-backend">{esc(backend_line(answer.backend))}</div></div>')
    return "".join(out)


def render_streaming(text: str, notices: Sequence[str] = ()) -> str:
    """An LLM reply as it arrives (not yet checked against the passages)."""
    return (
        '<div class="pq-answer pq-streaming">'
        f'<p class="pq-claim">{_lines(text)}</p>{render_notices(notices)}'
        '<div class="pq-status">正在生成，回答完成后将逐句核对引用……</div></div>'
    )


def render_pending(message: str = "正在检索文档……") -> str:
    return f'<div class="pq-answer pq-pending"><div class="pq-status">{esc(message)}</div></div>'


def render_error(message: str) -> str:
    return f'<div class="pq-error" role="alert">⚠ {esc(message)}</div>'


_CLAIM = re.compile(r'<p class="pq-claim">(.*?)</p>', re.S)
_TAG = re.compile(r"<[^>]+>")


def conversation(history: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The chat's messages as plain text for the answerer (:mod:`rag.qa.followup`): the user's
    questions, and of each answer its sentences, one per line, without [n] markers or sources."""
    out = []
    for message in history:
        role, content = message.get("role"), text_of(message.get("content"))
        if role not in ("user", "assistant"):
            continue
        if role == "assistant":
            lines = [html.unescape(_TAG.sub("", m.replace("<br>", "\n"))) for m in _CLAIM.findall(content)]
            content = "\n".join(re.sub(r"\[\d+\]", "", ln).strip() for ln in lines)
        if content:
            out.append({"role": str(role), "content": content})
    return out


def text_of(content: Any) -> str:
    """A chat message's content as text: Gradio and OpenAI clients hand it over as a string or as
    a list of parts ({"type": "text", "text": …}; other parts, images, are left out)."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or "")
    if isinstance(content, list):
        return "".join(text_of(part) for part in content)
    return ""


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A question shortened for the chat history (the full text stays in the input box)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}…（共 {len(text)} 字）"


# -- Markdown, for chat clients (Cherry Studio, Chatbox, Open WebUI …) -------------------

SOURCES_HEADING = "**来源**"
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>~])")  # "_" inside a word (file names) is no emphasis


def md_escape(text: str) -> str:
    """Document text as literal Markdown (no emphasis, links or HTML from a passage)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_answer(answer: Answer) -> str:
    """The answer as a chat client shows it: sentences with [n], notices, then a 来源 list with
    each passage's label, section path, file and full text (quoted)."""
    lines = [md_escape(c.text) + "".join(f"[{n}]" for n in c.cites) for c in answer.claims]
    out = ["  \n".join(lines)]
    if answer.notices:
        out.append("\n".join(f"> 提示：{md_escape(n)}" for n in answer.notices))
    if answer.citations:
        out.append("最接近的段落（仅供参考）：" if answer.abstained else SOURCES_HEADING)
        for c in answer.citations:
            ch = c.chunk
            ocr = f"（{OCR_NOTE}）" if ch.ocr else ""
            head = f"[{c.n}] {md_escape(c.label)}{ocr}  \n{md_escape(section_path_text(ch.section_path))} · 文件：{md_escape(ch.doc)}"
            quote = "\n".join("> " + md_escape(line) if line.strip() else ">" for line in ch.text.split("\n"))
            out.append(f"{head}\n\n{quote}")
    return "\n\n".join(out)


def markdown_pieces(whole: str) -> list[str]:
    """A :func:`markdown_answer` in the pieces a stream sends: a sentence, a notice, a source at a
    time (joined, they are exactly the whole)."""
    return re.findall(r".+?(?:\n\n|  \n|$)", whole, re.S) or [whole]


def plain_answer(content: str) -> str:
    """An earlier answer as a chat client hands it back: its sentences, without [n] markers,
    notices or the 来源 list (the inverse of :func:`markdown_answer`, for follow-ups)."""
    for stop in ("\n\n" + SOURCES_HEADING, "\n\n最接近的段落（仅供参考）："):
        content = content.split(stop, 1)[0]
    lines = [ln for ln in content.split("\n") if not ln.startswith("> 提示：")]
    text = "\n".join(re.sub(r"\[\d+\]", "", ln).rstrip() for ln in lines).strip()
    return re.sub(r"\\([\\`*\[\]<>~])", r"\1", text)


CSS = """
.pq-answer p.pq-claim { margin: 0 0 .35em 0; }
.pq-cite { color: #1d4ed8; font-weight: 600; margin-left: 1px; }
.pq-notice { color: #92400e; background: #fef3c7; border-radius: 4px; padding: 2px 8px; margin: 4px 0; font-size: .92em; }
.pq-error { color: #991b1b; background: #fee2e2; border: 1px solid #fca5a5; border-radius: 6px; padding: 6px 10px; }
.pq-status { color: #6b7280; font-size: .9em; }
.pq-sources { margin-top: .6em; border-top: 1px solid #e5e7eb; padding-top: .4em; }
.pq-sources-title { font-weight: 600; font-size: .92em; color: #374151; margin-bottom: .2em; }
.pq-source { margin: .25em 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: 4px 8px; background: #fafafa; }
.pq-source summary { cursor: pointer; }
.pq-n { color: #1d4ed8; font-weight: 600; }
.pq-label { font-weight: 600; }
.pq-ocr { margin-left: .6em; color: #b45309; font-size: .88em; }
.pq-path { display: block; color: #4b5563; font-size: .88em; margin-left: 1.6em; }
.pq-passage { margin: .4em 0 .2em 0; line-height: 1.7; }
.pq-passage mark { background: #fde68a; padding: 0 1px; }
.pq-file { color: #9ca3af; font-size: .8em; }
.pq-backend { color: #9ca3af; font-size: .8em; margin-top: .4em; }
.pq-banner { padding: 4px 0; }
"""
