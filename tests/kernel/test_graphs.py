"""Graph size and memory: deep chains in both modes, freeing without the cyclic GC."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import rulegrad as rg
from tests.helpers import MODES

DEPTH = 1_000_000
FACTOR = 1.000001


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _live_nodes() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) in (rg.Value, rg.Dual))


def test_million_op_chain_reverse() -> None:
    x = rg.Value(1.0)
    y = x
    for _ in range(DEPTH):
        y = y * FACTOR
    y.backward()
    assert x.grad == pytest.approx(FACTOR**DEPTH, rel=1e-9)


def test_million_op_chain_reverse_through_grad() -> None:
    def chain(x: float) -> float:
        for _ in range(DEPTH):
            x = rg.sin(x)
        return x

    # x = 0 is a fixed point of sin, where each step has derivative cos 0 = 1.
    assert rg.grad(chain)(0.0) == 1.0
    assert rg.grad(chain, mode="forward")(0.0) == 1.0


def test_million_op_chain_forward() -> None:
    d = rg.Dual(1.0, 1.0)
    for _ in range(DEPTH):
        d = d * FACTOR
    assert d.tangent == pytest.approx(FACTOR**DEPTH, rel=1e-9)
    assert rg.grad(lambda x: x * FACTOR**DEPTH, mode="forward")(1.0) == pytest.approx(FACTOR**DEPTH)


def test_dropped_graph_is_freed_by_reference_counting(no_cyclic_gc: None) -> None:
    before = _live_nodes()
    x = rg.Value(0.5)
    y = x
    for _ in range(10_000):
        y = rg.tanh(y) + y * x
    y.backward()
    assert _live_nodes() >= before + 10_000
    del x, y
    assert _live_nodes() == before


def test_transforms_leave_nothing_behind(no_cyclic_gc: None) -> None:
    before = _live_nodes()
    f = lambda x, y: rg.exp(x * y) + rg.sin(x) ** 2
    for mode in MODES:
        rg.grad(f, argnums=(0, 1), mode=mode)(0.3, 0.4)
    rg.hessian(f)(0.3, 0.4)
    rg.jacobian(lambda x, y: [x * y, x + y])(1.0, 2.0)
    _, pullback = rg.vjp(f, 0.3, 0.4)
    pullback(1.0)
    del pullback
    assert _live_nodes() == before


def test_operand_used_twice_gets_every_path() -> None:
    x = rg.Value(3.0)
    (x - x).backward()
    assert x.grad == 0.0
    x = rg.Value(3.0)
    (x / x).backward()
    assert x.grad == 0.0
    a = rg.Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a = rg.Value(3.0)
    (a * a * a).backward()
    assert a.grad == 27.0
    # A diamond: b and c both use a, d uses both.
    a = rg.Value(2.0)
    b = a * 3.0
    c = a * a
    d = b * c
    d.backward()
    assert a.grad == 3.0 * 4.0 + 6.0 * 2.0 * 2.0  # d(3a * a^2)/da = 9a^2 = 36
    for mode in MODES:
        assert rg.grad(lambda x: x - x, mode=mode)(3.0) == 0.0
        assert rg.grad(lambda x: x / x, mode=mode)(3.0) == 0.0
        assert rg.grad(lambda x: x + x, mode=mode)(3.0) == 2.0
