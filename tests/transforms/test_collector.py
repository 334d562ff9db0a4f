"""While a transform builds a graph, or a large graph grows, full collections set their
survivors aside; after it, the collector is exactly as it was."""

from __future__ import annotations

import gc
import weakref

import pytest

import rulegrad as rg
from rulegrad.kernel.collector import LARGE_GRAPH, growing_graph, on_collection


@pytest.fixture(autouse=True)
def _nothing_frozen() -> None:
    """Each test starts with no frozen objects (a benchmark run in this process may have
    left some), as a program that never called gc.freeze() would, and with the collector
    having seen no large graph."""
    gc.unfreeze()
    gc.collect()


class _Cycle:
    """Garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self


def _collect_inside(x: float) -> float:
    gc.collect()  # a full collection while the graph exists: its survivors are frozen
    assert gc.get_freeze_count() > 0
    return x


def test_the_collector_is_restored_after_a_transform() -> None:
    callbacks = list(gc.callbacks)
    assert rg.grad(lambda x: _collect_inside(x) * x)(3.0) == 6.0
    assert gc.get_freeze_count() == 0 and gc.callbacks == callbacks


def test_the_collector_is_restored_when_f_raises_and_when_transforms_nest() -> None:
    callbacks = list(gc.callbacks)

    def failing(x: float) -> float:
        _collect_inside(x)
        raise KeyError("boom")

    with pytest.raises(KeyError):
        rg.grad(failing)(1.0)
    nested = rg.grad(rg.grad(lambda x: _collect_inside(x) ** 3))(2.0)
    assert nested == 12.0
    assert gc.get_freeze_count() == 0 and gc.callbacks == callbacks


def test_cyclic_garbage_made_during_a_transform_is_freed_after_it() -> None:
    refs: list[weakref.ref[_Cycle]] = []

    def f(x: float) -> float:
        refs.append(weakref.ref(_Cycle()))
        gc.collect()
        return x * x

    rg.grad(f)(2.0)
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_objects_someone_else_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with growing_graph():
            gc.collect()
        assert gc.get_freeze_count() == frozen  # not ours: neither added to nor unfrozen
    finally:
        gc.unfreeze()


def test_nothing_is_frozen_with_the_collector_disabled() -> None:
    gc.disable()
    try:
        with growing_graph():
            gc.collect()  # an explicit collection still runs the callbacks
            assert gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_the_callback_is_installed_once() -> None:
    assert gc.callbacks.count(on_collection) == 1


def _grow(x: rg.Value, ops: int) -> rg.Value:
    """x times a constant, `ops` times; no automatic collection meanwhile, so the test
    decides when the full collections happen."""
    gc.disable()
    try:
        for _ in range(ops):
            x = x * 1.0000001
    finally:
        gc.enable()
    return x


def test_a_large_graph_built_by_hand_is_set_aside_while_it_grows_and_given_back() -> None:
    """As micrograd users build graphs: no transform, the collector on."""
    x = rg.Value(1.0)
    y = _grow(x, LARGE_GRAPH + 1_000)
    gc.collect()  # a full collection while the graph grows past LARGE_GRAPH: set aside
    assert gc.get_freeze_count() > LARGE_GRAPH
    y = _grow(y, LARGE_GRAPH)
    gc.collect()  # still growing: what is new is set aside too
    assert gc.get_freeze_count() > 2 * LARGE_GRAPH
    gc.collect()  # no longer growing: given back
    assert gc.get_freeze_count() == 0
    y.backward()
    assert x.grad == pytest.approx(1.0000001 ** (2 * LARGE_GRAPH + 1_000))


def test_freeing_a_large_graph_gives_its_nodes_back() -> None:
    y = _grow(rg.Value(1.0), LARGE_GRAPH + 1_000)
    gc.collect()
    assert gc.get_freeze_count() > LARGE_GRAPH
    del y  # freed by reference counting, frozen or not
    gc.collect(0)  # any collection notices that the graph is gone
    assert gc.get_freeze_count() == 0


def test_cyclic_garbage_frozen_with_a_growing_graph_is_freed_after_it() -> None:
    cycle = _Cycle()
    ref = weakref.ref(cycle)
    y = _grow(rg.Value(1.0), LARGE_GRAPH + 1_000)
    gc.collect()  # the cycle is alive: set aside with the graph
    del cycle
    gc.collect()  # out of the collector's sight; the graph no longer grows: given back
    assert ref() is not None and gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None and y.data > 1.0


def test_a_small_graph_changes_nothing() -> None:
    y = _grow(rg.Value(1.0), 1_000)
    gc.collect()
    assert gc.get_freeze_count() == 0 and y.data > 1.0
