"""Containers (section 8): tree_flatten/unflatten, register_container, gradients shaped like
their arguments in both modes and at second order, and errors naming a leaf's path."""

from __future__ import annotations

import math
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest

import rulegrad as rg
from tests.helpers import MODES, assert_trees_close
from tests.transforms.conftest import as_floats


class Affine(NamedTuple):
    w: float
    b: float


@dataclass
class Layer:
    weights: list[float]
    bias: float
    name: str  # kept in the structure: not a leaf


rg.register_container(
    Layer,
    lambda layer: ((layer.weights, layer.bias), layer.name),
    lambda name, children: Layer(children[0], children[1], name),
)


def loss(params: dict[str, list[float]], x: float) -> float:
    w, b = params["w"], params["b"]
    return (w[0] * x + w[1] * x * x + b[0] - 1.0) ** 2


PARAMS = {"w": [0.5, -0.25], "b": [0.1]}


def test_flatten_orders_dict_leaves_by_key_and_round_trips() -> None:
    tree = {"z": (1.0, None, [2.0]), "a": Affine(3.0, 4.0), "m": OrderedDict(y=5.0, x=6.0)}
    leaves, treedef = rg.tree_flatten(tree)
    assert leaves == [3.0, 4.0, 5.0, 6.0, 1.0, 2.0]  # a, m (insertion order), z
    assert treedef.num_leaves == 6
    rebuilt = rg.tree_unflatten(treedef, leaves)
    assert rebuilt == tree and list(rebuilt) == ["z", "a", "m"]  # the dict's own key order
    assert type(rebuilt["a"]) is Affine and type(rebuilt["m"]) is OrderedDict
    assert rg.tree_flatten({"b": 1.0, "a": 2.0})[1] == rg.tree_flatten({"a": 0.0, "b": 0.0})[1]
    assert rg.tree_flatten([1.0])[1] != rg.tree_flatten((1.0,))[1]
    assert rg.tree_leaves(None) == [] and rg.tree_flatten(2.5) == ([2.5], rg.tree_flatten(1.0)[1])
    counts = defaultdict(float, {"b": 1.0, "a": 2.0})
    again = rg.tree_unflatten(rg.tree_flatten(counts)[1], [10.0, 20.0])
    assert isinstance(again, defaultdict) and again == {"a": 10.0, "b": 20.0}
    assert again["missing"] == 0.0  # the default factory survives


def test_deep_nesting_needs_no_recursion() -> None:
    tree: Any = 1.0
    for _ in range(5_000):
        tree = [tree]
    leaves, treedef = rg.tree_flatten(tree)
    assert leaves == [1.0]
    rebuilt = rg.tree_unflatten(treedef, [2.0])
    for _ in range(5_000):
        rebuilt = rebuilt[0]
    assert rebuilt == 2.0
    assert rg.grad(lambda t: rg.tree_leaves(t)[0] ** 2)(tree) is not None


def test_registered_containers_keep_their_aux_data() -> None:
    layer = Layer([1.0, 2.0], 0.5, "first")
    leaves, treedef = rg.tree_flatten(layer)
    assert leaves == [1.0, 2.0, 0.5]
    assert rg.tree_unflatten(treedef, [3.0, 4.0, 5.0]) == Layer([3.0, 4.0], 5.0, "first")
    assert treedef != rg.tree_flatten(Layer([1.0, 2.0], 0.5, "second"))[1]
    for mode in MODES:
        grads = rg.grad(lambda lr, x: lr.weights[0] * x + lr.weights[1] * lr.bias, mode=mode)(
            layer, 3.0
        )
        assert grads == Layer([3.0, 0.5], 2.0, "first")
    with pytest.raises(rg.ArgumentError, match="already registered"):
        rg.register_container(Layer, lambda x: ((), None), lambda aux, c: None)
    with pytest.raises(rg.ArgumentError, match="is a built-in container"):
        rg.register_container(dict, lambda x: ((), None), lambda aux, c: {})
    with pytest.raises(rg.ArgumentError, match="flatten must be callable"):
        rg.register_container(type("Fresh", (), {}), 3, lambda aux, c: None)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
def test_gradient_has_the_structure_of_the_argument(mode: rg.ModeLike) -> None:
    g = rg.grad(loss, mode=mode)(PARAMS, 2.0)
    r = 0.5 * 2.0 - 0.25 * 4.0 + 0.1 - 1.0
    assert_trees_close(g, {"w": [2 * r * 2.0, 2 * r * 4.0], "b": [2 * r]}, "grad")
    assert list(g) == ["w", "b"]  # the argument's key order
    g_x = rg.grad(loss, argnums=1, mode=mode)(PARAMS, 2.0)
    assert g_x == pytest.approx(2 * r * (0.5 - 0.25 * 2 * 2.0))
    both = rg.grad(loss, argnums=(0, 1), mode=mode)(PARAMS, 2.0)
    assert both == (g, g_x)
    value, same = rg.value_and_grad(loss, mode=mode)(PARAMS, 2.0)
    assert value == loss(PARAMS, 2.0) and same == g


@pytest.mark.parametrize("mode", MODES)
def test_every_kind_of_container_and_int_leaves(mode: rg.ModeLike) -> None:
    def f(t: tuple[Affine, None, list[float], dict[int, float]]) -> float:
        affine, _, xs, d = t
        return affine.w * affine.b + xs[0] * d[2] + d[1]

    g = rg.grad(f, mode=mode)((Affine(2, 3.0), None, [4.0], {2: 5.0, 1: 1}))
    assert g == (Affine(3.0, 2.0), None, [5.0], {2: 4.0, 1: 1.0})
    assert all(type(leaf) is float for leaf in rg.tree_leaves(g))
    assert rg.grad(lambda nothing, x: x * x, argnums=(0, 1), mode=mode)(None, 3.0) == (None, 6.0)
    assert rg.grad(lambda xs: 2.0, mode=mode)([]) == []


@pytest.mark.parametrize(("outer", "inner"), [(o, i) for o in MODES for i in MODES])
def test_second_order_over_containers(outer: rg.ModeLike, inner: rg.ModeLike) -> None:
    def second(params: dict[str, list[float]]) -> float:
        return rg.grad(loss, mode=inner)(params, 2.0)["w"][0]

    g = rg.grad(second, mode=outer)(PARAMS)
    # d/dp (2 r x) with r = w0 x + w1 x^2 + b - 1 and x = 2: 2 x * (x, x^2, 1)
    assert_trees_close(g, {"w": [8.0, 16.0], "b": [4.0]}, f"{outer} over {inner}")
    h = rg.hessian(loss, argnums=0, mode=inner)(PARAMS, 2.0)
    assert h["w"][0] == {"w": [8.0, 16.0], "b": [4.0]}
    assert h["b"][0] == {"w": [4.0, 8.0], "b": [2.0]}


def test_errors_name_the_path_of_a_bad_leaf() -> None:
    params = {"w": [0.5, -0.25, "x"], "b": [0.1]}
    for mode in MODES:
        with pytest.raises(
            rg.ArgumentError, match=r"rg.grad: params\['w'\]\[2\] is differentiated"
        ):
            rg.grad(loss, mode=mode)(params, 2.0)
    with pytest.raises(rg.ArgumentError, match=r"t\[0\]\.b is differentiated.*not str"):
        rg.grad(lambda t: 1.0)((Affine(1.0, "b"),))  # type: ignore[arg-type]
    with pytest.raises(
        rg.ArgumentError,
        match=r"xs\[1\]\['k'\] is too large for a float \(10000000\.\.\.0000, 401 digits\)",
    ):
        rg.grad(lambda *xs: 1.0, argnums=1)(1.0, {"k": 10**400})
    with pytest.raises(
        rg.NonScalarOutputError, match=r"out\['b'\]\[0\] of what f returned is a str"
    ):
        rg.jvp(lambda x: {"a": x, "b": ["no"]}, (1.0,), (1.0,))


def test_gradients_match_jax(jax: Any) -> None:
    jnp = jax.numpy

    def loss_jax(params: Any, x: Any) -> Any:
        w, b = params["w"], params["b"]
        return (w[0] * x + w[1] * x * x + b[0] - 1.0) ** 2 + jnp.sin(w[0] * b[0])

    def loss_rg(params: dict[str, list[float]], x: float) -> float:
        return loss(params, x) + rg.sin(params["w"][0] * params["b"][0])

    for argnums in (0, 1, (0, 1)):
        expected = as_floats(jax, jax.grad(loss_jax, argnums=argnums)(PARAMS, 2.0))
        for mode in MODES:
            got = rg.grad(loss_rg, argnums=argnums, mode=mode)(PARAMS, 2.0)
            assert_trees_close(got, expected, f"grad argnums={argnums} {mode}")
        expected_h = as_floats(jax, jax.hessian(loss_jax, argnums=argnums)(PARAMS, 2.0))
        if argnums == 1:  # a positional number alone: today's rows, where JAX gives a scalar
            expected_h = [[expected_h]]
        for mode in MODES:
            got_h = rg.hessian(loss_rg, argnums=argnums, mode=mode)(PARAMS, 2.0)
            assert_trees_close(got_h, expected_h, f"hessian argnums={argnums} {mode}", 1e-10)


def test_jacobian_nests_as_jax_does(jax: Any) -> None:
    jnp = jax.numpy

    def f_jax(p: Any, x: Any) -> Any:
        return {"sum": p["a"] + x, "pair": (p["a"] * p["b"][0], jnp.exp(x * p["b"][1]))}

    def f_rg(p: dict[str, Any], x: float) -> dict[str, Any]:
        return {"sum": p["a"] + x, "pair": (p["a"] * p["b"][0], rg.exp(x * p["b"][1]))}

    p = {"a": 1.5, "b": [2.0, 0.5]}
    for argnums in (0, 1, (0, 1)):
        expected = as_floats(jax, jax.jacobian(f_jax, argnums=argnums)(p, 0.3))
        for mode in MODES:
            got = rg.jacobian(f_rg, argnums=argnums, mode=mode)(p, 0.3)
            assert_trees_close(got, expected, f"jacobian argnums={argnums} {mode}")
    # Positional numbers and a flat output keep today's rows; a nested output nests.
    assert rg.jacobian(lambda x, y: (x * y, x))(2.0, 3.0) == [[3.0, 2.0], [1.0, 0.0]]
    assert rg.jacobian(lambda x: {"a": x * x})(3.0) == {"a": 6.0}
    assert rg.jacobian(lambda x, y: [[x, y]])(1.0, 2.0) == [[(1.0, 0.0), (0.0, 1.0)]]


def test_hessian_rows_for_numbers_and_jax_nesting_for_containers(jax: Any) -> None:
    def f(x: float, y: float) -> float:
        return x * x * y + rg.sin(y)

    assert rg.hessian(f)(1.0, 2.0) == [[4.0, 2.0], [2.0, -math.sin(2.0)]]
    assert rg.hessian(f, argnums=1)(1.0, 2.0) == [[-math.sin(2.0)]]
    expected = as_floats(
        jax, jax.hessian(lambda p: p[0] ** 2 * p[1] + jax.numpy.sin(p[1]))((1.0, 2.0))
    )
    for mode in MODES:
        assert_trees_close(rg.hessian(lambda p: f(*p), mode=mode)((1.0, 2.0)), expected, mode)
