"""What got better or worse between two evaluation reports, question by question.

``planqa eval --compare OLD`` runs the evaluation and compares it with OLD;
``--compare OLD NEW`` compares two reports already written.
"""

from __future__ import annotations

from typing import Any

from rag.eval.report import (
    ANSWER_COLUMNS,
    RETRIEVAL_COLUMNS,
    STATUS_LABELS,
    cell,
    kind_label,
    ranks_text,
    table,
)
from rag.eval.run import GOOD_STATUS


def _recall5(ranks: list[int | None]) -> float:
    return sum(1 for r in ranks if r is not None and r <= 5) / len(ranks) if ranks else 0.0


def _rank_key(rank: int | None) -> int:
    return rank if rank is not None else 10**6


def compare_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What got better or worse from ``old`` to ``new``: summaries and each question."""
    text = {**old["gold"].get("text", {}), **new["gold"].get("text", {})}
    out: dict[str, Any] = {
        "old": old["created"], "new": new["created"],
        "old_git": old.get("git", ""), "new_git": new.get("git", ""),
        "gold_changed": old["gold"]["sha256"] != new["gold"]["sha256"],
        "configs": [], "answers": {},
    }
    old_configs = {c["name"]: c for c in old.get("configs", [])}
    for c in new.get("configs", []):
        o = old_configs.get(c["name"])
        if o is None:
            continue
        before = {q["qid"]: q for q in o["questions"]}
        better, worse = [], []
        for q in c["questions"]:
            b = before.get(q["qid"])
            if b is None:
                continue
            r_old, r_new = _recall5(b["ranks"]), _recall5(q["ranks"])
            f_old, f_new = _rank_key(b["first_relevant"]), _rank_key(q["first_relevant"])
            row = {"qid": q["qid"], "kind": q["kind"], "question": text.get(q["qid"], ""),
                   "old_ranks": b["ranks"], "new_ranks": q["ranks"]}
            if (r_new, -f_new) > (r_old, -f_old):
                better.append(row)
            elif (r_new, -f_new) < (r_old, -f_old):
                worse.append(row)
        out["configs"].append({
            "name": c["name"],
            "summary": {m: [o["summary"].get(m), c["summary"].get(m)] for m in RETRIEVAL_COLUMNS},
            "better": better, "worse": worse,
        })
    oa, na = old.get("answers") or {}, new.get("answers") or {}
    if oa and na:
        before = {q["qid"]: q for q in oa["questions"]}
        changed = []
        for q in na["questions"]:
            b = before.get(q["qid"])
            if b is None or b["status"] == q["status"]:
                continue
            good_old, good_new = b["status"] in GOOD_STATUS, q["status"] in GOOD_STATUS
            verdict = "better" if good_new and not good_old else "worse" if good_old and not good_new else "changed"
            changed.append({"qid": q["qid"], "kind": q["kind"], "question": text.get(q["qid"], ""),
                            "old": b["status"], "new": q["status"], "verdict": verdict})
        out["answers"] = {
            "summary": {m: [oa["summary"].get(m), na["summary"].get(m)] for m, _ in ANSWER_COLUMNS},
            "changed": changed,
        }
    old_ids, new_ids = set(old["gold"].get("text", {})), set(new["gold"].get("text", {}))
    out["added"], out["removed"] = sorted(new_ids - old_ids), sorted(old_ids - new_ids)
    return out


def _delta(pair: list[float | None], column: str) -> str:
    a, b = pair
    if a is None or b is None:
        return f"{cell(a, column)} → {cell(b, column)}"
    return f"{cell(a, column)} → {cell(b, column)}（{b - a:+.3f}）" if not column.endswith("_ms") else \
        f"{cell(a, column)} → {cell(b, column)}"


def compare_markdown(cmp: dict[str, Any]) -> str:
    lines = [f"# 与 {cmp['old']}（{cmp['old_git'] or '?'}）的报告对比\n"]
    if cmp["gold_changed"]:
        lines.append(
            f"注意：两次使用的标准问题集不同（新增 {len(cmp['added'])} 题，删去 {len(cmp['removed'])} 题或改动了题目），"
            "总体数字不完全可比；逐题对比只看两次都有的题。\n"
        )
    for c in cmp["configs"]:
        lines.append(f"\n## {c['name']}\n")
        lines += table(["指标", "旧 → 新"], [[m, _delta(v, m)] for m, v in c["summary"].items()])
        for key, title in (("better", "变好"), ("worse", "变差")):
            rows = c[key]
            lines.append(f"\n{title}：{len(rows)} 题\n")
            if rows:
                lines += table(["编号", "题型", "问题", "各证据名次（旧 → 新）"], [
                    [r["qid"], kind_label(r["kind"]), r["question"],
                     f"{ranks_text(r['old_ranks'])} → {ranks_text(r['new_ranks'])}"] for r in rows
                ])
    a = cmp.get("answers") or {}
    if a:
        lines.append("\n## 回答\n")
        lines += table(["指标", "旧 → 新"], [[m, _delta(v, m)] for m, v in a["summary"].items()])
        lines.append(f"\n结果有变化：{len(a['changed'])} 题\n")
        if a["changed"]:
            lines += table(["编号", "题型", "问题", "旧 → 新", ""], [
                [r["qid"], kind_label(r["kind"]), r["question"],
                 f"{STATUS_LABELS[r['old']]} → {STATUS_LABELS[r['new']]}",
                 {"better": "变好", "worse": "变差", "changed": "变化"}[r["verdict"]]] for r in a["changed"]
            ])
    return "\n".join(lines) + "\n"


def print_comparison(cmp: dict[str, Any], console: Any) -> None:
    """Metric changes in colour (green better, red worse) and the questions that changed."""
    from rich.table import Table

    lower_is_better = {"p50_ms", "p95_ms", "declined_answerable", "number_failures"}

    def colour(metric: str, pair: list[float | None]) -> str:
        a, b = pair
        text = _delta(pair, metric)
        if a is None or b is None or abs(b - a) < 1e-9 or metric.endswith("_ms"):
            return text
        better = (b < a) if metric in lower_is_better else (b > a)
        return f"[green]{text}[/green]" if better else f"[red]{text}[/red]"

    def metrics(title: str, summary: dict[str, list[float | None]]) -> None:
        t = Table(title=title)
        t.add_column("指标")
        t.add_column("旧 → 新", justify="right")
        for m, v in summary.items():
            t.add_row(m, colour(m, v))
        console.print(t)

    console.print(f"与 {cmp['old']}（{cmp['old_git'] or '?'}）对比")
    if cmp["gold_changed"]:
        console.print(f"[yellow]标准问题集不同：新增 {len(cmp['added'])} 题，删去 {len(cmp['removed'])} 题或改动了题目[/yellow]")
    for c in cmp["configs"]:
        metrics(f"{c['name']}：变好 {len(c['better'])} 题，变差 {len(c['worse'])} 题", c["summary"])
        for key, style in (("better", "green"), ("worse", "red")):
            for r in c[key]:
                console.print(f"  [{style}]{r['qid']}[/{style}] {r['question']}  "
                              f"{ranks_text(r['old_ranks'])} → {ranks_text(r['new_ranks'])}")
    a = cmp.get("answers") or {}
    if a:
        metrics(f"回答：{len(a['changed'])} 题结果有变化", a["summary"])
        for r in a["changed"]:
            style = {"better": "green", "worse": "red"}.get(r["verdict"], "yellow")
            console.print(f"  [{style}]{r['qid']}[/{style}] {r['question']}  "
                          f"{STATUS_LABELS[r['old']]} → {STATUS_LABELS[r['new']]}")
