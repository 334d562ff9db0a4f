"""rulegrad: strictly typed scalar automatic differentiation.

One op catalogue, two modes (reverse: `Value`; forward: `Dual`), and transforms that nest
to any order in any mix of modes.

>>> import rulegrad as rg
>>> x = rg.Value(2.0); y = x * x + rg.sin(x); y.backward(); round(x.grad, 6)
3.583853
>>> rg.grad(rg.grad(lambda x: x ** 3))(2.0)
12.0
"""

from rulegrad import nn
from rulegrad.compiler import Compiled, OpCode, compile
from rulegrad.kernel import (
    ArgumentError,
    ArityError,
    BinaryOp,
    DivisionByZeroError,
    DomainError,
    Dual,
    DuplicateOpError,
    EscapedValueError,
    MissingRuleError,
    ModeError,
    NonScalarOutputError,
    Op,
    OperandTypeError,
    OpRegistry,
    Partial,
    RangeError,
    RuleError,
    RulegradError,
    Scalar,
    UnaryOp,
    Undefined,
    UnknownOpError,
    Value,
    define_op,
    registry,
    to_float,
)
from rulegrad.kernel.errors import TraceSizeError, TracingError
from rulegrad.ops import (
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cos,
    cosh,
    div,
    dot,
    erf,
    erfc,
    exp,
    expm1,
    hypot,
    log,
    log1p,
    log2,
    log10,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sin,
    sinh,
    sqrt,
    stop_gradient,
    sub,
    sum,
    tan,
    tanh,
)
from rulegrad.pictures import draw, to_dot
from rulegrad.plugins import CheckReport, PluginWarning, RuleCheckError, check_op, load_plugins
from rulegrad.transforms import (
    Mode,
    ModeLike,
    TreeDef,
    check_grads,
    custom_jvp,
    custom_vjp,
    derivative,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    linearize,
    register_container,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
    value_and_grad,
    vjp,
)

__version__ = "0.1.0"

__all__ = [
    "ArgumentError", "ArityError", "BinaryOp", "CheckReport", "Compiled", "DivisionByZeroError",
    "DomainError", "Dual",
    "DuplicateOpError", "EscapedValueError", "MissingRuleError", "Mode", "ModeError",
    "ModeLike", "NonScalarOutputError", "Op", "OpCode", "OpRegistry", "OperandTypeError", "Partial",
    "PluginWarning", "RangeError", "RuleCheckError", "RuleError", "RulegradError", "Scalar",
    "TraceSizeError", "TracingError", "TreeDef", "UnaryOp", "Undefined",
    "UnknownOpError", "Value",
    "__version__", "abs", "acos", "acosh", "add", "asin", "asinh", "atan", "atan2", "atanh",
    "check_grads", "check_op", "compile",
    "cos", "cosh", "custom_jvp", "custom_vjp", "define_op", "derivative", "div", "dot", "draw",
    "erf", "erfc", "exp", "expm1", "grad", "hessian", "hvp", "hypot", "jacobian", "jvp",
    "linearize", "load_plugins", "log", "log1p", "log2", "log10", "maximum", "minimum", "mul",
    "neg", "nn", "pow", "register_container", "registry", "relu", "sigmoid", "sin", "sinh",
    "sqrt", "stop_gradient", "sub", "sum", "tan", "tanh", "to_dot", "to_float", "tree_flatten",
    "tree_leaves", "tree_map", "tree_unflatten", "value_and_grad", "vjp",
]  # fmt: skip
