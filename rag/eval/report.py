"""Evaluation reports: ``report.json`` → Markdown, PNG plots, terminal tables, comparisons.

Everything here works on the plain data of ``report.json`` (see
:meth:`rag.eval.run.EvalRun.to_json`), so an old report can be re-rendered or
compared with a new one without re-running anything.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rag.errors import ConfigError
from rag.eval.metrics import KIND_LABELS
from rag.eval.run import GOOD_STATUS, REPORT_FORMAT

RETRIEVAL_COLUMNS = ["recall@1", "recall@5", "recall@10", "hit@5", "mrr@10", "ndcg@10", "p50_ms", "p95_ms"]
ANSWER_COLUMNS = [
    ("key_facts", "要点全对"),
    ("key_fact_recall", "要点召回"),
    ("supported", "引文支持"),
    ("declined_answerable", "误拒答"),
    ("declined_unanswerable", "正确拒答"),
    ("abstention_precision", "拒答准确率"),
    ("number_failures", "数字核验删句"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
]
STATUS_LABELS = {
    "all_facts": "要点全对",
    "all_facts_unsupported": "要点全对但引文未覆盖证据",
    "missing_facts": "缺要点",
    "declined_answerable": "误拒答",
    "declined": "正确拒答",
    "answered_unanswerable": "无答案题却作答",
}
PLOTS = ("recall_at_k.png", "recall_by_kind.png", "answers_by_kind.png")
DEFAULT = "hybrid"
BASELINE = "llamaindex"


def cell(value: float | None, column: str) -> str:
    if value is None:
        return "–"
    if column.endswith("_ms"):
        return f"{value:.1f}"
    if column in ("number_failures", "questions"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def load_report(path: Path) -> dict[str, Any]:
    """A report.json, given the file or its run directory."""
    file = path / "report.json" if path.is_dir() else path
    if not file.is_file():
        raise ConfigError(f"找不到评测报告：{path}（应为 evals/reports/<时间>/ 目录或其中的 report.json）",
                          f"report not found: {path}")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"评测报告无法读取：{file}（{exc}）", f"unreadable report {file}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise ConfigError(
            f"评测报告 {file} 的格式版本不同（需要 {REPORT_FORMAT}），无法对比；请用当前版本重新运行 planqa eval。",
            f"report {file} has format {data.get('format') if isinstance(data, dict) else None}",
        )
    return data


def margin(data: dict[str, Any], metric: str, a: str = DEFAULT, b: str = BASELINE) -> float | None:
    """``a``'s ``metric`` minus ``b``'s, when both ran."""
    rows = {c["name"]: c["summary"] for c in data.get("configs", [])}
    if a in rows and b in rows:
        return float(rows[a][metric]) - float(rows[b][metric])
    return None


# ---------------------------------------------------------------------------
# Markdown


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def report_markdown(data: dict[str, Any]) -> str:
    gold = data["gold"]
    kinds = "、".join(f"{kind_label(k)} {n}" for k, n in gold["kinds"].items())
    lines = [
        "# 评测报告\n",
        f"- 时间：{data['created']}；用时 {data['seconds']:.0f} 秒；代码版本：{data.get('git') or '未知'}",
        f"- 标准问题集：`{gold['path']}`，{gold['questions']} 题（{kinds}），其中 {gold['answerable']} 题有证据段落",
    ]
    if "index" in data:
        lines.append(f"- 索引：{data['index']['chunks']} 个段落，嵌入模型 `{data['index']['model']}`")
    configs = data.get("configs", [])
    if configs:
        lines += ["\n## 检索：各配置总体\n"]
        rows = []
        for c in configs:
            s = c["summary"]
            label = f"**{c['label']}**" if c["name"] == DEFAULT else c["label"]
            rows.append([label] + [cell(s.get(col), col) for col in RETRIEVAL_COLUMNS] + [f"{c['setup_s']:.1f}"])
        lines += table(["配置"] + RETRIEVAL_COLUMNS + ["准备 s"], rows)
        for c in configs:
            if c.get("note"):
                lines.append(f"\n{c['label']}：{c['note']}。")
        for name, why in data.get("skipped", {}).items():
            lines.append(f"\n未运行 {name}：{why}")
        r5, mrr = margin(data, "recall@5"), margin(data, "mrr@10")
        if r5 is not None and mrr is not None:
            lines.append(
                f"\n混合检索（默认，按章节切分）比 llama-index 默认设置：recall@5 {r5:+.3f}，MRR@10 {mrr:+.3f}。"
            )
        for metric in ("recall@5", "mrr@10"):
            lines += [f"\n## 检索：各题型 {metric}\n"]
            kinds_seen = [k for k in gold["kinds"] if any(k in c["by_kind"] for c in configs)]
            rows = []
            for k in kinds_seen:
                n = next(int(c["by_kind"][k]["questions"]) for c in configs if k in c["by_kind"])
                rows.append([kind_label(k), str(n)] + [
                    cell(c["by_kind"].get(k, {}).get(metric), metric) for c in configs
                ])
            lines += table(["题型", "题数"] + [c["name"] for c in configs], rows)
    answers = data.get("answers") or {}
    if answers:
        lines += [f"\n## 回答（{answers['backend']}）\n"]
        rows = [["**全部**", cell(answers["summary"]["questions"], "questions")] + [
            cell(answers["summary"].get(col), col) for col, _ in ANSWER_COLUMNS
        ]]
        for k, s in answers["by_kind"].items():
            rows.append([kind_label(k), cell(s["questions"], "questions")] + [cell(s.get(col), col) for col, _ in ANSWER_COLUMNS])
        lines += table(["题型", "题数"] + [label for _, label in ANSWER_COLUMNS], rows)
    lines += failures_markdown(data)
    lines += [
        "\n## 指标说明\n",
        "- 检索结果中的一个段落覆盖某条标准证据一半以上的文字，即算命中该证据。",
        "- recall@k：前 k 个段落找到的证据占该题全部证据的比例；hit@5：前 5 个段落至少命中一条证据；"
        "MRR@10：第一个命中段落名次的倒数；nDCG@10：按名次折损的命中得分。",
        "- 要点全对：回答包含标准答案全部要点；引文支持：所引段落覆盖标准证据；误拒答：可回答题被拒答；"
        "正确拒答：无答案题被拒答；拒答准确率：拒答中确属无答案题的比例；数字核验删句：因数字与引文不符被删除的句子数。",
        f"- 图：{'、'.join(PLOTS)}（与本报告同目录）。",
    ]
    return "\n".join(lines) + "\n"


def failures_markdown(data: dict[str, Any], config: str = DEFAULT, limit: int = 40) -> list[str]:
    """The questions the default configuration and the answers get wrong: where to look first."""
    text = data["gold"].get("text", {})
    lines: list[str] = []
    default = next((c for c in data.get("configs", []) if c["name"] == config), None)
    if default is not None:
        missed = [q for q in default["questions"] if any(r is None or r > 5 for r in q["ranks"])]
        if missed:
            lines += [f"\n## 前 5 个段落未找全证据的问题（{config}，{len(missed)} 题）\n"]
            rows = [[q["qid"], kind_label(q["kind"]), text.get(q["qid"], ""), ranks_text(q["ranks"])]
                    for q in missed[:limit]]
            lines += table(["编号", "题型", "问题", "各证据名次"], rows)
    answers = data.get("answers") or {}
    bad = [q for q in answers.get("questions", []) if q["status"] not in GOOD_STATUS]
    if bad:
        lines += [f"\n## 回答未达标的问题（{len(bad)} 题）\n"]
        rows = [[q["qid"], kind_label(q["kind"]), text.get(q["qid"], ""), STATUS_LABELS[q["status"]],
                 f"{q['key_facts_found']}/{q['key_facts_total']}"] for q in bad[:limit]]
        lines += table(["编号", "题型", "问题", "结果", "要点"], rows)
    return lines


def ranks_text(ranks: list[int | None]) -> str:
    return "、".join("未找到" if r is None else str(r) for r in ranks)


# ---------------------------------------------------------------------------
# Files


def write_report(reports_dir: Path, data: dict[str, Any], compare_md: str | None = None) -> Path:
    """``reports_dir/<timestamp>/``: report.json, report.md, PNG plots (and compare.md)."""
    run = reports_dir / time.strftime("%Y%m%d-%H%M%S")
    suffix = 1
    while run.exists():  # two runs in one second
        suffix += 1
        run = reports_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{suffix}"
    run.mkdir(parents=True)
    (run / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    plot_report(data, run)
    md = report_markdown(data)
    if compare_md is not None:
        (run / "compare.md").write_text(compare_md, encoding="utf-8")
        md += "\n" + compare_md.replace("# ", "## ", 1)
    (run / "report.md").write_text(md, encoding="utf-8")
    return run


# ---------------------------------------------------------------------------
# Plots


def _cjk_font() -> str | None:
    """A font with Chinese glyphs, if the machine has one (else the plots use English labels)."""
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if any(key in f.name for key in ("Noto Sans CJK", "Source Han Sans", "WenQuanYi", "SimHei", "Microsoft YaHei")):
            return str(f.name)
    return None


def plot_report(data: dict[str, Any], out: Path) -> list[Path]:
    """recall@k per configuration, recall@5 per kind, answers per kind; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    zh = font is not None
    plt.rcParams.update({"font.sans-serif": [font or "DejaVu Sans", "DejaVu Sans"], "axes.unicode_minus": False})

    def label(kind: str) -> str:
        return kind_label(kind) if zh else kind

    written = []
    configs = data.get("configs", [])
    if configs:
        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
        for c in configs:
            ks = [int(k) for k in c["recall_curve"]]
            ax.plot(ks, list(c["recall_curve"].values()), marker="o", label=c["name"],
                    linewidth=2.5 if c["name"] == DEFAULT else 1.5)
        ax.set(xlabel="k", ylabel="recall@k", ylim=(0, 1.02), xticks=range(1, 11))
        ax.set_title("各配置的 recall@k" if zh else "recall@k per configuration")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
        written.append(_save(fig, out / PLOTS[0]))

        kinds = [k for k in data["gold"]["kinds"] if any(k in c["by_kind"] for c in configs)]
        fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(kinds)), 4.5), dpi=120)
        width = 0.8 / len(configs)
        for i, c in enumerate(configs):
            xs = [j + (i - (len(configs) - 1) / 2) * width for j in range(len(kinds))]
            ax.bar(xs, [c["by_kind"].get(k, {}).get("recall@5", 0.0) for k in kinds], width, label=c["name"])
        ax.set_xticks(range(len(kinds)), [label(k) for k in kinds])
        ax.set(ylabel="recall@5", ylim=(0, 1.15))
        ax.set_title("各题型 recall@5" if zh else "recall@5 per question kind")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="upper center", ncol=5, frameon=False)
        written.append(_save(fig, out / PLOTS[1]))
    answers = data.get("answers") or {}
    if answers:
        kinds = list(answers["by_kind"])
        metrics = [("key_facts", "要点全对" if zh else "all key facts"),
                   ("supported", "引文支持" if zh else "citation supports"),
                   ("declined_unanswerable", "正确拒答" if zh else "declined (unanswerable)")]
        fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(kinds)), 4.5), dpi=120)
        width = 0.8 / len(metrics)
        for i, (m, name) in enumerate(metrics):
            xs = [j + (i - 1) * width for j in range(len(kinds))]
            ax.bar(xs, [answers["by_kind"][k].get(m, 0.0) for k in kinds], width, label=name)
        ax.set_xticks(range(len(kinds)), [label(k) for k in kinds])
        ax.set(ylim=(0, 1.15))
        ax.set_title(f"回答（{answers['backend']}）" if zh else "answers per question kind")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="upper center", ncol=5, frameon=False)
        written.append(_save(fig, out / PLOTS[2]))
    return written


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------
# Terminal


def print_report(data: dict[str, Any], console: Any) -> None:
    """The report's tables with rich: configurations, recall@5 per kind, answers per kind."""
    from rich.table import Table

    configs = data.get("configs", [])
    if configs:
        t = Table(title=f"检索评测：{data['gold']['path']}（{data['gold']['answerable']} 道有证据的问题）")
        t.add_column("配置")
        for col in RETRIEVAL_COLUMNS:
            t.add_column(col, justify="right")
        for c in configs:
            style = "bold" if c["name"] == DEFAULT else None
            t.add_row(c["name"], *[cell(c["summary"].get(col), col) for col in RETRIEVAL_COLUMNS], style=style)
        console.print(t)
        for name, why in data.get("skipped", {}).items():
            console.print(f"未运行 {name}：{why}")
        r5, mrr = margin(data, "recall@5"), margin(data, "mrr@10")
        if r5 is not None and mrr is not None:
            console.print(f"混合检索比 llama-index 默认设置：recall@5 {r5:+.3f}，MRR@10 {mrr:+.3f}")
        t = Table(title="各题型 recall@5")
        t.add_column("题型")
        t.add_column("题数", justify="right")
        for c in configs:
            t.add_column(c["name"], justify="right")
        for k in data["gold"]["kinds"]:
            if any(k in c["by_kind"] for c in configs):
                n = next(int(c["by_kind"][k]["questions"]) for c in configs if k in c["by_kind"])
                t.add_row(kind_label(k), str(n), *[cell(c["by_kind"].get(k, {}).get("recall@5"), "recall@5") for c in configs])
        console.print(t)
    answers = data.get("answers") or {}
    if answers:
        t = Table(title=f"回答评测（{answers['backend']}）")
        t.add_column("题型")
        t.add_column("题数", justify="right")
        for _, label in ANSWER_COLUMNS:
            t.add_column(label, justify="right")
        rows = [("全部", answers["summary"])] + [(kind_label(k), s) for k, s in answers["by_kind"].items()]
        for name, s in rows:
            t.add_row(name, cell(s["questions"], "questions"), *[cell(s.get(col), col) for col, _ in ANSWER_COLUMNS])
        console.print(t)
