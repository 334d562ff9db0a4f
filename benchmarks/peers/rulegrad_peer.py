"""rulegrad: `Value` graphs (micrograd-style), forward mode, `rg.compile`, and Taylor mode
(`rg.taylor`, and `rg.derivative`, which uses it from order 3 on)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import rulegrad as rg
from benchmarks.core import Fn, NotApplicableError, Num, Ops, Output, Prepared
from benchmarks.peers.base import Peer

__all__ = [
    "OPS",
    "RULEGRAD",
    "RULEGRAD_COMPILE",
    "RULEGRAD_DERIVATIVE",
    "RULEGRAD_FORWARD",
    "RULEGRAD_TAYLOR",
    "count_nodes",
]

OPS = Ops(exp=rg.exp, relu=rg.relu, sin=rg.sin)

# Forward mode pays one pass per input; past this many inputs reverse mode is the tool.
_MAX_FORWARD_INPUTS = 16
# Nesting forward mode k times costs about 3^k function calls: for exp(sin(x)) * x one call
# took 14 s at order 14, 23 s at 15 and 56 s at 16 on the machine of the README's numbers.
MAX_NESTED_ORDER = 15


def _positional(f: Fn) -> Callable[..., float]:
    """f as rulegrad's transforms want it: one positional argument per input."""
    return lambda *xs: f(OPS, xs)


class RulegradValue(Peer):
    id = "rulegrad"
    label = "rulegrad Value (micrograd-style)"
    requires = ("rulegrad",)
    pure_python = True

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        leaves = [rg.Value(x) for x in xs]

        def run() -> Output:
            for leaf in leaves:
                leaf.grad = 0.0
            out = f(OPS, leaves)
            out.backward()
            return Output(out.data, tuple(leaf.grad for leaf in leaves))

        return Prepared(run)

    def hessian(self, f: Fn, xs: Sequence[float]) -> Prepared:
        hessian = rg.hessian(_positional(f))  # forward over reverse
        return Prepared(lambda: Output(None, _flat(hessian(*xs))))


class RulegradForward(Peer):
    id = "rulegrad-forward"
    label = "rulegrad forward mode (Dual, rg.jvp)"
    requires = ("rulegrad",)
    pure_python = True

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        if len(xs) > _MAX_FORWARD_INPUTS:
            raise NotApplicableError(f"forward mode takes one pass per input ({len(xs)} here)")
        argnums = tuple(range(len(xs)))
        value_and_grad = rg.value_and_grad(_positional(f), argnums, mode="forward")

        def run() -> Output:
            value, gradient = value_and_grad(*xs)
            return Output(value, gradient)

        return Prepared(run)

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        g, primals, tangents = _positional(f), tuple(xs), tuple(ts)

        def run() -> Output:
            out, tangent = rg.jvp(g, primals, tangents)
            return Output(out, (tangent,))

        return Prepared(run)

    def hessian(self, f: Fn, xs: Sequence[float]) -> Prepared:
        argnums = tuple(range(len(xs)))
        gradient = rg.grad(_positional(f), argnums, mode="forward")
        hessian = rg.jacobian(gradient, mode="forward")  # forward over forward
        return Prepared(lambda: Output(None, _flat(hessian(*xs))))

    def derivative(self, f: Fn, x: float, order: int) -> Prepared:
        if order > MAX_NESTED_ORDER:
            raise NotApplicableError(
                f"past order {MAX_NESTED_ORDER}, one call of nested forward mode takes about a "
                "minute or more (its cost about triples with each order)"
            )
        nested = _positional(f)
        for _ in range(order):  # rg.jvp of rg.jvp of ...: what rg.derivative used to do
            nested = (lambda g: lambda t: rg.jvp(g, (t,), (1.0,))[1])(nested)
        return Prepared(lambda: Output(None, (nested(x),)))


class RulegradDerivative(Peer):
    id = "rulegrad-derivative"
    label = "rulegrad rg.derivative"
    requires = ("rulegrad",)
    pure_python = True

    def derivative(self, f: Fn, x: float, order: int) -> Prepared:
        derivative = rg.derivative(_positional(f), order=order)
        return Prepared(lambda: Output(None, (derivative(x),)))


class RulegradTaylor(Peer):
    id = "rulegrad-taylor"
    label = "rulegrad Taylor mode (rg.taylor)"
    requires = ("rulegrad",)
    pure_python = True

    def derivative(self, f: Fn, x: float, order: int) -> Prepared:
        expand = rg.taylor(_positional(f), order=order)
        scale = float(math.factorial(order))

        def run() -> Output:
            coefficients = expand(x)
            return Output(coefficients[0], (coefficients[order] * scale,))

        return Prepared(run)


class RulegradCompiled(Peer):
    id = "rulegrad-compile"
    label = "rulegrad rg.compile"
    requires = ("rulegrad",)
    pure_python = True

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        start = time.perf_counter()
        compiled = rg.compile(_positional(f))
        _within_limit(lambda: compiled.value_and_grad(*xs))  # traces f, generates the code
        compile_s = time.perf_counter() - start

        def run() -> Output:
            value, gradient = compiled.value_and_grad(*xs)
            return Output(value, tuple(gradient))

        return Prepared(run, compile_s)

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        start = time.perf_counter()
        compiled = rg.compile(_positional(f))
        _within_limit(lambda: compiled.jvp(xs, ts))
        compile_s = time.perf_counter() - start

        def run() -> Output:
            out, tangent = compiled.jvp(xs, ts)
            return Output(out, (tangent,))

        return Prepared(run, compile_s)


def _within_limit(first_call: Callable[[], object]) -> None:
    """Run the call that traces and compiles; rg.compile's documented size limit is n/a."""
    try:
        first_call()
    except rg.TraceSizeError as error:
        raise NotApplicableError(
            f"over rg.compile's limit of {error.max_ops:,} traced ops (it raises TraceSizeError)"
        ) from None


def _flat(matrix: Sequence[Sequence[float]]) -> tuple[float, ...]:
    return tuple(entry for row in matrix for entry in row)


def count_nodes(root: Num) -> int:
    """The `Value` nodes of a rulegrad graph (constants are plain floats, not nodes)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop().inputs:
            if isinstance(child, rg.Value) and id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


RULEGRAD = RulegradValue()
RULEGRAD_FORWARD = RulegradForward()
RULEGRAD_COMPILE = RulegradCompiled()
RULEGRAD_DERIVATIVE = RulegradDerivative()
RULEGRAD_TAYLOR = RulegradTaylor()
