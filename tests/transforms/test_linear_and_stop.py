"""hvp (forward over reverse, one pass), linearize (f runs once), and stop_gradient in every
mode, nested, and compiled."""

from __future__ import annotations

import math
from typing import Any

import pytest

import rulegrad as rg
from tests.helpers import MODES, assert_trees_close


def rosenbrock(p: dict[str, list[float]]) -> float:
    xs = p["x"]
    return rg.sum([100.0 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1.0 - xs[i]) ** 2
                   for i in range(len(xs) - 1)])  # fmt: skip


POINT = {"x": [0.5, -0.3, 1.2]}
DIRECTION = {"x": [1.0, 2.0, -0.5]}


def test_hvp_is_the_hessian_times_the_direction() -> None:
    grads, products = rg.hvp(rosenbrock, (POINT,), (DIRECTION,))
    assert_trees_close(grads[0], rg.grad(rosenbrock)(POINT), "hvp's gradient")
    hessian = rg.hessian(rosenbrock)(POINT)["x"]
    expected = [sum(hessian[i]["x"][j] * DIRECTION["x"][j] for j in range(3)) for i in range(3)]
    assert_trees_close(products, ({"x": expected},), "hvp", rtol=1e-12)
    # Several arguments, numbers.
    assert rg.hvp(lambda x, y: x * x * y, (1.0, 2.0), (1.0, 0.0)) == ((4.0, 1.0), (4.0, 2.0))


def test_hvp_runs_f_once() -> None:
    calls = []

    def counted(x: float, y: float) -> float:
        calls.append(1)
        return rg.exp(x * y)

    rg.hvp(counted, (0.5, 1.5), (1.0, 1.0))
    assert len(calls) == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func's own imports
def test_hvp_matches_torch_func(torch: Any) -> None:
    def rosen_torch(x: Any) -> Any:
        return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()

    x = torch.tensor(POINT["x"], dtype=torch.float64)
    v = torch.tensor(DIRECTION["x"], dtype=torch.float64)
    _, expected = torch.func.jvp(torch.func.grad(rosen_torch), (x,), (v,))
    _, products = rg.hvp(rosenbrock, (POINT,), (DIRECTION,))
    assert_trees_close(products[0]["x"], expected.tolist(), "hvp against torch.func", 1e-12)


def test_linearize_pushes_tangents_without_calling_f_again() -> None:
    calls = []

    def f(p: dict[str, float], t: float) -> tuple[float, list[float]]:
        calls.append(1)
        return p["a"] * rg.sin(t), [rg.exp(p["b"] * t), p["a"] / p["b"]]

    p = {"a": 2.0, "b": 0.5}
    out, f_jvp = rg.linearize(f, p, 1.2)
    assert len(calls) == 1
    assert out == f(p, 1.2)
    calls.clear()
    for tangent in ({"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}, {"a": 0.3, "b": -2.0}):
        for t in (0.0, 1.0, -0.5):
            expected = rg.jvp(f, (p, 1.2), (tangent, t))[1]
            assert_trees_close(f_jvp(tangent, t), expected, f"f_jvp({tangent}, {t})")
    assert len(calls) == 9  # only the rg.jvp references ran f


def test_linearize_is_linear_and_nests() -> None:
    _, f_jvp = rg.linearize(lambda x, y: x * x * y + rg.cos(y), 1.5, 0.5)
    assert f_jvp(0.0, 0.0) == 0.0
    assert f_jvp(2.0, 4.0) == pytest.approx(2.0 * f_jvp(1.0, 2.0))
    # The slope of a linearization with respect to the point: the second derivative.
    assert rg.grad(lambda s: rg.linearize(lambda x: x**3, s)[1](1.0))(2.0) == 12.0


def test_linearize_raises_where_forward_mode_would() -> None:
    root = rg.define_op("root2", forward=math.sqrt,
                        partials=lambda out, x: (rg.Undefined("infinite slope at 0")
                                                 if rg.to_float(x) == 0.0 else 0.5 / out,),
                        registry=rg.OpRegistry())  # fmt: skip
    _, f_jvp = rg.linearize(lambda x, y: root(x) + y, 0.0, 1.0)
    assert f_jvp(0.0, 1.0) == 1.0  # no tangent reaches sqrt: its partial is never needed
    with pytest.raises(rg.DomainError, match="infinite slope at 0"):
        f_jvp(1.0, 0.0)
    no_forward = rg.define_op("no_forward", forward=lambda x: x, partials=None,
                              vjp=lambda out, p, ct: (ct,), registry=rg.OpRegistry())  # fmt: skip
    _, g_jvp = rg.linearize(lambda x: no_forward(x), 1.0)
    with pytest.raises(rg.MissingRuleError, match="no forward rule for 'no_forward'"):
        g_jvp(1.0)


@pytest.mark.parametrize("mode", MODES)
def test_stop_gradient_in_every_mode_and_nested(mode: rg.ModeLike) -> None:
    assert rg.stop_gradient(2.5) == 2.5 and type(rg.stop_gradient(3)) is float
    assert rg.grad(lambda x: x * rg.stop_gradient(x), mode=mode)(3.0) == 3.0
    assert rg.grad(lambda x: rg.stop_gradient(x * x), mode=mode)(3.0) == 0.0
    for inner in MODES:
        # d/dx [x * d/dy (stop(x*y) + y)] = d/dx [x * 1] = 1
        def f(x: float, inner: rg.ModeLike = inner) -> float:
            return x * rg.grad(lambda y: rg.stop_gradient(x * y) + y, mode=inner)(2.0)

        assert rg.grad(f, mode=mode)(3.0) == 1.0
        second = rg.grad(rg.grad(lambda x: x**3 * rg.stop_gradient(x), mode=inner), mode=mode)
        assert second(2.0) == 24.0  # 6 x * stop(x): constant at both levels
    value = rg.Value(2.0)
    (value * rg.stop_gradient(value)).backward()
    assert value.grad == 2.0
    dual = rg.stop_gradient(rg.Dual(2.0, 1.0)) * rg.Dual(2.0, 1.0)
    assert (dual.primal, dual.tangent) == (4.0, 2.0)


def test_stop_gradient_compiled_and_never_a_nan() -> None:
    f = rg.compile(lambda x, y: x * rg.stop_gradient(y) + rg.stop_gradient(x * y))
    assert f.value_and_grad(2.0, 3.0) == (12.0, (3.0, 0.0))
    assert f.jvp((2.0, 3.0), (1.0, 1.0)) == (12.0, 3.0)
    assert "_stop_gradient(" not in f.source(2)  # its forward, the identity, is inlined
    # An infinite cotangent meets a zero partial: 0, not 0 * inf.
    assert rg.grad(lambda x: rg.stop_gradient(x) * math.inf + x)(1.0) == 1.0


def test_stop_gradient_matches_jax(jax: Any) -> None:
    lax = jax.lax

    def f_jax(x: Any) -> Any:
        return x * lax.stop_gradient(x * x) + jax.numpy.sin(lax.stop_gradient(x) * x)

    def f_rg(x: float) -> float:
        return x * rg.stop_gradient(x * x) + rg.sin(rg.stop_gradient(x) * x)

    for order in (1, 2):
        expected = float(jax.grad(jax.grad(f_jax))(0.7) if order == 2 else jax.grad(f_jax)(0.7))
        got = rg.grad(rg.grad(f_rg))(0.7) if order == 2 else rg.grad(f_rg)(0.7)
        assert got == pytest.approx(expected, rel=1e-14)
