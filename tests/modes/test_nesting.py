"""Nested transforms: perturbation confusion, mixed modes, escaped values, threads."""

from __future__ import annotations

import math
import threading

import pytest

import rulegrad as rg
from tests.helpers import MODE_PAIRS, MODES


@pytest.mark.parametrize(("outer", "inner"), MODE_PAIRS)
def test_perturbation_confusion_sum(outer: rg.ModeLike, inner: rg.ModeLike) -> None:
    # d/dx [x * d/dy (x + y) at y=1] at x=1: the inner derivative is 1, not 2.
    def f(x: float) -> float:
        return x * rg.grad(lambda y: x + y, mode=inner)(1.0)

    assert rg.grad(f, mode=outer)(1.0) == 1.0


@pytest.mark.parametrize(("outer", "inner"), MODE_PAIRS)
def test_perturbation_confusion_product(outer: rg.ModeLike, inner: rg.ModeLike) -> None:
    # d/dx [x * d/dy (x * y) at y=3] at x=5 = d/dx x^2 = 10.
    def f(x: float) -> float:
        return x * rg.grad(lambda y: x * y, mode=inner)(3.0)

    assert rg.grad(f, mode=outer)(5.0) == 10.0


@pytest.mark.parametrize(("outer", "inner"), MODE_PAIRS)
def test_outer_values_are_constants_inside(outer: rg.ModeLike, inner: rg.ModeLike) -> None:
    # d/dy (x * y) does not depend on how x itself varies: the inner result is x.
    def f(x: float) -> float:
        return rg.grad(lambda y: rg.sin(x) * y, mode=inner)(2.0)

    assert rg.grad(f, mode=outer)(0.3) == pytest.approx(math.cos(0.3), rel=1e-14)


@pytest.mark.parametrize("modes", [(a, b, c) for a in MODES for b in MODES for c in MODES])
def test_third_order_in_every_mix(modes: tuple[rg.ModeLike, rg.ModeLike, rg.ModeLike]) -> None:
    f = lambda x: rg.exp(2.0 * x) * rg.sin(x)
    g = rg.grad(rg.grad(rg.grad(f, mode=modes[0]), mode=modes[1]), mode=modes[2])
    x = 0.7
    # (e^{2x} sin x)''' = e^{2x} (2 sin x + 11 cos x)
    assert g(x) == pytest.approx(math.exp(2 * x) * (2 * math.sin(x) + 11 * math.cos(x)), rel=1e-12)


def test_high_order_derivative() -> None:
    # Nested forward mode to order 8: d^8/dx^8 sin = sin.
    assert rg.derivative(rg.sin, order=8)(0.4) == pytest.approx(math.sin(0.4), rel=1e-12)
    assert rg.derivative(lambda x: x**5, order=5)(3.0) == 120.0
    assert rg.derivative(lambda x: x**5, order=6)(3.0) == 0.0


def test_closure_over_hand_built_values_keeps_their_graph() -> None:
    # A transform inside user code over Values: the result is still differentiable
    # by the outer Value graph (the Value is the outer level).
    w = rg.Value(3.0)
    slope = rg.grad(lambda x: w * x * x)(2.0)  # d/dx w x^2 = 2 w x = 12, as a Value of w
    assert isinstance(slope, rg.Value)
    assert slope.data == 12.0
    slope.backward()
    assert w.grad == 4.0  # d/dw (2 w x) = 2x


def test_value_times_dual_is_forward_over_reverse() -> None:
    x = rg.Value(2.0)
    d = rg.Dual(x, 1.0) * rg.Dual(x, 1.0)  # tangent = 2x, itself a Value
    assert isinstance(d.primal, rg.Value)
    assert isinstance(d.tangent, rg.Value)
    d.tangent.backward()
    assert x.grad == 2.0
    mixed = rg.Value(3.0) * rg.Dual(2.0, 1.0)
    assert isinstance(mixed, rg.Dual)
    assert isinstance(mixed.tangent, rg.Value)
    assert mixed.tangent.data == 3.0


def test_escaped_value_is_an_error() -> None:
    leaked: list[float] = []

    def f(x: float) -> float:
        leaked.append(x)
        return x * x

    assert rg.grad(f)(2.0) == 4.0
    with pytest.raises(rg.EscapedValueError, match=r"rg\.grad"):
        rg.sin(leaked[0])
    with pytest.raises(rg.EscapedValueError):
        leaked[0] * 2.0
    assert rg.jvp(f, (1.0,), (1.0,)) == (1.0, 2.0)
    with pytest.raises(rg.EscapedValueError, match=r"rg\.jvp"):
        leaked[1] + 1.0


def test_vjp_pullback_works_after_the_call_returns() -> None:
    out, pullback = rg.vjp(lambda x, y: x * rg.exp(y), 2.0, 0.0)
    assert out == 2.0
    assert pullback(1.0) == (1.0, 2.0)
    assert pullback(3.0) == (3.0, 6.0)  # no accumulation between calls


def test_eight_threads_nest_transforms_at_once() -> None:
    barrier = threading.Barrier(8)
    results: dict[int, list[float]] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            outer, inner = MODE_PAIRS[k % 4]
            x0 = 1.0 + k
            got = []
            for step in range(200):
                if step % 20 == 0:
                    barrier.wait(timeout=30)  # interleave the threads' transforms

                def f(x: float) -> float:
                    return x * rg.grad(lambda y: x * y * y, mode=inner)(float(k))  # 2 x^2 k

                got.append(rg.grad(f, mode=outer)(x0))  # 4 x k
            results[k] = got
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for k in range(8):
        assert results[k] == [4.0 * (1.0 + k) * k] * 200
