"""Powers, exponentials and logarithms."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rulegrad.kernel import Partial, Undefined, to_float
from rulegrad.kernel.op import OpCode
from rulegrad.ops._define import binary, unary
from rulegrad.ops.arithmetic import add, div, mul, sub

__all__ = ["exp", "expm1", "log", "log1p", "log2", "log10", "pow", "sigmoid", "sqrt"]

_POSITIVE = ((0.3,), (1.0,), (2.5,))
_ANY = ((-1.5,), (0.5,), (2.0,))

exp = unary(
    "exp", math.exp, lambda out, x: (out,), samples=_ANY, code=OpCode("_m.exp({0})", ("{out}",))
)


def _log(x: float) -> float:
    return math.log(x)  # math.log itself takes an optional base


# Singular at x == 0, outside the domain (the forward pass fails there).
log = unary(
    "log", _log, lambda out, x: (div(1.0, x),), domain="x > 0", samples=_POSITIVE,
    code=OpCode("_m.log({0})", ("1.0 / {0}",)),
)  # fmt: skip

log2 = unary(
    "log2", math.log2, lambda out, x: (div(1.0, mul(x, math.log(2.0))),),
    domain="x > 0", samples=_POSITIVE,
    code=OpCode("_m.log2({0})", (f"1.0 / ({{0}} * {math.log(2.0)!r})",)),
)  # fmt: skip

log10 = unary(
    "log10", math.log10, lambda out, x: (div(1.0, mul(x, math.log(10.0))),),
    domain="x > 0", samples=_POSITIVE,
    code=OpCode("_m.log10({0})", (f"1.0 / ({{0}} * {math.log(10.0)!r})",)),
)  # fmt: skip

log1p = unary(
    "log1p", math.log1p, lambda out, x: (div(1.0, add(1.0, x)),),
    domain="x > -1", samples=((-0.5,), (0.5,), (2.0,)),
    code=OpCode("_m.log1p({0})", ("1.0 / (1.0 + {0})",)),
)  # fmt: skip

expm1 = unary(
    "expm1", math.expm1, lambda out, x: (add(out, 1.0),), samples=_ANY,
    code=OpCode("_m.expm1({0})", ("{out} + 1.0",)),
)  # fmt: skip

# Infinite slope at x == 0: the derivative raises DomainError there.
sqrt = unary(
    "sqrt", math.sqrt,
    lambda out, x: (div(0.5, out) if out > 0 else Undefined("sqrt has an infinite slope at 0"),),
    domain="x >= 0", samples=_POSITIVE,
    code=OpCode("_m.sqrt({0})", ("0.5 / {out}",)),  # raises at out == 0, where the rule does
)  # fmt: skip


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


sigmoid = unary(
    "sigmoid", _sigmoid, lambda out, x: (mul(out, sub(1.0, out)),), samples=_ANY,
    code=OpCode(None, ("{out} * (1.0 - {out})",)),
)  # fmt: skip


def _pow_partials(out: float, x: float, y: float) -> tuple[Partial, Partial]:
    base, exponent = to_float(x), to_float(y)
    # A partial may be a constant only where it stays constant: if the exponent is being
    # differentiated too, d/dx x**y = y * x**(y-1) still depends on y where y == 0.
    # d/dx x**y is infinite at x == 0 when y < 1; x**0 is constant for a constant 0.
    if exponent == 0.0 and type(y) is float:
        dx: Partial = 0.0
    elif base == 0.0 and exponent < 1.0:
        dx = Undefined("x ** y has an infinite slope at x = 0 when y < 1")
    elif type(y) is float and exponent == 1.0:
        dx = 1.0
    elif type(y) is float and exponent == 2.0:
        dx = mul(2.0, x)
    else:
        dx = mul(y, pow(x, sub(y, 1.0)))
    # d/dy x**y = x**y * log(x): zero at x == 0 (y > 0), not real for x < 0. Its own
    # slope in x there, y * x**(y-1) * log(x) + x**(y-1), vanishes only for y > 1.
    if base > 0.0:
        dy: Partial = mul(out, log(x))
    elif base == 0.0 and exponent > 0.0 and (type(x) is float or exponent > 1.0):
        dy = 0.0
    elif base == 0.0 and exponent > 0.0:
        dy = Undefined("d/dy x ** y has an infinite slope in x at x = 0 when y <= 1")
    else:
        dy = Undefined("x ** y is not differentiable in y at x <= 0")
    return dx, dy


def _pow_partials_code(out: str, xy: Sequence[str]) -> tuple[str, str]:
    # The general formulas: where the rule has a special case, they give the same number
    # (y * x**(y-1) at y == 2 is 2 * x) or raise (math.pow(0.0, -1.0)) where it differs.
    # A literal exponent 2.0 (`x ** 2`) is written as the rule writes it, with no call.
    x, y = xy
    dx = f"2.0 * {x}" if y == "2.0" else f"{y} * _m.pow({x}, {y} - 1.0)"
    return dx, f"{out} * _m.log({x})"


pow = binary(
    "pow", math.pow, _pow_partials,
    domain="x > 0, or x == 0 with y >= 0, or x < 0 with integer y",
    samples=((0.5, 1.5), (2.0, -0.5), (1.5, 3.0)),
    code=OpCode("_m.pow({0}, {1})", _pow_partials_code),
)  # fmt: skip
