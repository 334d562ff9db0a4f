"""rg.vmap composes with every transform, both ways round, on both paths.

Every result is checked against the same computation written as a Python loop of the
unbatched function with the ordinary transforms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rulegrad as rg

P = {"a": 2.0, "k": 0.5}
T = {"a": 0.25, "k": -1.0}
XS = [0.0, 0.5, 1.0, 2.0, 3.5]
YS = [2.0, 1.5, 1.2, 0.7, 0.3]
REL = 1e-13


def loss(p: dict[str, float], x: float, y: float) -> float:
    return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2 + rg.relu(p["k"] - x) * rg.sqrt(p["a"])


batched = rg.vmap(loss, in_axes=(None, 0, 0))


def looped_sum(p: dict[str, Any]) -> Any:
    return rg.sum([loss(p, x, y) for x, y in zip(XS, YS, strict=True)])


def batched_sum(p: dict[str, Any]) -> Any:
    return rg.sum(batched(p, XS, YS))


def _close(got: Any, expected: Any) -> None:
    got_leaves, got_structure = rg.tree_flatten(got)
    expected_leaves, expected_structure = rg.tree_flatten(expected)
    if got_structure != expected_structure:  # arrays come back where lists went in
        got_leaves = [float(v) for leaf in got_leaves for v in np.ravel(leaf)]
        expected_leaves = [float(v) for leaf in expected_leaves for v in np.ravel(leaf)]
    assert got_leaves == pytest.approx(expected_leaves, rel=REL, abs=1e-15)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_of_a_batched_sum(backend: str, mode: rg.ModeLike) -> None:
    _close(rg.value_and_grad(batched_sum, mode=mode)(P), rg.value_and_grad(looped_sum)(P))
    _close(rg.grad(batched_sum, mode=mode)(P), rg.grad(looped_sum)(P))


def test_gradient_of_a_batched_sum_over_numpy_arrays(backend: str) -> None:
    xs, ys = np.array(XS), np.array(YS)
    got = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))(P)
    _close(got, rg.value_and_grad(looped_sum)(P))


def test_per_example_gradients(backend: str) -> None:
    got = rg.vmap(rg.grad(loss), in_axes=(None, 0, 0))(P, XS, YS)
    expected = [rg.grad(loss)(P, x, y) for x, y in zip(XS, YS, strict=True)]
    for key in P:
        assert got[key] == pytest.approx([e[key] for e in expected], rel=REL)


def test_per_example_values_and_gradients_in_x(backend: str) -> None:
    got = rg.vmap(rg.value_and_grad(loss, argnums=1), in_axes=(None, 0, 0))(P, XS, YS)
    expected = [rg.value_and_grad(loss, argnums=1)(P, x, y) for x, y in zip(XS, YS, strict=True)]
    assert got[0] == pytest.approx([e[0] for e in expected], rel=REL)
    assert got[1] == pytest.approx([e[1] for e in expected], rel=REL)


def test_batched_jvp_and_hessian(backend: str) -> None:
    def tangent(x: float) -> float:
        return rg.jvp(lambda p: loss(p, x, 1.0), (P,), (T,))[1]

    assert rg.vmap(tangent)(XS) == pytest.approx([tangent(x) for x in XS], rel=REL)

    def curvature(x: float) -> Any:
        return rg.hessian(lambda a, k: loss({"a": a, "k": k}, x, 1.0))(2.0, 0.5)

    got = rg.vmap(curvature)(XS)
    for i, x in enumerate(XS):
        expected = curvature(x)
        for r in range(2):
            for c in range(2):
                assert got[r][c][i] == pytest.approx(expected[r][c], rel=REL)


def test_batched_vjp(backend: str) -> None:
    def pulled(x: float, y: float) -> Any:
        _, pullback = rg.vjp(lambda p: loss(p, x, y), P)
        return pullback(2.0)[0]

    got = rg.vmap(pulled)(XS, YS)
    for i, (x, y) in enumerate(zip(XS, YS, strict=True)):
        assert got["k"][i] == pytest.approx(pulled(x, y)["k"], rel=REL)


def test_jvp_of_a_batched_function(backend: str) -> None:
    out, tangent = rg.jvp(lambda p: batched(p, XS, YS), (P,), (T,))
    expected = [rg.jvp(loss, (P, x, y), (T, 0.0, 0.0)) for x, y in zip(XS, YS, strict=True)]
    _close(out, [e[0] for e in expected])
    _close(tangent, [e[1] for e in expected])


def test_vjp_of_a_batched_function(backend: str) -> None:
    weights = [1.0, -2.0, 0.5, 3.0, 1.5]
    out, pullback = rg.vjp(lambda p: batched(p, XS, YS), P)
    (got,) = pullback(weights)
    expected = rg.grad(
        lambda p: rg.dot(weights, [loss(p, x, y) for x, y in zip(XS, YS, strict=True)])
    )(P)
    _close(got, expected)
    _close(out, [loss(P, x, y) for x, y in zip(XS, YS, strict=True)])


def test_jacobian_of_a_batched_function(backend: str) -> None:
    got = rg.jacobian(lambda a, k: batched({"a": a, "k": k}, XS, YS))(2.0, 0.5)
    expected = rg.jacobian(
        lambda a, k: [loss({"a": a, "k": k}, x, y) for x, y in zip(XS, YS, strict=True)]
    )(2.0, 0.5)
    _close(got, expected)


def test_hessian_of_a_batched_sum(backend: str) -> None:
    got = rg.hessian(lambda a, k: batched_sum({"a": a, "k": k}))(2.0, 0.5)
    expected = rg.hessian(lambda a, k: looped_sum({"a": a, "k": k}))(2.0, 0.5)
    _close(got, expected)


def test_third_derivative_of_a_batched_sum(backend: str) -> None:
    def total(k: float) -> Any:
        return rg.sum(rg.vmap(lambda k, x: rg.exp(-k * x) * rg.sin(k), in_axes=(None, 0))(k, XS))

    def looped(k: float) -> Any:
        return rg.sum([rg.exp(-k * x) * rg.sin(k) for x in XS])

    got = rg.derivative(rg.grad(rg.grad(total)), order=1)(0.7)
    assert got == pytest.approx(rg.grad(rg.grad(rg.grad(looped)))(0.7), rel=1e-12)


def test_gradient_with_respect_to_the_mapped_points(backend: str) -> None:
    got = rg.grad(lambda xs: rg.sum(rg.vmap(lambda x: x * rg.sin(x))(xs)))(XS)
    expected = rg.grad(lambda xs: rg.sum([x * rg.sin(x) for x in xs]))(XS)
    _close(got, expected)


def test_has_aux_with_batched_results(backend: str) -> None:
    def f(p: dict[str, Any]) -> Any:
        losses = batched(p, XS, YS)
        return rg.sum(losses), losses

    (value, aux), g = rg.value_and_grad(f, has_aux=True)(P)
    _close(value, looped_sum(P))
    _close(aux, [loss(P, x, y) for x, y in zip(XS, YS, strict=True)])
    _close(g, rg.grad(looped_sum)(P))


def test_compile_of_a_batched_sum(backend: str) -> None:
    compiled = rg.compile(batched_sum)
    value, (g,) = compiled.value_and_grad(P)
    expected = rg.value_and_grad(looped_sum)(P)
    _close((value, g), expected)
    _close(compiled(P), expected[0])


def test_compile_of_a_gradient_of_a_batched_sum(backend: str) -> None:
    compiled = rg.compile(rg.grad(batched_sum))
    _close(compiled(P), rg.grad(looped_sum)(P))


def test_vmap_of_a_compiled_function(backend: str) -> None:
    compiled = rg.compile(loss)
    got = rg.vmap(compiled, in_axes=(None, 0, 0))(P, XS, YS)
    _close(got, [loss(P, x, y) for x, y in zip(XS, YS, strict=True)])
    grads = rg.vmap(compiled.grad, in_axes=(None, 0, 0))(P, XS, YS)
    for i, (x, y) in enumerate(zip(XS, YS, strict=True)):
        _close([g[i] for g in grads[0].values()], list(rg.grad(loss)(P, x, y).values()))


def test_stop_gradient_inside_the_batched_function(backend: str) -> None:
    def f(p: dict[str, Any], x: float) -> Any:
        return rg.stop_gradient(p["a"] * x) * p["k"] + p["a"]

    got = rg.grad(lambda p: rg.sum(rg.vmap(f, in_axes=(None, 0))(p, XS)))(P)
    expected = rg.grad(lambda p: rg.sum([f(p, x) for x in XS]))(P)
    _close(got, expected)
    assert got["a"] == len(XS)  # nothing flows through the stopped product


def test_stop_gradient_around_the_batched_arguments(backend: str) -> None:
    def f(p: dict[str, Any]) -> Any:
        frozen = {"a": rg.stop_gradient(p["a"]), "k": p["k"]}
        return rg.sum(batched(frozen, XS, YS))

    got = rg.grad(f)(P)
    assert got["a"] == 0.0
    _close(got["k"], rg.grad(looped_sum)(P)["k"])


def test_nested_vmap_makes_a_grid(backend: str) -> None:
    outer = rg.vmap(rg.vmap(lambda x, y: x * 10.0 + y, in_axes=(None, 0)), in_axes=(0, None))
    grid = outer([1.0, 2.0], [3.0, 4.0, 5.0])
    # Each outer point gives a list of 3 numbers: as in JAX, a list of 3 batches comes back.
    assert [list(column) for column in grid] == [[13.0, 23.0], [14.0, 24.0], [15.0, 25.0]]


def test_a_closure_over_a_parameter_runs_point_by_point(backend: str) -> None:
    def total(a: Any) -> Any:
        return rg.sum(rg.vmap(lambda x: a * x * x)(XS))

    if backend == "arrays":
        with pytest.warns(rg.BatchingWarning, match="f uses a Value made outside it"):
            got = rg.value_and_grad(total)(2.0)
    else:
        got = rg.value_and_grad(total)(2.0)
    assert got == pytest.approx(rg.value_and_grad(lambda a: rg.sum([a * x * x for x in XS]))(2.0))


def test_a_batch_indexes_and_iterates_as_nodes(backend: str) -> None:
    def f(p: dict[str, Any]) -> Any:
        losses = batched(p, XS, YS)
        assert len(losses) == 5
        return losses[1] * 2.0 + losses[-1] + sum(list(losses)[2:4])

    expected = rg.grad(
        lambda p: (
            loss(p, XS[1], YS[1]) * 2.0
            + loss(p, XS[4], YS[4])
            + loss(p, XS[2], YS[2])
            + loss(p, XS[3], YS[3])
        )
    )(P)
    _close(rg.grad(f)(P), expected)
