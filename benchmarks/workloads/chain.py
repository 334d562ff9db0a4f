"""Deep chains: x <- x - h*x*x, repeated; three ops per step, each depending on the last.

With h = 1/steps this is Euler's method for x' = -x^2 on [0, 1], so the result stays near
x0 / (1 + x0) at every length and the derivative near 1 / (1 + x0)^2: nothing overflows or
vanishes, and the exact discrete answer is known (`reference`). Every peer can express it;
only `jax.jit` runs the loop as `lax.fori_loop`, since a million unrolled steps cannot be
compiled.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.core import Case, Fn, Num, Ops, Output, Workload
from benchmarks.peers import (
    AUTOGRAD,
    FLOATS,
    FLOOR,
    JAX,
    JAX_JIT,
    MICROGRAD,
    RULEGRAD,
    RULEGRAD_COMPILE,
    RULEGRAD_FORWARD,
    TORCH,
    gradient_cases,
)

__all__ = ["DEEP", "HUGE", "OPS_PER_STEP", "X0", "chain_cases", "make_chain", "reference"]

X0 = 0.5
OPS_PER_STEP = 3


def make_chain(steps: int) -> Fn:
    """x0 -> x_steps, as a function of one input."""
    h = 1.0 / steps

    def chain(ops: Ops, xs: Sequence[Num]) -> Num:
        x = xs[0]
        if ops.fori_loop is not None:
            return ops.fori_loop(0, steps, lambda _, x: x - h * x * x, x)
        for _ in range(steps):
            x = x - h * x * x
        return x

    return chain


def reference(steps: int) -> Output:
    """The chain's value and exact derivative: the product of the steps' slopes 1 - 2hx."""
    h, x, slope = 1.0 / steps, X0, 1.0
    for _ in range(steps):
        slope *= 1.0 - 2.0 * h * x
        x = x - h * x * x
    return Output(x, (slope,))


def chain_cases(steps: int) -> list[Case]:
    peers = (
        FLOATS,
        FLOOR,
        MICROGRAD,
        RULEGRAD,
        RULEGRAD_FORWARD,
        RULEGRAD_COMPILE,
        AUTOGRAD,
        TORCH,
        JAX,
        JAX_JIT,
    )
    return gradient_cases(make_chain(steps), [X0], peers)


DEEP = Workload(
    name="chain-10k",
    title="Deep chain: 10,000 steps of x - h*x*x (30,000 ops deep), value and derivative",
    note="A graph as deep as it is long: recursive traversals fail here.",
    cases=chain_cases,
    sizes=(10_000,),
    smoke_sizes=(50,),
    reference=reference,
)

HUGE = Workload(
    name="chain-1m",
    title="Huge chain: 1,000,000 steps (3,000,000 ops deep), value and derivative",
    note="Each case runs once, in a fresh process, under the suite's timeout and memory cap; "
    "the time includes first-call costs. 'RSS growth' is the peak resident memory of that "
    "process minus its resident memory before the first call.",
    cases=chain_cases,
    sizes=(1_000_000,),
    smoke_sizes=(200,),
    reference=reference,
    isolate=True,
    warmup=0,
    max_repeat=1,
)
