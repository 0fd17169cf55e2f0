"""Property tests of the table reader: any indicator table drawn by tests/docs/tablegen.py,
written in any of its layout families inside a document, reads back as exactly one table whose
header and rows are the truth (group cells filled down, split and wrapped cells joined, a
value's note joined to it, sub-rows named "parent：child").

``PLANQA_TABLE_EXAMPLES`` sets the examples per family (default 2000). The runs are
derandomized, so a failure is reproducible and shrunk to a small table and a plain layout.
Two families, one cell per line and runs of spaces, do not read back every time yet: they are
strict expected failures (their rates are in docs/quality.md).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.docs.tablegen import (
    TEXT_FAMILIES,
    TruthTable,
    parse,
    render_cells,
    render_docx,
    render_html,
    render_markdown,
    render_spaced,
    render_tabs,
    render_xlsx,
    shown,
    tables,
)

EXAMPLES = int(os.environ.get("PLANQA_TABLE_EXAMPLES", "2000"))

reads_back = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Families the reader does not yet read back every time (issue 27 stays open: the rates per family are in
# docs/quality.md). strict: once a family passes, its mark must go.
grid_reader = pytest.mark.xfail(strict=True, reason="issue 27: not every generated table of this family reads back yet")


def assert_reads_back(table: TruthTable, rendered: str | Path) -> None:
    found = parse(rendered)
    document = shown(rendered)
    assert len(found) == 1, f"{len(found)} tables ({[t.header for t in found]}) in:\n{document}"
    assert found[0].header == table.header, f"header of the table in:\n{document}"
    assert found[0].rows == table.rows, f"rows of the table in:\n{document}"


@grid_reader
@reads_back
@given(table=tables(subrows=True), data=st.data())
def test_cells_one_per_line(table: TruthTable, data: Any) -> None:
    assert_reads_back(table, render_cells(table, data))


@grid_reader
@reads_back
@given(table=tables(subrows=True), data=st.data())
def test_rows_with_cells_separated_by_spaces(table: TruthTable, data: Any) -> None:
    assert_reads_back(table, render_spaced(table, data))


@reads_back
@given(table=tables(), data=st.data())
def test_tab_separated_rows(table: TruthTable, data: Any) -> None:
    assert_reads_back(table, render_tabs(table, data))


@reads_back
@given(table=tables(), data=st.data())
def test_markdown_pipe_rows(table: TruthTable, data: Any) -> None:
    assert_reads_back(table, render_markdown(table, data))


@reads_back
@given(table=tables(), data=st.data())
def test_html_table(table: TruthTable, data: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_reads_back(table, render_html(table, data, Path(tmp)))


@reads_back
@given(table=tables(), data=st.data())
def test_docx_table(table: TruthTable, data: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_reads_back(table, render_docx(table, data, Path(tmp)))


@reads_back
@given(table=tables(), data=st.data())
def test_xlsx_sheet(table: TruthTable, data: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_reads_back(table, render_xlsx(table, data, Path(tmp)))


# ---------------------------------------------------------------------------
# The harness itself: these hold today


@settings(reads_back, max_examples=min(EXAMPLES, 200))
@given(table=tables(subrows=True))
def test_truth_tables_are_well_formed(table: TruthTable) -> None:
    """One cell per column, serial numbers 1, 2, 3 … (a parent's sub-rows share theirs), group
    names in runs, no whitespace in a cell, the attribute 约束性 or 预期性, 3–30 rows."""
    assert 3 <= len(table.rows) <= 30
    assert all(len(row) == len(table.header) for row in table.rows)
    assert not any(re.search(r"\s", cell) for row in [table.header, *table.rows] for cell in row)
    assert {r.attribute for r in table.body} <= {"约束性", "预期性"}
    if table.has("number"):
        assert [i[0].number for i in table.indicators()] == [
            str(k + 1) for k in range(len(table.indicators()))
        ]
    groups = [r.group for r in table.body]
    runs = [g for k, g in enumerate(groups) if k == 0 or groups[k - 1] != g]
    assert len(runs) == len(set(runs))


@settings(reads_back, max_examples=min(EXAMPLES, 200))
@given(table=tables(subrows=True), data=st.data(), family=st.sampled_from(["cells", "spaced", "tabs"]))
def test_every_body_cell_is_written(table: TruthTable, data: Any, family: str) -> None:
    """What the reader is asked for is in the text: each body cell (a sub-row's own name, a
    group's name) is there once layout spaces and line breaks are taken out."""
    text = re.sub(r"\s", "", TEXT_FAMILIES[family](table, data))
    for row in table.body:
        for cell, role in zip(table.cells(row), table.roles(), strict=True):
            assert (row.name if role == "name" else cell) in text
