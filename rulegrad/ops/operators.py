"""The operator table: which catalogue op each Python operator and node method applies.

`x + y` on nodes is `add`, `x ** y` is `pow`, `x.relu()` is `relu`, and so on. The wiring
(`rulegrad._wiring`) binds each entry once into the kernel's `OPERATORS`, as the op's own
call: an operator and the op it names can never disagree. Built-in ops cannot be replaced,
so the table holds for the life of the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from rulegrad.kernel import Op
from rulegrad.ops.arithmetic import abs, add, div, mul, neg, relu, sub
from rulegrad.ops.exponential import exp, log, pow, sigmoid, sqrt
from rulegrad.ops.hyperbolic import tanh
from rulegrad.ops.trigonometric import cos, sin

__all__ = ["OPERATOR_TABLE"]

# slot of `rulegrad.kernel.OPERATORS` -> the op behind it. The reflected operators
# (`2.0 * x`) use the same op with the operands in their written order.
OPERATOR_TABLE: Final[Mapping[str, Op]] = {
    "add": add,  # x + y
    "sub": sub,  # x - y
    "mul": mul,  # x * y
    "div": div,  # x / y
    "pow": pow,  # x ** y
    "neg": neg,  # -x
    "abs": abs,  # abs(x)
    "relu": relu,  # x.relu()
    "tanh": tanh,  # x.tanh()
    "exp": exp,  # x.exp()
    "log": log,  # x.log()
    "sigmoid": sigmoid,  # x.sigmoid()
    "sin": sin,  # x.sin()
    "cos": cos,  # x.cos()
    "sqrt": sqrt,  # x.sqrt()
}
