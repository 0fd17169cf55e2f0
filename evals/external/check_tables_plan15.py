"""Check the hand transcription evals/external/tables_plan15.json against the documents' own text.

Standard library only, and no planqa code: the transcription was written blind, and this check
reads the raw text the same way a person would (all whitespace and line breaks removed, full-width
digits and Latin letters read as ASCII), never through the reader.

For every table it asserts:
  * the object has the expected fields, split is dev or heldout, every row has len(header) cells;
  * cells hold no whitespace (except one space between two ASCII letters or digits) and no
    full-width digits or letters;
  * the caption occurs in the document, followed within a short distance by the printed header
    labels in order (the synthetic 类别 column of a table whose groups are printed as lines excepted);
  * serial numbers (序号) run 1, 2, 3 …; a repeated number only on the sub-rows of one parent
    (name "parent：child"); a table without a 序号 column must print its numbers glued to the names
    ("1. 地区生产总值年均增长"), in order, and the transcription keeps the name without the number;
  * group cells (类别) form contiguous runs, each group name occurs in the table's text, and a
    printed count ("(5项)", "（12 项）") equals the group's number of indicators;
  * names occur in the table's text in row order; every other cell occurs, in column order, between
    its row's name and the next row's name, or else is a merged cell shared with an adjacent sub-row
    of the same parent;
  * completeness: the table's text from the caption to the last transcribed cell holds nothing but
    transcribed pieces and debris (serial numbers, page footers, group counts and enumerators), and
    the text does not go on with the next serial number after the last row;
  * notes: the first starts with 注, they are numbered 1, 2, 3 …, and each occurs (whitespace
    removed) after the table's last row.

Run: python3 evals/external/check_tables_plan15.py   (exit status 1 and a list of problems if any)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "evals" / "external" / "tables_plan15.json"
DOCS = ROOT / "tests" / "data" / "plan15"

FULLWIDTH = {
    c: c - 0xFEE0
    for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(r[0], r[1] + 1)
}
WS = re.compile(r"\s+")
ALLOWED_SPACE = re.compile(r"(?<=[A-Za-z0-9]) (?=[A-Za-z0-9])")
SPLITS = {
    "beijing_general_plan15_2026.txt": "dev",
    "shanghai_general_plan15_2026.txt": "dev",
    "guangdong-guangzhou_general_plan15_2026.txt": "heldout",
    "jiangsu-suzhou_general_plan15_2026.txt": "heldout",
}
GROUP, SERIAL = "类别", "序号"
NOTE_NUMBER = re.compile(r"^(?:注[:：])?(\d+)[.．、]")
# what may remain of a table's text once every transcribed piece is taken out: serial numbers
# (glued "1." too), page footers, group counts and enumerators, a spanning header over sub-headers
DEBRIS = re.compile(r"(?:\d+[.．]?|—\d+—|[(（]\d+项[)）]|[一二三四五六七八九十]+、|“十五五”目标)+")


def flat(text: str) -> str:
    return WS.sub("", text.translate(FULLWIDTH))


def check_table(t: dict, problems: list[str]) -> None:
    where = f"{t.get('doc')} / {t.get('caption')}"

    def bad(msg: str) -> None:
        problems.append(f"{where}: {msg}")

    for key in ("doc", "split", "caption", "header", "rows", "notes"):
        if key not in t:
            bad(f"missing field {key}")
            return
    if SPLITS.get(t["doc"]) != t["split"]:
        bad(f"split {t['split']!r}, expected {SPLITS.get(t['doc'])!r}")
    path = DOCS / t["doc"]
    if not path.exists():
        bad("document not found")
        return
    text = flat(path.read_text(encoding="utf-8"))
    header, rows = t["header"], t["rows"]
    width = len(header)

    # shape and cell hygiene
    for i, row in enumerate(rows, 1):
        if len(row) != width:
            bad(f"row {i} has {len(row)} cells, header has {width}: {row}")
        for cell in row:
            if not isinstance(cell, str):
                bad(f"row {i}: non-string cell {cell!r}")
            elif WS.search(ALLOWED_SPACE.sub("", cell)):
                bad(f"row {i}: whitespace in cell {cell!r}")
            elif cell.translate(FULLWIDTH) != cell:
                bad(f"row {i}: full-width digit or letter in {cell!r}")
    if any(len(r) != width for r in rows):
        return

    gcol = header.index(GROUP) if GROUP in header else None
    scol = header.index(SERIAL) if SERIAL in header else None
    ncol = next(j for j in range(width) if j not in (gcol, scol))
    vcols = [j for j in range(width) if j not in (gcol, scol, ncol)]

    # caption, then the printed header labels in order
    cap = flat(t["caption"])
    labels = [flat(h) for h in header]
    anchor = -1
    for m in re.finditer(re.escape(cap), text):
        pos, ok = m.end(), True
        for j, lab in enumerate(labels):
            if j == gcol and text.find(lab, m.end(), m.end() + 60) < 0:
                continue  # synthetic 类别 column (groups printed as lines)
            k = text.find(lab, pos, m.end() + 120)
            if k < 0:
                ok = False
                break
            pos = k + len(lab)
        if ok:
            anchor = m.start()
            break
    if anchor < 0:
        bad("caption followed by the header labels not found in the text")
        return

    # serial numbers, or numbers glued to names
    def parent(name: str) -> str:
        return name.split("：", 1)[0] if "：" in name else name

    def child(name: str) -> str:
        return name.split("：", 1)[1] if "：" in name else name

    if scol is not None:
        prev = 0
        for i, row in enumerate(rows):
            s = row[scol]
            if not s.isdigit():
                bad(f"row {i + 1}: serial {s!r} is not a number")
                continue
            n = int(s)
            if n == prev + 1:
                pass
            elif (
                n == prev
                and i
                and "：" in row[ncol]
                and "：" in rows[i - 1][ncol]
                and parent(row[ncol]) == parent(rows[i - 1][ncol])
            ):
                pass
            else:
                bad(f"row {i + 1}: serial {n} after {prev}")
            prev = n
    else:
        seen: list[str] = []
        for row in rows:
            p = parent(row[ncol])
            if not seen or seen[-1] != p:
                seen.append(p)
        for n, p in enumerate(seen, 1):
            if re.match(r"^\d+[.．、]", p):
                bad(f"name keeps its number: {p!r}")
            if text.find(f"{n}.{flat(p)}", anchor) < 0:
                bad(f"no serial column, and '{n}. {p}' is not printed glued to the name")

    # groups: contiguous runs whose names occur in the table's text
    if gcol is not None:
        runs: list[str] = []
        for row in rows:
            if not runs or runs[-1] != row[gcol]:
                runs.append(row[gcol])
        for g in set(runs):
            if runs.count(g) > 1:
                bad(f"group {g!r} is not contiguous")
            if text.find(flat(g), anchor) < 0:
                bad(f"group {g!r} not found in the table's text")
            # a printed count ("创新发展(5项)", "经济强（12项）") is the number of its indicators
            m = re.compile(
                r"(?:[一二三四五六七八九十]+、)?" + re.escape(flat(g)) + r"[(（](\d+)项[)）]"
            ).search(text, anchor)
            if m:
                have = len({parent(r[ncol]) for r in rows if r[gcol] == g})
                if have != int(m.group(1)):
                    bad(f"group {g!r} prints {m.group(1)} indicators, the transcription has {have}")

    # names in row order; values in column order between this name and the next
    covered: list[tuple[int, int]] = []
    starts: list[int] = []
    pos = anchor
    for i, row in enumerate(rows):
        name = row[ncol]
        if "：" in name:
            k = text.find(flat(parent(name)), anchor)
            if k < 0:
                bad(f"row {i + 1}: parent {parent(name)!r} not found")
        k = text.find(flat(child(name)), pos)
        if k < 0:
            bad(f"row {i + 1}: name {name!r} not found after the previous row")
            starts.append(pos)
            continue
        if k - pos > 400:
            bad(f"row {i + 1}: name {name!r} found {k - pos} characters after the previous row")
        starts.append(k)
        pos = k + len(flat(child(name)))
        covered.append((k, pos))
    ends = starts[1:] + [starts[-1] + 400]
    for i, row in enumerate(rows):
        pos = starts[i] + len(flat(child(row[ncol])))
        for j in vcols:
            cell = flat(row[j])
            k = text.find(cell, pos, ends[i]) if cell else pos
            if k >= 0:
                pos = k + len(cell)
                covered.append((k, pos))
                continue
            # a merged cell printed once for the sub-rows of one parent
            merged = any(
                0 <= o < len(rows)
                and "：" in row[ncol]
                and parent(rows[o][ncol]) == parent(row[ncol])
                and rows[o][j] == row[j]
                and text.find(cell, starts[o], ends[o]) >= 0
                for o in (i - 1, i + 1)
            )
            if not merged:
                bad(f"row {i + 1}: {header[j]} {row[j]!r} not found in the row's text")

    # completeness: the table's text, from the caption to its last transcribed cell, holds nothing
    # but the transcribed pieces (caption, header labels, groups, parents, names, values) and debris
    end = max(b for _, b in covered) if covered else anchor
    pieces = (
        [cap]
        + labels
        + [flat(parent(r[ncol])) for r in rows]
        + ([flat(r[gcol]) for r in rows] if gcol is not None else [])
    )
    for piece in set(p for p in pieces if p):
        for m in re.finditer(re.escape(piece), text[anchor:end]):
            covered.append((anchor + m.start(), anchor + m.end()))
    mask = [False] * (end - anchor)
    for a, b in covered:
        for x in range(max(a, anchor), min(b, end)):
            mask[x - anchor] = True
    for m in re.finditer(r"F+", "".join("T" if c else "F" for c in mask)):
        left = text[anchor + m.start() : anchor + m.end()]
        if not DEBRIS.fullmatch(left):
            bad(f"text inside the table not transcribed: {left!r}")

    # the table does not go on past its last transcribed row with the next serial number
    if rows and scol is not None and re.match(rf"{int(rows[-1][scol]) + 1}(?!\d)", text[end : end + 8]):
        bad(f"the text goes on with serial {int(rows[-1][scol]) + 1} after the last row")

    # notes
    last = end
    for n, note in enumerate(t["notes"], 1):
        m = NOTE_NUMBER.match(note)
        if n == 1 and not note.startswith("注"):
            bad("the first note does not start with 注")
        if not m or int(m.group(1)) != n:
            bad(f"note {n} is not numbered {n}: {note[:20]!r}")
        k = text.find(flat(note), last)
        if k < 0:
            bad(f"note {n} not found after the table: {note[:30]!r}")
        elif k - last > 600:
            bad(f"note {n} found {k - last} characters after the table")
        else:
            last = k + len(flat(note))


def main() -> int:
    tables = json.loads(TABLES.read_text(encoding="utf-8"))
    problems: list[str] = []
    for t in tables:
        check_table(t, problems)
    for p in problems:
        print(p)
    print(f"{len(tables)} tables, {sum(len(t['rows']) for t in tables)} rows, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
