"""Property tests on random expression graphs: forward = reverse = finite differences.

Expressions are trees over three variables built from smooth ops composed so that every
intermediate stays inside its op's domain (`log(1 + x*x)`, `sqrt(1 + x*x)`, ...). Kinks
(relu, abs, maximum at ties) are left out: finite differences straddling a kink disagree
with any subgradient, so they are covered by the table tests at points away from kinks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rulegrad as rg
from tests.helpers import MODE_PAIRS, central_difference, close

NVARS: Final = 3

UNARY: Final[dict[str, Callable[[float], float]]] = {
    "sin": rg.sin,
    "cos": rg.cos,
    "tanh": rg.tanh,
    "sigmoid": rg.sigmoid,
    "atan": rg.atan,
    "erf": rg.erf,
    "neg": rg.neg,
    "exp_tanh": lambda x: rg.exp(rg.tanh(x)),
    "log_1px2": lambda x: rg.log(1.0 + x * x),
    "sqrt_1px2": lambda x: rg.sqrt(1.0 + x * x),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "asinh": rg.asinh,
    "log1p_x2": lambda x: rg.log1p(x * x),
    "expm1_sin": lambda x: rg.expm1(rg.sin(x)),
}

BINARY: Final[dict[str, Callable[[float, float], float]]] = {
    "add": rg.add,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (1.0 + y * y),
    "atan2": lambda x, y: rg.atan2(x, 2.0 + rg.sin(y)),
    "hypot": lambda x, y: rg.hypot(x, 1.0 + y * y),
    "pow": lambda x, y: (1.0 + x * x) ** rg.sin(y),
    "sum": lambda x, y: rg.sum([x, y, x]),
    "dot": lambda x, y: rg.dot([x, y], [y, 2.0]),
}


@dataclass(frozen=True)
class Expr:
    """An expression tree: a variable, a constant, or an op applied to subtrees."""

    kind: str
    name: str = ""
    value: float = 0.0
    children: tuple[Expr, ...] = ()

    def __call__(self, *xs: float) -> float:
        """Evaluate iteratively-safe recursion depth: trees are at most ~10 deep."""
        if self.kind == "var":
            return xs[int(self.name)]
        if self.kind == "const":
            return self.value
        args = [child(*xs) for child in self.children]
        return (UNARY[self.name] if self.kind == "unary" else BINARY[self.name])(*args)

    def __str__(self) -> str:
        if self.kind == "var":
            return "xyz"[int(self.name)]
        if self.kind == "const":
            return repr(self.value)
        return f"{self.name}({', '.join(map(str, self.children))})"


leaves = st.one_of(
    st.integers(0, NVARS - 1).map(lambda i: Expr("var", str(i))),
    st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: Expr("const", value=v)),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    unary = st.tuples(st.sampled_from(sorted(UNARY)), children).map(
        lambda t: Expr("unary", t[0], children=(t[1],))
    )
    binary = st.tuples(st.sampled_from(sorted(BINARY)), children, children).map(
        lambda t: Expr("binary", t[0], children=(t[1], t[2]))
    )
    return unary | binary


expressions = st.recursive(leaves, _extend, max_leaves=16)
points = st.tuples(*[st.floats(-1.5, 1.5, allow_nan=False) for _ in range(NVARS)])


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) and abs(v) < 1e6 for v in values)


@settings(max_examples=150, deadline=None)
@given(expressions, points)
def test_gradient_forward_equals_reverse_equals_finite_differences(
    expr: Expr, point: tuple[float, ...]
) -> None:
    value = expr(*point)
    assume(_finite(value))
    argnums = tuple(range(NVARS))
    reverse = rg.grad(expr, argnums=argnums, mode="reverse")(*point)
    forward = rg.grad(expr, argnums=argnums, mode="forward")(*point)
    assume(_finite(*reverse))
    for i in argnums:
        assert close(forward[i], reverse[i], rtol=1e-10, atol=1e-10), (str(expr), i)
        numeric = central_difference(expr, point, i)
        assert close(reverse[i], numeric, rtol=1e-4, atol=1e-5), (str(expr), i, numeric)


@settings(max_examples=60, deadline=None)
@given(expressions, points)
def test_second_order_agrees_in_all_four_mode_pairs(expr: Expr, point: tuple[float, ...]) -> None:
    assume(_finite(expr(*point)))
    hessian = rg.hessian(expr)(*point)
    assume(all(_finite(*row) for row in hessian))
    for i in range(NVARS):
        gradient_i = rg.grad(expr, argnums=i)
        for j in range(NVARS):
            numeric = central_difference(gradient_i, point, j)
            assert close(hessian[i][j], numeric, rtol=1e-4, atol=1e-5), (str(expr), i, j)
            for outer, inner in MODE_PAIRS:
                inner_grad = rg.grad(expr, argnums=i, mode=inner)
                got = rg.grad(inner_grad, argnums=j, mode=outer)(*point)
                assert close(got, hessian[i][j], rtol=1e-9, atol=1e-9), (str(expr), outer, inner)


@settings(max_examples=60, deadline=None)
@given(expressions, points, st.tuples(*[st.floats(-1.0, 1.0) for _ in range(NVARS)]))
def test_jvp_and_vjp_are_adjoint(
    expr: Expr, point: tuple[float, ...], direction: tuple[float, ...]
) -> None:
    # <J v, 1> computed by forward mode equals <v, J^T 1> computed by reverse mode.
    out, tangent = rg.jvp(expr, point, direction)
    assume(_finite(out, tangent))
    out_reverse, pullback = rg.vjp(expr, *point)
    cotangents = pullback(1.0)
    assert out == out_reverse
    along = math.fsum(c * d for c, d in zip(cotangents, direction, strict=True))
    assert close(tangent, along, rtol=1e-9, atol=1e-9), str(expr)
