"""The Hessian of the 10-dimensional Rosenbrock function, against its closed form."""

from __future__ import annotations

import random
from collections.abc import Sequence

from benchmarks.core import Case, Num, Ops, Output, Workload
from benchmarks.peers import (
    AUTOGRAD,
    FLOATS,
    JAX,
    JAX_JIT,
    MICROGRAD,
    RULEGRAD,
    RULEGRAD_FORWARD,
    TORCH,
    hessian_cases,
)

__all__ = ["HESSIAN", "rosenbrock"]


def rosenbrock(ops: Ops, xs: Sequence[Num]) -> Num:
    """sum(100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2)."""
    return sum(
        100.0 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1.0 - xs[i]) ** 2 for i in range(len(xs) - 1)
    )


def _point(n: int) -> list[float]:
    rng = random.Random(7)
    return [rng.uniform(-2.0, 2.0) for _ in range(n)]


def _reference(n: int) -> Output:
    x = _point(n)
    h = [[0.0] * n for _ in range(n)]
    for i in range(n - 1):
        h[i][i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        h[i + 1][i + 1] += 200.0
        h[i][i + 1] = h[i + 1][i] = -400.0 * x[i]
    return Output(None, tuple(entry for row in h for entry in row))


def _cases(n: int) -> list[Case]:
    peers = (FLOATS, MICROGRAD, RULEGRAD, RULEGRAD_FORWARD, AUTOGRAD, TORCH, JAX, JAX_JIT)
    return hessian_cases(rosenbrock, _point(n), peers)


HESSIAN = Workload(
    name="hessian",
    title="Hessian of the 10-dimensional Rosenbrock function",
    note="rulegrad Value row: `rg.hessian` (forward over reverse); forward row: forward over "
    "forward (`rg.jacobian` of a forward-mode `rg.grad`). Checked against the closed form.",
    cases=_cases,
    sizes=(10,),
    smoke_sizes=(4,),
    reference=_reference,
)
