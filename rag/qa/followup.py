"""Follow-up questions made standalone before retrieval.

A conversation comes as OpenAI-style messages, oldest first (``{"role": "user" |
"assistant", "content": …}``). A new question that leans on it ("舒兰呢？", "那2025年呢？",
"第6项具体要做什么？", "单位是什么？", "护理型床位呢") is rewritten into one that stands
alone, from the previous question (itself made standalone first) and, for "第N项", the
item of the previous answer:

- a place or a year the new question names replaces the previous one's (省 ↔ 舒兰,
  2021年 → 2025年), or is added when it named none;
- a topic of its own replaces the previous topic, keeping the previous question's
  place, year and document, and its question ("…是多少") when the new one asks none;
- a question about a property (单位, 属性, 是约束性的吗) asks it of the previous topic;
- 第N项 / 第N个 becomes the N-th item of the previous answer (an item numbered N first:
  "06 …", "专栏6 …", "（六）…"; else the N-th line or 、-separated item).

A question with a subject of its own and no sign of ellipsis is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.qa.numbers import cn_to_int
from rag.qa.scope import place_mentions

Message = Mapping[str, str]

_PROVINCE = r"全省|省里|省级|省"
_PLACE_WORDS = re.compile(rf"{_PROVINCE}|全市|市里|全县|县里")
_YEAR = re.compile(r"(?<!\d)(?:20)?\d{2}\s*年(?!代)")
_LEAD = re.compile(
    r"^(?:那么|那|再问一下|再问|请问|还有|另外)?\s*(?:这个指标|该指标|这项指标|这一项|这个|这项|这|该|它的|它|其)?\s*"
)
_TRAIL = re.compile(r"(?:呢|呀|啊|吧)?\s*[？?。！!]*\s*$")
_ELLIPTICAL = re.compile(r"呢\s*[？?]?\s*$|^(?:那|这|该|它|其)|第\s*[一二三四五六七八九十\d]+\s*[项个条节章]")
# what a question asks, at its end: "的目标是多少？", "有哪些", "是约束性的吗"
_TAIL = re.compile(
    r"(?:的)?(?:目标值?|标准|要求|指标|比例|占比)?(?:是|要|要求|达到|提到|提高到|定的|定了|为|有)?"
    r"(?:多少|几[个项条张所家名人]?|哪些|哪几|什么|如何|怎么|怎样|吗|有没有)[^，,。；;]*$"
)
_ASKS = re.compile(r"多少|几[个项条张所家名人]?|哪些|哪几|什么|如何|怎么|怎样|吗|有没有|是否")
# words that ask about a property of the previous topic, not a topic of their own
_PROPERTY = re.compile(r"(?:单位|属性|约束性|预期性|还是|目标年份|哪一年|哪年|基期|现状值|目标值|具体|详细|内容|指标|要做|做|落实)+")
_ITEM_REF = re.compile(r"第\s*([一二三四五六七八九十\d]+)\s*([项个条])(专栏)?")
_NUMBERED = re.compile(r"^\s*(?:专栏\s*(\d+)|0?(\d{1,2})(?![\d年%])[.．、\s]|[（(]([一二三四五六七八九十]+)[）)]|([一二三四五六七八九十]+)、)")


@dataclass(frozen=True)
class Standalone:
    """The question to answer, and whether it was rewritten from the conversation."""

    question: str
    rewritten: bool = False


def user_turns(history: Sequence[Message]) -> list[str]:
    return [str(m.get("content", "")) for m in history if m.get("role") == "user" and m.get("content")]


def standalone(question: str, history: Sequence[Message] | None) -> Standalone:
    """``question`` made standalone against ``history`` (see the module docstring)."""
    history = list(history or [])
    if not history:
        return Standalone(question)
    previous = ""
    answer = ""
    for i, message in enumerate(history):
        if message.get("role") != "user":
            continue
        turn = str(message.get("content", "")).strip()
        if not turn:
            continue
        previous = _rewrite(turn, previous, answer) if previous else turn
        answer = next(
            (str(m.get("content", "")) for m in history[i + 1 :] if m.get("role") == "assistant"), ""
        )
    if not previous:
        return Standalone(question)
    out = _rewrite(question, previous, answer)
    return Standalone(out, out != question)


def elliptical(question: str) -> bool:
    """Whether a question leans on the one before it."""
    q = question.strip()
    if _ELLIPTICAL.search(q):
        return True
    bare = _TRAIL.sub("", _LEAD.sub("", q))
    topic = _topic(bare)
    return not topic or bool(_PROPERTY.fullmatch(topic))


def _rewrite(question: str, previous: str, answer: str) -> str:
    if not elliptical(question):
        return question
    q = question.strip()
    item = _item(q, answer)
    if item:
        rest = _ITEM_REF.sub("", q)
        rest = _TRAIL.sub("", _LEAD.sub("", rest)).strip("的 ")
        context = _context(previous)
        return f"{context}{item}{rest or '具体内容是什么'}"
    bare = _TRAIL.sub("", _LEAD.sub("", q)).strip()
    new_places = _places(bare)
    new_years = _YEAR.findall(bare)
    topic = _topic(bare)
    if topic and not _PROPERTY.fullmatch(topic):
        # a topic of its own: the previous question's place, year and document, the new topic
        context = _context(previous)
        context += "".join(y for y in _YEAR.findall(previous) if y not in context)  # its year too
        base = _substitute(context, new_places, new_years)
        body = _strip_places_years(bare)
        tail = "" if _ASKS.search(body) else _tail(previous)
        return f"{base}{body}{tail}"
    base = _substitute(previous, new_places, new_years)
    if topic:  # a property of the previous topic: "单位是什么", "是约束性的吗"
        body = _strip_places_years(bare)
        return f"{_strip_tail(base)}{'' if body.startswith('是') else '的'}{body}"
    return base


def _places(text: str) -> list[str]:
    found = [name for name, _pos in sorted(place_mentions(text), key=lambda p: p[1])]
    found += [m.group(0) for m in _PLACE_WORDS.finditer(text) if not any(m.group(0) in f for f in found)]
    return found


def _substitute(previous: str, places: Sequence[str], years: Sequence[str]) -> str:
    """``previous`` with its place and year replaced by ``places`` / ``years`` (added when it named none)."""
    out = previous
    if places:
        old = _places(previous)
        if old:
            out = out.replace(old[0], places[0], 1)
            for extra in old[1:]:
                out = out.replace(extra, "", 1)
        else:
            out = places[0] + out
    if years:
        old_years = _YEAR.findall(out)
        if old_years:
            out = out.replace(old_years[0], years[0], 1)
            for extra in old_years[1:]:
                out = out.replace(extra, "", 1)
        else:
            out = years[0] + out
    return out


def _strip_places_years(text: str) -> str:
    out = _YEAR.sub("", text)
    for place in _places(out):
        out = out.replace(place, "", 1)
    return out.strip("的 ，,")


def _topic(bare: str) -> str:
    """What is left of a question without its places, years and question words."""
    t = _strip_places_years(bare)
    t = _ASKS.sub("", t)
    t = re.sub(r"^(?:的|里|中|是|要|和|与|跟|在)+|(?:的|里|中|是|要|呢)+$", "", t)
    t = re.sub(r"规划|要点|工作要点|文件|方面|情况|里面|里|的|是|呢", "", t)
    return t.strip()


def _tail(previous: str) -> str:
    m = _TAIL.search(_TRAIL.sub("", previous))
    return m.group(0) if m else ""


def _strip_tail(previous: str) -> str:
    p = _TRAIL.sub("", previous)
    m = _TAIL.search(p)
    return p[: m.start()] if m else p


def _context(previous: str) -> str:
    """The part of the previous question that says where to look: its leading place, year and
    document words ("舒兰规划里", "2023年要点中"), up to its topic."""
    m = re.match(r"^(.*?(?:规划|要点|报告|方案|计划)(?:里|中|里面|上)?(?:的)?)", previous)
    if m and len(m.group(1)) <= 24:
        return m.group(1)
    places = _places(previous)
    years = _YEAR.findall(previous)
    return "".join(places[:1]) + "".join(years[:1])


def _item(question: str, answer: str) -> str:
    """The N-th item of the previous answer a "第N项" question points at, or ""."""
    m = _ITEM_REF.search(question)
    if not m or not answer:
        return ""
    n = int(m.group(1)) if m.group(1).isdigit() else cn_to_int(m.group(1))
    if not n:
        return ""
    text = re.sub(r"\[\d+\]", "", answer)
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for line in lines:  # an item numbered n
        num = _NUMBERED.match(line)
        if num:
            got = next(g for g in num.groups() if g)
            if (int(got) if got.isdigit() else cn_to_int(got)) == n:
                return _clean_item(line)
    items = [ln for ln in lines if not ln.endswith(("：", ":"))]
    if len(items) < 2:  # one line: its 、 / ； separated parts
        items = [p for p in re.split(r"[；;、]", " ".join(items)) if p.strip()]
    return _clean_item(items[n - 1]) if 0 < n <= len(items) else ""


def _clean_item(line: str) -> str:
    line = re.sub(r"^《[^》]*》[:：]", "", line.strip())
    line = _NUMBERED.sub("", line, count=1) if not line.startswith("专栏") else line
    return line.strip(" 。；;：:")


def rewritten_notice(question: str) -> str:
    """The line an answer to a rewritten question starts with."""
    return f"按“{question}”回答。"


def history_messages(raw: object) -> list[dict[str, str]]:
    """Messages from JSON-like input, keeping only well-formed user/assistant turns."""
    out: list[dict[str, str]] = []
    if not isinstance(raw, list):
        return out
    for m in raw:
        if isinstance(m, Mapping) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str):
            out.append({"role": str(m["role"]), "content": str(m["content"])})
    return out
