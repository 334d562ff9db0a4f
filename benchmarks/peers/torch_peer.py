"""PyTorch on 0-d tensors: the same scalar graph as micrograd, one tensor per number.

Tensors are float64 so that every peer's numbers can be compared to a tight tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.core import Fn, Ops, Output, Prepared
from benchmarks.peers.base import Peer

__all__ = ["TORCH"]


class Torch(Peer):
    id = "torch"
    label = "PyTorch, 0-d tensors"
    requires = ("torch",)

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        import torch

        ops = Ops(exp=torch.exp, relu=torch.relu)
        leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]

        def run() -> Output:
            for leaf in leaves:
                leaf.grad = None
            out = f(ops, leaves)
            out.backward()
            gradient = (0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves)
            return Output(out.item(), tuple(gradient))

        return Prepared(run)

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        import torch
        import torch.autograd.forward_ad as fwad

        ops = Ops(exp=torch.exp, relu=torch.relu)
        primals = [torch.tensor(x, dtype=torch.float64) for x in xs]
        tangents = [torch.tensor(t, dtype=torch.float64) for t in ts]

        def run() -> Output:
            with fwad.dual_level():
                duals = [fwad.make_dual(p, t) for p, t in zip(primals, tangents, strict=True)]  # type: ignore[no-untyped-call]
                out = fwad.unpack_dual(f(ops, duals))  # type: ignore[no-untyped-call]
                return Output(out.primal.item(), (out.tangent.item(),))

        return Prepared(run)

    def hessian(self, f: Fn, xs: Sequence[float]) -> Prepared:
        import torch
        from torch.autograd.functional import hessian

        ops = Ops(exp=torch.exp, relu=torch.relu)
        point = torch.tensor(xs, dtype=torch.float64)

        def run() -> Output:
            matrix = hessian(lambda v: f(ops, v), point)  # type: ignore[no-untyped-call]
            return Output(None, tuple(matrix.flatten().tolist()))

        return Prepared(run)


TORCH = Torch()
