"""rg.vmap's meaning: in_axes and out_axes over containers, what comes back, bad input.

Each test runs on both paths (the `backend` fixture): NumPy array code, and the loop.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pytest

import rulegrad as rg


def loss(p: dict[str, float], x: float, y: float) -> float:
    return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2


P = {"a": 2.0, "k": 0.5}
XS = [0.0, 0.5, 1.0, 2.0, 3.5]
YS = [2.0, 1.5, 1.2, 0.7, 0.3]


def _loop(f: Any, *points: Any) -> list[Any]:
    return [f(*point) for point in zip(*points, strict=True)]


def test_the_contract_example(backend: str) -> None:
    batched = rg.vmap(loss, in_axes=(None, 0, 0))
    losses = batched(P, XS, YS)
    assert isinstance(losses, list)
    assert losses == pytest.approx([loss(P, x, y) for x, y in zip(XS, YS, strict=True)], rel=1e-14)
    total, g = rg.value_and_grad(lambda p: rg.sum(batched(p, XS, YS)))(P)
    expected = rg.value_and_grad(lambda p: rg.sum(_loop(lambda x, y: loss(p, x, y), XS, YS)))(P)
    assert total == pytest.approx(expected[0], rel=1e-14)
    assert g == pytest.approx(expected[1], rel=1e-14)
    assert list(g) == ["a", "k"]  # shaped like the parameters
    per_example = rg.vmap(rg.grad(loss), in_axes=(None, 0, 0))(P, XS, YS)
    assert set(per_example) == {"a", "k"}
    for i, (x, y) in enumerate(zip(XS, YS, strict=True)):
        one = rg.grad(loss)(P, x, y)
        assert per_example["a"][i] == pytest.approx(one["a"], rel=1e-14)
        assert per_example["k"][i] == pytest.approx(one["k"], rel=1e-14)


def test_arrays_in_arrays_out(backend: str) -> None:
    xs, ys = np.array(XS), np.array(YS)
    out = rg.vmap(loss, in_axes=(None, 0, 0))(P, xs, ys)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (5,)
    assert out.tolist() == pytest.approx(rg.vmap(loss, in_axes=(None, 0, 0))(P, XS, YS))


def test_a_list_and_an_array_give_an_array(backend: str) -> None:
    out = rg.vmap(lambda x, y: x * y)(XS, np.array(YS))
    assert isinstance(out, np.ndarray)
    assert out.tolist() == pytest.approx([x * y for x, y in zip(XS, YS, strict=True)])


def test_in_axes_as_one_int_maps_every_argument(backend: str) -> None:
    out = rg.vmap(lambda x, y: rg.atan2(x, y))(XS, YS)
    assert out == pytest.approx([math.atan2(x, y) for x, y in zip(XS, YS, strict=True)])


def test_negative_axes_count_from_the_end(backend: str) -> None:
    grid = np.arange(6.0).reshape(2, 3)
    by_column = rg.vmap(lambda col: col[0] * 10.0 + col[1], in_axes=-1)(grid)
    assert by_column.tolist() == [3.0, 14.0, 25.0]
    by_row = rg.vmap(lambda row: rg.sum(row), in_axes=-2)(grid)
    assert by_row.tolist() == [3.0, 12.0]
    assert rg.vmap(lambda x: x + 1.0, in_axes=-1)(XS) == [x + 1.0 for x in XS]


def test_a_two_d_array_maps_its_rows_as_lists(backend: str) -> None:
    points = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    seen: list[object] = []

    def f(point: list[float]) -> float:
        seen.append(type(point))
        return point[0] * point[1]

    assert rg.vmap(f)(points).tolist() == [2.0, 12.0, 30.0]
    assert all(kind is list for kind in seen)


def test_containers_in_and_out(backend: str) -> None:
    def f(p: dict[str, Any], point: tuple[float, float]) -> dict[str, Any]:
        x, y = point
        return {"sum": x + y + p["b"][0], "parts": [x * p["w"], y]}

    params = {"w": 2.0, "b": [0.5]}
    out = rg.vmap(f, in_axes=(None, (0, 0)))(params, (XS, YS))
    assert set(out) == {"sum", "parts"} and len(out["parts"]) == 2
    assert out["sum"] == pytest.approx([x + y + 0.5 for x, y in zip(XS, YS, strict=True)])
    assert out["parts"][0] == pytest.approx([2.0 * x for x in XS])
    assert out["parts"][1] == pytest.approx(YS)


def test_a_dict_prefix_maps_part_of_an_argument(backend: str) -> None:
    def f(batch: dict[str, float]) -> float:
        return batch["x"] * batch["scale"]

    out = rg.vmap(f, in_axes=({"x": 0, "scale": None},))({"x": XS, "scale": 3.0})
    assert out == pytest.approx([3.0 * x for x in XS])


class Point(NamedTuple):
    x: float
    y: float


def test_namedtuples_are_containers(backend: str) -> None:
    out = rg.vmap(lambda p: Point(p.y, p.x))(Point(XS, YS))  # type: ignore[arg-type]
    assert isinstance(out, Point)
    assert out.x == pytest.approx(YS) and out.y == pytest.approx(XS)


def test_out_axes_none_returns_one_value(backend: str) -> None:
    f = rg.vmap(lambda a, x: (a * 2.0, a * x), in_axes=(None, 0), out_axes=(None, 0))
    constant, mapped = f(1.5, XS)
    assert constant == 3.0
    assert mapped == pytest.approx([1.5 * x for x in XS])


def test_out_axes_none_for_a_result_that_varies_is_an_error(backend: str) -> None:
    with pytest.raises(rg.AxisError, match=r"out_axes is None for out\[1\]"):
        rg.vmap(lambda x: (1.0, x), out_axes=(None, None))(XS)


def test_out_axes_minus_one_is_zero_and_one_is_out_of_range(backend: str) -> None:
    assert rg.vmap(lambda x: x * 2.0, out_axes=-1)(XS) == [2.0 * x for x in XS]
    with pytest.raises(rg.AxisError, match="has one axis"):
        rg.vmap(lambda x: x * 2.0, out_axes=1)(XS)


def test_a_constant_result_is_broadcast(backend: str) -> None:
    out = rg.vmap(lambda x: 7.0)(np.array(XS))
    assert out.tolist() == [7.0] * 5


def test_an_unmapped_result_is_broadcast(backend: str) -> None:
    out = rg.vmap(lambda a, x: (a * a, x), in_axes=(None, 0))(3.0, np.array(XS))
    assert out[0].tolist() == [9.0] * 5


def test_ints_are_numbers(backend: str) -> None:
    out = rg.vmap(lambda a, x: a * x, in_axes=(None, 0))(2, [1, 2, 3])
    assert out == [2, 4, 6]


@pytest.mark.usefixtures("small_chunks")
def test_chunks_cover_the_whole_batch(backend: str) -> None:
    xs = np.linspace(-2.0, 2.0, 11)
    out = rg.vmap(lambda x: rg.tanh(x) * x)(xs)
    assert out.tolist() == pytest.approx([math.tanh(x) * x for x in xs.tolist()], rel=1e-15)
    total, g = rg.value_and_grad(
        lambda a: rg.sum(rg.vmap(lambda a, x: a * x * x, (None, 0))(a, xs))
    )(2.0)
    assert total == pytest.approx(2.0 * float(np.sum(xs * xs)))
    assert g == pytest.approx(float(np.sum(xs * xs)))


def test_the_batched_function_keeps_the_name(backend: str) -> None:
    batched = rg.vmap(loss, in_axes=(None, 0, 0))
    assert batched.__name__ == "loss"
    assert "rg.vmap of loss" in repr(batched)


@pytest.mark.parametrize(
    ("in_axes", "args", "message"),
    [
        ((0, 0), (XS,), "in_axes has 2 entries but the function was called with 1"),
        (1, (XS,), r"maps x along axis 1, but a list of numbers has one axis"),
        (2, (np.zeros((2, 3)),), r"along axis 2, but it has 2 dimensions \(axes -2 to 1\)"),
        (-3, (np.zeros((2, 3)),), r"along axis -3, but it has 2 dimensions"),
        (0, (1.5,), r"maps x, but it is a number \(1.5\), which has no axis"),
        (None, (XS,), "needs at least one mapped argument"),
        (({"x": 0},), ([1.0],), r"gives x the structure of a dict, but the argument is a list"),
        (({"a": 0},), ({"b": [1.0]},), r"is a dict of 1 entries \(\['a'\]\)"),
    ],
)
def test_axes_that_do_not_fit(backend: str, in_axes: Any, args: Any, message: str) -> None:
    with pytest.raises(rg.AxisError, match=message):
        rg.vmap(lambda x: x, in_axes=in_axes)(*args)


def test_mapped_arguments_of_different_lengths(backend: str) -> None:
    with pytest.raises(rg.AxisError, match="x has 5 points along its mapped axis, y has 2"):
        rg.vmap(lambda x, y: x + y)(XS, [1.0, 2.0])


@pytest.mark.parametrize("bad", ["0", 1.0, [0, "x"], True])
def test_in_axes_of_the_wrong_type(bad: Any) -> None:
    with pytest.raises(rg.ArgumentError, match="in_axes must be an int, None, or a container"):
        rg.vmap(lambda x: x, in_axes=bad)


def test_out_axes_of_the_wrong_type() -> None:
    with pytest.raises(rg.ArgumentError, match="out_axes must be"):
        rg.vmap(lambda x: x, out_axes="0")  # type: ignore[arg-type]


def test_not_a_function() -> None:
    with pytest.raises(rg.ArgumentError, match=r"rg\.vmap needs a function"):
        rg.vmap(3.0)  # type: ignore[arg-type]


def test_keyword_arguments_are_refused(backend: str) -> None:
    with pytest.raises(rg.ArgumentError, match="positional arguments only, got scale="):
        rg.vmap(lambda x, scale=1.0: x * scale)(XS, scale=2.0)


def test_a_non_numeric_broadcast_argument(backend: str) -> None:
    with pytest.raises(rg.ArgumentError, match=r"label is a str"):
        rg.vmap(lambda x, label: x, in_axes=(0, None))(XS, "points")


def test_a_result_that_is_not_a_number(backend: str) -> None:
    with pytest.raises(rg.NonScalarOutputError, match="but it returned str"):
        rg.vmap(lambda x: "x")(XS)


def test_an_op_without_an_array_form_runs_point_by_point(backend: str) -> None:
    # A plugin's op: a math forward and a rule that branches, so neither has array code.
    kink = rg.Op(
        "kink",
        forward=lambda x: math.atan(x) if x > 0.0 else 0.5 * x,
        partials=lambda out, x: (1.0 / (1.0 + x * x) if x > 0.0 else 0.5,),
    )
    xs = [-2.0, -0.5, 0.5, 3.0]
    batched = rg.vmap(lambda a, x: kink(a * x), in_axes=(None, 0))
    assert batched(1.5, xs) == pytest.approx([kink(1.5 * x) for x in xs], rel=1e-15)
    got = rg.value_and_grad(lambda a: rg.sum(batched(a, np.array(xs))))(1.5)
    expected = rg.value_and_grad(lambda a: rg.sum([kink(a * x) for x in xs]))(1.5)
    assert got == pytest.approx(expected, rel=1e-14)


@rg.custom_jvp
def softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


@softplus.defjvp
def _softplus_jvp(primals: tuple[float], tangents: tuple[float]) -> tuple[float, float]:
    (x,), (t,) = primals, tangents
    return softplus(x), rg.sigmoid(x) * t


def test_a_custom_jvp_function_under_vmap(backend: str) -> None:
    xs = np.array([-30.0, -1.0, 0.0, 2.0, 40.0])
    out = rg.vmap(softplus)(xs)
    assert out.tolist() == pytest.approx([softplus(x) for x in xs.tolist()], rel=1e-15)

    def doubled(x: float) -> float:
        return softplus(2.0 * x)

    grads = rg.vmap(rg.grad(doubled))(xs)
    expected = [rg.grad(doubled)(x) for x in xs.tolist()]
    assert grads.tolist() == pytest.approx(expected, rel=1e-14)
