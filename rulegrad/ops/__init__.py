"""The built-in op catalogue, grouped by family. Importing it registers every op.

`operators.py` says which op each Python operator applies.
"""

from rulegrad.ops.arithmetic import abs, add, div, maximum, minimum, mul, neg, relu, sign, sub
from rulegrad.ops.control import stop_gradient
from rulegrad.ops.exponential import exp, expm1, log, log1p, log2, log10, pow, sigmoid, sqrt
from rulegrad.ops.hyperbolic import acosh, asinh, atanh, cosh, sinh, tanh
from rulegrad.ops.operators import OPERATOR_TABLE
from rulegrad.ops.reductions import dot, sum
from rulegrad.ops.special import erf, erfc
from rulegrad.ops.trigonometric import acos, asin, atan, atan2, cos, hypot, sin, tan

__all__ = [
    "OPERATOR_TABLE", "abs", "acos", "acosh", "add", "asin", "asinh", "atan", "atan2", "atanh",
    "cos", "cosh",
    "div", "dot", "erf", "erfc", "exp", "expm1", "hypot", "log", "log1p", "log2", "log10",
    "maximum", "minimum", "mul", "neg", "pow", "relu", "sigmoid", "sign", "sin", "sinh", "sqrt",
    "stop_gradient", "sub", "sum", "tan", "tanh",
]  # fmt: skip
