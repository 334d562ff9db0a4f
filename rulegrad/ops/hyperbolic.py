"""Hyperbolic functions and their inverses."""

from __future__ import annotations

import math

from rulegrad.kernel import OpCode, UnaryOp
from rulegrad.ops._define import helper, unary
from rulegrad.ops.arithmetic import add, div, mul, sub
from rulegrad.ops.exponential import sqrt
from rulegrad.ops.trigonometric import hypot

__all__ = ["acosh", "asinh", "atanh", "cosh", "sinh", "tanh"]

_ANY = ((-1.5,), (0.5,), (2.0,))

cosh: UnaryOp  # the two rules refer to each other
sinh = unary(
    "sinh", math.sinh, lambda out, x: (cosh(x),), samples=_ANY, code=OpCode("_m.sinh({0})")
)

cosh = unary(
    "cosh", math.cosh, lambda out, x: (sinh(x),), samples=_ANY, code=OpCode("_m.cosh({0})")
)


def _sech2(x: float) -> float:
    """1 / cosh(x) ** 2, which is 1 - tanh(x) ** 2 without its rounding to 0 for |x| > 19."""
    if math.fabs(x) > 710.0:
        return 0.0  # cosh overflows; the slope is below the smallest float
    return (1.0 / math.cosh(x)) * (1.0 / math.cosh(x))


tanh: UnaryOp
# tanh' = sech(x) ** 2, whose own slope is -2 tanh(x) sech(x) ** 2.
_tanh_slope = helper(
    "tanh", _sech2, lambda out, x: (mul(-2.0, mul(tanh(x), out)),),
    code=OpCode(
        "(0.0 if _m.fabs({0}) > 710.0 else (1.0 / _m.cosh({0})) * (1.0 / _m.cosh({0})))",
        # cosh of the clipped argument: the branch not taken must not overflow either.
        array="_m.where(_m.fabs({0}) > 710.0, 0.0, (1.0 / _m.cosh(_m.fmin(_m.fabs({0}), 710.0)))"
        " * (1.0 / _m.cosh(_m.fmin(_m.fabs({0}), 710.0))))",
    ),
)  # fmt: skip

tanh = unary(
    "tanh", math.tanh, lambda out, x: (_tanh_slope(x),), samples=_ANY, code=OpCode("_m.tanh({0})")
)

# 1 / hypot(x, 1), not 1 / sqrt(x * x + 1), in which x * x overflows for |x| > 1e154.
asinh = unary(
    "asinh", math.asinh, lambda out, x: (div(1.0, hypot(x, 1.0)),), samples=_ANY,
    code=OpCode("_m.asinh({0})"),
)  # fmt: skip

# Infinite slope at x == 1, the edge of the domain. sqrt(x - 1) * sqrt(x + 1) never
# overflows where sqrt(x * x - 1) would.
acosh = unary(
    "acosh", math.acosh, lambda out, x: (div(1.0, mul(sqrt(sub(x, 1.0)), sqrt(add(x, 1.0)))),),
    domain="x >= 1", singularities="acosh has an infinite slope at 1",
    samples=((1.5,), (2.0,), (4.0,)), code=OpCode("_m.acosh({0})"),
)  # fmt: skip

# Poles at x == -1 and x == 1, outside the open domain; (1 - x)(1 + x) keeps the digits
# that 1 - x * x loses near them.
atanh = unary(
    "atanh", math.atanh, lambda out, x: (div(1.0, mul(sub(1.0, x), add(1.0, x))),),
    domain="-1 < x < 1", samples=((-0.6,), (0.1,), (0.8,)), code=OpCode("_m.atanh({0})"),
)  # fmt: skip
