"""The plan check as a report people read: Markdown, a self-contained HTML page, or an HTML fragment.

The report is built once as a list of blocks (headings, tables, side-by-side passages,
collapsible groups) and each renderer writes those blocks. Summary first, then the four
parts; every finding that is not ``same`` shows the provincial and the county text side by
side. Everything taken from the documents is escaped. The HTML needs no JavaScript and no
network: its CSS is inline and scoped under ``.planqa-report``, so the fragment can sit in a
Gradio ``gr.HTML`` component.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from rag.check.compare import VERDICT_LABELS, Passage
from rag.check.compliance import PlanCheck
from rag.check.coverage import COVERAGE_LABELS
from rag.check.targets import TargetValue

ITEM_LABELS = {"kept": "保留", "changed": "改写", "dropped": "删去", "added": "新增"}
BOX_LABELS = {"matched": "有对应", "missing": "缺失", "added": "新增"}
BADGE_CLASS = {
    "same": "ok", "covered": "ok", "kept": "ok", "matched": "ok",
    "stricter": "up", "partial": "warn", "changed": "warn", "not_comparable": "warn",
    "attribute_changed": "attr", "weaker": "bad", "missing": "bad", "dropped": "bad",
    "added": "new",
}  # fmt: skip


@dataclass
class Badge:
    key: str  # the verdict, which picks the colour
    label: str

    @classmethod
    def verdict(cls, key: str) -> Badge:
        return cls(key, VERDICT_LABELS[key])

    @classmethod
    def coverage(cls, key: str) -> Badge:
        return cls(key, COVERAGE_LABELS[key])

    @classmethod
    def item(cls, key: str) -> Badge:
        return cls(key, ITEM_LABELS[key])

    @classmethod
    def box(cls, key: str) -> Badge:
        return cls(key, BOX_LABELS[key])


Cell = str | Badge


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]]


@dataclass
class Pair:
    """One finding with both texts side by side."""

    title: str
    badge: Badge | None
    rule: str
    province: Passage | None
    county: Passage | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Group:
    """A collapsible group (``<details>`` in HTML)."""

    summary: str
    blocks: list[Block]


Block = Heading | Para | Bullets | Table | Pair | Group


def _counts(counts: dict[str, int], order: list[str], labels: dict[str, str]) -> str:
    parts = [f"{labels[k]} {counts[k]}" for k in order if counts.get(k)]
    return "，".join(parts) if parts else "无"


VERDICT_ORDER = ["same", "stricter", "weaker", "not_comparable", "attribute_changed", "missing", "added"]


def summary_lines(check: PlanCheck) -> list[str]:
    """The summary in a few Chinese lines (report head, terminal output)."""
    s = check.summary
    coverage = ["covered", "partial", "missing"]
    return [
        f"主要发展指标 {sum(s.indicators.values())} 项：{_counts(s.indicators, VERDICT_ORDER, VERDICT_LABELS)}",
        f"正文数字目标 {sum(s.text_targets.values())} 项：{_counts(s.text_targets, VERDICT_ORDER, VERDICT_LABELS)}",
        f"专栏：{_counts(s.zhuanlan, ['matched', 'missing', 'added'], BOX_LABELS)}",
        f"重点任务 {sum(s.tasks.values())} 项：{_counts(s.tasks, coverage, COVERAGE_LABELS)}"
        f"（按章节：{_counts(s.sections, coverage, COVERAGE_LABELS)}）",
        f"正文与本规划指标表不一致：{s.table_conflicts} 处",
        *s.notes,
    ]


def build(check: PlanCheck) -> list[Block]:
    """The report's blocks, in reading order."""
    s = check.summary
    blocks: list[Block] = [
        Heading(1, "规划对照检查报告"),
        Para(f"县级规划：《{s.county.title}》（{s.county.file}）"),
        Para(f"省级规划：《{s.province.title}》（{s.province.file}）"),
        Heading(2, "概要"),
        Bullets(summary_lines(check)),
    ]
    blocks += _indicators(check) + _targets(check) + _boxes(check) + _tasks(check)
    return blocks


def _indicators(check: PlanCheck) -> list[Block]:
    rows: list[list[Cell]] = []
    pairs: list[Block] = []
    for f in check.indicators:
        p, c = f.province, f.county
        rows.append(
            [
                f.indicator,
                f"{p.value}（{p.unit}，{p.attribute}）" if p else "—",
                f"{c.value}（{c.unit}，{c.attribute}）" if c else "—",
                Badge.verdict(f.verdict),
                f.rule,
            ]
        )
        if f.verdict != "same":
            pairs.append(
                Pair(f.indicator, Badge.verdict(f.verdict), f.rule, f.evidence.province, f.evidence.county)
            )
    out: list[Block] = [Heading(2, "一、主要发展指标")]
    if not rows:
        return out + [Para("两份规划都没有找到“主要发展指标”表。")]
    out.append(Table(["指标", "省级目标值", "县级目标值", "结论", "依据"], rows))
    if pairs:
        out += [Heading(3, "不相同的指标：原文对照"), *pairs]
    return out


def _target_value(v: TargetValue | None) -> str:
    if v is None:
        return "—"
    return f"{v.deadline}：{v.value}" if v.deadline else v.value


def _targets(check: PlanCheck) -> list[Block]:
    out: list[Block] = [Heading(2, "二、正文中的数字目标")]
    conflicts = [c for f in check.text_targets for c in f.conflicts]
    if conflicts:
        out += [Heading(3, "正文与本规划指标表不一致"), Bullets(list(dict.fromkeys(conflicts)))]
    paired = [f for f in check.text_targets if f.province and f.county]
    if paired:
        out.append(Heading(3, "两份规划都有的目标"))
        rows: list[list[Cell]] = [
            [f.topic, _target_value(f.province), _target_value(f.county), Badge.verdict(f.verdict), f.rule]
            for f in paired
        ]
        out.append(Table(["主题", "省级", "县级", "结论", "依据"], rows))
        out += [
            Pair(
                f.topic, Badge.verdict(f.verdict), f.rule, f.evidence.province, f.evidence.county, f.conflicts
            )
            for f in paired
            if f.verdict != "same" or f.conflicts
        ]
    for verdict, title in (("missing", "省级规划有、县级规划未写明的目标"), ("added", "县级规划新增的目标")):
        group = [f for f in check.text_targets if f.verdict == verdict]
        if group:
            pairs: list[Block] = [
                Pair(
                    f"{f.topic}：{_target_value(f.province if verdict == 'missing' else f.county)}",
                    Badge.verdict(f.verdict), f.rule, f.evidence.province, f.evidence.county, f.conflicts,
                )
                for f in group
            ]  # fmt: skip
            out.append(Group(f"{title}（{len(group)} 项）", pairs))
    return out


def _boxes(check: PlanCheck) -> list[Block]:
    out: list[Block] = [Heading(2, "三、专栏（重点工程）")]
    if not check.zhuanlan:
        return out + [Para("两份规划都没有专栏。")]
    rows: list[list[Cell]] = []
    for z in check.zhuanlan:
        counts = {k: sum(1 for i in z.items if i.status == k) for k in ITEM_LABELS}
        rows.append(
            [
                z.province or "—",
                z.county or "—",
                Badge.box(z.verdict),
                "，".join(f"{ITEM_LABELS[k]} {n}" for k, n in counts.items() if n) or "—",
            ]
        )
    out.append(Table(["省级专栏", "县级专栏", "结论", "条目"], rows))
    for z in check.zhuanlan:
        if z.verdict != "matched":
            continue
        item_rows: list[list[Cell]] = [
            [i.province or "—", i.county or "—", Badge.item(i.status), "；".join(i.changes) or "—"]
            for i in z.items
        ]
        pairs: list[Block] = [
            Pair(
                i.province or i.county or "",
                Badge.item(i.status),
                "；".join(i.changes),
                i.evidence.province,
                i.evidence.county,
            )
            for i in z.items
            if i.status != "kept"
        ]
        out += [
            Heading(3, f"{z.province} ↔ {z.county}"),
            Table(["省级条目", "县级条目", "结论", "变化"], item_rows),
        ]
        if pairs:
            out.append(Group("未保留原文的条目：原文对照", pairs))
    return out


def _tasks(check: PlanCheck) -> list[Block]:
    out: list[Block] = [Heading(2, "四、重点任务落实情况")]
    if not check.tasks:
        return out + [Para("省级规划中没有找到章节任务。")]
    rows: list[list[Cell]] = []
    for s in check.tasks:
        counts = {k: sum(1 for t in s.tasks if t.verdict == k) for k in COVERAGE_LABELS}
        rows.append(
            [
                s.section,
                Badge.coverage(s.verdict),
                "，".join(f"{COVERAGE_LABELS[k]} {n}" for k, n in counts.items() if n),
                f"{s.score:.0%}",
            ]
        )
    out.append(Table(["省级章节", "结论", "任务", "文字重现"], rows))
    for s in check.tasks:
        pairs: list[Block] = [
            Pair(t.task, Badge.coverage(t.verdict), t.rule, t.evidence.province, t.evidence.county)
            for t in s.tasks
            if t.verdict != "covered"
        ]
        if pairs:
            out.append(Group(f"{s.section}：{len(pairs)} 项未完全覆盖", pairs))
    return out


# ---------------------------------------------------------------------------
# Markdown


def _md(text: str) -> str:
    """Escaped for a Markdown table cell: HTML special characters, pipes, tabs, line breaks."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("\t", " · ").replace("\n", "<br>")


def _md_cell(cell: Cell) -> str:
    return f"**{cell.label}**" if isinstance(cell, Badge) else _md(cell)


def _md_passage(p: Passage | None) -> str:
    if p is None:
        return "（无对应内容）"
    where = f"*{_md(p.section)}*<br>" if p.section else ""
    return where + _md(p.text)


def _md_blocks(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"{'#' * b.level} {_md(b.text)}")
        elif isinstance(b, Para):
            out.append(_md(b.text))
        elif isinstance(b, Bullets):
            out.append("\n".join(f"- {_md(x)}" for x in b.items))
        elif isinstance(b, Table):
            lines = ["| " + " | ".join(_md(h) for h in b.header) + " |", "|" + "---|" * len(b.header)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
        elif isinstance(b, Pair):
            badge = f"（{b.badge.label}）" if b.badge else ""
            text = [f"#### {_md(b.title)}{badge}"]
            if b.rule:
                text.append(f"依据：{_md(b.rule)}")
            text += [f"注意：{_md(n)}" for n in b.notes]
            text.append(
                f"| 省级规划 | 县级规划 |\n|---|---|\n| {_md_passage(b.province)} | {_md_passage(b.county)} |"
            )
            out.append("\n\n".join(text))
        else:
            out.append(f"**{_md(b.summary)}**")
            out += _md_blocks(b.blocks)
    return out


def render_markdown(check: PlanCheck) -> str:
    return "\n\n".join(_md_blocks(build(check))) + "\n"


# ---------------------------------------------------------------------------
# HTML


CSS = """
.planqa-report{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;font-size:14px;
 line-height:1.6;color:#1f2328;max-width:1200px}
.planqa-report h1{font-size:22px;margin:8px 0}
.planqa-report h2{font-size:18px;margin:20px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.planqa-report h3{font-size:15px;margin:14px 0 6px}
.planqa-report table{border-collapse:collapse;width:100%;margin:6px 0 10px}
.planqa-report th,.planqa-report td{border:1px solid #d0d7de;padding:4px 6px;vertical-align:top;text-align:left}
.planqa-report th{background:#f6f8fa}
.planqa-report .pair{border:1px solid #d0d7de;border-radius:6px;margin:8px 0;padding:6px 8px}
.planqa-report .pair-title{font-weight:600}
.planqa-report .rule{color:#57606a;margin:2px 0 6px}
.planqa-report .note{color:#9a6700}
.planqa-report .side{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.planqa-report .side>div{background:#f6f8fa;border-radius:4px;padding:6px;white-space:pre-wrap;word-break:break-all}
.planqa-report .where{color:#57606a;font-size:12px;display:block;white-space:normal}
.planqa-report .side .who{font-weight:600;display:block;white-space:normal}
.planqa-report .badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;white-space:nowrap}
.planqa-report .ok{background:#dafbe1;color:#116329}
.planqa-report .up{background:#ddf4ff;color:#0969da}
.planqa-report .warn{background:#fff8c5;color:#7d4e00}
.planqa-report .attr{background:#fbefff;color:#8250df}
.planqa-report .bad{background:#ffebe9;color:#cf222e}
.planqa-report .new{background:#e6fffa;color:#0a7d6c}
.planqa-report details{margin:6px 0}
.planqa-report summary{cursor:pointer;font-weight:600}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True).replace("\t", "  ")


def _badge(b: Badge) -> str:
    return f'<span class="badge {BADGE_CLASS.get(b.key, "warn")}">{_e(b.label)}</span>'


def _cell(cell: Cell) -> str:
    return _badge(cell) if isinstance(cell, Badge) else _e(cell)


def _side(who: str, p: Passage | None) -> str:
    if p is None:
        return f'<div><span class="who">{who}</span>（无对应内容）</div>'
    where = f'<span class="where">{_e(p.section)}</span>' if p.section else ""
    return f'<div><span class="who">{who}</span>{where}{_e(p.text)}</div>'


def _html_blocks(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}>{_e(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            out.append(f"<p>{_e(b.text)}</p>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in b.items) + "</ul>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{_e(h)}</th>" for h in b.header)
            body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(b, Pair):
            badge = " " + _badge(b.badge) if b.badge else ""
            rule = f'<div class="rule">依据：{_e(b.rule)}</div>' if b.rule else ""
            notes = "".join(f'<div class="note">注意：{_e(n)}</div>' for n in b.notes)
            side = f'<div class="side">{_side("省级规划", b.province)}{_side("县级规划", b.county)}</div>'
            out.append(
                f'<div class="pair"><div class="pair-title">{_e(b.title)}{badge}</div>{rule}{notes}{side}</div>'
            )
        else:
            inner = "".join(_html_blocks(b.blocks))
            out.append(f"<details><summary>{_e(b.summary)}</summary>{inner}</details>")
    return out


def render_html(check: PlanCheck, fragment: bool = False) -> str:
    """A whole page (for ``--html``), or with ``fragment`` a ``<div class="planqa-report">`` for embedding."""
    body = f'<div class="planqa-report"><style>{CSS}</style>{"".join(_html_blocks(build(check)))}</div>'
    if fragment:
        return body
    title = _e(f"规划对照检查：{check.summary.county.title}")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body>{body}</body></html>\n"
    )


# ---------------------------------------------------------------------------
# Terminal


def render_text(check: PlanCheck) -> str:
    """The summary and every finding that is not ``same`` (tasks by section), for a terminal."""
    s = check.summary
    out = [f"县级规划：《{s.county.title}》  省级规划：《{s.province.title}》", "", "概要："]
    out += [f"  {line}" for line in summary_lines(check)]
    out += ["", "一、主要发展指标（与省级不同的行）："]
    for f in check.indicators:
        if f.verdict != "same":
            out += [f"  [{VERDICT_LABELS[f.verdict]}] {f.indicator}", f"      {f.rule}"]
    out += ["", "二、正文中的数字目标："]
    conflicts = list(dict.fromkeys(c for f in check.text_targets for c in f.conflicts))
    out += [f"  [与指标表不一致] {c}" for c in conflicts]
    for t in check.text_targets:
        if t.verdict not in ("same", "missing", "added"):
            pv, cv = _target_value(t.province), _target_value(t.county)
            out += [f"  [{VERDICT_LABELS[t.verdict]}] {t.topic}：省 {pv}；县 {cv}", f"      {t.rule}"]
    for verdict in ("missing", "added"):
        n = s.text_targets.get(verdict, 0)
        if n:
            who = "省级有、县级未写明的目标" if verdict == "missing" else "县级新增的目标"
            out.append(f"  {who} {n} 项（见 --html / --md 报告）")
    out += ["", "三、专栏："]
    for z in check.zhuanlan:
        counts = "，".join(
            f"{ITEM_LABELS[k]} {n}" for k in ITEM_LABELS if (n := sum(1 for i in z.items if i.status == k))
        )
        names = " ↔ ".join(x for x in (z.province, z.county) if x)
        out.append(f"  [{BOX_LABELS[z.verdict]}] {names}" + (f"：{counts}" if z.verdict == "matched" else ""))
    out += ["", "四、重点任务（未完全覆盖的章节）："]
    for sec in check.tasks:
        if sec.verdict == "covered":
            continue
        out.append(f"  [{COVERAGE_LABELS[sec.verdict]}] {sec.section}")
        out += [f"      {COVERAGE_LABELS[t.verdict]}：{t.task}" for t in sec.tasks if t.verdict != "covered"]
    return "\n".join(out)
