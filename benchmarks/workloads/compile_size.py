"""Compiling a big trace: `rg.compile` of a 100,000-op chain, traced, generated and built.

The timed call is the whole build (trace, write the Python, compile it) plus one gradient,
in a fresh process, so its RSS growth is the memory the build takes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from benchmarks.core import Case, Output, Prepared, Workload

__all__ = ["COMPILE_SIZE"]

OPS_PER_STEP = 4  # x * 0.9999, sin(x), * 1e-4, +


def _chain(steps: int) -> Callable[[float], float]:
    import rulegrad as rg

    def chain(x: float) -> float:
        for _ in range(steps):
            x = x * 0.9999 + rg.sin(x) * 1e-4
        return x

    return chain


def _prepare(ops: int) -> Prepared:
    import rulegrad as rg

    chain = _chain(ops // OPS_PER_STEP)

    def run() -> Output:
        compiled = rg.compile(chain, max_ops=ops + 1)
        value, gradient = compiled.value_and_grad(0.5)
        return Output(value, tuple(gradient))

    return Prepared(run)


def _reference(ops: int) -> Output:
    x, slope = 0.5, 1.0
    for _ in range(ops // OPS_PER_STEP):
        slope *= 0.9999 + math.cos(x) * 1e-4
        x = x * 0.9999 + math.sin(x) * 1e-4
    return Output(x, (slope,))


def _cases(ops: int) -> list[Case]:
    label = "rulegrad rg.compile: trace + generate + compile, then one value_and_grad"
    return [Case("rulegrad-compile", label, lambda: _prepare(ops), ("rulegrad",))]


COMPILE_SIZE = Workload(
    name="compile-100k",
    title="Compiling a 100,000-op trace: time and memory of rg.compile's build",
    note="A chain of x * 0.9999 + sin(x) * 1e-4; each call compiles afresh and takes one "
    "gradient. RSS growth is the memory the build takes at its peak.",
    cases=_cases,
    sizes=(100_000,),
    smoke_sizes=(400,),
    reference=_reference,
    isolate=True,
    warmup=0,
    max_repeat=1,
)
