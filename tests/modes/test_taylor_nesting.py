"""Taylor mode among the other transforms: nesting both ways, without perturbation confusion."""

from __future__ import annotations

import math

import pytest

import rulegrad as rg
from tests.helpers import MODES

P0, X0 = 1.3, 0.7


def _fifth(p: float) -> float:
    """Coefficient 5 of sin(p x) at X0, as a function of the parameter p."""
    return rg.taylor(lambda x: rg.sin(p * x), order=5)(X0)[5]


def _fifth_slope(p: float) -> float:
    # d/dp [p^5 cos(p x) / 5!] at x = X0
    return (5 * p**4 * math.cos(p * X0) - p**5 * X0 * math.sin(p * X0)) / 120


@pytest.mark.parametrize("mode", MODES)
def test_gradient_of_a_taylor_coefficient_with_respect_to_a_parameter(mode: rg.ModeLike) -> None:
    assert rg.grad(_fifth, mode=mode)(P0) == pytest.approx(_fifth_slope(P0), rel=1e-13)


def test_jvp_and_hessian_of_taylor_coefficients() -> None:
    # Coefficient 3 of exp(p x) at 0 is p^3 / 6.
    out, tangent = rg.jvp(
        lambda p: rg.taylor(lambda x: rg.exp(p * x), order=3)(0.0)[3], (2.0,), (1.0,)
    )
    assert out == pytest.approx(8.0 / 6.0, rel=1e-15) and tangent == pytest.approx(2.0, rel=1e-15)
    # Coefficient 2 of q * x^2 * exp(p x) at 0 is q: its Hessian in (p, q) is zero, but
    # coefficient 3 (q p) has the mixed partial 1.
    third = lambda p, q: rg.taylor(lambda x: q * x * x * rg.exp(p * x), order=3)(0.0)[3]
    assert rg.hessian(third)(0.5, 2.0) == [[0.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize("mode", MODES)
def test_taylor_of_a_function_that_takes_a_gradient_inside(mode: rg.ModeLike) -> None:
    # d/dy (y^3 x) at y = x is 3 x^3, whose coefficients at 2 are 24, 36, 18, 3.
    f = lambda x: rg.grad(lambda y: y**3 * x, mode=mode)(x)
    assert rg.taylor(f, order=4)(2.0) == [24.0, 36.0, 18.0, 3.0, 0.0]


def test_taylor_of_hessian_jvp_and_jacobian_inside() -> None:
    # d2/da db (a^2 b x) at (x, 3) is 2 a x = 2 x^2.
    hessian = lambda x: rg.hessian(lambda a, b: a * a * b * x)(x, 3.0)[0][1]
    assert rg.taylor(hessian, order=3)(2.0) == [8.0, 8.0, 2.0, 0.0]
    jvp = lambda x: rg.jvp(lambda a: rg.sin(a * x), (x,), (1.0,))[1]  # x cos(x^2)
    expected = rg.taylor(lambda x: x * rg.cos(x * x), order=6)(0.5)
    assert rg.taylor(jvp, order=6)(0.5) == pytest.approx(expected, rel=1e-14)
    rows = lambda x: rg.jacobian(lambda a: [a * x, a * a], mode="forward")(x)[1][0]  # 2x
    assert rg.taylor(rows, order=2)(1.5) == [3.0, 2.0, 0.0]


def test_no_perturbation_confusion_between_nested_expansions() -> None:
    # x * d2/dy2 (x + y) + x * d/dy (x y) = x^2: the inner derivatives do not see x move.
    f = lambda x: (
        x * rg.derivative(lambda y: x + y, order=3)(1.0)
        + x * rg.derivative(lambda y: x * y, order=1)(3.0)
    )
    assert rg.taylor(f, order=3)(5.0) == [25.0, 10.0, 1.0, 0.0]

    # d3/dx3 [x * d3/dy3 (x^2 y^3)] = d3/dx3 6 x^3 = 36: Taylor mode over Taylor mode.
    def inner(x: float) -> float:
        return rg.derivative(lambda y: x * x * y**3, order=3)(2.0)

    assert rg.derivative(lambda x: x * inner(x), order=3)(3.0) == 36.0
    g = lambda x: x * rg.taylor(lambda y: x * y**3, order=3)(2.0)[3]  # x * x = x^2
    assert rg.taylor(g, order=3)(3.0) == [9.0, 6.0, 1.0, 0.0]


def test_taylor_inside_taylor_expands_the_coefficients() -> None:
    # Coefficient 3 in y of exp(x y) at y = 1 is x^3 e^x / 6; expand that in x at 1.
    inner = lambda x: rg.taylor(lambda y: rg.exp(x * y), order=3)(1.0)[3]
    expected = rg.taylor(lambda x: x**3 * rg.exp(x) / 6.0, order=4)(1.0)
    assert rg.taylor(inner, order=4)(1.0) == pytest.approx(expected, rel=1e-14)


def test_compile_around_and_inside_taylor() -> None:
    coefficient = rg.compile(lambda p: rg.taylor(lambda x: rg.exp(p * x), order=3)(0.0)[3])
    value, (slope,) = coefficient.value_and_grad(2.0)
    assert value == pytest.approx(8.0 / 6.0, rel=1e-15) and slope == pytest.approx(2.0, rel=1e-15)
    compiled = rg.compile(lambda x: rg.exp(x) * x)
    assert rg.taylor(compiled, order=3)(0.0) == [0.0, 1.0, 1.0, 0.5]
    assert rg.derivative(rg.compile(rg.sin), order=5)(0.0) == 1.0


def test_compile_inside_taylor_names_a_series_it_closes_over() -> None:
    # As for a Dual of an enclosing rg.grad: compiled code depends on its arguments only.
    with pytest.raises(rg.TracingError, match=r"f uses a Series made outside it \(by rg\.taylor\)"):
        rg.taylor(lambda x: rg.compile(lambda y: y * x)(2.0), order=2)(3.0)
    assert rg.taylor(lambda x: rg.compile(lambda y, z: y * z)(2.0, x), order=2)(3.0) == [
        6.0, 2.0, 0.0,
    ]  # fmt: skip


def test_a_closure_over_hand_built_values_keeps_their_graph() -> None:
    w = rg.Value(3.0)
    weight: float = w  # type: ignore[assignment]  # f sees its parameters as floats
    # Coefficient 2 of w x^3 at 2 is 3 w x = 6 w: a Value of w's graph.
    second: object = rg.taylor(lambda x: weight * x * x * x, order=2)(2.0)[2]
    assert isinstance(second, rg.Value) and second.data == 18.0
    second.backward()
    assert w.grad == 6.0


def test_a_series_used_after_its_call_returned_is_an_error() -> None:
    kept: list[float] = []

    def keep(x: float) -> float:
        kept.append(x)
        return x

    rg.taylor(keep, order=2)(1.0)
    with pytest.raises(rg.EscapedValueError, match=r"rg\.taylor call"):
        rg.sin(kept[0])


def test_derivative_of_taylor_mode_in_threads() -> None:
    import threading

    results: dict[int, float] = {}

    def work(i: int) -> None:
        results[i] = rg.derivative(lambda x: rg.sin(i * x), order=7)(0.3)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(1, 5):
        assert results[i] == pytest.approx(-(i**7) * math.cos(i * 0.3), rel=1e-12)
