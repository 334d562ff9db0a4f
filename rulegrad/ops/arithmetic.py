"""Arithmetic: + - * / negation, and the piecewise-linear ops.

Kinks (abs at 0, relu at 0, ties in maximum/minimum) take the subgradient PyTorch and JAX
use: 0 for abs and relu, an even split for ties. These are conventions, not singularities.
"""

from __future__ import annotations

import math

from rulegrad.kernel import BinaryOp
from rulegrad.kernel.op import OpCode
from rulegrad.ops._define import binary, unary

__all__ = ["abs", "add", "div", "maximum", "minimum", "mul", "neg", "relu", "sub"]

_PAIRS = ((-1.5, 0.75), (0.5, 2.0), (3.0, -1.25))


def _add(x: float, y: float) -> float:
    return x + y


add = binary(
    "add", _add, lambda out, x, y: (1.0, 1.0), samples=_PAIRS,
    code=OpCode("{0} + {1}", ("1.0", "1.0")),
)  # fmt: skip


def _sub(x: float, y: float) -> float:
    return x - y


sub = binary(
    "sub", _sub, lambda out, x, y: (1.0, -1.0), samples=_PAIRS,
    code=OpCode("{0} - {1}", ("1.0", "-1.0")),
)  # fmt: skip


def _mul(x: float, y: float) -> float:
    return x * y


mul = binary(
    "mul", _mul, lambda out, x, y: (y, x), samples=_PAIRS,
    code=OpCode("{0} * {1}", ("{1}", "{0}")),
)  # fmt: skip


def _neg(x: float) -> float:
    return -x


neg = unary(
    "neg", _neg, lambda out, x: (-1.0,), samples=((-1.5,), (0.5,), (2.0,)),
    code=OpCode("-{0}", ("-1.0",)),
)  # fmt: skip


def _div(x: float, y: float) -> float:
    return x / y


div: BinaryOp
# y == 0 fails in the forward pass (DivisionByZeroError), so the rule never sees it.
div = binary(
    "div", _div, lambda out, x, y: (div(1.0, y), neg(div(out, y))),
    domain="y != 0", samples=_PAIRS, code=OpCode("{0} / {1}", ("1.0 / {1}", "-({out} / {1})")),
)  # fmt: skip

# Subgradient 0 at x == 0.
abs = unary(
    "abs", math.fabs, lambda out, x: (1.0 if x > 0 else -1.0 if x < 0 else 0.0,),
    samples=((-1.5,), (0.5,), (2.0,)),
    code=OpCode("_m.fabs({0})", ("(1.0 if {0} > 0 else -1.0 if {0} < 0 else 0.0)",)),
)  # fmt: skip


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


# Derivative 0 at x == 0, as in micrograd, PyTorch and JAX.
relu = unary(
    "relu", _relu, lambda out, x: (1.0 if x > 0 else 0.0,), samples=((-1.5,), (0.5,), (2.0,)),
    code=OpCode("({0} if {0} > 0.0 else 0.0)", ("(1.0 if {0} > 0 else 0.0)",)),
)  # fmt: skip


def _maximum(x: float, y: float) -> float:
    return x if x >= y else y


# A tie splits the derivative evenly between x and y.
maximum = binary(
    "maximum", _maximum,
    lambda out, x, y: (1.0, 0.0) if x > y else (0.0, 1.0) if x < y else (0.5, 0.5),
    samples=_PAIRS,
    code=OpCode("({0} if {0} >= {1} else {1})", (
        "(1.0 if {0} > {1} else 0.0 if {0} < {1} else 0.5)",
        "(0.0 if {0} > {1} else 1.0 if {0} < {1} else 0.5)",
    )),
)  # fmt: skip


def _minimum(x: float, y: float) -> float:
    return x if x <= y else y


# A tie splits the derivative evenly between x and y.
minimum = binary(
    "minimum", _minimum,
    lambda out, x, y: (1.0, 0.0) if x < y else (0.0, 1.0) if x > y else (0.5, 0.5),
    samples=_PAIRS,
    code=OpCode("({0} if {0} <= {1} else {1})", (
        "(1.0 if {0} < {1} else 0.0 if {0} > {1} else 0.5)",
        "(0.0 if {0} < {1} else 1.0 if {0} > {1} else 0.5)",
    )),
)  # fmt: skip
