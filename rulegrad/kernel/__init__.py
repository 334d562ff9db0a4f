"""The typed graph: nodes, tags, the op registry, traversal and errors.

The kernel knows no particular op and no particular mode: ops are registered into it
(`rulegrad.ops`) and modes plug into it as engines (`rulegrad.modes`).
"""

from rulegrad.kernel.errors import (
    ArgumentError,
    ArityError,
    BuiltinOpError,
    DivisionByZeroError,
    DomainError,
    DuplicateOpError,
    EscapedValueError,
    MissingRuleError,
    ModeError,
    NonScalarOutputError,
    OperandTypeError,
    RangeError,
    RuleError,
    RulegradError,
    UnknownOpError,
)
from rulegrad.kernel.nodes import OPERATORS, Dual, Node, Scalar, Value, as_real, to_float
from rulegrad.kernel.op import BUILTIN, BinaryOp, Op, UnaryOp
from rulegrad.kernel.registry import OpRegistry, define_op, registry
from rulegrad.kernel.rules import ForwardFn, JvpRule, Partial, PartialsRule, Undefined, VjpRule
from rulegrad.kernel.tags import ROOT_FORWARD, ROOT_REVERSE, Engine, Tag, active_tags, new_tag
from rulegrad.kernel.traversal import toposort

__all__ = [
    "BUILTIN",
    "OPERATORS",
    "ROOT_FORWARD",
    "ROOT_REVERSE",
    "ArgumentError",
    "ArityError",
    "BinaryOp",
    "BuiltinOpError",
    "DivisionByZeroError",
    "DomainError",
    "Dual",
    "DuplicateOpError",
    "Engine",
    "EscapedValueError",
    "ForwardFn",
    "JvpRule",
    "MissingRuleError",
    "ModeError",
    "Node",
    "NonScalarOutputError",
    "Op",
    "OpRegistry",
    "OperandTypeError",
    "Partial",
    "PartialsRule",
    "RangeError",
    "RuleError",
    "RulegradError",
    "Scalar",
    "Tag",
    "UnaryOp",
    "Undefined",
    "UnknownOpError",
    "Value",
    "VjpRule",
    "active_tags",
    "as_real",
    "define_op",
    "new_tag",
    "registry",
    "to_float",
    "toposort",
]
