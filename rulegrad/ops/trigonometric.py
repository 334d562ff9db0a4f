"""Trigonometric functions and their inverses."""

from __future__ import annotations

import math

from rulegrad.kernel import Partial, UnaryOp, Undefined, to_float
from rulegrad.kernel.op import OpCode
from rulegrad.ops._define import binary, unary
from rulegrad.ops.arithmetic import add, div, mul, neg, sub
from rulegrad.ops.exponential import sqrt

__all__ = ["acos", "asin", "atan", "atan2", "cos", "hypot", "sin", "tan"]

_ANY = ((-1.5,), (0.5,), (2.0,))
_UNIT = ((-0.6,), (0.1,), (0.8,))

cos: UnaryOp  # the two rules refer to each other
sin = unary(
    "sin", math.sin, lambda out, x: (cos(x),), samples=_ANY,
    code=OpCode("_m.sin({0})", ("_m.cos({0})",)),
)  # fmt: skip

cos = unary(
    "cos", math.cos, lambda out, x: (neg(sin(x)),), samples=_ANY,
    code=OpCode("_m.cos({0})", ("-_m.sin({0})",)),
)  # fmt: skip

# Poles at pi/2 + k*pi, where the forward value is already huge.
tan = unary(
    "tan", math.tan, lambda out, x: (add(1.0, mul(out, out)),), samples=_ANY,
    code=OpCode("_m.tan({0})", ("1.0 + {out} * {out}",)),
)  # fmt: skip


def _unit_slope(x: float, name: str) -> Partial:
    """1 / sqrt(1 - x**2), infinite at the ends of [-1, 1]."""
    if math.fabs(to_float(x)) == 1.0:
        return Undefined(f"{name} has an infinite slope at x = -1 and x = 1")
    return div(1.0, sqrt(sub(1.0, mul(x, x))))


asin = unary(
    "asin", math.asin, lambda out, x: (_unit_slope(x, "asin"),),
    domain="-1 <= x <= 1", samples=_UNIT,
    code=OpCode("_m.asin({0})", ("1.0 / _m.sqrt(1.0 - {0} * {0})",)),  # raises at x = -1, 1
)  # fmt: skip


def _acos_partials(out: float, x: float) -> tuple[Partial]:
    slope = _unit_slope(x, "acos")
    return (slope if type(slope) is Undefined else neg(slope),)


acos = unary(
    "acos", math.acos, _acos_partials, domain="-1 <= x <= 1", samples=_UNIT,
    code=OpCode("_m.acos({0})", ("-(1.0 / _m.sqrt(1.0 - {0} * {0}))",)),
)  # fmt: skip

atan = unary(
    "atan", math.atan, lambda out, x: (div(1.0, add(1.0, mul(x, x))),), samples=_ANY,
    code=OpCode("_m.atan({0})", ("1.0 / (1.0 + {0} * {0})",)),
)  # fmt: skip


def _atan2_partials(out: float, y: float, x: float) -> tuple[Partial, Partial]:
    # The angle is undefined at the origin, so are its derivatives.
    if to_float(x) == 0.0 and to_float(y) == 0.0:
        undefined = Undefined("atan2 has no derivative at the origin")
        return undefined, undefined
    radius2 = add(mul(x, x), mul(y, y))
    return div(x, radius2), neg(div(y, radius2))


atan2 = binary(
    "atan2", math.atan2, _atan2_partials, samples=((0.5, 1.0), (-1.0, 0.25), (2.0, -1.5)),
    code=OpCode("_m.atan2({0}, {1})", (  # both raise at the origin
        "{1} / ({1} * {1} + {0} * {0})", "-({0} / ({1} * {1} + {0} * {0}))",
    )),
)  # fmt: skip


def _hypot(x: float, y: float) -> float:
    return math.hypot(x, y)


def _hypot_partials(out: float, x: float, y: float) -> tuple[Partial, Partial]:
    # A cone at the origin: no derivative there.
    if to_float(out) == 0.0:
        undefined = Undefined("hypot has no derivative at the origin")
        return undefined, undefined
    return div(x, out), div(y, out)


hypot = binary(
    "hypot", _hypot, _hypot_partials, samples=((0.5, 1.0), (-1.0, 0.25), (2.0, -1.5)),
    code=OpCode("_m.hypot({0}, {1})", ("{0} / {out}", "{1} / {out}")),  # raise at the origin
)  # fmt: skip
