"""Bad input gets a clear error that names the cause; nothing is silently wrong."""

from __future__ import annotations

import math

import pytest

import rulegrad as rg
from tests.helpers import MODES


def test_hierarchy_subclasses_builtins() -> None:
    assert issubclass(rg.UnknownOpError, KeyError)
    assert issubclass(rg.DuplicateOpError, ValueError)
    assert issubclass(rg.ArityError, ValueError)
    assert issubclass(rg.DomainError, ValueError)
    assert issubclass(rg.DivisionByZeroError, ZeroDivisionError)
    assert issubclass(rg.RangeError, OverflowError)
    assert issubclass(rg.OperandTypeError, TypeError)
    assert issubclass(rg.MissingRuleError, NotImplementedError)
    for cls in (rg.UnknownOpError, rg.DomainError, rg.MissingRuleError, rg.EscapedValueError,
                rg.NonScalarOutputError, rg.RuleError, rg.ArgumentError, rg.ModeError):  # fmt: skip
        assert issubclass(cls, rg.RulegradError)


def test_unknown_op() -> None:
    with pytest.raises(KeyError) as caught:
        rg.registry.get("sinn")
    assert isinstance(caught.value, rg.UnknownOpError)
    assert caught.value.op_name == "sinn"
    assert str(caught.value) == (
        "no op named 'sinn' in the catalogue; did you mean 'sin', 'sinh', 'sign'?"
    )
    assert "sinn" not in rg.registry


def test_duplicate_op() -> None:
    registry = rg.OpRegistry()
    first = rg.define_op("f", forward=math.sin, partials=None, registry=registry)
    with pytest.raises(rg.DuplicateOpError, match="'f' is already registered"):
        rg.define_op("f", forward=math.cos, partials=None, registry=registry)
    assert registry.get("f") is first


def test_a_builtin_name_is_a_duplicate_that_replace_cannot_overcome() -> None:
    for replace in (False, True):
        with pytest.raises(rg.BuiltinOpError, match="'sin' is a built-in op") as caught:
            rg.define_op("sin", forward=math.sin, partials=None, replace=replace)
        assert isinstance(caught.value, rg.DuplicateOpError)
        assert isinstance(caught.value, ValueError)
        assert caught.value.op_name == "sin"
    assert rg.registry.get("sin") is rg.sin


def test_replace_in_a_private_registry() -> None:
    registry = rg.OpRegistry()
    first = rg.define_op(
        "f", forward=lambda x: x, partials=lambda out, x: (1.0,), registry=registry
    )
    second = rg.define_op(
        "f", forward=lambda x: 2 * x, partials=lambda out, x: (2.0,), registry=registry,
        replace=True,
    )  # fmt: skip
    assert registry.get("f") is second is not first
    assert "f" not in rg.registry
    assert [op.name for op in registry] == ["f"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rg.registry.get("sin")(1.0, 2.0), "sin takes 1 argument, got 2"),
        (lambda: rg.registry.get("atan2")(1.0), "atan2 takes 2 arguments, got 1"),
        (lambda: rg.registry.get("dot")(1.0, 2.0, 3.0), "even number of arguments"),
        (lambda: rg.dot([1.0, 2.0], [1.0]), "dot takes two sequences of equal length, got 2 and 1"),
    ],
)
def test_wrong_arity(call: object, message: str) -> None:
    with pytest.raises(rg.ArityError) as caught:
        call()  # type: ignore[operator]
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_forward_domain_errors_follow_math() -> None:
    with pytest.raises(ValueError, match=r"math domain error"):
        math.log(-1.0)
    for x in (-1.0, rg.Value(-1.0), rg.Dual(-1.0, 1.0)):
        with pytest.raises(rg.DomainError) as caught:
            rg.log(x)
        assert caught.value.op_name == "log"
        assert caught.value.point == (-1.0,)
        assert "log(x=-1.0)" in str(caught.value) and "x > 0" in str(caught.value)
    with pytest.raises(rg.DomainError, match=r"pow\(x=-8.0, y=0.5\)"):
        rg.pow(-8.0, 0.5)
    with pytest.raises(rg.DomainError, match=r"asin\(x=2.0\)"):
        rg.asin(rg.Value(2.0))


def test_division_by_zero_and_overflow() -> None:
    with pytest.raises(ZeroDivisionError, match=r"div\(x=1.0, y=0.0\): division by zero"):
        rg.div(1.0, 0.0)
    with pytest.raises(rg.DivisionByZeroError):
        rg.Value(1.0) / 0.0
    with pytest.raises(OverflowError, match=r"exp\(x=1000.0\)"):
        rg.exp(1000.0)
    with pytest.raises(rg.RangeError):
        rg.Dual(1000.0, 1.0).exp()


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_undefined_derivative_raises_when_needed(mode: rg.ModeLike) -> None:
    with pytest.raises(rg.DomainError) as caught:
        rg.grad(rg.sqrt, mode=mode)(0.0)
    assert caught.value.op_name == "sqrt"
    assert "derivative of sqrt is undefined at x=0.0: sqrt has an infinite slope at 0" in str(
        caught.value
    )
    assert rg.sqrt(0.0) == 0.0  # the value itself is fine
    # pow's partial in the exponent is undefined at a negative base, but never needed here.
    assert rg.grad(lambda x: x**2, mode=mode)(-3.0) == -6.0
    assert rg.grad(lambda x: x**3.0, mode=mode)(-2.0) == 12.0
    with pytest.raises(rg.DomainError, match="not differentiable in y"):
        rg.grad(lambda y: (-2.0) ** y, mode=mode)(2.0)
    with pytest.raises(rg.DomainError, match="infinite slope"):
        rg.grad(lambda x: x**0.5, mode=mode)(0.0)
    assert rg.grad(lambda x: x**0.0, mode=mode)(0.0) == 0.0
    with pytest.raises(rg.DomainError, match="atan2"):
        rg.grad(lambda x: rg.atan2(x, x), mode=mode)(0.0)
    with pytest.raises(rg.DomainError, match="asin"):
        rg.grad(rg.asin, mode=mode)(1.0)


def test_undefined_derivative_on_a_hand_built_graph() -> None:
    x = rg.Value(0.0)
    y = rg.sqrt(x)  # fine: nothing differentiated yet
    with pytest.raises(rg.DomainError, match="sqrt"):
        y.backward()
    with pytest.raises(rg.DomainError, match="sqrt"):
        rg.sqrt(rg.Dual(0.0, 1.0))
    assert rg.sqrt(rg.Dual(0.0, 0.0)).tangent == 0.0  # a zero tangent needs no derivative


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_missing_rule(mode: rg.ModeLike) -> None:
    registry = rg.OpRegistry()
    floor = rg.define_op("floor", forward=math.floor, partials=None, registry=registry, arity=1)
    assert floor(2.5) == 2
    assert floor.modes == ()
    with pytest.raises(rg.MissingRuleError) as caught:
        rg.grad(lambda x: floor(x) + x, mode=mode)(2.5)
    assert caught.value.op_name == "floor"
    assert caught.value.mode == mode
    assert f"no {mode} rule for 'floor'" in str(caught.value)
    # A constant argument needs no rule.
    assert rg.grad(lambda x: floor(2.5) * x, mode=mode)(1.0) == 2.0


def test_non_scalar_output() -> None:
    for mode in MODES:
        with pytest.raises(rg.NonScalarOutputError, match=r"rg\.jacobian") as caught:
            rg.grad(lambda x: [x, x], mode=mode)(1.0)  # type: ignore[arg-type, return-value]
        assert isinstance(caught.value, rg.RulegradError)
    with pytest.raises(rg.NonScalarOutputError, match="returned str"):
        rg.grad(lambda x: "x")(1.0)  # type: ignore[arg-type, return-value]
    # jvp takes any container of numbers as output (section 8); a string is still no number.
    assert rg.jvp(lambda x: (x,), (1.0,), (1.0,)) == ((1.0,), (1.0,))
    with pytest.raises(rg.NonScalarOutputError, match=r"out\[1\] of what f returned is a str"):
        rg.jvp(lambda x: (x, "x"), (1.0,), (1.0,))


def test_float_of_a_node_says_what_to_do() -> None:
    with pytest.raises(TypeError, match=r"\.data") as caught:
        float(rg.Value(1.0))  # type: ignore[arg-type]
    assert "rulegrad ops" in str(caught.value)
    with pytest.raises(TypeError, match=r"\.primal"):
        float(rg.Dual(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="drop its derivative"):
        math.sin(rg.Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="drop its derivative"):
        int(rg.Value(1.0))  # type: ignore[call-overload]
    assert rg.to_float(rg.Value(1.5)) == 1.5


def test_operand_type_errors() -> None:
    with pytest.raises(rg.OperandTypeError, match="sin: argument 0 must be a real number") as c:
        rg.sin("a")  # type: ignore[call-overload]
    assert isinstance(c.value, TypeError)
    with pytest.raises(TypeError, match="argument 1"):
        rg.Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match="complex"):
        rg.exp(1j)  # type: ignore[call-overload]
    with pytest.raises(rg.ArgumentError, match="Value must be a real number, not str"):
        rg.Value("1.0")  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="Value must be a real number, not Dual"):
        rg.Value(rg.Dual(1.0))  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="Dual primal must be a real number, not Dual"):
        rg.Dual(rg.Dual(1.0))  # type: ignore[arg-type]


def test_transform_argument_errors() -> None:
    f = lambda x, y: x * y
    with pytest.raises(rg.ArgumentError, match="at least 3 positional arguments"):
        rg.grad(f, argnums=2)(1.0, 2.0)
    with pytest.raises(rg.ArgumentError, match="twice"):
        rg.grad(f, argnums=(0, 0))(1.0, 2.0)
    with pytest.raises(rg.ArgumentError, match=r"x\[0\] is differentiated"):
        rg.grad(f)(["a"], 2.0)
    with pytest.raises(rg.ModeError, match="'forward' or 'reverse', got 'sideways'"):
        rg.grad(f, mode="sideways")  # type: ignore[call-overload]
    with pytest.raises(rg.ArgumentError, match="one tangent per primal"):
        rg.jvp(f, (1.0, 2.0), (1.0,))
    with pytest.raises(rg.ArgumentError, match="order must be a non-negative int"):
        rg.derivative(rg.sin, order=-1)
    _, pullback = rg.vjp(lambda x: [x, 2 * x], 1.0)
    with pytest.raises(rg.ArgumentError, match="cotangent must be a list of 2 entries"):
        pullback(1.0)


def test_malformed_rules() -> None:
    registry = rg.OpRegistry()
    with pytest.raises(rg.RuleError, match=r"partials must take \(out, x\)"):
        rg.define_op("bad", forward=lambda x: x, partials=lambda x: (1.0,), registry=registry)
    with pytest.raises(rg.RuleError, match="forward must be callable"):
        rg.define_op("bad", forward=1.0, partials=None, registry=registry)  # type: ignore[arg-type]
    with pytest.raises(rg.RuleError, match="identifier"):
        rg.define_op("no good", forward=lambda x: x, partials=None, registry=registry)
    wrong_count = rg.define_op(
        "wrong_count", forward=lambda x: x, partials=lambda out, x: (1.0, 2.0), registry=registry
    )
    with pytest.raises(rg.RuleError, match="partials returned 2 values for 1 inputs"):
        rg.grad(wrong_count)(1.0)
    assert "bad" not in registry


def test_fixed_arity_ops_check_their_forward() -> None:
    with pytest.raises(rg.RuleError, match="a UnaryOp takes 1 argument"):
        rg.UnaryOp("two", forward=lambda x, y: x * y, partials=None)
    with pytest.raises(rg.RuleError, match="a BinaryOp takes 2 arguments"):
        rg.BinaryOp("one", forward=lambda x: x, partials=None)
    with pytest.raises(rg.RuleError, match="a BinaryOp takes 2 arguments"):
        rg.BinaryOp("many", forward=lambda *xs: 0.0, partials=None)
    square = rg.UnaryOp("square", forward=lambda x: x * x, partials=lambda out, x: (2.0 * x,))
    assert isinstance(square, rg.Op) and square.arity == 1
    assert rg.grad(square)(3.0) == 6.0


def test_builtin_ops_are_typed_by_arity() -> None:
    kinds = {op.name: type(op) for op in rg.registry if op.source == "built-in"}
    assert kinds["sin"] is rg.UnaryOp and kinds["atan2"] is rg.BinaryOp
    assert kinds["sum"] is rg.Op and kinds["dot"] is rg.Op
    for op in rg.registry:
        if op.source == "built-in" and op.arity in (1, 2):
            assert type(op) is (rg.UnaryOp if op.arity == 1 else rg.BinaryOp), op.name
