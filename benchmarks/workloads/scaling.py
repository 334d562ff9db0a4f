"""Scaling: the deep chain at 1e3 .. 1e6 ops; time and memory per op at each size.

Each size of each case runs in a fresh process, so memory readings start from a clean heap.
"""

from __future__ import annotations

from benchmarks.core import Case, Output, Workload
from benchmarks.peers import MICROGRAD, RULEGRAD, RULEGRAD_FORWARD, TORCH, gradient_cases
from benchmarks.workloads.chain import OPS_PER_STEP, X0, make_chain, reference

__all__ = ["SCALING"]


def _cases(ops: int) -> list[Case]:
    peers = (RULEGRAD, RULEGRAD_FORWARD, MICROGRAD, TORCH)
    return gradient_cases(make_chain(ops // OPS_PER_STEP), [X0], peers)


def _reference(ops: int) -> Output:
    return reference(ops // OPS_PER_STEP)


SCALING = Workload(
    name="scaling",
    title="Scaling: the deep chain from 1e3 to 1e6 ops, per op",
    note="Time per op: the median call (forward and backward) divided by the op count. "
    "Traced peak per op: tracemalloc's peak over one call, above what was live before it "
    "(Python allocations only, so shown for pure-Python cases). RSS growth per op: the "
    "process's peak resident memory minus its resident memory before the first call.",
    cases=_cases,
    sizes=(999, 9_999, 99_999, 999_999),
    smoke_sizes=(300,),
    reference=_reference,
    kind="scaling",
    isolate=True,
)
