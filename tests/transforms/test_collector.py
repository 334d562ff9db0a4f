"""While a transform builds a graph, full collections set their survivors aside; after it,
the collector is exactly as it was."""

from __future__ import annotations

import gc
import weakref

import pytest

import rulegrad as rg
from rulegrad.transforms._collector import growing_graph


@pytest.fixture(autouse=True)
def _nothing_frozen() -> None:
    """Each test starts with no frozen objects (a benchmark run in this process may have
    left some), as a program that never called gc.freeze() would."""
    gc.unfreeze()


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


def test_nothing_is_done_with_the_collector_disabled() -> None:
    gc.disable()
    try:
        with growing_graph():
            assert _freeze_not_installed()
    finally:
        gc.enable()


def _freeze_not_installed() -> bool:
    return all(getattr(cb, "__name__", "") != "_freeze_survivors" for cb in gc.callbacks)
