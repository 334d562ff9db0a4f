"""Expressions for `rulegrad grad`: parsed by Python's parser, checked, never run as Python.

The text becomes a syntax tree through `ast.parse`, and an explicit-stack walk checks every
node against a whitelist (numbers, names, `+ - * / **`, unary `-` and `+`, calls of catalogue
ops by name with positional arguments) while it compiles the tree into a postfix program of
catalogue op calls. `Expression.evaluate` runs that program with a stack, so floats, `Value`s
and `Dual`s all go through, and nothing recurses however long the expression is.

Everything wrong with an expression is an `ExprError`: one line naming what was found where.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple, TypeAlias, cast, final

from rulegrad.cli._common import CliError
from rulegrad.kernel import Op, OpRegistry, Scalar, UnknownOpError, registry

__all__ = ["CONSTANTS", "MAX_DEPTH", "MAX_LENGTH", "MAX_NODES", "ExprError", "Expression", "parse"]

MAX_LENGTH: Final = 10_000  # characters
MAX_NODES: Final = 10_000  # expression nodes in the tree
# CPython's own parser gives up near 3,000 levels; stay well inside it.
MAX_DEPTH: Final = 1_000

CONSTANTS: Final[Mapping[str, float]] = {"pi": math.pi, "e": math.e}
"""Names with a value of their own; a variable of the same name given by the user wins."""

ALLOWED: Final = "numbers, variables, + - * / **, unary -, parentheses and calls of catalogue ops"

_BINARY: Final[Mapping[type[ast.operator], str]] = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
}  # fmt: skip
_SYMBOLS: Final[Mapping[type[ast.AST], str]] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}  # fmt: skip
_KINDS: Final[Mapping[type[ast.AST], str]] = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Slice: "slice",
    ast.Lambda: "lambda", ast.ListComp: "comprehension", ast.SetComp: "comprehension",
    ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
    ast.Compare: "comparison", ast.BoolOp: "boolean operator", ast.IfExp: "conditional",
    ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "f-string", ast.FormattedValue: "f-string",
    ast.List: "list", ast.Tuple: "tuple", ast.Set: "set", ast.Dict: "dict",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Starred: "starred argument",
}  # fmt: skip


class ExprError(CliError):
    """An expression that cannot be accepted: one line naming what and where."""


class _Apply(NamedTuple):
    """Pop `nargs` operands, push `op(*operands)`."""

    op: Op
    nargs: int


Step: TypeAlias = "float | str | _Apply"
"""One instruction: push a constant, push a named value, or apply an op."""


@final
@dataclass(frozen=True)
class Expression:
    """A checked expression compiled to a postfix program of catalogue op calls.

    >>> expr = parse("x * sin(y) + 2")
    >>> list(expr.names), expr.evaluate({"x": 3.0, "y": 0.0})
    (['x', 'y'], 2.0)
    """

    text: str
    steps: tuple[Step, ...]
    names: Mapping[str, str]
    """Every name used as a value, in order of first use, mapped to where that use is."""

    def evaluate(self, env: Mapping[str, Scalar]) -> Scalar:
        """Run the program with each name's value from `env` (floats, `Value`s or `Dual`s)."""
        missing = [name for name in self.names if name not in env]
        if missing:
            raise ExprError(f"no value for {_quoted(missing)}")
        stack: list[Scalar] = []
        for step in self.steps:
            if isinstance(step, _Apply):
                split = len(stack) - step.nargs
                operands = stack[split:]
                del stack[split:]
                stack.append(step.op(*operands))
            else:
                stack.append(env[step] if isinstance(step, str) else step)
        return stack[-1]

    def function(self, variables: Sequence[str]) -> Callable[..., float]:
        """The expression as `f(*values)`, one value per name in `variables`, in order.

        Other names must be `CONSTANTS`; a variable named like a constant shadows it.
        Like any function handed to `rg.grad`, `f` is typed over floats and also takes
        `Value`s and `Dual`s.

        >>> f = parse("pi * r ** 2").function(["r"])
        >>> round(f(1.0), 6)
        3.141593
        """
        unknown = [n for n in self.names if n not in variables and n not in CONSTANTS]
        if unknown:
            raise ExprError(f"no value for {_quoted(unknown)}")
        constants: dict[str, Scalar] = {n: CONSTANTS[n] for n in self.names if n not in variables}
        order = tuple(variables)

        def f(*values: float) -> float:
            env = {**constants, **dict(zip(order, values, strict=True))}
            return cast(float, self.evaluate(env))

        return f


def parse(
    text: str,
    *,
    ops: OpRegistry | None = None,
    max_length: int = MAX_LENGTH,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
) -> Expression:
    """Check `text` against the whitelist and compile it; `ExprError` for anything else.

    Calls are resolved in `ops` (default: the catalogue, plugin ops included).

    >>> parse("x ** 2 + exp(-x)").names
    {'x': 'column 1'}
    >>> parse("__import__('os')")
    Traceback (most recent call last):
      ...
    rulegrad.cli._expr.ExprError: column 1: no op named '__import__' in the catalogue
    """
    if len(text) > max_length:
        raise ExprError(f"the expression is {len(text):,} characters long; the limit is "
                        f"{max_length:,}")  # fmt: skip
    for index, char in enumerate(text):
        if not char.isprintable() and char not in " \t\n":
            raise ExprError(f"character {char!a} at position {index + 1} is not allowed")
    body = text.strip()
    if not body:
        raise ExprError("the expression is empty")
    where = _Where(text, body)
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as error:
        place = f" at {where.at(error.lineno or 1, error.offset - 1)}" if error.offset else ""
        raise ExprError(f"syntax error{place}: {_one_line(error.msg)}") from None
    except (RecursionError, MemoryError):  # the parser's own guards against deep nesting
        raise ExprError("the expression is nested too deeply for Python's parser") from None
    except ValueError as error:
        raise ExprError(f"the expression cannot be parsed: {_one_line(str(error))}") from None
    return _compile(tree, where, registry if ops is None else ops, max_nodes, max_depth)


def _compile(
    tree: ast.Expression, where: _Where, ops: OpRegistry, max_nodes: int, max_depth: int
) -> Expression:
    steps: list[Step] = []
    names: dict[str, str] = {}
    count = 0
    # Pre-order, left to right, so the first node rejected is the leftmost; an op's
    # `_Apply` waits under its operands on the stack and is emitted after them.
    pending: list[tuple[ast.AST | _Apply, int]] = [(tree.body, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, _Apply):
            steps.append(item)
            continue
        node = item
        count += 1
        if count > max_nodes:
            raise ExprError(f"the expression has more than {max_nodes:,} parts")
        if depth > max_depth:
            raise ExprError(
                f"{where.of(node)}: the expression is nested too deeply (more than "
                f"{max_depth:,} levels)"
            )
        if isinstance(node, ast.Constant):
            steps.append(_number(node, where))
            continue
        if isinstance(node, ast.Name):
            if node.id in ops:
                raise ExprError(
                    f"{where.of(node)}: {node.id!r} is an op; call it as {node.id}(...)"
                )
            steps.append(node.id)
            names.setdefault(node.id, where.of(node))
            continue
        apply, operands = _operation(node, where, ops)
        if apply is not None:
            pending.append((apply, depth))
        pending.extend((operand, depth + 1) for operand in reversed(operands))
    return Expression(where.text, tuple(steps), names)


def _operation(
    node: ast.AST, where: _Where, ops: OpRegistry
) -> tuple[_Apply | None, list[ast.expr]]:
    """The op an allowed non-leaf node applies, and its operands; `ExprError` if not allowed."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _Apply(ops.get(_BINARY[type(node.op)]), 2), [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _Apply(ops.get("neg"), 1), [node.operand]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return None, [node.operand]
    if isinstance(node, ast.Call):
        return _call(node, where, ops), node.args
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
        raise ExprError(f"{where.of(node)}: operator {symbol!r} is not allowed; use {ALLOWED}")
    raise _rejected(node, where)


def _call(node: ast.Call, where: _Where, ops: OpRegistry) -> _Apply:
    if not isinstance(node.func, ast.Name):
        raise ExprError(
            f"{where.of(node)}: {where.snippet(node.func)} cannot be called; only catalogue "
            "ops can, by name, as in sin(x)"
        )
    name = node.func.id
    if node.keywords:
        raise ExprError(f"{where.of(node.keywords[0])}: {name}() takes positional arguments "
                        "only, not keywords")  # fmt: skip
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise ExprError(f"{where.of(arg)}: starred argument {where.snippet(arg)} is not "
                            "allowed")  # fmt: skip
    try:
        op = ops.get(name)
    except UnknownOpError as error:
        raise ExprError(f"{where.of(node)}: {_one_line(str(error))}") from None
    if op.arity is not None and len(node.args) != op.arity:
        raise ExprError(
            f"{where.of(node)}: {name} takes {op.arity} argument{'' if op.arity == 1 else 's'}, "
            f"got {len(node.args)}"
        )
    return _Apply(op, len(node.args))


def _number(node: ast.Constant, where: _Where) -> float:
    value = node.value
    if type(value) is bool or not isinstance(value, (int, float)):
        kind = {bool: "boolean", str: "string", bytes: "bytes", complex: "complex number"}
        found = kind.get(type(value), "constant")  # None, ...
        raise ExprError(
            f"{where.of(node)}: {found} {where.snippet(node)} is not allowed; use {ALLOWED}"
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExprError(f"{where.of(node)}: the number {where.snippet(node)} is too large for a "
                        "float")  # fmt: skip
    return number


def _rejected(node: ast.AST, where: _Where) -> ExprError:
    kind = _KINDS.get(type(node), type(node).__name__)
    return ExprError(
        f"{where.of(node)}: {kind} {where.snippet(node)} is not allowed; use {ALLOWED}"
    )


@final
class _Where:
    """Positions in the user's text (columns count characters, from 1) and short excerpts."""

    def __init__(self, text: str, body: str) -> None:
        self.text = text
        self.body = body
        lead = text[: len(text) - len(text.lstrip())]  # stripped before parsing
        self.line_shift = lead.count("\n")
        self.column_shift = len(lead) - (lead.rfind("\n") + 1)
        self.lines = body.split("\n")

    def at(self, lineno: int, column: int) -> str:
        """`column C` (or `line L, column C`) for a 1-based line and 0-based column of body."""
        shifted = column + (self.column_shift if lineno == 1 else 0) + 1
        if len(self.lines) + self.line_shift == 1:
            return f"column {shifted}"
        return f"line {lineno + self.line_shift}, column {shifted}"

    def of(self, node: ast.AST) -> str:
        lineno: int = getattr(node, "lineno", 1)
        offset: int = getattr(node, "col_offset", 0)
        line = self.lines[lineno - 1] if lineno <= len(self.lines) else ""
        # ast counts columns in UTF-8 bytes; people count characters.
        column = len(line.encode("utf-8")[:offset].decode("utf-8", errors="replace"))
        return self.at(lineno, column)

    def snippet(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.body, node) or type(node).__name__
        segment = _one_line(segment)
        return repr(segment if len(segment) <= 40 else segment[:37] + "...")


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)
