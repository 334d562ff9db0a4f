"""Arithmetic: + - * / negation, sign, and the piecewise-linear ops.

Kinks (abs at 0, relu at 0, ties in maximum/minimum) take the subgradient PyTorch and JAX
use: 0 for abs and relu, an even split for ties. These are conventions, not singularities.
The rules of the piecewise ops select with `sign` and two small steps, ops whose own
derivative is zero, so that every rule is straight-line code that can be traced.
"""

from __future__ import annotations

import math

from rulegrad.kernel import BinaryOp, OpCode
from rulegrad.kernel.recurrences import Coefficients, Step, cauchy, coefficient, recurrence
from rulegrad.ops._define import binary, helper, unary

__all__ = ["abs", "add", "div", "maximum", "minimum", "mul", "neg", "relu", "sign", "sub"]

_PAIRS = ((-1.5, 0.75), (0.5, 2.0), (3.0, -1.25))
_ANY = ((-1.5,), (0.5,), (2.0,))


def _add(x: float, y: float) -> float:
    return x + y


add = binary("add", _add, lambda out, x, y: (1.0, 1.0), samples=_PAIRS, code=OpCode("{0} + {1}"))


def _sub(x: float, y: float) -> float:
    return x - y


sub = binary("sub", _sub, lambda out, x, y: (1.0, -1.0), samples=_PAIRS, code=OpCode("{0} - {1}"))


def _mul(x: float, y: float) -> float:
    return x * y


mul = binary("mul", _mul, lambda out, x, y: (y, x), samples=_PAIRS, code=OpCode("{0} * {1}"))


@recurrence(mul)  # Taylor mode: the Cauchy product, half the work of the rule's two sums
def _mul_series(out: Coefficients, x: Coefficients, y: Coefficients) -> Step:
    return lambda k: cauchy(x, y, k)


def _neg(x: float) -> float:
    return -x


neg = unary("neg", _neg, lambda out, x: (-1.0,), samples=_ANY, code=OpCode("-{0}"))


def _div(x: float, y: float) -> float:
    return x / y


div: BinaryOp
# y == 0 fails in the forward pass (DivisionByZeroError), so the rule never sees it.
# d/dy is -(x/y)/y, not -x/y**2, which would overflow or underflow where the answer does not.
div = binary(
    "div", _div, lambda out, x, y: (div(1.0, y), neg(div(out, y))),
    domain="y != 0", samples=_PAIRS, code=OpCode("{0} / {1}"),
)  # fmt: skip


# Taylor mode: from x = out * y. The rule's -out/y has the rule -(-out/y)/y, and so on: a
# chain of k quotients for coefficient k, where this costs O(k).
@recurrence(div)
def _div_series(out: Coefficients, x: Coefficients, y: Coefficients) -> Step:
    y0 = y[0]
    return lambda k: (coefficient(x, k) - cauchy(y, out, k, start=1)) / y0


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0 if x == 0.0 else x  # nan stays nan


# A step: its derivative is 0 wherever it exists (and taken as 0 at 0, as for abs).
sign = unary(
    "sign", _sign, lambda out, x: (0.0,), samples=_ANY,
    code=OpCode(
        "(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0 if {0} == 0.0 else {0})",
        array="_m.where({0} > 0.0, 1.0, _m.where({0} < 0.0, -1.0, _m.where({0} == 0.0, 0.0, {0})))",
    ),
)  # fmt: skip

abs = unary("abs", math.fabs, lambda out, x: (sign(x),), samples=_ANY, code=OpCode("_m.fabs({0})"))


def _step(x: float) -> float:
    return 1.0 if x > 0.0 else 0.0


# relu's slope: 1 above 0, else 0 (0 at 0, as in micrograd, PyTorch and JAX).
_relu_slope = helper(
    "relu", _step, lambda out, x: (0.0,),
    code=OpCode("(1.0 if {0} > 0.0 else 0.0)", array="_m.where({0} > 0.0, 1.0, 0.0)"),
)  # fmt: skip


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


relu = unary(
    "relu", _relu, lambda out, x: (_relu_slope(x),), samples=_ANY,
    code=OpCode("({0} if {0} > 0.0 else 0.0)", array="_m.where({0} > 0.0, {0}, 0.0)"),
)  # fmt: skip


def _above(x: float, y: float) -> float:
    return 1.0 if x > y else 0.0 if x < y else 0.5


# The share of d max(x, y) that goes to x: 1 if x is the larger, 0 if y is, half on a tie.
_max_share = helper(
    "maximum", _above, lambda out, x, y: (0.0, 0.0),
    code=OpCode(
        "(1.0 if {0} > {1} else 0.0 if {0} < {1} else 0.5)",
        array="_m.where({0} > {1}, 1.0, _m.where({0} < {1}, 0.0, 0.5))",
    ),
)  # fmt: skip


def _maximum(x: float, y: float) -> float:
    return x if x >= y else y


maximum = binary(
    "maximum", _maximum, lambda out, x, y: (_max_share(x, y), _max_share(y, x)),
    samples=_PAIRS,
    code=OpCode("({0} if {0} >= {1} else {1})", array="_m.where({0} >= {1}, {0}, {1})"),
)  # fmt: skip


def _minimum(x: float, y: float) -> float:
    return x if x <= y else y


minimum = binary(
    "minimum", _minimum, lambda out, x, y: (_max_share(y, x), _max_share(x, y)),
    samples=_PAIRS,
    code=OpCode("({0} if {0} <= {1} else {1})", array="_m.where({0} <= {1}, {0}, {1})"),
)  # fmt: skip
