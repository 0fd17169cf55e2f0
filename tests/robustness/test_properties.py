"""Property-based tests (hypothesis) of the outline parser and the number normaliser (issue 8)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rag.numbers import Quantity, quantities, unsupported


def values(text: str) -> list[tuple[float, bool]]:
    return [(q.value, q.percent) for q in quantities(text)]


@given(st.integers(min_value=0, max_value=10**9))
def test_any_integer_reads_back(n: int) -> None:
    assert Quantity(float(n)).same(quantities(f"共{n}个")[0])


@given(st.integers(min_value=0, max_value=10**6))
def test_full_width_digits_read_as_ascii(n: int) -> None:
    full = "".join(chr(ord(c) - ord("0") + ord("０")) for c in str(n))
    assert values(f"达到{full}%") == values(f"达到{n}%") == [(float(n), True)]


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(["万", "亿"]))
def test_multipliers(n: int, mult: str) -> None:
    factor = 1e4 if mult == "万" else 1e8
    assert unsupported(f"{n}{mult}元", [f"合计{int(n * factor)}元"]) == []
