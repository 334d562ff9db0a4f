"""The expression parser of `rulegrad grad`: what it accepts, what it rejects, and where."""

from __future__ import annotations

import math
from typing import Any

import pytest

import rulegrad as rg
from rulegrad.cli._expr import CONSTANTS, MAX_DEPTH, ExprError, parse


def one_line_error(text: str, **limits: Any) -> str:
    with pytest.raises(ExprError) as caught:
        parse(text, **limits)
    message = str(caught.value)
    assert message and "\n" not in message, repr(message)
    return message


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("1 + 2 * 3", {}, 7.0),
        ("2 ** 3 ** 2", {}, 512.0),  # ** is right-associative, as in Python
        ("-2 ** 2", {}, -4.0),  # and binds tighter than unary minus
        ("(-2) ** 2", {}, 4.0),
        ("+x - -y", {"x": 1.5, "y": 2.0}, 3.5),
        ("x / y / 2", {"x": 8.0, "y": 2.0}, 2.0),
        ("atan2(y, x)", {"x": 0.0, "y": 1.0}, math.pi / 2),
        ("sum(x, y, 3) + sum()", {"x": 1.0, "y": 2.0}, 6.0),
        ("dot(x, y, 2, 3)", {"x": 1.0, "y": 2.0}, 8.0),
        ("1_000 + 0x10 + 1e3 + .5", {}, 2016.5),
        ("maximum(x, relu(-x))", {"x": -3.0}, 3.0),
        ("(\n x\n + 1\n)", {"x": 1.0}, 2.0),
        ("  x  ", {"x": 4.0}, 4.0),
    ],
)
def test_evaluates_like_arithmetic(text: str, env: dict[str, float], expected: float) -> None:
    assert parse(text).evaluate(env) == pytest.approx(expected, rel=1e-15)


def test_names_are_listed_in_order_of_first_use_with_their_position() -> None:
    expr = parse("y * sin(x) + y + pi")
    assert list(expr.names) == ["y", "x", "pi"]
    assert expr.names["x"] == "column 9"


def test_called_names_are_ops_not_variables() -> None:
    assert list(parse("exp(x) + sin(cos(y))").names) == ["x", "y"]


def test_the_program_is_postfix_and_calls_catalogue_ops() -> None:
    steps = parse("x * 2 + sin(y)").steps
    assert steps[:3] == ("x", 2.0, (rg.registry.get("mul"), 2))
    assert steps[3:] == ("y", (rg.registry.get("sin"), 1), (rg.registry.get("add"), 2))


def test_constants_are_values_unless_given_as_variables() -> None:
    assert parse("pi + e").function([])() == math.pi + math.e
    assert parse("pi * e").function(["e"])(2.0) == 2.0 * math.pi
    assert set(CONSTANTS) == {"pi", "e"}


def test_evaluates_values_and_duals_through_the_same_program() -> None:
    f = parse("x * x * y").function(["x", "y"])
    assert rg.grad(f, argnums=(0, 1))(3.0, 2.0) == (12.0, 9.0)
    assert rg.grad(f, argnums=(0, 1), mode="forward")(3.0, 2.0) == (12.0, 9.0)


def test_function_refuses_names_without_values() -> None:
    with pytest.raises(ExprError, match="no value for 'z'"):
        parse("x + z").function(["x"])
    with pytest.raises(ExprError, match="no value for 'y'"):
        parse("x + y").evaluate({"x": 1.0})


def test_ops_are_resolved_in_the_given_registry() -> None:
    ops = rg.OpRegistry()
    for op in rg.registry:
        ops.register(op)
    rg.define_op("cli_cube", forward=lambda x: x**3, partials=lambda out, x: (3.0 * x * x,),
                 registry=ops)  # fmt: skip
    assert parse("cli_cube(x) + 1", ops=ops).evaluate({"x": 2.0}) == 9.0
    assert "no op named 'cli_cube'" in one_line_error("cli_cube(x)")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("x.real", ["column 1", "attribute access 'x.real'"]),
        ("x[0]", ["subscript"]),
        ("lambda: 1", ["lambda"]),
        ("[x for x in y]", ["comprehension"]),
        ("(x for x in y)", ["generator expression"]),
        ("x < 1", ["comparison"]),
        ("x and y", ["boolean operator"]),
        ("not x", ["operator 'not'"]),
        ("~x", ["operator '~'"]),
        ("x // 2", ["operator '//'"]),
        ("x % 2", ["operator '%'"]),
        ("x @ y", ["operator '@'"]),
        ("x if y else 1", ["conditional"]),
        ("(w := x)", ["assignment (:=)", "column 2"]),
        ("f'{x}'", ["f-string"]),
        ("'os'", ["string"]),
        ("b'x'", ["bytes"]),
        ("True + x", ["boolean 'True'"]),
        ("None", ["constant 'None'"]),
        ("...", ["constant '...'"]),
        ("1j * x", ["complex number '1j'"]),
        ("[x]", ["list"]),
        ("x, y", ["tuple"]),
        ("{x}", ["set"]),
        ("{x: y}", ["dict"]),
        ("await x", ["await"]),
        ("(yield x)", ["yield"]),
        ("x + __import__('os')", ["column 5", "no op named '__import__'"]),
        ("open('f', 'w')", ["no op named 'open'"]),
        ("eval('1')", ["no op named 'eval'"]),
        ("sinn(x)", ["no op named 'sinn'", "did you mean 'sin'"]),
        ("os.system('ls')", ["'os.system' cannot be called"]),
        ("sin(x)(y)", ["'sin(x)' cannot be called"]),
        ("sin(x=1)", ["column 5", "positional arguments only"]),
        ("sin(*xs)", ["starred argument '*xs'"]),
        ("sin(x, y)", ["sin takes 1 argument, got 2"]),
        ("atan2(x)", ["atan2 takes 2 arguments, got 1"]),
        ("sin + 1", ["'sin' is an op; call it as sin(...)"]),
        ("1" + "0" * 400, ["too large for a float"]),
        ("1e400 * x", ["the number '1e400' is too large"]),
        ("1" * 5000, ["syntax error", "4300 digits"]),
        ("x +* y", ["syntax error at column 4"]),
        ("(x", ["syntax error", "never closed"]),
        ("x y", ["syntax error"]),
        ("", ["empty"]),
        ("  \n ", ["empty"]),
        ("x\x00", ["'\\x00' at position 2"]),
        ("x\r\ny", ["'\\r'"]),
        ("x\ud800", ["'\\ud800'"]),
        ("(" * 300 + "x" + ")" * 300, ["too many nested parentheses"]),
        ("-" * 9000 + "x", ["nested too deeply"]),
        ("x" + "**x" * 3300, ["nested too deeply"]),
        ("x" + "+x" * 5000, ["characters long"]),
    ],
)
def test_rejects_with_one_line_naming_what_and_where(text: str, fragments: list[str]) -> None:
    message = one_line_error(text)
    for fragment in fragments:
        assert fragment in message, message


def test_positions_count_characters_and_lines() -> None:
    assert one_line_error("é + ü.real").startswith("column 5:")
    assert one_line_error("   x.real").startswith("column 4:")
    assert one_line_error("(x +\n  y.real)").startswith("line 2, column 3:")
    assert one_line_error("\n\n(x +\n  y.real)").startswith("line 4, column 3:")


def test_the_leftmost_problem_is_reported_first() -> None:
    assert one_line_error("sin(x.a) + y[0]").startswith("column 5: attribute access")


def test_long_excerpts_are_shortened() -> None:
    message = one_line_error("x.a" + "+x" * 100)
    assert "'x.a'" in message
    assert "..." in one_line_error("(" + "x+" * 50 + "x).a")


def test_depth_is_bounded_before_anything_recursive() -> None:
    deep = "x" + "+x" * (MAX_DEPTH + 10)  # Python's parser takes this; the walk refuses it
    assert f"more than {MAX_DEPTH:,} levels" in one_line_error(deep)
    assert parse("x" + "+x" * (MAX_DEPTH - 10)).evaluate({"x": 1.0}) == MAX_DEPTH - 9
    assert "more than 3 levels" in one_line_error("sin(sin(sin(x)))", max_depth=3)


def test_size_limits_can_be_tightened() -> None:
    assert "the limit is 5" in one_line_error("x + y + z", max_length=5)
    assert "more than 4 parts" in one_line_error("x + y + z", max_nodes=4)
    assert parse("x + y + z", max_nodes=5).names == {"x": "column 1", "y": "column 5",
                                                     "z": "column 9"}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "x", "error"),
    [
        ("log(x)", -1.0, rg.DomainError),
        ("1 / (x + 1)", -1.0, rg.DivisionByZeroError),
        ("exp(-1000 * x)", -1.0, rg.RangeError),
        ("x ** 1e10", 2.0, rg.RangeError),
        ("2 ** 10 ** 10 + x", 0.0, rg.RangeError),
        ("9 ** 9 ** 9 ** 9 + x", 0.0, rg.RangeError),
    ],
)
def test_evaluation_errors_are_the_librarys(text: str, x: float, error: type[Exception]) -> None:
    expr = parse(text)  # parsing alone never computes anything
    with pytest.raises(error):
        expr.evaluate({"x": x})
