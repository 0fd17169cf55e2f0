"""Tables in plain text, read from their own structure.

A table that reached us as text has lost its grid: cells come one per line, or several to a line
separated by spaces (PDF text, where a space may also sit inside a cell: "5 左右"), long cells wrap
onto the next line, a group cell is written once per group (sometimes over lines, with a count
"（7项）"), the header is repeated after a page break, a parent row has sub-rows. This reader takes
the grid from evidence in the rows rather than from a list of known layouts:

- rows begin at serial numbers that run 1, 2, 3 … (standing alone at the start of a line, or glued
  to the name: "1. 地区生产总值年均增长");
- every row has the same rhythm of cell kinds (name, unit, values, attribute), so the pieces
  between two serial numbers are cut into cells by the cut that best fits the columns' kinds
  (:func:`segment`, a small dynamic programme over the pieces);
- what comes between a row's last cell and the next serial number opens the next row's group;
- a row with more pieces than columns whose pieces repeat the rhythm is a parent with sub-rows.

The header is then fitted to that grid: its pieces are joined ("2025年" / "完成值", "指" / "标")
or a spanning cell dropped until it has as many cells as the rows, and of all the fits the one
whose rows read best wins. The result goes through the same table model as every other table
(:func:`rag.docs.tables.make_table`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.docs.tables import _NONE, GROUP_COUNT, column_role, fit_header, is_attribute, unit_like

_SERIAL = re.compile(r"^(\d{1,3})[.．、]?$")
_GLUED_SERIAL = re.compile(r"^(\d{1,3})[.．、](?!\d)\s*(?=\S)")
_FOOTER = re.compile(r"^([-—–－]+\s*\d{1,3}\s*[-—–－]+|第\s*\d{1,3}\s*页(\s*共\s*\d+\s*页)?)$")
_NOTE = re.compile(r"^(注|备注|说明|资料来源|数据来源)\s*[0-9０-９]*\s*[：:]")
_HEADING = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+[章节篇部]|专栏\s*\d+|附\s*[件表录]|[一二三四五六七八九十]+、)")
# A group line spanning the table: "一、经济强（12 项）".
_GROUP_LINE = re.compile(r"^[一二三四五六七八九十]+[、.．]\s*\S{1,16}$")
_ENUMERATED = re.compile(r"^[（(][一二三四五六七八九十\d]+[)）]")
_COUNT = GROUP_COUNT
# A value: a number after a comparator or bracket ("≥78", "〔37〕", "＞99.9"), or after a few words that
# lead straight into it ("力争达到5%左右", "“十四五”年均增长4.0"), never words then a comparator.
_VALUE = re.compile(r"^([≥≤＞＜><约~～〔\[【［(（+\-−]*\s*\d|[“\"「]?[\u4e00-\u9fff”\"」]{1,10}\d)")
_YEAR_NOTE = re.compile(r"^[（(]\s*(19|20)\d\d\s*年[^（()）]{0,4}[)）]$")
_UNIT_PAREN = re.compile(r"[（(]([^（()）]{1,10})[)）]")
_MAX_HEADER_LINES = 16
_MAX_ROW_LINES = 24
_MAX_PIECES = 5  # pieces per column in one row, at most, and a long cell's lines besides
_MAX_WRAP = 20
_LAST_SLACK = 3
_TIE = 0.02
_MAX_GROUP_PIECES = 5  # lines of a group cell written before the first row ("生态" / "低碳" / "安全" / "(20项)")  # readings whose weights differ by less than this share are taken as equal  # pieces the last row may have beyond the longest row before it  # lines from one serial number to the next (the last row's included)
_WRAPPED = 15  # characters of a line that runs on into the next (a wrapped prose cell)
_STRAY = 0.5  # a unit, value or attribute piece joined into a name
_JOIN = 0.05  # what joining two pieces into one cell costs: of equal fits, the cut with more cells
_EMPTY_GROUP = 0.5  # a group cell left empty below the first row of its group
_OPEN_GROUP = 0.3  # what opening a new group costs a row's cut (a wrapped cell's tail is no group)
_MAX_CELL = 60  # characters in a label-like line of a header or a cell piece


@dataclass(frozen=True)
class Piece:
    """A piece of text between spaces or line breaks, and the line (item index) it comes from."""

    text: str
    item: int
    first: bool  # the first piece of its line
    glued: bool = False  # a serial number written onto the name after it ("1. 地区生产总值年均增长")


def _serial(piece: Piece) -> int | None:
    m = _SERIAL.match(piece.text)
    return int(m.group(1)) if m and piece.first else None


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _unit_text(text: str) -> bool:
    bare = _UNIT_PAREN.sub(lambda m: m.group(1), text)
    return text in _NONE or unit_like(bare.replace("（", "").replace("）", "")) or unit_like(text)


def _value_text(text: str) -> bool:
    return text in _NONE or bool(_VALUE.match(text))


# ---------------------------------------------------------------------------
# How well a text fits a column (1 fits; 0 or below does not)


@lru_cache(maxsize=1 << 16)
def _depth(text: str) -> int:
    """Brackets opened and not closed: "细颗粒物（PM" is 1."""
    return sum(text.count(c) for c in "（(［[【〔") - sum(text.count(c) for c in "）)］]】〕")


@lru_cache(maxsize=1 << 16)
def fit(text: str, role: str) -> float:
    if _depth(text):
        return -1.5  # a cell's brackets balance: "细颗粒物（PM" / "2.5）年均浓度" is one cell
    if role == "attribute":
        return 1.0 if is_attribute(text) else -9.0
    if is_attribute(text):
        return 0.8 if role == "other" else -9.0  # a 类型 column may hold the attribute
    if role == "unit":
        return 1.0 if _unit_text(text) and len(text) <= 12 else -2.0
    if role == "value":
        if _YEAR_NOTE.match(text):
            return -1.0  # "（2024年）" alone qualifies the value before it: it is no value
        if re.match(r"^[（(][^（()）]*[)）]\S", text):
            return 0.3  # a note in brackets follows its value: "21.5" / "（2024年）"
        if _value_text(text):
            tail = _UNIT_PAREN.search(text)
            return 0.2 if tail and _unit_text(tail.group(1)) else 1.0 - 0.01 * max(0, len(text) - 12)
        if not _has_cjk(text) or _UNIT_PAREN.search(text):
            return -1.0
        return 0.6 if len(text) <= 24 else 0.1
    if "。" in text and role in ("value", "unit"):
        return -2.0  # a sentence is no value
    if role == "name":
        if not _has_cjk(text):
            return -2.0
        score = 1.0
        inner = [m for m in _UNIT_PAREN.finditer(text) if _unit_text(m.group(1))]
        if inner and inner[-1].end() < len(text.rstrip("*＊∗※")):
            score -= 0.6  # a unit written into a name closes it
        if _value_text(text) and len(text) <= 8:
            score -= 1.5
        if re.search(r"[\u4e00-\u9fff）)]\d+(\.\d+)?[*＊∗]?$", text):
            score -= 0.7  # a number after the name's words is a value, not part of the name
        return score
    if role == "group":
        bare = _COUNT.sub("", text)
        plain = bare and _has_cjk(bare) and len(bare) <= 16 and not _value_text(bare) and "。" not in bare
        return 1.0 if plain else -1.0
    # other, note: anything
    return 0.8 if text else -1.0


def _join(pieces: Sequence[Piece]) -> str:
    """Pieces of one cell, joined: no space, except between two ASCII letters or digits."""
    out = ""
    for p in pieces:
        if out and out[-1].isascii() and out[-1].isalnum() and p.text[0].isascii() and p.text[0].isalpha():
            out += " "
        out += p.text
    return out


def _strays(pieces: Sequence[Piece]) -> int:
    """Pieces after a name's first that, standing alone, are a unit, a short value or an attribute:
    no continuation of the name. A unit in brackets ("(%)") closes a name, and a piece inside a
    bracket the name opened ("（PM" / "2.5）") continues it, and so does the line after a long one."""
    count, depth = 0, _depth(pieces[0].text) if pieces else 0
    for before, piece in zip(pieces, pieces[1:], strict=False):
        text = piece.text
        wrapped = before.item != piece.item and len(before.text) >= _WRAPPED  # a long line runs on
        if depth <= 0 and not wrapped and text[:1] not in "（(" and (
            is_attribute(text) or (_value_text(text) and len(text) <= 8 and text not in _NONE)
            or (unit_like(text) and len(text) <= 4)
        ):
            count += 1
        depth += _depth(text)
    return count


def _wrap_penalty(pieces: Sequence[Piece]) -> float:
    """A cell wrapped over lines fills every line but its last to the column's width: a short
    line followed, in the same cell, by a much longer one is no wrap but two cells."""
    penalty = 0.0
    for a, b in zip(pieces, pieces[1:], strict=False):
        if a.item != b.item and len(a.text) < 0.6 * len(b.text):
            penalty += 0.3
    return penalty


def segment(
    pieces: Sequence[Piece], roles: Sequence[str], trailing_group: bool, spanning: bool = False
) -> tuple[float, list[str], str]:
    """Cut ``pieces`` into one cell per role (each at least one piece), and, when
    ``trailing_group``, the pieces left after the last cell into the next row's group cell (a
    line spanning the table, "二、百姓富（7项）", when ``spanning``: the header has no group
    column). Returns (score, cells, group text); a score of -inf when no cut fits."""
    n, m = len(roles), len(pieces)
    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    spans: dict[tuple[int, int], tuple[str, float, int]] = {}  # (p, q) → text, wrap penalty, strays

    def span(p: int, q: int) -> tuple[str, float, int]:
        if (p, q) not in spans:
            part = pieces[p:q]
            spans[p, q] = (_join(part), _wrap_penalty(part), _strays(part))
        return spans[p, q]

    for j in range(1, n + 1):
        for q in range(0, m + 1):
            # a group cell may be left empty: written once for its group, in an earlier row
            if roles[j - 1] == "group" and best[j - 1][q] != neg and best[j - 1][q] + _EMPTY_GROUP > best[j][q]:
                best[j][q], back[j][q] = best[j - 1][q] + _EMPTY_GROUP, q
            for p in range(0, q):
                if best[j - 1][p] == neg:
                    continue
                text, wrap, strays = span(p, q)
                s = best[j - 1][p] + fit(text, roles[j - 1]) - wrap
                if roles[j - 1] == "name":
                    s -= _STRAY * strays
                s -= _JOIN * (q - p - 1)
                if s > best[j][q]:
                    best[j][q], back[j][q] = s, p
    ends = [m]
    if trailing_group:
        ends += list(range(1, m))
    choice: tuple[float, int, str] = (neg, m, "")
    for q in ends:
        if best[n][q] == neg:
            continue
        group = _join(pieces[q:]) if q < m else ""
        if group and spanning and not (_GROUP_LINE.match(group) or _COUNT.search(group)):
            continue  # a group line spanning the table says so: an enumerator or a count
        s = best[n][q] + (fit(group, "group") - _OPEN_GROUP if group else 0.0)
        if s > choice[0]:
            choice = (s, q, group)
    if choice[0] == neg:
        return neg, [], ""
    cells: list[str] = []
    q = choice[1]
    for j in range(n, 0, -1):
        p = back[j][q]
        cells.append(_join(pieces[p:q]) if p < q else "")
        q = p
    return choice[0], cells[::-1], choice[2]


def _sub_rows(pieces: Sequence[Piece], roles: Sequence[str]) -> tuple[float, list[list[str]]]:
    """A parent row with sub-rows: the parent's name, then the rhythm of the row's other cells
    two or more times; a cell the sub-rows share (the attribute, merged) written once, after the
    first sub-row or the last. Each sub-row is named "parent：child"."""
    if "name" not in roles or roles.index("name") != (1 if roles[0] == "group" else 0):
        return float("-inf"), []
    k = roles.index("name")  # a group cell before the parent's name (written once, or left empty)
    lead = list(roles[:k])
    shared = [i for i, r in enumerate(roles) if r == "attribute"]
    own = [r for i, r in enumerate(roles) if i >= k and i not in shared]  # name, unit, values …
    if len(own) < 2:
        return float("-inf"), []  # a rhythm of names alone is a wrapped cell, not sub-rows
    best: tuple[float, list[list[str]]] = (float("-inf"), [])
    for count in (2, 3, 4):
        if len(own) * count + 1 + len(shared) > len(pieces):
            break
        for after in range(1, count + 1) if shared else [count]:
            spec = lead + ["name"] + own * after + ["attribute"] * len(shared) + own * (count - after)
            score, cells, _ = segment(pieces, spec, False)
            if score == float("-inf"):
                continue
            group, cells = cells[:k], cells[k:]
            parent, rest = cells[0], cells[1:]
            attr = rest[len(own) * after : len(own) * after + len(shared)]
            rest = rest[: len(own) * after] + rest[len(own) * after + len(shared) :]
            rows = []
            for c in range(count):
                sub = rest[c * len(own) : (c + 1) * len(own)]
                sub[0] = f"{parent}：{sub[0]}"
                row = group + list(sub)
                for i in shared:
                    row.insert(i, attr[shared.index(i)])
                rows.append(row)
            if score / len(spec) > best[0]:
                best = (score / len(spec), rows)
    return best


# ---------------------------------------------------------------------------
# The pieces of a table region, and its rows


def _pieces(items: Sequence[str | list[str]], start: int, stop: int, soft: Sequence[bool] = ()) -> list[Piece]:
    """The words of ``items[start:stop]``, page footers left out. Where the lines are separated by
    blank lines (a cell per paragraph), a one-word line that follows the line above without one
    continues that line's last cell: a wrapped name, a value and its note."""
    lines = range(start, stop)
    gapped = len(soft) >= stop and len(lines) >= 3 and sum(not soft[j] for j in lines[1:]) >= 0.6 * (len(lines) - 1)
    out: list[Piece] = []
    for j in range(start, stop):
        item = items[j]
        if not isinstance(item, str) or _FOOTER.match(item.strip()):
            continue
        text = item.strip()
        m = _GLUED_SERIAL.match(text)
        words: list[str] = []
        if m and not _SERIAL.match(text):
            words, text = [m.group(1)], text[m.end() :]
        words += [w for w in re.split(r"[ \u3000]+", text) if w]
        if (
            gapped and soft[j] and len(words) == 1 and out and out[-1].item == j - 1
            and not _SERIAL.match(words[0]) and not is_attribute(out[-1].text)  # an attribute never wraps
            and not (_HEADING.match(words[0]) or _ENUMERATED.match(words[0]) or _NOTE.match(words[0]))
        ):
            last = out.pop()
            out.append(Piece(_join([last, Piece(words[0], j, True)]), j, last.first, last.glued))
            continue
        out.extend(Piece(w, j, k == 0, k == 0 and bool(m) and len(words) > 1) for k, w in enumerate(words))
    return out


def _label_line(item: str | list[str]) -> bool:
    if not isinstance(item, str):
        return False
    text = item.strip()
    return 0 < len(text) <= _MAX_CELL and not text.endswith("。") and not _NOTE.match(text)


def _drop_repeated_header(pieces: list[Piece], header: list[str]) -> list[Piece]:
    """A header repeated after a page break is no row: the pieces that spell it again go (however
    its cells are split over lines this time), and a bare page number on its own line before them."""
    h = len(header)
    out: list[Piece] = []
    i = 0
    whole = "".join(header)
    while i < len(pieces):
        span = 0  # the pieces from i that spell the header, however its cells were split over lines
        if h and pieces[i].first and whole.startswith(pieces[i].text):
            text = ""
            for p in pieces[i:]:
                text += p.text
                span += 1
                if not whole.startswith(text) or len(text) >= len(whole):
                    break
            span = span if text == whole else 0
        if span:
            if out and out[-1].text.isdigit() and out[-1].first and (len(out) < 2 or out[-2].item != out[-1].item):
                out.pop()  # a bare page number before the repeated header
            i += span
            continue
        out.append(pieces[i])
        i += 1
    return out


@dataclass
class Reading:
    header: list[str]
    rows: list[list[str]]
    end: int  # the item after the table
    score: float  # how well the cells fit their columns, per cell (1 fits)
    weight: float  # the same summed over the cells: what a reading explains, to compare readings


_SPLIT_RULES: tuple[Callable[[str, str], bool], ...] = (
    # "指" / "标": one character and its neighbour
    lambda prev, lab: len(prev) == 1 and len(lab) <= 2 and _has_cjk(prev + lab),
    # "2025年" / "完成值", "2030" / "年目标": a year and a short stage after it
    lambda prev, lab: bool(re.fullmatch(r"[“\"]?(20\d\d|十[一二三四五六七八九]五)[”\"]?年?", prev))
    and len(lab) <= 3
    and not re.match(r"^[“\"]?(20\d\d|十)", lab),
    # "年均/" / "累计"
    lambda prev, lab: prev.endswith(("/", "／")),
    # "现状" / "（2025年）"
    lambda prev, lab: bool(re.fullmatch(r"[（(][^（()）]{1,12}[)）]", lab)),
)


def _header_fits(labels: list[str]) -> list[list[str]]:
    """Ways to make header cells of the header's pieces: as they are; pieces split in a cell
    joined (a one-character piece with its neighbour, a year with the stage after it, a piece
    ending in "/", a qualifier "（2025年）"); and each with one spanning cell dropped (a value
    label over the two or more value labels at the end)."""
    fits = [labels]
    for rules in range(1, 1 << len(_SPLIT_RULES)):  # each combination of the ways a cell splits
        joined: list[str] = []
        for lab in labels:
            prev = joined[-1] if joined else ""
            if prev and any(rule(prev, lab) for k, rule in enumerate(_SPLIT_RULES) if rules >> k & 1):
                joined[-1] = prev + lab
            else:
                joined.append(lab)
        if joined not in fits:
            fits.append(joined)
    for base in list(fits):  # "年均/" on the first header line, "累计" on the second, after the others
        cut = next((k for k, lab in enumerate(base[:-1]) if lab.endswith(("/", "／"))), None)
        if cut is not None and cut + 1 < len(base) - 1:
            fits.append(base[:cut] + [base[cut] + base[-1]] + base[cut + 1 : -1])
    for width in range(3, len(labels)):  # qualifiers column by column, a spanning cell replaced
        fitted = fit_header(labels, width)
        if fitted is not None and fitted not in fits:
            fits.append(fitted)
    for base in list(fits):
        roles = [column_role(x) for x in base]
        for i, role in enumerate(roles):
            after = roles[i + 1 :]
            if (
                role == "value"
                and len(after) >= 2
                and "value" in after
                and not set(after) & {"number", "name", "unit", "attribute"}
                and "value" not in roles[:i]
            ):
                fits.append(base[:i] + base[i + 1 :])
    return fits


def _roles(header: list[str]) -> list[str]:
    roles: list[str] = [column_role(h) for h in header]
    named = next((i for i, r in enumerate(roles) if r == "name"), len(roles))
    roles = ["other" if r == "group" and i > named else r for i, r in enumerate(roles)]  # groups come first
    if "name" not in roles:
        others = [i for i, r in enumerate(roles) if r == "other"]
        if others:
            roles[others[0]] = "name"
    seen = False
    for i, r in enumerate(roles):  # a second name-like column is "other"
        if r == "name":
            roles[i] = "other" if seen else r
            seen = True
    return roles


def _header_like(header: list[str]) -> bool:
    """Three or more short labels, two of them saying what their column holds (序号, 指标, 单位,
    属性, a year), none of them a heading ("二、…", "（一）…") or a clause."""
    known = sum(column_role(h) in ("number", "name", "unit", "attribute", "value", "group") for h in header)
    return len(header) >= 3 and known >= 2 and all(
        0 < len(h) <= 16 and not h.isdigit() and not h.endswith(("/", "／")) and not _HEADING.match(h) and not _ENUMERATED.match(h) and not re.search(r"[。，；：:]", h)
        for h in header
    )


def _read_rows(
    pieces: list[Piece], header: list[str], first_group: str, roles: list[str] | None = None
) -> Reading | None:
    """Rows at serial numbers 1, 2, 3 …, each cut into the header's columns (or into sub-rows)."""
    if not _header_like(header):
        return None
    roles = roles or _roles(header)
    if "name" not in roles:
        return None
    name_at = roles.index("name")
    number_at = roles.index("number") if "number" in roles else None
    group_at = roles.index("group") if "group" in roles else None
    # a group cell printed before the row's serial number (or before its name, without one)
    group_first = group_at is not None and group_at < (number_at if number_at is not None else name_at)
    body_roles = [r for i, r in enumerate(roles) if i != number_at and not (group_first and i == group_at)]
    if len(body_roles) < 2 or (number_at is not None and number_at > (1 if group_first else 0)):
        return None  # a row's serial number opens its line: only a group cell may come before it
    # where a group cell written once may stand: before the serial, or as a line spanning the table
    spanning_groups = group_at is None
    trailing = group_first or spanning_groups
    min_pieces = sum(r != "group" for r in body_roles)  # a group cell may be left empty
    starts: list[int] = []
    k = 1
    for i, p in enumerate(pieces):
        at_start = p.first or (i > 0 and pieces[i - 1].first and pieces[i - 1].item == p.item and group_first)
        if _SERIAL.match(p.text) and int(_SERIAL.match(p.text).group(1)) == k and at_start and (  # type: ignore[union-attr]
            not starts or i - starts[-1] > min_pieces
        ):
            starts.append(i)
            k += 1
    if not starts or (number_at is None and not pieces[starts[0]].glued):
        return None  # serial numbers standing alone are a column of their own: the header has it
    if group_first and starts[0] > 0 and not first_group:  # the first group, on the first row's line
        first_group = _COUNT.sub("", _join(pieces[: starts[0]]))
    rows: list[list[str]] = []
    longest = 0
    group = first_group
    seen_group = bool(first_group)
    total = weighed = 0.0
    last_end = starts[-1]
    read = 0
    for r, s in enumerate(starts):
        last = r + 1 == len(starts)
        seg = pieces[s + 1 : starts[r + 1] if not last else len(pieces)]
        if last:  # no longer than the longest row before it
            if body_roles[-1] != "attribute":  # else the attribute closes it
                seg = seg[: max(longest, len(body_roles)) + _LAST_SLACK]
            seg = _last_row(seg, body_roles)
        longest = max(longest, len(seg))
        if len(seg) > _MAX_PIECES * len(body_roles) + _MAX_WRAP:
            if last and r >= 2:
                break
            return None  # no row is that long: these serial numbers are no table's
        score, cells, next_group = segment(seg, body_roles, trailing and not last, spanning_groups)
        if next_group:  # the row's own cells, not the next row's group, measure how well it reads
            score -= max(0.0, fit(next_group, "group") - _OPEN_GROUP)
        per = score / len(body_roles) if cells else float("-inf")
        sub_score, subs, sub_group = float("-inf"), [], ""
        if len(seg) > len(body_roles) + 1:  # a parent with sub-rows, the next row's group after them
            tails = range(0, min(_MAX_GROUP_PIECES, len(seg) - 1) + 1) if trailing and not last else [0]
            for tail in tails:
                group_text = _join(seg[len(seg) - tail :]) if tail else ""
                if group_text and (fit(group_text, "group") <= 0 or (
                    spanning_groups and not (_GROUP_LINE.match(group_text) or _COUNT.search(group_text))
                )):
                    continue
                got, rows_ = _sub_rows(seg[: len(seg) - tail], body_roles)
                if rows_ and got > sub_score:
                    sub_score, subs, sub_group = got, rows_, group_text
        if subs and sub_score > per + 0.05:
            made, per, next_group = subs, sub_score, sub_group
        elif cells:
            made = [cells]
        elif last and r >= 1:
            break  # no last row after all
        else:
            return None
        if any(len(cells) != len(body_roles) for cells in made):
            return None
        for cells in made:
            it = iter(cells)
            row = []
            for i in range(len(roles)):
                if i == number_at:
                    row.append(str(r + 1))
                elif group_first and i == group_at:
                    row.append(group)
                elif i == group_at:
                    row.append(_COUNT.sub("", next(it)))  # a group's count is no part of its name
                else:
                    row.append(next(it))
            if spanning_groups and seen_group:
                row.insert(0, group)
            rows.append(row)
        total += per
        weighed += per * len(body_roles)
        read += 1
        last_end = s + 1 + len(seg)
        if next_group:
            group = re.sub(r"^[一二三四五六七八九十]+[、.．]", "", _COUNT.sub("", next_group))
            seen_group = True
    if not read:
        return None
    if spanning_groups and seen_group:
        header = ["类别", *header]
        rows = [row if len(row) == len(header) else ["", *row] for row in rows]
    return Reading(header, rows, pieces[last_end - 1].item + 1, total / read, weighed)


def _last_row(seg: list[Piece], roles: list[str]) -> list[Piece]:
    """The last row's pieces: as many as give its cells the best fit, what follows it (a note, a
    heading, a paragraph) left out."""
    stop = len(seg)
    for i, p in enumerate(seg):
        sentence = p.first and len(p.text) >= 8 and bool(re.search(r"[。，；]", p.text))  # prose after the table
        if i >= len(roles) and (
            _NOTE.match(p.text) or _HEADING.match(p.text) or (p.first and len(p.text) > _MAX_CELL) or sentence
        ):
            stop = i
            break
    seg = seg[:stop]
    if roles[-1] == "attribute":
        closing = [i for i, p in enumerate(seg) if is_attribute(p.text)]
        return seg[: closing[-1] + 1] if closing else seg
    best: tuple[float, int] = (float("-inf"), len(seg))
    for end in range(len(roles), len(seg) + 1):
        score, _, _ = segment(seg[:end], roles, False)
        score += _JOIN * (end - len(roles))  # the pieces it takes are no cost here: it ends where the fit does
        if score > best[0] + 1e-9 or (abs(score - best[0]) <= 1e-9 and end > best[1]):
            best = (score, end)
    return seg[: best[1]]


def read_text_table(
    items: Sequence[str | list[str]], i: int, soft: Sequence[bool] = ()
) -> tuple[list[list[str]], int] | None:
    """A table written as text whose header starts at ``items[i]``, else None.

    The header is the lines before the first row (serial number 1) that make the rows read best;
    lines above it (a caption, "附表") stay text: the table is found when ``i`` reaches the
    header's first line. Returns (rows with the header first, the index of the item after)."""
    if not _label_line(items[i]):
        return None
    first = None  # the first row: a line starting with serial 1 within a few header lines
    for j in range(i + 1, min(len(items), i + 1 + _MAX_HEADER_LINES)):
        item = items[j]
        if not isinstance(item, str):
            return None
        text = item.strip()
        if _opens_row(text, 1):
            first = j
            break
        if not _label_line(item):
            return None
    if first is None:
        return _read_without_serials(items, i, soft)
    stop, k, since = first, 1, 0  # the region: while serial numbers run on
    while stop < len(items) and isinstance(items[stop], str) and since <= _MAX_ROW_LINES:
        if _opens_row(str(items[stop]).strip(), k + 1):
            k, since = k + 1, 0
        since += 1
        stop += 1

    head_items = list(range(i, first))
    group_line = ""
    if head_items and _GROUP_LINE.match(re.sub(r"\s+", "", str(items[head_items[-1]]))):
        group_line = re.sub(r"\s+", "", str(items[head_items.pop()]))
        group_line = re.sub(r"^[一二三四五六七八九十]+[、.．]", "", _COUNT.sub("", group_line))
    readings = [(top, r) for top in head_items if (r := _read_with_header(items, top, head_items[-1] + 1, first, stop, group_line, soft))]
    if not readings:
        return None
    most = max(r.weight for _, r in readings)
    # of readings about as good (a header label read two ways), the one with the most header lines
    top, reading = min(((t, r) for t, r in readings if r.weight >= most - _TIE * abs(most)), key=lambda tr: tr[0])
    if top != i or reading.score < 0.5:
        return None
    best = (top, reading)
    return [best[1].header, *best[1].rows], best[1].end


def _head_labels(items: Sequence[str | list[str]], top: int, bottom: int, soft: Sequence[bool]) -> list[str]:
    """The header's pieces. Where the header's lines are separated by blank lines, a line that
    follows the one above without one continues its cell ("“十五五”" / "目标", "计量" / "单位")."""
    lines = range(top, bottom)
    gapped = len(soft) >= bottom and len(lines) >= 3 and sum(not soft[j] for j in lines[1:]) >= 0.6 * (len(lines) - 1)
    head: list[str] = []
    for j in lines:
        texts = [p.text for p in _pieces(items, j, j + 1)]
        if gapped and j > top and soft[j] and head and len(texts) == 1:
            head[-1] += texts[0]
        else:
            head.extend(texts)
    return head


def _read_with_header(
    items: Sequence[str | list[str]],
    top: int,
    bottom: int,
    first: int,
    stop: int,
    group_line: str,
    soft: Sequence[bool] = (),
) -> Reading | None:
    """The best reading with the header lines ``items[top:bottom]``: of its pieces, the last few
    may be the first row's group cell; the others are fitted to header cells every way there is."""
    head = _head_labels(items, top, bottom, soft)
    if len(head) < 2:
        return None
    best: Reading | None = None
    region = _pieces(items, first, stop, soft)
    for lead in range(0, min(_MAX_GROUP_PIECES + 1, len(head) - 1)):
        labels = head[: len(head) - lead]
        first_group = _COUNT.sub("", "".join(head[len(head) - lead :])) if lead else group_line
        pieces = _drop_repeated_header(region, labels)
        for header in _header_fits(labels):
            if lead and "group" not in [column_role(h) for h in header]:
                continue
            reading = _read_rows(pieces, header, first_group)
            if reading is None:
                continue
            # a column the header does not name ("年均/累计") whose cells are values is a value column
            roles = _roles(header)
            offset = len(reading.header) - len(header)
            seen = [[row[j + offset] for row in reading.rows if j + offset < len(row)] for j in range(len(header))]
            valued = [
                "value" if r == "other" and cells and sum(map(_value_text, cells)) >= 0.6 * len(cells) else r
                for r, cells in zip(roles, seen, strict=True)
            ]
            if valued != roles:
                again = _read_rows(pieces, header, first_group, valued)
                reading = again if again is not None and again.weight >= reading.weight - 1e-9 else reading
            if best is None or reading.weight > best.weight:
                best = reading
    return best


def _opens_row(line: str, k: int) -> bool:
    """A line that opens row ``k``: its serial number first ("3", "3 名称 …", "3. 名称"), or
    after a group cell written on the row's line ("经济发展 3 名称 …")."""
    if re.match(rf"^{k}([.．、](?!\d)|\s|$)", line):
        return True
    words = line.split()
    return len(words) > 2 and words[1] == str(k) and not _value_text(words[0])


# ---------------------------------------------------------------------------
# A table without serial numbers: each row holds one attribute


def _has_attribute(item: str | list[str]) -> bool:
    return isinstance(item, str) and any(is_attribute(w) for w in item.split())


def _read_without_serials(
    items: Sequence[str | list[str]], i: int, soft: Sequence[bool] = ()
) -> tuple[list[list[str]], int] | None:
    """A table whose rows carry no serial number: where its rows begin is read from the attribute
    every row holds once (约束性 / 预期性), the header from the label lines before the first. Each
    row runs from the end of the one before, and where it begins between two attributes is the
    cut that makes both rows read best. None when the text has no such rhythm."""
    att = None  # the line of the first row's attribute
    for j in range(i + 1, min(len(items), i + 1 + _MAX_HEADER_LINES + _MAX_ROW_LINES)):
        if not isinstance(items[j], str):
            return None
        if _has_attribute(items[j]):
            att = j
            break
        if not _label_line(items[j]):
            return None
    if att is None:
        return None
    stop, since = att + 1, 0  # the region: while attributes come every few lines
    while stop < len(items) and isinstance(items[stop], str) and since < _MAX_ROW_LINES:
        since = 0 if _has_attribute(items[stop]) else since + 1
        stop += 1
    regions = {bottom: _pieces(items, bottom, stop, soft) for bottom in range(i + 1, att + 1)}
    best: tuple[float, int, Reading] | None = None
    for top in range(i, att):
        for bottom in range(top + 1, att + 1):
            head = _head_labels(items, top, bottom, soft)
            if not 3 <= len(head) <= 3 * _MAX_HEADER_LINES:
                continue
            pieces = _drop_repeated_header(regions[bottom], head)
            for header in _header_fits(head):
                reading = _attribute_rows(pieces, header)
                if reading is not None and (best is None or reading.weight > best[0] * (1 + _TIE)):
                    best = (reading.weight, top, reading)
    if best is None or best[1] != i or best[2].score < 0.5:
        return None
    reading = best[2]
    return [reading.header, *reading.rows], reading.end


def _attribute_rows(pieces: list[Piece], header: list[str]) -> Reading | None:
    """The rows of ``pieces`` under ``header`` when every row holds one attribute piece."""
    if not _header_like(header):
        return None
    roles = _roles(header)
    if "attribute" not in roles or "number" in roles or "name" not in roles:
        return None
    n, at = len(roles), roles.index("attribute")
    attrs = [k for k, p in enumerate(pieces) if is_attribute(p.text)]
    if len(attrs) < 2:
        return None
    need_before = sum(r != "group" for r in roles[:at])  # cells before the attribute, at least
    need_after = n - at - 1
    scored: dict[tuple[int, int], tuple[float, list[str]]] = {}

    def row(p: int, q: int) -> tuple[float, list[str]]:
        if (p, q) not in scored:
            score, cells, _ = segment(pieces[p:q], roles, False)
            scored[p, q] = (score, cells)
        return scored[p, q]

    # where row r may begin: after the attribute of row r - 1 and its cells, before its own
    starts = [[0] if attrs[0] >= need_before else []]
    for r in range(1, len(attrs)):
        low, high = attrs[r - 1] + 1 + need_after, attrs[r] - need_before
        starts.append(list(range(low, high + 1)))
    if any(not s for s in starts):
        return None
    # the last row ends where its cells fit best, what follows (a note, a paragraph) left out
    ends: dict[int, int] = {}
    for p in starts[-1]:
        seg = pieces[p : min(len(pieces), attrs[-1] + 1 + _MAX_PIECES * max(1, need_after))]
        ends[p] = p + len(_last_row(seg, roles))
    # layers[r]: each start of row r -> (the score of the rows before it, the start of row r - 1)
    layers: list[dict[int, tuple[float, int]]] = [{p: (0.0, -1) for p in starts[0]}]
    for r in range(1, len(attrs)):
        layer = {}
        for q in starts[r]:
            options = [(got + row(p, q)[0], p) for p, (got, _) in layers[-1].items() if row(p, q)[1]]
            if options:
                layer[q] = max(options, key=lambda o: o[0])
        if not layer:
            return None
        layers.append(layer)
    finals = [
        (got + row(p, ends[p])[0], p) for p, (got, _) in layers[-1].items() if ends[p] > attrs[-1] and row(p, ends[p])[1]
    ]
    if not finals:
        return None
    total, p = max(finals, key=lambda o: o[0])
    cuts = [p]
    for layer in reversed(layers[1:]):
        p = layer[p][1]
        cuts.append(p)
    bounds = [*reversed(cuts), ends[cuts[0]]]
    rows = [row(a, b)[1] for a, b in zip(bounds, bounds[1:], strict=False)]
    if any(len(cells) != n for cells in rows):
        return None
    if "group" in roles:  # a group cell written once, for its group; its count is no part of its name
        g = roles.index("group")
        for cells in rows:
            cells[g] = _COUNT.sub("", cells[g])
        for prev, cells in zip(rows, rows[1:], strict=False):
            cells[g] = cells[g] or prev[g]
    end = pieces[bounds[-1] - 1].item + 1
    return Reading(header, rows, end, total / (len(rows) * n), total)
