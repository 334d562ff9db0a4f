"""JAX, eager and under `jax.jit`, on the same scalar graph (64-bit floats enabled).

Eager cases get their inputs as a list of 0-d arrays; taking one array apart inside
`jax.value_and_grad` costs far more, eagerly, than the workload itself. Jitted cases get one
array, which compiles several times faster than a list of scalar arguments.

Eager: `jax.value_and_grad` of the Python function, called without `jit`. Jitted: the same
transform under `jax.jit`, compiled once before timing; the compile time is reported apart.
A jitted scalar graph is one XLA program with an operation per scalar op, and XLA's compile
time grows faster than the graph, so these cases run isolated, under the suite's timeout.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.core import Fn, Ops, Output, Prepared
from benchmarks.peers.base import Peer

__all__ = ["JAX", "JAX_JET", "JAX_JIT", "jax_module"]


def jax_module() -> Any:
    """The `jax` module, with 64-bit floats on (every peer computes in float64)."""
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    return jax


class Jax(Peer):
    id = "jax"
    label = "JAX eager"
    requires = ("jax",)
    jit = False

    def _ops(self) -> Ops:
        jax = jax_module()
        loop = jax.lax.fori_loop if self.jit else None
        return Ops(exp=jax.numpy.exp, relu=jax.nn.relu, fori_loop=loop)

    def _point(self, xs: Sequence[float]) -> Any:
        jnp = jax_module().numpy
        if self.jit:
            return jnp.asarray(xs, dtype=jnp.float64)
        return [jnp.asarray(x, dtype=jnp.float64) for x in xs]

    def _ready(
        self, transform: Callable[..., Any], *args: Any
    ) -> tuple[Callable[..., Any], float | None]:
        """`transform` jitted and compiled for `args` (with the compile time), or as it is."""
        if not self.jit:
            return transform, None
        start = time.perf_counter()
        compiled = jax_module().jit(transform).lower(*args).compile()
        return compiled, time.perf_counter() - start

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        jax, ops = jax_module(), self._ops()
        point = self._point(xs)
        value_and_grad, compile_s = self._ready(jax.value_and_grad(lambda a: f(ops, a)), point)

        def run() -> Output:
            value, gradient = value_and_grad(point)
            return Output(float(value), tuple(float(g) for g in gradient))

        return Prepared(run, compile_s)

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        jax, ops = jax_module(), self._ops()
        point, direction = self._point(xs), self._point(ts)

        def jvp(p: Any, d: Any) -> Any:
            return jax.jvp(lambda a: f(ops, a), (p,), (d,))

        jvp_at, compile_s = self._ready(jvp, point, direction)

        def run() -> Output:
            out, tangent = jvp_at(point, direction)
            return Output(float(out), (float(tangent),))

        return Prepared(run, compile_s)

    def hessian(self, f: Fn, xs: Sequence[float]) -> Prepared:
        jax, ops = jax_module(), self._ops()
        point = jax.numpy.asarray(xs, dtype=jax.numpy.float64)
        hessian, compile_s = self._ready(jax.hessian(lambda a: f(ops, a)), point)
        return Prepared(lambda: Output(None, tuple(hessian(point).ravel().tolist())), compile_s)


class JaxJit(Jax):
    id = "jax-jit"
    label = "JAX jax.jit"
    isolate = True
    jit = True


class JaxJet(Peer):
    """`jax.experimental.jet`: JAX's Taylor mode, eager. Its first call at an order traces
    each primitive's series rule for that order; it is timed apart, as compile time."""

    id = "jax-jet"
    label = "JAX jax.experimental.jet"
    requires = ("jax",)

    def derivative(self, f: Fn, x: float, order: int) -> Prepared:
        jax = jax_module()
        jet = importlib.import_module("jax.experimental.jet").jet
        ops = Ops(exp=jax.numpy.exp, relu=jax.nn.relu, sin=jax.numpy.sin)
        point = (jax.numpy.asarray(x, dtype=jax.numpy.float64),)
        series = ([1.0] + [0.0] * (order - 1),)  # x(t) = x + t

        def run() -> Output:
            out, terms = jet(lambda a: f(ops, [a]), point, series)
            return Output(float(out), (float(terms[-1]),))

        start = time.perf_counter()
        run()
        return Prepared(run, time.perf_counter() - start)


JAX = Jax()
JAX_JIT = JaxJit()
JAX_JET = JaxJet()
