"""The CPython floor: the smallest hand-written slotted Value and Dual that do the same
arithmetic as rulegrad, with no registry, no dispatch and no checks.

These are what a careful person writes for one program in an afternoon: `__slots__`, one
class per mode, each operator's derivative written inline, an iterative topological sort
(micrograd's recursive one fails on deep graphs), no closures. rulegrad's goal is to cost
about this much while keeping its catalogue, its nesting and its errors. Constants stay
plain floats, as in rulegrad, so both build graphs of the same size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from benchmarks.core import Fn, Ops, Output, Prepared
from benchmarks.peers.base import Peer

__all__ = ["FLOOR", "FloorDual", "FloorValue"]

# The op codes of FloorValue nodes: backward switches on them.
_LEAF, _ADD, _MUL, _POW, _NEG, _EXP, _RELU, _SUM, _DOT = range(9)


class FloorValue:
    """A reverse-mode node: data, grad, op code, up to two inputs (or a tuple for sums)."""

    __slots__ = ("a", "b", "data", "grad", "kind")

    def __init__(self, data: float, kind: int = _LEAF, a: Any = None, b: Any = None) -> None:
        self.data = data
        self.grad = 0.0
        self.kind = kind
        self.a = a
        self.b = b

    def __add__(self, other: Any) -> FloorValue:
        if type(other) is FloorValue:
            return FloorValue(self.data + other.data, _ADD, self, other)
        return FloorValue(self.data + other, _ADD, self, other)

    __radd__ = __add__

    def __mul__(self, other: Any) -> FloorValue:
        if type(other) is FloorValue:
            return FloorValue(self.data * other.data, _MUL, self, other)
        return FloorValue(self.data * other, _MUL, self, other)

    __rmul__ = __mul__

    def __neg__(self) -> FloorValue:
        return FloorValue(-self.data, _NEG, self)

    def __sub__(self, other: Any) -> FloorValue:
        return self.__add__(-other)

    def __rsub__(self, other: Any) -> FloorValue:
        return (-self).__add__(other)

    def __pow__(self, k: float) -> FloorValue:
        return FloorValue(self.data**k, _POW, self, k)

    def exp(self) -> FloorValue:
        return FloorValue(math.exp(self.data), _EXP, self)

    def relu(self) -> FloorValue:
        return FloorValue(self.data if self.data > 0.0 else 0.0, _RELU, self)

    def backward(self) -> None:
        order: list[FloorValue] = []
        seen: set[FloorValue] = set()
        stack: list[tuple[FloorValue, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            for child in node.children():
                if child not in seen:
                    stack.append((child, False))
        self.grad = 1.0
        for node in reversed(order):
            g, a, b, kind = node.grad, node.a, node.b, node.kind
            if kind == _ADD:
                a.grad += g
                if type(b) is FloorValue:
                    b.grad += g
            elif kind == _MUL:
                if type(b) is FloorValue:
                    a.grad += b.data * g
                    b.grad += a.data * g
                else:
                    a.grad += b * g
            elif kind == _NEG:
                a.grad -= g
            elif kind == _POW:
                a.grad += b * a.data ** (b - 1) * g
            elif kind == _EXP:
                a.grad += node.data * g
            elif kind == _RELU:
                a.grad += (a.data > 0.0) * g
            elif kind == _SUM:
                for x in a:
                    if type(x) is FloorValue:
                        x.grad += g
            elif kind == _DOT:
                for x, y in zip(a, b, strict=True):
                    if type(x) is FloorValue:
                        x.grad += (y.data if type(y) is FloorValue else y) * g
                    if type(y) is FloorValue:
                        y.grad += (x.data if type(x) is FloorValue else x) * g

    def children(self) -> list[FloorValue]:
        a, b, kind = self.a, self.b, self.kind
        if kind == _SUM:
            return [x for x in a if type(x) is FloorValue]
        if kind == _DOT:
            return [x for x in (*a, *b) if type(x) is FloorValue]
        return [x for x in (a, b) if type(x) is FloorValue]


class FloorDual:
    """A dual number: primal and tangent, each operator's derivative written inline."""

    __slots__ = ("p", "t")

    def __init__(self, p: float, t: float = 0.0) -> None:
        self.p = p
        self.t = t

    def __add__(self, other: Any) -> FloorDual:
        if type(other) is FloorDual:
            return FloorDual(self.p + other.p, self.t + other.t)
        return FloorDual(self.p + other, self.t)

    __radd__ = __add__

    def __mul__(self, other: Any) -> FloorDual:
        if type(other) is FloorDual:
            return FloorDual(self.p * other.p, self.t * other.p + self.p * other.t)
        return FloorDual(self.p * other, self.t * other)

    __rmul__ = __mul__

    def __neg__(self) -> FloorDual:
        return FloorDual(-self.p, -self.t)

    def __sub__(self, other: Any) -> FloorDual:
        return self.__add__(-other)

    def __rsub__(self, other: Any) -> FloorDual:
        return (-self).__add__(other)

    def __pow__(self, k: float) -> FloorDual:
        return FloorDual(self.p**k, k * self.p ** (k - 1) * self.t)

    def exp(self) -> FloorDual:
        e = math.exp(self.p)
        return FloorDual(e, e * self.t)

    def relu(self) -> FloorDual:
        return FloorDual(self.p, self.t) if self.p > 0.0 else FloorDual(0.0, 0.0)


def _exp(x: Any) -> Any:
    return x.exp() if type(x) in (FloorValue, FloorDual) else math.exp(x)


def _relu(x: Any) -> Any:
    return x.relu() if type(x) in (FloorValue, FloorDual) else max(x, 0.0)


def floor_sum(xs: Sequence[Any]) -> Any:
    """One node for a whole sum, as `rg.sum` makes."""
    data = sum((x.data if type(x) is FloorValue else x for x in xs), 0.0)
    return FloorValue(data, _SUM, tuple(xs))


def floor_dot(xs: Sequence[Any], ys: Sequence[Any]) -> Any:
    """One node for a whole dot product, as `rg.dot` makes."""
    data = sum(
        (x.data if type(x) is FloorValue else x) * (y.data if type(y) is FloorValue else y)
        for x, y in zip(xs, ys, strict=True)
    )
    return FloorValue(data, _DOT, tuple(xs), tuple(ys))


_OPS = Ops(exp=_exp, relu=_relu)


class Floor(Peer):
    id = "floor"
    label = "CPython floor (hand-written slotted Value / Dual)"
    pure_python = True

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        leaves = [FloorValue(x) for x in xs]

        def run() -> Output:
            for leaf in leaves:
                leaf.grad = 0.0
            out = f(_OPS, leaves)
            out.backward()
            return Output(out.data, tuple(leaf.grad for leaf in leaves))

        return Prepared(run)

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        def run() -> Output:
            out = f(_OPS, [FloorDual(x, t) for x, t in zip(xs, ts, strict=True)])
            return Output(out.p, (out.t,))

        return Prepared(run)


FLOOR = Floor()
