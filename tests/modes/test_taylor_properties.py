"""Property test on random expression graphs: Taylor mode = nested forward mode.

The expressions of `test_properties.py` (smooth ops kept inside their domains), expanded by
`rg.jet` along a random line through a random point, against forward mode nested up to
three times along the same line.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rulegrad as rg
from tests.modes.test_properties import NVARS, Expr, expressions, points

directions = st.tuples(*[st.floats(-1.0, 1.0, allow_nan=False) for _ in range(NVARS)])
ORDER = 3


def _nested_forward(g: Callable[[float], float], order: int) -> float:
    for _ in range(order):
        g = (lambda h: lambda t: rg.jvp(h, (t,), (1.0,))[1])(g)
    return g(0.0)


@settings(max_examples=100, deadline=None)
@given(expressions, points, directions)
def test_jet_equals_nested_forward_mode(
    expr: Expr, point: tuple[float, ...], direction: tuple[float, ...]
) -> None:
    value = expr(*point)
    assume(math.isfinite(value) and abs(value) < 1e6)
    series = [[d] + [0.0] * (ORDER - 1) for d in direction]  # x(t) = point + t direction
    out, terms = rg.jet(expr, point, series)
    line = lambda t: expr(*(p + d * t for p, d in zip(point, direction, strict=True)))
    expected = [_nested_forward(line, k) for k in range(1, ORDER + 1)]
    assume(all(math.isfinite(e) and abs(e) < 1e8 for e in expected))
    assert out == value
    scale = max(1.0, *map(abs, expected))
    for k, (got, want) in enumerate(zip(terms, expected, strict=True), start=1):
        assert abs(got - want) <= 1e-9 * scale, (str(expr), k, got, want)
