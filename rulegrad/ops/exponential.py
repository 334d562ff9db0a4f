"""Powers, exponentials and logarithms."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

from rulegrad.kernel import BinaryOp, Op, OpCode, SingularityError, UnaryOp, to_float
from rulegrad.kernel.recurrences import Coefficients, Step, recurrence
from rulegrad.ops._define import binary, helper, unary
from rulegrad.ops.arithmetic import add, div, mul, neg, sub

__all__ = ["exp", "expm1", "log", "log1p", "log2", "log10", "pow", "sigmoid", "sqrt"]

_POSITIVE = ((0.3,), (1.0,), (2.5,))
_ANY = ((-1.5,), (0.5,), (2.0,))
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)

exp = unary("exp", math.exp, lambda out, x: (out,), samples=_ANY, code=OpCode("_m.exp({0})"))


def _log(x: float) -> float:
    return math.log(x)  # math.log itself takes an optional base


# Singular at x == 0, outside the domain (the forward pass fails there).
log = unary(
    "log", _log, lambda out, x: (div(1.0, x),), domain="x > 0", samples=_POSITIVE,
    code=OpCode("_m.log({0})"),
)  # fmt: skip

log2 = unary(
    "log2", math.log2, lambda out, x: (div(1.0, mul(x, _LN2)),),
    domain="x > 0", samples=_POSITIVE, code=OpCode("_m.log2({0})"),
)  # fmt: skip

log10 = unary(
    "log10", math.log10, lambda out, x: (div(1.0, mul(x, _LN10)),),
    domain="x > 0", samples=_POSITIVE, code=OpCode("_m.log10({0})"),
)  # fmt: skip

log1p = unary(
    "log1p", math.log1p, lambda out, x: (div(1.0, add(1.0, x)),),
    domain="x > -1", samples=((-0.5,), (0.5,), (2.0,)), code=OpCode("_m.log1p({0})"),
)  # fmt: skip

# exp(x), not out + 1, which is 0 where exp(x) is merely small (x < -37).
expm1 = unary(
    "expm1", math.expm1, lambda out, x: (exp(x),), samples=_ANY, code=OpCode("_m.expm1({0})")
)

# Infinite slope at x == 0: the derivative raises DomainError there.
sqrt = unary(
    "sqrt", math.sqrt, lambda out, x: (div(0.5, out),),
    domain="x >= 0", singularities="sqrt has an infinite slope at 0", samples=_POSITIVE,
    code=OpCode("_m.sqrt({0})"),
)  # fmt: skip


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


sigmoid: UnaryOp
# sigmoid(x) * sigmoid(-x), not out * (1 - out), which is 0 where 1 - out rounds to 0.
# Over arrays, both of _sigmoid's branches at once: exp(min(x, 0)) / (1 + exp(-|x|)) is
# 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) below, and never overflows.
sigmoid = unary(
    "sigmoid", _sigmoid, lambda out, x: (mul(out, sigmoid(neg(x))),), samples=_ANY,
    code=OpCode(array="_m.exp(_m.fmin({0}, 0.0)) / (1.0 + _m.exp(-_m.fabs({0})))"),
)  # fmt: skip


# pow's rule calls three helpers, each an op named "pow", so that an error in any of them
# says which derivative of pow fails, and where. Their forwards take the special cases that a
# formula cannot: a constant 0 exponent, and the base 0.


def _pow_dx(x: float, y: float) -> float:
    """d/dx x ** y = y * x ** (y - 1); 0 for y == 0, even at x == 0."""
    if y == 0.0:
        return 0.0
    if x == 0.0 and y < 1.0:
        raise SingularityError("x ** y has an infinite slope at x = 0 when y < 1")
    return y * math.pow(x, y - 1.0)


def _pow_dy(x: float, y: float) -> float:
    """d/dy x ** y = x ** y * log(x); 0 at x == 0 for y > 0, where x ** y stays 0."""
    if x > 0.0:
        return math.pow(x, y) * math.log(x)
    if x == 0.0 and y > 0.0:
        return 0.0
    raise SingularityError("x ** y is not differentiable in y at x <= 0")


def _pow_dydx(x: float, y: float) -> float:
    """d/dx (x ** y * log(x)) = y * x ** (y - 1) * log(x) + x ** (y - 1)."""
    if x > 0.0:
        return _pow_dx(x, y) * math.log(x) + math.pow(x, y - 1.0)
    if x == 0.0 and y > 1.0:
        return 0.0
    raise SingularityError("d/dy x ** y has an infinite slope in x at x = 0 when y <= 1")


def _pow_dx_code(args: Sequence[str]) -> str:
    """_pow_dx as source; for a literal exponent, what it computes for that exponent."""
    x, y = args
    try:
        exponent = float(y.strip("()"))
    except ValueError:  # a variable
        return f"(0.0 if {y} == 0.0 else {y} * _m.pow({x}, {y} - 1.0))"
    if exponent in (0.0, 1.0):
        return repr(exponent)  # 0.0; and 1.0 * x ** 0, which is 1.0 for every x
    if exponent == 2.0:
        return f"2.0 * {x}"  # 2.0 * x ** 1: the same float
    return f"{y} * _m.pow({x}, {exponent - 1.0!r})"


def _pow_dx_array(args: Sequence[str]) -> str:
    """_pow_dx over arrays: a selection where the float code has a conditional expression."""
    x, y = args
    found = _pow_dx_code(args)
    if not found.startswith("(0.0 if"):
        return found  # a literal exponent: straight-line code, the same for arrays
    return f"_m.where({y} == 0.0, 0.0, {y} * _m.pow({x}, {y} - 1.0))"


# _pow_dy over arrays: log and pow see 1.0 where x <= 0 (no spurious NaN there), and the
# points where the float function raises get NaN.
_POW_DY_ARRAY = (
    "_m.where({0} > 0.0, _m.pow(_m.where({0} > 0.0, {0}, 1.0), {1})"
    " * _m.log(_m.where({0} > 0.0, {0}, 1.0)),"
    " _m.where(({0} == 0.0) & ({1} > 0.0), 0.0, _m.nan))"
)


def _pow_array(x: str, y: str) -> str:
    """pow over arrays: x ** 2 as x * x (the same float), a third of the time of a power."""
    return f"{x} * {x}" if y == "2.0" else f"_m.pow({x}, {y})"


pow: BinaryOp
_pow_dx_op: Op
_pow_dx_op = helper(
    "pow", _pow_dx,
    lambda out, x, y: (
        mul(y, _pow_dx_op(x, sub(y, 1.0))),
        mul(pow(x, sub(y, 1.0)), add(1.0, mul(y, log(x)))),
    ),
    code=OpCode(_pow_dx_code, array=_pow_dx_array),
)  # fmt: skip
# d/dx and d/dy of y * x ** (y - 1) * log(x) + x ** (y - 1), for the third order.
_pow_dydx_op = helper(
    "pow", _pow_dydx,
    lambda out, x, y: (
        add(mul(_pow_dx_op(x, sub(y, 1.0)), add(mul(y, log(x)), 1.0)), div(_pow_dx_op(x, y), x)),
        mul(mul(pow(x, sub(y, 1.0)), log(x)), add(2.0, mul(y, log(x)))),
    ),
)  # fmt: skip
_pow_dy_op = helper(
    "pow", _pow_dy,
    lambda out, x, y: (_pow_dydx_op(x, y), mul(out, log(x))),
    code=OpCode(array=_POW_DY_ARRAY),
)  # fmt: skip

pow = binary(
    "pow", math.pow, lambda out, x, y: (_pow_dx_op(x, y), _pow_dy_op(x, y)),
    domain="x > 0, or x == 0 with y >= 0, or x < 0 with integer y",
    samples=((0.5, 1.5), (2.0, -0.5), (1.5, 3.0)),
    code=OpCode("_m.pow({0}, {1})", array=lambda args: _pow_array(*args)),
)  # fmt: skip


# Taylor mode, for a constant exponent a and x0 != 0: from x * out' = a * x' * out. The rule
# (a * x ** (a - 1)) makes a new power for each coefficient, where this costs O(k). It scales
# by out0 / x0, so it applies only where both are normal floats: an x0 ** a that underflowed
# to 0 (x0 = 1e-256, a = 2) would zero every coefficient.
@recurrence(pow)
def _pow_series(out: Coefficients, x: Coefficients, y: Coefficients) -> Step | None:
    if len(y) > 1 or not (_normal(to_float(x[0])) and _normal(to_float(out[0]))):
        return None
    a, x0 = y[0], x[0]

    def step(k: int) -> float:
        total = 0.0
        for j in range(1, min(k, len(x) - 1) + 1):
            xj = x[j]
            if type(xj) is float and xj == 0.0:
                continue
            term = ((a + 1.0) * j - k) * xj * out[k - j]
            total = term if type(total) is float and total == 0.0 else total + term
        return total / (k * x0)

    return step


def _normal(v: float) -> bool:
    """Neither 0, subnormal, infinite nor nan."""
    return sys.float_info.min <= math.fabs(v) <= sys.float_info.max
