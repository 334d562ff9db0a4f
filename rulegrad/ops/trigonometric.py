"""Trigonometric functions and their inverses."""

from __future__ import annotations

import math

from rulegrad.kernel import OpCode, UnaryOp
from rulegrad.ops._define import binary, unary
from rulegrad.ops.arithmetic import add, div, mul, neg, sub
from rulegrad.ops.exponential import sqrt

__all__ = ["acos", "asin", "atan", "atan2", "cos", "hypot", "sin", "tan"]

_ANY = ((-1.5,), (0.5,), (2.0,))
_UNIT = ((-0.6,), (0.1,), (0.8,))

cos: UnaryOp  # the two rules refer to each other
sin = unary("sin", math.sin, lambda out, x: (cos(x),), samples=_ANY, code=OpCode("_m.sin({0})"))

cos = unary(
    "cos", math.cos, lambda out, x: (neg(sin(x)),), samples=_ANY, code=OpCode("_m.cos({0})")
)

# Poles at pi/2 + k*pi, where the forward value is already huge.
tan = unary(
    "tan", math.tan, lambda out, x: (add(1.0, mul(out, out)),), samples=_ANY,
    code=OpCode("_m.tan({0})"),
)  # fmt: skip


def _hypot(x: float, y: float) -> float:
    return math.hypot(x, y)


# A cone at the origin: no derivative there.
hypot = binary(
    "hypot", _hypot, lambda out, x, y: (div(x, out), div(y, out)),
    singularities="hypot has no derivative at the origin",
    samples=((0.5, 1.0), (-1.0, 0.25), (2.0, -1.5)), code=OpCode("_m.hypot({0}, {1})"),
)  # fmt: skip


def _unit_slope(x: float) -> float:
    """1 / sqrt((1 - x)(1 + x)): infinite at the ends of [-1, 1]."""
    return div(1.0, sqrt(mul(sub(1.0, x), add(1.0, x))))


asin = unary(
    "asin", math.asin, lambda out, x: (_unit_slope(x),), domain="-1 <= x <= 1",
    singularities="asin has an infinite slope at x = -1 and x = 1", samples=_UNIT,
    code=OpCode("_m.asin({0})"),
)  # fmt: skip

acos = unary(
    "acos", math.acos, lambda out, x: (neg(_unit_slope(x)),), domain="-1 <= x <= 1",
    singularities="acos has an infinite slope at x = -1 and x = 1", samples=_UNIT,
    code=OpCode("_m.acos({0})"),
)  # fmt: skip


def _atan_slope(x: float) -> float:
    """1 / (1 + x * x), as (1 / hypot(1, x)) ** 2: no overflow of x * x for huge x."""
    root = div(1.0, hypot(1.0, x))
    return mul(root, root)


atan = unary(
    "atan", math.atan, lambda out, x: (_atan_slope(x),), samples=_ANY, code=OpCode("_m.atan({0})")
)


def _atan2_partials(out: float, y: float, x: float) -> tuple[float, float]:
    # x / (x*x + y*y) as (x / r) / r with r = hypot(x, y): no overflow or underflow of the
    # squares where the quotient is an ordinary number (at (0, 1e-200) it is 1e200).
    r = hypot(y, x)
    return div(div(x, r), r), neg(div(div(y, r), r))


# The angle is undefined at the origin, so are its derivatives.
atan2 = binary(
    "atan2", math.atan2, _atan2_partials, singularities="atan2 has no derivative at the origin",
    samples=((0.5, 1.0), (-1.0, 0.25), (2.0, -1.5)), code=OpCode("_m.atan2({0}, {1})"),
)  # fmt: skip
