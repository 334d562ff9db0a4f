"""Keeping Python's cyclic garbage collector from rescanning large graphs.

A graph of `Value`s has no reference cycles (nodes hold their inputs, never closures over
themselves), so reference counting frees it. But every node is an object the cyclic
collector tracks, and while a graph of millions of nodes grows, the collector's full
collections scan all of them again and again: building a chain by hand cost four times as
much per op at 3e6 ops as at 3e4, only for that.

So while a transform runs `f`, or while a graph of at least `LARGE_GRAPH` nodes grows (built
by hand, as in micrograd), `on_collection` (which `rulegrad._wiring` adds to `gc.callbacks`)
moves what survives each full collection into the collector's permanent generation
(`gc.freeze()`): later collections scan only what is new. When the transform is done, the
graph stops growing or is freed, everything is moved back (`gc.unfreeze()`), and cyclic
garbage made meanwhile is collected then; so a program that keeps a large graph alive for
long gets the collector's usual behaviour once the graph is built.

How many nodes are alive costs nothing to ask: every instance of a class written in Python
holds a reference to its class, so `sys.getrefcount(Value)` grows by one per node.

Nothing is frozen while the collector is disabled, or when something else has frozen
objects (a server that freezes before forking): unfreezing those is not ours to do.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, final

from rulegrad.kernel.nodes import Value

__all__ = ["LARGE_GRAPH", "growing_graph", "on_collection"]

LARGE_GRAPH: Final = 100_000
"""Nodes alive from which a growing graph is kept out of full collections; below it, a full
collection costs little and nothing is changed."""

_GROWTH: Final = 1_000
"""Nodes made between two full collections for the graph to count as growing. Once survivors
are frozen, full collections come often (the collector compares what is new with what it
last kept, which no longer counts the frozen), so any steady growth shows."""


@final
class _State:
    """What we froze, and what the collections and transforms have seen."""

    __slots__ = ("frozen", "last", "lock", "peak", "scopes")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.scopes = 0  # transforms running their `f`
        self.frozen = False  # everything in the permanent generation was frozen by us
        self.last = 0  # the fewest nodes alive at a collection since the last full one
        self.peak = 0  # the most nodes alive at a full collection since we froze


_STATE: Final = _State()


def _nodes() -> int:
    """How many `Value`s are alive, plus a few dozen other references to the class."""
    return sys.getrefcount(Value)


def _unfreeze() -> None:
    _STATE.frozen = False
    _STATE.peak = 0
    gc.unfreeze()


def on_collection(phase: str, info: dict[str, int]) -> None:
    """After each collection. A full one freezes its survivors while a transform builds a
    graph or a large graph grows; it gives them back once the graph stops growing. Any
    collection gives them back once the graph is freed (half the nodes are gone)."""
    if phase != "stop":
        return
    nodes = _nodes()
    if info.get("generation") != 2:
        _STATE.last = min(_STATE.last, nodes)  # a graph freed and built again still grows
        if _STATE.frozen and _STATE.scopes == 0 and nodes < _STATE.peak // 2:
            _unfreeze()
        return
    growing = nodes >= LARGE_GRAPH and nodes > _STATE.last + _GROWTH
    _STATE.last = nodes
    if _STATE.scopes > 0 or growing:
        if _STATE.frozen or (gc.isenabled() and gc.get_freeze_count() == 0):
            _STATE.frozen = True
            _STATE.peak = max(_STATE.peak, nodes)
            gc.freeze()
    elif _STATE.frozen:
        _unfreeze()


@contextmanager
def growing_graph() -> Iterator[None]:
    """The block builds a graph: full collections inside it do not rescan earlier nodes, of
    any size. What they set aside is given back when the outermost block ends."""
    with _STATE.lock:
        _STATE.scopes += 1
    try:
        yield
    finally:
        with _STATE.lock:
            _STATE.scopes -= 1
            if _STATE.scopes == 0 and _STATE.frozen:
                _unfreeze()
