"""High derivatives: d^k/dx^k [exp(sin(x)) * x] at x = 0.5, for k from 1 to 50.

The size of this workload is the order k. Taylor mode (`rg.taylor`, and `rg.derivative`,
which uses it from order 3 on) costs a time polynomial in k; nesting forward mode k times,
which is what `rg.derivative` did before, costs about 3^k. JAX's Taylor mode,
`jax.experimental.jet`, is the other peer: eager, with its first call at each order (which
traces every primitive's series rule) reported as compile time.

The reference is the textbook recurrence for this one function, written out on floats:
sin and cos of x(t) = x + t together, then exp, then the product with x(t).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from benchmarks.core import Case, NotApplicableError, Num, Ops, Output, Workload
from benchmarks.peers import (
    FLOATS,
    JAX_JET,
    RULEGRAD_DERIVATIVE,
    RULEGRAD_FORWARD,
    RULEGRAD_TAYLOR,
    derivative_cases,
)

__all__ = ["ORDERS", "TAYLOR", "X0", "exp_sin_times_x", "reference"]

X0 = 0.5
ORDERS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 15, 20, 25, 30, 40, 50)


def exp_sin_times_x(ops: Ops, xs: Sequence[Num]) -> Num:
    """exp(sin(x)) * x."""
    if ops.sin is None:
        raise NotApplicableError("this peer's ops have no sin")
    x = xs[0]
    return ops.exp(ops.sin(x)) * x


def reference(order: int) -> Output:
    """f(X0) and its order-th derivative, from the series of sin, cos, exp and the product."""
    slope = [0.0, 1.0] + [0.0] * order  # k x_k for x(t) = X0 + t
    sin, cos, exp = [math.sin(X0)], [math.cos(X0)], [math.exp(math.sin(X0))]
    for k in range(1, order + 1):
        # s' = c x', c' = -s x', e' = e s': k a_k = sum_j j b_j c_(k-j).
        sin.append(sum(slope[j] * cos[k - j] for j in range(1, k + 1)) / k)
        cos.append(-sum(slope[j] * sin[k - j] for j in range(1, k + 1)) / k)
        exp.append(sum(j * sin[j] * exp[k - j] for j in range(1, k + 1)) / k)
    # (e x)_k = e_k X0 + e_(k-1)
    product = exp[order] * X0 + (exp[order - 1] if order else 0.0)
    return Output(exp[0] * X0, (product * math.factorial(order),))


def _cases(order: int) -> list[Case]:
    peers = (FLOATS, RULEGRAD_DERIVATIVE, RULEGRAD_TAYLOR, RULEGRAD_FORWARD, JAX_JET)
    return derivative_cases(exp_sin_times_x, X0, order, peers)


TAYLOR = Workload(
    name="taylor",
    title="High derivatives of exp(sin(x)) * x: time against the order",
    note="One column per order k: the k-th derivative at x = 0.5. `rg.derivative` nests "
    "forward mode at orders 1 and 2 and uses Taylor mode from 3 on; `rg.taylor` is Taylor "
    "mode at every order (all k + 1 coefficients at once); forward mode is rg.jvp nested k "
    "times, what `rg.derivative` did before Taylor mode. JAX's first call at each order "
    "(tracing its series rules) is shown on its own line. Checked against the textbook "
    "recurrence for this function.",
    cases=_cases,
    sizes=ORDERS,
    smoke_sizes=(3,),
    reference=reference,
    kind="orders",
)
