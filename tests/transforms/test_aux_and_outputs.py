"""has_aux on every transform that takes it, structured outputs of jvp and vjp, and a
pullback shared by many threads."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest

import rulegrad as rg
from tests.helpers import MODES, assert_trees_close
from tests.transforms.conftest import as_floats

PARAMS = {"w": [0.5, -0.25], "b": 0.1}


def with_aux(params: dict[str, Any], x: float) -> tuple[float, dict[str, Any]]:
    w, b = params["w"], params["b"]
    prediction = w[0] * x + w[1] * x * x + b
    loss = (prediction - 1.0) ** 2
    return loss, {"prediction": prediction, "parts": [w[0] * x, "label"], "step": 3}


def no_nodes(tree: object) -> bool:
    return not any(isinstance(leaf, (rg.Value, rg.Dual)) for leaf in rg.tree_leaves(tree))


def test_has_aux_on_every_transform_lowers_traced_numbers() -> None:
    prediction = 0.5 * 2.0 - 0.25 * 4.0 + 0.1
    expected_aux = {"prediction": prediction, "parts": [1.0, "label"], "step": 3}
    results = []
    for mode in MODES:
        g, aux = rg.grad(with_aux, has_aux=True, mode=mode)(PARAMS, 2.0)
        results.append(aux)
        (value, aux2), g2 = rg.value_and_grad(with_aux, has_aux=True, mode=mode)(PARAMS, 2.0)
        results.append(aux2)
        assert g2 == g and value == (prediction - 1.0) ** 2
        jac, aux3 = rg.jacobian(with_aux, argnums=0, has_aux=True, mode=mode)(PARAMS, 2.0)
        assert jac == g
        results.append(aux3)
        hess, aux4 = rg.hessian(with_aux, argnums=1, has_aux=True, mode=mode)(PARAMS, 2.0)
        assert hess[0][0] == pytest.approx(
            2 * (0.5 - 0.25 * 4.0) ** 2 + 2 * (prediction - 1) * -0.5
        )
        results.append(aux4)
    out, tangent, aux5 = rg.jvp(with_aux, (PARAMS, 2.0), (PARAMS, 0.0), has_aux=True)
    assert tangent == pytest.approx(2 * (prediction - 1.0) * prediction)  # the direction is p
    out2, pullback, aux6 = rg.vjp(with_aux, PARAMS, 2.0, has_aux=True)
    assert out == out2 and pullback(1.0)[0] == g
    results += [aux5, aux6]
    for aux in results:
        assert aux == expected_aux and no_nodes(aux)
        assert type(aux["prediction"]) is float and type(aux["step"]) is int


def test_aux_of_an_inner_transform_is_differentiable_by_an_outer_one() -> None:
    # As in JAX: the inner transform lowers its own nodes; an outer transform's remain.
    def inner_aux(x: float) -> float:
        _, aux = rg.grad(lambda y: (y * y, {"cube": y**3}), has_aux=True)(x)
        cube: float = aux["cube"]
        return cube

    for mode in MODES:
        assert rg.grad(inner_aux, mode=mode)(2.0) == 12.0
        assert rg.grad(rg.grad(inner_aux), mode=mode)(2.0) == 12.0


def test_nested_aux_comes_out_as_plain_floats() -> None:
    def outer(x: float) -> tuple[float, dict[str, float]]:
        inner = rg.grad(lambda y: (x * y * y, {"xy": x * y}), has_aux=True, mode="forward")
        slope, aux = inner(2.0)  # aux["xy"] is a node of the outer transform here
        return slope * x, aux

    for mode in MODES:
        g, aux = rg.grad(outer, has_aux=True, mode=mode)(3.0)
        assert g == 24.0 and aux == {"xy": 6.0} and type(aux["xy"]) is float  # d(4 x^2)/dx
        h, aux2 = rg.hessian(outer, has_aux=True, mode=mode)(3.0)
        assert h == [[8.0]] and aux2 == aux and no_nodes(aux2)


def test_has_aux_needs_a_pair() -> None:
    with pytest.raises(rg.ArgumentError, match=r"has_aux=True, f must return a pair \(out, aux\)"):
        rg.grad(lambda x: x, has_aux=True)(1.0)
    with pytest.raises(rg.ArgumentError, match="of length 3"):
        rg.jvp(lambda x: (x, x, x), (1.0,), (1.0,), has_aux=True)  # type: ignore[call-overload]
    with pytest.raises(rg.ArgumentError, match="has_aux must be True or False"):
        rg.grad(lambda x: x, has_aux=1)  # type: ignore[call-overload]


def test_has_aux_matches_jax(jax: Any) -> None:
    def f_jax(p: Any, x: Any) -> Any:
        loss = (p["w"][0] * x + p["w"][1] * x * x + p["b"] - 1.0) ** 2
        return loss, {"loss": loss, "scaled": p["b"] * x}

    def f_rg(p: dict[str, Any], x: float) -> tuple[float, dict[str, float]]:
        loss = (p["w"][0] * x + p["w"][1] * x * x + p["b"] - 1.0) ** 2
        return loss, {"loss": loss, "scaled": p["b"] * x}

    expected = as_floats(jax, jax.value_and_grad(f_jax, has_aux=True)(PARAMS, 2.0))
    for mode in MODES:
        assert_trees_close(rg.value_and_grad(f_rg, has_aux=True, mode=mode)(PARAMS, 2.0),
                           expected, f"value_and_grad {mode}")  # fmt: skip
    expected_jvp = as_floats(jax, jax.jvp(f_jax, (PARAMS, 2.0), (PARAMS, 1.0), has_aux=True))
    assert_trees_close(
        rg.jvp(f_rg, (PARAMS, 2.0), (PARAMS, 1.0), has_aux=True), expected_jvp, "jvp"
    )
    out, pullback, aux = jax.vjp(f_jax, PARAMS, 2.0, has_aux=True)
    got_out, got_pullback, got_aux = rg.vjp(f_rg, PARAMS, 2.0, has_aux=True)
    assert_trees_close((got_out, got_aux), as_floats(jax, (out, aux)), "vjp")
    assert_trees_close(got_pullback(0.5), as_floats(jax, pullback(0.5)), "vjp pullback")
    expected_jac = as_floats(jax, jax.jacrev(f_jax, has_aux=True)(PARAMS, 2.0))
    assert_trees_close(rg.jacobian(f_rg, argnums=0, has_aux=True)(PARAMS, 2.0), expected_jac, "jac")


def field(p: dict[str, float], t: float) -> dict[str, Any]:
    return {"r": [p["x"] * t, rg.sin(p["y"])], "n": 7, "s": p["x"] * p["y"]}


def test_jvp_and_vjp_over_structured_outputs(jax: Any) -> None:
    p, dp = {"x": 1.5, "y": 0.5}, {"x": 1.0, "y": -2.0}
    out, tangent = rg.jvp(field, (p, 2.0), (dp, 0.5))
    assert out == {"r": [3.0, math.sin(0.5)], "n": 7, "s": 0.75}
    assert_trees_close(
        {k: v for k, v in tangent.items() if k != "n"},
        {"r": [1.0 * 2.0 + 1.5 * 0.5, math.cos(0.5) * -2.0], "s": 1.0 * 0.5 + 1.5 * -2.0},
        "jvp tangent",
    )
    assert tangent["n"] == 0.0  # an int output has tangent 0
    out2, pullback = rg.vjp(field, p, 2.0)
    assert out2 == out
    cotangent = {"r": (1.0, 0.5), "n": 0.0, "s": 2.0}  # a tuple stands for the list
    grads = pullback(cotangent)
    assert_trees_close(
        grads, ({"x": 2.0 + 2.0 * 0.5, "y": 0.5 * math.cos(0.5) + 2.0 * 1.5}, 1.5), "vjp"
    )
    jnp = jax.numpy

    def field_jax(q: Any, t: Any) -> Any:
        return {"r": [q["x"] * t, jnp.sin(q["y"])], "s": q["x"] * q["y"]}

    _, jax_pullback = jax.vjp(field_jax, p, 2.0)
    del cotangent["n"]
    cotangent["r"] = [1.0, 0.5]
    assert_trees_close(grads, as_floats(jax, jax_pullback(cotangent)), "vjp against JAX")


def test_pullback_checks_the_cotangent_structure() -> None:
    _, pullback = rg.vjp(field, {"x": 1.5, "y": 0.5}, 2.0)
    with pytest.raises(
        rg.ArgumentError, match=r"cotangent must be a dict of 3 entries, not a list"
    ):
        pullback([1.0, 2.0])
    with pytest.raises(rg.ArgumentError, match=r"cotangent\['r'\] has 3 entries, but 2"):
        pullback({"r": [1.0, 2.0, 3.0], "n": 0.0, "s": 1.0})
    with pytest.raises(
        rg.ArgumentError, match=r"cotangent has keys \['n', 'q', 's'\], but \['n', 'r', 's'\]"
    ):
        pullback({"n": 0.0, "s": 1.0, "q": 2.0})
    with pytest.raises(rg.ArgumentError, match=r"cotangent\['s'\] is differentiated.*not str"):
        pullback({"r": [1.0, 2.0], "n": 0.0, "s": "one"})
    with pytest.raises(rg.ArgumentError, match=r"cotangent\['s'\] must be a number, not a list"):
        pullback({"r": [1.0, 2.0], "n": 0.0, "s": [1.0]})


def test_jvp_checks_tangents_against_primals() -> None:
    with pytest.raises(
        rg.ArgumentError, match=r"tangents\[0\]\['x'\] must be a number, not a list"
    ):
        rg.jvp(field, ({"x": 1.0, "y": 2.0}, 1.0), ({"x": [1.0], "y": 0.0}, 0.0))
    with pytest.raises(rg.ArgumentError, match=r"tangents\[1\] must be a number, not a dict"):
        rg.jvp(field, ({"x": 1.0, "y": 2.0}, 1.0), ({"x": 1.0, "y": 0.0}, {"t": 0.0}))
    with pytest.raises(
        rg.ArgumentError, match=r"tangents\[0\] must be a dict of 2 entries, not a float"
    ):
        rg.jvp(field, ({"x": 1.0, "y": 2.0}, 1.0), (1.0, 1.0))


def test_a_pullback_shared_by_eight_threads_gives_exact_results() -> None:
    def f(x: float, y: float) -> list[float]:
        z = x
        for _ in range(200):
            z = rg.sin(z) * y + x
        return [z, z * y]

    _, pullback = rg.vjp(f, 0.7, 0.9)
    cotangents = [[float(k), 1.0 - k / 10.0] for k in range(8)]
    expected = [pullback(ct) for ct in cotangents]
    results: dict[int, list[tuple[float, ...]]] = {k: [] for k in range(8)}
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        barrier.wait()
        for _ in range(25):
            results[k].append(pullback(cotangents[k]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in range(8):
        assert results[k] == [expected[k]] * 25  # exact, every time


def test_linearized_function_shared_by_threads() -> None:
    _, f_jvp = rg.linearize(lambda x, y: [x * rg.exp(y), x / y], 1.5, 0.5)
    expected = [f_jvp(float(k), 1.0) for k in range(8)]
    results: dict[int, list[Any]] = {k: [] for k in range(8)}

    def work(k: int) -> None:
        for _ in range(50):
            results[k].append(f_jvp(float(k), 1.0))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[k] == [expected[k]] * 50 for k in range(8))
