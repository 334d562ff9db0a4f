"""Errors in a batch: the loop's error, at the loop's first failing point, with its index.

Array code does not raise where `math` does (NumPy gives NaN or an infinity); rg.vmap finds
the points where something went non-finite and reruns them one by one in the dynamic mode,
so the error, and any non-finite result, is exactly the unbatched call's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import rulegrad as rg


def _points(n: int, bad: dict[int, float]) -> list[float]:
    xs = [0.5 + 0.1 * i for i in range(n)]
    for i, x in bad.items():
        xs[i] = x
    return xs


def test_a_domain_error_names_the_point_and_the_op(backend: str) -> None:
    xs = _points(12, {7: -1.0})
    with pytest.raises(rg.DomainError) as caught:
        rg.vmap(lambda x: rg.log(x) * 2.0)(xs)
    error = caught.value
    assert error.op_name == "log" and error.point == (-1.0,)
    assert getattr(error, "batch_index", None) == 7
    with pytest.raises(rg.DomainError) as unbatched:
        rg.log(-1.0)
    assert str(error) == f"at point 7 of the batch: {unbatched.value}"


@pytest.mark.usefixtures("small_chunks")
def test_the_first_failing_point_wins_across_chunks(backend: str) -> None:
    xs = np.array(_points(20, {11: -2.0, 16: 0.0, 4: 2.0}))
    with pytest.raises(rg.DomainError, match=r"^at point 11 of the batch: log\(x=-2.0\)"):
        rg.vmap(lambda x: rg.log(x))(xs)


def test_an_error_that_a_later_op_would_hide(backend: str) -> None:
    # maximum(nan, 0) is 0 in array code as in Python: the log must still fail, as it does
    # in the loop.
    xs = _points(6, {4: -1.0})
    with pytest.raises(rg.DomainError, match="at point 4 of the batch: log"):
        rg.vmap(lambda x: rg.maximum(rg.log(x), 0.0))(xs)


def test_division_by_zero(backend: str) -> None:
    with pytest.raises(ZeroDivisionError, match="at point 2 of the batch"):
        rg.vmap(lambda x: 1.0 / x)(_points(5, {2: 0.0}))


def test_overflow_is_a_range_error(backend: str) -> None:
    with pytest.raises(rg.RangeError, match=r"at point 1 of the batch: exp\(x=1000.0\)"):
        rg.vmap(lambda x: rg.exp(x))(_points(3, {1: 1000.0}))


def test_an_error_from_a_broadcast_value_is_at_point_zero(backend: str) -> None:
    with pytest.raises(rg.DomainError, match="at point 0 of the batch: log"):
        rg.vmap(lambda a, x: rg.log(a) * x, in_axes=(None, 0))(-1.0, _points(4, {}))


def test_non_finite_results_are_the_unbatched_ones(backend: str) -> None:
    xs = [1e200, 2.0, -1e200]
    assert rg.vmap(lambda x: x * x)(xs) == [math.inf, 4.0, math.inf]
    out = rg.vmap(lambda x: rg.relu(x))(np.array([math.nan, 1.0, -math.inf]))
    assert out.tolist() == [0.0, 1.0, 0.0]  # nan > 0 is false, in Python and in array code
    nan = rg.vmap(lambda x: rg.sin(x) * 0.0 + x)([math.nan])[0]
    assert math.isnan(nan)


def test_a_derivative_undefined_at_a_point(backend: str) -> None:
    def total(a: Any) -> Any:
        return rg.sum(rg.vmap(lambda a, x: rg.sqrt(a * x), in_axes=(None, 0))(a, xs))

    xs = _points(6, {3: 0.0})
    with pytest.raises(rg.DomainError) as caught:
        rg.grad(total)(2.0)
    assert caught.value.op_name == "sqrt" and caught.value.in_derivative
    if backend == "arrays":  # the loop's backward pass meets it in the outer graph, unnumbered
        assert str(caught.value).startswith("at point 3 of the batch: the derivative of sqrt")


def test_a_per_example_gradient_undefined_at_a_point(backend: str) -> None:
    with pytest.raises(rg.DomainError, match="at point 1 of the batch: the derivative of sqrt"):
        rg.vmap(rg.grad(rg.sqrt))([1.0, 0.0, 4.0])


def test_a_gradient_that_overflows(backend: str) -> None:
    def total(a: Any) -> Any:
        return rg.sum(rg.vmap(lambda a, x: rg.exp(a * x) * 0.0, in_axes=(None, 0))(a, xs))

    xs = [1.0, 800.0]
    with pytest.raises(rg.RangeError, match="at point 1 of the batch"):
        rg.grad(total)(1.0)


def test_the_loop_and_the_arrays_raise_the_same(backend: str) -> None:
    def f(x: float, y: float) -> float:
        return rg.atanh(x) + rg.acos(y) * rg.log1p(x)

    xs = [0.1, 0.2, 1.0, 0.3]
    ys = [0.5, 2.0, 0.5, 0.1]
    with pytest.raises(rg.DomainError) as caught:
        rg.vmap(f)(xs, ys)
    with pytest.raises(rg.DomainError) as first:
        f(xs[1], ys[1])
    assert str(caught.value) == f"at point 1 of the batch: {first.value}"


def test_a_user_error_names_the_point(backend: str) -> None:
    def f(x: float) -> float:
        if backend == "arrays":
            return x  # traced: no value to check
        raise KeyError("boom")

    if backend == "loop":
        with pytest.raises(KeyError, match="at point 0 of the batch: boom"):
            rg.vmap(f)([1.0])
