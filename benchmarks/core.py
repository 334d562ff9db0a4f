"""The shapes shared by workloads, peers and the runner.

A *workload* is one computation to differentiate (the MLP step, a deep chain, ...). A *case*
is one implementation of it, by one peer (micrograd, PyTorch, rulegrad, ...). Running a case
gives a `Row`: its timings and its result, which is checked against every other case's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

__all__ = [
    "Case",
    "Fn",
    "Kind",
    "NotApplicableError",
    "NotInstalledError",
    "Num",
    "Ops",
    "Output",
    "Prepared",
    "Row",
    "Status",
    "Workload",
]

# Each peer has its own scalar type (float, a micrograd Value, a 0-d tensor, a JAX tracer...)
# and a workload is written once for all of them, so to the type checker a scalar is Any.
Num: TypeAlias = Any


class NotApplicableError(Exception):
    """The peer cannot express this workload; the message says why. Reported as n/a."""


class NotInstalledError(Exception):
    """Something the case needs is missing here; the message names it. Reported as skipped."""


@dataclass(frozen=True)
class Output:
    """What a case computed: f at the point (if reported) and its derivative, flattened.

    `derivative` is the gradient, the JVP tangent (one number), the Hessian row by row or
    a k-th derivative (one number); it is empty for the plain-float rows, which only
    evaluate f.
    """

    value: float | None
    derivative: tuple[float, ...] = ()


@dataclass(frozen=True)
class Ops:
    """The functions a workload needs beyond arithmetic, as one peer spells them.

    `fori_loop` is set only where a plain Python loop is not how the peer runs a loop
    (`jax.jit`, which cannot compile a million unrolled steps). `sin` is set by the peers
    that run the `taylor` workload.
    """

    exp: Callable[[Num], Num]
    relu: Callable[[Num], Num]
    fori_loop: Callable[[int, int, Callable[[int, Num], Num], Num], Num] | None = None
    sin: Callable[[Num], Num] | None = None


Fn: TypeAlias = Callable[[Ops, Sequence[Num]], Num]
"""A workload's function: written once over `Ops`, taking its inputs as one sequence."""


@dataclass
class Prepared:
    """A case ready to run: `run` is what is timed; set-up and compilation happened before."""

    run: Callable[[], Output]
    compile_s: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One implementation of a workload. `prepare` may raise `NotApplicableError`."""

    id: str
    label: str
    prepare: Callable[[], Prepared]
    requires: tuple[str, ...] = ()
    # In a fresh subprocess with a timeout: the case may not finish (a huge jax.jit compile).
    isolate: bool = False
    # Every allocation is a Python object, so tracemalloc sees all of its memory.
    pure_python: bool = False
    # Why the smoke run leaves this case out (it is too slow to start), or "" to run it.
    smoke_skip: str = ""


# "orders": one time per case and size, the size being the order of a derivative.
Kind: TypeAlias = Literal["time", "memory", "scaling", "orders"]


@dataclass(frozen=True)
class Workload:
    """A computation, its sizes, and the cases that implement it.

    `reference` gives the exact answer where one is known in closed form; otherwise the
    rulegrad `Value` row is the reference and every other row is checked against it.
    With `isolate`, every case runs in a fresh subprocess (timeouts, memory caps, and a
    clean heap for memory measurements).
    """

    name: str
    title: str
    note: str
    cases: Callable[[int], list[Case]]
    sizes: tuple[int, ...]
    smoke_sizes: tuple[int, ...]
    reference: Callable[[int], Output] | None = None
    kind: Kind = "time"
    isolate: bool = False
    warmup: int = 1
    max_repeat: int | None = None


Status: TypeAlias = Literal["ok", "mismatch", "failed", "skipped", "n/a"]


@dataclass
class Row:
    """The outcome of one case at one size."""

    workload: str
    case: str
    label: str
    size: int
    status: Status
    detail: str = ""
    times_s: list[float] = field(default_factory=list)
    compile_s: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    output: Output | None = None
    max_error: float | None = None
