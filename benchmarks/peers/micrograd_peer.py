"""micrograd (PyPI `micrograd`): Karpathy's scalar reverse mode, the baseline to beat."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.core import Fn, NotApplicableError, Num, Ops, Output, Prepared
from benchmarks.peers.base import Peer

__all__ = ["MICROGRAD", "count_nodes"]


def _no_exp(x: Num) -> Num:
    raise NotApplicableError("micrograd has no exp")


class Micrograd(Peer):
    id = "micrograd"
    label = "micrograd"
    requires = ("micrograd",)
    pure_python = True

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        from micrograd.engine import Value

        ops = Ops(exp=_no_exp, relu=lambda v: v.relu())
        leaves = [Value(x) for x in xs]

        def run() -> Output:
            for leaf in leaves:
                leaf.grad = 0.0
            out = f(ops, leaves)
            out.backward()
            return Output(float(out.data), tuple(float(leaf.grad) for leaf in leaves))

        return Prepared(run)


def count_nodes(root: Num) -> int:
    """The nodes of a micrograd graph, constants included (micrograd wraps them in Values)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


MICROGRAD = Micrograd()
