"""How today's table reader does on the generated tables of tests/docs/tablegen.py, per layout
family, without shrinking or failing:

    PYTHONPATH=. python tests/docs/measure_tablegen.py rate [N] [FAMILY ...]
        N examples per family drawn from random.Random(seed) (default 300): how many read back
        exactly, and the seed of the first that does not (``show FAMILY SEED`` prints it);
    PYTHONPATH=. python tests/docs/measure_tablegen.py time [N] [FAMILY ...]
        N examples per family through Hypothesis with the property tests' settings (default
        2000), counted instead of asserted: the seconds a passing run of the property test
        takes, and how many of Hypothesis's examples read back;
    PYTHONPATH=. python tests/docs/measure_tablegen.py show FAMILY SEED
        one example: the rendered text (or the file's text as its reader gives it), the truth
        and what was read.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.docs.tablegen import FAMILIES, SUBROWS, build_table, matches, read_back, tables


def _one(family: str, seed: int) -> tuple[Any, Any, bool]:
    rng = random.Random(seed)
    table = build_table(rng, subrows=SUBROWS.get(family, False))
    with tempfile.TemporaryDirectory() as tmp:
        rendered, found = read_back(family, table, rng, Path(tmp))
        if isinstance(rendered, Path):
            from rag.docs.readers import read_file

            rendered = read_file(rendered)
    return (table, rendered), found, matches(table, found)


def rate(n: int, families: list[str]) -> None:
    """Exact readings per family; "but spaces": the others that would be exact were the spaces
    left in cells taken out (the 1 （2024年） kind); "no table": none found at all."""
    print(
        f"{'family':10} {'exact':>7} {'fail rate':>9} {'but spaces':>10} {'no table':>8}  first failing seed"
    )
    for family in families:
        ok, spaces, none, first = 0, 0, 0, None
        for seed in range(n):
            (table, _), found, good = _one(family, seed)
            ok += good
            if not good:
                spaces += len(found) == 1 and _squeeze(found[0]) == (table.header, table.rows)
                none += not found
                first = seed if first is None else first
        print(f"{family:10} {ok:>3}/{n:<3} {1 - ok / n:>9.1%} {spaces:>10} {none:>8}  {first}")


def _squeeze(table: Any) -> tuple[list[str], list[list[str]]]:
    return [re.sub(r"\s", "", c) for c in table.header], [
        [re.sub(r"\s", "", c) for c in r] for r in table.rows
    ]


def timing(n: int, families: list[str]) -> None:
    print(f"{'family':10} {'examples':>8} {'exact':>6} {'seconds':>8}")
    for family in families:
        count, counts = _counter(family, n)
        start = time.perf_counter()
        count()
        seconds = time.perf_counter() - start
        print(f"{family:10} {counts['all']:>8} {counts['ok']:>6} {seconds:>8.1f}", flush=True)


def _counter(family: str, n: int) -> tuple[Callable[[], None], dict[str, int]]:
    """The property test of ``family`` with the same settings, counting instead of asserting."""
    counts = {"ok": 0, "all": 0}

    @settings(
        max_examples=n,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(table=tables(subrows=SUBROWS.get(family, False)), data=st.data())
    def count(table: Any, data: Any) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            _, found = read_back(family, table, data, Path(tmp))
        counts["all"] += 1
        counts["ok"] += matches(table, found)

    return count, counts


def show(family: str, seed: int) -> None:
    (table, rendered), found, good = _one(family, seed)
    print(rendered)
    print("truth:", table.header)
    for row in table.rows:
        print("      ", row)
    for t in found:
        print("read: ", t.header)
        for row in t.rows:
            print("      ", row)
    print("exact" if good else "NOT exact")


def main(argv: list[str]) -> None:
    mode, *rest = argv or ["rate"]
    if mode == "show":
        show(rest[0], int(rest[1]))
        return
    n = int(rest[0]) if rest else (300 if mode == "rate" else 2000)
    families = rest[1:] or list(FAMILIES)
    (rate if mode == "rate" else timing)(n, families)


if __name__ == "__main__":
    main(sys.argv[1:])
