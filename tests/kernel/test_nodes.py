"""Value and Dual: micrograd semantics, operators, comparisons, accumulation."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import rulegrad as rg


def test_contract_example() -> None:
    x = rg.Value(2.0, label="x")
    y = rg.Value(3.0)
    z = x * y + rg.sin(x)
    z.backward()
    assert (x.grad, y.grad) == (3 + math.cos(2.0), 2.0)
    d = rg.Dual(2.0, 1.0)
    e = d * d + rg.sin(d)
    assert (e.primal, e.tangent) == (4 + math.sin(2.0), 4 + math.cos(2.0))


def test_operators_with_numbers_on_either_side() -> None:
    x = rg.Value(2.0)
    for expr, value in [(x + 1, 3.0), (1 + x, 3.0), (x - 1, 1.0), (1 - x, -1.0), (x * 3, 6.0),
                        (3 * x, 6.0), (x / 4, 0.5), (4 / x, 2.0), (x**3, 8.0), (2**x, 4.0),
                        (-x, -2.0), (+x, 2.0), (abs(-x), 2.0)]:  # fmt: skip
        assert isinstance(expr, rg.Value)
        assert expr.data == value
    d = rg.Dual(2.0, 1.0)
    assert (2**d).tangent == pytest.approx(4.0 * math.log(2.0))
    assert (1 / d).tangent == -0.25
    assert (d - 5).primal == -3.0
    assert (5 - d).tangent == -1.0
    assert abs(rg.Dual(-2.0, 1.0)).tangent == -1.0


def test_methods() -> None:
    x = rg.Value(0.5)
    methods: list[tuple[str, Callable[[float], float]]] = [
        ("relu", lambda v: max(0.0, v)), ("tanh", math.tanh), ("exp", math.exp),
        ("log", math.log), ("sin", math.sin), ("cos", math.cos), ("sqrt", math.sqrt),
        ("sigmoid", lambda v: 1 / (1 + math.exp(-v))),
    ]  # fmt: skip
    for method, function in methods:
        on_value: Callable[[rg.Value], rg.Value] = getattr(rg.Value, method)
        on_dual: Callable[[rg.Dual], rg.Dual] = getattr(rg.Dual, method)
        assert on_value(x).data == pytest.approx(function(0.5), rel=1e-15)
        assert on_dual(rg.Dual(0.5)).primal == pytest.approx(function(0.5), rel=1e-15)
    assert rg.Value(-1.0).relu().data == 0.0


def test_gradients_accumulate_across_calls() -> None:
    x = rg.Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0  # 2 * (2x); the intermediate's stale grad is not propagated
    assert y.grad == 2.0
    x.grad = 0.0
    y.backward(seed=0.5)
    assert x.grad == 3.0


def test_every_reached_node_gets_its_grad() -> None:
    a = rg.Value(2.0, label="a")
    b = a * 3.0
    c = b + 1.0
    d = c * c
    d.backward()
    assert (d.grad, c.grad, b.grad, a.grad) == (1.0, 14.0, 14.0, 42.0)
    assert c.op is rg.add
    assert c.inputs == (b, 1.0)
    assert a.op is None and a.inputs == ()


def test_comparisons_equality_and_hash() -> None:
    a, b = rg.Value(1.0), rg.Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a < 1.5 and b < 2.5
    assert rg.Dual(1.0) < rg.Dual(2.0)
    c = rg.Value(1.0)
    assert a != c and a == a  # identity, not value
    assert len({a, b, c}) == 3
    assert bool(rg.Value(0.0)) is False and bool(rg.Value(-1.0)) is True
    assert max([a, b, c]) is b


def test_repr_and_label() -> None:
    assert repr(rg.Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(rg.Value(2.0, label="x")) == "Value(data=2.0, grad=0.0, label='x')"
    assert repr(rg.Dual(2.0, 1.0)) == "Dual(primal=2.0, tangent=1.0)"


def test_python_sum_and_builtin_numbers() -> None:
    xs = [rg.Value(float(i)) for i in range(4)]
    total = sum(xs)  # 0 + x0 + x1 + ...: one node per term, as in micrograd
    assert isinstance(total, rg.Value)
    total.backward()
    assert [x.grad for x in xs] == [1.0] * 4
    one_node = rg.sum(xs)
    assert one_node.inputs == tuple(xs)
    assert rg.Value(True).data == 1.0
    assert rg.dot(xs, [1, 2, 3, 4]).data == 0 + 2 + 6 + 12


def test_numpy_scalars() -> None:
    np = pytest.importorskip("numpy", reason="numpy is not installed")
    x = rg.Value(np.float64(2.0))
    assert type(x.data) is float
    y = np.float64(3.0) * x + np.int64(1)
    assert isinstance(y, rg.Value)
    y.backward()
    assert x.grad == 3.0
    assert rg.sin(np.float32(0.0)) == 0.0


def test_slots_and_no_self_closure() -> None:
    x = rg.Value(1.0)
    with pytest.raises(AttributeError):
        x.extra = 1  # type: ignore[attr-defined]
    y = x * 2.0
    # No per-node closure (micrograd's `_backward`), hence no reference cycle per node;
    # tests/kernel/test_graphs.py checks that graphs are freed without the cyclic GC.
    assert not hasattr(y, "__dict__") and not hasattr(y, "_backward")
