"""`rg.compile`'s errors: the dynamic modes' errors at run time, tracing errors, bad input."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import rulegrad as rg

Function = Callable[..., float]


def f(x: float, y: float) -> float:
    return x * rg.sin(y) + y**2


# --- at run time: exactly the errors of rg.value_and_grad and rg.jvp ---------------------


@pytest.mark.parametrize(
    ("function", "point", "error"),
    [
        (lambda x: rg.log(x), (-1.0,), rg.DomainError),
        (lambda x: rg.sqrt(x), (0.0,), rg.DomainError),  # only the derivative is undefined
        (lambda x: 1.0 / x, (0.0,), rg.DivisionByZeroError),
        (lambda x: rg.exp(x), (1000.0,), rg.RangeError),
        (lambda x: x ** (1.0 / 3.0), (-8.0,), rg.DomainError),
        (lambda x, y: rg.atan2(x, y), (0.0, 0.0), rg.DomainError),
        (lambda x: rg.asin(x), (1.0,), rg.DomainError),
        (lambda x: (rg.log(x), x)[1], (-1.0,), rg.DomainError),  # dead code still runs
    ],
)
def test_errors_are_the_dynamic_modes_errors(
    function: Function, point: tuple[float, ...], error: type[Exception]
) -> None:
    compiled = rg.compile(function)
    every = tuple(range(len(point)))
    runs: list[tuple[Callable[[], object], Callable[[], object]]] = [
        (
            lambda: compiled.value_and_grad(*point),
            lambda: rg.value_and_grad(function, every)(*point),
        ),
        (
            lambda: compiled.jvp(point, [1.0] * len(point)),
            lambda: rg.jvp(function, point, [1.0] * len(point)),
        ),
    ]
    for run, dynamic in runs:
        with pytest.raises(error) as expected:
            dynamic()
        with pytest.raises(error) as got:
            run()
        assert str(got.value) == str(expected.value)


def test_undefined_derivative_that_is_never_needed_raises_nothing() -> None:
    # The cotangent reaching sqrt is exactly zero, so the dynamic mode never asks for it.
    compiled = rg.compile(lambda x: 0.0 * rg.sqrt(x) + x)
    assert compiled.value_and_grad(0.0) == (0.0, (1.0,))
    assert rg.value_and_grad(compiled.f)(0.0) == (0.0, 1.0)
    assert rg.compile(lambda x: x**2).grad(0.0) == (0.0,)
    assert rg.compile(lambda x: rg.sqrt(x))(0.0) == 0.0


def test_missing_rules_raise_only_when_differentiating() -> None:
    floor = rg.Op("floor", forward=lambda x: float(math.floor(x)), partials=None)
    compiled = rg.compile(lambda x: floor(x) * x)
    assert compiled(2.5) == 5.0
    with pytest.raises(rg.MissingRuleError, match="no reverse rule for 'floor'"):
        compiled.grad(2.5)
    with pytest.raises(rg.MissingRuleError, match="no forward rule for 'floor'"):
        compiled.jvp((2.5,), (1.0,))


def test_forward_errors_from_the_compiled_value_are_rulegrads() -> None:
    with pytest.raises(rg.DivisionByZeroError, match=r"div\(x=1.0, y=0.0\)"):
        rg.compile(lambda x: 1.0 / x)(0.0)
    with pytest.raises(rg.DomainError, match=r"log\(x=-2.0\)"):
        rg.compile(lambda x, y: rg.log(x * y))(-1.0, 2.0)


# --- tracing errors: what f does must not depend on the values of its arguments ----------


def _branch(x: float) -> float:
    return x if x > 0 else -x


@pytest.mark.parametrize(
    ("function", "operation", "line"),
    [
        (_branch, "a comparison", "return x if x > 0 else -x"),
        (lambda x: rg.sin(x) if 0.0 < x else x, "a comparison", "0.0 < x"),  # noqa: SIM300
        (lambda x: x * (2.0 if x else 1.0), "bool()", "if x else"),
        (lambda x: float(x), "float(), int() or a math function", "float(x)"),
        (lambda x: math.sin(x), "float(), int() or a math function", "math.sin(x)"),
        (lambda x: int(x) * x, "float(), int() or a math function", "int(x)"),
        (lambda x: x * max(x, 1.0), "a comparison", "max(x, 1.0)"),
        (lambda x: x * rg.to_float(x), "rg.to_float()", "rg.to_float(x)"),
        (lambda x: x * (x.data > 0), "a comparison", "x.data > 0"),
        (lambda x: 1.0 if x == 0.0 else x, "a comparison (==, !=)", "x == 0.0"),
        (lambda x: x if x != 1.0 else 2.0 * x, "a comparison (==, !=)", "x != 1.0"),
        (lambda x: x * (x.data == 0), "a comparison (==, !=)", "x.data == 0"),
        (lambda x: [1.0, 2.0][x], "TypeError: list indices", "[1.0, 2.0][x]"),
        (lambda x: round(x), "TypeError: type Value doesn't define __round__", "round(x)"),
    ],
)
def test_value_dependent_code_raises_a_tracing_error(
    function: Function, operation: str, line: str
) -> None:
    with pytest.raises(rg.TracingError) as raised:
        rg.compile(function)(1.0)
    error = raised.value
    assert isinstance(error, TypeError) and isinstance(error, rg.RulegradError)
    assert error.operation.startswith(operation)
    assert __file__ in error.location and line in error.location
    assert "cannot compile f" in str(error) and "rg.grad" in str(error)


def test_values_from_outside_f_and_backward_inside_it_are_tracing_errors() -> None:
    w = rg.Value(2.0)
    with pytest.raises(rg.TracingError, match="uses a Value made outside it"):
        rg.compile(lambda x: x * w)(1.0)
    with pytest.raises(rg.TracingError, match="returned a Value"):
        rg.compile(lambda x: w)(1.0)
    with pytest.raises(rg.TracingError, match=r"calls \.backward\(\)"):
        rg.compile(lambda x: (x * x).backward())(1.0)
    with pytest.raises(rg.TracingError, match="uses a Value made outside it"):
        rg.grad(lambda v: rg.compile(lambda x: x * v)(2.0))(3.0)


# --- bad input ------------------------------------------------------------------------


def test_bad_input_gets_a_rulegrad_error_naming_the_cause() -> None:
    with pytest.raises(rg.ArgumentError, match="needs a function, not int"):
        rg.compile(3)  # type: ignore[arg-type]
    compiled = rg.compile(f)
    with pytest.raises(rg.ArgumentError, match="called with 3 arguments"):
        compiled(1.0, 2.0, 3.0)  # type: ignore[call-arg]
    with pytest.raises(rg.ArgumentError, match="argument 1 must be a real number, not str"):
        compiled(1.0, "2")  # type: ignore[arg-type]
    # None is a container with no leaves (section 8), so it reaches f; bytes are no number.
    with pytest.raises(rg.ArgumentError, match="argument 0 must be a real number, not bytes"):
        compiled.grad(b"x", 2.0)  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="positional arguments only, got y="):
        compiled(1.0, y=2.0)
    with pytest.raises(rg.ArgumentError, match="too large for a float"):
        compiled(10**400, 1.0)
    with pytest.raises(rg.ArgumentError, match="2 primals but 1 tangents"):
        compiled.jvp((1.0, 2.0), (1.0,))
    with pytest.raises(rg.ArgumentError, match="tangents must be a sequence"):
        compiled.jvp((1.0, 2.0), 1.0)  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="tangent 1 must be a real number"):
        compiled.jvp((1.0, 2.0), (1.0, "a"))
    with pytest.raises(rg.ArgumentError, match="n_args must be a non-negative int"):
        compiled.source(-1)
    with pytest.raises(rg.ArgumentError, match="kind must be one of"):
        compiled.source(2, "backward")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("result", "shown"),
    [([1.0, 2.0], "list of length 2"), ((1.0,), "tuple"), (None, "NoneType"), ("s", "str"),
     (True, "bool")],
)  # fmt: skip
def test_a_result_that_is_not_a_scalar_is_refused(result: object, shown: str) -> None:
    with pytest.raises(
        rg.NonScalarOutputError, match=f"rg.compile needs f to return a scalar.*{shown}"
    ):
        rg.compile(lambda x: result).grad(1.0)


def test_an_op_called_wrongly_inside_f_raises_the_dynamic_error() -> None:
    with pytest.raises(rg.ArityError, match="atan2 takes 2 arguments, got 1"):
        rg.compile(lambda x: rg.atan2(x))(1.0)  # type: ignore[call-overload]
    with pytest.raises(rg.DomainError, match=r"log\(x=-1.0\)"):
        rg.compile(lambda x: x * rg.log(-1.0)).grad(1.0)


def test_a_trace_longer_than_max_ops_is_refused_before_any_code_is_built() -> None:
    def chain(x: float) -> float:
        for _ in range(60):
            x = x * 0.5 + 1.0
        return x

    small = rg.compile(chain, max_ops=100)
    with pytest.raises(rg.TraceSizeError, match=r"more than 100 ops.*rg\.grad") as caught:
        small.value_and_grad(1.0)
    assert caught.value.max_ops == 100
    value, slope = rg.value_and_grad(chain)(1.0)
    assert rg.compile(chain, max_ops=120).value_and_grad(1.0) == (value, (slope,))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(rg.ArgumentError, match="max_ops must be a positive int"):
            rg.compile(chain, max_ops=bad)  # type: ignore[arg-type]


def test_a_node_from_outside_is_located_in_the_users_code() -> None:
    outer = rg.Value(2.0)
    with pytest.raises(rg.TracingError) as raised:
        rg.compile(lambda x: x * outer)(1.0)
    assert "test_compiled_errors.py" in raised.value.location
    assert "<rulegrad" not in raised.value.location
