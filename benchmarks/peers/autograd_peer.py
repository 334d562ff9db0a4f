"""HIPS autograd: reverse and forward mode by tracing numpy calls on boxed values."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.core import Fn, Num, Ops, Output, Prepared
from benchmarks.peers.base import Peer

__all__ = ["AUTOGRAD"]


def _ops() -> Ops:
    import autograd.numpy as anp

    def relu(x: Num) -> Num:
        return anp.maximum(x, 0.0)

    return Ops(exp=anp.exp, relu=relu)


class Autograd(Peer):
    id = "autograd"
    label = "HIPS autograd"
    requires = ("autograd", "numpy")

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        import autograd
        import numpy as np

        ops = _ops()
        value_and_grad = autograd.value_and_grad(lambda a: f(ops, a))
        point = np.array(xs, dtype=np.float64)

        def run() -> Output:
            value, gradient = value_and_grad(point)
            return Output(float(value), tuple(gradient.tolist()))

        return Prepared(run)

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        import autograd
        import numpy as np

        ops = _ops()
        jvp_at = autograd.make_jvp(lambda a: f(ops, a))
        point, direction = np.array(xs, dtype=np.float64), np.array(ts, dtype=np.float64)

        def run() -> Output:
            out, tangent = jvp_at(point)(direction)
            return Output(float(out), (float(tangent),))

        return Prepared(run)

    def hessian(self, f: Fn, xs: Sequence[float]) -> Prepared:
        import autograd
        import numpy as np

        ops = _ops()
        hessian = autograd.hessian(lambda a: f(ops, a))
        point = np.array(xs, dtype=np.float64)
        return Prepared(lambda: Output(None, tuple(hessian(point).ravel().tolist())))


AUTOGRAD = Autograd()
