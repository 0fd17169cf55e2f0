"""The decimal clause numbering of a standard (GB/T 1.1): "1 范围", "5.1 确定评价范围", "附录A".

A standard numbers its clauses 1, 2, 3 …, their sub-clauses 5.1, 5.1.2 …, and its appendices
附录A, 附录B …, with the number written into the heading line (by hand, or by Word's
numbering, which the .docx reader writes in). Lines that start with a number are common in
any text ("3 个县区…", "2025 年…", a list's "1. …"), so :func:`find_clauses` reads the numbers
as headings only where a document uses the scheme throughout:

- a run of at least ``MIN_CLAUSES`` top-level clauses 1, 2, 3 … in order (a "1" starts a new
  run), then its appendices A, B, C … in order;
- at least one sub-clause, each under the top-level clause (or appendix) its number begins
  with, numbers increasing in the order they come (a level the text lost, as antiword loses
  Word's "5.1", is skipped over: "5.2.3" then nests under "5");
- a title line with no number right above the first paragraph numbered N.M.1 under N, where
  no N.M came, is N.M (antiword loses Word's second level, not the third typed in the text);
- a heading line is short, a title and not a sentence (no 。；！？, not ending in ：，);
- a run whose headings mostly follow one another with nothing between is a table of
  contents, not the outline.

The unnumbered 前言 and 引言 before clause 1 are headings too, of kind "preface".

An appendix heading may be the letter alone ("附录A", or "A." where antiword drops the word),
with its nature "（资料性附录）" and its name on the lines after: its title is "附录A 名称".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MIN_CLAUSES = 3  # top-level clauses in a run
MAX_CLAUSE_TITLE = 40  # characters in a heading line's title

_NUMBERED = re.compile(
    r"^(?P<num>(?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,4})(?!\d|[.．]\d)"
    r"(?P<dot>[.．](?=[ \u3000\t]))?[ \u3000\t\u2002\u2003]*(?P<title>.+)$"
)
_SPACED = re.compile(r"[.．]?[ \u3000\t\u2002\u2003]")
_APPENDIX = re.compile(r"^附\s*录\s*(?P<letter>[A-Z])(?![A-Za-z])[\s.．]*(?P<rest>.*)$")
_BARE_LETTER = re.compile(r"^(?P<letter>[A-Z])[.．]?$")
_NATURE = re.compile(r"^[（(](?:资料性|规范性)(?:附录)?[）)]\s*")
_NOT_TITLE = re.compile(r"[。；！？;!?]|[：:，,、]$")
_TITLE_START = re.compile(r"[\u4e00-\u9fffA-Z《“（(]")
_PREFACES = ("前言", "引言")
_LEAD_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){2,4})(?!\d|[.．]\d)")
# a paragraph that is no body between two headings: a table of contents' page number
_PAGE_REF = re.compile(r"^(?:[\dIVXivx]{1,6}|[-—\s\d]+)$")


@dataclass(frozen=True)
class Clause:
    """A clause heading: its number ("5", "1"), ("A",) for 附录A, and its title as shown."""

    number: tuple[str, ...]
    title: str  # "5.1 确定评价范围和内容", "附录A 安全要素关联矩阵"

    @property
    def depth(self) -> int:
        return len(self.number)

    @property
    def kind(self) -> str:
        """The outline kind: "annex" for an appendix, "preface" for 前言 / 引言, "clause" else."""
        if self.number[0] in _PREFACES:
            return "preface"
        return "annex" if self.depth == 1 and self.number[0].isalpha() else "clause"


def _is_title(text: str) -> bool:
    return 0 < len(text) <= MAX_CLAUSE_TITLE and not _NOT_TITLE.search(text)


def _numbered(text: str) -> Clause | None:
    """A numbered heading line ("5.1确定…", "1 范围", "1. 范围"), or None."""
    m = _NUMBERED.match(text)
    if m is None:
        return None
    number = tuple(m.group("num").split("."))
    title = m.group("title").strip()
    if number[0].isalpha() and len(number) == 1:
        return None  # "A 总则": only an appendix's sub-clauses start with a letter
    if m.group("dot") and len(number) > 1:
        return None
    if len(number) == 1 and not _SPACED.match(text, m.end("num")):
        return None  # a top-level number stands apart from its title: "1 范围", not "3个县区"
    if not _TITLE_START.match(title) or not _is_title(title):
        return None
    return Clause(number, f"{'.'.join(number)} {title}")


def _appendix(paragraphs: Sequence[str | None], i: int) -> Clause | None:
    """An appendix heading at ``paragraphs[i]`` ("附录A（资料性附录）名称", "附录A", "A." over
    "（资料性附录）"), its name from the lines after when the line has none."""
    text = paragraphs[i] or ""
    m = _APPENDIX.match(text)
    nxt = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
    if m is None:
        bare = _BARE_LETTER.match(text)
        if bare is None or nxt is None or not _NATURE.match(nxt):
            return None
        letter, rest = bare.group("letter"), ""
    else:
        letter, rest = m.group("letter"), m.group("rest").strip()
    name = _NATURE.sub("", rest).strip()
    if rest and not _is_title(rest):
        return None  # "附录B给出了…。": a sentence about the appendix
    if not rest and nxt is not None and _NATURE.fullmatch(nxt.strip()):
        after = paragraphs[i + 2] if i + 2 < len(paragraphs) else None
        name = after.strip() if after and _is_title(after.strip()) else ""
    return Clause((letter,), f"附录{letter} {name}".strip())


def _candidate(paragraphs: Sequence[str | None], i: int) -> Clause | None:
    text = paragraphs[i]
    if text is None:
        return None
    return _appendix(paragraphs, i) or _numbered(text.strip())


@dataclass
class _Run:
    """A run of clauses being read: its members and where numbering stands."""

    members: list[tuple[int, Clause]]
    top: str = "1"  # the open top-level clause or appendix
    last_sub: tuple[int, ...] = ()  # the last sub-clause under it, without the top number

    def takes(self, clause: Clause) -> bool:
        number = clause.number
        if clause.kind == "annex":
            expected = "A" if self.top.isdigit() else chr(ord(self.top) + 1)
            return number[0] == expected
        if clause.depth == 1:
            return self.top.isdigit() and int(number[0]) == int(self.top) + 1
        sub = tuple(int(n) for n in number[1:])
        return number[0] == self.top and sub > self.last_sub

    def add(self, i: int, clause: Clause) -> None:
        self.members.append((i, clause))
        if clause.depth == 1:
            self.top, self.last_sub = clause.number[0], ()
        else:
            self.last_sub = tuple(int(n) for n in clause.number[1:])

    def infer_parent(self, i: int, number: tuple[str, ...], paragraphs: Sequence[str | None]) -> None:
        """A paragraph numbered N.M.1 under N with no N.M before it: the title line just above,
        unnumbered, is N.M's heading whose number the text lost (antiword drops Word's second
        level: "确定评价范围和内容" above "5.1.1 一般而言…")."""
        if len(number) < 3 or number[0] != self.top or not self.top.isdigit() or number[2:] != ("1",) * (len(number) - 2):
            return
        sub = int(number[1])
        above = (paragraphs[i - 1] or "").strip() if i > 0 else ""
        if (self.last_sub[:1] >= (sub,)) or not self.members or self.members[-1][0] >= i - 1:
            return
        if _TITLE_START.match(above) and _is_title(above) and _candidate(paragraphs, i - 1) is None:
            self.add(i - 1, Clause((number[0], number[1]), f"{number[0]}.{number[1]} {above}"))

    def is_outline(self, paragraphs: Sequence[str | None]) -> bool:
        """Enough top-level clauses, some sub-clauses, and body between the headings."""
        tops = sum(1 for _, c in self.members if c.depth == 1 and c.kind == "clause")
        if tops < MIN_CLAUSES or not any(c.depth > 1 for _, c in self.members):
            return False
        gaps = list(zip(self.members, self.members[1:], strict=False))
        filled = sum(
            any(paragraphs[j] is None or not _PAGE_REF.match(paragraphs[j] or "") for j in range(a + 1, b))
            for (a, _), (b, _) in gaps
        )
        return 2 * filled >= len(gaps)  # else a table of contents: heading after heading


def find_clauses(paragraphs: Sequence[str | None]) -> dict[int, Clause]:
    """{paragraph index: its clause heading} where the document is numbered as a standard.

    ``paragraphs`` are a cleaned text's paragraphs in order, None for a table. Empty when the
    document does not use the scheme (see the module doc).
    """
    # every "1" opens a run, and every open run takes what continues it: a stray "1 …" in the
    # body (or a table of contents before it) does not cut the outline short
    runs: list[_Run] = []
    for i in range(len(paragraphs)):
        lead = _LEAD_NUMBER.match(paragraphs[i] or "")
        if lead:
            for run in runs:
                run.infer_parent(i, tuple(lead.group(1).split(".")), paragraphs)
        clause = _candidate(paragraphs, i)
        if clause is None:
            continue
        for run in runs:
            if run.takes(clause):
                run.add(i, clause)
        if clause.number == ("1",):
            runs.append(_Run([]))
            runs[-1].add(i, clause)
    found: dict[int, Clause] = {}
    for run in sorted(runs, key=lambda r: -len(r.members)):
        if run.is_outline(paragraphs) and not any(i in found for i, _ in run.members):
            found.update(run.members)
    if found:
        found.update(_prefaces(paragraphs, min(found)))
    return dict(sorted(found.items()))


def _prefaces(paragraphs: Sequence[str | None], first: int) -> dict[int, Clause]:
    """A standard's unnumbered 前言 and 引言 before its first clause; a table of contents'
    entry for them (a page number after it) is none."""
    out = {}
    for i in range(first):
        word = re.sub(r"\s", "", paragraphs[i] or "")
        after = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
        if word in _PREFACES and not (after and _PAGE_REF.match(after.strip())):
            out[i] = Clause((word,), word)
    return out
