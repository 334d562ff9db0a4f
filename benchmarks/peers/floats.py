"""The floor: the same function evaluated on plain Python floats, no derivative at all."""

from __future__ import annotations

import math
from collections.abc import Sequence

from benchmarks.core import Fn, Ops, Output, Prepared
from benchmarks.peers.base import Peer

__all__ = ["FLOATS"]


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


_OPS = Ops(exp=math.exp, relu=_relu, sin=math.sin)


class Floats(Peer):
    id = "floats"
    label = "plain floats, forward only (the floor)"
    pure_python = True

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        return _forward(f, xs)

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        return _forward(f, xs)

    def hessian(self, f: Fn, xs: Sequence[float]) -> Prepared:
        return _forward(f, xs)

    def derivative(self, f: Fn, x: float, order: int) -> Prepared:
        return _forward(f, [x])


def _forward(f: Fn, xs: Sequence[float]) -> Prepared:
    point = list(xs)
    return Prepared(lambda: Output(float(f(_OPS, point))))


FLOATS = Floats()
