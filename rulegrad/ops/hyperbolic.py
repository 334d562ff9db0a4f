"""Hyperbolic functions and their inverses."""

from __future__ import annotations

import math

from rulegrad.kernel import UnaryOp, Undefined
from rulegrad.kernel.op import OpCode
from rulegrad.ops._define import unary
from rulegrad.ops.arithmetic import add, div, mul, sub
from rulegrad.ops.exponential import sqrt

__all__ = ["acosh", "asinh", "atanh", "cosh", "sinh", "tanh"]

_ANY = ((-1.5,), (0.5,), (2.0,))

cosh: UnaryOp  # the two rules refer to each other
sinh = unary(
    "sinh", math.sinh, lambda out, x: (cosh(x),), samples=_ANY,
    code=OpCode("_m.sinh({0})", ("_m.cosh({0})",)),
)  # fmt: skip

cosh = unary(
    "cosh", math.cosh, lambda out, x: (sinh(x),), samples=_ANY,
    code=OpCode("_m.cosh({0})", ("_m.sinh({0})",)),
)  # fmt: skip

tanh = unary(
    "tanh", math.tanh, lambda out, x: (sub(1.0, mul(out, out)),), samples=_ANY,
    code=OpCode("_m.tanh({0})", ("1.0 - {out} * {out}",)),
)  # fmt: skip

asinh = unary(
    "asinh", math.asinh, lambda out, x: (div(1.0, sqrt(add(mul(x, x), 1.0))),), samples=_ANY,
    code=OpCode("_m.asinh({0})", ("1.0 / _m.sqrt({0} * {0} + 1.0)",)),
)  # fmt: skip

# Infinite slope at x == 1, the edge of the domain.
acosh = unary(
    "acosh", math.acosh,
    lambda out, x: (
        div(1.0, sqrt(sub(mul(x, x), 1.0))) if x > 1 else Undefined("infinite slope at 1"),
    ),
    domain="x >= 1", samples=((1.5,), (2.0,), (4.0,)),
    code=OpCode("_m.acosh({0})", ("1.0 / _m.sqrt({0} * {0} - 1.0)",)),  # raises at x == 1
)  # fmt: skip

# Poles at x == -1 and x == 1, outside the open domain.
atanh = unary(
    "atanh", math.atanh, lambda out, x: (div(1.0, sub(1.0, mul(x, x))),),
    domain="-1 < x < 1", samples=((-0.6,), (0.1,), (0.8,)),
    code=OpCode("_m.atanh({0})", ("1.0 / (1.0 - {0} * {0})",)),
)  # fmt: skip
