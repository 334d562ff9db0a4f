"""Keeping Python's cyclic garbage collector from rescanning a graph while it grows.

A graph of `Value`s has no reference cycles (nodes hold their inputs, never closures over
themselves), so reference counting frees it. But every node is an object the cyclic
collector tracks, and while `f` builds a graph of millions of nodes the collector's full
collections scan all of them again and again: the cost per op grows with the size of the
graph. While a transform runs `f`, `growing_graph()` moves what survives each full
collection into the collector's permanent generation (`gc.freeze()`), so later collections
scan only what is new, and moves it back (`gc.unfreeze()`) when the outermost transform is
done. Cyclic garbage made meanwhile is collected then instead of during the call.

Nothing is done when the collector is disabled, or when something else has frozen objects
(a server that freezes before forking): unfreezing those is not ours to do.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, final

__all__ = ["growing_graph"]


@final
class _Scope:
    """How many transforms are running their `f`, and whether the callback is installed."""

    __slots__ = ("depth", "installed", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.installed = False


_SCOPE: Final = _Scope()


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """After a full collection, set its survivors aside from later ones."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


@contextmanager
def growing_graph() -> Iterator[None]:
    """The block builds a graph: full collections inside it do not rescan earlier nodes."""
    with _SCOPE.lock:
        if _SCOPE.depth == 0 and gc.isenabled() and gc.get_freeze_count() == 0:
            gc.callbacks.append(_freeze_survivors)
            _SCOPE.installed = True
        _SCOPE.depth += 1
    try:
        yield
    finally:
        with _SCOPE.lock:
            _SCOPE.depth -= 1
            if _SCOPE.depth == 0 and _SCOPE.installed:
                gc.callbacks.remove(_freeze_survivors)
                _SCOPE.installed = False
                gc.unfreeze()
