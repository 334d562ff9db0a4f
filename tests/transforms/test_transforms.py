"""The transforms' behaviour: argnums, outputs, modes, shapes."""

from __future__ import annotations

import math

import pytest

import rulegrad as rg
from tests.helpers import MODES


def f(x: float, y: float) -> float:
    return x * rg.sin(y) + y**2


@pytest.mark.parametrize("mode", MODES)
def test_grad_argnums(mode: rg.ModeLike) -> None:
    assert rg.grad(f, mode=mode)(1.0, 2.0) == math.sin(2.0)
    assert rg.grad(f, argnums=1, mode=mode)(1.0, 2.0) == pytest.approx(math.cos(2.0) + 4.0)
    both = rg.grad(f, argnums=(0, 1), mode=mode)(1.0, 2.0)
    assert both == pytest.approx((math.sin(2.0), math.cos(2.0) + 4.0))
    assert rg.grad(f, argnums=-1, mode=mode)(1.0, 2.0) == both[1]
    assert rg.grad(f, argnums=(), mode=mode)(1.0, 2.0) == ()


@pytest.mark.parametrize("mode", [*MODES, rg.Mode.FORWARD, rg.Mode.REVERSE])
def test_value_and_grad(mode: rg.ModeLike) -> None:
    value, gradient = rg.value_and_grad(f, argnums=(0, 1), mode=mode)(1.0, 2.0)
    assert value == f(1.0, 2.0)
    assert gradient == pytest.approx((math.sin(2.0), math.cos(2.0) + 4.0))
    assert rg.value_and_grad(lambda x: x**3, mode=mode)(2.0) == (8.0, 12.0)


@pytest.mark.parametrize("mode", MODES)
def test_untouched_input_and_int_arguments(mode: rg.ModeLike) -> None:
    assert rg.grad(lambda x: 3.0, mode=mode)(1.0) == 0.0
    assert rg.grad(lambda x: 3, mode=mode)(1.0) == 0.0
    assert rg.grad(lambda x, y: y * 2.0, mode=mode)(1.0, 5.0) == 0.0
    assert rg.grad(lambda x: x * x, mode=mode)(3) == 6.0
    assert type(rg.grad(lambda x: x * x, mode=mode)(3)) is float


@pytest.mark.parametrize("mode", MODES)
def test_keyword_arguments_pass_through(mode: rg.ModeLike) -> None:
    def scaled(x: float, *, scale: float = 1.0) -> float:
        return scale * x * x

    assert rg.grad(scaled, mode=mode)(3.0, scale=2.0) == 12.0


@pytest.mark.parametrize("mode", MODES)
def test_keyword_arguments_are_constants_of_jacobian_and_hessian(mode: rg.ModeLike) -> None:
    def scaled(x: float, y: float, *, scale: float = 1.0) -> list[float]:
        return [scale * x * y, x + y]

    assert rg.jacobian(scaled, mode=mode)(2.0, 3.0, scale=5.0) == [[15.0, 10.0], [1.0, 1.0]]

    def energy(x: float, y: float, *, k: float) -> float:
        return k * x * x * y

    assert rg.hessian(energy)(1.0, 2.0, k=3.0) == [[12.0, 6.0], [6.0, 0.0]]


def test_differentiating_a_keyword_argument_is_explained() -> None:
    def scaled(x: float, scale: float = 1.0) -> float:
        return scale * x

    with pytest.raises(rg.ArgumentError) as info:
        rg.grad(scaled)(x=2.0)  # type: ignore[call-arg]  # mypy sees it too
    message = str(info.value)
    assert "argnums=0 needs at least 1 positional argument," in message
    assert "keyword arguments (x) are held constant" in message
    assert "pass the arguments to differentiate positionally" in message


@pytest.mark.parametrize("mode", MODES)
def test_non_differentiated_arguments_can_be_anything(mode: rg.ModeLike) -> None:
    def poly(x: float, coefficients: list[float]) -> float:
        return rg.sum([c * x**k for k, c in enumerate(coefficients)])

    assert rg.grad(poly, mode=mode)(2.0, [1.0, 2.0, 3.0]) == 2.0 + 12.0


def test_jvp() -> None:
    assert rg.jvp(f, (1.0, 2.0), (1.0, 0.0)) == (f(1.0, 2.0), math.sin(2.0))
    _, tangent = rg.jvp(f, (1.0, 2.0), (0.5, -1.0))
    assert tangent == pytest.approx(0.5 * math.sin(2.0) - (math.cos(2.0) + 4.0))
    assert rg.jvp(lambda x: 1.0, (2.0,), (1.0,)) == (1.0, 0.0)


def test_vjp_scalar_and_vector() -> None:
    out, pullback = rg.vjp(f, 1.0, 2.0)
    assert out == f(1.0, 2.0)
    assert pullback(2.0) == pytest.approx((2 * math.sin(2.0), 2 * (math.cos(2.0) + 4.0)))
    outs, pullback_v = rg.vjp(lambda x, y: [x * y, x + y, 7.0], 2.0, 3.0)
    assert outs == [6.0, 5.0, 7.0]
    assert pullback_v([1.0, 0.0, 0.0]) == (3.0, 2.0)
    assert pullback_v([0.0, 1.0, 5.0]) == (1.0, 1.0)
    assert pullback_v([1.0, 1.0, 0.0]) == (4.0, 3.0)


@pytest.mark.parametrize("mode", MODES)
def test_jacobian(mode: rg.ModeLike) -> None:
    def polar(r: float, theta: float) -> list[float]:
        return [r * rg.cos(theta), r * rg.sin(theta), r]

    r, theta = 2.0, 0.5
    expected = [
        [math.cos(theta), -r * math.sin(theta)],
        [math.sin(theta), r * math.cos(theta)],
        [1.0, 0.0],
    ]
    got = rg.jacobian(polar, mode=mode)(r, theta)
    assert len(got) == 3
    for row, expected_row in zip(got, expected, strict=True):
        assert row == pytest.approx(expected_row)
    assert rg.jacobian(f, mode=mode)(1.0, 2.0) == [list(rg.grad(f, argnums=(0, 1))(1.0, 2.0))]


def test_hessian_is_symmetric_and_right() -> None:
    def rosenbrock(*xs: float) -> float:
        return rg.sum([100.0 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1.0 - xs[i]) ** 2
                       for i in range(len(xs) - 1)])  # fmt: skip

    point = (0.5, -0.3, 1.2, 0.8)
    h = rg.hessian(rosenbrock)(*point)
    n = len(point)
    for i in range(n):
        for j in range(n):
            assert h[i][j] == h[j][i]
    # Closed form of the Rosenbrock Hessian.
    for i in range(n):
        diagonal = 2.0 if i < n - 1 else 0.0
        if i < n - 1:
            diagonal += 1200.0 * point[i] ** 2 - 400.0 * point[i + 1]
        if i > 0:
            diagonal += 200.0
        assert h[i][i] == pytest.approx(diagonal)
        if i < n - 1:
            assert h[i][i + 1] == pytest.approx(-400.0 * point[i])
    assert rg.hessian(lambda: 1.0)() == []


def test_derivative_orders() -> None:
    assert rg.derivative(rg.exp, order=0)(1.0) == math.exp(1.0)
    for order, expected in enumerate([math.sin, math.cos, lambda x: -math.sin(x),
                                      lambda x: -math.cos(x), math.sin]):  # fmt: skip
        assert rg.derivative(rg.sin, order=order)(0.3) == pytest.approx(expected(0.3), rel=1e-14)


def test_transformed_functions_keep_their_name() -> None:
    assert rg.grad(f).__name__ == "f"
    assert rg.grad(f).__wrapped__ is f  # type: ignore[attr-defined]
