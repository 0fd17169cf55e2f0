"""Tables."""

from __future__ import annotations

import re


def render_row(header: list[str], row: list[str]) -> str:
    """One table row with its header: "序号：14；指标：…；单位：%；…"."""
    cells = [f"{h}：{v}" for h, v in zip(header, row, strict=False) if v]
    return "；".join(cells)


def row_statement(rendered: str) -> str:
    """A rendered indicator row read as a sentence, units attached to the values.

    "序号：14；指标：公办养老机构护理型床位占比；单位：%；2025年目标值：≥55；属性：约束性"
    → "公办养老机构护理型床位占比：2025年目标值≥55%（约束性）"
    """
    cells = dict(c.split("：", 1) for c in rendered.split("；") if "：" in c)
    name = next((v for k, v in cells.items() if "指标" in k), "")
    if not name:
        return rendered
    unit = cells.get("单位", "")
    values = []
    for key, value in cells.items():
        if key in ("序号", "单位", "属性") or "指标" in key:
            continue
        values.append(f"{key}{value}{unit if re.search(r'[0-9０-９]$', value) else ''}")
    attribute = f"（{cells['属性']}）" if cells.get("属性") else ""
    return f"{name}：{'，'.join(values)}{attribute}"


def is_indicator_header(row: list[str]) -> bool:
    return any("指标" in c for c in row) and any(c in ("序号", "单位") for c in row)
