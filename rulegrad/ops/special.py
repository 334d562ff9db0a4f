"""Special functions."""

from __future__ import annotations

import math
from typing import Final

from rulegrad.kernel import OpCode
from rulegrad.ops._define import unary
from rulegrad.ops.arithmetic import mul, neg
from rulegrad.ops.exponential import exp

__all__ = ["erf", "erfc"]

_TWO_OVER_SQRT_PI: Final = 2.0 / math.sqrt(math.pi)
_ANY = ((-1.5,), (0.5,), (2.0,))

erf = unary(
    "erf", math.erf, lambda out, x: (mul(_TWO_OVER_SQRT_PI, exp(neg(mul(x, x)))),), samples=_ANY,
    code=OpCode("_m.erf({0})"),
)  # fmt: skip

erfc = unary(
    "erfc", math.erfc, lambda out, x: (mul(-_TWO_OVER_SQRT_PI, exp(neg(mul(x, x)))),),
    samples=_ANY, code=OpCode("_m.erfc({0})"),
)  # fmt: skip
