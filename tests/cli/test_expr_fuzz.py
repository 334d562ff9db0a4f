"""Fuzzing the expression parser: random text, random valid trees, random invalid trees.

Valid trees are checked against Python's own evaluation of the same text: over floats with
`math` functions for the value, and with every operator written as a call of its catalogue
op for the gradient (the same graph node for node, so the gradients are equal exactly).
Python evaluates here, in the test, and only trees that the test built itself.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Final, TypeAlias

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulegrad as rg
from rulegrad.cli import main
from rulegrad.cli._expr import ExprError, parse

VARIABLES: Final = ("x", "y", "z")
UNARY: Final[dict[str, Callable[[float], float]]] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
    "sqrt": math.sqrt, "atan": math.atan, "tanh": math.tanh, "sinh": math.sinh,
    "asin": math.asin, "expm1": math.expm1, "log1p": math.log1p, "abs": math.fabs,
}  # fmt: skip
BINARY: Final[dict[str, Callable[[float, float], float]]] = {
    "atan2": math.atan2, "pow": math.pow, "hypot": math.hypot,
    "maximum": lambda a, b: a if a >= b else b, "minimum": lambda a, b: a if a <= b else b,
}  # fmt: skip
OPERATORS: Final = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
ARITHMETIC_ERRORS: Final = (ValueError, ZeroDivisionError, OverflowError)
POINTS: Final = st.tuples(*(st.floats(-3.0, 3.0) for _ in VARIABLES))
FUZZ: Final = settings(max_examples=150, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


def call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


leaves = st.one_of(
    st.sampled_from(VARIABLES).map(lambda name: ast.Name(name, ast.Load())),
    st.integers(0, 20).map(ast.Constant),
    st.floats(0.0, 1e3, allow_nan=False, allow_infinity=False).map(ast.Constant),
)


def grow(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    return st.one_of(
        st.builds(
            lambda a, op, b: ast.BinOp(a, op(), b), children, st.sampled_from(OPERATORS), children
        ),
        st.builds(
            lambda op, a: ast.UnaryOp(op(), a), st.sampled_from((ast.USub, ast.UAdd)), children
        ),
        st.builds(call, st.sampled_from(sorted(UNARY)), children),
        st.builds(call, st.sampled_from(sorted(BINARY)), children, children),
    )


valid_trees = st.recursive(leaves, grow, max_leaves=10)


def bad_nodes(inner: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    """One construct outside the whitelist, wrapping valid sub-expressions."""
    no_args = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])
    load = ast.Load()
    return st.one_of(
        st.builds(lambda a: ast.Attribute(a, "real", load), inner),
        st.builds(lambda a: ast.Subscript(a, ast.Constant(0), load), inner),
        st.builds(lambda a, b: ast.Compare(a, [ast.Lt()], [b]), inner, inner),
        st.builds(lambda a, b: ast.BoolOp(ast.Or(), [a, b]), inner, inner),
        st.builds(lambda a, b, c: ast.IfExp(a, b, c), inner, inner, inner),
        st.builds(lambda a: ast.Lambda(no_args, a), inner),
        st.builds(lambda a: ast.List([a], load), inner),
        st.builds(lambda a, b: ast.Tuple([a, b], load), inner, inner),
        st.builds(lambda a: ast.NamedExpr(ast.Name("w", ast.Store()), a), inner),
        st.builds(
            lambda a, op: ast.BinOp(a, op(), a),
            inner,
            st.sampled_from((ast.FloorDiv, ast.Mod, ast.BitAnd, ast.LShift)),
        ),
        st.builds(
            lambda a, op: ast.UnaryOp(op(), a), inner, st.sampled_from((ast.Not, ast.Invert))
        ),
        st.builds(
            lambda name, a: call(name, a),
            st.sampled_from(("eval", "exec", "__import__", "open", "print", "x")),
            inner,
        ),
        st.builds(lambda a: ast.Call(ast.Name("sin", load), [], [ast.keyword("x", a)]), inner),
        st.builds(lambda a: call("sin", ast.Starred(a, load)), inner),
        st.builds(lambda a, b: call("sin", a, b), inner, inner),
        st.builds(
            lambda a: ast.Call(ast.Attribute(ast.Name("os", load), "system", load), [a], []), inner
        ),
        st.builds(
            lambda a: ast.ListComp(a, [ast.comprehension(ast.Name("x", ast.Store()), a, [], 0)]),
            inner,
        ),
        st.sampled_from(("s", b"b", True, None, 1j, ...)).map(ast.Constant),
        st.sampled_from(("sin", "exp", "sum")).map(lambda name: ast.Name(name, load)),
    )


def embed(bad: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    """Trees of valid nodes with exactly one bad node somewhere inside."""
    return st.one_of(
        st.builds(
            lambda a, op, b: ast.BinOp(a, op(), b), bad, st.sampled_from(OPERATORS), valid_trees
        ),
        st.builds(
            lambda a, op, b: ast.BinOp(a, op(), b), valid_trees, st.sampled_from(OPERATORS), bad
        ),
        st.builds(lambda a: ast.UnaryOp(ast.USub(), a), bad),
        st.builds(call, st.sampled_from(sorted(UNARY)), bad),
    )


invalid_trees = st.recursive(bad_nodes(valid_trees), embed, max_leaves=4)


def source(tree: ast.expr) -> str:
    return ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))


class Rewrite(ast.NodeTransformer):
    """Constants as floats, and the operators in `names` as calls of the functions named."""

    def __init__(self, names: Mapping[type[ast.AST], str]) -> None:
        self.names = names

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        name = self.names.get(type(node.op))
        return call(name, node.left, node.right) if name else node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        name = self.names.get(type(node.op))
        return call(name, node.operand) if name else node

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        assert isinstance(node.value, (int, float))
        return ast.Constant(float(node.value))


def python_function(
    tree: ast.expr, names: Mapping[type[ast.AST], str], namespace: Mapping[str, object]
) -> Callable[..., float]:
    """The same text as Python's `lambda x, y, z: ...`, in this test only."""
    body = Rewrite(names).visit(ast.parse(source(tree), mode="eval")).body
    f: Callable[..., float] = eval(f"lambda x, y, z: {ast.unparse(body)}", {**namespace})
    return f


# Python's own float arithmetic, but `**` as math.pow (Python's gives complex numbers where
# math.pow, and so rulegrad, raises).
Dialect: TypeAlias = tuple[Mapping[type[ast.AST], str], Mapping[str, object]]
FLOAT_PYTHON: Final[Dialect] = (
    {ast.Pow: "_pow"},
    {"__builtins__": {}, "_pow": math.pow, **UNARY, **BINARY},
)
# Every operator as a call of the catalogue op: the same graph, node for node.
RG_PYTHON: Final[Dialect] = (
    {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
     ast.USub: "neg"},
    {"__builtins__": {}, **{op.name: op for op in rg.registry}},
)  # fmt: skip


def outcome(compute: Callable[[], object]) -> object:
    """What `compute()` gives, or the type of the arithmetic error it raises."""
    try:
        return compute()
    except ARITHMETIC_ERRORS as error:
        return type(error)


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def assert_clean(error: ExprError) -> None:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message


@FUZZ
@given(st.text(max_size=80) | st.text(st.sampled_from("xyz019.e+-*/()[]{},:;='\"_ \tsin\n"),
                                    max_size=80))  # fmt: skip
def test_random_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        parse(text)
    except ExprError as error:
        assert_clean(error)


@settings(max_examples=40, deadline=None)
@given(st.text(st.sampled_from("xyz19+-*/()._'[]sincoexp,"), min_size=1, max_size=30))
def test_random_text_on_the_command_line_never_crashes(text: str) -> None:
    assert main(["grad", text, "--at", "x=0.5", "y=1.5", "z=2.5"]) in (0, 2)


@FUZZ
@given(valid_trees, POINTS)
def test_valid_trees_evaluate_as_python_does(tree: ast.expr, values: tuple[float, ...]) -> None:
    f = parse(source(tree)).function(list(VARIABLES))  # never raises: inside the whitelist
    expected = outcome(lambda: python_function(tree, *FLOAT_PYTHON)(*values))
    if isinstance(expected, type):
        # rulegrad's error derives from the builtin Python raised, as the contract says.
        with pytest.raises(rg.RulegradError) as caught:
            f(*values)
        assert isinstance(caught.value, expected), (expected, caught.value)
    else:
        assert same(f(*values), expected), (f(*values), expected)


@settings(max_examples=80, deadline=None)
@given(valid_trees, POINTS, st.sampled_from(("forward", "reverse")))
def test_valid_trees_differentiate_as_the_same_python_code_does(
    tree: ast.expr, values: tuple[float, ...], mode: rg.ModeLike
) -> None:
    compiled = parse(source(tree)).function(list(VARIABLES))
    written = python_function(tree, *RG_PYTHON)
    got = outcome(lambda: rg.grad(compiled, argnums=(0, 1, 2), mode=mode)(*values))
    expected = outcome(lambda: rg.grad(written, argnums=(0, 1, 2), mode=mode)(*values))
    assert same(got, expected), (got, expected)


@FUZZ
@given(invalid_trees)
def test_invalid_trees_are_rejected_cleanly(tree: ast.expr) -> None:
    text = source(tree)
    try:
        parse(text)
    except ExprError as error:
        assert_clean(error)
    else:
        raise AssertionError(f"accepted {text!r}")
