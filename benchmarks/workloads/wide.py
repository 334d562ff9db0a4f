"""A wide sum: f(x) = sum of x_i**2 * exp(-x_i) over 10,000 inputs; gradient and JVP.

The scalar code uses Python's `sum`, so every peer builds the same graph: three ops per term
and one addition per term. The exact gradient is (2x - x^2) exp(-x) per input.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from benchmarks.core import Case, Num, Ops, Output, Workload
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
    jvp_cases,
    vectorized,
)

__all__ = ["GRADIENT", "JVP", "wide_sum"]

WIDTH = 10_000


def wide_sum(ops: Ops, xs: Sequence[Num]) -> Num:
    """sum(x**2 * exp(-x) for x in xs)."""
    return sum(x**2 * ops.exp(-x) for x in xs)


def _point(n: int) -> tuple[list[float], list[float]]:
    rng = random.Random(5)
    return [rng.uniform(0.0, 4.0) for _ in range(n)], [rng.uniform(-1.0, 1.0) for _ in range(n)]


def _value(xs: Sequence[float]) -> float:
    return sum(x**2 * math.exp(-x) for x in xs)


def _gradient(xs: Sequence[float]) -> list[float]:
    return [(2.0 * x - x * x) * math.exp(-x) for x in xs]


def _gradient_reference(n: int) -> Output:
    xs, _ = _point(n)
    return Output(_value(xs), tuple(_gradient(xs)))


def _jvp_reference(n: int) -> Output:
    xs, ts = _point(n)
    return Output(_value(xs), (math.fsum(g * t for g, t in zip(_gradient(xs), ts, strict=True)),))


def _gradient_cases(n: int) -> list[Case]:
    xs, _ = _point(n)
    peers = (FLOATS, FLOOR, MICROGRAD, RULEGRAD, RULEGRAD_COMPILE, AUTOGRAD, TORCH, JAX, JAX_JIT)
    return gradient_cases(wide_sum, xs, peers) + vectorized.wide_grad_cases(xs)


def _jvp_cases(n: int) -> list[Case]:
    xs, ts = _point(n)
    peers = (FLOATS, FLOOR, RULEGRAD_FORWARD, RULEGRAD_COMPILE, AUTOGRAD, TORCH, JAX, JAX_JIT)
    return jvp_cases(wide_sum, xs, ts, peers) + vectorized.wide_jvp_cases(xs, ts)


GRADIENT = Workload(
    name="wide-grad",
    title=f"Wide sum: gradient of sum(x_i**2 * exp(-x_i)), {WIDTH:,} inputs",
    note="Reverse mode; inputs uniform in [0, 4].",
    cases=_gradient_cases,
    sizes=(WIDTH,),
    smoke_sizes=(20,),
    reference=_gradient_reference,
)

JVP = Workload(
    name="wide-jvp",
    title=f"Wide sum: forward-mode JVP along a random direction, {WIDTH:,} inputs",
    note="One forward pass carrying a tangent per input (PyTorch: forward-mode AD with dual "
    "tensors; autograd: make_jvp; JAX: jax.jvp).",
    cases=_jvp_cases,
    sizes=(WIDTH,),
    smoke_sizes=(20,),
    reference=_jvp_reference,
)
