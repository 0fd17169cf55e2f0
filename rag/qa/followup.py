"""Follow-up questions made standalone before retrieval.

A conversation comes as OpenAI-style messages, oldest first (``{"role": "user" |
"assistant", "content": …}``). A new question that leans on it ("舒兰呢？", "那2025年呢？",
"第6项具体要做什么？", "单位是什么？", "护理型床位呢") is rewritten into one that stands
alone, from the previous question (itself made standalone first) and, for "第N项", the
item of the previous answer:

- a place or a year the new question names replaces the previous one's (省 ↔ 舒兰,
  2021年 → 2025年), or is added when it named none; the corpus's own jurisdictions are
  places too (``places``); the year asked about changes before the year that names a report,
  and 今年 / 去年 stay in the previous question's report;
- a plan period is a time kept in the plan that reviews it ("十三五期间", "十三五做了多少":
  what was done then, not a target) or a plan ("十五五的呢");
- "有变化吗" / "一样吗" with another year or place compares the two;
- the other of a pair (城市 → 农村, 公办 → 民办) asks the same topic of the other;
- a topic of its own replaces the previous topic, keeping the previous question's
  place, year and document, and its question ("…是多少") when the new one asks none;
- a question about a property (单位, 属性, 是约束性的吗, 现在, 2025年基准) asks it of the
  previous topic;
- 第N项 / 第N个 becomes the N-th item of the previous answer (an item numbered N first:
  "06 …", "专栏6 …", "（六）…"; else the N-th line or 、-separated item; an indicator row's
  name).

A question with a subject of its own and no sign of ellipsis is left as it is.

With an LLM backend the model rewrites a follow-up the rules find elliptical
(:func:`rewrite_messages`), and its rewrite is held to the same rules
(:func:`held_to_rules`): the places and years the new question names are in it, the place it
replaces is not, and it names no place, year or figure the conversation does not; otherwise the
rules' rewrite stands.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.docs.periods import PERIOD
from rag.docs.places import find_place, stem
from rag.qa.numbers import count_value
from rag.qa.scope import place_mentions

Message = Mapping[str, str]

_PROVINCE = r"全省|省里|省级|省"
_PLACE_WORDS = re.compile(rf"{_PROVINCE}|全市|市里|全县|县里")
_YEAR = re.compile(r"(?<!\d)(?:20)?\d{2}\s*年(?!代)|今年|去年|明年|上一?年(?!度)|本年度?")
# "2025年有变化吗", "舒兰一样吗": the previous question asked of both, compared
_CHANGE = re.compile(r"变化|变了|不同|区别|差别|一样吗|相同吗|有何变|调整")
# what was done, not what is set: "去年实际完成了多少"
_DONE_WORDS = re.compile(r"实际|完成了|做了|建了|建成了|实现了|达到了")
_DONE = re.compile(r"(?:做了|完成|建了|建成|实现了|达到了|取得|累计|是多少|有多少)")  # after a period: a time
# a plan period: a time ("十三五期间", "十五五末") or the plan of that period ("十五五的")
_PERIOD_WORD = re.compile(rf"[“\"]?{PERIOD}[”\"]?(?P<time>期间|时期|期末|末期|末|以来)?")
_LEAD = re.compile(r"^(?:那么|那|再问一下|再问|请问|还有|另外)\s*")
_TRAIL = re.compile(r"(?:呢|呀|啊|吧)?\s*[？?。！!]*\s*$")
_ELLIPTICAL = re.compile(r"呢\s*[？?]?\s*$|^(?:那|这|该|它|其)|第\s*[一二三四五六七八九十\d]+\s*[项个条节章]")
# words that point back at the previous topic: "这个是针对哪些人", "舒兰这个也是预期性的吗"
_REFER = re.compile(r"这个指标|该指标|这项指标|这一项|这个|这项|该项|这些|那个|它的|它|其")
_FILLER = re.compile(r"这块|这方面|方面|这一块")  # "那失智老人这块呢": a topic of its own all the same
# what a question asks, at its end: "的目标是多少？", "有哪些", "是约束性的吗"
_TAIL = re.compile(
    r"(?:的)?(?:目标值?|标准|要求|指标|比例|占比)?(?:是|要|要求|达到|提到|提高到|定的|定了|为|有)?"
    r"(?:多少|几[个项条张所家名人]?|哪些|哪几|什么|如何|怎么|怎样|吗|有没有|哪一?年|何时)[^，,。；;]*$"
)
_ASKS = re.compile(r"多少|几[个项条张所家名人处]?|哪些|哪几[个项条处]?|什么|如何|怎么|怎样|吗|有没有|是否|啥")
# what is left of a question that only asks again, of the previous topic: "那省里的目标呢", "25年提高到什么要求了"
_ASPECT = re.compile(
    r"(?:目标值?|要求|标准|规定|安排|打算|计划|情况|说法|提法|说|讲|定的|定了|定|提高到|提高|达到|到|新增|增加|"
    r"要|是|了|的|也|还|又|再|则|都|有|对|里|中|年|呢|做|完成|实现|建成|建了|建|实际|累计|共|一共|总共|期间|时期|末|"
    r"变化|变了|不同|区别|差别|一样|相同|调整|吗)+"
)
# words that stand for one another in a topic: "城市低保标准…" → "农村呢？" asks of 农村低保标准
_SIBLINGS = (
    ("城市", "城镇", "农村", "乡村", "城乡"),
    ("公办", "民办"),
    ("集中供养", "分散供养"),
    ("男性", "女性"),
    ("约束性", "预期性"),
    ("新建", "改建", "改扩建"),
)
# words that ask a property of the previous topic: "单位是什么", "是约束性的吗", "现在是多少"
_PROPERTY = re.compile(
    r"(?:单位|属性|约束性|预期性|还是|目标年份|年份|哪一年|哪年|基期|基数|基准值?|基年|现状值?|现在|目前|目标值|具体|详细|内容|指标|"
    r"针对|对象|人|谁|负责|牵头|时间|时候|时限|落实|要做|做|分|阶段|分阶段|量化|正文|"
    r"地方|地点|位置|在哪里?|哪里|哪儿|在|选址|建在|建设|建|打算|准备|资金|投资|投入|钱)+"
)
# what only asks again, or asks a property, once places, years and question words are gone
_ASK_AGAIN = re.compile(rf"(?:{_PROPERTY.pattern}|{_ASPECT.pattern})+")
# a property that is itself the question: 单位, 约束性还是预期性, 哪年
_PROPERTY_ASKS = re.compile(r"单位|属性|约束性|预期性|还是|哪一?年|年份|谁|对象|牵头|负责|时限|时间")
# a question about now (现在是多少): the previous question's deadline (十四五期末, 到2025年) goes
_NOW_WORDS = ("现在", "目前", "现状", "现有", "基期", "基数", "基准", "基年")
_NOW = re.compile("|".join(_NOW_WORDS))
_DEADLINE = re.compile(r"(?:到|至)?(?:[“\"]?十[一二三四五六七八九十]五[”\"]?(?:期末|末期|末|时期|期间)?|(?:20)?\d{2}\s*年(?:底|末)?)(?:前)?")
_SUFFIX_CHARS = "省市区县州旗"
_RELATIVE = re.compile(r"今年|去年|明年|上一?年|本年度?")
_NAMES_DOC = re.compile(r"\s*(?:的)?(?:全省|全市|全区|全县)?(?:民政)?(?:工作)?(?:要点|政府工作报告|工作报告|报告)")
_DOC_NAMED = re.compile(r"要点|规划|报告|方案|计划")
_NUM = r"[一二三四五六七八九十\d]+"
_ITEM_REF = re.compile(rf"第\s*({_NUM})\s*([项个条])(专栏)?")
_NUMBERED = re.compile(
    rf"^\s*(?:第\s*({_NUM})\s*[项条个]|专栏\s*(\d+)|0?(\d{{1,2}})(?![\d年%万亿]|\s*[个项条张户名人])[.．、\s]?|"
    rf"[（(]({_NUM})[）)]|([一二三四五六七八九十]+)、)"
)


@dataclass(frozen=True)
class Standalone:
    """The question to answer, and whether it was rewritten from the conversation.

    ``carried``: its topic is the previous question's, asked of another place, year or
    document ("舒兰呢？", "那2021年要点里怎么说的"), so the topic's words are the other
    document's and this one may word it differently.
    """

    question: str
    rewritten: bool = False
    carried: bool = False


def standalone(question: str, history: Sequence[Message] | None, places: Sequence[str] = ()) -> Standalone:
    """``question`` made standalone against ``history`` (see the module docstring). ``places``: the
    corpus's own jurisdictions (长宁区, 长宁), which are places though the gazetteer may lack them."""
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
        previous = _rewrite(turn, previous, answer, places)[0] if previous else turn
        answer = next(
            (str(m.get("content", "")) for m in history[i + 1 :] if m.get("role") == "assistant"), ""
        )
    if not previous:
        return Standalone(question)
    out, carried = _rewrite(question, previous, answer, places)
    return Standalone(out, out != question, carried and out != question)


def elliptical(question: str, places: Sequence[str] = ()) -> bool:
    """Whether a question leans on the one before it."""
    q = question.strip()
    if _ELLIPTICAL.search(q) or _REFER.search(q):
        return True
    return _asks_again(_bare(q), places)


def _asks_again(bare: str, known: Sequence[str]) -> bool:
    """Whether a bare question names no topic of its own: it only asks again, or asks a property."""
    rest = _rest(bare, known)
    if not rest:
        return True
    t = re.sub(r"规划|工作要点|要点|报告|文件", "", _strip_places_years(bare, known))
    return bool(_ASK_AGAIN.fullmatch(_ASKS.sub("", t)))


def _bare(question: str) -> str:
    """The question without its lead (那…), trail (…呢？) and words pointing back (这个)."""
    return _FILLER.sub("", _REFER.sub("", _TRAIL.sub("", _LEAD.sub("", question.strip())))).strip()


def _rest(bare: str, known: Sequence[str]) -> str:
    """What names a topic in a question: no places, years, question words or words that only ask again."""
    t = re.sub(r"规划|工作要点|要点|报告|文件", "", _strip_places_years(bare, known))
    t = _ASKS.sub("", t)
    return _ASPECT.sub("", t).strip()


def _rewrite(question: str, previous: str, answer: str, known: Sequence[str]) -> tuple[str, bool]:
    """``question`` made standalone, and whether its topic is carried to another place, year or document."""
    if not elliptical(question, known):
        return question, False
    q = question.strip()
    item = _item(q, answer)
    if item:
        rest = _bare(_ITEM_REF.sub("", q)).strip("的 ")
        return f"{_context(previous, known)}{item}{rest or '具体内容是什么'}", False
    bare = _bare(q)
    new_places = _places(bare, known)
    new_years = _YEAR.findall(bare)
    period = _PERIOD_WORD.search(bare)
    moved = bool(new_places or new_years or period or _DOC_NAMED.search(bare))
    if _CHANGE.search(bare) and (new_years or new_places):  # "2025年有变化吗": both, compared
        return _compared(previous, new_places, new_years, known), True
    base = _with_period(_substitute(previous, new_places, new_years, known), period, known)
    if _DONE_WORDS.search(bare):  # "去年实际完成了多少": what was done, not the previous question's target
        base = re.sub(r"目标(?:值)?|(?:要|计划)(?=[\u4e00-\u9fff])", "", base)
    body = _strip_places_years(bare, known)
    body = re.sub(r"^(?:规划|工作要点|要点|报告)(?:里|中)?(?:的)?", "", body).strip("的 ")
    if not _rest(bare, known):  # only asks again, of another place or year: the previous question there
        return base, moved
    if _REFER.search(q) or _asks_again(bare, known):  # a property of the previous topic
        if _NOW.search(body) and not new_years:  # "现在是多少": not the previous question's deadline
            base = _DEADLINE.sub("", base)
        ask = "" if _ASKS.search(body) or _PROPERTY_ASKS.search(body) else _generic_tail(previous)  # "2025年基准呢"
        return f"{_strip_tail(base)}{'' if body.startswith(('是', *_NOW_WORDS)) else '的'}{body}{ask}", moved
    if _DOC_NAMED.search(bare):  # a topic and a document of its own ("那2023年要点对社工站怎么要求的")
        return bare, False
    sibling = _sibling_swap(base, body)
    if sibling:  # "农村呢？" after "城市低保标准…": the same topic, of the other
        return sibling, moved
    # a topic of its own: the previous question's place, year and document, the new topic
    context = _context(previous, known)
    context += "".join(y for y in _YEAR.findall(previous) if y not in context)  # its year too
    tail = "" if _ASKS.search(body) else _generic_tail(previous)
    return f"{_substitute(context, new_places, new_years, known)}{body}{tail}", False


def _sibling_swap(previous: str, body: str) -> str:
    """``previous`` with the word ``body`` stands for swapped in (城市 → 农村), when ``body`` is
    only such a word and ``previous`` holds another of its set; else ""."""
    word = re.sub(r"(?:的|呢|方面|这边|那边)+$", "", body)
    for group in _SIBLINGS:
        if word in group:
            other = next((w for w in sorted(group, key=len, reverse=True) if w != word and w in previous), None)
            if other:
                return previous.replace(other, word, 1)
    return ""


def _generic_tail(previous: str) -> str:
    """What the previous question asked, without its unit or object ("要建多少个助老餐厅" → "是多少")."""
    tail = _tail(previous)
    if re.search(r"多少|几", tail):
        return "是多少"
    if re.search(r"哪些|哪几", tail):
        return "有哪些"
    asked = re.search(r"(?:有|定了?|提出了?)?什么(?:要求|目标|安排|规定|措施|任务|部署)", tail)
    if asked:  # "有什么要求" asks of any topic
        return asked.group(0)
    if "什么" in tail:
        return "是什么"
    if re.search(r"怎么|如何|怎样", tail):
        return "有什么要求"
    return ""


def _places(text: str, known: Sequence[str] = ()) -> list[str]:
    """The places ``text`` names, in order: the gazetteer's, the corpus's own (``known``), 省 / 全市 …"""
    found = sorted(place_mentions(text), key=lambda p: p[1])
    for name in sorted(known, key=len, reverse=True):
        pos = text.find(name)
        if pos >= 0 and not any(p <= pos < p + len(n) or pos <= p < pos + len(name) for n, p in found):
            found.append((name, pos))
    # a name with the suffix written after it is the name (上海市, not 上海 and a stray 市)
    names = [_with_suffix(text, n, p) for n, p in sorted(found, key=lambda p: p[1])]
    names += [m.group(0) for m in _PLACE_WORDS.finditer(text) if not any(m.group(0) in f for f in names)]
    return names


def _compared(previous: str, places: Sequence[str], years: Sequence[str], known: Sequence[str]) -> str:
    """The previous question asked of its place or year and the new one, as a comparison:
    "2021年要点里地名普查有什么安排" and "2025年有变化吗" → "2021年和2025年要点里地名普查有什么变化"."""
    out = _strip_tail(previous)
    old_years = _YEAR.findall(out)
    if years and old_years:
        out = out.replace(old_years[0], f"{old_years[0]}和{years[0]}", 1)
    elif years:
        out = years[0] + out
    old_places = _places(out, known)
    if places and old_places:
        out = out.replace(old_places[0], f"{old_places[0]}和{places[0]}", 1)
    elif places:
        out = places[0] + "和" + out
    return f"{out}{'有什么变化' if years else '有什么不同'}"


def _with_period(previous: str, period: re.Match[str] | None, known: Sequence[str]) -> str:
    """``previous`` asked of the period a follow-up names: a time ("十三五期间") goes after the
    previous question's document words, keeping its plan (the 十四五 plan reviews 十三五); a
    plan's period ("十五五的呢") replaces the previous question's, or follows its place."""
    if period is None:
        return previous
    said = period.group(0)
    done = _DONE.match(period.string, period.end())  # "十三五做了多少": what was done then
    if period.group("time") or done:  # a time: in the same document
        if done:  # what was done then, not what is set
            previous = re.sub(r"目标(?:值)?|(?:要|计划)(?=达到|完成|建)", "", previous)
        old_time = next((m for m in _PERIOD_WORD.finditer(previous) if m.group("time")), None)
        if old_time:  # "十四五期间…" → "十三五期间…"
            return previous[: old_time.start()] + said + previous[old_time.end() :]
        context = _context(previous, known)
        if context and previous.startswith(context) and said not in previous:
            return context + said + previous[len(context) :]
        return said + previous
    old = _PERIOD_WORD.search(previous)
    if old:
        return previous[: old.start()] + said + previous[old.end() :]
    places = _places(previous, known)
    if places and previous.startswith(places[0]):
        return places[0] + said + previous[len(places[0]) :]
    return said + previous


def _with_suffix(text: str, name: str, pos: int) -> str:
    after = text[pos + len(name) : pos + len(name) + 1]
    return name + after if after and after in _SUFFIX_CHARS and name[-1] not in _SUFFIX_CHARS else name


def _substitute(previous: str, places: Sequence[str], years: Sequence[str], known: Sequence[str] = ()) -> str:
    """``previous`` with its place and year replaced by ``places`` / ``years`` (added when it named none).
    A year asked about goes before a year that names a document ("2024年报告里2023年…": 2023年)."""
    out = _swap(previous, _places(previous, known), places)
    found = [m for m in _YEAR.finditer(out)]
    asked = [m.group(0) for m in found if not _NAMES_DOC.match(out, m.end())]
    named = [m.group(0) for m in found if _NAMES_DOC.match(out, m.end())]
    if asked and named and years:  # keep the document, change the year asked about
        return _swap(out, asked, years)
    if named and not asked and years and _RELATIVE.fullmatch(years[0]):
        # "去年实际是多少" of "2026年报告里…": the year before, in the same report
        end = max(m.end() for m in found if _NAMES_DOC.match(out, m.end()))
        doc = _NAMES_DOC.match(out, end)
        cut = doc.end() if doc else end
        cut += len(re.match(r"(?:里|中|里面)?[，,]?", out[cut:]).group(0))  # type: ignore[union-attr]
        return out[:cut] + years[0] + out[cut:]
    return _swap(out, [m.group(0) for m in found], years)


def _swap(text: str, old: Sequence[str], new: Sequence[str]) -> str:
    """``text`` with the first of ``old`` replaced by the first of ``new`` and the rest of ``old``
    dropped; ``new`` put in front when ``old`` is empty; unchanged when ``new`` is."""
    if not new:
        return text
    if not old:  # "市规划里…" of 长宁: 长宁规划里…, not 长宁市规划里…
        return new[0] + re.sub(r"^(?:[省市区县](?=规划|的|里|[\u4e00-\u9fff]{0,8}规划))", "", text)
    text = text.replace(old[0], new[0], 1)
    for extra in old[1:]:
        text = text.replace(extra, "", 1)
    return text


def _strip_places_years(text: str, known: Sequence[str] = ()) -> str:
    out = _PERIOD_WORD.sub("", _YEAR.sub("", text))
    for place in _places(out, known):
        out = out.replace(place, "", 1)
    return out.strip("的 ，,")


def _tail(previous: str) -> str:
    m = _TAIL.search(_TRAIL.sub("", previous))
    return m.group(0) if m else ""


def _strip_tail(previous: str) -> str:
    p = _TRAIL.sub("", previous)
    m = _TAIL.search(p)
    p = p[: m.start()] if m else p
    return re.sub(r"(?:要|要求|达到|提高到|到|是|的)+$", "", p)


def _context(previous: str, known: Sequence[str] = ()) -> str:
    """The part of the previous question that says where to look: its leading place, year and
    document words ("舒兰规划里", "2023年要点中"), up to its topic."""
    m = re.match(r"^(.*?(?:规划|要点|报告|方案|计划)(?:里|中|里面|上)?(?:的)?)", previous)
    if m and len(m.group(1)) <= 24:
        return m.group(1)
    places = _places(previous, known)
    years = _YEAR.findall(previous)
    return "".join(places[:1]) + "".join(years[:1])


def _item(question: str, answer: str) -> str:
    """The N-th item of the previous answer a "第N项" question points at, or ""."""
    m = _ITEM_REF.search(question)
    if not m or not answer:
        return ""
    n = count_value(m.group(1))
    if not n:
        return ""
    text = re.sub(r"\[\d+\]", "", answer)
    pieces = []
    for line in text.split("\n"):
        for piece in re.split(r"[；;]|、(?=第\s*\d|\d+[.．、])", line):
            piece = piece.strip()
            _, sep, after = piece.rpartition("：")
            if sep and _NUMBERED.match(after):  # "…包括5项：01 …": the item after the colon
                piece = after.strip()
            if piece:
                pieces.append(piece)
    for piece in pieces:  # an item numbered n
        num = _NUMBERED.match(piece)
        if num and count_value(next(g for g in num.groups() if g)) == n:
            return _clean_item(piece)
    items = [p for p in pieces if not p.endswith(("：", ":"))]
    if len(items) < 2:  # one sentence: its 、-separated parts
        items = [p for p in re.split(r"[、，,]", " ".join(items)) if p.strip()]
    return _clean_item(items[n - 1]) if 0 < n <= len(items) else ""


def _clean_item(line: str) -> str:
    line = re.sub(r"^《[^》]*》[:：]", "", line.strip())
    name, sep, value = line.partition("：")
    if sep and len(name) <= 30 and re.search(r"\d", value):  # an indicator row: its name
        line = name
    if not line.startswith("专栏"):
        line = _NUMBERED.sub("", line, count=1)
    line = re.sub(r"[（(][^（）()]*[）)]$", "", line.strip(" 。；;：:"))  # "（≥55%）" after an indicator
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


# -- the LLM's rewrite ---------------------------------------------------------

REWRITE_INSTRUCTIONS = (
    "你负责把对话中的追问改写成一个不看上文也能理解的完整问题，供检索规划文件使用。"
    "规则：追问里新提到的地区、年份、文件要保留，并替换上文中对应的内容；追问没有提到的主题、地区、年份、文件沿用上一个问题；"
    "不要回答问题，不要补充对话中没有的地区、年份或数字。只输出改写后的一个问题。"
)
MAX_REWRITE = 120  # characters: a rewrite longer than this is an answer, not a question
_TURN_CHARS = 300  # of each earlier turn put in the prompt


def rewrite_messages(question: str, history: Sequence[Message]) -> list[dict[str, str]]:
    """The prompt that asks a model to make ``question`` standalone (the last three exchanges)."""
    turns = [m for m in history if m.get("role") in ("user", "assistant")][-6:]
    lines = [("用户：" if m["role"] == "user" else "助手：") + str(m.get("content", ""))[:_TURN_CHARS] for m in turns]
    prompt = "对话：\n" + "\n".join(lines) + f"\n\n追问：{question}\n\n改写后的问题："
    return [{"role": "system", "content": REWRITE_INSTRUCTIONS}, {"role": "user", "content": prompt}]


def held_to_rules(
    question: str, history: Sequence[Message], reply: str, rules: Standalone, places: Sequence[str] = ()
) -> Standalone:
    """The model's rewrite when it keeps the rules, else the rules' own rewrite ``rules``.

    It must be one question of at most :data:`MAX_REWRITE` characters; hold each place and year
    the new question names, and no place the rules' rewrite replaced; and name no place, year or
    number the conversation does not.
    """
    line = next((ln.strip() for ln in reply.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:改写后的问题|改写|问题)[:：]\s*", "", line).strip(" “”\"'「」")
    if not line or len(line) > MAX_REWRITE or line == question.strip():
        return rules
    said = question + "\n" + "\n".join(str(m.get("content", "")) for m in history)
    new_places = _places(_bare(question), places)
    new_years = {_year_value(y) for y in _YEAR.findall(question)}
    if any(p not in line for p in new_places) or not new_years <= {_year_value(y) for y in _YEAR.findall(line)}:
        return rules  # dropped what the new question names
    if any((stem(p) or p) not in said for p in _places(line, places)):
        return rules  # a place nobody named
    if new_places and any((stem(p) or p) not in rules.question for p in _places(line, places)):
        return rules  # kept the place the new question replaces (舒兰呢？ of a question about 省)
    if not all(_suffix_fits(p) for p in _places(line, places)):
        return rules  # a place misnamed: 舒兰省 (舒兰 is a 县级市)
    said_numbers = set(re.findall(r"\d+(?:\.\d+)?", re.sub(r"(?<!\d)(\d{2})\s*年", r"20\1年", said)))
    line_numbers = set(re.findall(r"\d+(?:\.\d+)?", re.sub(r"(?<!\d)(\d{2})\s*年", r"20\1年", line)))
    if not line_numbers <= said_numbers | set(re.findall(r"\d+(?:\.\d+)?", said)):
        return rules  # a year or figure nobody said
    return dataclasses.replace(rules, question=line, rewritten=True)


_KIND_SUFFIXES = {"省": "省", "自治区": "区", "直辖市": "市", "地级市": "市", "县级市": "市", "自治州": "州",
                  "县": "县", "自治县": "县", "区": "区", "旗": "旗"}


def _suffix_fits(name: str) -> bool:
    """Whether a place written with a suffix has the suffix of its kind of division (舒兰市, not 舒兰省)."""
    place = find_place(name)
    if place is None or name[-1] not in _SUFFIX_CHARS or name == stem(name):
        return True
    return _KIND_SUFFIXES.get(place.kind, name[-1]) == name[-1]


def _year_value(text: str) -> int | str:
    """2021 of "21年" / "2021年"; a relative year (今年) as written."""
    digits = re.sub(r"\D", "", text)
    if not digits:
        return text
    return int(digits) if len(digits) == 4 else 2000 + int(digits)
