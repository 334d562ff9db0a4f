"""Every catalogue entry: forward value vs `math`, derivatives vs finite differences.

The table is built from the registry itself, so an op is tested the moment it is
registered; a built-in op without a reference value below fails loudly.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Final

import pytest

import rulegrad as rg
from tests.helpers import MODE_PAIRS, MODES, assert_close, central_difference, nested_second

REFERENCE: Final[dict[str, Callable[..., float]]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "neg": operator.neg,
    "pow": math.pow,
    "abs": math.fabs,
    "relu": lambda x: max(0.0, x),
    "sign": lambda x: math.copysign(1.0, x) if x else 0.0,
    "maximum": max,
    "minimum": min,
    "exp": math.exp,
    "log": math.log,
    "log2": math.log2,
    "log10": math.log10,
    "log1p": math.log1p,
    "expm1": math.expm1,
    "sqrt": math.sqrt,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "hypot": math.hypot,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "asinh": math.asinh,
    "acosh": math.acosh,
    "atanh": math.atanh,
    "erf": math.erf,
    "erfc": math.erfc,
    "sum": lambda *xs: math.fsum(xs),
    "dot": lambda *v: math.fsum(
        a * b for a, b in zip(v[: len(v) // 2], v[len(v) // 2 :], strict=True)
    ),
}

CONTRACT_OPS: Final = (
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "log1p", "expm1", "sqrt",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "sigmoid",
    "relu", "abs", "maximum", "minimum", "erf", "sum", "dot",
)  # fmt: skip


def _points(op: rg.Op) -> list[tuple[float, ...]]:
    if op.samples:
        return list(op.samples)
    arity = 3 if op.arity is None else op.arity
    return [tuple(0.3 + 0.4 * k + 0.1 * i for i in range(arity)) for k in range(3)]


CASES: Final = [
    pytest.param(op, point, id=f"{op.name}{point}") for op in rg.registry for point in _points(op)
]


def test_contract_ops_are_registered() -> None:
    missing = [name for name in CONTRACT_OPS if name not in rg.registry]
    assert missing == []


def test_every_builtin_has_a_reference() -> None:
    builtins = {op.name for op in rg.registry if op.source == "built-in"}
    assert builtins - REFERENCE.keys() == set()


@pytest.mark.parametrize(("op", "point"), CASES)
def test_forward_value(op: rg.Op, point: tuple[float, ...]) -> None:
    expected = REFERENCE[op.name](*point) if op.name in REFERENCE else op.forward(*point)
    got = op(*point)
    assert type(got) is float
    assert_close(got, expected, f"{op.name}{point}", rtol=1e-12)
    # The nodes carry the same primal.
    assert op(*map(rg.Value, point)).data == got
    assert op(*(rg.Dual(p) for p in point)).primal == got


@pytest.mark.parametrize(("op", "point"), CASES)
def test_first_derivatives(op: rg.Op, point: tuple[float, ...]) -> None:
    for i in range(len(point)):
        expected = central_difference(op.forward, point, i)
        # Hand-built nodes: Dual with a unit tangent, Value with backward().
        duals = [rg.Dual(p, 1.0 if k == i else 0.0) for k, p in enumerate(point)]
        assert_close(op(*duals).tangent, expected, f"Dual d{op.name}/dx{i} at {point}")
        leaves = [rg.Value(p) for p in point]
        op(*leaves).backward()
        assert_close(leaves[i].grad, expected, f"Value d{op.name}/dx{i} at {point}")
        for mode in MODES:
            got = rg.grad(op, argnums=i, mode=mode)(*point)
            assert_close(got, expected, f"{mode} d{op.name}/dx{i} at {point}")


@pytest.mark.parametrize(("op", "point"), CASES)
def test_second_derivatives(op: rg.Op, point: tuple[float, ...]) -> None:
    for i in range(len(point)):
        for j in range(len(point)):
            # Finite differences of the (already checked) first derivative.
            first = rg.grad(op, argnums=j)
            expected = central_difference(first, point, i)
            for outer, inner in MODE_PAIRS:
                got = nested_second(op, point, i, j, outer, inner)
                assert_close(got, expected, f"{outer}/{inner} d2{op.name}/dx{i}dx{j} at {point}")


@pytest.mark.parametrize(("op", "point"), CASES)
def test_third_derivative_agrees_across_modes(op: rg.Op, point: tuple[float, ...]) -> None:
    # Rules are written with rg ops, so they differentiate again at every order.
    f: Callable[[float], float] = lambda x: op(x, *point[1:])
    third = rg.derivative(f, order=3)(point[0])
    expected = central_difference(rg.derivative(f, order=2), point[:1], 0)
    assert_close(third, expected, f"d3{op.name}/dx0^3 at {point}", rtol=1e-5)


# Points where a partial is constant for a constant argument but not when that argument is
# itself differentiated: hypothesis found pow's d/dx taken as 0.0 at y == 0 while y moved.
@pytest.mark.parametrize(("outer", "inner"), MODE_PAIRS)
def test_pow_mixed_partial_where_the_exponent_is_zero(
    outer: rg.ModeLike, inner: rg.ModeLike
) -> None:
    # d^2/dx dy x**y = x**(y-1) * (1 + y * log(x)); at (x, y) = (b, 0) that is 1/b.
    for base in (1.0, 2.0, 0.5):
        point = (base, 0.0)
        expected = 1.0 / base
        assert_close(
            nested_second(rg.pow, point, 0, 1, outer, inner), expected, f"dx dy at {point}"
        )
        assert_close(
            nested_second(rg.pow, point, 1, 0, outer, inner), expected, f"dy dx at {point}"
        )
    assert rg.grad(lambda x: x**0.0, mode=inner)(2.0) == 0.0  # a constant 0 exponent stays 0


@pytest.mark.parametrize(("outer", "inner"), MODE_PAIRS)
def test_pow_slope_in_the_base_of_the_exponent_partial_at_zero(
    outer: rg.ModeLike, inner: rg.ModeLike
) -> None:
    # d/dy x**y is 0 at x == 0 for y > 0, but its slope in x there is infinite for y <= 1
    # and 0 for y > 1.
    with pytest.raises(rg.DomainError, match=r"derivative of pow is undefined at x=0\.0, y=0\.5"):
        nested_second(rg.pow, (0.0, 0.5), 0, 1, outer, inner)
    assert nested_second(rg.pow, (0.0, 3.0), 0, 1, outer, inner) == 0.0
    assert rg.grad(lambda y: 0.0**y, mode=inner)(0.5) == 0.0
