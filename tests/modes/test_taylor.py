"""Taylor mode's numbers: against mpmath at 30 digits, against nested forward mode for every
op in the catalogue, recurrences against the partials rules, and what it costs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, Final

import pytest

import rulegrad as rg
from rulegrad.kernel import BUILTIN
from rulegrad.kernel.recurrences import RECURRENCES, recurrence
from rulegrad.modes.taylor import TaylorEngine
from rulegrad.transforms.series import expand

mpmath = pytest.importorskip("mpmath", reason="mpmath is the reference (in the dev extra)")


class _Mpmath:
    """mpmath under rulegrad's op names, so that each test function is written once."""

    exp = staticmethod(mpmath.exp)
    log = staticmethod(mpmath.log)
    log1p = staticmethod(mpmath.log1p)
    expm1 = staticmethod(mpmath.expm1)
    log2 = staticmethod(lambda x: mpmath.log(x, 2))
    log10 = staticmethod(mpmath.log10)
    sqrt = staticmethod(mpmath.sqrt)
    sin, cos, tan = staticmethod(mpmath.sin), staticmethod(mpmath.cos), staticmethod(mpmath.tan)
    asin, acos = staticmethod(mpmath.asin), staticmethod(mpmath.acos)
    atan, atan2 = staticmethod(mpmath.atan), staticmethod(mpmath.atan2)
    hypot = staticmethod(mpmath.hypot)
    sinh, cosh = staticmethod(mpmath.sinh), staticmethod(mpmath.cosh)
    tanh, asinh = staticmethod(mpmath.tanh), staticmethod(mpmath.asinh)
    acosh, atanh = staticmethod(mpmath.acosh), staticmethod(mpmath.atanh)
    erf, erfc = staticmethod(mpmath.erf), staticmethod(mpmath.erfc)
    sigmoid = staticmethod(lambda x: 1 / (1 + mpmath.exp(-x)))
    relu = staticmethod(lambda x: x if x > 0 else 0 * x)
    maximum = staticmethod(lambda x, y: x if x >= y else y)
    minimum = staticmethod(lambda x, y: x if x <= y else y)
    sign = staticmethod(lambda x: mpmath.sign(x))
    add = staticmethod(lambda x, y: x + y)
    sub = staticmethod(lambda x, y: x - y)
    mul = staticmethod(lambda x, y: x * y)
    div = staticmethod(lambda x, y: x / y)
    neg = staticmethod(lambda x: -x)
    pow = staticmethod(lambda x, y: x**y)
    sum = staticmethod(mpmath.fsum)
    dot = staticmethod(lambda xs, ys: mpmath.fdot(xs, ys))


class _Recording:
    """rulegrad's namespace, noting which ops a function names."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.names.add(name)
        return getattr(rg, name)


# Each function takes the namespace of ops `m` (rulegrad or mpmath) and x. Together they use
# every built-in op (checked below), the operators included.
FUNCTIONS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "exp(sin(x)) * x": lambda m, x: m.exp(m.sin(x)) * x,
    "arithmetic": lambda m, x: (
        (x * x - 3 * x + 1) / (x + 2) - m.neg(x) * m.sub(x, 0.25)
        + m.add(x, 1) * m.mul(x, x) + m.div(1, 3 - x)
    ),
    "exp, log, pow, sqrt": lambda m, x: (
        m.pow(x, 2.5) + m.pow(1.7, x) + x**3 - m.expm1(x) + m.log1p(x)
        + m.log(x + 1) * m.sqrt(x + 2) + m.log2(x + 1) - m.log10(x + 3)
    ),
    "variable exponents": lambda m, x: x**x + m.pow(x + 1, m.sin(x)),
    "trigonometric": lambda m, x: (
        m.sin(x) * m.cos(2 * x) + m.tan(x) + m.asin(x / 2) * m.acos(x / 3) + m.atan(x)
        + m.atan2(x, 1 + x * x) + m.hypot(x, 2)
    ),
    "hyperbolic": lambda m, x: (
        m.sinh(x) * m.tanh(x) + m.cosh(x) / (1 + x) + m.asinh(x) + m.atanh(x / 2)
        + m.acosh(x + 2)
    ),
    "erf and sigmoid": lambda m, x: m.erf(x) * m.erfc(x / 2) + m.sigmoid(3 * x),
    "reductions": lambda m, x: (
        m.sum([x, x * x, m.sin(x)]) * m.dot([x, 2.0, m.exp(x)], [m.exp(x), x, x])
    ),
    "piecewise linear": lambda m, x: (
        abs(x - 3) * m.relu(x) + m.maximum(x, 2 * x) - m.minimum(x, -x) * m.exp(x)
        + m.sign(x - 0.1) * x
    ),
    "composition": lambda m, x: m.log(1 + m.exp(m.tanh(x) * m.sqrt(1 + x * x))),
}  # fmt: skip

ORDER: Final = 30


def _scaled_errors(got: Sequence[float], expected: Sequence[Any]) -> list[float]:
    """|got_k - expected_k| over the size of the coefficients at orders k-2..k.

    Coefficients grow or shrink geometrically with k (by the radius of convergence), and one
    of them may be near zero by cancellation: its error is measured against its neighbours.
    """
    errors = []
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        size = max(abs(c) for c in expected[max(0, k - 2) : k + 1])
        errors.append(float(abs(mpmath.mpf(g) - e) / size) if size else abs(g))
    return errors


@functools.cache
def _reference(name: str, x0: float) -> list[Any]:
    with mpmath.workdps(30):
        f = FUNCTIONS[name]
        return list(mpmath.taylor(lambda x: f(_Mpmath, x), mpmath.mpf(x0), ORDER))


@pytest.mark.parametrize("recurrences", [True, False], ids=["recurrences", "rules only"])
@pytest.mark.parametrize("x0", [0.4, 1.1])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_coefficients_match_mpmath_to_order_30(name: str, x0: float, recurrences: bool) -> None:
    f = FUNCTIONS[name]
    expected = _reference(name, x0)
    _, (got,) = expand(lambda x: f(rg, x), [[x0, 1.0] + [0.0] * (ORDER - 1)], ORDER, "test",
                       engine=TaylorEngine(recurrences=recurrences))  # fmt: skip
    with mpmath.workdps(30):
        errors = _scaled_errors(got, expected)
    worst = max(range(ORDER + 1), key=lambda k: errors[k])
    assert len(got) == ORDER + 1 and all(type(c) is float for c in got)
    assert errors[worst] < 1e-10, f"{name} at {x0}: coefficient {worst}: {got[worst]!r} vs " + (
        mpmath.nstr(expected[worst], 20)
    )


def test_taylor_is_expand_along_x_plus_t() -> None:
    f = FUNCTIONS["trigonometric"]
    _, (line,) = expand(lambda x: f(rg, x), [[0.4, 1.0] + [0.0] * 9], 10, "test")
    assert rg.taylor(lambda x: f(rg, x), order=10)(0.4) == line


def test_the_reference_functions_use_every_built_in_op() -> None:
    recording = _Recording()
    for f in FUNCTIONS.values():
        f(recording, 0.4)
    through_operators = {"add", "sub", "mul", "div", "pow", "abs"}
    builtin = {op.name for op in rg.registry if op.source == BUILTIN}
    assert builtin - recording.names - through_operators == set()


def _nested_forward(g: Callable[[float], float], order: int) -> Callable[[float], float]:
    """The order-th derivative by nesting forward mode (the old rg.derivative)."""
    for _ in range(order):
        g = (lambda h: lambda t: rg.jvp(h, (t,), (1.0,))[1])(g)
    return g


_DIRECTIONS: Final = (1.0, -0.5, 0.75, 0.25)
_BUILTIN_CASES: Final = [
    pytest.param(op, point, id=f"{op.name}{point}")
    for op in rg.registry
    if op.source == BUILTIN
    for point in op.samples
]


@pytest.mark.parametrize("recurrences", [True, False], ids=["recurrences", "rules only"])
@pytest.mark.parametrize(("op", "point"), _BUILTIN_CASES)
def test_every_op_agrees_with_nested_forward_mode(
    op: rg.Op, point: tuple[float, ...], recurrences: bool
) -> None:
    # Along a line through the sample point, every input moving, up to order 4.
    def g(t: float) -> float:
        return op(*(p + d * t for p, d in zip(point, _DIRECTIONS, strict=False)))

    order = 4
    _, (got,) = expand(g, [[0.0, 1.0, 0.0, 0.0, 0.0]], order, "test",
                       engine=TaylorEngine(recurrences=recurrences))  # fmt: skip
    for k in range(order + 1):
        expected = _nested_forward(g, k)(0.0)
        assert math.isclose(got[k] * math.factorial(k), expected, rel_tol=1e-12, abs_tol=1e-12), (
            f"{op.name} at {point}, order {k}"
        )


def _both_ways(f: Callable[[float], float], x0: float, order: int) -> tuple[list[float], ...]:
    line = [x0, 1.0] + [0.0] * (order - 1)
    results = []
    for recurrences in (True, False):
        _, (coefficients,) = expand(f, [line], order, "test",
                                    engine=TaylorEngine(recurrences=recurrences))  # fmt: skip
        results.append(coefficients)
    return tuple(results)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x * rg.exp(x) * (x - 1.0),
        lambda x: 1.0 / (x + 2.0),
        lambda x: rg.sin(x) / (1.5 + rg.cos(x)),
        lambda x: 3.0 / x - x / 4.0,
        lambda x: x**2.5 - x**-1.5 + x**3 + x**0.0 + x**1.0,
        lambda x: (2.0 + rg.sin(x)) ** 0.3 * rg.sqrt(x),
        lambda x: (-x) ** 3.0,
        lambda x: x**x,  # a varying exponent: the recurrence does not apply, the rule does
    ],
    ids=["mul", "div", "div of series", "div by constant", "pow", "pow of series", "odd", "x**x"],
)
def test_declared_recurrences_agree_with_the_rules(f: Callable[[float], float]) -> None:
    for x0 in (0.3, 1.7):
        fast, reference = _both_ways(f, x0, 30)
        for k, (a, b) in enumerate(zip(fast, reference, strict=True)):
            size = max(map(abs, reference[max(0, k - 2) : k + 1]))
            assert abs(a - b) <= 1e-11 * size, (k, a, b)


def test_the_pow_recurrence_keeps_digits_the_rule_chain_loses() -> None:
    # pow's rule a * u**(a-1) makes u**(a-2), u**(a-3), ...: powers of a series whose
    # coefficients grow and alternate, so the chain cancels digits at high orders (about 1e-7
    # at order 28 here). The recurrence x out' = a x' out does not, which is why it is declared.
    # Up to order 12 the two agree closely.
    f = lambda x: (1.0 + x * x) ** 0.3
    fast, reference = _both_ways(f, 1.7, 30)
    for k in range(13):
        assert math.isclose(fast[k], reference[k], rel_tol=1e-10, abs_tol=1e-14), k
    with mpmath.workdps(30):
        expected = mpmath.taylor(lambda x: (1 + x * x) ** mpmath.mpf(0.3), mpmath.mpf(1.7), 30)
        assert max(_scaled_errors(fast, expected)) < 1e-13


def test_the_recurrences_are_declared_with_their_ops() -> None:
    assert {op.name for op in RECURRENCES if op.source == BUILTIN} == {"mul", "div", "pow"}
    with pytest.raises(rg.RuleError, match="already has a Taylor recurrence"):
        recurrence(rg.mul)(lambda out, x, y: None)


def _series_made(f: Callable[[float], float], order: int, recurrences: bool) -> int:
    engine = TaylorEngine(recurrences=recurrences)
    expand(f, [[0.4, 1.0] + [0.0] * (order - 1)], order, "test", engine=engine)
    return len(engine.memo)


@pytest.mark.parametrize("recurrences", [True, False], ids=["recurrences", "rules only"])
@pytest.mark.parametrize(
    "op", [op for op in rg.registry if op.source == BUILTIN and op.arity == 1], ids=str
)
def test_series_made_grow_at_most_linearly_with_the_order(op: rg.Op, recurrences: bool) -> None:
    # Rule chains (1/x -> -1/x^2 -> ...) are as long as the order, and no longer: without the
    # engine's memo a rule refers back through fresh series and the count grows exponentially.
    point = op.samples[-1][0]
    f: Callable[[float], float] = lambda x: op(x + point - 0.4)
    counts = [_series_made(f, order, recurrences) for order in (8, 16, 32)]
    assert counts[2] - counts[1] <= 2 * (counts[1] - counts[0]) + 1, counts
    assert counts[2] <= 12 * 32, counts  # a few chains of one series per order


def test_closed_rules_make_a_fixed_number_of_series() -> None:
    # exp's rule is its own output; sin's and cos's refer to each other through the memo.
    f = lambda x: rg.exp(rg.sin(x)) * x + rg.tanh(x) + rg.sinh(x)
    assert _series_made(f, 5, True) == _series_made(f, 40, True)


def test_a_deep_chain_runs_without_recursion() -> None:
    # 60,000 ops deep: far past Python's recursion limit. The chain x <- x - h x^2 is a
    # polynomial map, so its Taylor coefficients follow by plain float series arithmetic.
    steps, order, x0 = 20_000, 3, 0.5
    h = 1.0 / steps

    def chain(x: float) -> float:
        for _ in range(steps):
            x = x - h * x * x
        return x

    expected = [x0, 1.0, 0.0, 0.0]
    for _ in range(steps):
        square = [sum(expected[j] * expected[k - j] for j in range(k + 1)) for k in range(4)]
        expected = [c - h * s for c, s in zip(expected, square, strict=True)]
    got = rg.taylor(chain, order=order)(x0)
    for g, e in zip(got, expected, strict=True):
        assert math.isclose(g, e, rel_tol=1e-9)


@pytest.mark.parametrize(
    "f",
    [lambda x: rg.exp(rg.sin(x)) * x, lambda x: rg.atan(x) / (1.0 + x * x), lambda x: x**7],
    ids=["exp(sin(x)) * x", "atan(x) / (1 + x^2)", "x^7"],
)
def test_derivative_agrees_with_nested_forward_mode(f: Callable[[float], float]) -> None:
    for order in range(7):
        got = rg.derivative(f, order=order)(0.6)
        expected = _nested_forward(f, order)(0.6)
        assert math.isclose(got, expected, rel_tol=1e-12), order


def test_derivative_of_polynomials_is_exact() -> None:
    assert rg.derivative(lambda x: x**5, order=5)(3.0) == 120.0
    assert rg.derivative(lambda x: x**5, order=6)(3.0) == 0.0
    assert [rg.derivative(lambda x: x**4, order=k)(2.0) for k in range(5)] == [
        16.0, 32.0, 48.0, 48.0, 24.0,
    ]  # fmt: skip
    assert rg.derivative(lambda x: 3.0, order=4)(1.0) == 0.0
    assert rg.derivative(lambda x: x * x, order=3)(2) == 0.0  # an int argument


def test_high_orders_of_sin_and_exp() -> None:
    assert rg.derivative(rg.sin, order=50)(0.7) == pytest.approx(-math.sin(0.7), rel=1e-12)
    assert rg.derivative(rg.exp, order=40)(0.7) == pytest.approx(math.exp(0.7), rel=1e-12)
    coefficients = rg.taylor(lambda x: 1.0 / (1.0 - x), order=50)(0.5)
    assert coefficients == pytest.approx([2.0 ** (k + 1) for k in range(51)], rel=1e-13)
